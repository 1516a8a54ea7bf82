"""Chunking: offsets slice back to the chunk text exactly, chunks cover the source, ids are stable."""

from __future__ import annotations

from hypothesis import example, given, settings, strategies as st
from langchain_core.documents import Document
from langchain_text_splitters import RecursiveCharacterTextSplitter

from conftest import write
from rag.ingest import chunking
from rag.ingest.chunking import SEPARATORS, chunk_documents, split_text
from rag.embeddings import MAX_TOKENS, count_tokens
from rag.ingest.loaders import load_file

# Text that exercises every separator, whitespace runs and non-ASCII (incl. astral) characters.
ATOMS = ["\n\n", "\n", "\n\n\n", ". ", "? ", "! ", "; ", ", ", " ", "   ", "\t", "\r\n",
         "\u00a0", "\u2028", "word", "Über", "naïve", "日本語", "😀", "x", "."]
atomic_text = st.lists(st.sampled_from(ATOMS), max_size=300).map("".join)
repeated_paragraphs = st.builds(
    lambda paras, times, sep: sep.join(paras * times),
    st.lists(st.text(min_size=1, max_size=80), min_size=1, max_size=4),
    st.integers(1, 25), st.sampled_from(["\n\n", "\n", " ", "\n\n  \n\n", ""]))
texts = st.one_of(st.text(), st.text(max_size=3000), atomic_text, repeated_paragraphs)


@st.composite
def sizes(draw, low: int = 2, high: int = 300) -> tuple[int, int]:
    size = draw(st.integers(low, high))
    return size, draw(st.integers(0, size - 1))


def check_invariants(text: str, chunk_size: int, chunks: list[tuple[int, str]]) -> None:
    covered = bytearray(len(text))
    previous = -1
    for start, chunk in chunks:
        assert text[start:start + len(chunk)] == chunk
        assert chunk and chunk == chunk.strip()
        assert len(chunk) <= chunk_size
        assert start >= previous  # in reading order
        previous = start
        covered[start:start + len(chunk)] = b"\x01" * len(chunk)
    missed = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]]
    assert not missed, f"characters not in any chunk at {missed[:10]}"


@settings(max_examples=400, deadline=None)
@given(texts, sizes())
@example("Lorem ipsum dolor sit amet.\n\n" * 40, (50, 10))  # identical chunks, repeated
@example("ab " * 500, (50, 0))
def test_offsets_slice_back_and_chunks_cover_the_text(text, size):
    chunk_size, overlap = size
    check_invariants(text, chunk_size, list(split_text(text, chunk_size, overlap)))


@settings(max_examples=150, deadline=None)
@given(texts, sizes(low=20, high=120))
def test_invariants_hold_across_window_boundaries(text, size):
    chunk_size, overlap = size
    saved, chunking.WINDOW = chunking.WINDOW, 0  # windows of 4 * chunk_size, not 1M chars
    try:
        chunks = list(split_text(text, chunk_size, overlap))
    finally:
        chunking.WINDOW = saved
    check_invariants(text, chunk_size, chunks)


def test_repeated_paragraphs_are_located_where_they_are():
    # Every chunk has the same text; each must still point at its own copy.
    para = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 5 + "\n\n"
    text = para * 20
    chunks = list(split_text(text, 800, 120))
    assert len({c for _, c in chunks}) == 1
    assert [s for s, _ in chunks] == [i * 2 * len(para) for i in range(10)]


@settings(max_examples=300, deadline=None)
@given(texts, sizes())
def test_same_cuts_as_langchain_recursive_splitter(text, size):
    chunk_size, overlap = size
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size, chunk_overlap=overlap, separators=list(SEPARATORS),
        keep_separator="end", strip_whitespace=True)
    assert [c for _, c in split_text(text, chunk_size, overlap)] == splitter.split_text(text)


def _page(text: str, page: int | None = None, source: str = "a.txt") -> Document:
    return Document(page_content=text,
                    metadata={"source": source, "hash": "h", "page": page, "title": None})


@settings(max_examples=150, deadline=None)
@given(st.lists(texts, min_size=1, max_size=3), sizes(low=50))
def test_chunk_ids_are_stable_and_unique(pages, size):
    docs = [_page(text, page=i + 1) for i, text in enumerate(pages)]
    first = list(chunk_documents(docs, *size))
    again = list(chunk_documents([_page(t, page=i + 1) for i, t in enumerate(pages)], *size))
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first)
    for chunk in first:
        meta = chunk.metadata
        assert meta["id"] == chunk.id
        assert pages[meta["page"] - 1][meta["start"]:meta["end"]] == chunk.page_content


def test_ids_depend_on_source_page_and_position():
    text = "Same words here, said twice over.\n\nSame words here, said twice over."
    ids_a = [c.id for c in chunk_documents([_page(text, source="a.txt")], 50, 0)]
    ids_b = [c.id for c in chunk_documents([_page(text, source="b.txt")], 50, 0)]
    ids_p2 = [c.id for c in chunk_documents([_page(text, page=2, source="a.txt")], 50, 0)]
    assert len(ids_a) == 2 and len(set(ids_a)) == 2  # same text, other position
    assert not set(ids_a) & set(ids_b) and not set(ids_a) & set(ids_p2)


def test_chunks_carry_page_metadata():
    doc = Document(page_content="Walruses sleep on ice.",
                   metadata={"source": "r.pdf", "hash": "abc", "page": 3, "title": "Report"})
    [chunk] = chunk_documents([doc], 800, 120)
    assert chunk.metadata == {"source": "r.pdf", "hash": "abc", "page": 3, "title": "Report",
                              "start": 0, "end": 22, "id": chunk.id}


def test_plain_text_offsets_index_the_decoded_file(sources):
    # CRLF line ends and non-ASCII must not shift offsets: nothing is normalised on load.
    body = "".join(f"Line {i}: naïve café — 日本語 😀 text.\r\n" + ("\r\n" if i % 3 == 0 else "")
                   for i in range(60))
    path = write(sources / "notes.txt", body)
    docs = load_file(path, "notes.txt")
    decoded = path.read_bytes().decode("utf-8")
    chunks = list(chunk_documents(docs, 200, 40))
    assert len(chunks) > 5
    for chunk in chunks:
        assert decoded[chunk.metadata["start"]:chunk.metadata["end"]] == chunk.page_content


# -- fitting the model's window -------------------------------------------------------------


def count_chars(texts: list[str]) -> list[int]:
    """A token counter checkable by eye: one token per character."""
    return [len(t) for t in texts]


@settings(max_examples=300, deadline=None)
@given(st.lists(texts, min_size=1, max_size=3), sizes(low=50, high=400), st.integers(5, 120))
def test_chunks_fit_the_token_window_and_keep_the_invariants(pages, size, max_tokens):
    docs = [_page(text, page=i + 1) for i, text in enumerate(pages)]
    chunks = list(chunk_documents(docs, *size, max_tokens, count_chars))
    assert len({c.id for c in chunks}) == len(chunks)  # overlapping re-splits are not repeated
    for i, text in enumerate(pages):
        mine = [c for c in chunks if c.metadata["page"] == i + 1]
        for chunk in mine:
            assert len(chunk.page_content) <= max_tokens
        check_invariants(text, size[0], sorted((c.metadata["start"], c.page_content)
                                               for c in mine))


def test_dense_text_fits_the_real_model_window():
    # Chinese: about one word piece per character, so 600-char chunks must be split again.
    chars = "数据经济治理国家发展改革委员会关于推进数字化转型的指导意见和实施方案"
    text = "".join(chars[i % 31:] + chars[:i % 31] + "。 " for i in range(120))
    docs = [_page(text, source="zh.txt"), _page("", page=2, source="zh.txt")]  # a blank page
    chunks = list(chunk_documents(docs, 600, 300, MAX_TOKENS, count_tokens))
    assert len({c.id for c in chunks}) == len(chunks)
    assert max(count_tokens([c.page_content for c in chunks])) <= MAX_TOKENS
    check_invariants(text, 600, sorted((c.metadata["start"], c.page_content) for c in chunks))
