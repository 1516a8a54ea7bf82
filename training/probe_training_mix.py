"""How the answerability question model trades SQuAD 2.0's adversarial unanswerable questions
against on-topic passages that lack the answer, by the weight given to the second kind.

The shipped sentence model scores the candidates (as `rag ask` does); question models are
then fitted (logistic regression, as training/train_abstention.py does) on the training
articles of SQuAD 2.0 dev plus the SQuAD 1.1 questions of train_abstention.py (half of them
with every passage that answers them left out of retrieval), the latter weighted w.
Reported on the held-out articles: SQuAD 2.0 (all their questions) and the SQuAD 1.1
questions of those articles, half with every passage that answers them left out (the
stand-in for Natural Questions' unanswerable ones). The threshold answers 80% of the
answerable SQuAD 2.0 held-out questions.

    .venv/bin/python training/probe_training_mix.py    # about 15 min; reuses the
                                                          # workspaces of train_abstention.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import train_abstention as T  # noqa: E402

from rag.compose.answerability import load_model, question_features, score_sentences  # noqa: E402

WEIGHTS = (0.0, 0.1, 0.3, 1.0)


def rows(data: list[dict], model) -> tuple[np.ndarray, np.ndarray]:
    kept = [d for d in data if d["cands"]]
    x = np.stack([question_features(d["question"], score_sentences(d["cands"], model.sentence))
                  for d in kept])
    return x, np.array([d["answerable"] for d in kept])


def main() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    work = HERE / "results" / "train"
    model = load_model()
    in_squad2 = set(T._titles(T.SQUAD2))
    coin = lambda item: T._coin(item["id"])  # noqa: E731
    x2, y2 = rows(T.examples(T.SQUAD2, work, lambda t: not T.held_out(t)), model)
    x1, y1 = rows(T.examples(T.SQUAD1, work, lambda t: t not in in_squad2, coin), model)
    h2, g2 = rows(T.examples(T.SQUAD2, work, T.held_out), model)
    h1, g1 = rows(T.examples(T.SQUAD1, work, lambda t: t in in_squad2 and T.held_out(t), coin),
                  model)
    print(f"\ntraining: {len(y2)} SQuAD 2.0 + {len(y1)} SQuAD 1.1 questions; held out: "
          f"{len(g2)} SQuAD 2.0 + {len(g1)} SQuAD 1.1 questions\n")
    print("| SQuAD 1.1 weight | SQuAD 2.0 held-out AUC | abstained at 80% answered | "
          "paragraph-removed held-out AUC | answered | abstained |")
    print("|---|---|---|---|---|---|")
    x, y = np.vstack([x2, x1]), np.concatenate([y2, y1])
    for w in WEIGHTS:
        weight = np.concatenate([np.ones(len(y2)), np.full(len(y1), w)])
        mean, scale = x[weight > 0].mean(axis=0), x[weight > 0].std(axis=0)
        scale[scale == 0] = 1.0
        fit = LogisticRegression(C=1.0, max_iter=5000).fit((x - mean) / scale, y,
                                                            sample_weight=weight)
        p2 = fit.predict_proba((h2 - mean) / scale)[:, 1]
        p1 = fit.predict_proba((h1 - mean) / scale)[:, 1]
        t = np.quantile(p2[g2], 0.2)
        print(f"| {w} | {roc_auc_score(g2, p2):.3f} | {(p2[~g2] < t).mean():.0%} | "
              f"{roc_auc_score(g1, p1):.3f} | {(p1[g1] >= t).mean():.0%} | "
              f"{(p1[~g1] < t).mean():.0%} |")


if __name__ == "__main__":
    main()
