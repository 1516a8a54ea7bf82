"""SciFact (BEIR test split) helpers shared by the benchmarks: read by path, never copied."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "scifact"
SCIFACT = Path(os.environ.get("SCIFACT_DIR", DEFAULT_DIR))


def corpus() -> list[dict]:
    """The 5,183 abstracts: {"_id", "title", "text"}."""
    with (SCIFACT / "corpus.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def doc_text(doc: dict) -> str:
    return f"{doc['title']}\n\n{doc['text']}" if doc.get("title") else doc["text"]


def write_sources(folder: Path) -> int:
    """Lay the corpus out as one .txt file per abstract (`<_id>.txt`), as a user would."""
    folder.mkdir(parents=True, exist_ok=True)
    docs = corpus()
    for doc in docs:
        (folder / f"{doc['_id']}.txt").write_text(doc_text(doc), encoding="utf-8")
    return len(docs)


def queries_with_qrels() -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """Test queries that have relevance judgements, and {query id: {doc id: grade}}."""
    qrels: dict[str, dict[str, int]] = {}
    with (SCIFACT / "qrels" / "test.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    queries = {}
    with (SCIFACT / "queries.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            q = json.loads(line)
            if q["_id"] in qrels:
                queries[q["_id"]] = q["text"]
    return queries, qrels
