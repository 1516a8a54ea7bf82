"""Question understanding against its examples: tests/understand/data/intents.jsonl holds
questions with the intent each must get (only the fields given are checked; "not": an intent
it must not get). A new phrasing is added there, as a row, with its counter-examples."""

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from rag.understand.intent import detect
from rag.understand.kinds import Kind

EXAMPLES = Path(__file__).with_name("data") / "intents.jsonl"
# what an intent that lacks a field reads as (a fact has no topic, an overview no sides)
BLANK = {"part": "", "names": "", "topic": "", "sides": [], "aspect": "", "by": "",
         "files": [], "vouched": False}


def view(intent) -> dict:
    """The intent as the examples write it."""
    return {**BLANK, **asdict(intent), "kind": str(intent.kind)}


def _rows():
    rows = [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return [pytest.param(r, id=r["question"][:60]) for r in rows]


def _holds(got: dict, expect: dict) -> bool:
    return all(got[k] == v for k, v in expect.items())


@pytest.mark.parametrize("row", _rows())
def test_the_intent_of_a_question(row):
    got = view(detect(row["question"], row.get("sources")))
    expect = dict(row["expect"])
    against = expect.pop("not", None)
    assert _holds(got, expect), {k: got[k] for k in expect}
    if against:
        assert not _holds(got, against), {k: got[k] for k in against}


def test_the_examples_cover_every_kind():
    kinds = {json.loads(line)["expect"].get("kind")
             for line in EXAMPLES.read_text(encoding="utf-8").splitlines()}
    assert {kind.value for kind in Kind} <= kinds
