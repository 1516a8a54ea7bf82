"""Evaluation: run a Q&A set through the pipeline and score answers, citations, abstentions,
the confidence (AUC, threshold sweep) and latency."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rag.compose.answer import AnswerResult, Pipeline
from rag.compose.citations import MIN_OVERLAP, claims, is_frame, support
from rag.text import fold

SWEEP = tuple(round(t, 2) for t in np.arange(0.05, 1.0, 0.05))


def unsupported_sentences(result: AnswerResult) -> int:
    """Sentences of a final answer that no cited passage supports (re-checked from scratch)."""
    if result.abstained:
        return 0
    by_n = {c.n: c.text for c in result.citations}
    bad = 0
    for claim, cited in claims(result.answer):
        if not cited and is_frame(claim):
            continue  # a label or a note of a whole-document answer
        ok = any((found := support(claim, by_n[n])) and found[0] >= MIN_OVERLAP
                 for n in cited if n in by_n)
        bad += 0 if ok else 1
    return bad


def score_item(item: dict, result: AnswerResult) -> dict:
    """One item's verdicts. A citation is correct when it quotes the item's `evidence` or
    comes from its `source` file (SQuAD: the paragraph the question was asked about)."""
    answers, evidence, source = item["answers"], item.get("evidence"), item.get("source")
    answered = not result.abstained
    answer_ok = answered and any(fold(a) in fold(result.answer) for a in answers)
    if evidence:
        cite_ok = any(fold(evidence) in fold(c.text) for c in result.citations)
    elif source:
        cite_ok = any(c.source == source for c in result.citations)
    else:
        cite_ok = None
    return {"id": item["id"], **result.to_json(),
            "answer_correct": answer_ok if answers else None,
            "citation_correct": cite_ok if answers and cite_ok is not None else None,
            "abstention_correct": result.abstained if not answers else None,
            "unsupported_sentences": unsupported_sentences(result),
            # a whole-document answer has no confidence: it answered (1) or abstained (0)
            "confidence": (result.confidence if result.confidence is not None
                           else float(not result.abstained))}


def _share(values) -> float | None:
    vals = [v for v in values if v is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def auc(scores: list[float], labels: list[bool]) -> float | None:
    """Area under the ROC curve: P(a random positive scores above a random negative)."""
    pos = np.array([s for s, y in zip(scores, labels) if y])
    neg = np.array([s for s, y in zip(scores, labels) if not y])
    if not len(pos) or not len(neg):
        return None
    _, group, counts = np.unique(np.r_[pos, neg], return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[group]  # ties share their average rank
    return round(float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2)
                       / (len(pos) * len(neg))), 4)


def sweep(scored: list[dict], thresholds=SWEEP) -> list[dict]:
    """Answered share of answerables and abstained share of unanswerables per threshold."""
    pos = np.array([s["confidence"] for s in scored if s["abstention_correct"] is None])
    neg = np.array([s["confidence"] for s in scored if s["abstention_correct"] is not None])
    return [{"threshold": t,
             "answered": round(float((pos >= t).mean()), 4) if len(pos) else None,
             "abstained": round(float((neg < t).mean()), 4) if len(neg) else None}
            for t in thresholds]


def summarize(scored: list[dict], latencies: list[float]) -> dict:
    answerable = [s for s in scored if s["abstention_correct"] is None]
    answered = [s for s in answerable if not s["abstained"]]
    return {
        "items_total": len(scored), "answerable": len(answerable),
        "answered_share": _share([not s["abstained"] for s in answerable]),
        "abstained_share": _share([s["abstention_correct"] for s in scored]),
        "confidence_auc": auc([s["confidence"] for s in scored],
                              [s["abstention_correct"] is None for s in scored]),
        # over all answerable questions (an abstention counts as wrong) ...
        "answer_accuracy": _share([s["answer_correct"] for s in answerable]),
        "citation_accuracy": _share([s["citation_correct"] for s in answerable]),
        # ... and over the answered ones
        "answer_accuracy_answered": _share([s["answer_correct"] for s in answered]),
        "citation_accuracy_answered": _share([s["citation_correct"] for s in answered]),
        "abstention_accuracy": _share([s["abstention_correct"] for s in scored]),
        "unsupported_sentences": sum(s["unsupported_sentences"] for s in scored),
        "dropped_draft_sentences": sum(s["unsupported"] for s in scored),
        "latency_p50_ms": round(float(np.percentile(latencies, 50)), 1) if latencies else None,
        "latency_p95_ms": round(float(np.percentile(latencies, 95)), 1) if latencies else None,
    }


def evaluate(pipeline: Pipeline, items: list[dict], k: int | None = None,
             on_item: Callable[[dict], None] | None = None, with_sweep: bool = False) -> dict:
    """Answer every item in one process; return summary figures plus per-item results."""
    pipeline.ask(items[0]["question"], k=k)  # warm-up: model loads are not question latency
    scored, latencies = [], []
    for item in items:
        result = pipeline.ask(item["question"], k=k)
        latencies.append(result.seconds * 1000)
        scored.append(score_item(item, result))
        if on_item:
            on_item(scored[-1])
    report = {"generator": pipeline.generator.name,
              "min_confidence": pipeline.settings.min_confidence,
              **summarize(scored, latencies)}
    if with_sweep:
        report["sweep"] = sweep(scored)
    report["items"] = scored
    return report
