"""Syncs: add, change, delete, no-op, settings refused, readers and the lock, precision, rebuilds."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from conftest import make_pdf, snapshot, subprocess_env, write
from rag.config import Settings
from rag.embeddings import get_embeddings
from rag.errors import IndexBusyError, IndexMismatchError, RagError
from rag.ingest.layout import plain
from rag.index.indexer import IndexLock, index_config, scan_sources, sync
from rag.index.store import ChunkStore

from indexing import CORPUS, body, dense_top, expected_chunks, manifest, write_corpus

pytestmark = pytest.mark.integration  # each test indexes or serves for real


def vectors(settings: Settings, name: str, ids: list[str]) -> dict[str, list[float]]:
    col = ChunkStore(settings).client.get_collection(name, embedding_function=None)
    got = col.get(ids=ids, include=["embeddings"])
    return {cid: [float(x) for x in vec] for cid, vec in zip(got["ids"], got["embeddings"])}


def test_scan_sources_uses_relative_paths_and_skips_hidden(sources):
    write_corpus(sources)
    write(sources / ".hidden.txt", "secret")
    write(sources / ".git" / "config.txt", "secret")
    files, failures = scan_sources(sources)
    assert sorted(files) == sorted(CORPUS) and failures == []
    assert Path(files["deep/nested/gamma.txt"]) == sources / "deep" / "nested" / "gamma.txt"


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
    assert third.chunks == len(after.ids) == len(after.keyword.ids)
    assert after.count == after.keyword_rows == third.chunks  # superseded rows deleted
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
        manifest(other).active(index_config(other))
    assert snapshot(settings).ids == before.ids and snapshot(settings).active == before.active

    report = sync(other, rebuild=True)
    assert report.chunks == expected_chunks(other, CORPUS)
    assert manifest(other).state()["config"]["chunk_size"] == 400
    with pytest.raises(IndexMismatchError):
        sync(settings)


def test_a_second_sync_is_refused_while_one_holds_the_lock(settings, sources):
    write_corpus(sources)
    with IndexLock(settings.index_dir):
        with pytest.raises(IndexBusyError, match="already running"):
            sync(settings)
    assert manifest(settings).state()["collection"] is None  # nothing was written
    assert sync(settings).chunks == expected_chunks(settings, CORPUS)  # lock released


def test_reader_sees_the_previous_index_while_a_sync_runs(backend, sources):
    settings = backend()
    write_corpus(sources)
    sync(settings)
    before = snapshot(settings)
    write(sources / "zeta.txt", "Zeta covers the wombat and its cube-shaped droppings.")
    write(sources / "eta.txt", "Eta is all about the narwhal tusk.")
    write(sources / "alpha.txt", "Alpha notes, revised: the aardvark moved to the hills.")
    seen = []

    def progress(done, total, embedded):
        if embedded:
            reader = snapshot(settings)  # a separate reader, mid-sync
            seen.append((ChunkStore(settings).count(before.active), reader))

    report = sync(settings, progress=progress)
    assert seen, "the sync never reported progress mid-build"
    for rows, reader in seen:
        assert rows > before.count  # the sync had written rows the reader must not see
        assert reader.active == before.active and reader.ids == before.ids
        assert reader.bm25_sources("wombat") == set()
        assert reader.bm25_sources("aardvark") == {"alpha.txt"}
        assert reader.bm25_sources("hills") == set()
    after = snapshot(settings)
    assert after.bm25_sources("wombat") == {"zeta.txt"}
    assert after.bm25_sources("hills") == {"alpha.txt"}
    assert report.added == ["eta.txt", "zeta.txt"] and report.changed == ["alpha.txt"]


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


def test_missing_sources_folder_is_refused_and_keeps_the_index(settings, sources, tmp_path):
    write_corpus(sources)
    sync(settings)
    before = snapshot(settings)
    moved = settings.model_copy(update={"sources_dir": tmp_path / "no-such-folder"})
    with pytest.raises(RagError, match="does not exist"):
        sync(moved)
    assert snapshot(settings).ids == before.ids


def test_an_unchanged_file_is_neither_embedded_nor_written_again(settings, sources,
                                                                 monkeypatch):
    import chromadb.api.models.Collection as chroma_collection

    write_corpus(sources)
    sync(settings)
    before = snapshot(settings)
    embedded, written = [], []
    model = type(get_embeddings(settings.embed_batch_size, settings.embed_precision))
    real_embed = model.embed_documents
    monkeypatch.setattr(model, "embed_documents",
                        lambda self, texts: embedded.extend(texts) or real_embed(self, texts))
    for method in ("add", "upsert", "update"):
        real = getattr(chroma_collection.Collection, method)

        def counting(self, *args, _real=real, **kwargs):
            written.extend(kwargs.get("ids") or args[0])
            return _real(self, *args, **kwargs)
        monkeypatch.setattr(chroma_collection.Collection, method, counting)

    write(sources / "guide.md", "# Guide\n\nRevised: the guide now covers the dingo instead.")
    report = sync(settings)
    after = snapshot(settings)
    new_ids = set(after.files["guide.md"].ids)
    assert report.changed == ["guide.md"] and report.embedded == len(new_ids)
    # what is embedded is the chunk as a reader sees it (rag.ingest.layout.plain: no markup)
    assert sorted(embedded) == sorted(plain(after.docs[i]) for i in new_ids)
    assert set(written) == new_ids and len(written) == len(new_ids)
    for name in ("alpha.txt", "deep/nested/gamma.txt"):
        assert after.files[name] == before.files[name]


def test_deleting_a_file_alone_takes_it_out(settings, sources):
    from rag.retrieve.retrieval import HybridRetriever, IndexReader

    write_corpus(sources)
    sync(settings)
    reader = IndexReader(settings)
    retriever = HybridRetriever(reader=reader, k=5)
    assert "deep/nested/gamma.txt" in {d.metadata["source"] for d in
                                       retriever.invoke("capybara colony by the lake")}
    (sources / "deep" / "nested" / "gamma.txt").unlink()
    report = sync(settings)
    assert report.removed == ["deep/nested/gamma.txt"] and report.embedded == 0
    hits = retriever.invoke("capybara colony by the lake")
    assert hits and "deep/nested/gamma.txt" not in {d.metadata["source"] for d in hits}
    assert "deep/nested/gamma.txt" not in reader.sources()
    after = snapshot(settings)
    assert "deep/nested/gamma.txt" not in after.sources()
    assert after.count == after.keyword_rows == len(after.ids) == report.chunks


def test_a_reader_picks_up_each_sync_and_refuses_other_settings(settings, sources):
    from rag.retrieve.retrieval import HybridRetriever, IndexReader

    write_corpus(sources)
    sync(settings)
    reader = IndexReader(settings)
    bm25 = HybridRetriever(reader=reader, k=5, mode="bm25")
    _, kw = reader.current()
    assert bm25.invoke("wombat") == [] and kw.doc_freq("wombat") == 0
    n_before = kw.n_docs
    write(sources / "zeta.txt", "Zeta covers the wombat and its cube-shaped droppings.")
    write(sources / "alpha.txt", "Alpha notes, revised: the aardvark moved to the hills.")
    sync(settings)
    _, kw = reader.current()
    assert {d.metadata["source"] for d in bm25.invoke("wombat")} == {"zeta.txt"}
    assert {d.metadata["source"] for d in bm25.invoke("hills aardvark")} == {"alpha.txt"}
    assert kw.doc_freq("wombat") == 1 and kw.n_docs == n_before + 1
    assert reader.sources() == {"alpha.txt": 1, "deep/nested/gamma.txt": 1, "guide.md": 1,
                                "zeta.txt": 1}

    other = IndexReader(settings.model_copy(update={"chunk_size": 400, "chunk_overlap": 40}))
    with pytest.raises(IndexMismatchError, match="chunk_size"):
        other.current()
    built = manifest(settings).state()["config"]["precision"]
    other = IndexReader(settings.model_copy(update={
        "embed_precision": "fp32" if built == "bf16" else "bf16"}))
    with pytest.raises(IndexMismatchError, match="precision"):
        other.current()


def test_auto_precision_follows_the_index_it_finds(tmp_path, sources):
    """An index built in the precision `auto` would not pick on this CPU (as on another
    machine) is read, extended and answered from with `auto`, and keeps its precision;
    without an index, `auto` is the CPU's choice."""
    import torch

    from rag.compose.answer import Pipeline
    from rag.embeddings import resolve_precision
    from rag.index.indexer import settled
    from rag.retrieve.retrieval import HybridRetriever, IndexReader

    mine = resolve_precision("auto")
    theirs = "fp32" if mine == "bf16" else "bf16"
    auto = Settings(sources_dir=sources, index_dir=tmp_path / "index")
    assert settled(auto).embed_precision == mine  # no index yet
    write_corpus(sources)
    sync(auto.model_copy(update={"embed_precision": theirs}))
    assert settled(auto).embed_precision == theirs
    reader = IndexReader(auto)
    model = reader.embeddings.vectors.embeddings
    assert model.dtype == (torch.bfloat16 if theirs == "bf16" else torch.float32)
    found = HybridRetriever(reader=reader, k=3, mode="dense").invoke("capybara by the lake")
    assert found[0].metadata["source"] == "deep/nested/gamma.txt"
    write(sources / "zeta.txt", "Zeta: the wombat sleeps in its burrow all day.")
    report = sync(auto)
    assert report.added == ["zeta.txt"]
    assert manifest(auto).state()["config"]["precision"] == theirs
    sync(auto, rebuild=True)  # a rebuild under auto keeps it too: running readers match
    assert manifest(auto).state()["config"]["precision"] == theirs
    pipeline = Pipeline(auto, generator="extractive")
    assert pipeline.vectors.embeddings.dtype == model.dtype  # sentences as the index has them
    reply = pipeline.ask("Where does the wombat sleep?")
    assert "zeta.txt" in {c.source for c in reply.citations}
    with pytest.raises(IndexMismatchError, match="precision"):
        sync(auto.model_copy(update={"embed_precision": mine}))


def test_a_change_that_keeps_some_chunks_keeps_them_live(tmp_path, sources):
    settings = Settings(sources_dir=sources, index_dir=tmp_path / "index",
                        chunk_size=200, chunk_overlap=20)
    parts = body(1).split("\n\n")  # three paragraphs, a chunk each
    write(sources / "three.txt", "\n\n".join(parts))
    sync(settings)
    before = snapshot(settings)
    parts[2] = "File001 part 2: entirely new words about the okapi and its forest."
    write(sources / "three.txt", "\n\n".join(parts))
    report = sync(settings)
    after = snapshot(settings)
    assert report.changed == ["three.txt"] and len(before.ids) == len(after.ids) == 3
    assert set(after.files["three.txt"].ids) == after.ids  # every listed chunk is there
    assert after.count == after.keyword_rows == report.chunks == 3
    assert after.bm25_sources("okapi") == {"three.txt"}


def test_exact_dense_search_is_brute_force_over_the_live_vectors(settings, sources):
    """IndexReader(exact=True) ranks every stored vector by cosine (what the answerability
    training uses, as HNSW's graph differs between processes): the same order as numpy over
    the collection, the same hits as HNSW on a small index, the source filter honoured, and
    a sync's changes seen."""
    import numpy as np

    from rag.retrieve.retrieval import HybridRetriever, IndexReader

    write_corpus(sources)
    for i in range(12):
        write(sources / f"n{i:02d}.txt", f"Note {i}: " + body(i))
    sync(settings)
    exact, approx = IndexReader(settings, exact=True), IndexReader(settings)
    name, _ = exact.current()
    vector = exact.embeddings.embed_query("capybara colony by the lake")
    docs, matrix = ChunkStore(settings).everything(name)
    truth = [docs[i].id for i in np.argsort(-(matrix @ np.asarray(vector)), kind="stable")]
    hits = exact.search(name, vector, 8)
    assert [d.id for d, _ in hits] == truth[:8]
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    assert [d.id for d, _ in hits] == [d.id for d, _ in approx.search(name, vector, 8)]
    only = exact.search(name, vector, 8, sources=["alpha.txt", "guide.md"])
    assert {d.metadata["source"] for d, _ in only} == {"alpha.txt", "guide.md"}

    (sources / "deep" / "nested" / "gamma.txt").unlink()
    write(sources / "zeta.txt", "Zeta covers the wombat and its cube-shaped droppings.")
    sync(settings)
    dense = HybridRetriever(reader=exact, k=3, mode="dense")
    assert dense.invoke("wombat droppings")[0].metadata["source"] == "zeta.txt"
    assert "deep/nested/gamma.txt" not in {d.metadata["source"]
                                           for d in dense.invoke("capybara colony")}


def test_a_rebuild_leaves_no_old_vector_index_on_disk(tmp_path, sources):
    """Chroma leaves a deleted collection's HNSW folder behind (chroma-core/chroma#5259):
    after rebuilds, the Chroma folder holds only folders of segments it still lists, and the
    live index still answers from a fresh process."""
    import sqlite3

    settings = Settings(sources_dir=sources, index_dir=tmp_path / "index",
                        chunk_size=200, chunk_overlap=20)
    write_corpus(sources, {f"f{i:03d}.txt": body(i) for i in range(120)})
    sync(settings)

    def folders() -> set[str]:
        return {p.name for p in settings.chroma_dir.iterdir() if p.is_dir()}

    first = folders()
    assert first, "Chroma wrote no vector index folder: the corpus is too small to test this"
    for _ in range(2):
        sync(settings, rebuild=True)
    db = sqlite3.connect(settings.chroma_dir / "chroma.sqlite3")
    segments = {row[0] for row in db.execute("SELECT id FROM segments")}
    db.close()
    assert folders() <= segments and len(folders()) == len(first)
    live = snapshot(settings)
    chunk = next(d for d in live.docs.values() if d.metadata["source"] == "f007.txt")
    code = ("from rag.retrieve.retrieval import HybridRetriever, IndexReader; "
            "from rag.config import Settings; import sys; r = IndexReader(Settings()); "
            "print(HybridRetriever(reader=r, k=3, mode='dense').invoke(sys.argv[1])[0].id)")
    out = subprocess.run([sys.executable, "-c", code, chunk.page_content], capture_output=True,
                         text=True, env=subprocess_env(settings), timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == chunk.id  # its own text finds it, from the folder on disk
