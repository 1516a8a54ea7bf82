"""CLI: `rag index` (summary, --json, --rebuild, exit codes). Settings come from RAG_* env."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from conftest import write
from rag.serve.cli import app
from rag.index.indexer import IndexLock

pytestmark = pytest.mark.integration  # each test indexes or serves for real

KEYS = {"added", "changed", "removed", "unchanged", "failed", "chunks", "seconds"}


@pytest.fixture
def rag():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def corpus(sources):
    write(sources / "a.txt", "Kestrels hover over motorway verges.")
    write(sources / "b.md", "# Owls\n\nBarn owls hunt by sound alone.")


def test_index_json_prints_exactly_the_summary_keys(rag, corpus):
    result = rag("index", "--json")  # the progress bar goes to stderr, not into the JSON
    assert result.exit_code == 0, result.stderr
    assert "Embedding" in result.stderr
    summary = json.loads(result.stdout)
    assert set(summary) == KEYS
    assert (summary["added"], summary["failed"], summary["chunks"]) == (2, 0, 2)

    again = json.loads(rag("index", "--json", "-q").stdout)
    assert (again["added"], again["unchanged"], again["chunks"]) == (0, 2, 2)


def test_index_prints_a_one_line_summary(rag, corpus):
    result = rag("index", "-q")
    assert result.exit_code == 0
    assert re.fullmatch(r"2 added, 0 changed, 0 removed, 0 unchanged, 0 failed; 2 chunks in "
                        r"the index \(2 embedded\) in \d+\.\d s\n", result.stdout)


def test_index_prepares_the_overviews_of_the_files_it_added_or_changed(rag, corpus, sources,
                                                                       settings, monkeypatch):
    prepared = settings.index_dir / "sentences"
    result = rag("index")
    assert "Preparing overviews" in result.stderr
    assert len(list(prepared.glob("*.npy"))) == 2  # one per file
    write(sources / "a.txt", "Kestrels hover over motorway verges. Buzzards circle slowly over the open hills looking for rabbits.")
    rag("index", "-q")
    assert len(list(prepared.glob("*.npy"))) == 3  # the changed file's new sentences

    monkeypatch.setenv("RAG_PREPARE_OVERVIEWS", "0")
    write(sources / "c.txt", "Swifts sleep on the wing.")
    result = rag("index")
    assert "Preparing overviews" not in result.stderr
    assert len(list(prepared.glob("*.npy"))) == 3


def test_index_does_not_prepare_a_file_too_long_to_embed_now(rag, sources, settings,
                                                             monkeypatch):
    """A 50 MB log would take hours: files of more than PREPARE_MOST_CHUNKS chunks wait
    for their first overview."""
    monkeypatch.setattr("rag.compose.answer.PREPARE_MOST_CHUNKS", 1)
    write(sources / "short.txt", "Kestrels hover over motorway verges in the early morning.")
    paragraph = "Barn owls hunt by sound alone, and they fly without a sound at night. " * 12
    write(sources / "long.txt", "\n\n".join([paragraph] * 4))
    assert rag("index", "-q").exit_code == 0
    assert settings.index_dir.joinpath("sentences").exists()
    assert len(list((settings.index_dir / "sentences").glob("*.npy"))) == 1  # short.txt


def test_index_exits_non_zero_when_a_file_failed(rag, corpus, sources):
    write(sources / "data.xyz", "not a supported type")
    write(sources / "empty.txt", "")
    result = rag("index", "--json", "-q")
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert (summary["added"], summary["failed"]) == (2, 2)
    assert "failed: data.xyz: unsupported file type '.xyz'" in result.stderr
    assert "failed: empty.txt: the file is empty." in result.stderr

    (sources / "data.xyz").unlink()
    (sources / "empty.txt").unlink()
    assert rag("index", "-q").exit_code == 0


def test_index_rebuild_and_setting_mismatch(rag, corpus, monkeypatch):
    assert rag("index", "-q").exit_code == 0
    monkeypatch.setenv("RAG_CHUNK_SIZE", "400")
    refused = rag("index", "-q")
    assert refused.exit_code == 2
    assert "rag index --rebuild" in refused.stderr and "chunk_size" in refused.stderr
    rebuilt = rag("index", "--rebuild", "--json", "-q")
    assert rebuilt.exit_code == 0
    assert json.loads(rebuilt.stdout)["chunks"] == 2


def test_index_refuses_to_run_twice_at_once(rag, corpus, settings):
    with IndexLock(settings.index_dir):
        result = rag("index", "-q")
    assert result.exit_code == 2
    assert "Another `rag index` is already running" in result.stderr


def test_invalid_setting_is_a_clear_error(rag, corpus, monkeypatch):
    monkeypatch.setenv("RAG_CHUNK_OVERLAP", "900")
    result = rag("index", "-q")
    assert result.exit_code == 2
    assert "RAG_CHUNK_OVERLAP (900) must be smaller than RAG_CHUNK_SIZE (800)" in result.stderr


# -- rag ask / rag eval ------------------------------------------------------------------------

ASK_KEYS = {"question", "standalone_question", "answer", "abstained", "citations", "closest",
            "reason", "unsupported", "confidence", "kind", "generator", "seconds", "scope"}
CITATION_KEYS = {"n", "source", "page", "start", "end", "text", "quote", "quote_start",
                 "quote_end", "title", "chunk_id", "spans", "highlight"}


def test_ask_json_answers_with_citations(rag, corpus):
    assert rag("index").exit_code == 0
    result = rag("ask", "--json", "How do barn owls hunt?")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == ASK_KEYS and data["abstained"] is False
    assert "by sound" in data["answer"] and data["citations"]
    assert set(data["citations"][0]) == CITATION_KEYS
    assert data["citations"][0]["source"] == "b.md"
    assert 0.0 <= data["confidence"] <= 1.0


def test_ask_prints_numbered_citations(rag, corpus):
    rag("index")
    result = rag("ask", "What hovers over motorway verges?")
    assert result.exit_code == 0
    assert "[1] a.txt, chars 0-" in result.stdout and "Kestrels" in result.stdout


def test_ask_source_filter(rag, corpus):
    rag("index")
    question = "What hovers over motorway verges?"
    data = json.loads(rag("ask", "--json", "--source", "a.txt", question).stdout)
    assert not data["abstained"] and data["citations"]
    assert {c["source"] for c in data["citations"]} == {"a.txt"}
    other = json.loads(rag("ask", "--json", "--source", "b.md", question).stdout)
    assert {c["source"] for c in other["citations"] + other["closest"]} == {"b.md"}


@pytest.mark.parametrize("setup, question, message", [
    ("none", "What is it?", "run `rag index`"),
    ("empty", "What is it?", "index is empty"),
    ("indexed", "   ", "question is empty"),
    ("indexed", "why " * 600, "the limit is 2,000 (RAG_MAX_QUESTION_CHARS)"),  # as the API
    ("indexed", "--source=nope.txt What hovers?", "Not in the index: 'nope.txt'. Indexed "
                                                  "files: a.txt."),
])
def test_ask_refuses_with_a_message_saying_what_to_do(rag, sources, setup, question, message):
    if setup == "indexed":
        write(sources / "a.txt", "Kestrels hover over motorway verges.")
    if setup != "none":
        rag("index")
    result = rag("ask", *question.split(" ", 1)) if question.startswith("--") else \
        rag("ask", question)
    assert result.exit_code == 2
    assert message in result.stderr


def test_eval_json_reports_summary_and_items(rag, corpus, tmp_path):
    qa = tmp_path / "qa.jsonl"
    qa.write_text(json.dumps({"id": "q1", "question": "How do barn owls hunt?",
                              "answers": ["by sound"], "evidence": "hunt by sound"}) + "\n"
                  + json.dumps({"id": "q2", "question": "Which company makes the iPhone?",
                                "answers": [], "evidence": None}) + "\n")
    rag("index")
    result = rag("eval", "--json", str(qa))
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["answer_accuracy"] == 1.0 and report["citation_accuracy"] == 1.0
    assert report["abstention_accuracy"] == 1.0 and report["unsupported_sentences"] == 0
    assert {"latency_p50_ms", "latency_p95_ms"} <= set(report)
    assert [i["id"] for i in report["items"]] == ["q1", "q2"]
    assert ASK_KEYS <= set(report["items"][0])
    assert report["answered_share"] == 1.0 and report["abstained_share"] == 1.0
    assert report["confidence_auc"] == 1.0


SQUAD = {"version": "v2.0", "data": [
    {"title": "Okapi", "paragraphs": [{
        "context": "The okapi lives in the Ituri rainforest of the Congo. It eats the leaves of "
                   "more than a hundred plant species.",
        "qas": [{"id": "q1", "question": "Where does the okapi live?", "is_impossible": False,
                 "answers": [{"text": "Ituri rainforest", "answer_start": 19}]},
                {"id": "q2", "question": "How fast can an okapi run?", "is_impossible": True,
                 "answers": []}]}]},
    {"title": "Kestrel", "paragraphs": [{
        "context": "Kestrels hover over motorway verges while hunting voles.",
        "qas": [{"id": "q3", "question": "What do kestrels hunt while hovering?",
                 "is_impossible": False, "answers": [{"text": "voles", "answer_start": 51}]}]}]},
]}


def test_eval_squad_indexes_paragraphs_and_sweeps(rag, tmp_path):
    path = tmp_path / "mini-squad.json"
    path.write_text(json.dumps(SQUAD), encoding="utf-8")
    result = rag("eval", "--squad", str(path), "--sweep", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["items_total"], report["answerable"]) == (3, 2)
    by_id = {i["id"]: i for i in report["items"]}
    assert by_id["q1"]["answer_correct"] and by_id["q1"]["citation_correct"]
    assert {c["source"] for c in by_id["q1"]["citations"]} == {"Okapi-000.txt"}
    assert by_id["q2"]["abstention_correct"] is not None and by_id["q2"]["answer_correct"] is None
    assert [row["threshold"] for row in report["sweep"]][:2] == [0.05, 0.1]
    first, last = report["sweep"][0], report["sweep"][-1]
    assert first["answered"] >= last["answered"] and first["abstained"] <= last["abstained"]
    # the paragraphs went to an index of their own, not the user's
    assert any((tmp_path / "index" / "eval").iterdir())
    assert "run `rag index`" in rag("ask", "Where does the okapi live?").stderr


@pytest.mark.parametrize("args, message", [
    (["--held-out"], "use it with --squad"),
    ([], "Give either a JSONL file or --squad"),
])
def test_eval_rejects_bad_option_combinations(rag, args, message):
    result = rag("eval", *args)
    assert result.exit_code == 2 and message in result.stderr


def test_eval_held_out_needs_held_out_articles(rag, tmp_path):
    path = tmp_path / "mini-squad.json"
    path.write_text(json.dumps(SQUAD), encoding="utf-8")
    result = rag("eval", "--squad", str(path), "--held-out")
    assert result.exit_code == 2 and "none of the articles held out" in result.stderr


def test_ask_json_gives_the_highlight_boxes_of_a_pdf_citation(rag, sources):
    from pdfs import ANSWER, QUESTION, make_two_column_pdf
    from rag.ingest import pdf

    path = make_two_column_pdf(sources / "brightwater.pdf")
    write(sources / "a.txt", "Kestrels hover over motorway verges.")
    assert rag("index", "-q").exit_code == 0
    data = json.loads(rag("ask", "--json", QUESTION).stdout)
    assert ANSWER in data["answer"]
    [c] = data["citations"]
    [hl] = c["highlight"]
    assert (hl["page"], len(hl["rects"])) == (2, 4)
    page = pdf.page_text(path, 2)
    assert page.text[hl["span"][0]:hl["span"][1]] == c["quote"]
    want = pdf.line_rects(page.boxes, *hl["span"])
    assert hl["rects"] == [[round(v, 2) for v in r] for r in want]
    other = json.loads(rag("ask", "--json", "What hovers over motorway verges?").stdout)
    assert other["citations"][0]["highlight"] is None  # not a PDF


def test_index_reports_ocr_per_page_and_pages_it_had_to_skip(rag, sources, tmp_path,
                                                            monkeypatch):
    import shutil

    from pdfs import make_mixed_pdf, make_scanned_pdf, make_two_column_pdf

    original = make_two_column_pdf(tmp_path / "original.pdf")
    scan = make_scanned_pdf(tmp_path / "scan.pdf", original)
    make_mixed_pdf(sources / "mixed.pdf", original, scan)
    if shutil.which("tesseract"):
        result = rag("index", "--rebuild")
        assert result.exit_code == 0 and "OCR mixed.pdf: page 2 of 2" in result.stderr
        shutil.rmtree(tmp_path / "index" / "ocr")  # else the page is read back from there
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))  # Tesseract gone
    result = rag("index", "--rebuild")
    assert result.exit_code == 0  # the file is indexed, its scanned page reported
    assert "skipped: mixed.pdf: page 2: no text layer; OCR not installed" in result.stderr
    assert "OCR mixed.pdf" not in result.stderr
