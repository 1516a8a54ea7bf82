"""Extractive generator: no LLM; the answer is the passages' own sentences that answer the
question (1 to 3, in reading order, no near-duplicates), each cited."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rag.compose.citations import cite
from rag.compose.evidence import Candidate, answers_nothing, has_type, question_type
from rag.compose.generators.base import Context, Generator
from rag.text import dangles, fold

# Questions that want an explanation or a description rather than a single fact.
_DESCRIPTIVE = re.compile(r"^\s*(why|how(?! (many|much|long|old|big|large|tall|far|often|"
                          r"high|wide|deep|heavy)\b)|describe|explain|what (is|are|was|were|"
                          r"does|do|did)\b|in what way|tell me about)", re.I)
MOST = 3         # sentences in an answer at most
RATIO = 0.3      # a runner-up joins when its score is at least this share of the best one's
DUPLICATE = 0.9  # cosine above which two sentences say the same thing


def pick(question: str, ranked: list[Candidate]) -> list[Candidate]:
    """The sentences that answer: the best one (after the sentence before it when it opens
    with a pronoun: "His method is described in the Jade Mirror ..."; for an explanation or
    a description, with the sentence after it when that one leans on it: "These differences
    are rooted in ..."), then close runners-up, in reading order. A runner-up must hold the
    kind of thing asked (a date for "when", a number for "how many"), and is never itself a
    question.

    Up to 3 sentences within RATIO of the best: the gold sentence is among them for more of
    the real documents' questions than with the best sentence and close runners-up alone
    (docs/real-documents.md, "Answers of up to three sentences")."""
    if not ranked:
        return []
    descriptive = bool(_DESCRIPTIVE.match(fold(question)))
    kind = question_type(question)
    best = ranked[0]
    chosen = [best]
    before = _previous(best, ranked)
    if before is not None and _PRONOUN.match(best.text):  # "His method is described in ..."
        chosen.append(before)                              # after the sentence naming him
    after = _next(best, ranked)
    if descriptive and after is not None and dangles(after.text):
        chosen.append(after)
    for cand in ranked[1:]:
        if len(chosen) >= MOST or cand.score < RATIO * best.score:
            break
        if any(_same(cand, c) for c in chosen) or not _fits(cand.text, kind, question):
            continue
        chosen.append(cand)
    # reading order: passages in rank order, sentences as they stand in each passage
    return sorted(chosen, key=lambda c: (c.passage, c.span[0]))


# A sentence opening with one of these stands for something the one before it named.
_PRONOUN = re.compile(r"\W*(?:he|she|his|her|they|their|them|it|its|this|these|those)\b", re.I)


def _fits(text: str, kind: str | None, question: str) -> bool:
    """Whether a runner-up may join: it holds the kind of answer asked, and is no question
    or order to a model (evidence.answers_nothing)."""
    return not answers_nothing(text) and (kind is None or has_type(text, kind, question))


def _previous(cand: Candidate, ranked: list[Candidate]) -> Candidate | None:
    """The sentence right before cand in its passage, if any."""
    earlier = [c for c in ranked if c.passage == cand.passage and c.span[1] <= cand.span[0]]
    return max(earlier, key=lambda c: c.span[0], default=None)


def _next(cand: Candidate, ranked: list[Candidate]) -> Candidate | None:
    """The sentence right after cand in its passage, if any."""
    later = [c for c in ranked if c.passage == cand.passage and c.span[0] >= cand.span[1]]
    return min(later, key=lambda c: c.span[0], default=None)


def _same(a: Candidate, b: Candidate) -> bool:
    """Near-duplicates: overlapping spans of one passage, or (almost) the same sentence."""
    if a.passage == b.passage and a.span[0] < b.span[1] and b.span[0] < a.span[1]:
        return True
    return a.text == b.text or (a.vector.size and b.vector.size
                                and float(a.vector @ b.vector) >= DUPLICATE)


class ExtractiveGenerator(Generator):
    name = "extractive"

    def stream(self, ctx: Context) -> Iterator[str]:
        parts = [(c.text, c.passage + 1) for c in pick(ctx.question, ctx.ranked)]
        sent = ""
        for i in range(1, len(parts) + 1):  # a sentence at a time, so the chat shows it forming
            text = cite(parts[:i])
            yield text[len(sent):]
            sent = text


def make(settings, name: str) -> ExtractiveGenerator:
    """The factory registered as "extractive" (pyproject.toml, rag.plugins.GENERATORS)."""
    return ExtractiveGenerator()
