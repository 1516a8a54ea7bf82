"""Load test of `rag serve`: the issue's table in one run, beside the serial baseline.

Indexes the shipped sample into a temporary folder, starts `rag serve` on a free loopback
port, then measures (every loop bounded in count and time, loopback only):
- serial: the questions asked one after another (per-answer latency, total);
- burst: 20 questions sent at the same moment, in rounds of fresh questions;
- (a) 20 locust users asking with no think time, (b) with 2 s think time, for --duration s;
- (c) (b) while a sync of --files new files (SciFact abstracts) runs, then a check that
  answers come from the new index;
- soak: 1,000 requests in a row (answers and bad input mixed), the server's RSS growth;
- `rag ask` wall time through the server, and with --local.

Usage:  .venv/bin/python benchmarks/bench_load.py [--duration 60] [--users 20] [--files 200]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCIFACT = ROOT.parent / "shared" / "benchmarks" / "scifact" / "corpus.jsonl"
PREFIXES = ["", "Tell me: ", "Quick question: ", "Please answer: ", "I wonder: "]


def questions() -> list[str]:
    """Every question of the sample's Q&A sets, in several wordings (all distinct)."""
    files = [ROOT / "eval" / "data" / "sample_qa.jsonl", ROOT.parent / "shared" / "eval" /
             "seed_qa_dev.jsonl"]
    base = list(dict.fromkeys(json.loads(line)["question"] for f in files if f.exists()
                              for line in f.read_text().splitlines() if line.strip()))
    return [p + (q[0].lower() + q[1:] if p else q) for p in PREFIXES for q in base]


def call(base: str, path: str, body: dict | None = None, timeout: float = 120) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method="POST" if data else "GET",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0, "p50": float("nan"), "p95": float("nan"), "max": float("nan")}
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]  # noqa
    return {"n": len(values), "p50": statistics.median(ordered), "p95": pick(0.95),
            "max": ordered[-1]}


def timed_ask(base: str, question: str) -> tuple[float, bool]:
    started = time.perf_counter()
    status, data = call(base, "/api/ask", {"question": question})
    return time.perf_counter() - started, status == 200 and "answer" in data


def serial(base: str, qs: list[str]) -> dict:
    times = [timed_ask(base, q)[0] for q in qs]
    return {**percentiles(times), "total": sum(times)}


def burst(base: str, qs: list[str]) -> tuple[list[float], int]:
    """All of qs at the same moment (one thread each); (latencies, errors)."""
    barrier, out = threading.Barrier(len(qs)), []

    def one(q: str) -> None:
        barrier.wait(timeout=30)
        out.append(timed_ask(base, q))

    threads = [threading.Thread(target=one, args=(q,)) for q in qs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return [s for s, _ in out], sum(1 for _, ok in out if not ok) + len(qs) - len(out)


def locust(base: str, work: Path, name: str, users: int, think: float, duration: int,
           qs: list[str]) -> list[dict]:
    """Run locust headless; the raw samples (end, seconds, ok) of every request."""
    (work / "questions.json").write_text(json.dumps(qs))
    samples = work / f"{name}.jsonl"
    env = {**os.environ, "RAG_BENCH_QUESTIONS": str(work / "questions.json"),
           "RAG_BENCH_THINK": str(think), "RAG_BENCH_SAMPLES": str(samples)}
    cmd = [sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "locustfile.py"),
           "--headless", "-u", str(users), "-r", str(users), "-t", f"{duration}s",
           "--host", base, "--only-summary", "--stop-timeout", "30", "--loglevel", "WARNING"]
    subprocess.run(cmd, env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=duration + 120, check=False)
    return [json.loads(line) for line in samples.read_text().splitlines() if line.strip()]


def summarise(samples: list[dict], start: float | None = None, end: float | None = None) -> dict:
    """Percentiles (s), errors and throughput of samples that started inside [start, end]."""
    chosen = [s for s in samples
              if (start is None or s["end"] - s["seconds"] >= start)
              and (end is None or s["end"] <= end)]
    span = (max(s["end"] for s in chosen) - min(s["end"] - s["seconds"] for s in chosen)
            if chosen else 0)
    return {**percentiles([s["seconds"] for s in chosen]),
            "errors": sum(1 for s in chosen if not s["ok"]),
            "rps": len(chosen) / span if span else 0.0}


def write_scifact(folder: Path, count: int) -> list[str]:
    names = []
    with SCIFACT.open(encoding="utf-8") as fh:
        for line in fh:
            if len(names) >= count:
                break
            doc = json.loads(line)
            if len(doc["text"]) < 400:
                continue
            name = f"scifact-{doc['_id']}.txt"
            (folder / name).write_text(f"{doc['title']}\n\n{doc['text']}\n", encoding="utf-8")
            names.append(name)
    return names


def scenario_c(base: str, work: Path, sources: Path, args, qs) -> dict:
    """(b) with a sync of new files started 5 s in; stats overall and while it ran."""
    names = write_scifact(sources, args.files)
    result: dict = {}

    def sync() -> None:
        time.sleep(5)
        assert call(base, "/api/index", {})[0] == 202
        for _ in range(int(args.duration * 20 + 6000)):  # bounded: 0.1 s polls
            status = call(base, "/api/index")[1]
            if not status["running"]:
                break
            time.sleep(0.1)
        result["status"] = status

    thread = threading.Thread(target=sync)
    thread.start()
    samples = locust(base, work, "c", args.users, args.think, args.duration, qs)
    thread.join(timeout=900)
    status = result["status"]
    code, after = call(base, "/api/ask", {"question": "What does this study find?",
                                          "sources": [names[0]]})
    switched = (status["last"]["added"] == len(names) and code == 200
                and {c["source"] for c in after["citations"] + after["closest"]} == {names[0]})
    window = (status["started_at"], status["finished_at"])
    return {"all": summarise(samples), "during": summarise(samples, *window),
            "sync_s": window[1] - window[0], "added": status["last"]["added"],
            "error": status["error"], "switched": switched}


def soak(base: str, pid: int, qs: list[str], count: int = 1000) -> dict:
    def rss() -> float:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    bodies = [lambda q: {"question": q}, lambda q: {"question": q + "?" * 2000},
              lambda q: {"question": q, "sources": ["no-such-file.txt"]},
              lambda q: {"question": ""}, lambda q: {"question": q, "k": 3}]
    for i in range(100):  # warm-up: caches fill
        call(base, "/api/ask", bodies[i % len(bodies)](qs[i % len(qs)]))
    before, bad = rss(), 0
    for i in range(count):
        code, _ = call(base, "/api/ask", bodies[i % len(bodies)](qs[i % len(qs)]))
        bad += code >= 500
    return {"before": before, "after": rss(), "server_errors": bad}


def cli_seconds(env: dict, *extra: str, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rag", "ask", *extra,
                        "Which lunar mission did Ma lead?"], env=env, capture_output=True,
                       timeout=300, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--think", type=float, default=2.0)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="bursts of fresh questions")
    parser.add_argument("--workers", type=int, default=None, help="RAG_WORKERS (default: cores)")
    args = parser.parse_args()
    from report import print_table  # benchmarks/report.py

    qs = questions()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        work = Path(tmp)
        shutil.copytree(ROOT / "sources", work / "sources")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
        env.update(RAG_SOURCES_DIR=str(work / "sources"), RAG_INDEX_DIR=str(work / "index"),
                   RAG_HOST="127.0.0.1", RAG_PORT=str(port), PYTHONPATH=str(ROOT),
                   HF_HUB_OFFLINE="1", **({"RAG_WORKERS": str(args.workers)}
                                          if args.workers else {}))
        subprocess.run([sys.executable, "-m", "rag", "index", "-q", "--local"], env=env,
                       check=True, timeout=600, capture_output=True)
        log = (work / "server.log").open("wb")
        server = subprocess.Popen([sys.executable, "-m", "rag", "serve"], env=env, cwd=work,
                                  stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(1200):  # up to 2 minutes
                try:
                    if call(base, "/readyz", timeout=2)[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.1)
            n = args.users
            serial(base, qs[-n:])  # warm-up (its questions are not used again below)
            results = {"serial": serial(base, qs[:n])}
            rounds = [burst(base, qs[n * (r + 1):n * (r + 2)]) for r in range(args.rounds)]
            results["burst"] = {**percentiles([t for ts, _ in rounds for t in ts]),
                                "errors": sum(e for _, e in rounds),
                                "rounds_p95": [percentiles(ts)["p95"] for ts, _ in rounds]}
            results["a"] = summarise(locust(base, work, "a", n, 0.0, args.duration, qs))
            results["b"] = summarise(locust(base, work, "b", n, args.think, args.duration, qs))
            results["c"] = scenario_c(base, work, work / "sources", args, qs)
            results["soak"] = soak(base, server.pid, qs)
            results["cli_server"] = cli_seconds(env)
            results["cli_local"] = cli_seconds(env, "--local", runs=2)
            results["stats"] = call(base, "/api/stats")[1]
        finally:
            server.terminate()
            server.wait(timeout=30)
    results.update(load=(load_before, os.getloadavg()), workers=args.workers or os.cpu_count(),
                   args=vars(args))
    print_table(results)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
