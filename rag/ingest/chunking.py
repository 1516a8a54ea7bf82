"""Chunking: split loaded Documents into chunks that know their exact character offsets."""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterator

from langchain_core.documents import Document

from rag.ingest.layout import encode, plain

# Very long texts are split a window at a time so memory stays bounded by the window,
# not by the file (a 50 MB log would otherwise become one huge list of pieces).
WINDOW = 1_000_000


def chunk_id(source: str, page: int | None, start: int, text: str, version: str = "") -> str:
    """A stable id: the same source, version (content hash), position and text always give
    the same id. The version is part of it so that a changed file's new chunks never
    overwrite rows the live version still uses (the index updates in place)."""
    key = f"{source}\x00{version}\x00{page}\x00{start}\x00{text}".encode(
        "utf-8", "surrogatepass")
    return hashlib.sha256(key).hexdigest()[:32]


def _windows(text: str, size: int) -> Iterator[tuple[int, int]]:
    """Yield (start, end) windows of at most `size` chars, cut at a paragraph/line/space."""
    start = 0
    while len(text) - start > size:
        end = start + size
        for sep in ("\n\n", "\n", " "):
            cut = text.rfind(sep, start + size // 2, end)
            if cut != -1:
                end = cut + len(sep)
                break
        yield start, end
        start = end
    yield start, len(text)


# LangChain's RecursiveCharacterTextSplitter cuts, separators kept at the end of a piece.
SEPARATORS = ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", "")


def _pieces(text: str, start: int, end: int, sep: str) -> Iterator[tuple[int, int]]:
    """Spans of text[start:end] cut just after each `sep` (every character if sep is "")."""
    if not sep:
        yield from ((i, i + 1) for i in range(start, end))
        return
    while (hit := text.find(sep, start, end)) != -1:
        yield start, hit + len(sep)
        start = hit + len(sep)
    if start < end:
        yield start, end


def _merge(spans: list[tuple[int, int]], size: int, overlap: int
           ) -> Iterator[tuple[int, int]]:
    """Join adjacent spans up to `size` chars, the next group re-using up to `overlap`."""
    group: deque[tuple[int, int]] = deque()
    total = 0
    for start, end in spans:
        length = end - start
        if group and total + length > size:
            yield group[0][0], group[-1][1]
            while total > overlap or (total + length > size and total > 0):
                first = group.popleft()
                total -= first[1] - first[0]
        group.append((start, end))
        total += length
    if group:
        yield group[0][0], group[-1][1]


def _split(text: str, start: int, end: int, separators: tuple[str, ...], size: int,
           overlap: int) -> Iterator[tuple[int, int]]:
    """The recursive splitter's algorithm on (start, end) spans of text instead of copies."""
    i = next(i for i, sep in enumerate(separators)
             if not sep or text.find(sep, start, end) != -1)
    sep, finer = separators[i], separators[i + 1:]
    short: list[tuple[int, int]] = []
    for s, e in _pieces(text, start, end, sep):
        if e - s < size:
            short.append((s, e))
            continue
        yield from _merge(short, size, overlap)
        short = []
        yield from (_split(text, s, e, finer, size, overlap) if finer else [(s, e)])
    yield from _merge(short, size, overlap)


def split_text(text: str, chunk_size: int, chunk_overlap: int) -> Iterator[tuple[int, str]]:
    """Split text into (start, chunk) pairs with text[start:start+len(chunk)] == chunk.

    The cuts are those of LangChain's RecursiveCharacterTextSplitter (paragraph, line,
    sentence, word, character; keep_separator="end", strip_whitespace=True), computed on
    offsets rather than found again by searching, which picks the wrong occurrence of
    repeated text. Whitespace-only chunks are dropped; every other character is covered.
    """
    for w_start, w_end in _windows(text, max(WINDOW, chunk_size * 4)):
        for start, end in _split(text, w_start, w_end, SEPARATORS, chunk_size, chunk_overlap):
            piece = text[start:end]
            chunk = piece.strip()
            if chunk:
                yield start + len(piece) - len(piece.lstrip()), chunk


TokenCounter = Callable[[list[str]], list[int]]


def fit_window(pieces: Iterator[tuple[int, str]], max_tokens: int, count: TokenCounter,
               chunk_overlap: int, batch: int = 256) -> Iterator[tuple[int, str]]:
    """Re-split any piece longer than `max_tokens` word pieces, so the model truncates none.

    Pieces are counted in batches (fast tokenizers are cheap per batch); an oversized piece
    is split again with a character size scaled down by its tokens-per-character ratio.
    """
    buffer: list[tuple[int, str]] = []

    def flush() -> Iterator[tuple[int, str]]:
        if not buffer:  # a blank page, or a multiple of `batch` pieces: nothing to count
            return
        for (start, piece), n in zip(buffer, count([p for _, p in buffer])):
            if n <= max_tokens or len(piece) < 2:
                yield start, piece
                continue
            size = max(1, int(len(piece) * max_tokens / n * 0.9))
            sub = split_text(piece, size, min(chunk_overlap, size // 4))
            yield from fit_window(((start + s, p) for s, p in sub), max_tokens, count, 0)
        buffer.clear()

    for item in pieces:
        buffer.append(item)
        if len(buffer) >= batch:
            yield from flush()
    yield from flush()


def chunk_documents(docs: list[Document], chunk_size: int, chunk_overlap: int,
                    max_tokens: int | None = None, count_tokens: TokenCounter | None = None
                    ) -> Iterator[Document]:
    """Yield chunks of the given page Documents, lazily.

    Each chunk's metadata holds source, hash, page, title, start, end (offsets into its
    page's loaded text) and id; page_content is exactly text[start:end]. With max_tokens and
    count_tokens, no chunk is longer than max_tokens word pieces.
    """
    for doc in docs:
        meta, seen = dict(doc.metadata), set()
        units = meta.pop("units", None)  # the page's layout: each chunk keeps its own part
        pieces = split_text(doc.page_content, chunk_size, chunk_overlap)
        if max_tokens and count_tokens:
            pieces = fit_window(pieces, max_tokens, count_tokens, chunk_overlap)
        for start, piece in pieces:
            # the same span can come twice (an overlap that strips to the previous chunk,
            # overlapping pieces re-split alike); one id twice breaks a Chroma upsert
            if (start, len(piece)) in seen:
                continue
            seen.add((start, len(piece)))
            cid = chunk_id(meta["source"], meta.get("page"), start, piece, meta.get("hash", ""))
            extra = {} if units is None else {"units": encode(units, start, start + len(piece))}
            yield Document(
                id=cid, page_content=piece,
                metadata={**meta, **extra, "start": start, "end": start + len(piece),
                          "id": cid},
            )


def keyword_text(chunk: Document) -> str:
    """What the keyword index sees for a chunk: its text, headed by its document's title when
    the chunk does not already start with it, so a chunk from the middle of a document still
    matches the words naming its subject. The stored text stays the exact slice. (Dense
    vectors are of the plain chunk: on SciFact the heading helped BM25, nDCG@10 0.662 ->
    0.670, but hurt dense search, 0.681 -> 0.670.)"""
    title = chunk.metadata.get("title")
    text = plain(chunk)
    if title and not text.startswith(title[:40]):
        return f"{title}\n\n{text}"
    return text
