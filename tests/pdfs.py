"""PDF fixtures made on the fly: a two-column, two-page report with a hyphen at a line end
and "fi" ligatures, a rotated page, and scans of them (pages rendered to images and wrapped
back into a PDF, with no text layer)."""

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
      "lenses were certi\ufb01ed in 1911 by the", "optical engi-", "neer Marguerite Okonkwo, who",
      "tested each prism at night. Her", "report ran to forty pages and is",
      "kept in the \ufb01shery museum."]),
]
QUESTION = "Who certified the Brightwater lighthouse lenses?"
ANSWER = "Marguerite Okonkwo"
# the supporting sentence as the page text holds it (line breaks are two spaces there)
SENTENCE_START = "The Brightwater lighthouse"
SENTENCE_END = "tested each prism at night."
NEXT_WORDS = "Her"  # starts the next sentence on the same line


def make_two_column_pdf(path: Path, pages=PAGES, rotate: int = 0, title: str = "Brightwater"
                        ) -> Path:
    """A text PDF of two-column pages (Vera 11 pt on 14 pt leading, US Letter)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = canvas.Canvas(str(path), pagesize=(612, 792))
    pdf.setTitle(title)
    for columns in pages:
        if rotate:
            pdf.setPageRotation(rotate)
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
