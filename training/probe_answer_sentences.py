"""Probe: how often is the gold sentence among the answer's sentences, under other choices of
how many runners-up join (rag/compose/generators/extractive.py: MOST, RATIO, the kind-asked rule)?

Over the corpus dev questions that training/train_abstention.py gathered
(WORK/examples.pkl), scored by the shipped sentence model. The shipped model was fitted on
these questions, so the figures compare policies; they are not figures to report.

    .venv/bin/python training/probe_answer_sentences.py
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import rag.compose.generators.extractive as extractive  # noqa: E402
from rag.compose.answerability import load_model, score_sentences  # noqa: E402
from rag.compose.evidence import answers_nothing  # noqa: E402

POLICIES = {  # name: (most, ratio, runners-up must hold the kind asked)
    "3 within 0.3, of the kind asked (shipped)": (3, 0.3, True),
    "3 within 0.3": (3, 0.3, False),
    "3 within 0.5": (3, 0.5, False),
    "2 within 0.8": (2, 0.8, False),
    "1": (1, 1.0, False),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=Path,
                        default=ROOT / "training" / "results" / "train" / "examples.pkl")
    args = parser.parse_args()
    corpus = pickle.loads(args.examples.read_bytes())["corpus"]
    model = load_model().sentence
    most_, ratio_, fits = extractive.MOST, extractive.RATIO, extractive._fits
    keys = sorted({d["corpus"] for d in corpus})
    print(f"{'policy':44}" + "".join(f"{k:>16}" for k in keys))
    for name, (most, ratio, typed) in POLICIES.items():
        extractive.MOST, extractive.RATIO = most, ratio
        extractive._fits = fits if typed else (lambda text, kind, q: not answers_nothing(text))
        row = []
        for key in keys:
            asked = [d for d in corpus if d["corpus"] == key and any(d["labels"])]
            hits = sizes = 0
            for d in asked:
                gold = {id(c) for c, y in zip(d["cands"], d["labels"]) if y}
                chosen = extractive.pick(d["question"], score_sentences(list(d["cands"]), model))
                hits += any(id(c) in gold for c in chosen)
                sizes += len(chosen)
            row.append(f"{hits / len(asked):6.1%} ({sizes / len(asked):.1f} s.)")
        print(f"{name:44}" + "".join(f"{r:>16}" for r in row))
    extractive.MOST, extractive.RATIO, extractive._fits = most_, ratio_, fits


if __name__ == "__main__":
    main()
