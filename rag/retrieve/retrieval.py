"""Retrieval: dense (Chroma) + keyword (BM25) search fused by reciprocal rank fusion."""

from __future__ import annotations

import re
import threading
from typing import Literal

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag.index import keyword
from rag.config import Settings
from rag.embeddings import QUERY_BATCH, query_embeddings
from rag.index.indexer import index_config, settled
from rag.index.manifest import Manifest
from rag.index.store import ChunkStore

Mode = Literal["hybrid", "dense", "bm25"]
# Fusion parameters, chosen on SciFact (benchmarks/bench_retrieval.py; there is no dev
# split, so this is the test set): RRF constant 10, 50 candidates from each retriever, and a
# document-level term of weight 2, so chunks of files that both retrievers rank high rise.
# With one source file the document term is the same for every chunk and changes nothing.
RRF_K = 10
FETCH_K = 50
DOC_WEIGHT = 2.0


class IndexReader:
    """The live index as seen by readers. Per query it reads the manifest's generation (one
    small SQLite read); when a sync has flipped since, it reloads the live file versions and
    the keyword index, so a finished sync is picked up at once while a running one is never
    seen. Hits whose file version is not live are dropped (see rag.index.manifest)."""

    def __init__(self, settings: Settings, exact: bool = False):
        settings = settled(settings)  # auto: the precision the index was built with
        self.settings = settings
        self.exact = exact  # dense search by brute force instead of Chroma's HNSW (below)
        self._everything: tuple | None = None
        self.manifest = Manifest(settings.index_dir, settings.collection)
        self._store: ChunkStore | None = None
        self.embeddings: Embeddings = query_embeddings(QUERY_BATCH,
                                                       settings.embed_precision)
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._name: str | None = None
        self._keyword: keyword.KeywordIndex | None = None
        self.live: dict[str, str] = {}
        self.pending = 0

    @property
    def store(self) -> ChunkStore:
        if self._store is None:
            self._store = ChunkStore(self.settings)
        return self._store

    def current(self) -> tuple[str, keyword.KeywordIndex]:
        """(live collection name, its keyword index, showing live chunks only).

        Raises:
            IndexNotFoundError, IndexMismatchError: see Manifest.live.
        """
        generation, pending = self.manifest.version()
        with self._lock:
            self.pending = pending
            if generation != self._generation or self._keyword is None:
                name, live, counts = self.manifest.live(index_config(self.settings))
                if name != self._name or self._keyword is None:
                    path = keyword.keyword_dir(self.settings.index_dir, name)
                    self._keyword = keyword.KeywordIndex(path, live, counts)
                else:
                    self._keyword.reload(live, counts)
                self._name, self.live, self._generation = name, live, generation
                self._everything = None
            return self._name, self._keyword

    def search(self, name: str, vector: list[float], k: int,
               sources: list[str] | None = None) -> list[tuple[Document, float]]:
        """The k nearest chunks to a query vector, as (Document, cosine), best first.

        Chroma's HNSW search is approximate, and its graph is not the same from one process
        to the next (the tail of a long result list can change on restart). With `exact`, the
        collection's vectors are read once and searched by brute force: the same results in
        every process, for a collection small enough to hold in memory (the answerability
        training uses it, so that it reproduces its file; the app keeps HNSW).
        """
        if not self.exact:
            where = {"source": {"$in": list(sources)}} if sources else None
            return self.store.search(name, vector, k, where)
        with self._lock:
            if self._everything is None or self._everything[0] != name:
                self._everything = (name, *self.store.everything(name))
            _, docs, matrix = self._everything
        if not docs:
            return []
        scores = matrix @ np.asarray(vector, dtype=np.float32)
        if sources:
            keep = set(sources)
            scores = np.where([d.metadata["source"] in keep for d in docs], scores, -np.inf)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(Document(id=docs[i].id, page_content=docs[i].page_content,
                          metadata=dict(docs[i].metadata)), float(scores[i]))
                for i in order if np.isfinite(scores[i])]

    def is_live(self, doc: Document) -> bool:
        """Whether a row of the store belongs to a file version the manifest lists."""
        return self.live.get(doc.metadata.get("source")) == doc.metadata.get("hash")

    def chunks_of(self, source: str) -> list[Document]:
        """Every chunk of one indexed file, in reading order (page, then offset)."""
        name, _ = self.current()
        return sorted((d for d in self.store.documents(name, source) if self.is_live(d)),
                      key=lambda d: (d.metadata.get("page") or 0, d.metadata["start"]))

    def first_mention(self, source: str, term: str) -> Document | None:
        """The first chunk of a file, in reading order, holding every word of a term (at a
        word's start, any case): where the document brings it in, and usually defines it."""
        wanted = [re.compile(rf"\b{re.escape(w)}", re.I) for w in re.findall(r"\w+", term)]
        if not wanted:
            return None
        return next((c for c in self.chunks_of(source)
                     if all(w.search(c.page_content) for w in wanted)), None)

    def sources(self) -> dict[str, int]:
        """Indexed files and their chunk counts."""
        _, kw = self.current()
        return dict(sorted((kw.counts or {}).items()))


def rrf(rankings: list[list[str]], k: int = RRF_K) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: ids ordered by sum of 1/(k + rank) over the rankings."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking, start=1):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: kv[1], reverse=True)


def fuse(rankings: list[list[str]], source_of: dict[str, str], k: int = RRF_K,
         doc_weight: float = DOC_WEIGHT) -> list[tuple[str, float]]:
    """RRF over chunks plus `doc_weight` x RRF over the files those chunks come from
    (each ranking collapsed to its files in order of their best chunk)."""
    chunk_scores = dict(rrf(rankings, k))
    files = [list(dict.fromkeys(source_of[c] for c in ranking)) for ranking in rankings]
    file_scores = dict(rrf(files, k))
    scores = {c: s + doc_weight * file_scores[source_of[c]] for c, s in chunk_scores.items()}
    return sorted(scores.items(), key=lambda kv: kv[1], reverse=True)


class HybridRetriever(BaseRetriever):
    """Top-k chunks for a query; metadata gains `score`, `dense_rank`, `bm25_rank`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    reader: IndexReader
    k: int = 5
    sources: list[str] | None = None
    mode: Mode = "hybrid"
    fetch_k: int = FETCH_K

    def _get_relevant_documents(self, query: str, *,
                                run_manager: CallbackManagerForRetrieverRun | None = None
                                ) -> list[Document]:
        name, kw = self.reader.current()
        fetch = max(self.fetch_k, self.k)
        dense: list[tuple[Document, float]] = []
        bm25: list[tuple[str, str, float]] = []
        if self.mode in ("hybrid", "dense"):
            vector = self.reader.embeddings.embed_query(query)
            # rows of a sync in progress (or killed) are not live: fetch extra to drop them
            extra = fetch if self.reader.pending else 0
            dense = [(d, s) for d, s in self.reader.search(name, vector, fetch + extra,
                                                           self.sources)
                     if self.reader.is_live(d)][:fetch]
        if self.mode in ("hybrid", "bm25"):
            bm25 = kw.hits(query, fetch, self.sources)
        dense_ids = [d.id for d, _ in dense]
        bm25_ids = [cid for cid, _, _ in bm25]
        source_of = {d.id: d.metadata["source"] for d, _ in dense}
        source_of.update((cid, source) for cid, source, _ in bm25)
        fused = fuse([r for r in (dense_ids, bm25_ids) if r], source_of)[: self.k]
        docs = {d.id: d for d, _ in dense}
        missing = [cid for cid, _ in fused if cid not in docs]
        docs.update({d.id: d for d in self.reader.store.get(name, missing)} if missing else {})
        dense_rank = {cid: i for i, cid in enumerate(dense_ids, 1)}
        bm25_rank = {cid: i for i, cid in enumerate(bm25_ids, 1)}
        out = []
        for cid, score in fused:
            doc = docs[cid]
            doc.metadata.update(score=score, dense_rank=dense_rank.get(cid),
                                bm25_rank=bm25_rank.get(cid))
            out.append(doc)
        return out
