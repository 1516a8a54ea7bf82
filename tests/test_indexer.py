"""Indexer: incremental, atomic syncs of the sources folder, locally and on a Chroma server."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
import uuid

import pytest

from conftest import make_pdf, snapshot, subprocess_env, write
from rag.chunking import chunk_documents
from rag.config import Settings
from rag.embeddings import MAX_TOKENS, count_tokens, get_embeddings
from rag.errors import IndexBusyError, IndexMismatchError, RagError
from rag.indexer import IndexLock, index_config, scan_sources, sync
from rag.loaders import load_file
from rag.store import ChunkStore

CORPUS = {
    "alpha.txt": "Alpha notes: the aardvark digs its burrow near the river bank.",
    "guide.md": "# Guide\n\nThe guide explains how the bobcat hunts at dusk.",
    "deep/nested/gamma.txt": "Gamma describes the capybara colony that lives by the lake.",
}


def write_corpus(sources, corpus=CORPUS) -> None:
    for name, text in corpus.items():
        write(sources / name, text)


def expected_chunks(settings: Settings, names) -> int:
    """Chunks the given source files make, counted without the indexer."""
    return sum(len(list(chunk_documents(load_file(settings.sources_dir / n, n),
                                        settings.chunk_size, settings.chunk_overlap,
                                        MAX_TOKENS, count_tokens)))
               for n in names)


def vectors(settings: Settings, name: str, ids: list[str]) -> dict[str, list[float]]:
    col = ChunkStore(settings).client.get_collection(name, embedding_function=None)
    got = col.get(ids=ids, include=["embeddings"])
    return {cid: [float(x) for x in vec] for cid, vec in zip(got["ids"], got["embeddings"])}


def dense_top(settings: Settings, query: str):
    """The live index's nearest chunk to the query (a Document)."""
    store = ChunkStore(settings)
    [(doc, _score)] = store.search(store.active(), get_embeddings().embed_query(query), k=1)
    return doc


def test_scan_sources_uses_relative_paths_and_skips_hidden(sources):
    write_corpus(sources)
    write(sources / ".hidden.txt", "secret")
    write(sources / ".git" / "config.txt", "secret")
    files, failures = scan_sources(sources)
    assert sorted(files) == sorted(CORPUS) and failures == []
    assert files["deep/nested/gamma.txt"] == sources / "deep" / "nested" / "gamma.txt"


def test_pdf_chunks_know_their_page_and_blank_pages_are_fine(settings, sources):
    make_pdf(sources / "atlas.pdf", ["Page one maps the fjords.", "", "Page three maps dunes."],
             title="Atlas")
    report = sync(settings)
    assert report.added == ["atlas.pdf"] and report.chunks == 2
    pages = {d.metadata["page"]: d for d in snapshot(settings).docs.values()}
    assert set(pages) == {1, 3} and "dunes" in pages[3].page_content
    assert {d.metadata["title"] for d in pages.values()} == {"Atlas"}


def test_add_change_delete_and_noop(backend, sources):
    settings = backend()
    write_corpus(sources)
    first = sync(settings)
    assert sorted(first.added) == sorted(CORPUS) and first.failed == []
    assert first.changed == first.removed == first.unchanged == []
    assert first.embedded == first.chunks == expected_chunks(settings, CORPUS)
    before = snapshot(settings)
    assert set(before.files) == set(CORPUS) and before.count == first.chunks
    alpha = before.files["alpha.txt"].ids
    alpha_vectors = vectors(settings, before.active, alpha)

    again = sync(settings)  # nothing changed: nothing embedded, nothing rebuilt
    assert again.embedded == 0 and sorted(again.unchanged) == sorted(CORPUS)
    assert again.added == again.changed == again.removed == again.failed == []
    assert again.chunks == first.chunks and snapshot(settings).active == before.active

    write(sources / "guide.md", "# Guide\n\nRevised: the guide now covers the dingo instead.")
    (sources / "deep" / "nested" / "gamma.txt").unlink()
    write(sources / "delta.txt", "Delta is about the echidna and its spines.")
    third = sync(settings)
    assert (third.added, third.changed, third.removed, third.unchanged) == (
        ["delta.txt"], ["guide.md"], ["deep/nested/gamma.txt"], ["alpha.txt"])
    assert third.embedded == expected_chunks(settings, ["guide.md", "delta.txt"])
    after = snapshot(settings)
    assert third.chunks == after.count == len(after.ids) == len(after.keyword.ids)
    assert after.ids == {cid for rec in after.files.values() for cid in rec.ids}

    # a deleted source leaves no chunk: not in Chroma, not in BM25
    gone = "deep/nested/gamma.txt"
    assert gone not in after.files and gone not in after.sources()
    assert gone not in set(after.keyword.sources)
    assert after.bm25_sources("capybara colony") == set()
    assert not any("bobcat" in d.page_content for d in after.docs.values())  # old guide.md

    # the unchanged file was carried over with its vectors, not embedded again
    assert sorted(after.files["alpha.txt"].ids) == sorted(alpha)
    assert after.files["alpha.txt"].indexed_at == before.files["alpha.txt"].indexed_at
    assert vectors(settings, after.active, alpha) == alpha_vectors
    assert after.bm25_sources("aardvark burrow") == {"alpha.txt"}
    assert after.bm25_sources("echidna") == {"delta.txt"}
    assert dense_top(settings, "Where does the aardvark dig?").metadata["source"] == "alpha.txt"


def test_indexing_twice_equals_indexing_once(backend, sources, tmp_path):
    settings = backend()
    write_corpus(sources)
    sync(settings)
    once = snapshot(settings)
    sync(settings)
    twice = snapshot(settings)
    assert twice.ids == once.ids and twice.active == once.active

    def content(snap):
        return {cid: (d.page_content, d.metadata["source"], d.metadata["start"],
                      d.metadata["end"], d.metadata["hash"]) for cid, d in snap.docs.items()}

    # a fresh index elsewhere of the same folder holds exactly the same chunks
    elsewhere = backend(index_dir=tmp_path / "elsewhere", collection=f"o{uuid.uuid4().hex[:12]}")
    sync(elsewhere)
    assert content(snapshot(elsewhere)) == content(once)

    # --rebuild embeds everything again into a new collection with the same ids
    rebuilt = sync(settings, rebuild=True)
    assert rebuilt.embedded == rebuilt.chunks == len(once.ids)
    assert sorted(rebuilt.added) == sorted(CORPUS) and rebuilt.failed == []
    after = snapshot(settings)
    assert after.active != once.active and content(after) == content(once)
    names = {getattr(c, "name", c) for c in ChunkStore(settings).client.list_collections()}
    assert once.active not in names  # the old build is dropped


def test_other_chunk_settings_are_refused(backend, sources):
    settings = backend()
    write_corpus(sources)
    sync(settings)
    before = snapshot(settings)
    other = backend(chunk_size=400, chunk_overlap=40)
    with pytest.raises(IndexMismatchError, match="chunk_size: index has 800, settings say 400"):
        sync(other)
    with pytest.raises(IndexMismatchError):
        ChunkStore(other).active(index_config(other))
    assert snapshot(settings).ids == before.ids and snapshot(settings).active == before.active

    report = sync(other, rebuild=True)
    assert report.chunks == expected_chunks(other, CORPUS)
    assert ChunkStore(other).state()["config"]["chunk_size"] == 400
    with pytest.raises(IndexMismatchError):
        sync(settings)


def test_a_second_sync_is_refused_while_one_holds_the_lock(settings, sources):
    write_corpus(sources)
    with IndexLock(settings.index_dir):
        with pytest.raises(IndexBusyError, match="already running"):
            sync(settings)
    assert ChunkStore(settings).state()["active"] is None  # nothing was written
    assert sync(settings).chunks == expected_chunks(settings, CORPUS)  # lock released


def test_reader_sees_the_previous_index_while_a_sync_runs(backend, sources):
    settings = backend()
    write_corpus(sources)
    sync(settings)
    before = snapshot(settings)
    write(sources / "zeta.txt", "Zeta covers the wombat and its cube-shaped droppings.")
    write(sources / "eta.txt", "Eta is all about the narwhal tusk.")
    seen = []

    def progress(done, total, embedded):
        state = ChunkStore(settings).state()
        if embedded and state.get("staging"):
            reader = snapshot(settings)  # a separate reader, mid-build
            seen.append((ChunkStore(settings).count(state["staging"]), reader))

    report = sync(settings, progress=progress)
    assert seen, "the sync never reported progress mid-build"
    for staged, reader in seen:
        assert staged > 0  # the build had written rows the reader must not see
        assert reader.active == before.active and reader.ids == before.ids
        assert reader.bm25_sources("wombat") == set()
    assert snapshot(settings).bm25_sources("wombat") == {"zeta.txt"}
    assert report.added == ["eta.txt", "zeta.txt"]


def test_indexes_with_overlapping_prefixes_leave_each_other_alone(backend, sources):
    base = f"kb{uuid.uuid4().hex[:8]}"
    kb, kb_old = backend(collection=base), backend(collection=f"{base}-old")
    write_corpus(sources)
    sync(kb_old)
    old = snapshot(kb_old)
    sync(kb)
    write(sources / "alpha.txt", "Alpha notes, second edition: the aardvark moved house.")
    sync(kb)  # a build of `kb` drops the builds of `kb` it replaces, and only those
    after = snapshot(kb_old)
    assert (after.active, after.ids) == (old.active, old.ids)
    assert after.bm25_sources("bobcat") == {"guide.md"}


# -- killed half-way ------------------------------------------------------------------------

WORDS = ("apple banana cherry damson elder fig grape hazel iris juniper kale lime mango "
         "nutmeg olive pear quince radish sage thyme").split()


def body(i: int) -> str:
    """Three paragraphs of about 160 chars (a chunk each at size 200), tagged File<i>."""
    rng = random.Random(i)
    return "\n\n".join(f"File{i:03d} part {j}: " + " ".join(rng.choices(WORDS, k=24)) + "."
                       for j in range(3))


def test_killed_sync_keeps_the_old_index_and_resumes(tmp_path, sources):
    settings = Settings(sources_dir=sources, index_dir=tmp_path / "index",
                        chunk_size=200, chunk_overlap=20, embed_batch_size=4)
    base = {f"base{i}.txt": body(i) for i in range(3)}
    write_corpus(sources, base)
    sync(settings)
    before = snapshot(settings)
    more = {f"more{i:03d}.txt": body(i) for i in range(3, 83)}
    write_corpus(sources, more)
    new_chunks = expected_chunks(settings, more)

    out = (tmp_path / "child.log").open("wb")
    child = subprocess.Popen([sys.executable, "-m", "rag", "index", "--json", "-q"],
                             cwd=tmp_path, env=subprocess_env(settings, RAG_EMBED_BATCH_SIZE="4"),
                             stdout=out, stderr=out)
    store, staged_rows, reader = ChunkStore(settings), 0, None
    deadline = time.monotonic() + 300
    try:
        while child.poll() is None and time.monotonic() < deadline:
            staging = store.state().get("staging")
            staged_rows = store.count(staging) if staging else 0
            if staged_rows and reader is None:
                reader = snapshot(settings)  # another process is writing the next build now
            if staged_rows >= before.count + new_chunks * 0.6:
                break
            time.sleep(0.1)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        out.close()
    assert child.returncode == -signal.SIGKILL, (
        f"the sync ended (exit {child.returncode}) before it could be killed:\n"
        + (tmp_path / "child.log").read_text(errors="replace")[-2000:])
    assert staged_rows > before.count, "killed before anything new was staged"
    assert reader is not None and (reader.active, reader.ids) == (before.active, before.ids)

    # the killed build is invisible: the previous index is whole and searchable
    state = store.state()
    assert state["active"] == before.active and state["staging"]
    killed = snapshot(settings)
    assert (killed.count, killed.ids) == (before.count, before.ids)
    assert killed.bm25_sources("File001") == {"base1.txt"}
    probe = next(iter(before.docs.values()))
    assert dense_top(settings, probe.page_content).id == probe.id
    staged = store.ids(state["staging"])

    # the next sync finishes the job, embedding only what the killed one had not stored
    report = sync(settings)
    assert report.added == sorted(more) and sorted(report.unchanged) == sorted(base)
    assert report.failed == [] and report.chunks == before.count + new_chunks
    final = snapshot(settings)
    assert final.active == state["staging"] and final.count == report.chunks
    assert report.embedded == len(final.ids - staged) < new_chunks
    assert final.bm25_sources("File050") == {"more050.txt"}
    probe = next(d for d in final.docs.values() if d.metadata["source"] == "more060.txt")
    assert dense_top(settings, probe.page_content).id == probe.id
    assert json.loads((settings.index_dir / "last_sync.json").read_text())["added"] == len(more)


def test_missing_sources_folder_is_refused_and_keeps_the_index(settings, sources, tmp_path):
    write_corpus(sources)
    sync(settings)
    before = snapshot(settings)
    moved = settings.model_copy(update={"sources_dir": tmp_path / "no-such-folder"})
    with pytest.raises(RagError, match="does not exist"):
        sync(moved)
    assert snapshot(settings).ids == before.ids
