"""Bad input: each bad file is skipped with a message naming it, the rest is indexed, and
nothing already indexed is lost. Awkward-but-valid text (Latin-1, UTF-16) loads."""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import (make_broken_docx, make_docx, make_encrypted_pdf, make_pdf, snapshot,
                      subprocess_env, write)
from rag.config import Settings
from rag.index.indexer import sync
from rag.index.manifest import Manifest
from rag.index.store import ChunkStore

BINARY = bytes(range(256)) * 64


def write_good(sources: Path) -> None:
    write(sources / "good.txt", "The lighthouse keeper logs every passing ship.")
    write(sources / "good.md", "# Tides\n\nSpring tides follow the full moon.")
    write(sources / "good.html", "<title>Birds</title><p>Puffins nest on cliffs.</p>")
    make_pdf(sources / "good.pdf", ["Glaciers carve valleys slowly."], title="Ice")
    make_docx(sources / "good.docx", ["Volcanoes vent sulphur."], title="Fire")


@contextlib.contextmanager
def fifo_feeder(path: Path):
    """If anything opens the FIFO for reading, feed it and close it, so a regression (the
    indexer reading a pipe) fails the test instead of hanging the suite."""
    stop = threading.Event()

    def feed():
        while not stop.is_set():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)  # succeeds only if a reader waits
            except OSError:
                time.sleep(0.05)
                continue
            os.write(fd, b"text that came through a pipe\n")
            os.close(fd)

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def test_bad_files_are_skipped_with_a_reason_and_nothing_indexed_is_lost(settings, sources,
                                                                        tmp_path):
    write_good(sources)
    sync(settings)
    before = snapshot(settings)

    outside = write(tmp_path / "outside" / "secret.txt", "The outside file mentions a quokka.")
    write(sources / "empty.txt", b"")
    write(sources / "binary.txt", BINARY)
    write(sources / "corrupt.pdf", b"%PDF-1.7\n1 0 obj << /Pages 2 0 R >> endobj garbage")
    make_encrypted_pdf(sources / "locked.pdf")
    make_broken_docx(sources / "damaged.docx")
    write(sources / "table.xyz", b"a,b,c\n1,2,3\n")
    write(sources / "latin1.txt", "Crème brûlée à la façon de Zoë, señor.".encode("latin-1"))
    write(sources / "utf16.txt",
          codecs.BOM_UTF16_LE + "Grüße aus Köln — 日本語のテキスト".encode("utf-16-le"))
    os.mkfifo(sources / "pipe.txt")
    (sources / "dangling.txt").symlink_to(sources / "nowhere.txt")
    (sources / "escape.txt").symlink_to(outside)
    (sources / "alias.txt").symlink_to(sources / "good.txt")  # inside: followed
    (sources / "elsewhere").symlink_to(outside.parent, target_is_directory=True)  # not walked
    bad = {"empty.txt": "the file is empty", "binary.txt": "looks like a binary file",
           "corrupt.pdf": "not a readable PDF", "locked.pdf": "encrypted",
           "damaged.docx": "cannot be read as .docx", "table.xyz": "unsupported file type",
           "pipe.txt": "not a regular file", "dangling.txt": "not a regular file",
           "escape.txt": "symlink points outside the sources folder"}

    with fifo_feeder(sources / "pipe.txt"):
        report = sync(settings)
    reasons = {f.source: f.reason for f in report.failed}
    assert set(reasons) == set(bad)
    for name, why in bad.items():
        assert reasons[name].startswith(f"{name}: ") and why in reasons[name], reasons[name]
    assert report.added == ["alias.txt", "latin1.txt", "utf16.txt"]
    assert sorted(report.unchanged) == sorted(before.files) and report.removed == []

    after = snapshot(settings)
    assert before.ids <= after.ids and after.count == report.chunks
    assert set(after.files) == set(before.files) | {"alias.txt", "latin1.txt", "utf16.txt"}
    text = {src: " ".join(d.page_content for d in after.docs.values()
                          if d.metadata["source"] == src) for src in after.files}
    assert text["latin1.txt"] == "Crème brûlée à la façon de Zoë, señor."
    assert text["utf16.txt"] == "Grüße aus Köln — 日本語のテキスト"
    assert text["alias.txt"] == text["good.txt"]
    assert after.bm25_sources("quokka") == set()  # the outside file was not followed
    assert not any("quokka" in t or "pipe" in t for t in text.values())

    # previously indexed files turn bad: each fails, and keeps the chunks it had
    write(sources / "good.txt", BINARY)  # alias.txt follows it
    write(sources / "good.pdf", b"%PDF-1.4\n truncated")
    make_broken_docx(sources / "good.docx")
    write(sources / "good.md", b"")
    (sources / "good.html").unlink()
    (sources / "good.html").symlink_to(outside)
    (sources / "latin1.txt").unlink()
    os.mkfifo(sources / "latin1.txt")
    turned = {"good.txt", "alias.txt", "good.pdf", "good.docx", "good.md", "good.html",
              "latin1.txt"}
    with fifo_feeder(sources / "latin1.txt"):
        again = sync(settings)
    assert {f.source for f in again.failed} == set(bad) | turned
    assert again.changed == again.removed == again.added == []
    final = snapshot(settings)
    assert final.ids == after.ids
    for name in turned:
        assert final.files[name].hash == after.files[name].hash
    assert final.bm25_sources("lighthouse keeper") == {"good.txt", "alias.txt"}
    assert final.bm25_sources("glaciers") == {"good.pdf"}


# -- unreadable files ---------------------------------------------------------------------

PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2


def _without_root_file_access() -> None:
    """preexec_fn: drop the capabilities that let root read any file, so chmod 000 holds."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


@pytest.fixture
def unprivileged(tmp_path):
    """preexec_fn for a child that cannot read a chmod-000 file, even when we are root."""
    if os.geteuid() != 0:
        return None
    probe = write(tmp_path / "probe.txt", "x")
    probe.chmod(0)
    try:
        run = subprocess.run([sys.executable, "-c", f"open({str(probe)!r}).read()"],
                             preexec_fn=_without_root_file_access, capture_output=True)
    except subprocess.SubprocessError as exc:
        pytest.skip(f"running as root and cannot drop CAP_DAC_OVERRIDE here ({exc})")
    if b"PermissionError" not in run.stderr:
        pytest.skip("running as root and chmod 000 cannot be made to hold here")
    return _without_root_file_access


def test_unreadable_files_fail_by_name_and_keep_old_chunks(settings, sources, tmp_path,
                                                            unprivileged):
    # As root, chmod means nothing in-process; `rag index` runs as a child that lacks
    # CAP_DAC_OVERRIDE, so the kernel really refuses the read.
    write(sources / "open.txt", "Anyone may read about the heron.")
    write(sources / "closing.txt", "Soon nobody may read about the egret.")
    sync(settings)
    before = snapshot(settings)
    write(sources / "sealed.txt", "Never readable: the bittern.").chmod(0)
    (sources / "closing.txt").chmod(0)

    run = subprocess.run([sys.executable, "-m", "rag", "index", "--json", "-q"], cwd=tmp_path,
                         env=subprocess_env(settings), capture_output=True, text=True,
                         preexec_fn=unprivileged, timeout=600)
    assert run.returncode == 1, run.stderr
    summary = json.loads(run.stdout)
    assert (summary["failed"], summary["unchanged"], summary["removed"]) == (2, 1, 0)
    for name in ("sealed.txt", "closing.txt"):
        assert f"{name}: cannot read the file (Permission denied)" in run.stderr
    after = snapshot(settings)
    assert after.ids == before.ids and after.bm25_sources("egret") == {"closing.txt"}


# -- a big file -----------------------------------------------------------------------------

# A fixed-width ledger: ~7000-char paragraphs of 212 word pieces, so at chunk size 8000
# each paragraph is one chunk that fits the model's window. 50 MB then makes ~7k chunks
# instead of ~70k of prose: the same bytes through every stage, a tenth of the Chroma rows.
BIG_CHUNK_SIZE = 8000
LEDGER = "\n".join(f"{'entry':<12}{n:>6}{'balanced':>80}" for n in range(70)) + "\n\n"


# The child's own peak, from /proc (VmHWM of the memory it has after exec). The rusage wait4
# gives is not it: a child forked (or vforked) from a big pytest process carries the parent's
# high-water mark from before exec, so the figure grew with whatever the suite had loaded.
_PEAK = ("import atexit, os, re, runpy, sys\n"
         "def _peak():\n"
         "    status = open('/proc/self/status').read()\n"
         "    kb = int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1))\n"
         "    open(os.environ['PEAK_FILE'], 'w').write(str(kb))\n"
         "atexit.register(_peak)\n"
         "sys.argv = ['rag', *sys.argv[1:]]\n"
         "runpy.run_module('rag', run_name='__main__')\n")


def run_measured(args: list[str], env: dict, cwd: Path, timeout: float
                 ) -> tuple[int, str, str, float]:
    """Run `python -m rag ARGS` in a child; return (exit code, stdout, stderr, the child's
    own peak RSS in MB)."""
    peak = cwd / "child.peak"
    result = subprocess.run([sys.executable, "-c", _PEAK, *args], cwd=cwd,
                            env={**env, "PEAK_FILE": str(peak)}, capture_output=True,
                            text=True, errors="replace", timeout=timeout)
    return (result.returncode, result.stdout, result.stderr,
            int(peak.read_text()) / 1024 if peak.is_file() else float("inf"))


def test_a_50_mb_text_file_is_indexed_in_bounded_memory(tmp_path, sources):
    settings = Settings(sources_dir=sources, index_dir=tmp_path / "index",
                        chunk_size=BIG_CHUNK_SIZE)
    copies = 50_000_000 // len(LEDGER) + 1  # one paragraph makes one chunk
    with (sources / "big.txt").open("w") as fh:
        for _ in range(copies):
            fh.write(LEDGER)
    size = (sources / "big.txt").stat().st_size
    assert size >= 50_000_000

    code, out, err, peak_mb = run_measured(
        ["index", "--json", "-q"], subprocess_env(settings),
        tmp_path, timeout=1800)
    assert code == 0, err[-2000:]
    assert peak_mb < 2500, f"peak RSS {peak_mb:.0f} MB while indexing a {size >> 20} MB file"
    summary = json.loads(out)
    assert summary["chunks"] == copies and summary["added"] == 1 and summary["failed"] == 0

    store = ChunkStore(settings)
    active = Manifest(settings.index_dir, settings.collection).active()
    [record] = Manifest(settings.index_dir, settings.collection).files().values()
    assert len(record.ids) == store.count(active) == copies
    text = (sources / "big.txt").read_text()
    for doc in store.get(active, record.ids[:3] + record.ids[-3:]):
        assert text[doc.metadata["start"]:doc.metadata["end"]] == doc.page_content
        assert doc.metadata["start"] % len(LEDGER) == 0
