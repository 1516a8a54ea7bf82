"""Follow-up questions, as a chat user asks them.

- Made from our sets: every answerable question of our sample sets that names a person
  ("When did Ma Xingrui become governor of Guangdong?") is asked after "Who is Ma
  Xingrui?", with the name turned into "he" or "his" ("When did he become governor of
  Guangdong?"), beside the same questions asked with the name (no history).
- Written as conversations, each turn with its answer, by helpers who saw only the sample,
  never the code: eval/data/sample_conversations.jsonl (12 chats of 3-4 turns) and
  eval/data/sample_conversations2.jsonl (15 chats, written later, with more "there", "that ..."
  and bare "Why?" follow-ups).

Prints, per follow-up, how it was read and whether a gold answer was given, and the totals.

    .venv/bin/python eval/eval_followups.py   # under a minute on the sample index
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.compose.answer import Pipeline  # noqa: E402
from rag.config import load_settings  # noqa: E402
from rag.retrieve.datasets import load_items  # noqa: E402
from rag.text import fold  # noqa: E402

SETS = [ROOT / "eval" / "data" / name for name in ("sample_qa.jsonl", "sample_fresh.jsonl",
                                          "sample_train.jsonl")]
CONVERSATIONS = [ROOT / "eval" / "data" / name for name in ("sample_conversations.jsonl",
                                                   "sample_conversations2.jsonl",
                                                   "sample_conversations3.jsonl")]
PEOPLE = {"Ma Xingrui": ("Ma Xingrui", "Ma"), "Yuan Jiajun": ("Yuan Jiajun", "Yuan"),
          "Xi Jinping": ("Xi Jinping", "Xi")}


def follow_up(question: str) -> tuple[str, str] | None:
    """(the person, the question with its first mention of them as "his"/"he"), or None."""
    for person, forms in PEOPLE.items():
        for form in forms:
            if re.search(rf"\b{re.escape(form)}\b", question):
                owned = re.sub(rf"\b{re.escape(form)}['’]s\b", "his", question, count=1)
                return person, owned if owned != question else re.sub(
                    rf"\b{re.escape(form)}\b", "he", question, count=1)
    return None


def main() -> None:
    pipeline = Pipeline(load_settings(), "extractive")
    totals = {"follow-up": [0, 0], "named": [0, 0]}
    n = 0
    for path in SETS:
        for item in load_items(path):
            made = follow_up(item["question"]) if item["answers"] else None
            if not made:
                continue
            person, asked = made
            first = f"Who is {person}?"
            history = [{"role": "user", "content": first},
                       {"role": "assistant", "content": pipeline.ask(first).answer}]
            n += 1
            for key, result in (("follow-up", pipeline.ask(asked, history=history)),
                                ("named", pipeline.ask(item["question"]))):
                right = not result.abstained and any(
                    fold(a) in fold(result.answer) for a in item["answers"])
                totals[key][0] += not result.abstained
                totals[key][1] += right
                if key == "follow-up":
                    mark = "right" if right else "abstained" if result.abstained else "wrong"
                    print(f"{mark:9s} {result.confidence:.2f}  {asked}  (read as: "
                          f"{result.standalone})")
    print(f"\n{n} follow-ups from {', '.join(p.name for p in SETS)}")
    print("| asked | answered | right |\n|---|---|---|")
    for key, (answered, right) in totals.items():
        print(f"| {key} | {answered}/{n} | {right}/{n} |")
    for path in CONVERSATIONS:
        conversations(pipeline, path)


def conversations(pipeline: Pipeline, path: Path) -> None:
    """The written chats, each turn asked with the conversation before it."""
    counts = {"first turns": [0, 0, 0], "follow-ups": [0, 0, 0]}
    print(f"\n{path.name}")
    for line in path.read_text(encoding="utf-8").splitlines():
        history: list[dict] = []
        for k, turn in enumerate(json.loads(line)["turns"]):
            result = pipeline.ask(turn["question"], history=history)
            right = not result.abstained and fold(turn["answer"]) in fold(result.answer)
            tally = counts["follow-ups" if k else "first turns"]
            tally[0] += 1
            tally[1] += not result.abstained
            tally[2] += right
            if k:
                mark = "right" if right else "abstained" if result.abstained else "wrong"
                print(f"{mark:9s} {turn['question']}  (read as: {result.standalone})")
            history += [{"role": "user", "content": turn["question"]},
                        {"role": "assistant", "content": result.answer}]
    print(f"\n{path.name}, totals")
    print("| turns | answered | right |\n|---|---|---|")
    for key, (n, answered, right) in counts.items():
        print(f"| {key} | {answered}/{n} | {right}/{n} |")


if __name__ == "__main__":
    main()
