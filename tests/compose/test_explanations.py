"""Explanations on a real index: "How does X work?", "Explain X", "What does X hold?" answer
with the 3 to 6 sentences of the part of a document about X, cited, in reading order; a
list the document makes stays a list; a thing no document is about is declined."""

import re

import pytest

from conftest import index_sample
from rag.compose.answer import Pipeline

STORE = """# A Replicated Store

## Membership

Every node keeps a list of the other nodes it knows about. Nodes exchange their lists with
a random peer once a second, so a new node becomes known to everyone within a few rounds.
A node that misses ten rounds in a row is marked as suspect.

## Hinted handoff

Hinted handoff keeps writes available when a replica is down. The coordinator sends the
write to the next healthy node on the ring instead of the missing replica. That node stores
the write in a separate local table together with a hint naming the intended owner. It
scans the table every ten seconds and delivers each hinted write once the owner answers
again. After delivery the node deletes the hinted copy from its table.

## Anti-entropy

Replicas that drift apart are repaired by comparing Merkle trees of their key ranges. Only
the ranges whose hashes differ are transferred between the two replicas.

## Deployment

The main components of a deployment are as follows:

- A load balancer spreads client requests over the coordinators.
- A coordinator tier routes every request to the replicas of its key.
- A storage tier keeps the data on local disks of commodity servers.
- A monitoring service watches the latency of every node.
"""


CRON = """# Night Runs

The batch scheduler runs nightly jobs on a shared cluster. Each job declares the cores and
memory it needs before it is queued. The scheduler sorts the queue by deadline and starts a
job when a machine has room for it. A job that overruns its deadline is stopped and put back
at the end of the queue.
"""


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Pipeline:
    settings = index_sample(tmp_path_factory.mktemp("explain"),
                            {"store.md": STORE, "night-runs.md": CRON})
    return Pipeline(settings, "extractive")


def _turn(question: str, answer: str) -> list[dict]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


def _sentences(answer: str) -> list[str]:
    """The cited sentences of an answer, without the heading."""
    body = answer.split("\n", 1)[1] if answer.split("\n", 1)[0].endswith(":") else answer
    return [s.strip(" -") for s in re.split(r"\s*\[\d+\]\s*", body) if s.strip(" -\n")]


@pytest.mark.parametrize("question", [
    "How does hinted handoff work?",
    "Explain hinted handoff.",
    "Can you explain how hinted handoff keeps writes available?",
])
def test_an_explanation_is_the_part_about_it_in_reading_order(pipeline, question):
    result = pipeline.ask(question)
    assert result.kind == "explanation" and not result.abstained
    said = _sentences(result.answer)
    assert 3 <= len(said) <= 6
    assert {c.source for c in result.citations} == {"store.md"}
    section = STORE[STORE.index("## Hinted handoff"):STORE.index("## Anti-entropy")]
    flat = " ".join(section.split())
    at = [flat.find(" ".join(s.split())) for s in said]
    assert all(a >= 0 for a in at), said  # every sentence from the hinted handoff section
    assert at == sorted(at)  # in reading order


def test_what_a_thing_holds_is_answered_from_the_part_about_it(pipeline):
    result = pipeline.ask("What does the separate local table hold?")
    assert result.kind == "explanation" and not result.abstained
    assert "hint naming the intended owner" in result.answer


def test_a_list_the_document_makes_is_answered_as_that_list(pipeline):
    result = pipeline.ask("What are the main components of a deployment?")
    assert not result.abstained
    lines = result.answer.splitlines()
    items = [line for line in lines if line.startswith("- ")]
    for part in ("load balancer", "coordinator tier", "storage tier", "monitoring service"):
        assert any(part in line for line in items), result.answer
    assert "are as follows" in result.answer  # the lead-in, as the document writes it


@pytest.mark.parametrize("question", ["How does photosynthesis work?",
                                      "What does a chlorophyll molecule hold?"])
def test_an_explanation_of_what_no_document_is_about_is_declined(pipeline, question):
    result = pipeline.ask(question)
    assert result.abstained and not result.citations


@pytest.mark.parametrize("follow_up, file, holds", [
    # "it": the conversation's thing, explained from the conversation's file
    ("How does it work?", "store.md", "hint naming the intended owner"),
    # something the conversation's file lacks: found in another file
    ("How does the batch scheduler work?", "night-runs.md", "sorts the queue by deadline"),
])
def test_an_explanation_in_a_chat_is_searched_in_its_files_then_in_all(pipeline, follow_up,
                                                                       file, holds):
    first = pipeline.ask("What is hinted handoff?")
    result = pipeline.ask(follow_up, history=_turn("What is hinted handoff?", first.answer))
    assert result.kind == "explanation" and not result.abstained
    assert {c.source for c in result.citations} == {file}
    assert holds in result.answer


@pytest.mark.parametrize("question", ["How does the replicated store work?",
                                      "Explain how a replicated store works"])
def test_how_a_document_s_own_subject_works_is_that_document_s_overview(pipeline, question):
    """The whole document explains its subject: its overview, not one part of it."""
    result = pipeline.ask(question)
    assert result.kind == "overview" and not result.abstained
    assert {c.source for c in result.citations} == {"store.md"}
