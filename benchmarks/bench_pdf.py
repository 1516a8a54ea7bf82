"""PDF page view: render times (first and cached) and highlight-box accuracy, printed.

    python benchmarks/bench_pdf.py [--pages 20] [--ocr]

It makes its PDFs in a temp folder: the tests' two-column report, and a dense document of
--pages pages (two columns of 11 pt text, about 1,000 words a page). For each page it times
the first render (open, rasterise at the evidence panel's scale, PNG) with the cache empty,
then a cached render. Then, for every sentence of every page, it checks the highlight
rectangles against PDFium's own character boxes: each rectangle must hold the centres of
that sentence's characters and of no other. --ocr also times Tesseract on a scanned page.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from pdfs import covered, make_scanned_pdf, make_two_column_pdf  # noqa: E402
from rag.ingest import pdf  # noqa: E402
from rag.text import sentences  # noqa: E402

WORDS = ("harbour keeper lens prism signal ferry island lantern beacon tide current "
         "channel buoy chart survey engineer report museum winter gale cargo dock pier "
         "vessel light tower coast rock reef shoal storm").split()


def dense_pages(n: int) -> list[tuple[list[str], list[str]]]:
    """n pages of two 48-line columns of made-up sentences; every fifth line ends with a
    word hyphenated onto the next line."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from pdfs import FONT, SIZE

    pages, k = [], 0
    for _ in range(n):
        columns = []
        for _ in range(2):
            lines, carry = [], ""
            for row in range(48):
                line = carry
                while True:
                    k += 1
                    word = WORDS[(k * 7) % len(WORDS)] + ("." if k % 9 == 0 else "")
                    word = word.capitalize() if k % 9 == 1 else word  # a sentence starts
                    if stringWidth(f"{line} {word} sig-", FONT, SIZE) > 225:
                        break
                    line = f"{line} {word}".strip()
                carry = ""
                if row % 5 == 4:
                    line, carry = line + " sig-", "nal"
                lines.append(line)
            columns.append(lines)
        pages.append(tuple(columns))
    return pages


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def time_renders(path: Path, pages: int) -> tuple[list[float], list[float]]:
    first, cached = [], []
    for number in range(1, pages + 1):
        pdf._render.cache_clear()
        t = time.perf_counter()
        pdf.render_page(path, number)
        first.append(time.perf_counter() - t)
        t = time.perf_counter()
        pdf.render_page(path, number)
        cached.append(time.perf_counter() - t)
    return first, cached


def check_boxes(path: Path, pages: int) -> tuple[int, int, int]:
    """(sentences checked, rectangles, sentences whose rectangles are not exact)."""
    checked = rects = wrong = 0
    for number in range(1, pages + 1):
        page = pdf.page_text(path, number)
        for start, end in sentences(page.text):
            found = pdf.line_rects(page.boxes, start, end, page.turns)
            checked, rects = checked + 1, rects + len(found)
            if covered(path, number, found, (start, end)):
                wrong += 1
    return checked, rects, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--ocr", action="store_true", help="also time OCR of a scanned page")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = make_two_column_pdf(Path(tmp) / "report.pdf")
        dense = make_two_column_pdf(Path(tmp) / "dense.pdf", pages=dense_pages(args.pages))
        print("| document | pages | first render p50 ms | max ms | cached p50 ms | max ms |")
        print("|---|---|---|---|---|---|")
        for name, path, n in (("two-column report", report, 2), ("dense", dense, args.pages)):
            first, cached = time_renders(path, n)
            print(f"| {name} | {n} | {ms(statistics.median(first))} | {ms(max(first))} | "
                  f"{ms(statistics.median(cached))} | {ms(max(cached))} |")
        print()
        print("| document | sentences | rectangles | not exact |")
        print("|---|---|---|---|")
        for name, path, n in (("two-column report", report, 2), ("dense", dense, args.pages)):
            checked, rects, wrong = check_boxes(path, n)
            print(f"| {name} | {checked} | {rects} | {wrong} |")
        if args.ocr:
            scan = make_scanned_pdf(Path(tmp) / "scan.pdf", report)
            doc = pdf.open_pdf(scan, "scan.pdf")
            t = time.perf_counter()
            pdf.read_pages(doc, "scan.pdf", "bench")
            pdf.close(doc)
            print(f"\nOCR (Tesseract, 300 dpi, one thread): {(time.perf_counter() - t) / 2:.2f} s "
                  "a page")


if __name__ == "__main__":
    main()
