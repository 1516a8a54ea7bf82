"""Store: the Chroma side of the index (local folder or `chroma run` server), behind one class.

Only Chroma calls live here. What is live is decided by the manifest (rag/index/manifest.py): an
index has one live collection `<prefix>-<stamp>`, updated in place by syncs; a full build
(`rag index --rebuild`, or the first sync) writes a new one, which the manifest flips to.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from rag.config import Settings
from rag.errors import RagError

PAGE = 2000  # rows per Chroma get/add call (Chroma caps batch sizes)
_NULLABLE = ("page", "title", "authors")


def _client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.is_remote:
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                       settings=chroma_settings)
        except Exception as exc:  # chromadb raises bare ValueError/ConnectionError here
            raise RagError(f"Cannot reach the Chroma server at {settings.chroma_host}:"
                           f"{settings.chroma_port} ({exc}). Start it with `chroma run --path "
                           "DIR --host 127.0.0.1 --port N` or unset RAG_CHROMA_HOST.") from exc
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def _to_metadata(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if v is not None and k != "id"}


def _documents(got: dict) -> list[Document]:
    """The rows of a Chroma get() result as Documents."""
    return [Document(id=cid, page_content=text, metadata=_from_metadata(meta))
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"])]


def _from_metadata(meta: dict | None) -> dict:
    meta = dict(meta or {})
    for key in _NULLABLE:
        meta.setdefault(key, None)
    return meta


class ChunkStore:
    """The chunk collections of one index (which one is live is the manifest's business)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.prefix = settings.collection
        self.client = _client(settings)
        self._handles: dict = {}

    # -- reading ---------------------------------------------------------------------------
    def _collection(self, name: str):
        if name not in self._handles:  # a handle per collection: lookups cost a round trip
            self._handles[name] = self.client.get_collection(name, embedding_function=None)
        return self._handles[name]

    def exists(self, name: str) -> bool:
        try:
            self._collection(name)
            return True
        except Exception:  # chromadb raises NotFoundError/ValueError by version
            return False

    def count(self, name: str) -> int:
        return self._collection(name).count()

    def ids(self, name: str) -> set[str]:
        return {cid for got in self._pages(name, []) for cid in got["ids"]}

    def present(self, name: str, ids: list[str]) -> set[str]:
        """Which of these ids the collection holds."""
        col, out = self._collection(name), set()
        for i in range(0, len(ids), PAGE):
            out.update(col.get(ids=ids[i:i + PAGE], include=[])["ids"])
        return out

    def version_ids(self, name: str, source: str, digest: str) -> set[str]:
        """Ids of the rows of one version of a file."""
        got = self._collection(name).get(
            where={"$and": [{"source": source}, {"hash": digest}]}, include=[])
        return set(got["ids"])

    def documents(self, name: str, source: str | None = None) -> Iterator[Document]:
        """Every row of a collection (or of one source file) as a Document, live or not
        (see rag.index.manifest)."""
        where = {"source": source} if source is not None else None
        for got in self._pages(name, ["documents", "metadatas"], where):
            yield from _documents(got)

    def everything(self, name: str) -> tuple[list[Document], np.ndarray]:
        """Every row of a collection and its stored vector (one row each), for exact search."""
        docs, vectors = [], []
        for got in self._pages(name, ["documents", "metadatas", "embeddings"]):
            docs += _documents(got)
            vectors.append(np.asarray(got["embeddings"], dtype=np.float32))
        return docs, (np.concatenate(vectors) if vectors else np.zeros((0, 0), np.float32))

    def _pages(self, name: str, include: list[str], where: dict | None = None) -> Iterator[dict]:
        """A collection's rows, PAGE at a time (Chroma caps how many one call returns)."""
        col, offset = self._collection(name), 0
        while (got := col.get(include=include, limit=PAGE, offset=offset, where=where))["ids"]:
            yield got
            offset += len(got["ids"])

    def get(self, name: str, ids: list[str]) -> list[Document]:
        got = self._collection(name).get(ids=ids, include=["documents", "metadatas"])
        by_id = {d.id: d for d in _documents(got)}
        return [by_id[i] for i in ids if i in by_id]

    def vectorstore(self, name: str, embeddings: Embeddings):
        """A langchain-chroma vector store over one collection (for dense search)."""
        from langchain_chroma import Chroma

        return Chroma(client=self.client, collection_name=name, embedding_function=embeddings,
                      create_collection_if_not_exists=False)

    def search(self, name: str, vector: list[float], k: int,
               where: dict | None = None) -> list[tuple[Document, float]]:
        """Nearest rows to a query vector, as (Document, cosine similarity), best first."""
        col = self._collection(name)
        got = col.query(query_embeddings=[vector], n_results=k, where=where,
                        include=["documents", "metadatas", "distances"])
        return [(Document(id=cid, page_content=t, metadata=_from_metadata(m)), 1.0 - d)
                for cid, t, m, d in zip(got["ids"][0], got["documents"][0],
                                        got["metadatas"][0], got["distances"][0])]

    # -- writing ---------------------------------------------------------------------------
    def create(self) -> str:
        """A new, empty build collection of this index; its name."""
        name = f"{self.prefix}-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self.client.create_collection(name, embedding_function=None,
                                      configuration={"hnsw": {"space": "cosine"}})
        return name

    def add(self, name: str, docs: list[Document], vectors: list[list[float]]) -> None:
        col = self._collection(name)
        for i in range(0, len(docs), PAGE):
            part = docs[i:i + PAGE]
            col.upsert(ids=[d.id for d in part], embeddings=vectors[i:i + PAGE],
                       documents=[d.page_content for d in part],
                       metadatas=[_to_metadata(d.metadata) for d in part])

    def delete(self, name: str, ids: list[str]) -> None:
        col = self._collection(name)
        for i in range(0, len(ids), PAGE):
            col.delete(ids=ids[i:i + PAGE])

    def delete_version(self, name: str, source: str, digest: str) -> None:
        """Delete every row of one version of a file (ids unknown: a killed sync's rows)."""
        self._collection(name).delete(where={"$and": [{"source": source}, {"hash": digest}]})

    def drop(self, name: str) -> None:
        self._handles.pop(name, None)
        try:
            self.client.delete_collection(name)
        except Exception:  # already gone: nothing to do
            pass
        if not self.settings.is_remote:
            sweep_segments(self.settings.chroma_dir)

    def drop_orphans(self, keep: set[str]) -> list[str]:
        """Delete build collections of this prefix that are not in `keep`."""
        dropped = []
        for col in self.client.list_collections():
            name = getattr(col, "name", col)
            if is_build(self.prefix, name) and name not in keep:
                self.drop(name)
                dropped.append(name)
        return dropped


_SEGMENT_DIR = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def sweep_segments(chroma_dir: Path) -> list[str]:
    """Remove the vector index folders of deleted collections from a local Chroma folder.

    Chroma 1.x deletes a collection's rows but leaves its HNSW folder (`<segment id>/`) on
    disk (chroma-core/chroma#5259), so every rebuild would leave the old index behind. A
    folder named like a segment id that no segment of chroma.sqlite3 lists is removed; if
    the list cannot be read, nothing is.
    """
    try:
        db = sqlite3.connect(f"file:{chroma_dir / 'chroma.sqlite3'}?mode=ro", uri=True)
        try:
            known = {row[0] for row in db.execute("SELECT id FROM segments")}
        finally:
            db.close()
    except sqlite3.Error:
        return []
    removed = []
    for path in chroma_dir.iterdir():
        if path.is_dir() and _SEGMENT_DIR.fullmatch(path.name) and path.name not in known:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


def is_build(prefix: str, name: str) -> bool:
    """Whether `name` is a build collection of this prefix (`open_staging` names them).

    A bare prefix match would also claim another index's collections: prefix "docs"
    must not drop "docs-old-pointer".
    """
    return re.fullmatch(re.escape(prefix) + r"-\d{14}-[0-9a-f]{6}", name) is not None
