"""Summaries: questions about whole documents (what is it about, summarize, compare, list),
the choice of the documents' own sentences that answer them (rag.compose.drafts composes and cites
them).

An overview picks the sentences most central to the document (cosine to the mean of its
sentence embeddings, paragraph openings, the first sentence and sentences that introduce
an abbreviated term favoured, sentences that lean on or point back at what came before
disfavoured), one per stretch of the document so the beginning, the middle and the
conclusion are all heard, then one more from anywhere, with MMR against repeating what is
already chosen. A comparison retrieves for each side separately and groups the
sentences that mention it; a list gathers the best-scoring sentences of a wider retrieval.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable

import numpy as np
from langchain_core.documents import Document

from rag.compose.evidence import Candidate, is_heading
from rag.ingest.layout import (AFTER_REFERENCES, HEADING, NOT_TEXT, REFERENCE,
                              REFERENCE_TITLES, heading_title)
from rag.ingest.sentences import Sentence
from rag.text import (dangles, fold, name_groups, refers_back, sentences, spelling, terms,
                      words, written_as_name)

# Chosen on the even-numbered half of the SQuAD 1.1 dev articles, reported on the other half
# (eval/bench_summary.py; README "Whole-document questions").
LEAD_BONUS = 0.05   # a paragraph's first sentence often states its point
SALIENCE = 0.2      # weight of the sentence's share of the document's own key terms
MMR_LAMBDA = 0.9    # weight of centrality against similarity to sentences already chosen
MIN_WORDS = 6       # shorter sentences rarely summarise anything
DANGLING = 0.1      # penalty for leaning on what came before ("However", "this trend")
ABBREVIATES = 0.1   # bonus for a sentence that spells out a term the document then abbreviates
FIRST = 0.15        # bonus for the document's first sentence, which often says what it is about
FREE = 1            # sentences an overview adds, from anywhere, after one per stretch
MAX_LENGTH = 7      # the longest overview a free sentence makes
MAX_STRETCHES = 9   # stretches of a long document (a paper: 9, one sentence from each)
PER_SIDE = 3        # sentences per side of a comparison
END_SHARE = 0.8     # a conclusion starts with the first paragraph in the last fifth
START_SHARE = 0.2   # an opening ends where the first paragraph after the first fifth starts
LIST_ITEMS = 5
LIST_RATIO = 0.3    # a list item scores at least this share of the best item
PART_MOST = 6       # sentences of an explanation at most
PART_LEAST = 3      # and at least, when the document has them


# A sentence about the paper's own layout ("Section 7 provides measurements of Bigtable's
# performance.", "Concluding remarks appear in §7", "The rest of this paper is organized as
# follows"): it says where things are, not what they are.
_SECTION = r"(?:sections?|§|chapters?)\s*\d"
_ROADMAP = re.compile(rf"^\W*(?:(?:finally|then|next|first|in addition|lastly),?\s+)?{_SECTION}"
                      r"[\d.]*\s+(?:\w+\s+){0,2}?(?:describes?|presents?|discusses?|provides?|"
                      r"gives?|shows?|covers?|concludes?|introduces?|reviews?|explains?|sketches|"
                      r"outlines?|evaluates?|summari[sz]es?|contains?|compares?|surveys?)\b"
                      rf"|{_SECTION}[^.]*\b{_SECTION}"
                      r"|\b(?:rest|remainder) of (?:this|the) (?:paper|article|report|document)"
                      r"|\b(?:this|the) (?:paper|article|report) is (?:organi[sz]ed|structured)"
                      rf"|\b(?:appears?|are given|is given|follows?) in {_SECTION}", re.I)


def roadmap(text: str) -> bool:
    """Whether a sentence only says where in the paper something is (_ROADMAP)."""
    return bool(_ROADMAP.search(text))


def eligible(sentence: Sentence) -> bool:
    """Worth putting in a summary: a whole sentence, not a heading, not a fragment, not the
    paper's layout."""
    text = sentence.text
    return (len(text.split()) >= MIN_WORDS and text.rstrip("\"”’)").endswith((".", "!", "?"))
            and sentence.kind not in NOT_TEXT and sentence.kind != REFERENCE
            and not roadmap(text)
            and not is_heading(sentence.chunk.page_content, sentence.span,
                               sentence.chunk.metadata.get("title")))


def references(sents: list[Sentence]) -> list[bool]:
    """Per sentence, whether it stands under a "References" (or "Bibliography", ...)
    heading, until an appendix: an entry of a reference list ("In Proceedings of ...,
    2001.") is no sentence of the document's own. (PDFs mark them in their layout already.)"""
    out, inside = [], False
    for s in sents:
        if s.kind == HEADING:
            title = heading_title(s.text)
            inside = title in REFERENCE_TITLES or (inside and not AFTER_REFERENCES.match(title))
        out.append(inside)
    return out


def summary_length(n_sentences: int) -> int:
    """3 to MAX_STRETCHES stretches of a document to take a sentence from, growing with the
    square root of its length (an overview adds FREE sentences to them, up to MAX_LENGTH)."""
    return max(3, min(MAX_STRETCHES, round(math.sqrt(n_sentences))))


def salience(sents: list[Sentence], idf: Callable[[str], float]) -> np.ndarray:
    """How much each sentence is made of the document's key terms: terms that recur in the
    document (log of the other sentences using them) but are rare in the collection (idf),
    averaged over the sentence's terms and scaled to 0..1 within the document."""
    per = [terms(s.text) for s in sents]
    spread = Counter(t for ts in per for t in set(ts))
    raw = np.array([np.mean([math.log(spread[t]) * idf(t) for t in ts]) if ts else 0.0
                    for ts in per])
    return (raw - raw.min()) / (np.ptp(raw) or 1.0) if len(raw) else raw


_ABBREVIATION = re.compile(r"\(([A-Z][A-Za-z]*[A-Z])\)")


def abbreviates(sents: list[Sentence]) -> np.ndarray:
    """1 for a sentence that spells a term out and gives its abbreviation, which the
    document then uses again ("the Cyberspace Administration of China (CAC) was ..." and
    later "The CAC's function ..."): the writer judged the term worth a short name. 0 else."""
    out = np.zeros(len(sents))
    for i, sent in enumerate(sents):
        for m in _ABBREVIATION.finditer(sent.text):
            short = m.group(1)
            rest = " ".join([sent.text[m.end():], *(s.text for s in sents[i + 1:])])
            if spelling(short, sent.text[:m.start()]) and re.search(rf"\b{short}\b", rest):
                out[i] = 1.0
                break
    return out


def choosable(sents: list[Sentence]) -> list[bool]:
    """Which sentences an overview may choose (eligible, outside the references): the only
    ones whose vectors it reads, so the only ones to embed (about half of a paper's)."""
    cited = references(sents)
    return [eligible(s) and not cited[i] for i, s in enumerate(sents)]


def overview(sents: list[Sentence], vectors: np.ndarray, n: int,
             idf: Callable[[str], float] | None = None, start: int = 0,
             stop: int | None = None, free: int = 0,
             can: list[bool] | None = None) -> list[int]:
    """Indices of the sentences that best represent the document, in document order:
    centrality (cosine to the mean sentence), key-term salience, a paragraph-opening bonus,
    a bonus for spelling out a term the document abbreviates (`abbreviates`), a bonus for
    the document's first sentence, a penalty for a sentence that does not read alone
    (`dangles`, `refers_back`). One per stretch of the document (n stretches), then `free`
    more from anywhere (up to MAX_LENGTH), so a dense stretch may give two; MMR against
    repeating a chosen sentence.

    Args:
        sents: the document's sentences in reading order.
        vectors: their normalised embeddings, one row each (only the rows of `choosable`
            sentences are read).
        n: stretches of the document, one sentence each.
        idf: a term's inverse document frequency in the index (salience needs it).
        start, stop: choose only from sents[start:stop] (a conclusion, an opening), still
            scored against the whole.
        free: sentences to add after the stretches, wherever they are.
        can: choosable(sents), when the caller has it already.
    """
    ok = [i for i, c in enumerate(choosable(sents) if can is None else can) if c]
    if not ok:
        return []
    first = ok[0]
    centroid = vectors[ok].mean(axis=0)
    ok = [i for i in ok if start <= i < (len(sents) if stop is None else stop)]
    centroid /= np.linalg.norm(centroid) or 1.0
    score = vectors @ centroid + LEAD_BONUS * np.array([s.lead for s in sents])
    if idf is not None:
        score = score + SALIENCE * salience(sents, idf)
    score = score - DANGLING * np.array([dangles(s.text) or refers_back(s.text) for s in sents])
    score = score + ABBREVIATES * abbreviates(sents)
    score[first] += FIRST
    n = min(n, len(ok))
    total = min(len(ok), max(n, min(MAX_LENGTH, n + free)))
    stretch = {i: min(n - 1, k * n // len(ok)) for k, i in enumerate(ok)}
    chosen: list[int] = []
    while len(chosen) < total:
        covered = {stretch[i] for i in chosen}
        left = [i for i in ok if i not in chosen]
        candidates = [i for i in left if stretch[i] not in covered] or left
        redundancy = (vectors[candidates] @ vectors[chosen].T).max(axis=1) if chosen else 0.0
        mmr = MMR_LAMBDA * score[candidates] - (1 - MMR_LAMBDA) * redundancy
        chosen.append(candidates[int(np.argmax(mmr))])
    return sorted(chosen)


def mentions(subject: str, text: str) -> bool:
    """Whether text names the subject: any word of a name counts ("Ma" for "Ma Xingrui"), as
    a capitalised word ("data" in "data governance" is not the "Data" of "National Data
    Bureau"); a subject written in lower case, as any word."""
    return first_mention(subject, text) is not None


def first_mention(subject: str, text: str) -> int | None:
    """Where text first names the subject (as `mentions` counts it), or None."""
    groups = name_groups(f"About {subject}")
    if len(groups) > 1 and written_as_name(subject):
        # "Cyberspace Administration of China": its head or its acronym ("CAC"), not "China"
        initials = "".join(w[0] for w in re.findall(r"[A-Z][\w'’-]*", subject)).lower()
        groups = [groups[0], (initials,)]
    wanted = {w for group in groups or [tuple(words(subject))] for w in group}
    for m in re.finditer(r"(?<![\w'’-])[A-Z][\w'’-]*" if groups else r"[\w'’-]+", text):
        if set(words(m.group())) & wanted:
            return m.start()
    return None


def about(topic: str, sents: list[Sentence]) -> list[int]:
    """Indices of a document's sentences that name the topic, or open by leaning on one
    that does ("He became ..." after "Ma, like Yuan, ...")."""
    names = {w for group in name_groups(" ".join(s.text for s in sents)) for w in group}
    return [i for i, s in enumerate(sents) if mentions(topic, s.text) or (
        dangles(s.text) and _antecedent(" ".join(x.text for x in sents[max(0, i - 3):i]),
                                        [topic], names) == topic)]


def _antecedent(before: str, sides: list[str], names: set[str]) -> str | None:
    """The side a sentence opening with "He ..." leans on: of the sides the nearest sentence
    before it names, the one named first ("Ma, like Yuan, is ... He became ...": Ma); none
    when a nearer sentence, or that one, opens with another name ("Ma, in Shenzhen, ..."
    in a list about Yuan).

    Args:
        names: the folded words the text capitalises inside a sentence (so "Ma" opening a
            sentence is a name, "Since" is not).
    """
    for s, e in reversed(sentences(before)):
        found = [(at, side) for side in sides
                 if (at := first_mention(side, before[s:e])) is not None]
        opener = re.match(r"[A-Z][\w'’-]*", before[s:e])
        if opener and set(words(opener.group())) & names and (not found or min(found)[0] > 0):
            return None
        if found:
            return min(found)[1]
    return None


def side(subject: str, ranked: list[Candidate], passages: list[Document], taken: set,
         others: list[str], limit: int = PER_SIDE) -> list[Candidate]:
    """The best sentences about one side of a comparison: they name the subject (or lean on
    a sentence before them that does: "He became ...") and not only the other side. Words
    every side shares ("areas" of "urban areas" and "rural areas") tell no side apart."""
    shared = set.intersection(*(set(words(x)) for x in [subject, *others]))
    whole = fold(subject)
    subject, others = _distinct(subject, shared), [_distinct(o, shared) for o in others]
    out = []
    found = naming(subject, ranked, passages, others)
    # those naming it in full first: "Temür Khan" before "Tugh Temür" (Khan is shared)
    for cand in sorted(found, key=lambda c: whole not in fold(c.text)) if whole != fold(
            subject) else found:
        key = (passages[cand.passage].metadata["source"],
               passages[cand.passage].metadata["start"] + cand.span[0])
        if key not in taken:
            out.append(cand)
            taken.add(key)
        if len(out) == limit:
            break
    return sorted(out, key=lambda c: (c.passage, c.span[0]))


def naming(subject: str, ranked: list[Candidate], passages: list[Document],
           others: list[str] = ()) -> list[Candidate]:
    """The candidates (in their order) that name the subject, or open by leaning on a
    sentence that does ("He became ..."), and do not name only one of the others."""
    out = []
    names = {i: {w for group in name_groups(p.page_content) for w in group}
             for i, p in enumerate(passages)}
    for cand in ranked:
        text = passages[cand.passage].page_content
        before = text[max(0, cand.span[0] - 300):cand.span[0]]
        named = mentions(subject, cand.text) or (  # "He became ..." after a sentence naming him
            dangles(cand.text)
            and _antecedent(before, [subject, *others], names[cand.passage]) == subject
            and not any(mentions(o, cand.text) for o in others))
        if named and not any(mentions(o, cand.text) and not mentions(subject, cand.text)
                             for o in others):
            out.append(cand)
    return out


def _distinct(subject: str, shared: set[str]) -> str:
    """The subject without the words all sides share (unless nothing would be left)."""
    kept = [w for w in subject.split() if not words(w) or not set(words(w)) <= shared]
    # a word of no content ("of") stays: "Cyberspace Administration of China" is one name
    return " ".join(kept) if words(" ".join(kept)) and len(kept) < len(subject.split()) \
        else subject


def list_items(ranked: list[Candidate]) -> list[Candidate]:
    """The best sentences of a wide retrieval, as list items, without near-duplicates."""
    if not ranked:
        return []
    out: list[Candidate] = []
    for cand in ranked:
        if cand.score < LIST_RATIO * ranked[0].score or len(out) == LIST_ITEMS:
            break
        if all(fold(cand.text) != fold(c.text) and not (
                c.vector.size and cand.vector.size and float(c.vector @ cand.vector) > 0.9)
               for c in out):
            out.append(cand)
    return sorted(out, key=lambda c: (c.passage, c.span[0]))


_LEADS_IN = re.compile(r"(?::|\b(?:as follows|the following))\W*$", re.I)


def leads_in(text: str) -> bool:
    """Whether a sentence introduces what follows it: "The main components are as follows:"."""
    return bool(_LEADS_IN.search(text.rstrip()))


def part_about(ranked: list[Candidate]) -> list[Candidate]:
    """The part of a passage an explanation quotes ("How does hinted handoff work?"): the
    best sentence (after the one before it when it leans on that one: "This is done by
    ..."), then the sentences that follow it in its passage, PART_MOST at most; at least
    PART_LEAST, taking earlier ones when the passage ends first. In reading order."""
    if not ranked:
        return []
    best = ranked[0]
    here = sorted((c for c in ranked if c.passage == best.passage), key=lambda c: c.span[0])
    at = next(i for i, c in enumerate(here) if c is best)
    start = at - 1 if at and dangles(best.text) else at
    window = here[start:start + PART_MOST]
    if len(window) < PART_LEAST:
        start = max(0, start - (PART_LEAST - len(window)))
        window = here[start:start + PART_MOST]
    return window


ABSTRACT_WORDS = 350  # an abstract is at most this long
ABSTRACT_TAKES = 3    # an overview takes up to this many sentences of an abstract
_ABSTRACT = re.compile(r"(?:^|\n)[\s#*_]*(?:abstract|a b s t r a c t|summary)\b[\s.:—–*_-]*$",
                       re.I)
_ABSTRACT_OPENS = re.compile(r"^\W*(?:abstract|a b s t r a c t)\b[\s.:—–-]*", re.I)
_AFTER_ABSTRACT = re.compile(r"^\W*(?:key ?words|index terms|categories and subject|general "
                             r"terms|(?:1|i)\.?\s+introduction|introduction)\b", re.I)


def abstract(sents: list[Sentence]) -> tuple[int, int] | None:
    """Where a paper's abstract is: (its first sentence, the one after its last), or None.
    It follows the word "Abstract" (a heading of its own, or the sentence's first word) on
    the first two pages, and ends at the next heading, at "Keywords" or "Introduction", or
    after ABSTRACT_WORDS words."""
    for i, s in enumerate(sents[:80]):
        if (s.chunk.metadata.get("page") or 1) > 2:
            return None
        gap = s.chunk.page_content[max(0, s.span[0] - 40):s.span[0]]
        if _ABSTRACT_OPENS.match(s.text) or _ABSTRACT.search(gap):
            if s.kind == HEADING or not _ABSTRACT_OPENS.sub("", s.text).strip():
                i += 1  # the heading "Abstract" itself
            stop, words = i, 0
            while stop < len(sents) and words < ABSTRACT_WORDS and (
                    stop == i or sents[stop].kind != HEADING and not _AFTER_ABSTRACT.match(
                        sents[stop].text)):
                words += len(sents[stop].text.split())
                stop += 1
            return (i, stop) if stop > i else None
    return None


def opening(sents: list[Sentence]) -> int:
    """Where the document's opening ends: at the first paragraph that opens after its first
    fifth (or at its end), moved on until 3 complete sentences come before."""
    opens = [i for i, s in enumerate(sents) if s.lead and i >= max(1, START_SHARE * len(sents))]
    stop = opens[0] if opens else len(sents)
    while stop < len(sents) and sum(eligible(s) for s in sents[:stop]) < 3:
        stop += 1
    return stop


def ending(sents: list[Sentence]) -> int:
    """Where the document's conclusion starts: the first paragraph that opens in its last
    fifth (or its last paragraph), moved back until 3 complete sentences follow."""
    opens = [i for i, s in enumerate(sents) if s.lead]
    start = next((i for i in opens if i >= END_SHARE * len(sents)), opens[-1] if opens else 0)
    while start > 0 and sum(eligible(s) for s in sents[start:]) < 3:
        start -= 1
    return start
