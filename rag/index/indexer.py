"""Indexer: make the index equal to the sources folder, incrementally and atomically.

A sync diffs the folder against the manifest by content hash. New and changed files are
chunked, embedded and written into the live collection and the keyword index, where readers
do not see them (they trust only the manifest); one manifest transaction then makes them
live, and the rows they supersede are deleted after. So a change costs what changed. A
killed sync leaves its rows listed as pending: the next sync reuses those it still needs and
deletes the rest. The first sync and `--rebuild` write a new collection and flip to it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout
from langchain_core.documents import Document

from rag.index import keyword
from rag.ingest.chunking import chunk_documents
from rag.config import Settings
from rag.embeddings import (MAX_TOKENS, count_tokens, get_embeddings, model_id,
                            resolve_precision)
from rag.errors import IndexBusyError, LoadError, RagError
from rag.ingest.layout import VERSION as LAYOUT, plain
from rag.ingest.loaders import load_file, skipped_pages
from rag.ingest.titles import from_file_name
from rag.index.manifest import FileRecord, Manifest, Pending, Stamp, check_config, outdated
from rag.ingest.pdf import ENGINE as PDF_ENGINE, file_digest
from rag.index.store import ChunkStore, is_build

Progress = Callable[[int, int, int], None]  # (bytes done, bytes total, chunks embedded)
OcrProgress = Callable[[str, int, int], None]  # (source, page, pages) before an OCR'd page
# chunks gathered per embedding call and Chroma write, as a multiple of the model's batch
# (256 at the default of 8): enough for the model to sort them by length (less padding) and for
# few Chroma writes, few enough that a killed sync keeps most of its work
WRITE_BATCHES = 32
KEYWORD_BATCH = 1024  # chunks handed to the keyword index at a time

log = logging.getLogger("rag.index")


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


def settled(settings: Settings) -> Settings:
    """The settings with RAG_EMBED_PRECISION=auto made concrete: the precision the existing
    index was built with (a rebuild included, so a running app's readers keep matching it),
    else the CPU's own (bf16 where it is native). So an index built on one machine is read
    and extended on another, and app instances on different CPUs share one Chroma server;
    an explicit fp32 or bf16 that differs from the index's is still refused, and with
    `rag index --rebuild` changes it."""
    if settings.embed_precision != "auto":
        return settings
    built = Manifest(settings.index_dir, settings.collection).state()
    precision = built.get("config", {}).get("precision")
    if precision not in ("fp32", "bf16"):
        precision = resolve_precision("auto")
    return settings.model_copy(update={"embed_precision": precision})


def index_config(settings: Settings) -> dict:
    """What must match between the index and the settings that query or extend it."""
    return {"embedding": model_id(), "precision": resolve_precision(settings.embed_precision),
            "chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap,
            "keyword_context": "title-v2", "pdf_text": PDF_ENGINE, "layout": LAYOUT,
            "document_names": "title-authors-v2"}


def ocr_dir(settings: Settings) -> Path:
    """Where OCR results are kept, so a highlight reads the text that was indexed."""
    return settings.index_dir / "ocr"


def scan_sources(root: Path) -> tuple[dict[str, str], list[Failure]]:
    """Every candidate file under root: {relative path: its path (a str: building 74k
    pathlib objects alone takes a second)}; hidden files are ignored.

    Symlinks are followed only when they resolve inside root; anything that is not a
    regular file (FIFO, device, dangling link) is reported as a failure, never opened.
    (os.scandir: a directory listing tells a plain file's type without a stat call, so a
    folder of many thousand files is listed in a few milliseconds a thousand.)
    """
    files, failures = {}, []
    if not root.is_dir():
        return files, failures
    real_root = root.resolve()

    def walk(folder: str, prefix: str) -> None:
        with os.scandir(folder) as listing:
            entries = sorted((e for e in listing if not e.name.startswith(".")),
                             key=lambda e: e.name)
        for entry in entries:
            rel = prefix + entry.name
            if entry.is_symlink() and entry.is_dir():
                continue  # linked folders are not followed (as os.walk does)
            if entry.is_symlink():
                if not Path(entry.path).resolve().is_relative_to(real_root):
                    failures.append(Failure(rel, f"{rel}: symlink points outside the sources "
                                                 "folder; not followed."))
                    continue
            if entry.is_dir():
                walk(entry.path, rel + "/")
            elif entry.is_file():
                files[rel] = entry.path
            else:  # reading a FIFO or device would block or never end
                failures.append(Failure(rel, f"{rel}: not a regular file (a pipe, device or "
                                             "broken link); skipped."))

    walk(str(root), "")
    return files, failures


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


class _Writer:
    """One sync's writes into one collection and its keyword index: the chunks of the files
    it is given, embedded a few model batches at a time across files (small files share
    batches), except those a killed sync already stored."""

    def __init__(self, settings: Settings, store: ChunkStore, target: str, present: set[str],
                 progress: Progress, total: int, on_ocr: OcrProgress | None = None,
                 on_version: Callable[[str, str], None] | None = None):
        self.settings, self.store, self.target = settings, store, target
        self.present = present
        self.keyword = keyword.KeywordWriter(keyword.keyword_dir(settings.index_dir, target))
        self.progress, self.total, self.on_ocr = progress, total, on_ocr
        self.on_version = on_version or (lambda source, digest: None)
        self.embedded = 0
        self.pending: list[Document] = []
        self.skipped: list[Failure] = []
        self.written: dict[str, FileRecord] = {}
        self._embeddings = None

    def write_file(self, path: Path, source: str, digest: str, done: int, size: int) -> None:
        """Load and chunk one file; its chunks join the pending batch and the keyword index.

        Raises:
            LoadError: the file cannot be read as a document.
        """
        ocr = (lambda page, pages: self.on_ocr(source, page, pages)) if self.on_ocr else None
        docs = load_file(path, source, ocr_cache=ocr_dir(self.settings), on_ocr=ocr)
        self.skipped += [Failure(source, reason) for reason in skipped_pages(docs)]
        if docs and docs[0].metadata["hash"] != digest:  # changed since it was hashed
            digest = docs[0].metadata["hash"]
            self.on_version(source, digest)
        self.keyword.delete_version(source, digest)  # a killed sync may have added some
        total_chars = sum(len(d.page_content) for d in docs) or 1
        now, ids, words = time.time(), [], []
        for chunk in chunk_documents(docs, self.settings.chunk_size,
                                     self.settings.chunk_overlap, MAX_TOKENS, count_tokens):
            chunk.metadata["indexed_at"] = now
            ids.append(chunk.id)
            words.append(chunk)
            if chunk.id not in self.present:
                self.pending.append(chunk)
            if len(self.pending) >= WRITE_BATCHES * self.settings.embed_batch_size:
                self.flush()
                seen = min(1.0, chunk.metadata["end"] / total_chars)
                self.progress(done + int(size * seen), self.total, self.embedded)
            if len(words) >= KEYWORD_BATCH:  # a huge file is not held in memory whole
                self.keyword.add(words)
                words = []
        self.keyword.add(words)
        meta = docs[0].metadata if docs else {}
        self.written[source] = FileRecord(digest, now, ids,  # else a cleaned file name
                                          meta.get("title") or from_file_name(source),
                                          [a for a in (meta.get("authors") or "").split("; ") if a])

    def flush(self) -> None:
        """Embed the pending chunks (each distinct text once) and write them."""
        batch, self.pending = self.pending, []
        if not batch:
            return
        if self._embeddings is None:  # a sync that only deletes never loads the model
            self._embeddings = get_embeddings(self.settings.embed_batch_size,
                                              self.settings.embed_precision)
        # the chunk as a reader sees it (rag.ingest.layout.plain): words whole, no running heads
        seen = [plain(d) for d in batch]
        unique = list(dict.fromkeys(seen))
        vectors = dict(zip(unique, self._embeddings.embed_documents(unique)))
        self.store.add(self.target, batch, [vectors[text] for text in seen])
        self.present.update(d.id for d in batch)
        self.embedded += len(batch)

    def write_all(self, work: dict[str, str], files: dict[str, str],
                  report: SyncReport) -> None:
        """write_file for every file of `work` ({source: hash}); a file that fails is
        reported (an indexed one keeps its previous version: it is not flipped)."""
        done = 0
        for source in sorted(work):
            size = os.stat(files[source]).st_size
            try:
                self.write_file(Path(files[source]), source, work[source], done, size)
            except LoadError as exc:
                report.failed.append(Failure(source, str(exc)))
                for bucket in (report.added, report.changed):
                    if source in bucket:
                        bucket.remove(source)
            done += size
            self.progress(done, self.total, self.embedded)
        self.flush()
        self.progress(self.total, self.total, self.embedded)

# A stamp (modification time, size) is trusted only for a file last modified this long before
# it was hashed: a write within the same clock tick as the hashing cannot hide behind it.
RACY_SECONDS = 2.0


def _classify(files: dict[str, str], old: dict[str, FileRecord], report: SyncReport,
              stamps: dict[str, Stamp]) -> tuple[dict[str, str], list[str], dict[str, Stamp]]:
    """Hash every file whose stamp changed (the others keep their recorded hash); fill
    added/changed/unchanged/removed.

    Returns:
        ({source: hash} to embed, unchanged sources, stamps of the files hashed now).
    """
    to_embed, unchanged, hashed = {}, [], {}
    for source, path in files.items():
        try:
            seen_at = time.time()
            st = os.stat(path)
            known = stamps.get(source)
            if (known and (known.mtime_ns, known.size) == (st.st_mtime_ns, st.st_size)
                    and known.seen_at - st.st_mtime_ns / 1e9 > RACY_SECONDS):
                digest = known.hash
            else:
                digest = file_digest(Path(path))
                hashed[source] = Stamp(st.st_mtime_ns, st.st_size, digest, seen_at)
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
    return to_embed, unchanged, hashed


def _removed(old: dict[str, FileRecord], files: dict[str, str], report: SyncReport
             ) -> list[str]:
    """Indexed files that are gone; one that is there but failed keeps its chunks instead."""
    failed = {f.source for f in report.failed}
    return sorted(set(old) - set(files) - failed)


def sync(settings: Settings, rebuild: bool = False, progress: Progress | None = None,
         on_ocr: OcrProgress | None = None, checksum: bool = False) -> SyncReport:
    """Make the index equal to the sources folder.

    Args:
        settings: where sources and index live, chunk sizes, Chroma server.
        rebuild: ignore the existing index and embed everything again.
        progress: called as progress(bytes_done, bytes_total, chunks_embedded).
        on_ocr: called as on_ocr(source, page, pages) before each page Tesseract reads.
        checksum: read and hash every file, even those whose modification time and size
            are unchanged since they were last hashed (implied by rebuild).

    Returns:
        What changed, what failed (with reasons), the chunk count and the time taken.

    Raises:
        IndexBusyError: another sync is running.
        IndexMismatchError: the index was built with other settings (and not rebuild). One
            an earlier version of rag wrote (manifest.VERSION_KEYS alone differ) is rebuilt.
    """
    started = time.perf_counter()
    progress = progress or (lambda *_: None)
    settings = settled(settings)
    config = index_config(settings)
    with IndexLock(settings.index_dir):
        manifest = Manifest(settings.index_dir, settings.collection)
        state = manifest.state()
        live = state.get("collection")
        if live and not rebuild and outdated(state.get("config", {}), config):
            rebuild = True  # an earlier version of rag wrote it: read everything again
            log.warning("The index was built by an earlier version of rag, which read "
                        "documents differently: rebuilding it.")
        if live and not rebuild:
            check_config(state.get("config", {}), config)
        if not settings.sources_dir.is_dir():  # a typo must not empty a good index
            raise RagError(f"The sources folder {settings.sources_dir} does not exist: create "
                           "it (or set RAG_SOURCES_DIR) and put documents in it.")
        files, failures = scan_sources(settings.sources_dir)
        old = manifest.files() if live else {}
        report = SyncReport(failed=failures)
        stamps = manifest.stamps()
        to_embed, unchanged, hashed = _classify(files, {} if rebuild else old, report,
                                                {} if rebuild or checksum else stamps)
        manifest.save_stamps(hashed, sorted(set(stamps) - set(files)))
        if rebuild:
            report.removed = _removed(old, files, report)
        pending = manifest.pending()
        if live and not (to_embed or report.removed or rebuild or pending
                         or state.get("staging")):
            report.chunks = sum(len(r.ids) for r in old.values())
        else:
            store = ChunkStore(settings)
            resume = state.get("staging") and state.get("staging_config") == config
            if rebuild or not live or resume:
                work = {**to_embed, **{s: old[s].hash for s in unchanged}}
                writer = _full_build(settings, store, manifest, state, files, work, old,
                                     report, progress, on_ocr, fresh=rebuild)
            else:
                writer = _update(settings, store, manifest, state, files, to_embed, old,
                                 report, pending, progress, on_ocr)
            report.embedded = writer.embedded
            failed = {f.source for f in report.failed}
            report.skipped = [s for s in writer.skipped if s.source not in failed]
            report.chunks = sum(manifest.live()[2].values())
        report.skipped += _still_skipped(settings, set(report.unchanged))
        report.seconds = time.perf_counter() - started
        _save_report(settings, report)
        return report


def _full_build(settings, store, manifest, state, files, work, old, report, progress, on_ocr,
                fresh) -> _Writer:
    """Write every file into a new collection (or the one a killed full build left), then
    flip the manifest to it and drop the old one."""
    config = index_config(settings)
    staging = state.get("staging")
    if staging and (fresh or state.get("staging_config") != config
                    or not store.exists(staging)):
        _drop_build(settings, store, staging)
        staging = None
    if not staging:
        staging = store.create()
        manifest.set_staging(staging, config)
    total = sum(os.stat(files[s]).st_size for s in work) or 1
    writer = _Writer(settings, store, staging, store.ids(staging), progress, total, on_ocr)
    writer.write_all(work, files, report)
    kept = {cid for rec in writer.written.values() for cid in rec.ids}
    stale = list(writer.present - kept)  # a killed build's chunks of files since changed
    store.delete(staging, stale)
    writer.keyword.delete_ids(stale)
    writer.keyword.commit()
    manifest.flip(staging, config, writer.written, [], replace_all=True)
    live = state.get("collection")
    if live and live != staging:
        _drop_build(settings, store, live)
    store.drop_orphans({staging})
    keyword.prune(settings.index_dir, {staging}, lambda name: is_build(store.prefix, name))
    return writer


def _update(settings, store, manifest, state, files, to_embed, old, report, pending, progress,
            on_ocr) -> _Writer:
    """Change the live collection in place: add the new versions (invisible), flip the
    manifest, then delete what it superseded. See rag.index.manifest."""
    live, config = state["collection"], index_config(settings)
    if state.get("staging"):  # a killed full build with other settings: abandoned
        _drop_build(settings, store, state["staging"])
        manifest.set_staging(None)
    wanted = {(s, h) for s, h in to_embed.items()}
    resumed = [p for p in pending if p.collection == live and (p.source, p.hash) in wanted]
    present = set()
    for p in resumed:  # what a killed sync stored of the versions we still want
        present |= store.version_ids(live, p.source, p.hash)
    total = sum(os.stat(files[s]).st_size for s in to_embed) or 1
    writer = _Writer(settings, store, live, present, progress, total, on_ocr,
                     on_version=lambda s, h: manifest.add_pending(live, [(s, h)]))
    orphans = [p for p in pending if p not in resumed]
    _delete_rows(store, writer.keyword, orphans)  # left by a killed sync: gone for good
    manifest.add_pending(live, sorted(wanted))  # before any row of them is written
    writer.write_all(to_embed, files, report)
    writer.keyword.commit()
    manifest.drop_pending(orphans)
    manifest.flip(live, config, writer.written, report.removed)
    delete_superseded(settings, store, manifest)
    return writer


def delete_superseded(settings: Settings, store: ChunkStore, manifest: Manifest) -> None:
    """Delete the rows of every pending (not live) file version, then forget them."""
    pending = manifest.pending()
    if not pending:
        return
    live = manifest.state()["collection"]
    kw = keyword.KeywordWriter(keyword.keyword_dir(settings.index_dir, live))
    _delete_rows(store, kw, pending)
    kw.commit()
    manifest.drop_pending(pending)


def _delete_rows(store: ChunkStore, kw: keyword.KeywordWriter, items: list[Pending]) -> None:
    for p in items:
        if not store.exists(p.collection):
            continue
        if p.ids is not None:
            store.delete(p.collection, list(p.ids))
        else:
            store.delete_version(p.collection, p.source, p.hash)
        kw.delete_version(p.source, p.hash)


def _drop_build(settings: Settings, store: ChunkStore, name: str) -> None:
    store.drop(name)
    shutil.rmtree(keyword.keyword_dir(settings.index_dir, name), ignore_errors=True)

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
