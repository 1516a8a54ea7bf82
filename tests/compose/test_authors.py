""""Who wrote it?" is answered from the byline the index recorded (rag.ingest.titles):
quoted from the first page and cited; a follow-up's "it" is the conversation's document; a
file without a byline is answered as a fact."""

from pathlib import Path

import pytest

from conftest import index_sample
from rag.compose.answer import Pipeline

BODY = ["Replicated logs keep every server's state machine in step with the others.",
        "A leader takes requests from clients and sends them to the followers.",
        "When the leader fails, the followers elect a new one after a timeout."]


def paper(path: Path) -> Path:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    pdf.setFont("Helvetica-Bold", 22)
    pdf.drawString(72, 740, "Replicated Logs in Practice")
    pdf.setFont("Helvetica", 10)
    for i, line in enumerate(["Ann Q. Lee and Bo Ng", "University of Nowhere", "Abstract",
                              *BODY]):
        pdf.drawString(72, 700 - 14 * i, line)
    pdf.showPage()
    pdf.save()
    return path


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Pipeline:
    root = tmp_path_factory.mktemp("authors")
    settings = index_sample(root)
    paper(settings.sources_dir / "logs.pdf")
    from rag.index.indexer import sync
    assert not sync(settings).failed
    return Pipeline(settings, "extractive")


@pytest.mark.parametrize("question", ["Who wrote the replicated logs paper?",
                                      "Who are the authors of 'Replicated Logs in Practice'?"])
def test_the_authors_are_quoted_from_the_byline(pipeline, question):
    result = pipeline.ask(question)
    assert result.kind == "list" and not result.abstained
    assert "Authors of Replicated Logs in Practice:" in result.answer
    assert "Ann Q. Lee and Bo Ng" in result.answer
    assert {c.source for c in result.citations} == {"logs.pdf"}
    assert result.citations[0].quote.startswith("Ann Q. Lee and Bo Ng")


def test_who_wrote_it_after_a_question_on_a_paper_names_that_papers_authors(pipeline):
    first = "What do the followers do when the leader fails?"
    answered = pipeline.ask(first)
    assert {c.source for c in answered.citations} == {"logs.pdf"}
    history = [{"role": "user", "content": first},
               {"role": "assistant", "content": answered.answer}]
    result = pipeline.ask("Who wrote it?", history=history)
    assert "Ann Q. Lee and Bo Ng" in result.answer and "China" not in result.answer


def test_a_file_without_a_byline_is_answered_as_a_fact(pipeline):
    result = pipeline.ask("Who wrote the china digital economy article?")
    assert result.kind == "factoid"
