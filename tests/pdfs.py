"""PDF fixtures made on the fly: a two-column, two-page report with a hyphen at a line end
and "fi" ligatures, a rotated page, and scans of them (pages rendered to images and wrapped
back into a PDF, with no text layer, or with a garbled one drawn invisibly over them)."""

from __future__ import annotations

from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

# Bitstream Vera ships inside reportlab and has the U+FB01 "fi" ligature glyph.
FONT = "Vera"
pdfmetrics.registerFont(TTFont(FONT, str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf")))
SIZE, LEADING, COLUMNS, TOP = 11, 14, (60, 320), 740

# Each page: (left column lines, right column lines). Blank lines separate paragraphs.
PAGES = [
    (["Brightwater Island lies four miles off", "the northern cape. Its harbour was",
      "dredged in 1872 and a ferry has run", "twice a day ever since.", "",
      "The island school closed in 1958,", "when the last families moved to the",
      "mainland for work in the canneries."],
     ["Keepers lived on salted cod, oats and", "rainwater collected from the roof of",
      "the oil store. Supply boats came", "fortnightly in calm weather and not at",
      "all during the winter gales."]),
    (["The fog signal was a compressed air", "siren installed in 1903. It sounded",
      "two blasts every minute and could be", "heard eleven miles out to sea on a",
      "still night."],
     ["Repairs were logged by the island", "keepers. The Brightwater lighthouse",
      "lenses were certi\ufb01ed in 1911 by the opti-", "cal engineer Marguerite Okonkwo, who",
      "tested each prism at night. Her", "report ran to forty pages and is",
      "kept in the \ufb01shery museum."]),
]
QUESTION = "Who certified the Brightwater lighthouse lenses?"
ANSWER = "Marguerite Okonkwo"
# the supporting sentence as the page text holds it (line breaks are two spaces there)
SENTENCE_START = "The Brightwater lighthouse"
SENTENCE_END = "tested each prism at night."
NEXT_WORDS = "Her"  # starts the next sentence on the same line


def make_two_column_pdf(path: Path, pages=PAGES, rotated: bool = False,
                        title: str = "Brightwater") -> Path:
    """A text PDF of two-column pages (Vera 11 pt on 14 pt leading, US Letter).

    rotated: each page is stored the way a landscape scanner or printer stores it, a
    landscape media box with the text running up it and /Rotate 90, so that it displays
    exactly like the upright page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # reportlab writes the media box of a page turned by 90 degrees turned: landscape here
    pdf = canvas.Canvas(str(path), pagesize=(612, 792))
    pdf.setTitle(title)
    for columns in pages:
        if rotated:
            pdf.setPageRotation(90)
            pdf.transform(0, 1, -1, 0, 792, 0)  # displayed (X, Y) is stored at (792 - Y, X)
        pdf.setFont(FONT, SIZE)
        for x, lines in zip(COLUMNS, columns):
            y = TOP
            for line in lines:
                if line:
                    pdf.drawString(x, y, line)
                y -= LEADING
        pdf.showPage()
    pdf.save()
    return path


def make_scanned_pdf(path: Path, text_pdf: Path, dpi: int = 200) -> Path:
    """`text_pdf` as a scan: each page rendered to a greyscale image (by PDFium, displayed
    rotation included) and the images wrapped into a PDF without any text layer."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(text_pdf))
    images = [page.render(scale=dpi / 72, grayscale=True).to_pil() for page in doc]
    doc.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return path


# A broken font encoding: each letter drawn stands for another character (ASCII, so Vera has
# a glyph for each), much as therac.pdf's text layer reads "[olZ" for "the".
GARBLE = str.maketrans("abcdefghijklmnopqrstuvwxyz", "j=rkZ{gl~}w|u^tvqmy[abx\\n#")
# Both pages of PAGES on one page: a full page of garbage, enough for
# rag.ingest.pdf.garbled to judge.
ONE_PAGE = [tuple(a + [""] + b for a, b in zip(*PAGES))]


def make_garbled_pdf(path: Path, text_pdf: Path, dpi: int = 200) -> Path:
    """`text_pdf` with a garbled text layer: each page is its image (as in make_scanned_pdf)
    with the page's own words drawn over it invisibly (text render mode 3) through GARBLE,
    so the page shows readable text while PDFium reads garbage, line for line."""
    import pypdfium2 as pdfium
    from reportlab.lib.utils import ImageReader

    doc = pdfium.PdfDocument(str(text_pdf))
    pages = []
    for page in doc:
        textpage = page.get_textpage()
        pages.append((page.get_size(), page.render(scale=dpi / 72, grayscale=True).to_pil(),
                      textpage.get_text_range().split("\r\n")))
    doc.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = canvas.Canvas(str(path))
    for (width, height), image, lines in pages:
        pdf.setPageSize((width, height))
        pdf.drawImage(ImageReader(image), 0, 0, width, height)
        text = pdf.beginText(COLUMNS[0], TOP)
        text.setTextRenderMode(3)  # invisible: OCR sees only the image
        text.setFont(FONT, SIZE)
        for line in lines:
            text.textLine(line.lower().translate(GARBLE))
        pdf.drawText(text)
        pdf.showPage()
    pdf.save()
    return path


def make_mixed_pdf(path: Path, text_pdf: Path, scanned_pdf: Path) -> Path:
    """Page 1 from `text_pdf` (a text layer), page 2 from `scanned_pdf` (an image only)."""
    import pypdfium2 as pdfium

    out = pdfium.PdfDocument.new()
    for source, index in ((text_pdf, 0), (scanned_pdf, 1)):
        doc = pdfium.PdfDocument(str(source))
        out.import_pages(doc, [index])
        doc.close()
    out.save(str(path))
    out.close()
    return path


def pdfium_chars(path: Path, number: int) -> list[tuple[int, tuple, bool]]:
    """PDFium's own view of page `number`: (code point, tight box, made up?) per character,
    read straight from pypdfium2 to check rag.ingest.pdf against."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    doc = pdfium.PdfDocument(str(path))
    textpage = doc[number - 1].get_textpage()
    out = [(raw.FPDFText_GetUnicode(textpage.raw, i), textpage.get_charbox(i),
            raw.FPDFText_IsGenerated(textpage.raw, i) == 1)
           for i in range(textpage.count_chars())]
    doc.close()
    return out


def covered(path: Path, number: int, rects, span: tuple[int, int]) -> list[str]:
    """What is wrong with `rects` as a highlight of characters span[0]..span[1] of the page,
    judged by PDFium's tight box of every visible character: a sentence character whose
    centre no rectangle holds, or another character whose centre one does. [] = exact."""
    wrong = []
    for i, (code, (x0, y0, x1, y1), made_up) in enumerate(pdfium_chars(path, number)):
        if made_up or chr(code).isspace():
            continue
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        inside = any(r[0] <= cx <= r[2] and r[1] <= cy <= r[3] for r in rects)
        if inside != (span[0] <= i < span[1]):
            wrong.append(f"{i}:{chr(code)!r} {'covered' if inside else 'missed'}")
    return wrong


# -- a paper: running heads, a numbered bold heading, hyphens, a pronoun, references ----------

BOLD_FONT = "VeraBd"
pdfmetrics.registerFont(TTFont(BOLD_FONT, str(Path(reportlab.__file__).parent / "fonts"
                                              / "VeraBd.ttf")))
PAPER_HEADER = "Proceedings of the Harbour Workshop 2026"
PAPER_LEFT, PAPER_TOP = 72, 700
# Each page: lines drawn one under the other (14 pt apart); "" is a blank line (a paragraph
# break); a line starting with "**" is drawn in VeraBd (a heading), the "**" not drawn.
PAPER_PAGES = [
    ["Brightwater light stood on the northern cape for a century.",
     "Marguerite Okonkwo joined the lighthouse service in 1905.",
     "She was promoted to chief engineer of the northern district in 1911.",
     "",
     "**2 Keeper Records",
     "The keepers logged every repair in a bound ledger kept in the",
     "watch room. Each entry in the records was associ-",
     "ated with a storm that damaged the lantern. The fault-tolerant",
     "siren ran on compressed air. Visiting inspectors praised the fault-",
     "tolerant design of the siren house after the great gale of 1899."],
    ["The lantern lenses were certified in 1911 by the optical engineer",
     "Marguerite Okonkwo. Each prism was tested at night with a lamp",
     "carried up the tower stairs by two keepers.",
     "",
     "Supply boats reached the island once a fortnight in calm weather",
     "and not at all during the winter gales."],
    ["The keepers left the island for good when the light was automated.",
     "",
     "**References",
     "[1] M. Okonkwo. Certifying the lantern lenses of the northern",
     "lights in 1911. Journal of Coastal Optics, 4(2):11-19, 1912.",
     "[2] T. Brand. Fog signals of the northern cape. Harbour Review,",
     "7(1):3-9, 1904.",
     "[3] A. Lindqvist. Ledgers of the lighthouse keepers. Maritime",
     "History Quarterly, 12(4):40-52, 1931."],
]


def make_paper_pdf(path: Path, title: str = "Keeper Records", heavy: bool = False) -> Path:
    """A 3-page US-Letter paper, one column at x=72, Vera 11 pt body on 14 pt leading from
    y=700 down. What is where (tests/ingest/test_layout.py relies on it):

    - every page: the running header PAPER_HEADER at y=770 (9 pt) and its page number
      alone at y=40 (9 pt): furniture;
    - page 1: a paragraph "Brightwater light stood ..." holding the person sentence
      "Marguerite Okonkwo joined the lighthouse service in 1905." and the pronoun sentence
      "She was promoted to chief engineer of the northern district in 1911." right after it;
      a blank line; the bold numbered heading "2 Keeper Records" (VeraBd 11 pt) drawn on its
      own line with normal leading right above the body (same x, 14 pt below), which starts
      "The keepers logged every repair in a bound ledger kept in the watch room.";
      then "Each entry in the records was associ-" / "ated with a storm that damaged the
      lantern." (a word hyphenated at a line end), "The fault-tolerant siren ran on
      compressed air." (a real hyphen inside a line) and "... praised the fault-" /
      "tolerant design of the siren house ..." (a real hyphen at a line end);
    - page 2: the fact "The lantern lenses were certified in 1911 by the optical engineer
      Marguerite Okonkwo." in the body;
    - page 3: a body sentence, the bold heading "References", then three references
      ("[1] M. Okonkwo. Certifying the lantern lenses of the northern lights in 1911.
      Journal of Coastal Optics, ..." over two lines each).

    heavy: the body is set in the bold font too (some papers' body font reports weight 792).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = canvas.Canvas(str(path), pagesize=(612, 792))
    pdf.setTitle(title)
    for number, lines in enumerate(PAPER_PAGES, 1):
        pdf.setFont(FONT, 9)
        pdf.drawString(PAPER_LEFT, 770, PAPER_HEADER)
        pdf.drawString(306, 40, str(number))
        y = PAPER_TOP
        for line in lines:
            if line.startswith("**"):
                pdf.setFont(BOLD_FONT, SIZE)
                pdf.drawString(PAPER_LEFT, y, line[2:])
            elif line:
                pdf.setFont(BOLD_FONT if heavy else FONT, SIZE)
                pdf.drawString(PAPER_LEFT, y, line)
            y -= LEADING
        pdf.showPage()
    pdf.save()
    return path
