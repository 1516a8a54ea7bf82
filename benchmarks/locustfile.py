"""Locust users for benchmarks/bench_load.py: each asks POST /api/ask questions drawn from a
list, with a fixed think time, and every request is also written raw (start, seconds, ok) to
a JSON-lines file so the benchmark can take percentiles over any time window.

Settings come from the environment (bench_load.py sets them): RAG_BENCH_QUESTIONS (a JSON
list), RAG_BENCH_THINK (seconds), RAG_BENCH_SAMPLES (output file), RAG_API_KEY (optional).
"""

from __future__ import annotations

import json
import os
import random
import time

from locust import FastHttpUser, constant, events, task

QUESTIONS = json.loads(open(os.environ["RAG_BENCH_QUESTIONS"], encoding="utf-8").read())
THINK = float(os.environ.get("RAG_BENCH_THINK", "0"))
SAMPLES = open(os.environ["RAG_BENCH_SAMPLES"], "a", encoding="utf-8")
KEY = os.environ.get("RAG_API_KEY")


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **_):
    SAMPLES.write(json.dumps({"end": time.time(), "seconds": response_time / 1000,
                              "ok": exception is None, "error": str(exception or "")[:200]})
                  + "\n")


@events.quitting.add_listener
def _close(**_):
    SAMPLES.close()


class Asker(FastHttpUser):
    wait_time = constant(THINK)
    network_timeout = 120.0
    connection_timeout = 10.0

    @task
    def ask(self) -> None:
        headers = {"Authorization": f"Bearer {KEY}"} if KEY else {}
        with self.client.post("/api/ask", json={"question": random.choice(QUESTIONS)},
                              headers=headers, name="/api/ask", catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"HTTP {resp.status_code}: {(resp.text or '')[:120]}")
            elif "answer" not in (resp.json() or {}):
                resp.failure("no answer in the reply")
