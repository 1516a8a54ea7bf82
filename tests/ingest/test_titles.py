"""Document titles (rag.ingest.titles): a PDF's metadata title only when its first page bears
it out, else the line drawn largest on the first page; Markdown's first heading; a readable
name from a file name."""

from pathlib import Path

import pytest

from conftest import make_pdf, write
from rag.ingest.loaders import load_file
from rag.ingest.titles import from_file_name

BODY = ["Replicated logs keep every server's state machine in step with the others.",
        "A leader takes requests from clients and sends them to the followers."]


def titled_pdf(path: Path, heading: str | None, meta: str | None, lines=BODY,
               heading_size: int = 22) -> Path:
    """One page: an optional heading drawn large, then body lines at 10 pt."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    if meta:
        pdf.setTitle(meta)
    y = 740
    if heading:
        pdf.setFont("Helvetica-Bold", heading_size)
        pdf.drawString(72, y, heading)
        y -= 40
    pdf.setFont("Helvetica", 10)
    for line in lines:
        pdf.drawString(72, y, line)
        y -= 14
    pdf.showPage()
    pdf.save()
    return path


def title_of(path: Path) -> str | None:
    return load_file(path, path.name)[0].metadata["title"]


def test_a_metadata_title_the_first_page_bears_out_is_kept(tmp_path):
    path = titled_pdf(tmp_path / "a.pdf", "Consensus in Practice", "Consensus in Practice")
    assert title_of(path) == "Consensus in Practice"


@pytest.mark.parametrize("meta", ["paper.dvi", "Microsoft Word - draft3.doc",
                                  "Proceedings Template - WORD", "System Model", None])
def test_otherwise_the_line_drawn_largest_is_the_title(tmp_path, meta):
    path = titled_pdf(tmp_path / "b.pdf", "Consensus in Practice", meta)
    assert title_of(path) == "Consensus in Practice"


def test_a_title_wrapped_over_two_large_lines_is_one(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "c.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawString(72, 740, "The Citation Ranking:")
    pdf.drawString(72, 716, "Bringing Order to the Web")
    pdf.setFont("Helvetica", 10)
    for i, line in enumerate(BODY):
        pdf.drawString(72, 680 - 14 * i, line)
    pdf.showPage()
    pdf.save()
    assert title_of(path) == "The Citation Ranking: Bringing Order to the Web"


def test_without_a_larger_line_a_plausible_metadata_title_stays(tmp_path):
    path = make_pdf(tmp_path / "d.pdf", BODY, title="Harbour")
    assert title_of(path) == "Harbour"
    assert title_of(make_pdf(tmp_path / "e.pdf", BODY, title="paper.dvi")) is None
    assert title_of(make_pdf(tmp_path / "f.pdf", BODY)) is None


def test_a_markdown_files_title_is_its_first_heading(tmp_path):
    path = write(tmp_path / "notes.md", "Some front words.\n\n# Field Notes\n\nText here.\n")
    assert title_of(path) == "Field Notes"


@pytest.mark.parametrize("name, readable", [
    ("the-google-file-system.pdf", "The Google File System"),
    ("tidy_data.pdf", "Tidy Data"),
    ("in-search-of-an-understandable-consensus-algorithm.pdf",
     "In Search of an Understandable Consensus Algorithm"),
    ("sub/TAO-facebook.pdf", "TAO Facebook"),
    ("jails-confining-the-omnipotent-root..pdf", "Jails Confining the Omnipotent Root"),
])
def test_a_readable_name_from_a_file_name(name, readable):
    assert from_file_name(name) == readable


def test_a_file_name_printed_on_the_page_is_still_not_a_title(tmp_path):
    """Word prints "Microsoft Word - draft3.doc" atop each page: the page bears the
    metadata out, and it is still not the title."""
    meta = "Microsoft Word - draft3.doc"
    path = titled_pdf(tmp_path / "g.pdf", None, meta, lines=[meta, *BODY])
    assert title_of(path) is None
