"""Soak: 1,000 requests in a row — answers, OpenAI-style completions and bad input mixed —
never crash the server, each gets its proper status, and its memory does not creep up."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration  # each test indexes or serves for real

REQUESTS = 1000
WARM_UP = 100
GROWTH_MB = 50
ROOT = Path(__file__).resolve().parents[2]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def questions() -> list[str]:
    """The sample's Q&A questions, each also asked in other words."""
    items = [json.loads(line)["question"] for line in
             (ROOT / "eval" / "data" / "sample_qa.jsonl").read_text().splitlines() if line.strip()]
    return items + [f"Tell me: {q[0].lower()}{q[1:]}" for q in items]


def request(i: int, asks: list[str]) -> tuple[str, str, dict, int]:
    """(method, path, keyword arguments, expected status) of request number i."""
    q = asks[i % len(asks)]
    chat = {"model": "rag", "messages": [{"role": "user", "content": q}]}
    kind = i % 10
    return [
        ("POST", "/api/ask", {"json": {"question": q}}, 200),
        ("POST", "/api/ask", {"json": {"question": q, "k": 3, "sources": ["owls.md"]}}, 200),
        ("POST", "/v1/chat/completions", {"json": chat}, 200),
        ("POST", "/v1/chat/completions", {"json": {**chat, "stream": True}}, 200),
        ("POST", "/api/ask", {"json": {"question": q}}, 200),
        ("POST", "/api/ask", {"json": {"question": q + "?" * 2000}}, 400),  # too long
        ("POST", "/api/ask", {"content": b'{"question": ', "headers": {
            "Content-Type": "application/json"}}, 422),
        ("POST", "/api/ask", {"json": {"question": q, "sources": [f"nope-{i}.txt"]}}, 400),
        ("GET", "/api/sources", {}, 200),
        ("POST", "/api/ask", {"json": {"question": q}, "headers": {"Authorization": "Bearer x"}},
         401),
    ][kind]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_a_thousand_requests_leave_memory_flat(keyed_server):
    base, key, pid, _ = keyed_server
    asks = questions()
    wrong: list[tuple[int, int, str]] = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"},
                      timeout=120) as http:
        def run(start: int, count: int) -> None:
            for i in range(start, start + count):
                method, path, kwargs, expected = request(i, asks)
                resp = http.request(method, path, **kwargs)
                if resp.status_code != expected:
                    wrong.append((i, resp.status_code, resp.text[:200]))

        run(0, WARM_UP)  # caches fill, lazily built parts are built
        before = rss_mb(pid)
        run(WARM_UP, REQUESTS)
        after = rss_mb(pid)
        assert http.get("/readyz").json() == {"ready": True}
    assert wrong == []
    print(f"RSS {before:.0f} MB -> {after:.0f} MB over {REQUESTS} requests")
    assert after - before <= GROWTH_MB, f"RSS grew from {before:.0f} MB to {after:.0f} MB"
