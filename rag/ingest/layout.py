"""Layout (ingest): a page's text cut into units of one kind each (body text, heading,
caption, running header or footer, references, list item, table row, code, front matter),
so that answering and summarising read sentences, not page furniture.

Units are spans of the page text itself: the text and its offsets never change, so
highlights stay exact. PDFs are read by geometry and fonts (rag.ingest.pagetext), Markdown by its
syntax. The words and patterns that name things are data, in the tables below.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from rag.ingest.clean import clean
from rag.ingest.pagetext import PageText
from rag.text import sentences

# Recorded in the index config: units and the text embedded for a chunk depend on it.
VERSION = "units-v2"
# kinds, one letter each in a chunk's metadata: body text, heading, caption, running head or
# foot, references; list item, table row, code, front matter, lead-in with its block
BODY, HEADING, CAPTION, FURNITURE, REFERENCE = "b", "h", "c", "f", "r"
ITEM, ROW, CODE, META, LEAD = "i", "t", "k", "m", "l"
NOT_TEXT = frozenset({HEADING, FURNITURE, META})  # never a sentence of an answer
Unit = tuple[int, int, str]  # (start, end, kind) in the page text

# -- the rules, as data -------------------------------------------------------------------------
REFERENCE_TITLES = frozenset({"references", "bibliography", "works cited", "literature cited",
                              "references and notes", "notes and references", "citations",
                              "literature"})
AFTER_REFERENCES = re.compile(r"^(?:[A-Z]\.?\s+)?(?:appendix|appendices|supplementary)\b",
                              re.I)
CAPTION_START = re.compile(r"^(?:figure|fig\.|table|listing|algorithm|exhibit)\s*"
                           r"[0-9IVX]+[a-z]?\s*[.:|—–-]", re.I)
NUMBERED_HEADING = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[A-Z]\.|[IVX]+\.)\s+[A-Z][^.!?]{0,80}$")
PAGE_NUMBER = re.compile(r"^(?:page\s+)?(?:\d{1,4}|[ivxlc]{1,6})(?:\s+of\s+\d+)?$", re.I)
HEADING_WORDS = 14        # a heading line has at most this many words
BOLD = 600                # a font weight at least this is bold
BOLDER = 100              # and at least this much heavier than the body text's
LARGER = 1.15             # a font this much larger than the body's sets a heading
MARGIN = 0.08             # top and bottom share of a page where running heads sit
REPEATS = 3               # a margin line seen on this many pages is a running head
RUN_IN_WORDS = 10         # a bold run opening a paragraph ("Leader election.") at most


@dataclass
class Line:
    start: int
    end: int
    text: str
    y: float          # baseline height (bottom of its first box)
    size: float       # median font size (0 when the engine gives none)
    bold: float       # share of its characters in a bold font
    bold_end: int     # where an opening bold run ends (start when there is none)


# -- PDF pages ------------------------------------------------------------------------------------


def _same_line(last, box) -> bool:
    overlap = min(last[3], box[3]) - max(last[1], box[1])
    height = min(last[3] - last[1], box[3] - box[1])
    return height > 0 and overlap >= 0.4 * height and box[0] >= last[0] - 0.5


def lines(page: PageText, bold: float = BOLD) -> list[Line]:
    """The page's lines as drawn: runs of characters level with each other, in text order;
    a character is bold when its font weighs at least `bold`."""
    out: list[Line] = []
    run: list[int] = []
    last = None
    for i, box in enumerate(page.boxes):
        if box is None:
            continue
        if last is not None and not _same_line(last, box):
            out.append(_line(page, run, bold))
            run = []
        run.append(i)
        last = box
    if run:
        out.append(_line(page, run, bold))
    return out


def _line(page: PageText, ink: list[int], heavy: float = BOLD) -> Line:
    start, end = ink[0], ink[-1] + 1
    fonts = [page.fonts[i] for i in ink if page.fonts[i]] if page.fonts else []
    sizes = sorted(f[0] for f in fonts)
    bold = [f[1] >= heavy for f in fonts]
    opening = 0
    while opening < len(bold) and bold[opening]:
        opening += 1
    bold_end = ink[opening - 1] + 1 if 0 < opening < len(ink) else start
    return Line(start, end, page.text[start:end], page.boxes[ink[0]][1],
                sizes[len(sizes) // 2] if sizes else 0.0,
                sum(bold) / len(bold) if bold else 0.0, bold_end)


def _key(text: str) -> str:
    """A margin line as it repeats from page to page: digits and case set aside."""
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def _running_heads(pages: list[list[Line]]) -> set[str]:
    """Texts of lines at the very top or bottom of several pages: running heads, feet."""
    seen: Counter[str] = Counter()
    for page in pages:
        for line in {_key(ln.text) for ln in _margins(page)}:
            seen[line] += 1
    need = min(REPEATS, max(2, len(pages) // 2))
    return {text for text, n in seen.items() if n >= need}


def _margins(page: list[Line]) -> list[Line]:
    """The lines in the page's top and bottom margins (relative to its inked height)."""
    if not page:
        return []
    top = max(ln.y for ln in page)
    bottom = min(ln.y for ln in page)
    span = max(top - bottom, 1.0)
    return [ln for ln in page if ln.y >= top - MARGIN * span or ln.y <= bottom + MARGIN * span]


def bold_weight(pages: list[PageText]) -> float:
    """The font weight from which a character is bold in this document: BOLD, or BOLDER
    above the weight most of its characters have, when its body text is set in a font that
    reports itself heavy (weight 792: every line would read as a heading)."""
    weights: Counter[float] = Counter(f[1] for page in pages for f in (page.fonts or []) if f)
    body = weights.most_common(1)[0][0] if weights else 0
    return max(BOLD, body + BOLDER)


def _body_size(pages: list[list[Line]]) -> float:
    sizes: Counter[float] = Counter()
    for page in pages:
        for ln in page:
            sizes[ln.size] += ln.end - ln.start
    return sizes.most_common(1)[0][0] if sizes else 0.0


def heading_title(text: str) -> str:
    """A heading's words without its number ("7 References" -> "references")."""
    return " ".join(re.sub(r"^[\dIVX.]+\s+", "", text.strip()).lower().split()).rstrip(":")


def _is_heading(ln: Line, body: float) -> bool:
    words = ln.text.split()
    if not words or len(words) > HEADING_WORDS or not re.search(r"[A-Za-z]", ln.text):
        return False
    if heading_title(ln.text) in REFERENCE_TITLES:
        return True
    styled = ln.bold >= 0.8 or (body and ln.size >= LARGER * body)
    ends = ln.text.rstrip().endswith((".", ",", ";")) and len(words) > 3
    return (styled and not ends) or bool(NUMBERED_HEADING.match(ln.text.strip())
                                         and len(words) <= 8)


def _kinds(page: list[Line], text: str, heads: set[str], body: float, state: dict
           ) -> Iterator[Unit]:
    """Each line's unit(s); `state` carries the references section across pages."""
    margins = {id(ln) for ln in _margins(page)}
    caption, previous = False, None
    for ln in page:
        gap = "\n" in text[previous.end:ln.start] if previous else True  # a blank line before
        previous = ln
        line = ln.text.strip()
        if id(ln) in margins and (_key(line) in heads or PAGE_NUMBER.match(line)):
            yield ln.start, ln.end, FURNITURE
            continue
        if _is_heading(ln, body):
            title = heading_title(line)
            if title in REFERENCE_TITLES:
                state["references"] = True
            elif AFTER_REFERENCES.match(title):
                state["references"] = False
            caption = False
            yield ln.start, ln.end, HEADING
            continue
        if state.get("references"):
            yield ln.start, ln.end, REFERENCE
            continue
        if CAPTION_START.match(line):
            caption = True
        elif caption and gap:
            caption = False
        if caption:
            yield ln.start, ln.end, CAPTION
        elif ln.bold_end > ln.start and len(ln.text[:ln.bold_end - ln.start].split()) \
                <= RUN_IN_WORDS and ln.text[:ln.bold_end - ln.start].rstrip()[-1:] in ".:—":
            yield ln.start, ln.bold_end, HEADING  # "Leader election. Raft uses ..."
            yield ln.bold_end, ln.end, BODY
        else:
            yield ln.start, ln.end, BODY


def merge(units: Iterator[Unit], text: str) -> list[Unit]:
    """Adjacent units of one kind joined (a paragraph's lines are one body unit); a heading
    or caption line stays its own unit when a blank line parts it from the next."""
    out: list[Unit] = []
    for start, end, kind in units:
        if start >= end:
            continue
        if out and out[-1][2] == kind and kind != HEADING and not (
                kind == CAPTION and "\n" in text[out[-1][1]:start]):
            out[-1] = (out[-1][0], end, kind)
        else:
            out.append((start, end, kind))
    return out


def pdf_units(pages: list[PageText]) -> list[list[Unit]]:
    """Every page's units (rag.ingest.layout kinds), by the fonts and positions of its lines.

    Args:
        pages: one document's pages, in order (running heads are found across them).

    Returns:
        One list of (start, end, kind) per page, in text order, non-overlapping.
    """
    bold = bold_weight(pages)
    per_page = [lines(p, bold) for p in pages]
    heads, body = _running_heads(per_page), _body_size(per_page)
    state: dict = {}
    out = []
    for page, found in zip(pages, per_page):
        out.append(merge(_kinds(found, page.text, heads, body, state), page.text))
    return out


# -- Markdown -------------------------------------------------------------------------------------

FRONT_MATTER = re.compile(r"\A(?:---|\+\+\+)[ \t]*\n.*?\n(?:---|\+\+\+|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FENCE = re.compile(r"^[ \t]{0,3}(```+|~~~+)")
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}(?:\s|$)")
_SETEXT = re.compile(r"^[ \t]{0,3}(?:=+|-+)[ \t]*$")
_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+\S")
_ROW = re.compile(r"^[ \t]*\|")
_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$")
_HTML_LINE = re.compile(r"^[ \t]*<(?:!--|/?[a-zA-Z][^>]*>)")
LEAD_CHARS = 700  # a lead-in carries its block up to about this many characters


def _md_lines(text: str) -> Iterator[tuple[int, int, str]]:
    start = 0
    for line in text.splitlines(keepends=True):
        yield start, start + len(line.rstrip("\r\n")), line.rstrip("\r\n")
        start += len(line)


def _md_kind(line: str, following: str, fence: bool) -> str | None:
    """A Markdown line's kind (None: a blank line)."""
    if fence or _FENCE.match(line):
        return CODE
    if not line.strip():
        return None
    if _MD_HEADING.match(line) or (following and _SETEXT.match(following) and
                                   not _ITEM.match(line)):
        return HEADING
    if _SETEXT.match(line) or _RULE.match(line) or _HTML_LINE.match(line):
        return FURNITURE
    if _ROW.match(line):
        return ROW
    if _ITEM.match(line):
        return ITEM
    return BODY


def _md_raw(text: str) -> Iterator[Unit]:
    """One unit per block: a list item with its continuation lines, a table row, a fenced
    code block, a heading line, a paragraph."""
    rows = list(_md_lines(text))
    fence: str | None = None
    current: list = []  # [start, end, kind]
    for i, (start, end, line) in enumerate(rows):
        opening = _FENCE.match(line)
        following = rows[i + 1][2] if i + 1 < len(rows) else ""
        kind = _md_kind(line, following, fence is not None)
        if opening and fence is None:
            fence = opening.group(1)[:3]
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        continues = (current and kind == current[2] and kind in (BODY, CODE)) or (
            current and current[2] == ITEM and kind == BODY and line[:1] in " \t")
        if kind is None and fence is None:
            if current:
                yield tuple(current)
            current = []
        elif continues:
            current[1] = end
        else:
            if current:
                yield tuple(current)
            current = [start, end, kind]
    if current:
        yield tuple(current)


def markdown_units(text: str) -> list[Unit]:
    """A Markdown file's units: front matter is metadata; headings, list items, table rows
    and code blocks are units of their own; a paragraph ending with a colon becomes a
    lead-in carrying the list, table or code block that follows it (up to LEAD_CHARS)."""
    front = FRONT_MATTER.match(text)
    offset = front.end() if front else 0
    units = [(s + offset, e + offset, k) for s, e, k in _md_raw(text[offset:])]
    if front:
        units.insert(0, (0, front.end(), META))
    out = []
    for i, (start, end, kind) in enumerate(units):
        out.append((start, end, kind))
        if kind == BODY and text[start:end].rstrip().endswith(":"):
            last = end
            for s, e, k in units[i + 1:i + 40]:
                if k not in (ITEM, ROW, CODE, FURNITURE) or e - start > LEAD_CHARS:
                    break
                last = e
            if last > end:
                spans = sentences(text[start:end])
                lead_start = start + spans[-1][0] if spans else start
                out.append((lead_start, last, LEAD))
    return out


# -- units in a chunk's metadata ------------------------------------------------------------------


def encode(units: list[Unit], start: int, end: int) -> str:
    """The units overlapping text[start:end], clipped and made relative to start, as the
    compact string a chunk's metadata keeps ("0,42,h;43,800,b")."""
    return ";".join(f"{max(s, start) - start},{min(e, end) - start},{k}"
                    for s, e, k in units if s < end and e > start)


def decode(doc) -> list[Unit] | None:
    """A chunk's units (None: its file was read without layout, as plain text)."""
    raw = doc.metadata.get("units")
    if not isinstance(raw, str):
        return None
    out = []
    for part in filter(None, raw.split(";")):
        s, e, k = part.split(",")
        out.append((int(s), int(e), k))
    return out


def markup(doc) -> bool:
    """Whether the chunk's text is Markdown, whose marks are not words."""
    return bool(doc.metadata.get("markup"))


def _soft_wrapped(text: str) -> str:
    """Single line breaks inside a block read as spaces (same length: offsets hold)."""
    return re.sub(r"(?<!\n)\n(?!\n)", " ", text)


def sentence_spans(doc) -> list[Unit]:
    """The sentences of a chunk as (start, end, kind of the unit holding them): each unit
    of text cut into sentences; a lead-in is one piece with its block; headings, running
    heads and front matter come back too, with their kinds, for callers to leave out."""
    text = doc.page_content
    units = decode(doc)
    if units is None:
        return [(s, e, BODY) for s, e in sentences(text)]
    out = []
    for s, e, kind in units:
        if kind in (LEAD, CODE, ROW) or kind in NOT_TEXT:
            out.append((s, e, kind))
            continue
        piece = _soft_wrapped(text[s:e]) if markup(doc) or kind == ITEM else text[s:e]
        out.extend((s + a, s + b, kind) for a, b in sentences(piece))
    return out


def plain(doc) -> str:
    """A chunk's text as a reader sees it, without running heads or front matter: what is
    embedded and keyword-indexed."""
    units = decode(doc)
    text = doc.page_content
    if units is None:
        return clean(text, markup(doc))
    return clean("\n".join(text[s:e] for s, e, k in units if k not in (FURNITURE, META)),
                 markup(doc))
