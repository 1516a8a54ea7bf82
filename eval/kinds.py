"""The kind of every question in the eval sets and in SQuAD, against a committed snapshot.

A change to question understanding (rag/understand/) that moves a question from one kind to
another shows up here as a diff to review, not as a claim in a commit message.

    .venv/bin/python eval/kinds.py              # diff against eval/data/kinds.tsv, exit 1 if any
    .venv/bin/python eval/kinds.py --write      # rewrite the snapshot (then review `git diff`)
    .venv/bin/python eval/kinds.py --no-squad   # only our sets and ../shared/eval (seconds)

Each question is read as the chat reads it: `detect` with the file names of its corpus and
the learned overview classifier. The snapshot lists every question whose kind is not a plain
fact; a question it does not list is a fact. Columns: set, kind, how it was decided ("rules",
or "model" when the classifier turned a fact or a list into an overview), part, topic,
sides, aspect, question. The kinds are the six the evaluation counts: factoid, overview
(of whole documents, or their "start" or "end" part), topic (what they say about one
thing), comparison, list and explanation (the part of a document about one thing). SQuAD
questions are asked with no files indexed.

The classifier reads MiniLM vectors, so on a CPU without bf16 (see rag.embeddings) a
question near its threshold may flip: such rows say "model" and are the ones to look at.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rag.understand.intent import by_patterns, detect  # noqa: E402
from rag.understand.kinds import Intent, Kind  # noqa: E402

SNAPSHOT = ROOT / "eval" / "data" / "kinds.tsv"
DATA = ROOT / "eval" / "data"
SHARED = ROOT.parent / "shared"
SAMPLE = sorted(p.name for p in (ROOT / "sources").iterdir() if not p.name.startswith("."))


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) \
        if folder.is_dir() else []


def _questions(path: Path) -> Iterator[str]:
    """Every question a set asks: single questions, and each turn of a chat."""
    if path.suffix == ".txt":
        yield from (line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                    if line.strip() and not line.startswith("#"))
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if "question" in row:
            yield row["question"]
        for turn in row.get("turns", []):
            yield turn["question"] if isinstance(turn, dict) else turn


def _squad(path: Path) -> Iterator[str]:
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                yield qa["question"].strip()


def sets(squad: bool = True) -> list[tuple[str, list[str], list[str]]]:
    """(name, questions, the file names their corpus indexes)."""
    out = []
    for path in sorted(DATA.glob("*.jsonl")) + sorted(DATA.glob("intent_*.txt")):
        files = SAMPLE
        if path.name.startswith("whole_"):  # SQuAD articles as files, beside the sample
            files = sorted({json.loads(line)["file"] for line in path.read_text(
                encoding="utf-8").splitlines() if line.strip()} | set(SAMPLE))
        out.append((f"eval/data/{path.name}", list(_questions(path)), files))
    corpora = {"seed_qa_dev.jsonl": None, "papers_dev.jsonl": "papers",
               "docs_dev.jsonl": "docs-md"}
    for name, corpus in corpora.items():
        path = SHARED / "eval" / name
        if path.is_file():
            files = _files(SHARED / "corpora" / corpus) if corpus else SAMPLE
            out.append((f"shared/eval/{name}", list(_questions(path)), files))
    if squad:
        for name in ("squad/dev-v1.1.json", "squad2/dev-v2.0.json"):
            path = SHARED / "benchmarks" / name
            if path.is_file():
                out.append((f"shared/benchmarks/{name}", list(_squad(path)), []))
    return out


def row(name: str, question: str, intent: Intent, decided: str) -> str | None:
    """The snapshot line of a question, or None for a plain fact."""
    if intent.kind == Kind.FACT and decided == "rules":
        return None
    field = lambda name: getattr(intent, name, "")  # noqa: E731  (each kind has its own)
    cells = [name, intent.kind, decided, field("part") or field("names"), field("topic"),
             " | ".join(field("sides")), field("aspect"), question]
    return "\t".join(" ".join(str(c).split()) for c in cells)


def rows(squad: bool = True, model: bool = True) -> list[str]:
    """The snapshot's lines. Without `model`, only the rules decide (no embedding model)."""
    vectors = None
    if model:
        from rag.embeddings import sentence_vectors
        vectors = sentence_vectors()
    out = []
    for name, questions, files in sets(squad):
        listed = 0
        if vectors is not None:
            vectors(list(dict.fromkeys(questions)))  # one batched pass fills its cache
        for question in questions:
            rules = by_patterns(question, files)
            intent = detect(question, files, embed=vectors) if vectors is not None else rules
            line = row(name, question, intent, "rules" if intent.kind == rules.kind else "model")
            if line:
                out.append(line)
                listed += 1
        out.append(f"# {name}\t{len(questions)} questions\t{len(questions) - listed} facts "
                   "not listed")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite the snapshot")
    parser.add_argument("--no-squad", action="store_true", help="only our sets and shared/eval")
    args = parser.parse_args()
    now = rows(squad=not args.no_squad)
    if args.write:
        SNAPSHOT.write_text("\n".join(now) + "\n", encoding="utf-8")
        print(f"wrote {SNAPSHOT.relative_to(ROOT)}: {len(now)} lines")
        return 0
    before = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    if args.no_squad:
        before = [line for line in before if "shared/benchmarks/" not in line.split("\t")[0]]
    diff = list(difflib.unified_diff(before, now, "snapshot", "now", lineterm="", n=0))
    print("\n".join(diff) if diff else f"no question changed kind ({len(now)} lines)")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
