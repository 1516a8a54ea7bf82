"""Keyword index: BM25 over the chunks, in a tantivy index beside the manifest.

Updated in place: a sync adds the chunks of new file versions and deletes superseded ones
(tantivy commits segments; nothing is rebuilt). Like the Chroma collection it may hold rows
that are not live yet or any more; readers keep only hits whose (source, hash) the manifest
lists. Text is tokenized here, as before with bm25s: lowercase, words of two or more
letters, bm25s's English stopwords dropped, Snowball English stems; tantivy indexes those
stems (whitespace-separated), so `doc_freq` counts the stems the answerability features ask
about.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from langchain_core.documents import Document

from rag.ingest.chunking import keyword_text

# bm25s.stopwords.STOPWORDS_EN (what the index used before tantivy), kept here so tokenizing
# a question does not import bm25s and scipy.
STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with".split())
_WORDS = re.compile(r"(?u)\b\w\w+\b").findall
WRITER_HEAP = 64_000_000  # bytes tantivy buffers before it writes a segment


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: Snowball English, as classic BM25 baselines use

    return Stemmer.Stemmer("english").stemWords


def tokenize(text: str) -> list[str]:
    """The stems BM25 indexes and searches for a text."""
    return _stemmer()([w for w in _WORDS(text.lower()) if w not in STOPWORDS])


def keyword_dir(index_dir: Path, collection: str) -> Path:
    return index_dir / "keyword" / collection


@lru_cache(maxsize=1)
def _schema():
    import tantivy

    builder = tantivy.SchemaBuilder()
    for name in ("id", "source", "hash", "version"):
        builder.add_text_field(name, stored=name != "version", tokenizer_name="raw",
                               index_option="basic")
    builder.add_text_field("body", stored=False, tokenizer_name="whitespace",
                           index_option="freq")
    return builder.build()


def _version(source: str, digest: str) -> str:
    return f"{digest}\x1f{source}"


def _open(path: Path, create: bool):
    import tantivy

    if create:
        path.mkdir(parents=True, exist_ok=True)
    elif not (path / "meta.json").exists():
        from rag.errors import IndexNotFoundError

        raise IndexNotFoundError(f"The keyword index {path} is missing: run "
                                 "`rag index --rebuild`.")
    return tantivy.Index(_schema(), path=str(path), reuse=True)


class KeywordWriter:
    """Adds and deletes chunks of one keyword index; nothing is visible before commit()."""

    def __init__(self, path: Path):
        self.index = _open(path, create=True)
        self.writer = self.index.writer(WRITER_HEAP, 1)

    def add(self, chunks: Iterable[Document]) -> int:
        import tantivy

        n = 0
        for doc in chunks:
            meta = doc.metadata
            self.writer.add_document(tantivy.Document(
                id=doc.id, source=meta["source"], hash=meta["hash"],
                version=_version(meta["source"], meta["hash"]),
                body=" ".join(tokenize(keyword_text(doc)))))
            n += 1
        return n

    def delete_ids(self, ids: Iterable[str]) -> None:
        for cid in ids:
            self.writer.delete_documents_by_term("id", cid)

    def delete_version(self, source: str, digest: str) -> None:
        """Delete every chunk of one version of a file."""
        self.writer.delete_documents_by_term("version", _version(source, digest))

    def commit(self) -> None:
        self.writer.commit()
        self.writer.wait_merging_threads()  # the writer is done: let merges finish, unlock
        self.writer = None

    def rollback(self) -> None:
        if self.writer is not None:
            self.writer.rollback()
            self.writer.wait_merging_threads()
            self.writer = None


def count(path: Path) -> int:
    """Chunks in a keyword index, live or not (for tests and orphan checks)."""
    index = _open(path, create=False)
    return index.searcher().num_docs


def prune(index_dir: Path, keep: set[str], owned: Callable[[str], bool]) -> None:
    """Remove keyword indexes of this index's collections that are no longer live.

    Args:
        keep: collection names whose keyword index stays.
        owned: whether a collection name belongs to this index (others share index_dir).
    """
    root = index_dir / "keyword"
    if root.is_dir():
        for child in root.iterdir():
            if owned(child.name) and child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)


class KeywordIndex:
    """A keyword index opened for searching. `live` ({source: hash}, from the manifest)
    decides which chunks exist; `reload()` picks up what a sync committed since."""

    def __init__(self, path: Path, live: dict[str, str] | None = None,
                 counts: dict[str, int] | None = None):
        import tantivy

        self.index = _open(path, create=False)
        self.index.config_reader("Manual")  # reloaded when the manifest says so, not before
        self._query = tantivy.Query
        self._occur = tantivy.Occur
        self.live = live
        self.counts = counts
        self.reload()

    def reload(self, live: dict[str, str] | None = None,
               counts: dict[str, int] | None = None) -> None:
        self.index.reload()
        self.searcher = self.index.searcher()
        if live is not None:
            self.live, self.counts = live, counts

    @property
    def n_docs(self) -> int:
        """How many live chunks there are."""
        if self.counts is not None:
            return sum(self.counts.values())
        return self.searcher.num_docs

    @property
    def ids(self) -> Sequence[str]:
        """The live chunk ids. Its length is cheap (emptiness checks); reading them reads
        every stored id."""
        return _LazyIds(self)

    @property
    def sources(self) -> list[str]:
        """The source of each live chunk (one entry per chunk)."""
        return [src for _, src in self._all()]

    def _all(self) -> list[tuple[str, str]]:
        n = self.searcher.num_docs
        if not n:
            return []
        hits = self.searcher.search(self._query.all_query(), limit=n).hits
        out = []
        for _, addr in hits:
            doc = self.searcher.doc(addr)
            if self._visible(doc):
                out.append((doc["id"][0], doc["source"][0]))
        return out

    def _visible(self, doc) -> bool:
        return self.live is None or self.live.get(doc["source"][0]) == doc["hash"][0]

    def holds(self, term: str, source: str) -> bool:
        """Whether a live chunk of a file holds a (stemmed) term."""
        q, occ = self._query, self._occur
        parts = [(occ.Must, q.term_query(_schema(), "body", term)),
                 (occ.Must, q.term_query(_schema(), "source", source))]
        if self.live is not None:
            if source not in self.live:
                return False
            parts.append((occ.Must, q.term_query(_schema(), "version",
                                                 _version(source, self.live[source]))))
        return self.searcher.search(q.boolean_query(parts), limit=1, count=True).count > 0

    def doc_freq(self, term: str) -> int:
        """How many indexed chunks hold a (stemmed) term."""
        return int(self.searcher.doc_freq("body", term))

    def source_of(self, chunk_id: str) -> str:
        """The source file of an indexed chunk."""
        q = self._query.term_query(_schema(), "id", chunk_id)
        hits = self.searcher.search(q, limit=1).hits
        if not hits:
            raise KeyError(chunk_id)
        return self.searcher.doc(hits[0][1])["source"][0]

    def search(self, query: str, k: int, sources: list[str] | None = None
               ) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the k best live chunks, best first."""
        return [(cid, score) for cid, _, score in self.hits(query, k, sources)]

    def hits(self, query: str, k: int, sources: list[str] | None = None
             ) -> list[tuple[str, str, float]]:
        """(chunk id, source, BM25 score) of the k best live chunks, best first."""
        terms = tokenize(query)
        if k <= 0 or not terms:
            return []
        q, occ = self._query, self._occur
        text = q.boolean_query([(occ.Should, q.term_query(_schema(), "body", t))
                                for t in terms])
        if sources:
            only = q.const_score_query(q.term_set_query(_schema(), "source", list(sources)), 0.0)
            text = q.boolean_query([(occ.Must, text), (occ.Must, only)])
        limit = k
        while True:  # rows that are not live are dropped: ask for more until k remain
            got = self.searcher.search(text, limit=limit, count=False).hits
            out = []
            for score, addr in got:
                doc = self.searcher.doc(addr)
                if self._visible(doc) and score > 0:
                    out.append((doc["id"][0], doc["source"][0], float(score)))
            if len(out) >= k or len(got) < limit:
                return out[:k]
            limit *= 2


class _LazyIds(Sequence):
    """KeywordIndex.ids: len() from the counts, the ids themselves read on first use."""

    def __init__(self, index: KeywordIndex):
        self._index, self._ids = index, None

    def __len__(self) -> int:
        return self._index.n_docs

    def __getitem__(self, i):
        if self._ids is None:
            self._ids = [cid for cid, _ in self._index._all()]
        return self._ids[i]
