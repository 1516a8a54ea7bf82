"""The one answer loop (rag.compose.answer): every kind of question is drafted by the
drafter of its kind and then written, verified and answered or abstained in one place; the
follow-up is condensed once per question."""

import pytest

import rag.compose.answer as answer
from conftest import index_sample
from rag.compose.answer import WHOLE_DRAFTERS, Pipeline
from rag.understand.kinds import Kind

pytestmark = pytest.mark.integration

HISTORY = [{"role": "user", "content": "Who is Ma Xingrui?"},
           {"role": "assistant", "content": "Ma Xingrui is the party secretary of Xinjiang."}]
ASKED = {  # question -> the kind of draft the loop gets
    "When was the National Data Bureau established?": "factoid",
    "What is this article about?": "overview",
    "Describe Ma's career.": "overview",  # a topic summary reports itself as an overview
    "Compare the careers of Ma Xingrui and Yuan Jiajun": "comparison",
    "Which provinces are mentioned?": "list",
    "What are the main challenges mentioned?": "factoid",  # a list nobody vouches for
}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Pipeline:
    return Pipeline(index_sample(tmp_path_factory.mktemp("loop")), "extractive")


def test_every_whole_kind_has_a_drafter():
    assert set(WHOLE_DRAFTERS) == set(Kind) - {Kind.FACT}
    assert all(callable(getattr(Pipeline, name)) for name in WHOLE_DRAFTERS.values())


@pytest.mark.parametrize("question, kind", ASKED.items())
def test_every_kind_goes_through_the_one_loop_and_condenses_once(pipeline, monkeypatch,
                                                                 question, kind):
    condensed, looped = [], []
    real_condense, real_answer = answer.condense, Pipeline._answer

    def counting(*args, **kwargs):
        condensed.append(args[0])
        return real_condense(*args, **kwargs)

    def recording(self, asked, drafted, started):
        looped.append(drafted.kind)
        yield from real_answer(self, asked, drafted, started)

    monkeypatch.setattr(answer, "condense", counting)
    monkeypatch.setattr(Pipeline, "_answer", recording)
    result = pipeline.ask(question, history=HISTORY)
    # the question once; a fact that follows on also reads the turn before it (to find the
    # files the conversation is about), never the question again
    assert condensed.count(question) == 1
    assert set(condensed) <= {question, *(m["content"] for m in HISTORY if m["role"] == "user")}
    assert looped == [kind] and result.kind == kind
