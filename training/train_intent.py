"""Train the overview classifier and write rag/understand/intent_model.json (reproducibly).

rag/understand/intent.py recognises whole-document questions by patterns first. This classifier
catches the overview requests the patterns miss ("Boil it down for me", "Give me the
lowdown"): a logistic regression over the question's MiniLM vector (the model the index
uses), consulted only when the patterns say "factoid" or "list".

Data (nothing is downloaded):
- positives: eval/data/intent_overview.txt, overview requests written by hand, varied on purpose;
- negatives: eval/data/intent_not_overview.txt (questions about a document that are not
  requests for its overview: "What does the report say about X?", "Who wrote this?") and
  every question of the SQuAD 1.1 and 2.0 dev articles that train_abstention.py trains on.

The hand-written lines are split by a hash of their text: about 30% are never trained on and
report recall (positives) and false alarms (negatives), with the held-out SQuAD articles'
questions. The threshold is the lowest probability above every hand-written training
negative that keeps false alarms on the SQuAD training questions under MAX_FALSE (a factoid
sent to the overview path gets no answer at all), and at least MIN_THRESHOLD.

    .venv/bin/python training/train_intent.py            # writes rag/understand/intent_model.json
    .venv/bin/python training/train_intent.py --check    # fails if the file would change
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))
os.environ["HF_HUB_OFFLINE"] = "1"

import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from rag.embeddings import QUERY_BATCH, sentence_vectors  # noqa: E402
from rag.understand.intent import MODEL_PATH, by_patterns  # noqa: E402
from reproduce import verdict  # noqa: E402
from train_abstention import SQUAD1, SQUAD2, held_out  # noqa: E402  the same article split

SQUAD = (SQUAD1, SQUAD2)
POSITIVES = ROOT / "eval" / "data" / "intent_overview.txt"
NEGATIVES = ROOT / "eval" / "data" / "intent_not_overview.txt"
MAX_FALSE = 0.0005  # largest share of training negatives the threshold may send to overview
MIN_THRESHOLD = 0.9
C = 1.0
DIGITS = 6


def lines(path: Path) -> list[str]:
    return [s.strip() for s in path.read_text(encoding="utf-8").splitlines()
            if s.strip() and not s.startswith("#")]


def squad_questions(limit: int | None = None) -> tuple[list[str], list[str]]:
    """(training articles' questions, held-out articles' questions), each once; the first
    `limit` of each (a slice, for tests)."""
    train, held = {}, {}
    for path in SQUAD:
        for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
            out = held if held_out(article["title"]) else train
            for paragraph in article["paragraphs"]:
                for qa in paragraph["qas"]:
                    out.setdefault(qa["question"].strip(), None)
    return list(train)[:limit], list(held)[:limit]


def train(limit: int | None = None) -> dict:
    """Everything the JSON file holds. `limit` takes a slice of SQuAD's questions (tests)."""
    # the classifier is consulted only where the patterns say "factoid" or "list"
    pos = lines(POSITIVES)
    neg = [q for q in lines(NEGATIVES) if by_patterns(q, None).kind in ("factoid", "list")]
    squad_train, squad_held = squad_questions(limit)
    texts = {
        "pos_train": [q for q in pos if not held_out(q)],
        "pos_held": [q for q in pos if held_out(q)],
        "neg_train": [q for q in neg if not held_out(q)] + squad_train,
        "neg_held": [q for q in neg if held_out(q)],
        "squad_held": squad_held,
    }
    embed = sentence_vectors(QUERY_BATCH, "fp32")
    vecs = {name: embed(qs) for name, qs in texts.items()}
    x = np.vstack([vecs["pos_train"], vecs["neg_train"]])
    y = np.r_[np.ones(len(vecs["pos_train"])), np.zeros(len(vecs["neg_train"]))]
    hard = len([q for q in neg if not held_out(q)])  # neg_train: the hand-written ones first
    # positives and hand-written negatives weigh as much as all of SQuAD's questions
    n_pos, n_squad = len(vecs["pos_train"]), len(squad_train)
    weight = np.r_[np.full(n_pos, n_squad / n_pos), np.full(hard, n_squad / hard),
                   np.ones(n_squad)]
    model = LogisticRegression(C=C, max_iter=5000).fit(x, y, sample_weight=weight)

    def prob(name: str) -> np.ndarray:
        return model.predict_proba(vecs[name])[:, 1]

    train_neg = prob("neg_train")
    squad_neg = np.sort(train_neg[hard:])[::-1]
    above = [float(train_neg[:hard].max()), float(squad_neg[int(MAX_FALSE * len(squad_neg))])]
    threshold = max(MIN_THRESHOLD, float(np.ceil(max(above) * 100) / 100))
    patterned = np.array([by_patterns(q, None).kind == "overview" for q in texts["pos_held"]])
    report = {
        "overview_recall_held_out": round(float((prob("pos_held") >= threshold).mean()), 4),
        "overview_recall_held_out_patterns_alone": round(float(patterned.mean()), 4),
        "overview_recall_held_out_with_patterns": round(float(
            ((prob("pos_held") >= threshold) | patterned).mean()), 4),
        "hard_negatives_false_held_out": int((prob("neg_held") >= threshold).sum()),
        "squad_false_held_out": int((prob("squad_held") >= threshold).sum()),
        "counts": {name: len(qs) for name, qs in texts.items()},
    }

    def r(v: float) -> float:
        return float(f"{v:.{DIGITS}g}")

    return {"about": "Learned by training/train_intent.py; read by rag/understand/intent.py: "
                     "P(overview) = sigmoid(vector . coef + intercept) over the question's "
                     "normalised MiniLM vector.",
            "threshold": threshold, "report": report, "intercept": r(model.intercept_[0]),
            "coef": [r(v) for v in model.coef_[0]]}


def dumps(data: dict) -> str:
    return json.dumps(data, indent=1) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the file would change")
    args = parser.parse_args()
    text = dumps(train())
    if args.check:
        same, how = verdict(MODEL_PATH.read_text(encoding="utf-8"), text)
        if not same:
            raise SystemExit(f"{MODEL_PATH.name} {how} from what the data gives")
        print(how)
        return
    MODEL_PATH.write_text(text, encoding="utf-8")
    print(json.dumps(json.loads(text)["report"], indent=1))
    print(f"wrote {MODEL_PATH}")


if __name__ == "__main__":
    main()
