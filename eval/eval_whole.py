"""Whole-document questions as new users ask them, written by helpers who saw only the
documents, never the code (rag/understand/intent.py, rag/compose/drafts.py):

- eval/data/whole_fresh.jsonl: 75 questions (15 overviews, 15 topic summaries, 15 comparisons,
  15 lists, 15 facts) about four files indexed together: the sample and three SQuAD 1.1
  dev articles (Nikola_Tesla, Yuan_dynasty, Steam_engine, built here from
  ../shared/benchmarks/squad/dev-v1.1.json, paragraphs joined by blank lines). Each
  question has phrase groups a good answer holds ("must": one phrase of each group).
- eval/data/sample_phrasings.jsonl: 60 questions of the same five kinds about the sample
  alone (kinds only).
- eval/data/whole_heldout.jsonl: 50 questions (10 of each kind) about the sample and three
  other articles (Apollo_program, Genghis_Khan, Victoria_and_Albert_Museum), written after
  the rules above, to measure them on questions nobody wrote a rule for:

    .venv/bin/python eval/eval_whole.py --questions eval/data/whole_heldout.jsonl \
        --articles Apollo_program,Genghis_Khan,Victoria_and_Albert_Museum

Prints the kind recognised per kind of question, and for the four files how many answers
hold every phrase group, the mean share of groups held, and the abstentions.

    .venv/bin/python eval/eval_whole.py [--work DIR]   # about 2 minutes
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.compose.answer import Pipeline  # noqa: E402
from rag.config import Settings, load_settings  # noqa: E402
from rag.index.indexer import sync  # noqa: E402
from rag.understand.intent import detect  # noqa: E402

SQUAD1 = ROOT.parent / "shared" / "benchmarks" / "squad" / "dev-v1.1.json"
ARTICLES = ("Nikola_Tesla", "Yuan_dynasty", "Steam_engine")
SAMPLE = ROOT / "sources" / "china-digital-economy-governance.txt"
KINDS = ("overview", "topic", "comparison", "list", "factoid")
FRESH = ROOT / "eval" / "data" / "whole_fresh.jsonl"


def recognised(kind: str, intent) -> bool:
    """Whether the intent is the kind the writer meant (a list may be a roll call)."""
    return intent.kind == kind


def table(rows: dict[str, list[int]], title: str) -> None:
    print(f"\n{title}\n| kind | recognised |\n|---|---|")
    for kind in KINDS:
        good, n = rows.get(kind, [0, 0])
        print(f"| {kind} | {good}/{n} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, help="folder for the four files and their index")
    parser.add_argument("--questions", type=Path, default=FRESH,
                        help="questions with phrase groups (default eval/data/whole_fresh.jsonl)")
    parser.add_argument("--articles", default=",".join(ARTICLES),
                        help="the SQuAD 1.1 dev articles indexed beside the sample")
    args = parser.parse_args()
    articles = args.articles.split(",")
    work = args.work or Path(tempfile.mkdtemp(prefix="eval-whole-"))
    sources = work / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    for article in json.loads(SQUAD1.read_text(encoding="utf-8"))["data"]:
        if article["title"] in articles:
            text = "\n\n".join(p["context"].strip() for p in article["paragraphs"]) + "\n"
            (sources / f"{article['title']}.txt").write_text(text, encoding="utf-8")
    (sources / SAMPLE.name).write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    settings = Settings(sources_dir=sources, index_dir=work / "index")
    sync(settings)
    pipeline = Pipeline(settings, "extractive")
    files = sorted(pipeline.reader.sources())

    kinds: dict[str, list[int]] = {}
    found: dict[str, list[float]] = {}
    for line in args.questions.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        result = pipeline.ask(item["question"])
        intent = detect(item["question"], files, embed=pipeline.vectors)
        ok = recognised(item["kind"], intent)
        held = [any(p.lower() in result.answer.lower() for p in group) for group in item["must"]]
        row = kinds.setdefault(item["kind"], [0, 0])
        row[0] += ok
        row[1] += 1
        f = found.setdefault(item["kind"], [0, 0.0, 0, 0])
        f[0] += all(held) and not result.abstained
        f[1] += sum(held) / len(held)
        f[2] += result.abstained
        f[3] += 1
        print(f"{'ok ' if ok else 'XX '}{'all' if all(held) else f'{sum(held)}/{len(held)}'}"
              f"{' abstained' if result.abstained else ''}  [{item['kind']} -> {intent.kind}"
              f"{' topic' if intent.topic else ''}] {item['question']}")
    table(kinds, f"{args.questions.name} ({len(files)} files): kind recognised")
    print("\n| kind | answers holding every group | mean share of groups | abstained |"
          "\n|---|---|---|---|")
    for kind in KINDS:
        full, share, abstained, n = found.get(kind, [0, 0.0, 0, 0])
        print(f"| {kind} | {full}/{n} | {share / max(n, 1):.2f} | {abstained} |")

    if args.questions.resolve() != FRESH:  # the sample's phrasings go with the fresh set
        return
    sample = Pipeline(load_settings(), "extractive")  # the sample alone, as shipped
    one = [SAMPLE.name]
    kinds = {}
    for line in (ROOT / "eval" / "data" / "sample_phrasings.jsonl").read_text(
            encoding="utf-8").splitlines():
        item = json.loads(line)
        ok = recognised(item["kind"], detect(item["question"], one, embed=sample.vectors))
        row = kinds.setdefault(item["kind"], [0, 0])
        row[0] += ok
        row[1] += 1
        if not ok:
            print(f"XX [{item['kind']}] {item['question']}")
    table(kinds, "eval/data/sample_phrasings.jsonl (the sample): kind recognised")


if __name__ == "__main__":
    main()
