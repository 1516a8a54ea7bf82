"""Follow-up reading on a corpus: which questions the conversation rewrites.

1. Standalone questions, asked one after another as in one chat session: every single-turn
   question of a corpus question file (factoid, unanswerable, whole), in file order, each
   with the one before it and its answer as history. A question that stands alone must be
   read as asked: the count of those read otherwise is the figure (target 0).
2. The chats' follow-ups: how each was read, beside the standalone question the chat's
   author wrote for it, and which files the answer cites (the chat's source first).

Only reading is measured here; `rag eval --sources` scores the answers, and builds the
index this reads (run it first, with the same RAG_INDEX_DIR).

    RAG_INDEX_DIR=DIR .venv/bin/python eval/eval_rewrites.py ../shared/eval/papers_dev.jsonl \
        --sources ../shared/corpora/papers --split dev
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.compose.answer import Pipeline  # noqa: E402
from rag.config import load_settings  # noqa: E402
from rag.corpus_eval import (corpus_key, filter_split, load_corpus_items,  # noqa: E402
                             workspace)

SPLITS = ROOT / "eval" / "data" / "splits.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--sources", type=Path, required=True)
    parser.add_argument("--split", default="all")
    parser.add_argument("--corpus", default=None)
    args = parser.parse_args()
    items = filter_split(load_corpus_items(args.file), SPLITS,
                         corpus_key(args.file, args.corpus), args.split)
    settings = workspace(load_settings(), args.sources)
    pipeline = Pipeline(settings)

    singles = [i for i in items if i["kind"] != "chat"]
    rewritten = []
    previous: list[dict] = []
    for item in singles:
        alone = pipeline.ask(item["question"])
        after = pipeline.ask(item["question"], history=previous or None)
        if previous and after.standalone != alone.standalone:
            rewritten.append((previous[0]["content"], item["question"], after.standalone))
        previous = [{"role": "user", "content": item["question"]},
                    {"role": "assistant", "content": after.answer}]
    print(f"## Standalone questions asked after the one before: {len(singles)}")
    for before, asked, read in rewritten:
        print(f"- after {before!r}\n  {asked!r}\n  read as {read!r}")
    print(f"\nrewritten: {len(rewritten)} of {len(singles) - 1}")

    print("\n## Chat follow-ups")
    for item in (i for i in items if i["kind"] == "chat"):
        history: list[dict] = []
        for no, turn in enumerate(item["turns"], 1):
            result = pipeline.ask(turn["question"], history=history or None)
            history += [{"role": "user", "content": turn["question"]},
                        {"role": "assistant", "content": result.answer}]
            if no == 1:
                continue
            files = list(dict.fromkeys(c.source for c in result.citations))
            hit = "same file" if turn.get("source") in files else \
                "declined" if result.abstained else "other file"
            print(f"- {item['id']}.{no} [{hit}] {turn['question']}\n"
                  f"    read as: {result.standalone}\n    written: {turn['standalone']}")


if __name__ == "__main__":
    main()
