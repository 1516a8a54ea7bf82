"""Keyword index: BM25 (bm25s) over the chunks of one Chroma collection, saved beside it.

It is built once per `rag index` sync into a folder named after the collection it mirrors,
so it switches over together with the Chroma pointer and is never rebuilt per query.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.documents import Document

from rag.chunking import keyword_text


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: Snowball English, as classic BM25 baselines use

    return Stemmer.Stemmer("english").stemWords


def tokenize(texts: list[str], return_ids: bool = True):
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False,
                          return_ids=return_ids)


def keyword_dir(index_dir: Path, collection: str) -> Path:
    return index_dir / "bm25" / collection


def build(docs: Iterable[Document], path: Path) -> int:
    """Index the chunks' text with BM25 and save it (with the chunk ids and sources) to path.

    Returns:
        How many chunks were indexed.
    """
    import bm25s

    ids, sources, texts = [], [], []
    for doc in docs:
        ids.append(doc.id)
        sources.append(doc.metadata["source"])
        texts.append(keyword_text(doc))
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if texts:
        retriever = bm25s.BM25()
        retriever.index(tokenize(texts), show_progress=False)
        retriever.save(str(tmp))
    (tmp / "chunks.json").write_text(json.dumps({"ids": ids, "sources": sources}))
    shutil.rmtree(path, ignore_errors=True)
    tmp.rename(path)
    return len(ids)


def prune(index_dir: Path, keep: set[str], owned: Callable[[str], bool]) -> None:
    """Remove keyword indexes of this index's collections that are no longer live.

    Args:
        keep: collection names whose keyword index stays.
        owned: whether a collection name belongs to this index (others share index_dir).
    """
    root = index_dir / "bm25"
    if root.is_dir():
        for child in root.iterdir():
            name = child.name.removesuffix(".tmp")
            if owned(name) and child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)


class KeywordIndex:
    """A loaded BM25 index; `search` returns (chunk id, score) pairs, best first."""

    def __init__(self, path: Path):
        import bm25s

        meta = json.loads((path / "chunks.json").read_text())
        self.ids: list[str] = meta["ids"]
        self.sources = np.array(meta["sources"], dtype=object)
        self.bm25 = bm25s.BM25.load(str(path)) if self.ids else None
        self._position: dict[str, int] | None = None
        self._df = np.diff(self.bm25.scores["indptr"]) if self.bm25 is not None else None

    @property
    def n_docs(self) -> int:
        return len(self.ids)

    def doc_freq(self, term: str) -> int:
        """How many indexed chunks hold a (stemmed) term."""
        if self.bm25 is None or term not in self.bm25.vocab_dict:
            return 0
        return int(self._df[self.bm25.vocab_dict[term]])

    def source_of(self, chunk_id: str) -> str:
        """The source file of an indexed chunk."""
        if self._position is None:
            self._position = {cid: i for i, cid in enumerate(self.ids)}
        return str(self.sources[self._position[chunk_id]])

    def search(self, query: str, k: int, sources: list[str] | None = None
               ) -> list[tuple[str, float]]:
        if self.bm25 is None or k <= 0:
            return []
        tokens = [t for t in tokenize([query], return_ids=False)[0] if t in self.bm25.vocab_dict]
        if not tokens:
            return []
        mask = None
        if sources:
            mask = np.isin(self.sources, sources).astype(np.float32)
        k = min(k, len(self.ids))
        docs, scores = self.bm25.retrieve([tokens], k=k, show_progress=False, weight_mask=mask)
        return [(self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
