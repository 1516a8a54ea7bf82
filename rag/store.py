"""Store: the Chroma side of the index (local folder or `chroma run` server), behind one class.

Layout: every build goes into its own collection `<prefix>-<stamp>`; a tiny pointer
collection `<prefix>-pointer` holds, in its metadata, which collection is active and which
(if any) is being built. Readers only ever open the active one, so a build in progress or a
build killed half-way is never seen; switching is one metadata write.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from rag.config import Settings
from rag.errors import IndexMismatchError, IndexNotFoundError, RagError

PAGE = 2000  # rows per Chroma get/add call (Chroma caps batch sizes)
_NULLABLE = ("page", "title")


@dataclass
class FileRecord:
    """What the index holds for one source file."""

    hash: str
    indexed_at: float
    ids: list[str] = field(default_factory=list)


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


def _from_metadata(meta: dict | None) -> dict:
    meta = dict(meta or {})
    for key in _NULLABLE:
        meta.setdefault(key, None)
    return meta


class ChunkStore:
    """The chunk collections of one index, and the pointer that says which one is live."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.prefix = settings.collection
        self.client = _client(settings)
        self._handles: dict = {}
        self._pointer = self.client.get_or_create_collection(
            f"{self.prefix}-pointer", embedding_function=None)

    # -- the pointer ---------------------------------------------------------------------
    def state(self) -> dict:
        """{"active": name|None, "staging": name|None, "config": {...}, "built_at": float}."""
        self._pointer = self.client.get_collection(f"{self.prefix}-pointer",
                                                   embedding_function=None)
        raw = (self._pointer.metadata or {}).get("state")
        return json.loads(raw) if raw else {"active": None, "staging": None}

    def _save_state(self, state: dict) -> None:
        self._pointer.modify(metadata={"state": json.dumps(state)})

    def active(self, config: dict | None = None) -> str:
        """Name of the live collection.

        Raises:
            IndexNotFoundError: nothing was indexed yet.
            IndexMismatchError: `config` differs from what built the index.
        """
        state = self.state()
        if not state.get("active"):
            raise IndexNotFoundError("There is no index yet: run `rag index` first.")
        if config is not None:
            check_config(state.get("config", {}), config)
        return state["active"]

    # -- reading ---------------------------------------------------------------------------
    def _collection(self, name: str):
        if name not in self._handles:  # a handle per collection: lookups cost a round trip
            self._handles[name] = self.client.get_collection(name, embedding_function=None)
        return self._handles[name]

    def count(self, name: str) -> int:
        return self._collection(name).count()

    def ids(self, name: str) -> set[str]:
        col, out, offset = self._collection(name), set(), 0
        while batch := col.get(include=[], limit=PAGE, offset=offset)["ids"]:
            out.update(batch)
            offset += len(batch)
        return out

    def manifest(self, name: str | None) -> dict[str, FileRecord]:
        """Per source file: its content hash, when it was indexed, and its chunk ids."""
        files: dict[str, FileRecord] = {}
        if not name:
            return files
        col, offset = self._collection(name), 0
        while True:
            got = col.get(include=["metadatas"], limit=PAGE, offset=offset)
            if not got["ids"]:
                return files
            for cid, meta in zip(got["ids"], got["metadatas"]):
                rec = files.setdefault(meta["source"],
                                       FileRecord(meta["hash"], meta.get("indexed_at", 0.0)))
                rec.ids.append(cid)
            offset += len(got["ids"])

    def documents(self, name: str, source: str | None = None) -> Iterator[Document]:
        """Every chunk of a collection (or of one source file) as a Document."""
        col, offset = self._collection(name), 0
        where = {"source": source} if source is not None else None
        while True:
            got = col.get(include=["documents", "metadatas"], limit=PAGE, offset=offset,
                          where=where)
            if not got["ids"]:
                return
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
                yield Document(id=cid, page_content=text, metadata=_from_metadata(meta))
            offset += len(got["ids"])

    def get(self, name: str, ids: list[str]) -> list[Document]:
        got = self._collection(name).get(ids=ids, include=["documents", "metadatas"])
        by_id = {cid: Document(id=cid, page_content=t, metadata=_from_metadata(m))
                 for cid, t, m in zip(got["ids"], got["documents"], got["metadatas"])}
        return [by_id[i] for i in ids if i in by_id]

    def vectorstore(self, name: str, embeddings: Embeddings):
        """A langchain-chroma vector store over one collection (for dense search)."""
        from langchain_chroma import Chroma

        return Chroma(client=self.client, collection_name=name, embedding_function=embeddings,
                      create_collection_if_not_exists=False)

    def search(self, name: str, vector: list[float], k: int,
               where: dict | None = None) -> list[tuple[Document, float]]:
        """Nearest chunks to a query vector, as (Document, cosine similarity), best first."""
        col = self._collection(name)
        got = col.query(query_embeddings=[vector], n_results=k, where=where,
                        include=["documents", "metadatas", "distances"])
        return [(Document(id=cid, page_content=t, metadata=_from_metadata(m)), 1.0 - d)
                for cid, t, m, d in zip(got["ids"][0], got["documents"][0],
                                        got["metadatas"][0], got["distances"][0])]

    # -- writing ---------------------------------------------------------------------------
    def open_staging(self, config: dict, fresh: bool) -> str:
        """The collection a build writes into: the one a killed build left, or a new one."""
        state = self.state()
        staging = state.get("staging")
        if staging and (fresh or state.get("staging_config") != config):
            self.drop(staging)
            staging = None
        if staging:
            try:
                self._collection(staging)
                return staging
            except Exception:  # vanished (dropped by hand): start a new one
                pass
        staging = f"{self.prefix}-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self.client.create_collection(staging, embedding_function=None,
                                      configuration={"hnsw": {"space": "cosine"}})
        self._save_state({**state, "staging": staging, "staging_config": config})
        return staging

    def add(self, name: str, docs: list[Document], vectors: list[list[float]]) -> None:
        col = self._collection(name)
        for i in range(0, len(docs), PAGE):
            part = docs[i:i + PAGE]
            col.upsert(ids=[d.id for d in part], embeddings=vectors[i:i + PAGE],
                       documents=[d.page_content for d in part],
                       metadatas=[_to_metadata(d.metadata) for d in part])

    def copy(self, src: str, dst: str, ids: list[str]) -> None:
        """Copy chunks, vectors included, from one collection to another (no re-embedding)."""
        source, target = self._collection(src), self._collection(dst)
        for i in range(0, len(ids), PAGE):
            got = source.get(ids=ids[i:i + PAGE],
                             include=["embeddings", "documents", "metadatas"])
            if got["ids"]:
                target.upsert(ids=got["ids"], embeddings=got["embeddings"],
                              documents=got["documents"], metadatas=got["metadatas"])

    def delete(self, name: str, ids: list[str]) -> None:
        col = self._collection(name)
        for i in range(0, len(ids), PAGE):
            col.delete(ids=ids[i:i + PAGE])

    def commit(self, staging: str, config: dict) -> str | None:
        """Make `staging` the live collection (one atomic write); return the old one."""
        state = self.state()
        old = state.get("active")
        self._save_state({"active": staging, "staging": None, "config": config,
                          "built_at": time.time()})
        return old

    def drop(self, name: str) -> None:
        self._handles.pop(name, None)
        try:
            self.client.delete_collection(name)
        except Exception:  # already gone: nothing to do
            pass

    def drop_orphans(self) -> list[str]:
        """Delete collections of this prefix that are neither live nor being built."""
        state = self.state()
        keep = {state.get("active"), state.get("staging"), f"{self.prefix}-pointer"}
        dropped = []
        for col in self.client.list_collections():
            name = getattr(col, "name", col)
            if is_build(self.prefix, name) and name not in keep:
                self.drop(name)
                dropped.append(name)
        return dropped


def is_build(prefix: str, name: str) -> bool:
    """Whether `name` is a build collection of this prefix (`open_staging` names them).

    A bare prefix match would also claim another index's collections: prefix "docs"
    must not drop "docs-old-pointer".
    """
    return re.fullmatch(re.escape(prefix) + r"-\d{14}-[0-9a-f]{6}", name) is not None


def check_config(built: dict, wanted: dict) -> None:
    """Raise IndexMismatchError when the index was built with other model/chunk settings."""
    diffs = [f"{k}: index has {built.get(k)!r}, settings say {v!r}"
             for k, v in wanted.items() if built.get(k) != v]
    if diffs:
        raise IndexMismatchError(
            "The index was built with other settings (" + "; ".join(diffs) + "). "
            "Rebuild it with `rag index --rebuild`, or change the settings back.")
