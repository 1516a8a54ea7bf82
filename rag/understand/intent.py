"""Intent: what kind of answer a question wants (rag.understand.kinds) and which files it is
about: the rules first (rag.understand.rules), then a learned classifier for overviews the
rules miss ("Boil it down for me")."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

from rag.text import fold
from rag.understand.documents import Named
from rag.understand.kinds import Fact, Intent, Names, Overview, RollCall
from rag.understand.phrasings import COUNT, METADATA, NUMBERS
from rag.understand.rules import by_patterns

MODEL_PATH = Path(__file__).with_name("intent_model.json")  # training/train_intent.py


@lru_cache(maxsize=1)
def _overview_model() -> tuple[np.ndarray, float, float]:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    return np.array(data["coef"], dtype=float), float(data["intercept"]), float(data["threshold"])


def overview_probability(vector: np.ndarray) -> float:
    """P(the question asks for an overview), from its normalised MiniLM vector."""
    coef, intercept, _ = _overview_model()
    return 1.0 / (1.0 + math.exp(-(float(vector @ coef) + intercept)))


def detect(question: str, sources: list[str] | None = None,
           embed: Callable[[list[str]], np.ndarray] | None = None,
           names: list[Named] | None = None,
           prominent: Callable[[str], list[str]] | None = None,
           common: Callable[[str], bool] | None = None) -> Intent:
    """The intent of a question, given the indexed file names (to spot one it names).

    Args:
        embed: normalised vectors of texts. With it, a question the patterns leave as a
            factoid or a list is an overview if the learned classifier is confident of it
            (intent_model.json; "Boil it down for me"), unless it asks about the document
            as a thing (its title, author, date or length: phrasings.METADATA).
        names, prominent, common: the indexed documents' titles and authors, the files a
            word is prominent in, and whether a word is in most files, to spot a document
            named by them (rag.understand.documents.refer).
    """
    intent = by_patterns(question, sources, names, prominent, common)
    if embed is not None and (isinstance(intent, Fact) or (
            isinstance(intent, RollCall) and intent.names == Names.ANY)) and \
            not METADATA.search(fold(question)) and \
            overview_probability(embed([question])[0]) >= _overview_model()[2]:
        return Overview(files=intent.files, choices=intent.choices, said=intent.said)
    return intent


def asked_count(question: str) -> int | None:
    """The number of sentences a question asks for ("in one sentence" -> 1, "three bullet
    points" -> 3), 1 to 10; None when it does not say."""
    m = COUNT.search(question)
    if not m:
        return None
    word = m.group(1).lower()
    n = int(word) if word.isdigit() else NUMBERS[word]
    return n if 1 <= n <= 10 else None


# A definition question and the term it asks about: "What is a tablet in Bigtable?", "What was
# the Dynabook?", "What does Pat Helland mean by an entity?" (up to DEFINED_WORDS words)
DEFINITION = re.compile(
    r"^(?:so |and |then )?(?:what|who) (?:is|are|was|were) (?:the |an? )?(?P<x>[^?]+?)"
    r"(?:\s+(?:in|according to) (?P<y>[^?]+))?\s*\??$"
    r"|^what does (?P<y2>.+?) mean by (?:the |an? )?(?P<x2>[^?]+?)\s*\??$", re.I)
DEFINED_WORDS = 4
_NOT_A_TERM = re.compile(r"\b(?:of|to|for|and|or|with|from|between|that|which|who)\b", re.I)


def defined_term(question: str) -> str | None:
    """The term a definition question asks about ("tablet", "Dynabook", "entity"), or None."""
    m = DEFINITION.match(question.strip())
    if not m:
        return None
    term = (m.group("x") or m.group("x2")).strip()
    if _NOT_A_TERM.search(term):  # "the ratio of reads to writes": a quantity, not a term
        return None
    return term if 1 <= len(term.split()) <= DEFINED_WORDS else None
