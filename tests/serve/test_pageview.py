"""Page view: the HTML of a cited PDF page (image, highlight rectangles, controls), the
document view's pages and whole text, and the UI handler that switches between them."""

from __future__ import annotations

import base64
import re
from types import SimpleNamespace

import pytest

from pdfs import ANSWER, SENTENCE_END, SENTENCE_START, make_two_column_pdf
from rag.serve import pageview
from rag.ingest import pdf
from rag.ingest.chunking import chunk_documents
from rag.compose.citations import Citation, make_citation
from rag.ingest.loaders import load_file

import ui  # noqa: E402


@pytest.fixture
def cited(settings):
    """A citation of the supporting sentence on page 2 of the two-column report."""
    path = make_two_column_pdf(settings.sources_dir / "brightwater.pdf")
    [chunk] = [c for c in chunk_documents(load_file(path, "brightwater.pdf"), 800, 120)
               if SENTENCE_START in c.page_content]
    start = chunk.page_content.index(SENTENCE_START)
    end = chunk.page_content.index(SENTENCE_END) + len(SENTENCE_END)
    return make_citation(1, chunk, (start, end))


def boxes(html: str) -> list[tuple[float, ...]]:
    return [tuple(float(v) for v in m.groups()) for m in re.finditer(
        r"left:([\d.]+)%;top:([\d.]+)%;width:([\d.]+)%;height:([\d.]+)%", html)]


def test_view_shows_the_page_image_with_one_box_per_line_fragment(settings, cited):
    html = pageview.view(settings, cited)
    png = re.search(r"src='data:image/png;base64,([^']+)'", html).group(1)
    assert base64.b64decode(png) == pdf.render_page(settings.sources_dir / "brightwater.pdf",
                                                    2).png
    assert "Page 2 of 2" in html and "aspect-ratio:918/1188" in html
    assert "data-page='1'>&#9664; Previous page" in html
    assert re.search(r"data-page='3' disabled>Next page", html)  # no page 3
    [hl] = pdf.highlight(settings.sources_dir / "brightwater.pdf", cited)
    expected = pdf.on_image(settings.sources_dir / "brightwater.pdf", 2, hl.rects)
    assert len(boxes(html)) == 4
    for got, want in zip(boxes(html), expected):
        assert got == pytest.approx(tuple(v * 100 for v in want), abs=1e-3)


def test_other_pages_have_no_highlight_and_only_pdf_citations_get_a_view(settings, cited):
    assert boxes(pageview.view(settings, cited, 1)) == []
    text = Citation(n=2, source="notes.txt", page=None, start=0, end=5, text="Notes",
                    quote="Notes", quote_start=0, quote_end=5)
    assert set(pageview.views(settings, [cited, text])) == {1}


def test_a_missing_or_changed_file_is_a_notice_not_an_error(settings, cited):
    path = settings.sources_dir / "brightwater.pdf"
    make_two_column_pdf(path, pages=[([], []), (["Rewritten page two."], [])])
    changed = pageview.view(settings, cited)
    assert "has changed since it was indexed" in changed and boxes(changed) == []
    assert "page-image" in changed  # the page itself is still shown
    path.unlink()
    gone = pageview.view(settings, cited)
    assert "page-missing" in gone and "<img" not in gone


def test_names_are_escaped_in_the_page_view(settings, cited):
    hostile = "<img src=x onerror=alert(1)>.pdf"
    (settings.sources_dir / "brightwater.pdf").rename(settings.sources_dir / hostile)
    cited.source = hostile
    html = pageview.view(settings, cited) + pageview.page(settings, cited, 1)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;.pdf" in html


def test_whole_document_lists_every_page_and_marks_the_passage(settings, cited):
    html = pageview.whole(settings, cited)
    assert re.findall(r"doc-page-no'>(Page \d)", html) == ["Page 1", "Page 2"]
    marked = html[html.index("id='doc-passage'"):]
    assert ANSWER in marked[:marked.index("</span>")]


def test_the_document_handler_opens_a_page_or_the_whole_document(settings, cited):
    handlers = ui.Handlers(ui.Backend(settings))
    _, html = handlers.show_document([cited], SimpleNamespace(cite=1, page=1))
    assert "Page 1 of 2" in html and "page-image" in html
    _, html = handlers.show_document([cited], SimpleNamespace(cite=1, page=0))
    assert "doc-page-no" in html and "page-image" not in html
    _, html = handlers.show_document([cited], SimpleNamespace(cite=1, page=7))
    assert "has no page 7" in html
