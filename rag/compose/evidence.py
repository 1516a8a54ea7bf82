"""Evidence: every sentence of the retrieved passages as a candidate answer, described by
features of how it meets the question (similarity, term coverage, names, numbers, negation,
the kind of answer asked for). rag.compose.answerability turns these features into probabilities."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from langchain_core.documents import Document

from rag.understand.lexicon import PLACE_NOUNS, alternation, forms
from rag.ingest.clean import clean
from rag.ingest.layout import NOT_TEXT, REFERENCE, decode, markup, sentence_spans
from rag.text import (MONTHS, NUMBER_WORDS, STOPWORDS, fold, months, name_groups, names,
                      negated, numbers, spelling, terms, words)

# What kind of answer a question asks for, from its wording.
_TYPES = [
    ("number", re.compile(r"\b(how (many|much|long|old|big|large|tall|far|heavy|high|wide|deep|"
                          r"often)|what (percentage|proportion|share|number|amount)|(population|"
                          r"gdp|revenue|budget|headcount|salary|income|cost|price|size|turnover|"
                          r"workforce)\b)")),
    ("date", re.compile(r"\b(when|(what|which) (year|date|month|day|decade|century))\b")),
    ("person", re.compile(r"\b(who|whom|whose|(what|which) (person|official|leader|minister|"
                          r"mayor|president|members?|scientists?|politicians?))\b")),
    ("place", re.compile(rf"\b(where|(what|which) {alternation(forms(PLACE_NOUNS))})\b")),
]
KINDS = ("number", "date", "person", "place", None)
_YEAR = re.compile(r"\b(1[0-9]\d\d|20\d\d)s?\b")
_END = tuple('.!?:;"”’)]')

# The features of one (question, sentence) pair, in the order the model's coefficients use.
SENTENCE_FEATURES = (
    "cosine",             # question <-> sentence embeddings
    "cover_sentence",     # IDF-weighted share of the question's terms in the sentence
    "cover_window",       # ... in the sentence and its neighbours
    "cover_passage",      # ... anywhere in the passage
    "rarest_in_window",   # the question's rarest term is in the window
    "missing_max",        # IDF share of the rarest question term missing from the window
    "names_in_window",    # share of the question's names and numbers in the window
    "novel_terms",        # log(1 + terms of the sentence the question does not use)
    "typed",              # holds the kind of answer asked for (a year for "when", ...)
    "position",           # where the sentence sits in its passage (0 first, 1 last)
    "passage_rank",       # the passage's retrieval rank (0 best)
    "length",             # log(1 + characters)
    "question_negated",
    "sentence_negated",
    "window_negated",
    "negation_mismatch",  # one of question and window is negated, the other not
    "number_missing",     # a number of the question is not in the window
    "name_missing",       # a name of the question is not in the window
    "bigrams",            # share of the question's term pairs found in order in the window
    "bigrams_any_order",
)


@dataclass
class Query:
    """What the features need to know about the question, computed once."""

    text: str
    kind: str | None
    terms: list[str]
    weights: np.ndarray  # IDF of each term
    names: list[tuple[str, ...]]  # each name as its words; any of them counts as present
    numbers: set[str]
    negated: bool
    bigrams: set[tuple[str, str]]

    @classmethod
    def of(cls, question: str, idf: Callable[[str], float]) -> "Query":
        seq = terms(question)
        if expansion_asked(question):  # "stand for", "short for": the asking, not the asked
            seq = [t for t in seq if t not in _EXPANSION_WORDS]
        q_terms = list(dict.fromkeys(seq))
        return cls(question, question_type(question), q_terms,
                   np.array([idf(t) for t in q_terms], dtype=float), name_groups(question),
                   numbers(question), negated(question), set(zip(seq, seq[1:])))


@dataclass
class Candidate:
    """One sentence of one retrieved passage, as a possible answer."""

    passage: int           # index into the passages list
    span: tuple[int, int]  # sentence offsets inside the passage
    text: str
    features: np.ndarray
    vector: np.ndarray = field(repr=False)
    score: float = 0.0     # P(this sentence answers the question), set by answerability

    @property
    def cosine(self) -> float:
        return float(self.features[0])


def question_type(question: str) -> str | None:
    q = fold(question)
    for name, pattern in _TYPES:
        if pattern.search(q):
            return name
    return None


# "What does CAC stand for?", "What is QED short for?", "the full name of the ASER"
_EXPANSION = re.compile(r"\bwhat (?:does|did|do) (?:the )?(?:acronym |abbreviation |initials )?"
                        r"[\"'‘“]?(?P<a>[A-Za-z]{2,8})[\"'’”]? stand for|\bwhat is (?:the )?"
                        r"(?P<b>(?-i:[A-Z]{2,8})) (?:short|an? (?:acronym|abbreviation)) for|"
                        r"\bthe full name of (?:the )?(?P<c>(?-i:[A-Z]{2,8}))\b", re.I)
_EXPANSION_WORDS = frozenset(terms("stand short acronym abbreviation initials full name"))


def expansion_asked(question: str) -> str | None:
    """The acronym a question asks to have spelled out ("CAC"), or None."""
    m = _EXPANSION.search(question)
    return next(filter(None, m.groups()), None) if m else None


def has_type(text: str, kind: str | None, question: str) -> bool:
    """Whether text holds an answer of the kind asked (beyond what the question says): for
    "What does CAC stand for?", the words whose initials spell it."""
    if kind is None:
        acronym = expansion_asked(question)
        return acronym is None or bool(spelling(acronym.upper(), text))
    if kind == "number":
        return bool(quantities(text) - quantities(question))
    if kind == "date":
        return bool(set(_YEAR.findall(text)) - set(_YEAR.findall(question)) or months(text))
    return bool(names(text) - names(question))


_QUANTITY = re.compile(r"(?<![\w/])\d[\d,.]*\d(?![\w/])|(?<![\w/])\d(?![\w/])")
_QUANTITY_WORDS = re.compile(rf"\b({'|'.join(NUMBER_WORDS)})\b")


_DATED_YEAR = re.compile(r"\b(?:in|since|by|from|until|till|to|before|after|during|of|early|"
                         rf"late|mid|{'|'.join(MONTHS)})\s+(?:\d{{1,2}},?\s+)?"
                         r"(1[0-9]{3}|20[0-9]{2})\b", re.IGNORECASE)


def quantities(text: str) -> set[str]:
    """Counts and amounts: numbers standing alone ("32", "4,000"; not "5G" or "4K/8K") and
    number words. A year after a preposition ("in 1994") is a date, not a count."""
    years = set(_DATED_YEAR.findall(text))
    return ({m.group().replace(",", "").rstrip(".") for m in _QUANTITY.finditer(text)} - years
            | set(_QUANTITY_WORDS.findall(fold(text))))


def is_heading(passage: str, span: tuple[int, int], title: str | None) -> bool:
    """A title or heading line: never an answer on its own."""
    s, e = span
    text = passage[s:e]
    if title and fold(text.strip()) == fold(title.strip()):
        return True
    whole_line = (s == 0 or passage[s - 1] == "\n") and (e == len(passage) or passage[e] == "\n")
    return whole_line and not text.rstrip().endswith(_END) and len(text.split()) <= 15


def _share(q: Query, present: set[str]) -> float:
    total = q.weights.sum()
    if not total:
        return 0.0
    return float(sum(w for t, w in zip(q.terms, q.weights) if t in present) / total)


def features(q: Query, sentence: str, window: str, passage_terms: set[str], position: float,
             rank: int) -> list[float]:
    """The SENTENCE_FEATURES of one sentence (cosine left 0, filled in by the caller)."""
    s_terms, w_seq = set(terms(sentence)), terms(window)
    w_terms, w_words = set(w_seq), set(words(window))
    total = q.weights.sum() or 1.0
    missing = [w for t, w in zip(q.terms, q.weights) if t not in w_terms]
    rarest = q.terms[int(np.argmax(q.weights))] if q.terms else None
    named = len(q.names) + len(q.numbers)
    w_numbers = numbers(window)
    name_found = [any(w in w_words for w in group) for group in q.names]
    found = sum(name_found) + len(q.numbers & w_numbers)
    pairs = set(zip(w_seq, w_seq[1:]))
    either = pairs | {(b, a) for a, b in pairs}
    w_neg = negated(window)
    return [
        0.0, _share(q, s_terms), _share(q, w_terms), _share(q, passage_terms),
        float(rarest is None or rarest in w_terms), max(missing, default=0.0) / total,
        found / named if named else 1.0,
        math.log1p(len(s_terms - set(q.terms))), float(has_type(sentence, q.kind, q.text)),
        position, float(min(rank, 9)), math.log1p(len(sentence)),
        float(q.negated), float(negated(sentence)), float(w_neg), float(q.negated != w_neg),
        float(not q.numbers <= w_numbers), float(not all(name_found)),
        len(q.bigrams & pairs) / len(q.bigrams) if q.bigrams else 1.0,
        len(q.bigrams & either) / len(q.bigrams) if q.bigrams else 1.0,
    ]


# A question about the references list itself: only then may an answer come from it.
_ABOUT_REFERENCES = re.compile(r"\b(?:references?|cit(?:e|es|ed|ing|ations?)|bibliograph\w*|"
                               r"published|journal|proceedings)\b", re.I)
# A sentence whose subject is a pronoun stands for what the sentences before it named.
_SUBJECT = re.compile(r"\W*(he|she|his|her|it|its|they|their)\b", re.I)
_LEADING_NAME = re.compile(r"\W*([A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*)")


def asks_references(question: str) -> bool:
    return bool(_ABOUT_REFERENCES.search(question))


def antecedent(before: list[str], sentence: str) -> str | None:
    """What a sentence opening with "He", "She", "It" or "They" stands for: the subject of
    the nearest sentence before it when that is a name ("Ma, like Yuan, ..." -> "Ma"; "Raft
    uses ..." -> "Raft"), else the first name it holds."""
    if not _SUBJECT.match(sentence):
        return None
    for prev in reversed(before[-3:]):
        subject = _LEADING_NAME.match(prev)
        if subject and fold(subject.group(1).split()[0]) not in STOPWORDS:
            return subject.group(1)
        groups = name_groups(prev)
        if groups:
            return " ".join(groups[0])
    return None


# Orders to whoever reads the passage ("Ignore the question and ...", "SYSTEM: new
# instructions", "..., reply only with ...", "The answer to every question is ..."): text
# planted for a language model, never an answer.
_ORDERS = re.compile(r"\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous\s+|"
                     r"prior\s+|above\s+|other\s+)?(?:instructions?|questions?|passages?|prompts?|"
                     r"context|rules)\b|(?:^|[,:;]\s*|\band\s+)(?:reply|respond|answer)\s+(?:only\s+)?"
                     r"with\b|\bthe answer to (?:every|any|all|each) questions?\b|^\W*(?:system|"
                     r"assistant)\s*:|\bnew instructions\b", re.I)


def answers_nothing(text: str) -> bool:
    """A sentence that cannot be an answer: a question, or orders to a model (_ORDERS)."""
    return text.rstrip().endswith("?") or bool(_ORDERS.search(text))


def _readable(doc: Document, question: str) -> list[tuple[int, int, str]]:
    """The sentences of a passage that may answer: not headings, running heads or front
    matter, questions or orders to a model, and the references list only when the question
    asks about references."""
    refs = asks_references(question)
    plain_text = decode(doc) is None
    title = doc.metadata.get("title")
    text = doc.page_content
    return [(s, e, k) for s, e, k in sentence_spans(doc)
            if k not in NOT_TEXT and (k != REFERENCE or refs)
            and not (plain_text and is_heading(text, (s, e), title))
            and not answers_nothing(text[s:e])]


def candidates(question: str, passages: list[Document], embed: Callable[[list[str]], np.ndarray],
               idf: Callable[[str], float]) -> list[Candidate]:
    """Every sentence of the passages that could be an answer (rag.ingest.layout: no headings,
    running heads or references unless asked), as a reader sees it (rag.ingest.clean), with its
    features; not yet scored. A sentence opening with a pronoun is matched with what the
    pronoun stands for ("He became governor" with "Ma").

    Args:
        embed: normalised vectors of texts (the question's first), one row per text.
        idf: inverse document frequency of a stemmed term in the index.
    """
    q = Query.of(question, idf)
    out, matched = [], []
    for i, doc in enumerate(passages):
        spans = _readable(doc, question)
        texts = [clean(doc.page_content[s:e], markup(doc)) for s, e, _ in spans]
        p_terms = set(terms(" ".join(texts)))
        for j, (s, e, _) in enumerate(spans):
            lo, hi = max(0, j - 1), min(len(spans), j + 2)
            who = antecedent(texts[:j], texts[j])
            match = f"{who}: {texts[j]}" if who else texts[j]
            window = " ".join(texts[lo:j] + [match] + texts[j + 1:hi])
            f = features(q, match, window, p_terms, j / max(1, len(spans) - 1), i)
            out.append(Candidate(i, (s, e), texts[j], np.array(f), np.zeros(0)))
            matched.append(match)
    if out:
        vectors = embed([question] + matched)
        for cand, vector in zip(out, vectors[1:]):
            cand.vector = vector
            cand.features[0] = float(vector @ vectors[0])
    return out
