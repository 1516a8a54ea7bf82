"""Document titles (rag.ingest.titles): a PDF's metadata title only when its first page bears
it out, else the line drawn largest on the first page; Markdown's front matter title, else its
first heading; a readable name from a file name. Authors from a PDF's byline, Markdown front
matter, or a byline line of a Markdown or text file."""

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


@pytest.mark.parametrize("text", [
    "---\ntitle: Field Notes\nsort_rank: 2\n---\n\n# Other Heading\n\nText here.\n",
    "---\n# a comment, not a title\ntitle: \"Field Notes\"\n---\nText here.\n",
    "+++\ntitle = \"Field Notes\"\n+++\n\nText here.\n",
    "```sh\n# install it first\n```\n\nField Notes\n===========\n\nText here.\n",
], ids=["yaml", "yaml-comment", "toml", "setext-after-code"])
def test_a_markdown_title_from_front_matter_else_a_heading_outside_code(tmp_path, text):
    assert title_of(write(tmp_path / "notes.md", text)) == "Field Notes"


@pytest.mark.parametrize("text", [
    "## Field Notes\n\n" + "Text here.\n\n" * 60 + "# of servers 1 50 250 500\n\nMore.\n",
    "# " + " ".join(["reads 1212 593 479"] * 9) + "\n\nText here.\n",
], ids=["late-heading", "table-row"])
def test_a_markdown_heading_deep_in_the_file_or_too_long_is_no_title(tmp_path, text):
    """(A paper turned into Markdown: a table's header line read as "# of servers ...")"""
    assert title_of(write(tmp_path / "notes.md", text)) is None


def test_broken_front_matter_is_no_title_and_no_error(tmp_path):
    path = write(tmp_path / "notes.md", "---\ntitle: [unclosed\n---\n\n# Field Notes\n")
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


def authors_of(path: Path) -> list[str]:
    found = load_file(path, path.name)[0].metadata.get("authors")
    return found.split("; ") if found else []


BYLINE = ["Ann Q. Lee, Bo Ng and CARLA DIAZ", "University of Nowhere, Springfield, NV 89501",
          "{lee,ng}@nowhere.edu", "Abstract", *BODY]


def test_authors_are_the_people_the_first_page_lists_under_the_title(tmp_path):
    path = titled_pdf(tmp_path / "h.pdf", "Consensus in Practice", None, lines=BYLINE)
    assert authors_of(path) == ["Ann Q. Lee", "Bo Ng", "Carla Diaz"]


@pytest.mark.parametrize("byline, people", [
    (["Nancy Leveson University of Washington"], ["Nancy Leveson"]),  # affiliation cut off
    (["By A. EINSTEIN", "June 30, 1905"], ["A. Einstein"]),
    (["Robbert van Renesse", "Cornell University, Ithaca, New York 14853"],
     ["Robbert van Renesse"]),
    (["Palo Alto, CA 94303", "The Free Haven Project"], []),  # an address and a project
])
def test_a_byline_keeps_people_and_leaves_places_and_affiliations(tmp_path, byline, people):
    path = titled_pdf(tmp_path / "i.pdf", "Consensus in Practice", None,
                      lines=[*byline, "Abstract", *BODY])
    assert authors_of(path) == people


def test_a_metadata_author_counts_only_when_the_first_page_shows_it(tmp_path):
    """No byline here (the abstract follows the title): the metadata author is taken when
    its words are on the page, never "Administrator"."""
    from reportlab.pdfgen import canvas

    for name, author, shown in (("j.pdf", "Dana Wu", ["Dana Wu"]), ("k.pdf", "Administrator", [])):
        path = tmp_path / name
        pdf = canvas.Canvas(str(path))
        pdf.setTitle("Replicated Logs")
        pdf.setAuthor(author)
        pdf.setFont("Helvetica", 10)
        for i, line in enumerate(["Replicated Logs", "Abstract", "Notes by Dana Wu.", *BODY]):
            pdf.drawString(72, 740 - 14 * i, line)
        pdf.showPage()
        pdf.save()
        assert authors_of(path) == shown


def test_html_and_docx_fall_back_to_their_first_heading(tmp_path):
    from conftest import make_docx

    html = write(tmp_path / "page.html", "<html><body><p>Intro.</p><h1>Field Notes</h1>"
                 "<p>Text here.</p></body></html>")
    assert title_of(html) == "Field Notes"
    docx = make_docx(tmp_path / "memo.docx", ["Field Notes", "Text here."], heading=True)
    assert title_of(docx) == "Field Notes"


@pytest.mark.parametrize("name, text, people", [
    ("post.md", "---\ntitle: Pull or push\nauthor_name: Julius Volz (@juliusv)\n---\n\nText.\n",
     ["Julius Volz"]),
    ("post.md", "---\ntitle: Pull or push\nauthors:\n  - Dana Wu\n  - name: Li Chen\n---\n"
     "\nText.\n", ["Dana Wu", "Li Chen"]),
    ("note.md", "# Tide Tables\n\n*By Dana Wu and Li Chen*\n\nThe tides turn twice a day.\n",
     ["Dana Wu", "Li Chen"]),
    ("note.txt", "Tide Tables\n\nAuthor: Dana Wu\n\nThe tides turn twice a day.\n",
     ["Dana Wu"]),
    ("note.txt", "Tide Tables\n\nWritten by Dana Wu, Lund University\n\nThe tides turn.\n",
     ["Dana Wu"]),
])
def test_markdown_and_text_authors_from_front_matter_or_a_byline(tmp_path, name, text, people):
    assert authors_of(write(tmp_path / name, text)) == people


@pytest.mark.parametrize("text", [
    "Tide Tables\n\nBy default, the Harbour Office posts tides daily.\n",
    "Tide Tables\n\nOne.\n\nTwo.\n\nThree.\n\nFour.\n\nFive.\n\nBy Dana Wu\n",
])
def test_a_sentence_opening_with_by_or_a_late_byline_names_nobody(tmp_path, text):
    assert authors_of(write(tmp_path / "note.txt", text)) == []
