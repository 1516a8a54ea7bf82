"""Evaluation: run a Q&A set (seed_qa_dev.jsonl format) through the pipeline and score it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rag.answer import AnswerResult, Pipeline
from rag.citations import MIN_OVERLAP, split_markers, support
from rag.errors import RagError
from rag.text import fold, sentences


def load_items(path: Path) -> list[dict]:
    """Read a JSONL Q&A file: question, answers (list; empty = unanswerable), evidence.

    Raises:
        RagError: missing file, bad JSON, or an item without a question / answers list.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RagError(f"Cannot read {path}: {exc.strerror}.") from exc
    items = []
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RagError(f"{path}:{no}: not valid JSON ({exc.msg}).") from exc
        if not isinstance(item.get("question"), str) or not isinstance(item.get("answers"), list):
            raise RagError(f"{path}:{no}: each line needs a 'question' string and an "
                           "'answers' list (empty when the documents do not answer it).")
        item.setdefault("id", f"line{no}")
        items.append(item)
    if not items:
        raise RagError(f"{path} holds no questions.")
    return items


def unsupported_sentences(result: AnswerResult) -> int:
    """Sentences of a final answer that no cited passage supports (re-checked from scratch)."""
    if result.abstained:
        return 0
    by_n = {c.n: c.text for c in result.citations}
    bad = 0
    for s, e in sentences(result.answer):
        claim, cited = split_markers(result.answer[s:e])
        ok = any((found := support(claim, by_n[n])) and found[0] >= MIN_OVERLAP
                 for n in cited if n in by_n)
        bad += 0 if ok else 1
    return bad


def score_item(item: dict, result: AnswerResult) -> dict:
    answers, evidence = item["answers"], item.get("evidence")
    answer_ok = (not result.abstained and
                 any(fold(a) in fold(result.answer) for a in answers)) if answers else None
    cite_ok = (any(fold(evidence) in fold(c.text) for c in result.citations)
               if answers and evidence else None)
    return {"id": item["id"], **result.to_json(), "answer_correct": answer_ok,
            "citation_correct": cite_ok,
            "abstention_correct": result.abstained if not answers else None,
            "unsupported_sentences": unsupported_sentences(result)}


def _share(values: list[bool | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def evaluate(pipeline: Pipeline, items: list[dict], k: int | None = None,
             on_item: Callable[[dict], None] | None = None) -> dict:
    """Answer every item in one process; return summary figures plus per-item results."""
    pipeline.ask(items[0]["question"], k=k)  # warm-up: model loads are not question latency
    scored, latencies = [], []
    for item in items:
        result = pipeline.ask(item["question"], k=k)
        latencies.append(result.seconds * 1000)
        scored.append(score_item(item, result))
        if on_item:
            on_item(scored[-1])
    return {
        "generator": pipeline.generator.name, "items_total": len(items),
        "answerable": sum(1 for i in items if i["answers"]),
        "answer_accuracy": _share([s["answer_correct"] for s in scored]),
        "citation_accuracy": _share([s["citation_correct"] for s in scored]),
        "abstention_accuracy": _share([s["abstention_correct"] for s in scored]),
        "unsupported_sentences": sum(s["unsupported_sentences"] for s in scored),
        "dropped_draft_sentences": sum(s["unsupported"] for s in scored),
        "latency_p50_ms": round(float(np.percentile(latencies, 50)), 1),
        "latency_p95_ms": round(float(np.percentile(latencies, 95)), 1),
        "items": scored,
    }
