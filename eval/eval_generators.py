"""Per-generator table on a Q&A set (default: ../shared/eval/seed_qa_dev.jsonl).

Indexes the shipped sources into a temporary folder, then runs `rag eval` (in-process) for:
extractive; local SmolLM2-135M-Instruct; local Gemma 3 270M (base); openai = llama.cpp's
OpenAI-compatible server on loopback serving SmolLM2. Usage:
    .venv/bin/python eval/eval_generators.py [FILE.jsonl]
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["HF_HUB_OFFLINE"] = "1"

from rag.compose.answer import Pipeline  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.retrieve.datasets import load_items  # noqa: E402
from rag.evaluation import evaluate  # noqa: E402
from rag.compose.generators.llm import model_path  # noqa: E402
from rag.index.indexer import sync  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "seed_qa_dev.jsonl"


def start_server(port: int) -> subprocess.Popen:
    path, _ = model_path("smollm2")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048", "--n_threads", str(os.cpu_count() or 2),
         "--model_alias", "smollm2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tempfile.gettempdir())
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("llama_cpp.server did not start")


def main() -> None:
    items = load_items(Path(sys.argv[1]) if len(sys.argv) > 1 else DEV)
    with tempfile.TemporaryDirectory(prefix="eval-gen-") as tmp:
        tmp = Path(tmp)
        shutil.copytree(ROOT / "sources", tmp / "sources")
        base = Settings(sources_dir=tmp / "sources", index_dir=tmp / "index")
        sync(base)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = start_server(port)
        try:
            runs = [
                ("extractive", base, "extractive"),
                ("local smollm2", base.model_copy(update={"llm_model": "smollm2"}), "local"),
                ("local gemma3", base.model_copy(update={"llm_model": "gemma3"}), "local"),
                ("openai (llama.cpp server, smollm2)", base.model_copy(update={
                    "openai_base_url": f"http://127.0.0.1:{port}/v1",
                    "openai_model": "smollm2"}), "openai"),
            ]
            rows = []
            for name, settings, generator in runs:
                report = evaluate(Pipeline(settings, generator), items)
                rows.append((name, report))
                print(f"done: {name}", file=sys.stderr)
        finally:
            server.terminate()
            server.wait()
    print(f"\n{len(items)} items ({sum(1 for i in items if i['answers'])} answerable)\n")
    print("| generator | answer acc. | citation acc. | abstention acc. | unsupported "
          "sentences | drafts dropped | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['answer_accuracy']:.0%} | {r['citation_accuracy']:.0%} | "
              f"{r['abstention_accuracy']:.0%} | {r['unsupported_sentences']} | "
              f"{r['dropped_draft_sentences']} | {r['latency_p50_ms']:.0f} | "
              f"{r['latency_p95_ms']:.0f} |")


if __name__ == "__main__":
    main()
