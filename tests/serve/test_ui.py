"""UI: the escaping of evidence (rag.serve.render), and the app's wiring and handlers (ui) over the
real extractive pipeline and a real 2-file index (built once), without launching a server."""

from __future__ import annotations

import ast
from pathlib import Path

import gradio as gr
import pytest

import ui
from conftest import SECOND, index_sample
from rag.serve import render
from rag.compose.citations import Citation

ROOT = Path(__file__).resolve().parents[2]


# -- rag.serve.render ------------------------------------------------------------------------------

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


def test_evidence_names_a_cited_file_by_its_title_and_file_name():
    titled = cite(source="gfs.pdf", page=2)
    titled.title = "The Google <File> System"
    out = render.evidence([titled])
    assert "The Google &lt;File&gt; System — gfs.pdf, page 2, chars" in out  # the passage
    assert "[1] The Google &lt;File&gt; System (gfs.pdf)</a>" in out  # the index of citations


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


@pytest.fixture(scope="module")
def backend(tmp_path_factory) -> ui.Backend:
    """The real backend (extractive pipeline) over the sample and a second file, indexed once."""
    return ui.Backend(index_sample(tmp_path_factory.mktemp("ui"), dict([SECOND])))


def run_answer(backend, question, turns=None, generator="extractive", k=3.0):
    chat = [{"role": "user", "content": question}]
    return list(ui.Handlers(backend).answer(question, turns or [], chat, generator, k, []))


def test_answer_streams_the_draft_then_the_verified_answer(backend):
    states = run_answer(backend, "What will the National Data Bureau be responsible for?")
    steps = [s[-1] for s in states]
    assert steps[0] == "searching" and steps[-1] == "done"
    assert set(steps[1:-1]) == {"answering"}  # one state per sentence of the draft
    drafts = [s[0][-1]["content"].removesuffix(" ▍") for s in states[1:-1]]
    assert all(a in b for a, b in zip(drafts, drafts[1:]))  # it grows
    assert all("#cite" not in d for d in drafts)  # draft numbers are not yet the final ones
    chat, panel, cited, turns = states[-1][:4]
    assert '<a href="#cite-1" class="cite">[1]</a>' in chat[-1]["content"]
    assert cited and all(f"id='cite-{c.n}'" in panel for c in cited)
    assert "<mark>" in panel and "confidence" in chat[-1]["content"]
    assert turns[-1]["role"] == "assistant" and "[1]" in turns[-1]["content"]


def test_answer_reads_a_follow_up_with_the_history(backend):
    turns = [{"role": "user", "content": "What is the National Data Bureau?"},
             {"role": "assistant", "content": "A bureau. [1]"}]
    chat, panel = run_answer(backend, "And when was it established?", turns)[-1][:2]
    assert "2023" in chat[-1]["content"]
    assert "Read as: <q>When was National Data Bureau established?</q>" in panel


def test_a_question_back_is_shown_as_a_question_not_as_an_abstention():
    from rag.compose.answer import AnswerResult

    asked = "Which document do you mean by 'the consensus paper'? A (a.pdf); B (b.pdf)."
    result = AnswerResult(question="Summarize the consensus paper.", standalone="Summarize "
                          "the consensus paper.", answer=asked, abstained=True, kind="clarify")
    bubble, panel, shown = ui._final(result, result.question)
    assert bubble.startswith("Which document do you mean") and "Not answered" not in bubble
    assert shown == [] and "No answer in the sources" not in panel


def test_answer_shows_an_abstention_with_the_closest_passages(backend):
    chat, panel = run_answer(backend, "Who is the mayor of Shanghai?")[-1][:2]
    assert chat[-1]["content"].startswith("**Not answered.**")
    assert "No answer in the sources" in panel and "closest 1" in panel


@pytest.mark.parametrize("case, expected", [
    ("no index", "run `rag index`, or add files on the Sources tab and press Rebuild index"),
    ("no model", "is neither smollm2, gemma3 nor an existing .gguf file. Choose another "
                 "generator under Settings."),
    ("too long", "the limit is 2,000 (RAG_MAX_QUESTION_CHARS)"),
    ("unexpected", "Something went wrong (KeyError"),
])
def test_answer_turns_errors_into_messages(backend, settings, monkeypatch, case, expected):
    question, generator = "What does the bureau do?", "extractive"
    if case == "no index":
        backend = ui.Backend(settings)  # a folder never indexed
    elif case == "no model":
        backend = ui.Backend(backend.settings.model_copy(
            update={"llm_model": str(settings.index_dir / "missing.gguf")}))
        generator = "local"
    elif case == "too long":
        question = "Why? " * 401
    else:  # a bug deep down must still end as a message, not a stuck chat
        backend = ui.Backend(backend.settings)
        monkeypatch.setattr(backend.pipeline("extractive"), "chain",
                            lambda *a: (_ for _ in ()).throw(KeyError("boom")))
    chat, panel, *_, status = run_answer(backend, question, generator=generator)[-1]
    assert status == "error"
    assert "Traceback" not in chat[-1]["content"]
    assert render.text(expected) in chat[-1]["content"]


def test_check_generator_reports_an_unavailable_generator(backend, tmp_path):
    broken = ui.Backend(backend.settings.model_copy(
        update={"llm_model": str(tmp_path / "missing.gguf")}))
    msg = ui.Handlers(broken).check_generator("local")
    assert msg.startswith("RAG_LLM_MODEL=") and "Choose another generator" in msg
    assert ui.Handlers(backend).check_generator("extractive") == \
        "Answers now come from the extractive generator."


def test_rebuild_without_sources_and_with_a_busy_index(settings):
    from rag.index.indexer import IndexLock

    handlers = ui.Handlers(ui.Backend(settings))
    with IndexLock(settings.index_dir):
        text = handlers.rebuild(False, [], progress=lambda *a, **k: None)[0]
    assert text.startswith("The index is busy")
