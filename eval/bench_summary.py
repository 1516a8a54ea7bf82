"""Overviews against human-written summaries: SQuAD 1.1 dev's 48 Wikipedia articles, each
indexed as one file WITHOUT its first paragraph, which is kept as the reference summary.
"What is this document about?" is asked of each file (source filter on it), and the mean
ROUGE-1 recall against the held-back paragraph is compared, at equal length (every summary
truncated to the same number of words, the shortest of the three), with:
- lead-3: the first 3 sentences of the indexed text (the article's second paragraph);
- random-3: 3 sentences of the indexed text drawn at random (fixed seed).
Also: how many different paragraphs each overview draws from, and its latency. The
overview's weights (rag/compose/summarize.py) were chosen on the even-numbered articles (in title
order); the odd-numbered ones are reported apart as held out.

    .venv/bin/python eval/bench_summary.py [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.compose.answer import Pipeline  # noqa: E402
from rag.compose.citations import claims, is_frame  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.retrieve.datasets import paragraph_name  # noqa: E402
from rag.index.indexer import sync  # noqa: E402
from rag.text import sentences  # noqa: E402

SQUAD1 = ROOT.parent / "shared" / "benchmarks" / "squad" / "dev-v1.1.json"
QUESTION = "What is this document about?"
_TOKEN = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def rouge1_recall(candidate: list[str], reference: list[str]) -> float:
    """Unigram recall with clipped counts (ROUGE-1 R), lower-cased, no stemming."""
    ref, cand = Counter(reference), Counter(candidate)
    return sum(min(n, cand[w]) for w, n in ref.items()) / max(1, sum(ref.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=ROOT / "eval" / "results" / "summary")
    args = parser.parse_args()
    articles = json.loads(SQUAD1.read_text(encoding="utf-8"))["data"]
    sources = args.work / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    docs = {}
    for art in articles:
        paras = [p["context"].strip() for p in art["paragraphs"]]
        name = paragraph_name(art["title"], 0).replace("-000.txt", ".txt")
        body = "\n\n".join(paras[1:])
        docs[name] = (paras[0], paras[1:], body)
        if not (sources / name).exists() or (sources / name).read_text() != body:
            (sources / name).write_text(body, encoding="utf-8")
    settings = Settings(sources_dir=sources, index_dir=args.work / "index")
    print(sync(settings).summary(), file=sys.stderr)
    pipeline = Pipeline(settings, "extractive")
    rng = random.Random(0)
    scores = {"rag overview": [], "lead-3": [], "random-3": []}
    paragraphs_used, latencies, again, lengths = [], [], [], []
    for name, (reference, paras, body) in sorted(docs.items()):
        started = time.perf_counter()
        result = pipeline.ask(QUESTION, sources=[name])
        latencies.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        pipeline.ask(QUESTION, sources=[name])  # again: the sentence vectors are stored
        again.append((time.perf_counter() - started) * 1000)
        said = [claim for claim, _ in claims(result.answer) if not is_frame(claim)]
        ours = " ".join(said)
        spans = sentences(body)
        lead = " ".join(body[s:e] for s, e in sentences(paras[0])[:3])
        rand = " ".join(body[s:e] for s, e in sorted(rng.sample(spans, min(3, len(spans)))))
        texts = {"rag overview": ours, "lead-3": lead, "random-3": rand}
        n = min(len(tokens(t)) for t in texts.values())
        ref = tokens(reference)
        for key, text in texts.items():
            scores[key].append(rouge1_recall(tokens(text)[:n], ref))
        starts = np.cumsum([0] + [len(p) + 2 for p in paras])
        used = {int(np.searchsorted(starts, c.start + span[0], side="right"))
                for c in result.citations for span in c.spans}
        paragraphs_used.append(len(used))
        lengths.append(len(said))
    print(f"\n{len(docs)} articles, first paragraph held back as the reference; summaries "
          f"truncated to equal length per article\n")
    print("| summary | mean ROUGE-1 recall, all 48 | tuning half (even) | held-out half (odd) |")
    print("|---|---|---|---|")
    for key, vals in scores.items():
        print(f"| {key} | {np.mean(vals):.3f} | {np.mean(vals[0::2]):.3f} | "
              f"{np.mean(vals[1::2]):.3f} |")
    print(f"\noverview sentences: mean {np.mean(lengths):.1f}; drawn from >= 3 paragraphs in "
          f"{np.mean([u >= 3 for u in paragraphs_used]):.0%} of articles (mean "
          f"{np.mean(paragraphs_used):.1f} paragraphs)")
    print(f"overview latency, first question about an article (its sentences embedded and "
          f"stored): p50 {np.percentile(latencies, 50):.0f} ms, p95 "
          f"{np.percentile(latencies, 95):.0f} ms; asked again: p50 "
          f"{np.percentile(again, 50):.0f} ms, p95 {np.percentile(again, 95):.0f} ms")


if __name__ == "__main__":
    main()
