"""Page text: characters with their boxes on a PDF page, turned into page text, line
fragments and highlights. Pure geometry: the engines (PDFium, Tesseract) live in rag/ingest/pdf.py.

Boxes are (x0, y0, x1, y1) in PDF points, origin at the bottom left of the page, before any
/Rotate: the coordinates `rag ask --json` reports a highlight in.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

Box = tuple[float, float, float, float]
Font = tuple[float, int]  # a character's font size (points) and weight (400 regular, 700 bold)
CACHE_VERSION = "tesseract-tsv-v1"  # written into every cached page


@dataclass
class PageText:
    """One page's text and, for each of its characters, the box it is drawn in (None for
    white space and for characters the engine made up, such as line breaks)."""

    number: int  # 1-based
    text: str
    boxes: list[Box | None]
    method: str  # "text" (the PDF's text layer), "ocr", "blank" or "skipped"
    note: str = ""  # why a page was skipped
    turns: int = 0  # the page's /Rotate in quarter turns: lines run along x once undone
    fonts: list[Font | None] | None = None  # per character, where the engine tells (PDFium)


@dataclass
class Highlight:
    """The boxes of one supporting sentence: one rectangle per line fragment."""

    page: int
    span: tuple[int, int]  # offsets in the page text
    rects: list[Box] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"page": self.page, "span": list(self.span),
                "rects": [[round(v, 2) for v in r] for r in self.rects]}


def upright(box: Box, turns: int) -> Box:
    """A box turned clockwise by `turns` quarter turns (as a viewer shows a page with
    /Rotate 90 * turns), so that displayed lines run along x whatever the stored layout."""
    x0, y0, x1, y1 = box
    for _ in range(turns % 4):
        x0, y0, x1, y1 = y0, -x1, y1, -x0
    return (x0, y0, x1, y1)


def line_break(prev: Box | None, nxt: Box | None) -> str:
    """What a made-up two-character line break between two lines becomes: two spaces when
    the next line wraps the same paragraph (just below, starting to the left), else a blank
    line (a paragraph gap, or a jump to another column)."""
    if prev is None or nxt is None:
        return "\n\n"
    height = max(prev[3] - prev[1], 1.0)
    drop = prev[1] - nxt[1]
    if 0 < drop <= 1.6 * height and nxt[0] < prev[2]:
        return "  "
    return "\n\n"


def _same_line(last: Box, box: Box) -> bool:
    """Whether `box` continues the line fragment ending with `last`: level with it, not
    behind it (a ligature's letters share one box) and not across a column gap."""
    overlap = min(last[3], box[3]) - max(last[1], box[1])
    height = min(last[3] - last[1], box[3] - box[1])
    return (height > 0 and overlap >= 0.5 * height and box[0] >= last[0] - 0.5
            and box[0] - last[2] <= 3 * max(last[3] - last[1], box[3] - box[1]))


def line_rects(boxes: list[Box | None], start: int, end: int, turns: int = 0) -> list[Box]:
    """One rectangle per line fragment of characters start..end: the union of their boxes
    (white space and made-up characters have none, so a fragment begins and ends on ink).
    Lines are found as the page is displayed (`turns`: its /Rotate in quarter turns)."""
    rects: list[Box] = []
    last: Box | None = None
    for box in boxes[max(0, start):max(0, end)]:
        if box is None:
            continue
        box = upright(box, turns)
        if last is not None and _same_line(last, box):
            r = rects[-1]
            rects[-1] = (min(r[0], box[0]), min(r[1], box[1]), max(r[2], box[2]),
                         max(r[3], box[3]))
        else:
            rects.append(tuple(box))
        last = box
    return [upright(r, -turns) for r in rects]


# -- Tesseract's words -------------------------------------------------------------------------

Word = tuple[tuple[int, int, int], str, tuple[int, int, int, int]]


def tsv_words(tsv: str) -> list[Word]:
    """Tesseract's TSV output as ((block, paragraph, line), word, (left, top, width, height))
    in pixels, in reading order."""
    out = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        key = (int(cols[2]), int(cols[3]), int(cols[4]))
        out.append((key, cols[11].strip(), tuple(int(c) for c in cols[6:10])))
    return out


def words_text(words: list[Word], to_page: Callable[[tuple[float, float, float, float]], Box]
               ) -> tuple[str, list[Box | None]]:
    """OCR'd words as page text and boxes: words of a line joined by a space, lines of a
    paragraph by a space (none after a hyphen ending a line before a lower-case word),
    paragraphs by a blank line. Each letter gets an equal share of its word's pixel box,
    which `to_page` maps to PDF points."""
    chars: list[str] = []
    boxes: list[Box | None] = []
    prev = None
    for key, word, (left, top, width, height) in words:
        if prev is not None:
            same_par = key[:2] == prev[:2]
            sep = " " if same_par else "\n\n"
            if same_par and key != prev and chars[-1] == "-" and word[:1].islower():
                sep = ""
            chars.extend(sep)
            boxes.extend([None] * len(sep))
        prev = key
        step = width / len(word)
        for j, ch in enumerate(word):
            chars.append(ch)
            boxes.append(None if ch.isspace() else
                         to_page((left + j * step, top, left + (j + 1) * step, top + height)))
    return "".join(chars), boxes


def cached(path: Path | None, compute: Callable[[], PageText]) -> PageText:
    """An OCR'd page kept on disk (by file content and page, in `path`), so a highlight later
    reads back exactly the text that was indexed and nobody waits for Tesseract twice."""
    if path and path.is_file():
        try:
            data = json.loads(path.read_text())
            if data.get("version") == CACHE_VERSION:
                return PageText(data["number"], data["text"],
                                [tuple(b) if b else None for b in data["boxes"]], "ocr",
                                turns=data.get("turns", 0))
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a damaged entry is made again
    page = compute()
    if path and page.method == "ocr":
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"version": CACHE_VERSION, "number": page.number,
                                   "text": page.text, "turns": page.turns,
                                   "boxes": [[round(v, 3) for v in b] if b else None
                                             for b in page.boxes]}))
        os.replace(tmp, path)
    return page
