"""Chunking: split loaded Documents into chunks that know their exact character offsets."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from langchain_core.documents import Document
from langchain_text_splitters import RecursiveCharacterTextSplitter

# Very long texts are split a window at a time so memory stays bounded by the window,
# not by the file (a 50 MB log would otherwise become one huge list of pieces).
WINDOW = 1_000_000


def chunk_id(source: str, page: int | None, start: int, text: str) -> str:
    """A stable id: the same source, position and text always give the same id."""
    key = f"{source}\x00{page}\x00{start}\x00{text}".encode("utf-8", "surrogatepass")
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


def split_text(text: str, chunk_size: int, chunk_overlap: int) -> Iterator[tuple[int, str]]:
    """Split text into (start, chunk) pairs with text[start:start+len(chunk)] == chunk.

    Uses LangChain's RecursiveCharacterTextSplitter for the cuts (paragraph, line, sentence,
    word) and locates each piece in the original text, so offsets are exact by construction.
    """
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size, chunk_overlap=chunk_overlap,
        separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
        keep_separator="end", strip_whitespace=True,
    )
    for w_start, w_end in _windows(text, max(WINDOW, chunk_size * 4)):
        window = text[w_start:w_end]
        cursor = 0
        for piece in splitter.split_text(window):
            pos = window.find(piece, cursor)
            if pos == -1:  # overlap can step back further than the cursor: search from 0
                pos = window.find(piece)
            if pos == -1:
                raise RuntimeError("splitter produced text that is not in the source")
            yield w_start + pos, piece
            cursor = pos + 1


def chunk_documents(docs: list[Document], chunk_size: int, chunk_overlap: int
                    ) -> Iterator[Document]:
    """Yield chunks of the given page Documents, lazily.

    Each chunk's metadata holds source, hash, page, title, start, end (offsets into its
    page's loaded text) and id; page_content is exactly text[start:end].
    """
    for doc in docs:
        meta = doc.metadata
        for start, piece in split_text(doc.page_content, chunk_size, chunk_overlap):
            cid = chunk_id(meta["source"], meta.get("page"), start, piece)
            yield Document(
                id=cid, page_content=piece,
                metadata={**meta, "start": start, "end": start + len(piece), "id": cid},
            )
