"""Summaries: questions about whole documents (what is it about, summarize, compare, list),
answered with the documents' own sentences, each cited, in document order.

An overview picks the sentences most central to the document (cosine to the mean of its
sentence embeddings, paragraph openings slightly favoured), one per stretch of the document
so the beginning, the middle and the conclusion are all heard, with MMR against repeating
what is already chosen. A comparison retrieves for each side separately and groups the
sentences that mention it; a list gathers the best-scoring sentences of a wider retrieval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from langchain_core.documents import Document

from rag.evidence import Candidate, is_heading
from rag.text import fold, name_groups, sentences, words

LEAD_BONUS = 0.05   # a paragraph's first sentence often states its point
MMR_LAMBDA = 0.7    # weight of centrality against similarity to sentences already chosen
MIN_WORDS = 6       # shorter sentences rarely summarise anything
PER_FILE = 2        # sentences per file in a collection-wide overview
MAX_FILES = 5       # files covered by a collection-wide overview
PER_SIDE = 3        # sentences per side of a comparison
LIST_ITEMS = 5
LIST_RATIO = 0.3    # a list item scores at least this share of the best item


@dataclass
class Sentence:
    """One complete sentence of a document, where it sits, and the chunk that holds it."""

    chunk: Document
    span: tuple[int, int]  # inside chunk.page_content
    lead: bool             # first sentence of a paragraph (or of the document)

    @property
    def text(self) -> str:
        return self.chunk.page_content[self.span[0]:self.span[1]]

    @property
    def key(self) -> tuple[int, int]:
        return (self.chunk.metadata.get("page") or 0, self.chunk.metadata["start"] + self.span[0])


def document_sentences(chunks: list[Document]) -> list[Sentence]:
    """Every complete sentence of one file once, in reading order. Chunks overlap, so a
    sentence cut by a chunk's edge is skipped: its neighbour holds it whole."""
    out: dict[tuple[int, int], Sentence] = {}
    ordered = sorted(chunks, key=lambda d: (d.metadata.get("page") or 0, d.metadata["start"]))
    for chunk in ordered:
        text, base = chunk.page_content, chunk.metadata["start"]
        for s, e in sentences(text):
            cut_before = s == 0 and base > 0 and not _opens_paragraph(text, s)
            cut_after = e == len(text) and not text[e - 1] in ".!?\"”’)"
            if cut_before or cut_after:
                continue
            lead = (s == 0 and base == 0) or _opens_paragraph(text, s)
            sentence = Sentence(chunk, (s, e), lead)
            out.setdefault(sentence.key, sentence)
    return [out[k] for k in sorted(out)]


def _opens_paragraph(text: str, s: int) -> bool:
    return s > 0 and text[:s].rstrip(" \t").endswith("\n")


def eligible(sentence: Sentence) -> bool:
    """Worth putting in a summary: a whole sentence, not a heading, not a fragment."""
    text = sentence.text
    return (len(text.split()) >= MIN_WORDS and text.rstrip("\"”’)").endswith((".", "!", "?"))
            and not is_heading(sentence.chunk.page_content, sentence.span,
                               sentence.chunk.metadata.get("title")))


def summary_length(n_sentences: int) -> int:
    """3 to 7 sentences, growing with the square root of the document's length."""
    return max(3, min(7, round(0.75 * math.sqrt(n_sentences))))


def overview(sents: list[Sentence], vectors: np.ndarray, n: int) -> list[int]:
    """Indices of the n sentences that best represent the document, in document order.

    Args:
        sents: the document's sentences in reading order.
        vectors: their normalised embeddings, one row each.
    """
    ok = [i for i, s in enumerate(sents) if eligible(s)]
    if not ok:
        return []
    centroid = vectors[ok].mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    score = vectors @ centroid + LEAD_BONUS * np.array([s.lead for s in sents])
    n = min(n, len(ok))
    stretch = {i: min(n - 1, k * n // len(ok)) for k, i in enumerate(ok)}
    chosen: list[int] = []
    while len(chosen) < n:
        covered = {stretch[i] for i in chosen}
        free = [i for i in ok if stretch[i] not in covered]
        if not free:
            break
        redundancy = (vectors[free] @ vectors[chosen].T).max(axis=1) if chosen else 0.0
        mmr = MMR_LAMBDA * score[free] - (1 - MMR_LAMBDA) * redundancy
        chosen.append(free[int(np.argmax(mmr))])
    return sorted(chosen)


def mentions(subject: str, text: str) -> bool:
    """Whether text names the subject (any word of a name counts: "Ma" for "Ma Xingrui")."""
    groups = name_groups(f"About {subject}") or [tuple(words(subject))]
    present = set(words(text))
    return any(any(w in present for w in group) for group in groups)


def side(subject: str, ranked: list[Candidate], passages: list[Document], taken: set,
         others: list[str]) -> list[Candidate]:
    """The best sentences about one side of a comparison: they (or the sentence before
    them) name the subject and not only the other side."""
    out = []
    for cand in ranked:
        text = passages[cand.passage].page_content
        before = text[max(0, cand.span[0] - 300):cand.span[0]]
        named = mentions(subject, cand.text) or (
            mentions(subject, before) and not any(mentions(o, cand.text) for o in others))
        key = (passages[cand.passage].metadata["source"],
               passages[cand.passage].metadata["start"] + cand.span[0])
        if named and key not in taken and not any(
                mentions(o, cand.text) and not mentions(subject, cand.text) for o in others):
            out.append(cand)
            taken.add(key)
        if len(out) == PER_SIDE:
            break
    return sorted(out, key=lambda c: (c.passage, c.span[0]))


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
