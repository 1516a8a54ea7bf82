"""UI: the upload/removal rules (rag.sources), the escaping of evidence (rag.render), and the
app's wiring (ui) without launching a server."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import gradio as gr
import pytest

import ui
from rag import render, sources
from rag.answer import AnswerResult
from rag.citations import Citation
from rag.errors import GeneratorUnavailableError, IndexNotFoundError
from rag.sources import SourceError
from rag.store import FileRecord

ROOT = Path(__file__).resolve().parents[1]


def tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


# -- rag.sources: names ------------------------------------------------------------------------


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
    ("bell\x07.txt", "control characters"),
    ("a" * 300 + ".txt", "too long"),
])
def test_check_name_refuses_unsafe_names_and_says_why(name, why):
    with pytest.raises(SourceError, match=re.escape(why)):
        sources.check_name(name)


# -- rag.sources: saving uploads ---------------------------------------------------------------


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


# -- rag.sources: removing and listing ---------------------------------------------------------


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
    manifest = {"ok.txt": FileRecord("h1", 1_700_000_000.0, ["a", "b", "c"]),
                "gone.txt": FileRecord("h2", 1_700_000_000.0, ["d"])}
    rows = {r.file: r for r in sources.list_files(settings, manifest)}
    assert set(rows) == {"ok.txt", "new.txt", "broken.pdf", "gone.txt"}
    assert (rows["ok.txt"].chunks, rows["ok.txt"].status) == (3, "indexed")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", rows["ok.txt"].as_list()[2])
    assert rows["new.txt"].status.startswith("not indexed yet")
    assert rows["broken.pdf"].status == "failed: broken.pdf: not a readable PDF."
    assert rows["gone.txt"].status.startswith("removed from the folder")
    assert rows["new.txt"].as_list() == ["new.txt", 0, "", rows["new.txt"].status]


def test_document_text_refuses_paths_outside_the_folder(settings):
    with pytest.raises(SourceError):
        sources.document_text(settings, "../secret.txt", None)


# -- rag.render --------------------------------------------------------------------------------

HOSTILE = 'Intro. <script>alert(1)</script> & <img src=x onerror="p()"> Done.'


def cite(n=1, text=HOSTILE, quote=("<script>alert(1)</script>",), source="a.txt", page=None,
         start=100) -> Citation:
    q0 = text.index(quote[0])
    q1 = q0 + len(quote[0])
    return Citation(n=n, source=source, page=page, start=start, end=start + len(text), text=text,
                    quote=text[q0:q1], quote_start=q0, quote_end=q1)


def test_evidence_escapes_the_passage_and_marks_exactly_the_quote():
    out = render.evidence([cite()])
    assert "<script" not in out and "<img" not in out
    assert "<mark>&lt;script&gt;alert(1)&lt;/script&gt;</mark>" in out
    assert "&amp; &lt;img src=x onerror=&quot;p()&quot;&gt; Done." in out
    assert 'id="cite-1"' in out.replace("'", '"')
    assert "a.txt, chars 100-166" in out


def test_evidence_shows_page_and_escapes_the_source_name():
    out = render.evidence([cite(source='"><img src=x onerror=1>.pdf', page=3)])
    assert "<img" not in out
    assert "&quot;&gt;&lt;img src=x onerror=1&gt;.pdf, page 3, chars" in out


def test_marked_escapes_inside_and_outside_the_mark():
    assert render.marked("a<b>c", 1, 4) == "a<mark>&lt;b&gt;</mark>c"
    assert render.marked("a<b", 2, 2) == "a&lt;b"  # empty span: no mark at all


def test_closest_reads_as_an_abstention():
    out = render.closest([cite()], "the sources never mention 'peru'")
    assert "No answer in the sources" in out
    assert "the sources never mention &#x27;peru&#x27;" in out
    assert "<mark>&lt;script&gt;" in out


def test_document_marks_the_passage_at_its_offsets():
    c = cite(text="Bureau < set up.", quote=("set up",), start=6)
    full = "Head. Bureau < set up. Tail <b>."
    out = render.document(full, c)
    assert "Head. <span class='doc-passage' id='doc-passage'>Bureau &lt; <mark>set up</mark>." in out
    assert "Tail &lt;b&gt;." in out


def test_document_finds_a_moved_passage_and_flags_a_vanished_one():
    c = cite(text="Bureau set up.", quote=("set up",), start=0)
    moved = render.document("New first line. Bureau set up.", c)
    assert "<mark>set up</mark>" in moved
    gone = render.document("Completely different text.", c)
    assert "has changed since it was indexed" in gone and "<mark>" not in gone


def test_answer_links_markers_and_escapes_html_and_markdown():
    out = render.answer("It is **big** <b>x</b> [1] and set up [2].")
    assert '<a href="#cite-1" class="cite">[1]</a>' in out
    assert '<a href="#cite-2" class="cite">[2]</a>' in out
    assert "<b>" not in out and "&lt;b&gt;" in out
    assert r"\*\*big\*\*" in out
    assert "#cite" not in render.answer("draft [1]", links=False)


# -- ui: the app and its handlers --------------------------------------------------------------


def test_create_app_returns_blocks_without_touching_the_index(settings):
    app = ui.create_app(settings)
    assert isinstance(app, gr.Blocks)
    assert not settings.index_dir.exists()  # nothing is loaded until it is used


def test_chat_and_rebuild_run_in_separate_queues(settings):
    app = ui.create_app(settings)
    fns = {f.name: f for f in app.fns.values()}
    assert fns["answer"].concurrency_id != fns["rebuild"].concurrency_id
    assert fns["rebuild"].concurrency_id == fns["upload"].concurrency_id  # never mid-sync


def test_ui_imports_no_vendor_package():
    imported = set()
    for node in ast.walk(ast.parse((ROOT / "ui.py").read_text())):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert not [m for m in imported if m.startswith(("langchain", "chromadb"))]


def test_launch_options_bind_locally_with_login_and_never_share(settings):
    opts = ui.launch_options(settings)
    assert (opts["server_name"], opts["server_port"], opts["share"]) == ("127.0.0.1", 7860, False)
    assert opts["auth"] is None
    assert opts["max_file_size"] == settings.max_upload_mb * 1024 * 1024
    secured = settings.model_copy(update={"username": "ann", "password": "pw"})
    assert ui.launch_options(secured)["auth"] == ("ann", "pw")


class FakePipeline:
    """Streams a draft in two pieces, then a final answer (checkable by eye)."""

    def __init__(self, result=None, error=None):
        self.result, self.error, self.calls = result, error, []

    def stream(self, question, history=None, k=None, sources=None):
        self.calls.append((question, history, k, sources))
        if self.error:
            raise self.error
        yield {"type": "token", "text": "The bureau regulates data [1]."}
        yield {"type": "token", "text": " It was set up in March 2023 [1]."}
        yield {"type": "final", "result": self.result}


class FakeBackend(ui.Backend):
    def __init__(self, settings, pipeline=None, error=None):
        super().__init__(settings)
        self.fake, self.error = pipeline, error

    def pipeline(self, generator):
        if self.error:
            raise self.error
        return self.fake


def run_answer(backend, question="What does the bureau do?", turns=None):
    chat = [{"role": "user", "content": question}]
    return list(ui.Handlers(backend).answer(question, turns or [], chat, "extractive", 3.0, []))


def test_answer_streams_the_draft_then_the_verified_answer(settings):
    c = cite(text="The bureau regulates data.", quote=("regulates data",))
    result = AnswerResult("q", "q", "The bureau regulates data. [1]", False, citations=[c])
    fake = FakePipeline(result)
    states = run_answer(FakeBackend(settings, fake), turns=[{"role": "user", "content": "hi"}])
    assert [s[-1] for s in states] == ["searching", "answering", "answering", "done"]
    drafts = [s[0][-1]["content"].removesuffix(" ▍") for s in states[1:3]]
    assert drafts[0] in drafts[1] and len(drafts[1]) > len(drafts[0])  # it grows
    assert "#cite" not in drafts[1]  # draft numbers are not yet the final ones
    chat, panel, cited, turns = states[-1][:4]
    assert '<a href="#cite-1" class="cite">[1]</a>' in chat[-1]["content"]
    assert "<mark>regulates data</mark>" in panel and cited == [c]
    assert turns[-1] == {"role": "assistant", "content": "The bureau regulates data. [1]"}
    assert fake.calls == [("What does the bureau do?", [{"role": "user", "content": "hi"}], 3,
                           None)]


def test_answer_shows_an_abstention_with_the_closest_passages(settings):
    result = AnswerResult("q", "q", "The indexed sources do not answer this question (x).", True,
                          closest=[cite()], reason="x")
    chat, panel = run_answer(FakeBackend(settings, FakePipeline(result)))[-1][:2]
    assert chat[-1]["content"].startswith("**Not answered.**")
    assert "No answer in the sources" in panel and "closest 1" in panel


@pytest.mark.parametrize("error, expected", [
    (IndexNotFoundError("There is no index yet: run `rag index` first."),
     "run `rag index`, or add files on the Sources tab and press Rebuild index"),
    (GeneratorUnavailableError("llama-cpp-python is not installed."),
     "llama-cpp-python is not installed. Choose another generator under Settings."),
    (KeyError("boom"), "Something went wrong (KeyError"),
])
def test_answer_turns_errors_into_messages(settings, error, expected):
    for backend in (FakeBackend(settings, error=error),
                    FakeBackend(settings, FakePipeline(error=error))):
        chat, panel, *_, status = run_answer(backend)[-1]
        assert status == "error"
        assert "Traceback" not in chat[-1]["content"]
        assert render.text(expected) in chat[-1]["content"]


def test_check_generator_reports_an_unavailable_generator(settings):
    error = GeneratorUnavailableError("The model package for 'x' is not installed.")
    msg = ui.Handlers(FakeBackend(settings, error=error)).check_generator("local")
    assert msg.startswith("The model package for 'x' is not installed.")


def test_rebuild_without_sources_and_with_a_busy_index(settings):
    from rag.indexer import IndexLock

    handlers = ui.Handlers(ui.Backend(settings))
    with IndexLock(settings.index_dir):
        text = handlers.rebuild(False, [], progress=lambda *a, **k: None)[0]
    assert text.startswith("The index is busy")
