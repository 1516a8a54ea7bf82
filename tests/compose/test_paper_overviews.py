"""A paper's overview leans on its abstract (the problem, the approach, the result, as its
authors put them) and still says what its body says; it never quotes a heading, the byline
or a reference as a sentence."""

import pytest

from conftest import index_sample
from rag.compose.answer import Pipeline
from rag.compose.summarize import abstract
from rag.ingest.sentences import document_sentences

BODY = {
    "Background": "Many small banks keep their ledgers on one machine in a back office. "
                      "A failed disk there can erase a day of payments without warning. "
                      "Replication is the usual answer, but it is slow when done naively.",
    "2 Design": "Quill names one coordinator for each ledger shard at a time. The "
                "coordinator sends every entry to three replicas in parallel. A replica "
                "writes the entry to its log and then answers the coordinator.",
    "3 Evaluation": "We injected ten thousand disk and network failures into a test "
                    "cluster of nine machines. Throughput fell by eight percent against a "
                    "single machine. Recovery after a coordinator failure took two seconds.",
}
PAPER = ("# Ledger Replication with Quill\n\nDana Wu and Eli Park\n\n## Abstract\n\n"
         "Ledgers lose entries when a replica fails in the middle of a write. We present "
         "Quill, a protocol that copies each entry to three replicas before it acknowledges "
         "the write. In our tests Quill lost no entry across ten thousand injected "
         "failures.\n\n"
         + "".join(f"## {head}\n\n{text}\n\n" for head, text in BODY.items())
         + "## References\n\n[1] A. Smith and B. Jones. Ledgers at scale. In Proceedings of "
           "the Ledger Conference, pages 1-12, 2001.\n\n[2] C. Lee. Durable logs. Journal "
           "of Storage, 4(2):33-40, 2005.\n")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Pipeline:
    settings = index_sample(tmp_path_factory.mktemp("paper"), {"quill.md": PAPER})
    return Pipeline(settings, "extractive")


def test_the_abstract_is_found_and_ends_at_the_next_heading(pipeline):
    sents = document_sentences(pipeline.reader.chunks_of("quill.md"))
    start, stop = abstract(sents)
    assert sents[start].text.startswith("Ledgers lose entries")
    assert sents[stop - 1].text.endswith("ten thousand injected failures.")
    sample = document_sentences(pipeline.reader.chunks_of(
        "china-digital-economy-governance.txt"))
    assert abstract(sample) is None  # an article without one


@pytest.mark.parametrize("question", ["Summarize the Quill paper.",
                                      "What is 'Ledger Replication with Quill' about?"])
def test_a_papers_overview_takes_its_abstracts_points_and_its_bodys(pipeline, question):
    result = pipeline.ask(question)
    assert result.kind == "overview" and {c.source for c in result.citations} == {"quill.md"}
    text = result.answer
    assert "We present Quill" in text  # the approach, as the authors put it
    assert any(s in text for body in BODY.values() for s in body.split(". "))  # the body
    assert "lost no entry" in text  # the result, as the authors put it
    for never in ("Abstract", "Background", "Smith", "Proceedings", "Journal of Storage",
                  "Dana Wu"):
        assert never not in text.split("\n", 1)[1]  # below the heading
    starts = [c.start for c in result.citations]
    assert starts == sorted(starts)  # in reading order
