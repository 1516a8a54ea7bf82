"""The learned overview classifier (rag/understand/intent_model.json, training/train_intent.py): it
catches overview requests the patterns miss, and leaves factoids alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, training_script

from rag.embeddings import sentence_vectors
from rag.understand.intent import (MODEL_PATH, _overview_model, by_patterns, detect,
                                  overview_probability)
from rag.understand.phrasings import METADATA


@pytest.fixture(scope="module")
def embed():
    return sentence_vectors(64, "fp32")


@pytest.mark.parametrize("question", [
    "Give me the lowdown on this paper.",
    "What's the elevator pitch of this report?",
    "Run me through the article.",
    "Gimme the short version.",
    "Whats the deal with this document?",
])
def test_it_catches_overview_requests_the_patterns_miss(question, embed):
    assert by_patterns(question, None).kind != "overview"  # else this tests nothing
    assert detect(question, embed=embed).kind == "overview"
    assert detect(question).kind != "overview"  # without vectors: the patterns only


def test_it_leaves_a_roll_call_of_people_or_organisations_alone(embed):
    # the classifier reads "What people are discussed in this piece?" as an overview
    for question in ("What people are discussed in this piece?", "Which organisations are named?"):
        assert detect(question, embed=embed).names in ("people", "organisations"), question


@pytest.mark.parametrize("question", [
    "What is the title of the article?", "What is the title of this document?"])
def test_a_question_about_the_document_as_a_thing_stays_a_factoid(question, embed):
    """Its title, author, date or length: the classifier reads "the title of the article"
    as "the subject of the article" (rag.understand.phrasings.METADATA keeps it out)."""
    probability, threshold = overview_probability(embed([question])[0]), _overview_model()[2]
    assert probability >= threshold  # else this tests nothing
    assert detect(question, embed=embed).kind == "factoid"
    for asked in ("Who wrote the report?", "When was this article published?",
                  "How long is the document?", "What is the language of the text?"):
        assert METADATA.search(asked.lower()), asked
    assert not METADATA.search("what is the subject of the article?")


def _questions(path: Path) -> list[str]:
    return [json.loads(line)["question"] for line in path.read_text().splitlines() if line]


def test_it_leaves_questions_about_the_content_alone(embed):
    questions = _questions(ROOT / "eval" / "data" / "sample_qa.jsonl") + [
        "What is the title of the paper?", "How does it work?", "Who is the author?",
        "What does the report say about Xinjiang?", "What is the tone of the article?",
        "When was the National Data Bureau established?", "What is it?", "Why?"]
    turned = [q for q in questions if by_patterns(q, None).kind != "overview"
              and detect(q, embed=embed).kind == "overview"]
    assert turned == []


def _training_script():
    return training_script("train_intent")


@pytest.mark.skipif(not (ROOT.parent / "shared" / "benchmarks" / "squad2").is_dir(),
                    reason="needs ../shared/benchmarks")
def test_training_is_deterministic_on_a_small_slice():
    train = _training_script()
    first, second = (train.dumps(train.train(limit=300)) for _ in range(2))
    assert first == second
    data = json.loads(first)
    assert len(data["coef"]) == 384 and 0.9 <= data["threshold"] <= 1.0
    assert data["report"]["counts"]["neg_train"] > 300  # the hand-written ones and the slice
    shipped = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert set(shipped) == set(data) and len(shipped["coef"]) == 384


def test_a_check_on_another_cpu_accepts_float_noise_and_nothing_else():
    """`--check` of both training scripts (training/reproduce.py): byte for byte is
    "exactly"; the 6th digit moved by another CPU's kernels passes and says so; another
    value, key, length or string fails."""
    verdict = training_script("reproduce").verdict
    shipped = json.dumps({"threshold": 0.41, "coef": [-0.55266, 2.23932], "name": "x"})
    assert verdict(shipped, shipped) == (True, "reproduced exactly")
    ok, how = verdict(shipped, shipped.replace("-0.55266", "-0.552662"))
    assert ok and "floating-point noise" in how and "/coef[0]" in how
    for changed in (shipped.replace("2.23932", "2.2403"), shipped.replace("0.41", "0.42"),
                    shipped.replace(', 2.23932', ''), shipped.replace('"x"', '"y"'),
                    shipped.replace('"name"', '"other"')):
        assert not verdict(shipped, changed)[0], changed
    assert not verdict(None, shipped)[0]
