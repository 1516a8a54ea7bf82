"""Evidence: score the retrieved passages' sentences against a question, and decide whether
the passages answer it at all (abstention)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from rag.text import fold, months, names, numbers, sentences, terms

# What kind of answer a question asks for, from its wording.
_TYPES = [
    ("number", re.compile(r"\b(how (many|much|long|old|big|large|tall|far|heavy|high|wide|deep|often)|what (percentage|proportion|"
                          r"share|number|amount)|(population|gdp|revenue|budget|headcount|"
                          r"salary|income|cost|price|size|turnover|workforce)\b)")),
    ("date", re.compile(r"\b(when|what (year|date|month|day)|which (year|month))\b")),
    ("person", re.compile(r"\b(who|whom|whose|which (person|official|leader|minister|mayor|"
                          r"president|members?|scientists?|politicians?))\b")),
    ("place", re.compile(r"\b(where|which (province|city|country|region|provinces|cities|"
                         r"countries|regions))\b")),
]
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
MIN_COVERAGE = 0.5   # share of the question's content words the best window must hold
MIN_DENSE = 0.2      # cosine similarity below which a sentence is off-topic


@dataclass
class Candidate:
    """One sentence of one retrieved passage, scored against the question."""

    passage: int           # index into the passages list
    span: tuple[int, int]  # sentence offsets inside the passage
    text: str
    dense: float           # cosine similarity question <-> sentence
    coverage: float        # share of question terms present in the sentence's window
    typed: bool            # holds the kind of answer the question asks for
    grounded: bool         # every name the question mentions is in the sentence's window
    score: float


def question_type(question: str) -> str | None:
    q = fold(question)
    for name, pattern in _TYPES:
        if pattern.search(q):
            return name
    return None


def has_type(text: str, kind: str | None, question: str) -> bool:
    """Whether text holds an answer of the kind asked (beyond what the question says)."""
    if kind is None:
        return True
    if kind == "number":
        return bool(numbers(text) - numbers(question))
    if kind == "date":
        return bool(_YEAR.search(text) or months(text))
    return bool(names(text) - names(question))


def rank_sentences(question: str, passages: list[Document], embeddings: Embeddings
                   ) -> list[Candidate]:
    """Every sentence of the passages, best answer first."""
    q_terms = set(terms(question))
    q_names = names(question) | {w.lower() for w in re.findall(r"\b[a-z]+[A-Z]\w*", question)}
    kind = question_type(question)
    items = []
    for i, doc in enumerate(passages):
        text = doc.page_content
        spans = sentences(text)
        for j, (s, e) in enumerate(spans):
            lo, hi = spans[max(0, j - 1)][0], spans[min(len(spans) - 1, j + 1)][1]
            window = text[lo:hi]
            grounded = all(n in fold(window) for n in q_names)
            items.append((i, (s, e), text[s:e], set(terms(window)), set(terms(text[s:e])),
                          grounded))
    if not items:
        return []
    vectors = np.array(embeddings.embed_documents([it[2] for it in items]))
    qv = np.array(embeddings.embed_query(question))
    dense = vectors @ qv
    out = []
    for (i, span, text, window_terms, own_terms, grounded), d in zip(items, dense):
        cover = len(q_terms & window_terms) / len(q_terms) if q_terms else 0.0
        own = len(q_terms & own_terms) / len(q_terms) if q_terms else 0.0
        typed = has_type(text, kind, question)
        score = (0.55 * float(d) + 0.25 * own + 0.2 * cover + (0.1 if typed else -0.2)
                 + (0.0 if grounded else -0.3))
        out.append(Candidate(i, span, text, float(d), cover, typed, grounded, score))
    return sorted(out, key=lambda c: c.score, reverse=True)


# Everyday verbs a question may use where the text has a synonym ("set up" / "established"):
# their absence from the index says nothing about whether the answer is there.
_GENERIC = frozenset(terms("set make made get take start begin do go come give put become "
                          "use work call happen play move run keep hold show bring want need"))


def unknown_terms(question: str, known) -> list[str]:
    """Question words the whole index never uses (`known(term)` says if it does)."""
    return [t for t in dict.fromkeys(terms(question)) if not known(t) and t not in _GENERIC]


def answerable(question: str, ranked: list[Candidate], known) -> tuple[bool, str]:
    """Whether the best sentences answer the question; if not, why (for the user)."""
    if not ranked:
        return False, "no passage was retrieved"
    best = ranked[0]
    missing = unknown_terms(question, known)
    if missing and question_type(question) is not None:
        return False, f"the sources never mention {', '.join(repr(m) for m in missing)}"
    if not best.grounded:
        named = ", ".join(sorted(names(question))) or "what the question names"
        return False, f"no passage connects {named} with what is asked"
    if best.coverage < MIN_COVERAGE:
        return False, "no passage covers what the question asks"
    if best.dense < MIN_DENSE:
        return False, "the closest passages are about something else"
    if not any(c.typed for c in ranked[:3]):
        return False, f"no passage gives the {question_type(question)} asked for"
    return True, ""
