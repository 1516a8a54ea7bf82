"""Sources: the sources folder as the UI manages it (safe uploads, removal, what is indexed)."""

from __future__ import annotations

import json
import os
import shutil
import time
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from rag.index import indexer
from rag.ingest import pdf
from rag.config import Settings
from rag.errors import RagError
from rag.ingest.loaders import SUPPORTED, format_of, load_file
from rag.index.manifest import FileRecord, Manifest
from rag.index.store import ChunkStore

MB = 1024 * 1024
MAX_NAME_BYTES = 255  # the usual file-system limit on one name


class SourceError(RagError):
    """An upload or removal was refused: bad name, type or size, or no such file."""


@dataclass
class Saved:
    """One upload written into the sources folder."""

    name: str
    size: int
    replaced: bool  # a file of that name was there and has been overwritten


@dataclass
class FileRow:
    """One line of the sources table."""

    file: str
    chunks: int
    indexed_at: float | None
    status: str
    title: str | None = None
    authors: list[str] = field(default_factory=list)

    def as_list(self) -> list:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.indexed_at)) \
            if self.indexed_at else ""
        return [self.file, self.title or "", ", ".join(self.authors), self.chunks, when,
                self.status]


def check_name(name: str) -> str:
    """The upload's file name, if it is safe to write as-is into the sources folder.

    A name is refused rather than rewritten: silently saving "../x.txt" as "x.txt" would
    surprise the user as much as a refusal, and a refusal says why.

    Raises:
        SourceError: empty, a path (separators, ".."), hidden, control or format characters,
            ':', too long, or an extension the loaders do not read.
    """
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name:
        raise SourceError("The file has no name.")
    if "/" in name or "\\" in name:
        raise SourceError(f"{name!r}: a file name may not contain a path separator (/ or \\).")
    if ".." in name:
        raise SourceError(f"{name!r}: a file name may not contain '..'.")
    if name.startswith("."):
        raise SourceError(f"{name!r}: names starting with '.' are hidden files, which the "
                          "index ignores; rename the file.")
    for c in name:
        kind = {"Cc": "a control character", "Cf": "an invisible format character"}.get(
            unicodedata.category(c))
        if kind:  # format characters (U+202E ...) make a name display as another one
            raise SourceError(f"{name!r}: the name holds {kind} (U+{ord(c):04X} "
                              f"{unicodedata.name(c, '')}); rename the file.".replace(" )", ")"))
    if ":" in name:
        raise SourceError(f"{name!r}: a file name may not contain ':' (a drive or stream "
                          "separator on some systems); rename the file.")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise SourceError(f"{name[:40]}...: the name is too long (at most {MAX_NAME_BYTES} bytes).")
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise SourceError(f"{name}: unsupported file type '{suffix or '(none)'}'; "
                          f"supported: {', '.join(SUPPORTED)}.")
    return name


def save_upload(settings: Settings, path: Path, name: str | None = None) -> Saved:
    """Copy an uploaded file into the sources folder under a checked name.

    The copy is written to a hidden temporary file first and renamed into place, so a sync
    running at the same time never reads half a file. An existing file of the same name is
    replaced (the returned `replaced` says so).

    Args:
        settings: sources_dir and max_upload_mb.
        path: where the upload was stored (Gradio's temporary copy).
        name: the name to save it under (default: path's own name).

    Returns:
        The saved name, its size and whether it replaced a file.

    Raises:
        SourceError: bad name or type, empty, larger than RAG_MAX_UPLOAD_MB, or a name that
            differs from a file already there only by Unicode normalisation.
    """
    path = Path(path)
    name = check_name(name if name is not None else path.name)
    size = path.stat().st_size
    if size > settings.max_upload_mb * MB:
        raise SourceError(f"{name}: {size / MB:.1f} MB is more than the {settings.max_upload_mb} "
                          "MB upload limit (RAG_MAX_UPLOAD_MB).")
    if size == 0:
        raise SourceError(f"{name}: the file is empty.")
    root = settings.sources_dir
    root.mkdir(parents=True, exist_ok=True)
    twin = _same_looking(root, name)
    if twin is not None:
        raise SourceError(f"{name!r}: the sources folder has {twin!r}, whose name differs only "
                          "in its Unicode form (they would look the same); rename one of them.")
    dest = root / name
    if dest.parent.resolve() != root.resolve():  # belt and braces: check_name ensures this
        raise SourceError(f"{name!r}: would be saved outside the sources folder.")
    if dest.is_dir():
        raise SourceError(f"{name}: a folder of that name is in the sources folder.")
    replaced = dest.exists() or dest.is_symlink()
    tmp = root / f".upload-{uuid.uuid4().hex}.part"  # hidden: the indexer skips it
    try:
        shutil.copyfile(path, tmp)
        os.replace(tmp, dest)  # replaces a symlink itself, never writes through it
    finally:
        tmp.unlink(missing_ok=True)
    return Saved(name, size, replaced)


def _same_looking(root: Path, name: str) -> str | None:
    """A file in root whose name is not `name` but normalises (NFKC) to the same text."""
    key = unicodedata.normalize("NFKC", name)
    return next((other for other in sorted(os.listdir(root))
                 if other != name and unicodedata.normalize("NFKC", other) == key), None)


def source_path(settings: Settings, source: str) -> Path:
    """The file of an indexed source name (relative, '/'-separated) inside the sources folder.

    Raises:
        SourceError: the name is absolute, climbs out with '..', or names a hidden file.
    """
    rel = PurePosixPath(source or "")
    if (not rel.parts or rel.is_absolute() or "\\" in source
            or any(p in ("..", ".") or p.startswith(".") for p in rel.parts)):
        raise SourceError(f"{source!r} is not a file in the sources folder.")
    path = settings.sources_dir.joinpath(*rel.parts)
    if not path.parent.resolve().is_relative_to(settings.sources_dir.resolve()):
        raise SourceError(f"{source!r} is not a file in the sources folder.")
    return path


def remove_source(settings: Settings, source: str) -> None:
    """Delete one file from the sources folder (the index drops it at the next sync).

    Raises:
        SourceError: not a file inside the sources folder.
    """
    path = source_path(settings, source)
    if not (path.is_file() or path.is_symlink()):
        raise SourceError(f"{source}: no such file in the sources folder.")
    path.unlink()


def on_disk(settings: Settings) -> list[str]:
    """The files the next sync will see, by source name."""
    files, _ = indexer.scan_sources(settings.sources_dir)
    return sorted(files)


def indexed_files(store: ChunkStore) -> dict[str, FileRecord]:
    """What the live index holds per file ({} when nothing is indexed yet)."""
    return Manifest(store.settings.index_dir, store.settings.collection).files()


def last_failures(settings: Settings, key: str = "failures") -> dict[str, str]:
    """{source: reason} for the files the last sync could not index (key="skipped": for
    the pages it left out of files it did index, their reasons joined)."""
    path = settings.index_dir / "last_sync.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    out: dict[str, str] = {}
    for f in data.get(key, []):
        if isinstance(f, dict) and "source" in f:
            out[f["source"]] = (out[f["source"]] + " " if f["source"] in out else "") + f["reason"]
    return out


def list_files(settings: Settings, manifest: dict[str, FileRecord]) -> list[FileRow]:
    """Every file that is indexed, on disk, or failed at the last sync, with its status."""
    disk = set(on_disk(settings))
    failed = last_failures(settings)
    skipped = last_failures(settings, "skipped")
    rows = []
    for source in sorted(set(manifest) | disk | set(failed)):
        rec = manifest.get(source)
        if source in failed:
            status = "failed: " + failed[source]
            if rec:
                status += " (the previously indexed version is still used)"
        elif rec and source not in disk:
            status = "removed from the folder; still indexed until the next rebuild"
        elif rec and source in skipped:
            status = "indexed, but pages were left out: " + skipped[source]
        elif rec:
            status = "indexed"
        else:
            status = "not indexed yet: press Rebuild index"
        rows.append(FileRow(source, len(rec.ids) if rec else 0,
                            rec.indexed_at if rec else None, status,
                            rec.title if rec else None, rec.authors if rec else []))
    return rows


def rebuild(settings: Settings, progress: Callable[[float, str], None], full: bool = False
            ) -> indexer.SyncReport:
    """Sync the index with the sources folder, reporting progress as (fraction, description).

    Raises:
        IndexBusyError, IndexMismatchError: see rag.index.indexer.sync.
    """
    share = [0.0]

    def on_progress(done: int, total: int, embedded: int) -> None:
        share[0] = min(1.0, done / max(total, 1))
        progress(share[0], f"Embedding ({embedded} chunks so far)")

    def on_ocr(source: str, page: int, pages: int) -> None:
        progress(share[0], f"OCR {source}: page {page} of {pages}")

    return indexer.sync(settings, rebuild=full, progress=on_progress, on_ocr=on_ocr)


def describe(report: indexer.SyncReport) -> str:
    """A plain-text summary of a sync for the UI, failures with their reasons."""
    s = report.summary()
    lines = [f"Index updated: {s['added']} added, {s['changed']} changed, {s['removed']} "
             f"removed, {s['unchanged']} unchanged, {s['failed']} failed; {s['chunks']} chunks "
             f"({report.embedded} embedded) in {s['seconds']:.1f} s."]
    lines += [f"Failed: {f.reason}" for f in report.failed]
    lines += [f"Skipped: {f.reason}" for f in report.skipped]
    return "\n".join(lines)


def document_text(settings: Settings, source: str, page: int | None) -> str:
    """The loaded text of one source file (of one page for PDFs), as the index saw it.

    Raises:
        SourceError: no such file (removed since it was indexed) or no such page.
        LoadError: the file cannot be read any more.
    """
    path = source_path(settings, source)
    if not path.is_file():
        raise SourceError(f"{source}: the file is no longer in the sources folder.")
    for doc in document_pages(settings, source):
        if doc.metadata.get("page") == page:
            return doc.page_content
    raise SourceError(f"{source}: has no page {page} any more; rebuild the index.")


def document_pages(settings: Settings, source: str) -> list:
    """Every page of one source file as the index read it (one Document for non-PDFs).

    Raises:
        SourceError: no such file (removed since it was indexed).
        LoadError: the file cannot be read any more.
    """
    path = source_path(settings, source)
    if not path.is_file():
        raise SourceError(f"{source}: the file is no longer in the sources folder.")
    return load_file(path, source, ocr_cache=indexer.ocr_dir(settings))


def has_pages(source: str) -> bool:
    """Whether the page view can show the file's pages (its format says so)."""
    form = format_of(source)
    return bool(form and form.pages)


def highlights(settings: Settings, citation) -> list[pdf.Highlight] | None:
    """The boxes of a citation's supporting sentences on its PDF page (None: not a PDF).

    Raises:
        SourceError: the file is gone. LoadError: it changed since it was indexed.
    """
    if not (citation.page and has_pages(citation.source)):
        return None
    path = source_path(settings, citation.source)
    if not path.is_file():
        raise SourceError(f"{citation.source}: the file is no longer in the sources folder.")
    return pdf.highlight(path, citation, indexer.ocr_dir(settings))


def answer_json(settings: Settings, result) -> dict:
    """result.to_json() with a "highlight" on every citation: for a PDF page, each supporting
    sentence's rectangles in PDF points ([x0, y0, x1, y1], origin bottom-left, before the
    page's /Rotate); null for other files or when the file changed since it was indexed.
    `rag ask --json` and `POST /api/ask` both print this."""
    data = result.to_json()
    for key in ("citations", "closest"):
        for c, out in zip(getattr(result, key), data[key]):
            try:
                found = highlights(settings, c)
            except RagError:
                found = None
            out["highlight"] = None if found is None else [h.to_dict() for h in found]
    return data


def page_png(settings: Settings, source: str, page: int) -> bytes:
    """Page `page` (1-based) of an indexed PDF as a PNG, rendered and cached like the
    evidence panel's.

    Raises:
        SourceError: not a PDF, not in the sources folder. LoadError: no such page.
    """
    if not has_pages(source):
        raise SourceError(f"{source}: pages are rendered for PDF files only.")
    path = source_path(settings, source)
    if not path.is_file():
        raise SourceError(f"{source}: the file is not in the sources folder.")
    return pdf.render_page(path, page).png
