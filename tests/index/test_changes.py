"""Which files changed: size, time and their stamp, and --checksum; an index an earlier
version of rag wrote."""

from __future__ import annotations

import json
import time

import pytest

from conftest import write
from rag.index.indexer import sync

from indexing import CORPUS, dense_top, expected_chunks, manifest, write_corpus

pytestmark = pytest.mark.integration  # each test indexes or serves for real


def _age(path, seconds: float) -> None:
    """Set a file's modification time `seconds` into the past (as if written back then)."""
    import os

    t = time.time() - seconds
    os.utime(path, (t, t))


def _hashed_files(monkeypatch) -> list[str]:
    """Record the files the indexer reads to hash from now on."""
    import rag.index.indexer

    read: list[str] = []
    real = rag.index.indexer.file_digest
    monkeypatch.setattr(rag.index.indexer, "file_digest", lambda p: read.append(p.name) or real(p))
    return read


PELICAN = "The pelican fishes in the bay at dawn."


PENGUIN = "The penguin fishes in the bay at dawn."  # the same length


def _indexed_then_rewritten(settings, sources, new_text: str, aged: bool = True,
                            remove_first: bool = False) -> None:
    """a.txt indexed (its time 60 s back when aged), then given new_text while keeping
    its old modification time, as `cp -p` of another version would (removed and synced
    in between when remove_first)."""
    import os

    write(sources / "a.txt", PELICAN)
    if aged:
        _age(sources / "a.txt", 60)
    sync(settings)
    stat = (sources / "a.txt").stat()
    if remove_first:
        (sources / "a.txt").unlink()
        assert sync(settings).removed == ["a.txt"]
        assert "a.txt" not in manifest(settings).stamps()
    write(sources / "a.txt", new_text)
    os.utime(sources / "a.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_a_file_whose_stamp_is_unchanged_is_not_read_again(settings, sources, monkeypatch):
    write_corpus(sources)
    for name in CORPUS:
        _age(sources / name, 60)
    sync(settings)
    read = _hashed_files(monkeypatch)
    write(sources / "alpha.txt", "Alpha notes: the armadillo digs its burrow by the road.")
    report = sync(settings)
    assert report.changed == ["alpha.txt"] and read == ["alpha.txt"]
    read.clear()
    assert sync(settings).summary()["unchanged"] == 3 and read == ["alpha.txt"]  # still new
    _age(sources / "alpha.txt", 60)
    read.clear()
    assert sync(settings).summary()["unchanged"] == 3 and read == ["alpha.txt"]  # new stamp
    read.clear()
    assert sync(settings).summary()["unchanged"] == 3 and read == []
    assert sync(settings, checksum=True).summary()["unchanged"] == 3 and len(read) == 3


def test_a_change_that_keeps_size_and_time_is_caught_while_the_stamp_is_fresh(settings,
                                                                               sources):
    """A file rewritten in the same clock tick it was hashed in (same size, same time) must
    not hide behind its stamp: stamps are trusted only for files older than the hashing."""
    _indexed_then_rewritten(settings, sources, PENGUIN, aged=False)
    assert sync(settings).changed == ["a.txt"]
    assert "penguin" in dense_top(settings, "penguin fishing").page_content


def test_checksum_catches_a_change_that_kept_an_old_stamp(settings, sources):
    _indexed_then_rewritten(settings, sources, PENGUIN)
    assert sync(settings).summary()["changed"] == 0  # the documented limit of stamps
    assert sync(settings, checksum=True).changed == ["a.txt"]


def test_a_removed_file_forgets_its_stamp(settings, sources):
    _indexed_then_rewritten(settings, sources, PENGUIN, remove_first=True)  # back, same stamp
    sync(settings)
    assert "penguin" in dense_top(settings, "penguin fishing").page_content


def test_a_change_of_size_is_caught_even_with_the_old_time(settings, sources):
    _indexed_then_rewritten(settings, sources, "The emperor penguin fishes in the bay at dawn.")
    assert sync(settings).changed == ["a.txt"]


def test_an_index_an_earlier_version_wrote_asks_for_one_rebuild():
    """A config key the code sets (not a setting) changed: say so, and what to run."""
    from rag.errors import IndexMismatchError
    from rag.index.manifest import check_config

    built = {"chunk_size": 800, "keyword_context": "title-v1"}
    with pytest.raises(IndexMismatchError, match=r"earlier version of rag.*title-v1.*"
                                                 r"`rag index --rebuild`"):
        check_config(built, {"chunk_size": 800, "keyword_context": "title-v2"})
    with pytest.raises(IndexMismatchError, match="other settings.*chunk_size"):
        check_config(built, {"chunk_size": 500, "keyword_context": "title-v1"})
    check_config(built, dict(built))  # the same: nothing raised


def test_rag_index_rebuilds_an_index_an_earlier_version_wrote(settings, sources, caplog):
    """`rag index` (as `make run` runs it) brings such an index up to date by itself; the
    readers refuse it until then."""
    import sqlite3

    from rag.errors import IndexMismatchError
    from rag.index.indexer import index_config, sync
    from rag.retrieve.retrieval import IndexReader

    write_corpus(sources)
    assert not sync(settings).failed
    db = next(settings.index_dir.glob("manifest-*.sqlite"))
    with sqlite3.connect(db) as con:
        config = {**index_config(settings), "keyword_context": "title-v0"}
        con.execute("UPDATE meta SET value=? WHERE key='config'", (json.dumps(config),))
    with pytest.raises(IndexMismatchError, match="earlier version"):
        IndexReader(settings).current()
    report = sync(settings)
    assert "earlier version of rag" in caplog.text
    assert not report.failed and report.chunks == expected_chunks(settings, CORPUS)
    IndexReader(settings).current()  # readable again
