"""OpenAI-compatible face: the official `openai` client (plain and streaming) and LangChain's
ChatOpenAI against a real `rag serve` with a key, on loopback."""

from __future__ import annotations

import re

import httpx
import openai
import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_openai import ChatOpenAI

pytestmark = pytest.mark.integration  # each test indexes or serves for real

QUESTION = "When was the National Data Bureau established?"
ABOUT = [{"role": "system", "content": "You are helpful."},
         {"role": "user", "content": "What is the National Data Bureau?"},
         {"role": "assistant", "content": "A bureau within the NDRC. [1]"},
         {"role": "user", "content": "And when was it established?"}]


@pytest.fixture(scope="module")
def client(keyed_server) -> openai.OpenAI:
    base, key, _, _ = keyed_server
    return openai.OpenAI(base_url=f"{base}/v1", api_key=key, max_retries=0, timeout=120)


def check_reply(content: str, citations: list[dict]) -> None:
    """The verified answer with [n] markers, then a Sources list resolving each marker."""
    answer, _, sources = content.partition("\n\nSources:\n")
    assert "2023" in answer and re.search(r"\[1\]", answer)
    assert sources.startswith("[1] china-digital-economy-governance.txt, chars ")
    assert [c["n"] for c in citations] == sorted({int(n) for n in re.findall(r"\[(\d+)\]",
                                                                             answer)})
    for c in citations:
        assert f'"{c["quote"]}"' in sources
        assert c["text"][c["quote_start"]:c["quote_end"]] == c["quote"]


def test_models_lists_rag_and_one_per_generator(client):
    ids = [m.id for m in client.models.list()]
    assert ids == ["rag", "rag-extractive", "rag-local", "rag-openai"]


def test_plain_completion_has_sources_and_citations(client):
    done = client.chat.completions.create(model="rag", messages=[{"role": "user",
                                                                  "content": QUESTION}])
    message = done.choices[0].message
    assert (message.role, done.choices[0].finish_reason, done.model) == ("assistant", "stop",
                                                                         "rag")
    extra = done.model_extra
    assert extra["abstained"] is False and 0.5 <= extra["confidence"] <= 1
    check_reply(message.content, extra["citations"])


def test_streamed_completion_is_the_same_reply_in_chunks(client):
    plain = client.chat.completions.create(model="rag-extractive",
                                           messages=[{"role": "user", "content": QUESTION}])
    chunks = list(client.chat.completions.create(
        model="rag-extractive", stream=True, messages=[{"role": "user", "content": QUESTION}]))
    assert chunks[0].choices[0].delta.role == "assistant"
    assert all(c.object == "chat.completion.chunk" and c.id == chunks[0].id for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert len(chunks) > 10 and text == plain.choices[0].message.content
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    check_reply(text, last.model_extra["citations"])


def test_earlier_messages_are_the_history(client):
    done = client.chat.completions.create(model="rag", messages=ABOUT)
    assert "2023" in done.choices[0].message.content


def test_content_parts_and_rag_extras(client):
    done = client.chat.completions.create(
        model="rag", messages=[{"role": "user", "content": [
            {"type": "text", "text": "How do barn owls "}, {"type": "text", "text": "hunt?"}]}],
        extra_body={"sources": ["owls.md"], "k": 2})
    assert {c["source"] for c in done.model_extra["citations"]} == {"owls.md"}


def test_an_unanswerable_question_says_so_and_shows_the_closest(client):
    done = client.chat.completions.create(
        model="rag", messages=[{"role": "user", "content": "Who is the mayor of Shanghai?"}])
    content = done.choices[0].message.content
    assert content.startswith("The indexed sources do not answer this question")
    assert "Closest passages found:" in content and done.model_extra["abstained"] is True
    assert done.model_extra["citations"] == []


@pytest.mark.parametrize("call, error, message", [
    (dict(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}]),
     openai.NotFoundError, "The model 'gpt-4o' does not exist"),
    (dict(model="rag", messages=[{"role": "system", "content": "Only a system message."}]),
     openai.BadRequestError, "there is no user message"),
    (dict(model="rag", messages=[]), openai.UnprocessableEntityError, "messages: "),
    (dict(model="rag", messages=[{"role": "user", "content": 7}]),
     openai.UnprocessableEntityError, "messages.0.content"),
    (dict(model="rag", messages=[{"role": "user", "content": "x" * 2001}]),
     openai.BadRequestError, "the limit is 2,000"),
    (dict(model="rag", messages=[{"role": "user", "content": QUESTION}],
          extra_body={"sources": ["missing.txt"]}), openai.BadRequestError, "'missing.txt'"),
])
def test_errors_reach_the_client_with_their_message(client, call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        client.chat.completions.create(**call)


def test_a_wrong_key_is_an_authentication_error(keyed_server):
    base = keyed_server[0]
    wrong = openai.OpenAI(base_url=f"{base}/v1", api_key="not-the-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError, match="A valid API key is required"):
        wrong.models.list()


def test_langchain_chat_openai_plain_and_streamed(keyed_server):
    base, key, _, _ = keyed_server
    chat = ChatOpenAI(base_url=f"{base}/v1", api_key=key, model="rag", max_retries=0,
                      timeout=120)
    reply = chat.invoke([HumanMessage("What is the National Data Bureau?"),
                         AIMessage("A bureau within the NDRC. [1]"),
                         HumanMessage("And when was it established?")])
    assert "2023" in reply.content and "Sources:" in reply.content
    streamed = "".join(chunk.content for chunk in chat.stream(QUESTION))
    assert streamed == chat.invoke(QUESTION).content and "[1]" in streamed


def test_stream_errors_come_before_the_stream_starts(keyed_server):
    base, key, _, _ = keyed_server
    resp = httpx.post(f"{base}/v1/chat/completions", headers={"Authorization": f"Bearer {key}"},
                      json={"model": "rag", "stream": True,
                            "messages": [{"role": "user", "content": "x" * 2001}]})
    assert resp.status_code == 400 and resp.json()["error"]["type"] == "invalid_request_error"
