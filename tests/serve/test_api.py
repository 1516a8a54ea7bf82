"""HTTP API: a real `rag serve` (with RAG_API_KEY) on loopback, over the sample and a second
file, driven over real HTTP — every route, the key, bad input, answers in parallel."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest

from conftest import CHAT_PASSWORD, SAMPLE_TITLE
from test_cli import ASK_KEYS, CITATION_KEYS

pytestmark = pytest.mark.integration  # each test indexes or serves for real

QUESTION = "When was the National Data Bureau established?"
ROUTES = [("POST", "/api/ask", {"question": QUESTION}), ("GET", "/api/sources", None),
          ("GET", "/api/index", None), ("POST", "/api/index", {}), ("GET", "/api/stats", None),
          ("GET", "/v1/models", None),
          ("POST", "/v1/chat/completions", {"model": "rag", "messages": [
              {"role": "user", "content": QUESTION}]}),
          ("GET", "/api/openapi.json", None), ("GET", "/api/no-such-route", None)]


@pytest.fixture(scope="module")
def server(keyed_server):
    base, key, pid, settings = keyed_server
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"},
                      timeout=120) as http:
        yield http, base, key, pid, settings


def test_ask_returns_what_rag_ask_json_prints(server):
    http = server[0]
    resp = http.post("/api/ask", json={"question": QUESTION, "k": 3})
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert set(data) == ASK_KEYS and not data["abstained"]
    assert "2023" in data["answer"] and 0.5 <= data["confidence"] <= 1.0
    c = data["citations"][0]
    assert set(c) == CITATION_KEYS and c["source"] == "china-digital-economy-governance.txt"
    assert c["text"][c["quote_start"]:c["quote_end"]] == c["quote"]
    text = (Path(server[4].sources_dir) / c["source"]).read_text(encoding="utf-8")
    assert text[c["start"]:c["end"]] == c["text"]  # offsets index the file itself


def test_ask_with_history_sources_and_generator(server):
    http = server[0]
    history = [{"role": "user", "content": "What is the National Data Bureau?"},
               {"role": "assistant", "content": "A bureau. [1]"}]
    data = http.post("/api/ask", json={"question": "And when was it established?",
                                       "history": history, "generator": "extractive"}).json()
    assert data["standalone_question"] == "When was National Data Bureau established?"
    assert data["generator"] == "extractive" and "2023" in data["answer"]
    owls = http.post("/api/ask", json={"question": "How do barn owls hunt?",
                                       "sources": ["owls.md"]}).json()
    assert {c["source"] for c in owls["citations"]} == {"owls.md"}
    assert "sound" in owls["answer"]


def test_sources_lists_files_chunks_and_failures(server):
    data = server[0].get("/api/sources").json()
    files = {f["file"]: f for f in data["files"]}
    assert set(files) == {"china-digital-economy-governance.txt", "owls.md", "brightwater.pdf"}
    assert files["owls.md"]["chunks"] == 1 and files["owls.md"]["status"] == "indexed"
    assert files["owls.md"]["title"] == "Owls"  # its first heading, kept in the manifest
    assert files["china-digital-economy-governance.txt"]["title"] == SAMPLE_TITLE
    assert files["china-digital-economy-governance.txt"]["chunks"] > 5
    assert files["brightwater.pdf"]["chunks"] >= 2  # a page is a document of its own
    assert data["failures"] == [] and data["indexed"] == 3


def test_probes_need_no_key(server):
    base = server[1]
    assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
    assert httpx.get(f"{base}/readyz").json() == {"ready": True}


@pytest.mark.parametrize("method, path, body", ROUTES)
@pytest.mark.parametrize("auth", [None, "Bearer wrong-key", "Basic {key}", "Bearer {key}x",
                                  "{key}"])
def test_every_api_and_v1_route_needs_the_key(server, method, path, body, auth):
    base, key = server[1], server[2]
    headers = {"Authorization": auth.format(key=key)} if auth else {}
    resp = httpx.request(method, base + path, json=body, headers=headers)
    assert resp.status_code == 401, resp.text
    assert resp.headers["www-authenticate"] == "Bearer"
    if path.startswith("/v1"):  # OpenAI's error shape, so its clients show the message
        assert resp.json()["error"]["code"] == "invalid_api_key"
    else:
        assert "Authorization: Bearer" in resp.json()["detail"]


def test_the_key_opens_every_route(server):
    http = server[0]
    for method, path, body in ROUTES[:-1]:
        if (method, path) == ("POST", "/api/index"):
            continue  # a sync: see test_server.py
        assert http.request(method, path, json=body).status_code == 200, path
    assert http.get("/api/no-such-route").status_code == 404


def test_the_chat_keeps_its_own_login(server):
    base, key = server[1], server[2]
    keyed = {"Authorization": f"Bearer {key}"}
    assert httpx.get(f"{base}/config", headers=keyed).status_code == 401  # the key is not it
    assert httpx.post(f"{base}/login", data={"username": "ann", "password": key}
                      ).status_code == 400
    with httpx.Client(base_url=base) as browser:
        login = browser.post("/login", data={"username": "ann", "password": CHAT_PASSWORD})
        assert login.json() == {"success": True}
        assert browser.get("/config").status_code == 200
        assert browser.get("/api/sources").status_code == 401  # and the login is not a key


# -- bad input -------------------------------------------------------------------------------

def stats(http) -> dict:
    return http.get("/api/stats").json()


@pytest.mark.parametrize("path, make", [
    ("/api/ask", lambda q: {"question": q}),
    ("/v1/chat/completions", lambda q: {"model": "rag",
                                        "messages": [{"role": "user", "content": q}]}),
])
def test_an_over_long_question_is_refused_before_any_work(server, path, make):
    http = server[0]
    http.post("/api/ask", json={"question": QUESTION})  # the model is loaded and warm
    before = stats(http)
    resp = http.post(path, json=make("Why? " * 401))  # 2,005 characters
    assert resp.status_code == 400
    assert "2,005 characters long; the limit is 2,000" in resp.text
    after = stats(http)
    assert after["embedding"]["texts"] == before["embedding"]["texts"]  # nothing embedded
    assert after["answers"] == before["answers"]
    assert http.post(path, json=make("Why? " * 400)).status_code == 200  # exactly 2,000


@pytest.mark.parametrize("body, field", [
    ({}, "question"),
    ({"question": ""}, "question"),
    ({"question": "   \n"}, "question"),
    ({"question": 42}, "question"),
    ({"question": ["a list"]}, "question"),
    ({"question": None}, "question"),
    ({"question": QUESTION, "k": 0}, "k"),
    ({"question": QUESTION, "k": "3"}, "k"),
    ({"question": QUESTION, "sources": "owls.md"}, "sources"),
    ({"question": QUESTION, "generator": "gpt-9"}, "generator"),
    ({"question": QUESTION, "history": [{"role": "user"}]}, "history.0.content"),
    ({"question": QUESTION, "colour": "blue"}, "colour"),
    ([QUESTION], "body"),
    ("just a string", "body"),
])
def test_malformed_ask_bodies_get_422_naming_the_field(server, body, field):
    resp = server[0].post("/api/ask", json=body)
    assert resp.status_code == 422, resp.text
    assert resp.json()["field"] == field
    assert resp.json()["detail"].startswith(f"{field}: ")


@pytest.mark.parametrize("raw", [b"", b"{", b"{'question': 'single quotes'}", b"\xff\xfe",
                                 b'{"question": "a"} trailing'])
def test_malformed_json_gets_422(server, raw):
    resp = server[0].post("/api/ask", content=raw, headers={"Content-Type": "application/json"})
    assert resp.status_code == 422, resp.text
    assert resp.json()["field"] == "body"


def test_unknown_sources_are_named(server):
    resp = server[0].post("/api/ask", json={"question": QUESTION,
                                            "sources": ["owls.md", "nope.pdf", "../etc/passwd"]})
    assert resp.status_code == 400
    detail = resp.json()["detail"]
    assert "'nope.pdf'" in detail and "'../etc/passwd'" in detail and "owls.md'" not in detail


def test_a_huge_body_is_refused_unread(server):
    resp = server[0].post("/api/ask", content=b'{"question": "' + b"x" * 2_000_000 + b'"}',
                          headers={"Content-Type": "application/json"})
    assert resp.status_code == 413


def test_the_server_survives_bad_input_and_still_answers(server):
    http = server[0]
    assert http.get("/readyz").status_code == 200
    assert not http.post("/api/ask", json={"question": QUESTION}).json()["abstained"]


# -- answers in parallel ------------------------------------------------------------------------

def test_two_concurrent_asks_overlap_in_time(server):
    """Stamped by the server when each answer's work starts and ends: with one worker
    they could never overlap."""
    http = server[0]
    questions = ["Which provinces did Ma and Yuan serve in as party secretaries?",
                 "What does the Cyberspace Administration of China do?",
                 "Why does China's leadership care about the digital economy?",
                 "Who leads the Central Science and Technology Commission?"]
    barrier, spans, errors = threading.Barrier(len(questions)), [], []

    def one(question: str) -> None:
        barrier.wait(timeout=30)
        resp = http.post("/api/ask", json={"question": question, "k": 10})
        if resp.status_code != 200:
            errors.append(resp.text)
            return
        spans.append((float(resp.headers["x-answer-started"]),
                      float(resp.headers["x-answer-finished"])))

    threads = [threading.Thread(target=one, args=(q,)) for q in questions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and len(spans) == len(questions)
    overlapping = [(a, b) for i, a in enumerate(spans) for b in spans[i + 1:]
                   if a[0] < b[1] and b[0] < a[1]]
    assert overlapping, spans
    assert stats(http)["most_running"] >= 2


def test_stats_show_batched_and_cached_embeddings(server):
    http = server[0]
    http.post("/api/ask", json={"question": QUESTION})
    before = stats(http)["embedding"]
    http.post("/api/ask", json={"question": QUESTION})  # the same question again
    after = stats(http)["embedding"]
    assert after["texts"] == before["texts"]  # question and sentences all from the cache
    assert after["hits"] > before["hits"]


def test_openapi_document_lists_the_routes(server):
    paths = server[0].get("/api/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/sources", "/api/index", "/v1/chat/completions",
            "/v1/models", "/healthz", "/readyz"} <= set(paths)
    assert json.dumps(paths)  # serialisable


def test_a_pdf_citation_has_its_boxes_and_its_page_renders(server):
    from pdfs import ANSWER, QUESTION as PDF_QUESTION

    http = server[0]
    data = http.post("/api/ask", json={"question": PDF_QUESTION,
                                       "sources": ["brightwater.pdf"]}).json()
    assert ANSWER in data["answer"], data
    c = data["citations"][0]
    assert c["page"] == 2 and c["highlight"] and c["highlight"][0]["rects"]
    png = http.get("/api/page", params={"source": "brightwater.pdf", "page": c["page"]})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    for params, status in [({"source": "brightwater.pdf", "page": 9}, 400),   # no such page
                           ({"source": "brightwater.pdf", "page": 0}, 422),
                           ({"source": "owls.md", "page": 1}, 400),           # not a PDF
                           ({"source": "../secrets.pdf", "page": 1}, 400)]:
        resp = http.get("/api/page", params=params)
        assert resp.status_code == status, (params, resp.text)
    assert http.get("/api/page", params={"source": "brightwater.pdf", "page": 1},
                    headers={"Authorization": ""}).status_code == 401
