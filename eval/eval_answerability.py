"""The answerability model on the articles it was not trained on, in two settings:

- SQuAD 2.0 dev, held-out articles: every question against all 1,204 paragraphs (its
  unanswerable questions were written to look answerable);
- SQuAD 1.1 dev, the same held-out articles, every second question with its own paragraph,
  and any other that holds one of its answers, left out of retrieval: on-topic passages that
  do not hold the answer (a stand-in for
  questions a real user's documents do not answer, such as the Natural Questions benchmark
  of the issue, which is not available here).

Prints AUC of the confidence and the answered / abstained shares at a few thresholds
(the default marked). `rag eval --squad ... --held-out` gives the end-to-end figures.

    .venv/bin/python eval/eval_answerability.py [--work DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))

import train_abstention as train  # noqa: E402

from rag.compose.answerability import load_model  # noqa: E402
from rag.evaluation import auc  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=train.ROOT / "eval" / "results" /
                        "train", help="where the SQuAD indexes are (built when missing)")
    args = parser.parse_args()
    model = load_model()
    sets = {
        "SQuAD 2.0 held-out, all paragraphs": train.examples(train.SQUAD2, args.work,
                                                             train.held_out),
        "SQuAD 1.1 held-out, half without their paragraph": train.examples(
            train.SQUAD1, args.work, train.held_out,
            gold_removed=lambda item: train._coin(item["id"])),
    }
    thresholds = sorted({0.3, 0.4, model.threshold, 0.6, 0.7})
    print(f"\ndefault threshold {model.threshold}\n")
    print("| set | questions | answerable | AUC | " +
          " | ".join(f"{t:.2f}{' (default)' if t == model.threshold else ''} answered / "
                     "abstained" for t in thresholds) + " |")
    print("|---|---|---|---|" + "---|" * len(thresholds))
    for name, data in sets.items():
        conf = train.confidences(model, data)
        labels = [d["answerable"] for d in data]
        cells = []
        for t in thresholds:
            answered, abstained = train._balanced(conf, data, t)
            cells.append(f"{answered:.0%} / {abstained:.0%}")
        print(f"| {name} | {len(data)} | {sum(labels)} | {auc(list(conf), labels):.3f} | "
              + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
