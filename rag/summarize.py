"""Summaries: questions about whole documents (what is it about, summarize, compare, list),
the choice of the documents' own sentences that answer them (rag.drafts composes and cites
them).

An overview picks the sentences most central to the document (cosine to the mean of its
sentence embeddings, paragraph openings slightly favoured, sentences that open by leaning
on the one before disfavoured), one per stretch of the document
so the beginning, the middle and the conclusion are all heard, with MMR against repeating
what is already chosen. A comparison retrieves for each side separately and groups the
sentences that mention it; a list gathers the best-scoring sentences of a wider retrieval;
a roll call finds the people a document names (`people`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from langchain_core.documents import Document

from rag.evidence import Candidate, is_heading
from rag.text import STOPWORDS, fold, name_groups, sentences, terms, words

# Chosen on the even-numbered half of the SQuAD 1.1 dev articles, reported on the other half
# (benchmarks/bench_summary.py; README "Whole-document questions").
LEAD_BONUS = 0.05   # a paragraph's first sentence often states its point
SALIENCE = 0.2      # weight of the sentence's share of the document's own key terms
MMR_LAMBDA = 0.9    # weight of centrality against similarity to sentences already chosen
MIN_WORDS = 6       # shorter sentences rarely summarise anything
DANGLING = 0.1      # penalty for a sentence that opens by leaning on the one before
PER_SIDE = 3        # sentences per side of a comparison
END_SHARE = 0.8     # a conclusion starts with the first paragraph in the last fifth
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


def document_sentences(chunks: list[Document]) -> list[Sentence]:
    """Every sentence of one file once, in reading order. The chunks are laid back at their
    offsets to give each page's text (what lies between chunks is white space), so a
    sentence cut by a chunk's edge is whole again; it is then quoted from the chunk that
    holds it, or from the neighbours that share it, joined into one passage."""
    out: list[Sentence] = []
    pages: dict[int, list[Document]] = {}
    for chunk in chunks:
        pages.setdefault(chunk.metadata.get("page") or 0, []).append(chunk)
    for page in sorted(pages):
        ordered = sorted(pages[page], key=lambda d: d.metadata["start"])
        text = _laid_out(ordered)
        for s, e in sentences(text):
            covering = [c for c in ordered if c.metadata["start"] < e and c.metadata["end"] > s]
            if not covering:
                continue
            inside = [c for c in covering if c.metadata["start"] <= s and c.metadata["end"] >= e]
            passage = inside[0] if inside else _joined(covering, text)
            base = passage.metadata["start"]
            lead = s == 0 or text[:s].rstrip(" \t").endswith("\n")
            out.append(Sentence(passage, (s - base, e - base), lead))
    return out


def _laid_out(ordered: list[Document]) -> str:
    """A page's text from its chunks (sorted by start); a gap between chunks is white space
    the splitter dropped there, laid back as newlines."""
    parts, pos = [], 0
    for chunk in ordered:
        start, content = chunk.metadata["start"], chunk.page_content
        if start > pos:
            parts.append("\n" * (start - pos))
        elif start < pos:  # overlap: only what is new
            content = content[pos - start:]
        parts.append(content)
        pos = max(pos, start + len(chunk.page_content))
    return "".join(parts)


def _joined(covering: list[Document], text: str) -> Document:
    """One passage spanning neighbouring chunks (for a sentence that crosses their edge)."""
    first = covering[0]
    start, end = first.metadata["start"], max(c.metadata["end"] for c in covering)
    return Document(id=first.id, page_content=text[start:end],
                    metadata={**first.metadata, "start": start, "end": end})


def eligible(sentence: Sentence) -> bool:
    """Worth putting in a summary: a whole sentence, not a heading, not a fragment."""
    text = sentence.text
    return (len(text.split()) >= MIN_WORDS and text.rstrip("\"”’)").endswith((".", "!", "?"))
            and not is_heading(sentence.chunk.page_content, sentence.span,
                               sentence.chunk.metadata.get("title")))


_OPENERS = frozenset("""this these that those such it its they their them he she his her
however but also moreover furthermore thus therefore hence instead meanwhile yet still
besides nevertheless likewise similarly then""".split())
_FIRST_WORD = re.compile(r"\W*(\w+)")


def dangles(text: str) -> bool:
    """Opens by leaning on what came before ("These shifts ...", "However, ..."), so it
    reads poorly out of context."""
    first = _FIRST_WORD.match(text)
    return bool(first) and first.group(1).lower() in _OPENERS


def summary_length(n_sentences: int) -> int:
    """3 to 7 sentences, growing with the square root of the document's length."""
    return max(3, min(7, round(math.sqrt(n_sentences))))


def salience(sents: list[Sentence], idf: Callable[[str], float]) -> np.ndarray:
    """How much each sentence is made of the document's key terms: terms that recur in the
    document (log of the other sentences using them) but are rare in the collection (idf),
    averaged over the sentence's terms and scaled to 0..1 within the document."""
    per = [terms(s.text) for s in sents]
    spread = Counter(t for ts in per for t in set(ts))
    raw = np.array([np.mean([math.log(spread[t]) * idf(t) for t in ts]) if ts else 0.0
                    for ts in per])
    return (raw - raw.min()) / (np.ptp(raw) or 1.0) if len(raw) else raw


def overview(sents: list[Sentence], vectors: np.ndarray, n: int,
             idf: Callable[[str], float] | None = None, start: int = 0) -> list[int]:
    """Indices of the n sentences that best represent the document, in document order:
    centrality (cosine to the mean sentence), key-term salience, a paragraph-opening bonus,
    a penalty for a sentence that does not read alone (`dangles`); one per stretch of the
    document, with MMR against repeating a chosen sentence.

    Args:
        sents: the document's sentences in reading order.
        vectors: their normalised embeddings, one row each.
        idf: a term's inverse document frequency in the index (salience needs it).
        start: choose only from sents[start:] (a conclusion), still scored against the whole.
    """
    ok = [i for i, s in enumerate(sents) if eligible(s)]
    if not ok:
        return []
    centroid = vectors[ok].mean(axis=0)
    ok = [i for i in ok if i >= start]
    centroid /= np.linalg.norm(centroid) or 1.0
    score = vectors @ centroid + LEAD_BONUS * np.array([s.lead for s in sents])
    if idf is not None:
        score = score + SALIENCE * salience(sents, idf)
    score = score - DANGLING * np.array([dangles(s.text) for s in sents])
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
    """Whether text names the subject: any word of a name counts ("Ma" for "Ma Xingrui"), as
    a capitalised word ("data" in "data governance" is not the "Data" of "National Data
    Bureau"); a subject written in lower case, as any word."""
    groups = name_groups(f"About {subject}")
    if not groups:
        groups, present = [tuple(words(subject))], set(words(text))
    else:
        present = set(words(" ".join(re.findall(r"(?<![\w'’-])[A-Z][\w'’-]*", text))))
    return any(any(w in present for w in group) for group in groups)


def side(subject: str, ranked: list[Candidate], passages: list[Document], taken: set,
         others: list[str], limit: int = PER_SIDE) -> list[Candidate]:
    """The best sentences about one side of a comparison: they name the subject (or lean on
    a sentence before them that does: "He became ...") and not only the other side."""
    out = []
    for cand in ranked:
        text = passages[cand.passage].page_content
        before = text[max(0, cand.span[0] - 300):cand.span[0]]
        named = mentions(subject, cand.text) or (  # "He became ..." after a sentence naming him
            dangles(cand.text) and mentions(subject, before)
            and not any(mentions(o, cand.text) for o in others))
        key = (passages[cand.passage].metadata["source"],
               passages[cand.passage].metadata["start"] + cand.span[0])
        if named and key not in taken and not any(
                mentions(o, cand.text) and not mentions(subject, cand.text) for o in others):
            out.append(cand)
            taken.add(key)
        if len(out) == limit:
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


# Words that make a capitalised run a place, a body or a date rather than a person.
_NOT_A_PERSON = frozenset("""university bureau commission administration council committee
party republic area province city county district region bank company corporation inc ltd
group ministry department agency office institute academy college school centre center
association union organization organisation foundation society court assembly congress
parliament senate house street road avenue river mountain mount lake sea ocean island
islands bay valley park north south east west northern southern eastern western central
national international state states kingdom empire dynasty revolution war act treaty law
day church cathedral museum hospital airport station award prize cup league games olympics
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday""".split())
# Words before a name that are not part of it: titles and roles ("Administrator Robert
# Seamans"), and openers a sentence may capitalise ("Upon Kennedy's death").
_TITLES = frozenset("""mr mrs ms miss dr prof professor sir dame lord lady king queen prince
princess pope saint st president governor secretary minister premier senator general
chairman chairwoman chair mayor judge captain administrator associate deputy vice chief
director ambassador commander officer founder author writer historian economist
sociologist archaeologist archeologist scientist physicist chemist biologist
mathematician philosopher astronaut actor actress producer defense defence upon although
though like unlike despite following whereas""".split())
_RUN = re.compile(r"(?<![\w'’-])[A-Z][a-z]+(?:-[A-Za-z]+)?(?:\s+[A-Z][a-z]+(?:-[A-Za-z]+)?)+")
_PRONOUNS = re.compile(r"\b(?:he|she|his|her|him|hers)\b", re.I)


def people(sents: list[Sentence]) -> list[tuple[str, int]]:
    """The people a document names, each with the sentence that first names them, in order.

    A person is a run of 2 or 3 capitalised words (after any opening word that is a stop
    word, a title or a word the document also writes in lower case: "The", "In",
    "President"), none of them a word of places, bodies or dates (_NOT_A_PERSON), either
    after a title or referred to as a person: "he", "his", "she", "her" right after a
    mention of the name or of its first or last word alone ("Ma" for "Ma Xingrui"), in that
    sentence or at the start of the next ("He became ..."). Without a model of names this
    misses people never referred to by a pronoun ("Cook and Levin proved ...")."""
    texts = [s.text for s in sents]
    lower = {w for t in texts for w in re.findall(r"(?<![\w'’-])[a-z][a-z-]*", t)}
    skip = lower | _TITLES | STOPWORDS
    found: dict[str, int] = {}
    for i, text in enumerate(texts):
        for m in _RUN.finditer(text):
            run = m.group(0).split()
            while run and run[0].lower() in skip:
                run = run[1:]
            name = " ".join(run)
            if name in found or not 2 <= len(run) <= 3 or any(
                    w.lower() in _NOT_A_PERSON or w.lower() in lower for w in run):
                continue
            before = (text[:m.start()].split()[-1:] + m.group(0).split())[:len(m.group(0).split())
                                                                          - len(run) + 1]
            if any(w.lower().strip(".") in _TITLES for w in before) or _as_person(run, texts):
                found[name] = i
    return sorted(found.items(), key=lambda kv: kv[1])


def _as_person(run: list[str], texts: list[str]) -> bool:
    """Whether a pronoun for a person follows a mention of the name (whole, or its first or
    last word alone) in the same sentence or at the start of the next."""
    forms = "|".join(re.escape(f) for f in (" ".join(run), run[0], run[-1]))
    mention = re.compile(rf"(?<![\w'’-])(?:{forms})(?![\w-])")
    for i, text in enumerate(texts):
        for m in mention.finditer(text):
            nxt = " ".join(texts[i + 1].split()[:3]) if i + 1 < len(texts) else ""
            if _PRONOUNS.search(text[m.end():]) or _PRONOUNS.search(nxt):
                return True
    return False


def ending(sents: list[Sentence]) -> int:
    """Where the document's conclusion starts: the first paragraph that opens in its last
    fifth (or its last paragraph), moved back until 3 complete sentences follow."""
    opens = [i for i, s in enumerate(sents) if s.lead]
    start = next((i for i in opens if i >= END_SHARE * len(sents)), opens[-1] if opens else 0)
    while start > 0 and sum(eligible(s) for s in sents[start:]) < 3:
        start -= 1
    return start
