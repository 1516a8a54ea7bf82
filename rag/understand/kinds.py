"""Kinds of question and their typed intents: what answer a question wants, with what it
needs to draft that answer. rag.understand.rules decides them; rag.compose drafts each kind.

    Fact          a fact found by retrieval ("When was the NDB set up?")
    Overview      the whole documents, or their opening or ending ("What is this about?")
    TopicSummary  what the documents say about one thing ("Describe Ma's career")
    Comparison    two or more sides on an aspect ("Compare Ma's and Yuan's careers")
    RollCall      a list: the people, organisations, places or dates named, or any list
                  ("Which provinces are mentioned?", "List the challenges")
    Explanation   the part of a document about one thing ("How does hinted handoff work?",
                  "Explain how leader election works", "What does a tablet hold?")

Every intent carries `files`: the indexed files the question names (its scope).
docs/question-kinds.md has a table of examples and counter-examples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar


class Kind(StrEnum):
    """The kinds the evaluation counts; the values are what `rag eval` and the snapshot
    (eval/data/kinds.tsv) write."""

    FACT = "factoid"
    OVERVIEW = "overview"
    TOPIC = "topic"
    COMPARISON = "comparison"
    LIST = "list"
    EXPLANATION = "explanation"

    @property
    def answered_as(self) -> str:
        """The kind an answer reports (AnswerResult.kind): a topic summary is an overview."""
        return Kind.OVERVIEW.value if self is Kind.TOPIC else self.value


class Part(StrEnum):
    """Which part of the documents an overview is of."""

    WHOLE = ""
    START = "start"  # the opening: "How does the article begin?"
    END = "end"  # the conclusion: "How does it end?"


class Names(StrEnum):
    """What a roll call lists: the things of one sort the documents name, or (ANY) the
    items a search finds ("What are the main challenges?")."""

    ANY = ""
    PEOPLE = "people"
    ORGANISATIONS = "organisations"
    PLACES = "places"
    DATES = "dates"
    DOCUMENTS = "documents"  # "Which of these papers deal with X?": the files, per file
    AUTHORS = "authors"  # "Who wrote the Raft paper?": its byline (rag.ingest.titles)


@dataclass
class Intent:
    """What every kind has: the files the question names; `choices`, the files a name in it
    fits when more than one does ("the consensus paper"), and `said`, that name."""

    files: list[str] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)
    said: str = ""
    kind: ClassVar[Kind]


@dataclass
class Fact(Intent):
    kind: ClassVar[Kind] = Kind.FACT


@dataclass
class Overview(Intent):
    part: Part = Part.WHOLE
    kind: ClassVar[Kind] = Kind.OVERVIEW


@dataclass
class TopicSummary(Intent):
    """topic: as the question writes it ("Ma's career"); vouched: summarise only if a search
    for it is confident, else answer it as a fact ("Tell me about the NDB's budget")."""

    topic: str = ""
    vouched: bool = False
    kind: ClassVar[Kind] = Kind.TOPIC


@dataclass
class Comparison(Intent):
    """sides: what is compared; aspect: what about them ("careers"); by: how the question
    puts the aspect ("of": "the careers of A and B", "on": "A and B on X", "how": "how A
    and B approached X", "as": "A vs B as emperors", or the question it asks: "which is
    bigger?"), for the answer's heading."""

    sides: list[str] = field(default_factory=list)
    aspect: str = ""
    by: str = "of"
    documents: list[str | None] = field(default_factory=list)  # the file a side names, if any
    kind: ClassVar[Kind] = Kind.COMPARISON


@dataclass
class RollCall(Intent):
    """names: what is listed; topic: only those in the sentences about it ("a timeline of
    Ma's career")."""

    names: Names = Names.ANY
    topic: str = ""
    kind: ClassVar[Kind] = Kind.LIST


@dataclass
class Explanation(Intent):
    """topic: what is explained, as the question writes it ("hinted handoff")."""

    topic: str = ""
    kind: ClassVar[Kind] = Kind.EXPLANATION
