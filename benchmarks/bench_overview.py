"""Overview latency, with the sentence vectors prepared ahead (as the server does after a
sync, `RAG_PREPARE_OVERVIEWS`): the shipped sample, and a 50-page document (SQuAD 1.1 dev
articles joined into one text file of at least 25,000 words, 500 words a page).

For each: index it alone, prepare its overview in one process (timed: the background work
the server does), then in a fresh process (vectors on disk only), after the server's own
warm-up (index loaded, model warm, prepared vectors found), ask "What is this document
about?" 11 times: the first ask, and p50/p95 of all.

    .venv/bin/python benchmarks/bench_overview.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLE = ROOT / "sources" / "china-digital-economy-governance.txt"
SQUAD1 = ROOT.parent / "shared" / "benchmarks" / "squad" / "dev-v1.1.json"
PAGE_WORDS, PAGES = 500, 50
QUESTION = "What is this document about?"

ASK = """
import json, sys, time
import numpy as np
from rag.compose.answer import Pipeline
from rag.config import Settings
settings = Settings(sources_dir=sys.argv[1], index_dir=sys.argv[2])
pipeline = Pipeline(settings, "extractive")
pipeline.reader.current()  # as the server's warm-up: index loaded, model warm, vectors
pipeline.reader.embeddings.embed_query("warm up")  # found on disk (prepare embeds nothing)
assert pipeline.prepare_overviews() == 0
times = []
for _ in range(11):
    t = time.perf_counter()
    result = pipeline.ask(sys.argv[3])
    times.append((time.perf_counter() - t) * 1000)
    assert result.kind == "overview" and result.citations, result.answer
print(json.dumps({"first": times[0], "p50": float(np.percentile(times, 50)),
                  "p95": float(np.percentile(times, 95)), "sentences": len(result.citations)}))
"""


def long_document() -> str:
    articles = json.loads(SQUAD1.read_text(encoding="utf-8"))["data"]
    parts, words = [], 0
    for art in articles:
        for p in art["paragraphs"]:
            parts.append(p["context"].strip())
            words += len(p["context"].split())
        if words >= PAGE_WORDS * PAGES:
            break
    return "\n\n".join(parts)


def measure(name: str, text: str, work: Path) -> dict:
    from rag.compose.answer import Pipeline
    from rag.config import Settings
    from rag.index.indexer import sync

    sources, index = work / name / "sources", work / name / "index"
    sources.mkdir(parents=True)
    (sources / f"{name}.txt").write_text(text, encoding="utf-8")
    settings = Settings(sources_dir=sources, index_dir=index)
    report = sync(settings)
    started = time.perf_counter()
    Pipeline(settings, "extractive").prepare_overviews()
    prepare = time.perf_counter() - started
    out = subprocess.run([sys.executable, "-c", ASK, str(sources), str(index), QUESTION],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    return {"document": name, "words": len(text.split()), "chunks": report.chunks,
            "prepare_s": prepare, **json.loads(out.stdout.strip().splitlines()[-1])}


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-overview-"))
    try:
        rows = [measure("sample", SAMPLE.read_text(encoding="utf-8"), work),
                measure("fifty-pages", long_document(), work)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("| document | words | chunks | prepare (background) s | first overview ms | "
          "p50 ms | p95 ms | target p50 |")
    print("|---|---|---|---|---|---|---|---|")
    for r, target in zip(rows, ("300 ms", "1 s")):
        print(f"| {r['document']} | {r['words']:,} | {r['chunks']:,} | {r['prepare_s']:.1f} | "
              f"{r['first']:.0f} | {r['p50']:.0f} | {r['p95']:.0f} | {target} |")


if __name__ == "__main__":
    main()
