"""Indexer: make the index equal to the sources folder, incrementally and atomically.

A sync diffs the folder against the live index by content hash, then builds the next
collection: unchanged files' chunks are copied over with their vectors, new and changed
files are chunked and embedded, and only when everything (keyword index included) is in
place does the pointer switch. A killed sync leaves its half-built collection behind; the
next sync picks it up and embeds only what is still missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout
from langchain_core.documents import Document

from rag import keyword
from rag.chunking import chunk_documents
from rag.config import Settings
from rag.embeddings import MAX_TOKENS, count_tokens, get_embeddings, model_id
from rag.errors import IndexBusyError, LoadError, RagError
from rag.loaders import load_file, skipped_pages
from rag.pdf import ENGINE as PDF_ENGINE
from rag.store import ChunkStore, FileRecord, check_config, is_build

Progress = Callable[[int, int, int], None]  # (bytes done, bytes total, chunks embedded)
OcrProgress = Callable[[str, int, int], None]  # (source, page, pages) before an OCR'd page
# chunks gathered per embedding call and Chroma write, as a multiple of the model's batch:
# large enough for the model to sort by length, small enough that a killed sync keeps most
# of its work in the staging collection
WRITE_BATCHES = 8


@dataclass
class Failure:
    source: str
    reason: str


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    # pages left out of files that were indexed (scanned pages without Tesseract)
    skipped: list[Failure] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0

    def summary(self) -> dict:
        """The figures `rag index --json` prints, exactly these keys."""
        return {"added": len(self.added), "changed": len(self.changed),
                "removed": len(self.removed), "unchanged": len(self.unchanged),
                "failed": len(self.failed), "chunks": self.chunks,
                "seconds": round(self.seconds, 3)}


def index_config(settings: Settings) -> dict:
    """What must match between the index and the settings that query or extend it."""
    return {"embedding": model_id(), "chunk_size": settings.chunk_size,
            "chunk_overlap": settings.chunk_overlap, "keyword_context": "title-v1",
            "pdf_text": PDF_ENGINE}


def ocr_dir(settings: Settings) -> Path:
    """Where OCR results are kept, so a highlight reads the text that was indexed."""
    return settings.index_dir / "ocr"


def scan_sources(root: Path) -> tuple[dict[str, Path], list[Failure]]:
    """Every candidate file under root by its relative path; hidden files are ignored.

    Symlinks are followed only when they resolve inside root; anything that is not a
    regular file (FIFO, device, dangling link) is reported as a failure, never opened.
    """
    files, failures = {}, []
    if not root.is_dir():
        return files, failures
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(real_root):
                    failures.append(Failure(rel, f"{rel}: symlink points outside the sources "
                                                 "folder; not followed."))
                    continue
            if not path.is_file():  # reading a FIFO or device would block or never end
                failures.append(Failure(rel, f"{rel}: not a regular file (a pipe, device or "
                                             "broken link); skipped."))
                continue
            files[rel] = path
    return files, failures


def hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class IndexLock:
    """One `rag index` at a time per index folder (released by the OS if the process dies)."""

    def __init__(self, index_dir: Path):
        index_dir.mkdir(parents=True, exist_ok=True)
        self.path = index_dir / ".lock"
        self._lock = FileLock(self.path, timeout=0)

    def __enter__(self):
        try:
            self._lock.acquire()
        except Timeout as exc:
            raise IndexBusyError(
                f"Another `rag index` is already running on {self.path.parent} "
                "(it holds the lock). Wait for it to finish, then run again.") from exc
        return self

    def __exit__(self, *exc):
        self._lock.release()


class _Build:
    """State of one sync while it writes the staging collection."""

    def __init__(self, settings: Settings, store: ChunkStore, staging: str, progress,
                 total: int, on_ocr: OcrProgress | None = None):
        self.settings, self.store, self.staging = settings, store, staging
        self.total = total
        self.present = store.ids(staging)
        self.target: set[str] = set()
        self.embeddings = get_embeddings(settings.embed_batch_size)
        self.progress = progress
        self.embedded = 0
        self.pending: list[Document] = []
        self.to_copy: list[str] = []
        self.on_ocr = on_ocr
        self.skipped: list[Failure] = []

    def keep(self, record: FileRecord) -> None:
        """Carry an unchanged file's chunks over from the live collection (see copy_kept)."""
        self.to_copy.extend(i for i in record.ids if i not in self.present)
        self.target.update(record.ids)

    def copy_kept(self, active: str | None) -> None:
        """Copy every kept chunk, vectors included, in a few large batches."""
        if self.to_copy and active:
            self.store.copy(active, self.staging, self.to_copy)
            self.present.update(self.to_copy)
        self.to_copy = []

    def embed_file(self, path: Path, source: str, done: int, size: int) -> None:
        """Load and chunk one file; its chunks join the pending batch, which is embedded
        and written a few model batches at a time across files (small files share batches)."""
        ocr = (lambda page, pages: self.on_ocr(source, page, pages)) if self.on_ocr else None
        docs = load_file(path, source, ocr_cache=ocr_dir(self.settings), on_ocr=ocr)
        self.skipped += [Failure(source, reason) for reason in skipped_pages(docs)]
        total_chars = sum(len(d.page_content) for d in docs) or 1
        now = time.time()
        for chunk in chunk_documents(docs, self.settings.chunk_size,
                                     self.settings.chunk_overlap, MAX_TOKENS, count_tokens):
            chunk.metadata["indexed_at"] = now
            self.target.add(chunk.id)
            if chunk.id not in self.present:
                self.pending.append(chunk)
            if len(self.pending) >= WRITE_BATCHES * self.settings.embed_batch_size:
                self.flush()
                seen = min(1.0, chunk.metadata["end"] / total_chars)
                self.progress(done + int(size * seen), self.total, self.embedded)

    def flush(self) -> None:
        """Embed the pending chunks (each distinct text once) and write them to staging."""
        batch, self.pending = self.pending, []
        if not batch:
            return
        unique = list(dict.fromkeys(d.page_content for d in batch))
        vectors = dict(zip(unique, self.embeddings.embed_documents(unique)))
        self.store.add(self.staging, batch, [vectors[d.page_content] for d in batch])
        self.present.update(d.id for d in batch)
        self.embedded += len(batch)


def _classify(files: dict[str, Path], old: dict[str, FileRecord], report: SyncReport
              ) -> tuple[dict[str, str], list[str]]:
    """Hash every file; fill added/changed/unchanged/removed; return {source: hash} to embed."""
    to_embed, unchanged = {}, []
    for source, path in files.items():
        try:
            digest = hash_file(path)
        except OSError as exc:
            report.failed.append(Failure(source, f"{source}: cannot read the file "
                                                 f"({exc.strerror})."))
            continue
        if source not in old:
            report.added.append(source)
            to_embed[source] = digest
        elif old[source].hash != digest:
            report.changed.append(source)
            to_embed[source] = digest
        else:
            unchanged.append(source)
    report.unchanged = unchanged
    report.removed = _removed(old, files, report)
    return to_embed, unchanged


def _removed(old: dict[str, FileRecord], files: dict[str, Path], report: SyncReport
             ) -> list[str]:
    """Indexed files that are gone; one that is there but failed keeps its chunks instead."""
    failed = {f.source for f in report.failed}
    return sorted(set(old) - set(files) - failed)


def sync(settings: Settings, rebuild: bool = False, progress: Progress | None = None,
         on_ocr: OcrProgress | None = None) -> SyncReport:
    """Make the index equal to the sources folder.

    Args:
        settings: where sources and index live, chunk sizes, Chroma server.
        rebuild: ignore the existing index and embed everything again.
        progress: called as progress(bytes_done, bytes_total, chunks_embedded).
        on_ocr: called as on_ocr(source, page, pages) before each page Tesseract reads.

    Returns:
        What changed, what failed (with reasons), the chunk count and the time taken.

    Raises:
        IndexBusyError: another sync is running.
        IndexMismatchError: the index was built with other settings (and not rebuild).
    """
    started = time.perf_counter()
    progress = progress or (lambda *_: None)
    config = index_config(settings)
    with IndexLock(settings.index_dir):
        store = ChunkStore(settings)
        state = store.state()
        active = state.get("active")
        if active and not rebuild:
            check_config(state.get("config", {}), config)
        if not settings.sources_dir.is_dir():  # a typo must not empty a good index
            raise RagError(f"The sources folder {settings.sources_dir} does not exist: create "
                           "it (or set RAG_SOURCES_DIR) and put documents in it.")
        files, failures = scan_sources(settings.sources_dir)
        old = store.manifest(active) if active else {}
        report = SyncReport(failed=failures)
        to_embed, unchanged = _classify(files, {} if rebuild else old, report)
        if rebuild:
            report.removed = _removed(old, files, report)
        nothing_to_do = not (to_embed or report.removed or rebuild or state.get("staging"))
        if active and nothing_to_do:
            report.chunks = sum(len(r.ids) for r in old.values())
        else:
            _build(settings, store, active, old, files, to_embed, unchanged, report, rebuild,
                   progress, on_ocr)
        report.skipped += _still_skipped(settings, set(report.unchanged))
        report.seconds = time.perf_counter() - started
        _save_report(settings, report)
        return report


def _build(settings, store, active, old, files, to_embed, unchanged, report, rebuild,
           progress, on_ocr=None) -> None:
    staging = store.open_staging(index_config(settings), fresh=rebuild)
    total = sum(files[s].stat().st_size for s in to_embed) or 1
    build = _Build(settings, store, staging, progress, total, on_ocr)
    for source in unchanged:
        build.keep(old[source])
    failed_sources = {f.source for f in report.failed}
    for source in failed_sources & set(old):  # unreadable now: keep what we had
        build.keep(old[source])
    build.copy_kept(active)
    done = 0
    for source in sorted(to_embed):
        size = files[source].stat().st_size
        try:
            build.embed_file(files[source], source, done, size)
        except LoadError as exc:
            report.failed.append(Failure(source, str(exc)))
            for bucket in (report.added, report.changed):
                if source in bucket:
                    bucket.remove(source)
            if source in old and not rebuild:
                build.keep(old[source])  # a broken new version must not lose the old
        done += size
        progress(done, total, build.embedded)
    build.flush()
    build.copy_kept(active)
    progress(total, total, build.embedded)
    stale = list(build.present - build.target)
    store.delete(staging, stale)
    keyword.build(store.documents(staging), keyword.keyword_dir(settings.index_dir, staging))
    previous = store.commit(staging, index_config(settings))
    if previous and previous != staging:
        store.drop(previous)
    store.drop_orphans()
    keyword.prune(settings.index_dir, {staging}, lambda name: is_build(store.prefix, name))
    report.chunks = len(build.target)
    report.embedded = build.embedded
    failed = {f.source for f in report.failed}
    report.skipped = [s for s in build.skipped if s.source not in failed]


def _still_skipped(settings: Settings, unchanged: set[str]) -> list[Failure]:
    """Pages the last sync left out of files that are unchanged since: still left out."""
    try:
        data = json.loads((settings.index_dir / "last_sync.json").read_text())
        return [Failure(f["source"], f["reason"]) for f in data.get("skipped", [])
                if f["source"] in unchanged]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _save_report(settings: Settings, report: SyncReport) -> None:
    """Keep the last sync's outcome (failures with reasons) for `rag status` and the UI."""
    data = {**report.summary(), "finished_at": time.time(),
            "failures": [asdict(f) for f in report.failed],
            "skipped": [asdict(f) for f in report.skipped]}
    path = settings.index_dir / "last_sync.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)
