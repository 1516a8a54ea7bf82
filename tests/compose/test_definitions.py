"""A definition question ("What is a shard in Quarry?") is searched first in the passage
where the document brings the term in: a paper defines a term where it first uses it, often
far from the passages that use it most (rag.compose.answer.Pipeline._introducing,
rag.retrieve.retrieval.IndexReader.first_mention)."""

import pytest

from conftest import index_sample
from rag.compose.answer import Pipeline
from rag.understand.intent import defined_term

INTRO = ("# Quarry: a Storage System\n\n"
         "Quarry keeps every table sorted by row key. The row range of a table is split "
         "dynamically, and each row range is called a shard, which is the unit of "
         "distribution and load balancing. Clients read a small number of machines for a "
         "short scan.\n\n")
LATER = [f"In Quarry experiment {i}, a shard server held {i * 10} shards of Quarry tables, "
         f"and a busy Quarry shard server moved a shard to another shard server.\n\n"
         for i in range(1, 13)]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Pipeline:
    settings = index_sample(tmp_path_factory.mktemp("defined"),
                            {"quarry.md": INTRO + "".join(LATER)}, chunk_size=400)
    return Pipeline(settings, "extractive")


@pytest.mark.parametrize("question, term", [
    ("What is a tablet in Bigtable?", "tablet"),
    ("What was the Dynabook?", "Dynabook"),
    ("What does Pat Helland mean by an entity?", "entity"),
    ("Who is Ma Xingrui?", "Ma Xingrui"),
    ("How big do tablets get?", None),
    ("What is the ratio of reads to writes in the largest cluster of the study?", None),
])
def test_the_term_a_definition_question_asks_about(question, term):
    assert defined_term(question) == term


def test_the_first_mention_is_the_first_chunk_holding_every_word(pipeline):
    first = pipeline.reader.first_mention("quarry.md", "Shard")  # any case, "shards" too
    assert "each row range is called a shard" in first.page_content
    assert pipeline.reader.first_mention("quarry.md", "shard busy") != first
    assert pipeline.reader.first_mention("quarry.md", "tablet") is None


def test_a_definition_is_searched_first_where_the_term_is_brought_in(pipeline):
    """The search finds the passages that use "shard" most; the one that brings it in
    leads them (the answer is then the sentence ranker's to choose: on the papers' dev
    chats, 1 → 4 of 11 first turns cite the defining passage)."""
    passages = pipeline.chain(5).invoke({"standalone": "What is a shard in Quarry?"})["passages"]
    assert "called a shard" in passages[0].page_content
    assert not any("called a shard" in p.page_content for p in passages[1:])
    others = pipeline.chain(5).invoke({"standalone": "How many shards did a server hold?"})
    assert not any("called a shard" in p.page_content for p in others["passages"])
