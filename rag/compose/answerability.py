"""Answerability: the learned models that score candidate sentences and decide whether the
retrieved passages answer a question at all, with a calibrated confidence.

Two logistic regressions, their coefficients in answerability.json (written by
training/train_abstention.py, which reproduces the file exactly):
- the sentence model: P(this sentence holds the answer), from evidence.SENTENCE_FEATURES;
- the question model: P(the passages answer the question), from the best sentences' scores
  and features. This is the confidence that RAG_MIN_CONFIDENCE is compared with.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.documents import Document

from rag.compose.evidence import KINDS, SENTENCE_FEATURES, Candidate, candidates, question_type

MODEL_PATH = Path(__file__).with_name("answerability.json")
QUESTION_FEATURES = (
    "best_logit", "best_gap", "top3_mean_logit",
    *(f"best_{name}" for name in SENTENCE_FEATURES),
    "top3_max_cosine", "top3_max_names_in_window", "question_words",
    *(f"kind_{kind or 'other'}" for kind in KINDS),
)


@dataclass(frozen=True)
class Linear:
    """A logistic regression over standardised features: sigmoid(((x - mean) / scale) . coef + b)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    @classmethod
    def from_json(cls, data: dict, expected: tuple[str, ...]) -> "Linear":
        """From {"intercept": b, "features": {name: [mean, scale, coef], ...}}."""
        if tuple(data["features"]) != expected:
            raise ValueError(f"{MODEL_PATH.name} was trained on other features; run "
                             "training/train_abstention.py")
        mean, scale, coef = np.array(list(data["features"].values()), dtype=float).T
        return cls(expected, mean, scale, coef, float(data["intercept"]))

    def to_json(self, digits: int = 6) -> dict:
        def r(v: float) -> float:
            return float(f"{v:.{digits}g}")

        return {"intercept": r(self.intercept), "columns": ["mean", "scale", "coef"],
                "features": {name: [r(m), r(s), r(c)] for name, m, s, c in
                             zip(self.features, self.mean, self.scale, self.coef)}}

    def logit(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept


@dataclass(frozen=True)
class Model:
    sentence: Linear
    question: Linear
    threshold: float  # the default RAG_MIN_CONFIDENCE, chosen on dev data


@lru_cache(maxsize=1)
def metadata(path: Path = MODEL_PATH) -> dict:
    """The model file as written by the training script (parameters and provenance)."""
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_PATH) -> Model:
    data = metadata(path)
    return Model(Linear.from_json(data["sentence"], SENTENCE_FEATURES),
                 Linear.from_json(data["question"], QUESTION_FEATURES), float(data["threshold"]))


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def idf_of(doc_freq: Callable[[str], int], n_docs: int) -> Callable[[str], float]:
    """Inverse document frequency over the indexed chunks (a term never seen counts as rare)."""
    return lambda term: math.log((n_docs + 1) / (doc_freq(term) + 0.5))


def score_sentences(cands: list[Candidate], model: Linear) -> list[Candidate]:
    """The candidates with .score set by the sentence model, best first."""
    if not cands:
        return []
    logits = model.logit(np.stack([c.features for c in cands]))
    for cand, z in zip(cands, logits):
        cand.score = sigmoid(float(z))
    return sorted(cands, key=lambda c: c.score, reverse=True)


def question_features(question: str, ranked: list[Candidate]) -> np.ndarray:
    """QUESTION_FEATURES for a question and its scored candidates (best first)."""
    logits = [math.log(c.score / (1 - c.score)) if 0 < c.score < 1 else 0.0 for c in ranked[:3]]
    # fewer than 3 candidates (a one-sentence file, a source filter): the missing ones count
    # as clear non-answers, 5 below the best, as the gap's default always did
    logits += [logits[0] - 5.0] * (3 - len(logits))
    best = ranked[0]
    names_at = SENTENCE_FEATURES.index("names_in_window")
    kind = question_type(question)
    return np.array([
        logits[0], logits[0] - logits[1], float(np.mean(logits)), *best.features,
        max(c.cosine for c in ranked[:3]), max(c.features[names_at] for c in ranked[:3]),
        math.log(max(1, len(question.split()))), *(float(kind == k) for k in KINDS),
    ])


def assess(question: str, passages: list[Document], embed: Callable[[list[str]], np.ndarray],
           idf: Callable[[str], float], model: Model | None = None
           ) -> tuple[list[Candidate], float]:
    """Score every candidate sentence of the passages and the question as a whole.

    Returns:
        (candidates best first, confidence that the passages answer the question, 0..1).
    """
    model = model or load_model()
    ranked = score_sentences(candidates(question, passages, embed, idf), model.sentence)
    if not ranked:
        return [], 0.0
    return ranked, sigmoid(float(model.question.logit(question_features(question, ranked))))
