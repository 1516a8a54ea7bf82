"""Killed syncs: the old index stays live and searchable, and the next sync resumes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from conftest import snapshot, subprocess_env, write
from rag.config import Settings
from rag.errors import IndexNotFoundError
from rag.index.indexer import sync
from rag.index.manifest import Manifest
from rag.index.store import ChunkStore

from indexing import body, dense_top, expected_chunks, write_corpus

pytestmark = pytest.mark.integration  # each test indexes or serves for real


def _start_index(tmp_path, settings: Settings):
    """`rag index` in a child process (one chunk a batch, so 32 a write and time to kill
    it); (the process, its log file open for writing)."""
    out = (tmp_path / "child.log").open("wb")
    child = subprocess.Popen([sys.executable, "-m", "rag", "index", "--json", "-q"],
                             cwd=tmp_path, env=subprocess_env(settings, RAG_EMBED_BATCH_SIZE="1"),
                             stdout=out, stderr=out)
    return child, out


def _kill_when(child, out, far_enough, seconds: float = 300) -> None:
    """SIGKILL the child once far_enough() (asked every 0.1 s) says so, or when it ends or
    time runs out; then close its log."""
    deadline = time.monotonic() + seconds
    try:
        while child.poll() is None and time.monotonic() < deadline and not far_enough():
            time.sleep(0.1)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        out.close()


STOP_CHILD = """
import os, sys, time
import rag.index.indexer as indexer
import rag.index.manifest as manifest

def stop(*args, **kwargs):
    open(os.environ["STOP_FLAG"], "w").write("stopped")
    time.sleep(600)

if os.environ["STOP_AT"] == "before-flip":
    manifest.Manifest.flip = stop
else:
    indexer.delete_superseded = stop
from rag.config import load_settings

indexer.sync(load_settings())
"""


BEFORE = {"keep.txt": "Keep: the okapi grazes in the forest shade.",
          "change.txt": "Change, first edition: the quokka smiles at tourists.",
          "gone.txt": "Gone soon: the pangolin rolls into a scaly ball."}


def _retrieved_once(settings, snap) -> None:
    """A reader's hybrid search returns every live chunk once, and nothing else."""
    from rag.retrieve.retrieval import HybridRetriever, IndexReader

    docs = HybridRetriever(reader=IndexReader(settings), k=20).invoke(
        "okapi quokka axolotl pangolin narwhal forest tourists limbs scaly tusk")
    assert sorted(d.id for d in docs) == sorted(snap.ids)
    for doc in docs:
        assert snap.files[doc.metadata["source"]].hash == doc.metadata["hash"]


def _visible_once(snap) -> None:
    """Every file of the snapshot is seen in exactly one version, by both indexes."""
    for source, rec in snap.files.items():
        hashes = {d.metadata["hash"] for d in snap.docs.values() if d.metadata["source"] == source}
        assert hashes == {rec.hash}, source
    assert len(snap.keyword.ids) == len(set(snap.keyword.ids)) == len(snap.ids)
    assert set(snap.keyword.ids) == snap.ids


def test_killed_sync_keeps_the_old_index_and_resumes(tmp_path, sources):
    settings = Settings(sources_dir=sources, index_dir=tmp_path / "index",
                        chunk_size=200, chunk_overlap=20, embed_batch_size=1)
    base = {f"base{i}.txt": body(i) for i in range(3)}
    write_corpus(sources, base)
    sync(settings)
    before = snapshot(settings)
    more = {f"more{i:03d}.txt": body(i) for i in range(3, 83)}
    write_corpus(sources, more)
    new_chunks = expected_chunks(settings, more)

    child, out = _start_index(tmp_path, settings)
    store, rows, reader = ChunkStore(settings), 0, None

    def far_enough() -> bool:
        nonlocal rows, reader
        rows = store.count(before.active)  # the sync writes into the live collection
        if rows > before.count and reader is None:
            reader = snapshot(settings)  # another process is writing the next state now
        return rows >= before.count + new_chunks * 0.6

    _kill_when(child, out, far_enough)
    assert child.returncode == -signal.SIGKILL, (
        f"the sync ended (exit {child.returncode}) before it could be killed:\n"
        + (tmp_path / "child.log").read_text(errors="replace")[-2000:])
    assert rows > before.count, "killed before anything new was stored"
    assert reader is not None and (reader.active, reader.ids) == (before.active, before.ids)

    # the killed sync's rows are invisible: the previous index is whole and searchable
    killed = snapshot(settings)
    assert killed.active == before.active and killed.ids == before.ids
    assert killed.count > before.count  # its rows are there, not live
    assert killed.bm25_sources("File001") == {"base1.txt"}
    assert killed.bm25_sources("File050") == set()
    assert len(Manifest(settings.index_dir, settings.collection).pending()) == len(more)
    probe = next(iter(before.docs.values()))
    assert dense_top(settings, probe.page_content).id == probe.id
    staged = store.ids(before.active)

    # the next sync finishes the job, embedding only what the killed one had not stored
    report = sync(settings)
    assert report.added == sorted(more) and sorted(report.unchanged) == sorted(base)
    assert report.failed == [] and report.chunks == before.count + new_chunks
    final = snapshot(settings)
    assert final.active == before.active
    assert final.count == final.keyword_rows == len(final.ids) == report.chunks
    assert report.embedded == len(final.ids - staged) < new_chunks
    assert final.bm25_sources("File050") == {"more050.txt"}
    probe = next(d for d in final.docs.values() if d.metadata["source"] == "more060.txt")
    assert dense_top(settings, probe.page_content).id == probe.id
    assert json.loads((settings.index_dir / "last_sync.json").read_text())["added"] == len(more)
    assert Manifest(settings.index_dir, settings.collection).pending() == []


def test_a_killed_first_build_is_resumed(tmp_path, sources):
    settings = Settings(sources_dir=sources, index_dir=tmp_path / "index",
                        chunk_size=200, chunk_overlap=20, embed_batch_size=1)
    corpus = {f"f{i:03d}.txt": body(i) for i in range(60)}
    write_corpus(sources, corpus)
    total = expected_chunks(settings, corpus)
    child, out = _start_index(tmp_path, settings)
    man, store, rows = Manifest(settings.index_dir, settings.collection), None, 0

    def far_enough() -> bool:
        nonlocal store, rows
        staging = man.state().get("staging") if man.exists() else None
        if staging:
            store = store or ChunkStore(settings)
            rows = store.count(staging)
        return rows >= total * 0.5

    _kill_when(child, out, far_enough)
    assert child.returncode == -signal.SIGKILL and rows > 0
    assert man.state()["collection"] is None  # nothing is live: readers see no index
    with pytest.raises(IndexNotFoundError):
        man.live()
    (sources / "f001.txt").unlink()  # gone before the resume: its stored rows must go too
    report = sync(settings)
    final = snapshot(settings)
    assert report.chunks == len(final.ids) == final.count == final.keyword_rows
    assert report.embedded < report.chunks and "f001.txt" not in final.sources()
    assert final.bm25_sources("File001") == set()


@pytest.mark.parametrize("stop_at,delete_new", [("before-flip", False), ("after-flip", False),
                                                ("before-flip", True)])
def test_sync_killed_around_the_flip(backend, sources, tmp_path, stop_at, delete_new):
    settings = backend()
    write_corpus(sources, BEFORE)
    sync(settings)
    before = snapshot(settings)
    write(sources / "change.txt", "Change, second edition: the axolotl regrows its limbs.")
    (sources / "gone.txt").unlink()
    write(sources / "new.txt", "New: the narwhal tusk is a tooth.")
    flag = tmp_path / "stopped"
    env = subprocess_env(settings, STOP_AT=stop_at, STOP_FLAG=str(flag))
    if settings.chroma_host:
        env.update(RAG_CHROMA_HOST=settings.chroma_host, RAG_CHROMA_PORT=str(settings.chroma_port),
                   RAG_COLLECTION=settings.collection)
    out = (tmp_path / "child.log").open("wb")
    child = subprocess.Popen([sys.executable, "-c", STOP_CHILD], cwd=tmp_path, env=env,
                             stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 300
        while not flag.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert flag.exists(), (tmp_path / "child.log").read_text(errors="replace")[-2000:]
        paused = snapshot(settings)  # the writer is stopped at that point, still running
        _retrieved_once(settings, paused)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        out.close()
    killed = snapshot(settings)
    _retrieved_once(settings, killed)
    for snap in (paused, killed):
        _visible_once(snap)
        assert snap.count > len(snap.ids)  # rows that are not live are there, unseen
        if stop_at == "before-flip":  # all of the old state, none of the new
            assert snap.ids == before.ids and set(snap.files) == set(BEFORE)
            assert snap.bm25_sources("pangolin") == {"gone.txt"}
            assert snap.bm25_sources("narwhal axolotl") == set()
        else:  # all of the new state, none of the old
            assert set(snap.files) == {"keep.txt", "change.txt", "new.txt"}
            assert snap.bm25_sources("pangolin quokka") == set()
            assert snap.bm25_sources("narwhal axolotl") == {"new.txt", "change.txt"}

    if delete_new:
        (sources / "new.txt").unlink()
    report = sync(settings)  # finishes the work and removes the orphans
    assert report.embedded == 0  # the killed sync had embedded all of it
    final = snapshot(settings)
    _visible_once(final)
    _retrieved_once(settings, final)
    wanted = {"keep.txt", "change.txt"} | (set() if delete_new else {"new.txt"})
    assert set(final.files) == final.sources() == wanted
    assert final.count == final.keyword_rows == len(final.ids) == report.chunks
    assert Manifest(settings.index_dir, settings.collection).pending() == []
    assert final.bm25_sources("narwhal") == (set() if delete_new else {"new.txt"})
