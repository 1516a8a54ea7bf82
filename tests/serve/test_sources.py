"""Sources: the upload/removal rules of rag.serve.sources (names, sizes, symlinks, listing)."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from rag.serve import sources
from rag.serve.sources import SourceError
from rag.index.manifest import FileRecord


def tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


# -- rag.serve.sources: names ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["report.pdf", "Notes 2024.md", "a-b_c.TXT", "données.html"])
def test_check_name_accepts_plain_names(name):
    assert sources.check_name(name) == name


@pytest.mark.parametrize("name, why", [
    ("../x.txt", "path separator"),
    ("a/b.txt", "path separator"),
    ("a\\b.txt", "path separator"),
    ("..", "'..'"),
    ("x..txt", "'..'"),
    (".hidden.txt", "hidden"),
    ("virus.exe", "unsupported file type '.exe'"),
    ("README", "unsupported file type '(none)'"),
    ("", "no name"),
    ("bell\x07.txt", "a control character (U+0007)"),
    ("invoice\u202efdp.txt", "an invisible format character (U+202E RIGHT-TO-LEFT OVERRIDE)"),
    ("zero\u200bwidth.txt", "an invisible format character (U+200B ZERO WIDTH SPACE)"),
    ("c:report.txt", "may not contain ':'"),
    ("notes.md:hidden.txt", "may not contain ':'"),
    ("a" * 300 + ".txt", "too long"),
])
def test_check_name_refuses_unsafe_names_and_says_why(name, why):
    with pytest.raises(SourceError, match=re.escape(why)):
        sources.check_name(name)


# -- rag.serve.sources: saving uploads -------------------------------------------------------------


def upload_file(tmp_path: Path, name: str, data: bytes) -> Path:
    """A file as Gradio hands it over: its own name, in a temp folder of its own."""
    folder = tmp_path / "gradio-upload"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def test_save_upload_writes_into_the_sources_folder(settings, tmp_path):
    saved = sources.save_upload(settings, upload_file(tmp_path, "notes.md", b"# Notes\nhi\n"))
    assert (saved.name, saved.replaced) == ("notes.md", False)
    assert (settings.sources_dir / "notes.md").read_bytes() == b"# Notes\nhi\n"
    assert tree(settings.sources_dir) == {"notes.md"}  # no temporary file left behind


def test_save_upload_says_when_it_replaces_a_file(settings, tmp_path):
    (settings.sources_dir / "notes.md").write_text("old")
    saved = sources.save_upload(settings, upload_file(tmp_path, "notes.md", b"new"))
    assert saved.replaced
    assert (settings.sources_dir / "notes.md").read_text() == "new"


@pytest.mark.parametrize("name", ["../x.txt", "a/b.txt", ".hidden.txt", "evil.exe"])
def test_save_upload_never_writes_outside_or_a_bad_name(settings, tmp_path, name):
    before = tree(tmp_path)
    src = upload_file(tmp_path, "upload.txt", b"text")
    with pytest.raises(SourceError):
        sources.save_upload(settings, src, name=name)
    assert tree(tmp_path) - before == {"gradio-upload", "gradio-upload/upload.txt"}


@pytest.mark.parametrize("there, upload", [
    (unicodedata.normalize("NFD", "café.txt"), "café.txt"),  # é as e + combining accent
    ("file.txt", "\ufb01le.txt"),  # the "fi" ligature
    ("report1.txt", "report\uff11.txt"),  # a full-width digit one
])
def test_save_upload_refuses_a_name_differing_only_by_normalisation(settings, tmp_path, there,
                                                                   upload):
    (settings.sources_dir / there).write_text("first")
    with pytest.raises(SourceError, match="differs only in its Unicode form") as refused:
        sources.save_upload(settings, upload_file(tmp_path, "upload.txt", b"second"), upload)
    assert repr(there) in str(refused.value)
    assert [p.name for p in settings.sources_dir.iterdir()] == [there]
    assert (settings.sources_dir / there).read_text() == "first"


def test_save_upload_refuses_a_file_over_the_limit(tmp_path, settings):
    settings = settings.model_copy(update={"max_upload_mb": 1})
    big = upload_file(tmp_path, "big.txt", b"x" * (sources.MB + 1))
    with pytest.raises(SourceError, match="more than the 1 MB upload limit"):
        sources.save_upload(settings, big)
    assert tree(settings.sources_dir) == set()
    exact = upload_file(tmp_path, "fits.txt", b"x" * sources.MB)
    assert sources.save_upload(settings, exact).size == sources.MB


def test_save_upload_refuses_an_empty_file(settings, tmp_path):
    with pytest.raises(SourceError, match="empty"):
        sources.save_upload(settings, upload_file(tmp_path, "empty.txt", b""))


def test_save_upload_replaces_a_symlink_instead_of_writing_through_it(settings, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    (settings.sources_dir / "link.txt").symlink_to(outside)
    assert sources.save_upload(settings, upload_file(tmp_path, "link.txt", b"new")).replaced
    assert outside.read_text() == "keep me"
    assert not (settings.sources_dir / "link.txt").is_symlink()


# -- rag.serve.sources: removing and listing -------------------------------------------------------


def test_remove_source_deletes_only_files_inside_the_folder(settings, tmp_path):
    (settings.sources_dir / "sub").mkdir()
    (settings.sources_dir / "sub" / "a.txt").write_text("a")
    (tmp_path / "victim.txt").write_text("v")
    sources.remove_source(settings, "sub/a.txt")
    assert not (settings.sources_dir / "sub" / "a.txt").exists()
    for bad in ("../victim.txt", "/etc/passwd", "sub/../../victim.txt", ".hidden", "sub"):
        with pytest.raises(SourceError):
            sources.remove_source(settings, bad)
    assert (tmp_path / "victim.txt").exists()


def test_list_files_shows_chunks_time_and_failures(settings):
    for name in ("ok.txt", "new.txt", "broken.pdf"):
        (settings.sources_dir / name).write_text("x")
    settings.index_dir.mkdir()
    (settings.index_dir / "last_sync.json").write_text(json.dumps(
        {"failures": [{"source": "broken.pdf", "reason": "broken.pdf: not a readable PDF."}]}))
    manifest = {"ok.txt": FileRecord("h1", 1_700_000_000.0, ["a", "b", "c"], "Okay",
                                     ["Ann Lee", "Bo Ng"]),
                "gone.txt": FileRecord("h2", 1_700_000_000.0, ["d"])}
    rows = {r.file: r for r in sources.list_files(settings, manifest)}
    assert set(rows) == {"ok.txt", "new.txt", "broken.pdf", "gone.txt"}
    assert (rows["ok.txt"].chunks, rows["ok.txt"].status) == (3, "indexed")
    assert rows["ok.txt"].as_list()[:4] == ["ok.txt", "Okay", "Ann Lee, Bo Ng", 3]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", rows["ok.txt"].as_list()[4])
    assert rows["new.txt"].status.startswith("not indexed yet")
    assert rows["broken.pdf"].status == "failed: broken.pdf: not a readable PDF."
    assert rows["gone.txt"].status.startswith("removed from the folder")
    assert rows["new.txt"].as_list() == ["new.txt", "", "", 0, "", rows["new.txt"].status]


def test_document_text_refuses_paths_outside_the_folder(settings):
    with pytest.raises(SourceError):
        sources.document_text(settings, "../secret.txt", None)
