"""Overview latency on a folder of papers (issue 30's target: p95 at most 2 s on the
28-paper index): each paper's overview asked by its title, "What is '<title>' about?".

The index is the one `rag eval --sources DIR` builds (reused; run that first with the same
RAG_INDEX_DIR), or one `rag index` built at RAG_INDEX_DIR/eval/<folder>-<hash>/index with
RAG_COLLECTION=eval. As `rag index` and the server do after a sync (RAG_PREPARE_OVERVIEWS),
the sentence vectors are prepared first (timed); then every paper's overview is asked
twice in this process: p50 / p95 / max of each pass. With --cold, they are not prepared
here: on an index `rag eval` built, the first pass embeds each paper's sentences on demand;
on one `rag index` built, it reads the vectors `rag index` stored.

    RAG_INDEX_DIR=DIR .venv/bin/python benchmarks/bench_paper_overviews.py \
        --sources ../shared/corpora/papers
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.compose.answer import Pipeline  # noqa: E402
from rag.config import load_settings  # noqa: E402
from rag.corpus_eval import workspace  # noqa: E402
from rag.embeddings import native_bf16  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=Path, required=True)
    parser.add_argument("--cold", action="store_true")
    args = parser.parse_args()
    pipeline = Pipeline(workspace(load_settings(), args.sources), "extractive")
    pipeline.reader.current()
    pipeline.reader.embeddings.embed_query("warm up")
    files = sorted(pipeline.reader.sources())
    print(f"{len(files)} files; CPU: {'bf16 native' if native_bf16() else 'no native bf16'}, "
          f"index precision {pipeline.settings.embed_precision}")
    if not args.cold:
        started = time.perf_counter()
        embedded = pipeline.prepare_overviews()
        print(f"prepared: {embedded} sentence vectors in {time.perf_counter() - started:.1f} s")
    for run in ("first pass", "second pass"):
        seconds, wrong = [], []
        for source in files:
            result = pipeline.ask(f"What is '{pipeline.title(source)}' about?")
            seconds.append(result.seconds)
            if result.kind != "overview" or {c.source for c in result.citations} != {source}:
                wrong.append(f"{source} ({result.kind}: {result.answer[:60]!r})")
        print(f"{run}: p50 {statistics.median(seconds):.2f} s, p95 {pct(seconds, 0.95):.2f} s, "
              f"max {max(seconds):.2f} s; not an overview of that paper alone: {len(wrong)} "
              f"{'; '.join(wrong)}")


if __name__ == "__main__":
    main()
