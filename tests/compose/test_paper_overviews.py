"""A paper's overview leans on its abstract (the problem, the approach, the result, as its
authors put them) and still says what its body says; it never quotes a heading, the byline
or a reference as a sentence."""

import pytest

from conftest import index_sample
from rag.compose.answer import Pipeline
from rag.compose.summarize import abstract
from rag.ingest.sentences import document_sentences

BODY = {
    "1 Introduction": "Section 2 describes how Quill copies each ledger entry to three "
                      "replicas before it acknowledges the write, and Section 3 evaluates "
                      "Quill under ten thousand injected failures.",
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


OTHER = ("# Sparrow: Gossip for Shared Ledgers\n\nAnn Moss\n\n## Abstract\n\n"
         "Shared ledgers drift apart when their owners update them offline. We present "
         "Sparrow, a gossip protocol that merges two ledgers in one round trip. Sparrow "
         "converged within a minute on a network of five hundred laptops.\n\n"
         "## 2 Protocol\n\nEach laptop keeps a digest of every ledger page. Two laptops "
         "swap digests and send each other only the pages that differ. A page edited on "
         "both sides keeps both versions until a person chooses one.\n")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Pipeline:
    settings = index_sample(tmp_path_factory.mktemp("paper"), {"quill.md": PAPER,
                                                               "sparrow.md": OTHER})
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
                  "Dana Wu", "Section 2 describes"):  # nor the paper's layout
        assert never not in text.split("\n", 1)[1]  # below the heading
    starts = [c.start for c in result.citations]
    assert starts == sorted(starts)  # in reading order


def test_two_papers_compared_without_an_aspect_are_each_its_own_overview(pipeline):
    result = pipeline.ask("Compare the Quill paper and the Sparrow paper.")
    assert result.kind == "comparison" and not result.abstained
    quill, sparrow = result.answer.split("\nSparrow: Gossip for Shared Ledgers:\n")
    assert "We present Quill" in quill and "We present Sparrow" in sparrow
    assert "Section 2 describes" not in result.answer
