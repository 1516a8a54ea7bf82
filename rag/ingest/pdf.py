"""PDF: page text with one box per character (PDFium), page images, and Tesseract OCR for
pages without a text layer or with a garbled one. The only module that touches pypdfium2 or
runs tesseract.

A page's text is built so that text[i] is PDFium's character i (or, on an OCR'd page, one
letter of Tesseract's words), so the offsets stored for a chunk or a sentence select exactly
the boxes to highlight. PDFium's made-up line breaks ("\\r\\n", two characters) become two
spaces inside a paragraph or a blank line between paragraphs and columns, and its mark for a
hyphen ending a line becomes "-": one character for one, always. So do Adobe's private-use
codes for old-style digits and small capitals (U+F730 for an old-style "0", U+F761 for a
small-capital "A"): the character they stand for.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
import subprocess
import threading
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from rag.ingest.clean import is_word
from rag.errors import LoadError
from rag.ingest.pagetext import (Box, Font, Highlight, PageText, cached, line_break, line_rects,
                                 upright, tsv_words, words_text)



class Quoted(Protocol):
    """What a highlight needs of a citation (rag.compose.citations.Citation is one): the
    passage on its page, and the quoted sentences as [start, end] within the passage."""

    page: int | None
    start: int
    end: int
    text: str
    quote_start: int
    quote_end: int
    spans: list[list[int]]

# Recorded in the index config: another engine (or PDFium build) may number characters
# differently, so an index built by it must be rebuilt before its offsets are trusted.
ENGINE = f"pypdfium2-chars-v2 (pdfium {pdfium.PDFIUM_INFO.build})"  # v2: garbled pages OCR'd
RENDER_SCALE = 1.5  # 108 dpi: readable in the evidence panel, quick to render
OCR_SCALE = 300 / 72  # Tesseract reads best at about 300 dpi
NO_OCR = "no text layer; OCR not installed"
GARBLED_NO_OCR = "text layer unreadable; OCR not installed"
INSTALL_OCR = "apt-get install tesseract-ocr tesseract-ocr-eng"
# PDFium is not thread-safe, not even across documents: every call into it holds this lock.
_LOCK = threading.RLock()
OcrProgress = Callable[[int, int], None]  # (page number, page count), before an OCR'd page

# A garbled text layer (a font whose codes map to the wrong characters) is read by OCR. The
# thresholds were measured on the 28 papers of ../shared/corpora/papers (558 pages). In
# the 27 readable ones no page of 200 judged characters or more has under 0.62 of its letters
# in known words, and of those only one (a figure) has over a tenth odd characters (0.115),
# with 0.77 known. In therac.pdf the 44 garbled body pages have at most 0.11 known and at
# least 0.44 odd; three figure pages (readable labels, garbled caption), 0.27-0.29 known and
# 0.39-0.43 odd, are flagged too; two more (183 characters; 0.56 known) are not. Both tests
# must hold: a page in German or Spanish has few English words (0.28, 0.47 of its letters)
# but no odd characters.
GARBLED_MIN_CHARS = 200  # fewer letters and unreadable characters: too little to judge
GARBLED_KNOWN = 0.5  # garbled below this share of them in known English words ...
GARBLED_ODD = 0.1  # ... and from this share of odd characters among its non-space ones
_LETTERS = re.compile(r"[^\W\d_]{2,}")  # a run of letters, as a word candidate
_SYMBOLS = frozenset("#$%&*+/<=>@[\\]^_`{|}~")  # in code, rare in prose
_ADOBE_PUA = (0xF721, 0xF7FF)  # old-style and small-capital forms of U+0021..U+00FF


@dataclass
class Rendered:
    """A page as a PNG."""

    png: bytes
    width: int
    height: int
    pages: int  # the document's page count, for page controls


def open_pdf(source: Path | bytes, name: str) -> pdfium.PdfDocument:
    """Open a PDF (a file or its bytes) with PDFium; close it with close().

    Raises:
        LoadError: corrupt, without pages, or encrypted with a user password (an empty user
            password, i.e. owner restrictions that any viewer opens, is read).
    """
    with _LOCK:
        try:
            pdf = pdfium.PdfDocument(source if isinstance(source, bytes) else str(source))
        except pdfium.PdfiumError as exc:
            if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
                raise LoadError(f"{name}: the PDF is encrypted (password-protected); save an "
                                "unprotected copy to index it.") from exc
            raise LoadError(f"{name}: not a readable PDF ({exc}).") from exc
        if len(pdf) == 0:
            pdf.close()
            raise LoadError(f"{name}: not a readable PDF (it has no pages).")
        return pdf


def close(pdf: pdfium.PdfDocument) -> None:
    with _LOCK:
        pdf.close()


@contextlib.contextmanager
def _opened(path: Path, number: int) -> Iterator[tuple[pdfium.PdfDocument, object]]:
    pdf = open_pdf(path, path.name)
    try:
        with _LOCK:
            if not 1 <= number <= len(pdf):
                raise LoadError(f"{path.name}: has no page {number}; rebuild the index.")
            page = pdf[number - 1]
        yield pdf, page
    finally:
        close(pdf)


def title(pdf: pdfium.PdfDocument) -> str | None:
    with _LOCK:
        return pdf.get_metadata_dict().get("Title") or None


def author(pdf: pdfium.PdfDocument) -> str | None:
    with _LOCK:
        return pdf.get_metadata_dict().get("Author") or None


# -- text from PDFium --------------------------------------------------------------------------


def _char(code: int) -> str:
    if code == 2:  # PDFium's mark for a hyphen that ends a line
        return "-"
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return "\ufffd"  # an unmapped glyph or half a surrogate pair: still one character
    if _ADOBE_PUA[0] <= code <= _ADOBE_PUA[1]:  # Adobe's old-style digit or small capital
        ch = chr(code - 0xF700)
        return ch.upper() if len(ch.upper()) == 1 else ch  # a small capital reads as one
    return chr(code)


def _turns(page) -> int:
    return pdfium_c.FPDFPage_GetRotation(page.raw) % 4


def _text_layer(page) -> tuple[str, list[Box | None], list[Font | None]]:
    """The page's characters as PDFium numbers them, each with its loose box (font height,
    so a line's boxes line up) and its font's (size, weight), or None for white space and
    made-up characters."""
    textpage = page.get_textpage()
    raw = textpage.raw
    chars: list[str] = []
    boxes: list[Box | None] = []
    fonts: list[Font | None] = []
    for i in range(pdfium_c.FPDFText_CountChars(raw)):
        ch = _char(pdfium_c.FPDFText_GetUnicode(raw, i))
        made_up = pdfium_c.FPDFText_IsGenerated(raw, i) == 1
        chars.append(ch)
        ink = not (made_up or ch.isspace())
        boxes.append(textpage.get_charbox(i, loose=True) if ink else None)
        fonts.append((round(pdfium_c.FPDFText_GetFontSize(raw, i), 1),
                      pdfium_c.FPDFText_GetFontWeight(raw, i)) if ink else None)
    for i in range(len(chars) - 1):
        if chars[i] == "\r" and chars[i + 1] == "\n" and boxes[i] is None:
            prev = next((b for b in reversed(boxes[:i]) if b), None)
            nxt = next((b for b in boxes[i + 2:] if b), None)
            turns = _turns(page)
            chars[i], chars[i + 1] = line_break(prev and upright(prev, turns),
                                                nxt and upright(nxt, turns))
    return "".join(chars), boxes, fonts


def _unreadable(ch: str) -> bool:
    """A control character, a private-use code or U+FFFD: no letter of any language."""
    return ch == "\ufffd" or (unicodedata.category(ch) in ("Cc", "Co") and not ch.isspace())


def garbled(text: str) -> bool:
    """Whether a page's text layer is garbage (a font mapping glyphs to wrong characters):
    enough text to judge (GARBLED_MIN_CHARS letters and unreadable characters), few of its
    letters in known English words (rag.ingest.clean.is_word) and many odd characters (control
    codes, U+FFFD, code symbols such as "=@[^{|"). The odd characters keep a page in another
    language, whose words are unknown but well formed, from being taken for garbage."""
    ink = [ch for ch in text if not ch.isspace()]
    unreadable = sum(map(_unreadable, ink))
    if not ink or unreadable + sum(ch in _SYMBOLS for ch in ink) < GARBLED_ODD * len(ink):
        return False  # the cheap test first: a normal page stops here
    runs = _LETTERS.findall(text)
    judged = sum(map(len, runs)) + unreadable
    return judged >= GARBLED_MIN_CHARS and \
        sum(len(r) for r in runs if is_word(r)) < GARBLED_KNOWN * judged


def _is_scan(page, text: str) -> bool:
    """No text layer but an image: a scanned page (a page with neither is just blank)."""
    return not text.strip() and any(
        True for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3))


# -- OCR ---------------------------------------------------------------------------------------


def tesseract() -> str | None:
    """The tesseract program, when installed (looked up on PATH at each call)."""
    return shutil.which("tesseract")


def _run_tesseract(exe: str, image, name: str) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PPM")  # uncompressed: nothing spent encoding for one read
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # one thread: this machine is shared
    try:
        proc = subprocess.run([exe, "stdin", "stdout", "-l", "eng", "--psm", "3", "tsv"],
                              input=buf.getvalue(), capture_output=True, timeout=300, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LoadError(f"{name}: tesseract failed ({exc}).") from exc
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        raise LoadError(f"{name}: tesseract failed ({err[-1] if err else proc.returncode}); "
                        f"is its English data installed? ({INSTALL_OCR})")
    return proc.stdout.decode("utf-8", errors="replace")


def _ocr(page, number: int, name: str, note: str = NO_OCR) -> PageText:
    exe = tesseract()
    if exe is None:
        return PageText(number, "", [], "skipped", note)
    with _LOCK:
        image = page.render(scale=OCR_SCALE, grayscale=True).to_pil()
    words = tsv_words(_run_tesseract(exe, image, name))
    size = image.size

    def to_page(rect) -> Box:  # pixels of that render back to PDF points, /Rotate included
        xs, ys = [], []
        for dx, dy in ((rect[0], rect[1]), (rect[2], rect[3])):
            px, py = pdfium_c.c_double(), pdfium_c.c_double()
            pdfium_c.FPDF_DeviceToPage(page.raw, 0, 0, size[0], size[1], 0, round(dx),
                                       round(dy), px, py)
            xs.append(px.value)
            ys.append(py.value)
        return (min(xs), min(ys), max(xs), max(ys))

    with _LOCK:
        text, boxes = words_text(words, to_page)
    return PageText(number, text, boxes, "ocr", turns=_turns(page))


# -- pages -------------------------------------------------------------------------------------


def _read(pdf, page, number: int, name: str, digest: Callable[[], str],
          ocr_cache: Path | None, on_ocr: OcrProgress | None) -> PageText:
    with _LOCK:
        text, boxes, fonts = _text_layer(page)
        scan = _is_scan(page, text)
        turns = _turns(page)
    bad = not scan and garbled(text)
    if not (scan or bad):
        return PageText(number, text, boxes, "text" if text.strip() else "blank", turns=turns,
                        fonts=fonts)
    if on_ocr and tesseract():
        on_ocr(number, len(pdf))
    cache = ocr_cache / f"{digest()}-{number}.json" if ocr_cache else None
    return cached(cache, lambda: _ocr(page, number, name, GARBLED_NO_OCR if bad else NO_OCR))


def read_pages(pdf: pdfium.PdfDocument, name: str, digest: str, ocr_cache: Path | None = None,
               on_ocr: OcrProgress | None = None) -> list[PageText]:
    """Every page's text and character boxes, in page order.

    A page with no text layer but an image, or with a garbled text layer (garbled), is read
    by Tesseract; without Tesseract it comes back empty with method "skipped" and a note
    saying why, never as a silently empty page.

    Args:
        pdf: an open document (open_pdf).
        name: the file's name, for messages.
        digest: the file's SHA-256, which keys the OCR cache.
        ocr_cache: folder of OCR results (None: no cache).
        on_ocr: called before each page that Tesseract reads.

    Raises:
        LoadError: Tesseract is installed but failed.
    """
    with _LOCK:
        pages = [pdf[i] for i in range(len(pdf))]
    return [_read(pdf, page, i + 1, name, lambda: digest, ocr_cache, on_ocr)
            for i, page in enumerate(pages)]


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, read a megabyte at a time (the index keys versions by it)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_mtime_ns, st.st_size


@lru_cache(maxsize=32)
def _page_text(path: Path, stamp: tuple[int, int], number: int, ocr_cache: Path | None
               ) -> PageText:
    with _opened(path, number) as (pdf, page):
        return _read(pdf, page, number, path.name, lambda: file_digest(path), ocr_cache, None)


def page_text(path: Path, number: int, ocr_cache: Path | None = None) -> PageText:
    """One page's text and boxes, exactly as read_pages gives them (cached per version).

    Raises:
        LoadError: the file is not a readable PDF, or has no such page.
    """
    return _page_text(Path(path), _stamp(path), number, ocr_cache)


def highlight(path: Path, citation: Quoted, ocr_cache: Path | None = None
              ) -> list[Highlight]:
    """The boxes of every supporting sentence of a citation of a PDF page.

    Args:
        path: the cited PDF.
        citation: its page, passage offsets (start, end, text) and sentence spans.
        ocr_cache: the OCR cache the index was built with (for scanned pages).

    Returns:
        One Highlight per supporting sentence (none when the citation has no page).

    Raises:
        LoadError: the file is unreadable, lost the page, or no longer holds the passage at
            its offsets (it changed since it was indexed).
    """
    if not citation.page:
        return []
    page = page_text(path, citation.page, ocr_cache)
    if page.text[citation.start:citation.end] != citation.text:
        raise LoadError(f"{path.name}: page {citation.page} has changed since it was "
                        "indexed; rebuild the index to highlight the passage.")
    spans = citation.spans or [[citation.quote_start, citation.quote_end]]
    return [Highlight(citation.page, (citation.start + s, citation.start + e),
                      line_rects(page.boxes, citation.start + s, citation.start + e,
                                 page.turns))
            for s, e in spans]


# -- images ------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _render(path: Path, stamp: tuple[int, int], number: int, scale: float) -> Rendered:
    with _opened(path, number) as (pdf, page):
        with _LOCK:
            image = page.render(scale=scale).to_pil()
            pages = len(pdf)
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)  # a third of the time of the default
    return Rendered(buf.getvalue(), image.width, image.height, pages)


def render_page(path: Path, number: int, scale: float = RENDER_SCALE) -> Rendered:
    """Page `number` (1-based) as a PNG as it is displayed (its /Rotate applied), cached per
    file version, page and scale.

    Raises:
        LoadError: not a readable PDF, or no such page.
    """
    return _render(Path(path), _stamp(path), number, scale)


def on_image(path: Path, number: int, rects: list[Box]
             ) -> list[tuple[float, float, float, float]]:
    """PDF-point boxes as (left, top, width, height) fractions of the page's image, by
    PDFium's own page-to-device transform (/Rotate and the crop box included).

    Raises:
        LoadError: not a readable PDF, or no such page.
    """
    size = 1_000_000  # a large virtual device: whole-unit rounding costs nothing
    out = []
    with _opened(path, number) as (_, page), _LOCK:
        for x0, y0, x1, y1 in rects:
            xs, ys = [], []
            for px, py in ((x0, y0), (x1, y1)):
                dx, dy = pdfium_c.c_int(), pdfium_c.c_int()
                pdfium_c.FPDF_PageToDevice(page.raw, 0, 0, size, size, 0, px, py, dx, dy)
                xs.append(dx.value / size)
                ys.append(dy.value / size)
            out.append((min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)))
    return out
