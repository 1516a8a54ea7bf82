"""Phrases as the question wrote them: the rules match the folded question (rag.text.fold),
and an answer's heading quotes the asker's own case and accents."""

from __future__ import annotations

import re

from rag.text import fold, written_as_name
from rag.understand.lexicon import MENTIONED, alternation


_IN_THE_DOCUMENT = re.compile(r"\s+(?:(?:that |as )?(?:is |are )?"
                              + alternation([*MENTIONED, "explained", "presented"])
                              + r"(?: in the document)?|in the document)$")


def clean(phrase: str) -> str:
    """A side or aspect without its article, end punctuation and where it is written
    ("the steam turbines described in the document": "steam turbines")."""
    phrase = re.sub(r"^(?:the|a|an)\s+|[\s?.!,;:]+$", "", phrase.strip()).strip()
    return _IN_THE_DOCUMENT.sub("", phrase)



def original(question: str, folded: str) -> str:
    """The phrase as the question wrote it (case and accents), found by its folded form."""
    q = fold(question)
    whole = re.search(rf"(?<!\w){re.escape(folded)}(?!\w)", q)  # "ma", not summarize's "ma"
    i = whole.start() if whole else q.find(folded)
    return question[i:i + len(folded)] if i >= 0 and len(q) == len(question) else folded


def is_name(question: str, phrase: str) -> bool:
    """Whether the question writes the phrase as a name: each word capitalised, or a joiner
    between two that are ("Cyberspace Administration of China")."""
    return written_as_name(original(question, phrase))
