"""The contract every registered generator (the "rag.generators" entry points) keeps, with the
real backends: it streams text, the pipeline names it in the result, and whatever it answers
is verified: each citation's offsets select its passage in the indexed file and its quote in
the passage, and no unsupported sentence is shown."""

import pytest

from conftest import SAMPLE, index_sample
from rag.compose.answer import Pipeline
from rag.compose.generators import NAMES, make_generator
from rag.evaluation import unsupported_sentences

pytest.importorskip("llama_cpp", reason="the [local] extra is not installed")
pytestmark = pytest.mark.integration

QUESTION = "When was the National Data Bureau established?"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    return index_sample(tmp_path_factory.mktemp("contract"), llm_max_tokens=48)


def _settings(indexed, name, request):
    if name == "openai":
        return indexed.model_copy(update={"openai_base_url":
                                          request.getfixturevalue("openai_server"),
                                          "openai_model": "smollm2"})
    return indexed


def test_the_registry_holds_the_built_ins_in_order():
    assert NAMES[:3] == ("extractive", "local", "openai")


@pytest.mark.parametrize("name", NAMES)
def test_a_registered_generator_keeps_the_contract(indexed, name, request):
    settings = _settings(indexed, name, request)
    generator = make_generator(settings, name)
    assert generator.name == name and isinstance(generator.streams_tokens, bool)
    events = list(Pipeline(settings, name).stream(QUESTION))
    assert all(isinstance(e["text"], str) for e in events if e["type"] == "token")
    assert [e["type"] for e in events][-1] == "final"
    result = events[-1]["result"]
    assert result.generator == name
    assert unsupported_sentences(result) == 0
    if result.abstained:
        assert not result.citations and result.reason
        return
    source = SAMPLE.read_text(encoding="utf-8")
    assert result.citations
    for c in result.citations:
        assert source[c.start:c.end] == c.text  # offsets select the passage in the file
        assert c.text[c.quote_start:c.quote_end] == c.quote
        assert all(0 <= a < b <= len(c.text) for a, b in c.spans)
