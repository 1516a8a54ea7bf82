"""Citations: check every answer sentence against the passage it cites, and resolve markers.

A sentence is supported by a passage when, inside one window of that passage (a sentence
and its neighbours), (1) every number, name and month it states appears, and (2) most of
its content words appear. Sentences that fail are dropped; a sentence with no marker is
cited to the passage that supports it, or dropped. What survives is renumbered [1], [2], ...
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from langchain_core.documents import Document

from rag.ingest.clean import clean
from rag.ingest.layout import markup, sentence_spans
from rag.text import fold, months, names, numbers, sentences, terms

MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
# markers right after a sentence's closing punctuation ("A claim. [1]") belong to that sentence
_AFTER_END = re.compile(r"([.!?])((?:\s*\[\d+(?:\s*,\s*\d+)*\])+)")
MIN_OVERLAP = 0.6  # share of a sentence's content words its passage window must contain
# The answer's own framing, never a claim from a source: a label line ("Ma Xingrui:",
# "Summary of a.txt:") and a note in underscores ("_Nothing in the sources about X._").
# Only whole-document answers put them in (verify(..., frames=True)); an LLM's cannot.
_LABEL = re.compile(r"[^\n\[\]]{1,150}:")
_NOTE = re.compile(r"_[^\n\[\]]{1,600}_")  # a file name may hold "_"


@dataclass
class Citation:
    """One numbered citation: where the passage is, and the sentence(s) that support it."""

    n: int
    source: str
    page: int | None
    start: int
    end: int
    text: str
    quote: str
    quote_start: int
    quote_end: int
    title: str | None = None
    chunk_id: str | None = None
    # every supporting sentence as [start, end] in the passage (the first is quote_*)
    spans: list[list[int]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Verified:
    text: str
    citations: list[Citation] = field(default_factory=list)
    unsupported: int = 0  # draft sentences dropped because no cited passage supports them


def _windows(passage: str, spans: list[tuple[int, int]] | None = None
             ) -> list[tuple[int, int, int, int]]:
    """(window start, window end, core sentence start, core end) for each sentence ± 1."""
    spans = sentences(passage) if spans is None else spans
    out = []
    for i, (s, e) in enumerate(spans):
        lo, hi = spans[max(0, i - 1)][0], spans[min(len(spans) - 1, i + 1)][1]
        out.append((lo, hi, s, e))
    return out


def support(claim: str, passage: str, spans: list[tuple[int, int]] | None = None,
            markup: bool = False) -> tuple[float, tuple[int, int]] | None:
    """How well `passage` supports `claim`: (overlap, span of the best supporting sentence),
    or None when some number/name/month of the claim is missing from every window.

    Args:
        spans: the passage's sentences (rag.ingest.layout.sentence_spans); default: split here.
        markup: the passage is Markdown (its marks are not words).
    Windows are read as a reader sees them (rag.ingest.clean: words broken at line ends joined).
    """
    claim_terms = set(terms(claim))
    need_numbers = numbers(claim)
    need_names, need_months = names(claim), months(claim)
    best = None
    for lo, hi, s, e in _windows(passage, spans):
        window = clean(passage[lo:hi], markup)
        folded = fold(window)
        if not need_numbers <= numbers(window) or not need_months <= months(window):
            continue
        if any(n not in folded for n in need_names):
            continue
        window_terms = set(terms(window))
        overlap = len(claim_terms & window_terms) / len(claim_terms) if claim_terms else 1.0
        core = set(terms(clean(passage[s:e], markup)))
        score = overlap + 0.01 * len(claim_terms & core)  # prefer the sentence itself
        if best is None or score > best[0]:
            best = (score, (s, e), overlap)
    if best is None:
        return None
    return best[2], best[1]


def split_markers(sentence: str) -> tuple[str, list[int]]:
    """The sentence without its [n] markers, and the marker numbers in order."""
    cited = [int(n) for m in MARKER.finditer(sentence) for n in m.group(1).split(",")]
    return MARKER.sub("", sentence).strip(), cited


def claims(text: str) -> list[tuple[str, list[int]]]:
    """The sentences of an answer or draft, each without its markers, with the numbers it
    cites. A marker may stand before or after the sentence's closing punctuation."""
    inside = _AFTER_END.sub(lambda m: f"{m.group(2)}{m.group(1)}", text)
    return [split_markers(inside[s:e]) for s, e in sentences(inside)]


def is_frame(claim: str) -> bool:
    """A label line or a note: the answer's framing (see _LABEL, _NOTE), not a claim."""
    return bool(_LABEL.fullmatch(claim) or _NOTE.fullmatch(claim))


def verify(draft: str, passages: list[Document], frames: bool = False) -> Verified:
    """Keep only supported, cited sentences of a draft answer and build their citations.

    Args:
        draft: answer text whose sentences cite passages as [1], [2] (1-based into passages).
        passages: the passages the generator was shown, in the order it numbered them.
        frames: keep uncited label lines and notes (is_frame) as they are.

    Returns:
        The final text with markers renumbered by first appearance, and the citations.
    """
    out, unsupported = [], 0
    # each passage's sentences, found once for all the claims checked against it
    layouts = [([(s, e) for s, e, _ in sentence_spans(p)], markup(p)) for p in passages]
    numbering: dict[int, int] = {}
    quotes: dict[int, list[tuple[int, int]]] = {}
    for claim, cited in claims(draft):
        if frames and not cited and is_frame(claim):
            out.append((claim, None))
            continue
        if len(terms(claim)) == 0 and not numbers(claim):
            continue  # a bare marker or punctuation: nothing to check, nothing to keep
        candidates = [i - 1 for i in cited if 0 < i <= len(passages)]
        found = _supporting(claim, passages, layouts, candidates) or _supporting(
            claim, passages, layouts, [i for i in range(len(passages)) if i not in candidates])
        if found is None:
            unsupported += 1
            continue
        idx, span = found
        if idx not in numbering:
            numbering[idx] = len(numbering) + 1
            quotes[idx] = []
        if span not in quotes[idx]:
            quotes[idx].append(span)
        out.append((claim, numbering[idx]))
    citations = [make_citation(n, passages[idx], *quotes[idx]) for idx, n in numbering.items()]
    return Verified(cite(out), citations, unsupported)


def cite(parts: list[tuple[str, int | None]]) -> str:
    """Sentences with their markers, each after its closing punctuation ("A claim. [1]").
    A sentence without closing punctuation (a list item "- ...", a line) ends its line, so
    that reading the text back gives the same sentences. A part without a number is a frame
    (a label or a note, see is_frame): it stands on a line of its own. A part that reads as
    several sentences (a code block, a table row) gets a marker after each of them."""
    text, line_ends = "", False
    for claim, n in [(piece, n) for part, n in parts for piece in _pieces(part, n)]:
        item = n is None or claim.startswith("- ")
        if text:
            text += "\n" if line_ends or item else " "
            if n is None and claim.endswith(":"):
                text += "\n"  # a blank line before a label
        text += claim if n is None else f"{claim} [{n}]"
        line_ends = item or not claim.rstrip('"”’)').endswith((".", "!", "?"))
    return text


def _pieces(part: str, n: int | None) -> list[str]:
    """A cited part as the sentences it reads as (a frame stays whole)."""
    if n is None:
        return [part]
    return [part[s:e] for s, e in sentences(part)] or [part]


def _supporting(claim: str, passages: list[Document],
                layouts: list[tuple[list[tuple[int, int]], bool]], indices: list[int]
                ) -> tuple[int, tuple[int, int]] | None:
    best = None
    for i in indices:
        spans, md = layouts[i]
        found = support(claim, passages[i].page_content, spans, md)
        if found and found[0] >= MIN_OVERLAP and (best is None or found[0] > best[0]):
            best = (found[0], i, found[1])
    return (best[1], best[2]) if best else None


def make_citation(n: int, passage: Document, span: tuple[int, int],
                  *more: tuple[int, int]) -> Citation:
    """A citation of `passage` whose supporting quote is passage.page_content[span]
    (and, when several answer sentences cite it, the other spans too)."""
    meta = passage.metadata
    return Citation(n=n, source=meta["source"], page=meta.get("page"), start=meta["start"],
                    end=meta["end"], text=passage.page_content,
                    quote=passage.page_content[span[0]:span[1]], quote_start=span[0],
                    quote_end=span[1], title=meta.get("title"), chunk_id=passage.id,
                    spans=sorted([list(span), *map(list, more)]))
