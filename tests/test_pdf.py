"""PDF: PDFium's characters as page text one for one, highlight boxes exact to the character,
rotated pages, page images, and OCR of scanned pages with and without Tesseract."""

from __future__ import annotations

import io
import json
import shutil

import pytest
from PIL import Image

from pdfs import (ANSWER, QUESTION, SENTENCE_END, SENTENCE_START, covered, make_mixed_pdf,
                  make_scanned_pdf, make_two_column_pdf, pdfium_chars)
from rag import indexer, pdf, sources
from rag.chunking import chunk_documents
from rag.citations import make_citation
from rag.errors import IndexMismatchError, LoadError
from rag.loaders import load_file, skipped_pages
from rag.pagetext import line_break, tsv_words, words_text

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="OCR tests need tesseract (`make ocr`)")


@pytest.fixture
def report_pdf(sources):
    return make_two_column_pdf(sources / "brightwater.pdf")


def sentence_span(text: str) -> tuple[int, int]:
    start = text.index(SENTENCE_START)
    return start, text.index(SENTENCE_END, start) + len(SENTENCE_END)


def cite_sentence(docs, number: int):
    """A citation of the supporting sentence on page `number`, from the real chunks."""
    for chunk in chunk_documents([docs[number - 1]], 800, 120):
        if SENTENCE_START in chunk.page_content and SENTENCE_END in chunk.page_content:
            return make_citation(1, chunk, sentence_span(chunk.page_content))
    raise AssertionError("no chunk holds the sentence")


def test_page_text_is_pdfiums_characters_one_for_one(report_pdf):
    docs = load_file(report_pdf, "brightwater.pdf")
    assert [d.metadata["page"] for d in docs] == [1, 2]
    assert all(d.metadata["title"] == "Brightwater" for d in docs)
    for doc in docs:
        chars = pdfium_chars(report_pdf, doc.metadata["page"])
        assert len(doc.page_content) == len(chars)
        for i, (ch, (code, _, made_up)) in enumerate(zip(doc.page_content, chars)):
            if not made_up:
                assert ch == ("-" if code == 2 else chr(code)), i
    # two columns read in order, each paragraph and column apart, lines of one run together
    page1 = docs[0].page_content
    assert page1.index("twice a day") < page1.index("The island school") < page1.index("Keepers")
    assert "ever since.\n\nThe island school" in page1
    assert "the winter gales." in page1 and "salted cod, oats and  rainwater" in page1


def test_a_ligature_and_a_hyphen_at_a_line_end(report_pdf):
    text = pdf.page_text(report_pdf, 2).text
    chars = pdfium_chars(report_pdf, 2)
    f = text.index("certified") + len("certi")
    assert chars[f][1] == chars[f + 1][1]  # "f" and "i" come from one "ﬁ" glyph
    hyphen = text.index("opti-cal") + len("opti")
    assert chars[hyphen][0] == 2  # PDFium's mark of a hyphen ending a line
    assert "fishery" in text  # the other ligature
    rects = pdf.line_rects(pdf.page_text(report_pdf, 2).boxes, hyphen - 4, hyphen + 4)
    assert len(rects) == 2  # "opti-" on one line, "cal" on the next
    assert covered(report_pdf, 2, rects, (hyphen - 4, hyphen + 4)) == []


def test_highlight_covers_the_sentence_and_nothing_else(report_pdf):
    docs = load_file(report_pdf, "brightwater.pdf")
    citation = cite_sentence(docs, 2)
    [hl] = pdf.highlight(report_pdf, citation)
    text = docs[1].page_content
    assert hl.page == 2 and hl.span == sentence_span(text)
    assert len(hl.rects) == 4  # the sentence runs over four lines: one rectangle each
    assert covered(report_pdf, 2, hl.rects, hl.span) == []


def test_highlight_refuses_a_file_changed_since_indexing(report_pdf):
    citation = cite_sentence(load_file(report_pdf, "brightwater.pdf"), 2)
    make_two_column_pdf(report_pdf, pages=[(["Only one page now."], [])])
    with pytest.raises(LoadError, match="no page 2"):
        pdf.highlight(report_pdf, citation)
    make_two_column_pdf(report_pdf, pages=[([], []), (["Other words."], [])])
    with pytest.raises(LoadError, match="has changed since it was indexed"):
        pdf.highlight(report_pdf, citation)


def test_rotated_page_boxes_land_on_the_rendered_text(sources):
    # stored landscape with the text running up the page, displayed upright by /Rotate 90
    upright = make_two_column_pdf(sources / "upright.pdf")
    turned = make_two_column_pdf(sources / "turned.pdf", rotated=True)
    page = pdf.page_text(turned, 2)
    assert page.turns == 1 and page.text == pdf.page_text(upright, 2).text
    start, end = sentence_span(page.text)
    rects = pdf.line_rects(page.boxes, start, end, page.turns)
    assert len(rects) == 4 and all(r[3] - r[1] > r[2] - r[0] for r in rects)  # tall
    assert covered(turned, 2, rects, (start, end)) == []
    shown = pdf.render_page(turned, 2)
    assert (shown.width, shown.height) == (918, 1188)  # displayed upright
    straight = pdf.line_rects(pdf.page_text(upright, 2).boxes, start, end)
    for got, want in zip(pdf.on_image(turned, 2, rects), pdf.on_image(upright, 2, straight)):
        assert got == pytest.approx(want, abs=1e-4)  # the same place on the same image
    image = Image.open(io.BytesIO(shown.png)).convert("L")
    for l, t, w, h in pdf.on_image(turned, 2, rects):
        box = tuple(round(v) for v in (l * shown.width, t * shown.height,
                                       (l + w) * shown.width, (t + h) * shown.height))
        ink = sum(image.crop(box).histogram()[:128])  # dark pixels
        assert ink > 0.05 * (box[2] - box[0]) * (box[3] - box[1])  # text is under it


def test_render_is_a_png_of_the_page_cached_per_file_version(report_pdf):
    first = pdf.render_page(report_pdf, 2)
    assert first.png.startswith(b"\x89PNG") and (first.width, first.height, first.pages) == \
        (918, 1188, 2)  # US Letter at 1.5 px per point
    assert pdf.render_page(report_pdf, 2) is first
    with pytest.raises(LoadError, match="no page 3"):
        pdf.render_page(report_pdf, 3)
    make_two_column_pdf(report_pdf, pages=[(["A new first page."], [])] * 3)
    assert pdf.render_page(report_pdf, 3).pages == 3  # a changed file is rendered again


def test_pagetext_line_breaks_and_ocr_words():
    assert line_break((0, 700, 200, 711), (0, 686, 150, 697)) == "  "  # wraps: same paragraph
    assert line_break((0, 700, 200, 711), (0, 658, 150, 669)) == "\n\n"  # a gap: paragraph
    assert line_break((0, 100, 200, 111), (300, 700, 500, 711)) == "\n\n"  # next column
    tsv = ("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight"
           "\tconf\ttext\n"
           "5\t1\t1\t1\t1\t1\t10\t10\t40\t10\t95\topti-\n"
           "5\t1\t1\t1\t2\t1\t10\t30\t30\t10\t95\tcal\n"
           "5\t1\t1\t1\t2\t2\t50\t30\t30\t10\t95\tlens\n"
           "5\t1\t1\t2\t1\t1\t10\t60\t30\t10\t95\tNext\n")
    text, boxes = words_text(tsv_words(tsv), lambda r: r)
    assert text == "opti-cal lens\n\nNext"
    assert len(boxes) == len(text) and boxes[8] is None is boxes[13]
    assert boxes[0] == (10, 10, 18, 20) and boxes[4] == (42, 10, 50, 20)  # equal shares


def test_an_index_built_by_the_old_pdf_loader_asks_for_a_rebuild(settings, report_pdf,
                                                                  monkeypatch):
    real = indexer.index_config
    monkeypatch.setattr(indexer, "index_config",
                        lambda s: {k: v for k, v in real(s).items() if k != "pdf_text"})
    indexer.sync(settings)
    monkeypatch.setattr(indexer, "index_config", real)
    with pytest.raises(IndexMismatchError, match="pdf_text.*rag index --rebuild"):
        indexer.sync(settings)
    assert indexer.sync(settings, rebuild=True).chunks > 0


def test_a_question_answered_on_page_2_is_highlighted_exactly(settings, report_pdf):
    from rag.answer import Pipeline

    assert not indexer.sync(settings).failed
    result = Pipeline(settings).ask(QUESTION)
    assert not result.abstained and ANSWER in result.answer, result
    c = result.citations[0]
    assert (c.source, c.page) == ("brightwater.pdf", 2)
    [hl] = sources.highlights(settings, c)
    page = pdf.page_text(report_pdf, 2).text
    assert page[hl.span[0]:hl.span[1]] == c.quote and ANSWER in c.quote
    assert covered(report_pdf, 2, hl.rects, hl.span) == []


@needs_tesseract
def test_a_scanned_pdf_is_ocrd_answered_from_and_highlighted(settings, tmp_path):
    original = make_two_column_pdf(tmp_path / "original.pdf")
    scan = make_scanned_pdf(settings.sources_dir / "scan.pdf", original)
    assert pdfium_chars(scan, 2) == []  # no text layer at all
    seen = []
    report = indexer.sync(settings, on_ocr=lambda *a: seen.append(a))
    assert not report.failed and not report.skipped
    assert seen == [("scan.pdf", 1, 2), ("scan.pdf", 2, 2)]  # progress per page
    assert len(list(indexer.ocr_dir(settings).glob("*.json"))) == 2

    from rag.answer import Pipeline

    result = Pipeline(settings).ask(QUESTION)
    assert not result.abstained and ANSWER in result.answer, result
    c = result.citations[0]
    assert (c.source, c.page) == ("scan.pdf", 2)
    [hl] = sources.highlights(settings, c)
    # the scan has the original's coordinates: judge the OCR boxes by PDFium's boxes there
    assert covered(original, 2, hl.rects, sentence_span(pdf.page_text(original, 2).text)) == []


@needs_tesseract
def test_ocr_reads_back_from_its_cache(tmp_path):
    scan = make_scanned_pdf(tmp_path / "scan.pdf", make_two_column_pdf(tmp_path / "o.pdf"))
    cache = tmp_path / "ocr"
    docs = load_file(scan, "scan.pdf", ocr_cache=cache)
    assert ANSWER in docs[1].page_content and "Brightwater Island" in docs[0].page_content
    entry = next(cache.glob("*-2.json"))
    data = json.loads(entry.read_text())
    data["text"] = data["text"].replace("Okonkwo", "Okonkwa")  # what the cache says is used
    entry.write_text(json.dumps(data))
    assert "Okonkwa" in pdf.page_text(scan, 2, cache).text


def test_a_scan_without_tesseract_is_reported_never_indexed_empty(settings, tmp_path,
                                                                 monkeypatch):
    original = make_two_column_pdf(tmp_path / "original.pdf")
    scan = make_scanned_pdf(tmp_path / "scan.pdf", original)
    make_mixed_pdf(settings.sources_dir / "mixed.pdf", original, scan)
    shutil.copy(scan, settings.sources_dir / "scan.pdf")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no tesseract on PATH
    assert pdf.tesseract() is None
    with pytest.raises(LoadError, match=r"^scan\.pdf: pages 1, 2: no text layer; OCR not "
                                        r"installed; install it \(apt-get install tesseract"):
        load_file(settings.sources_dir / "scan.pdf", "scan.pdf")
    docs = load_file(settings.sources_dir / "mixed.pdf", "mixed.pdf")
    assert "Brightwater Island" in docs[0].page_content and docs[1].page_content == ""
    assert skipped_pages(docs) == ["mixed.pdf: page 2: no text layer; OCR not installed; "
                                   "install it (apt-get install tesseract-ocr "
                                   "tesseract-ocr-eng) and run `rag index --rebuild`."]

    report = indexer.sync(settings)
    assert [f.source for f in report.failed] == ["scan.pdf"]
    assert [(s.source, s.reason) for s in report.skipped] == [("mixed.pdf", skipped_pages(docs)[0])]
    assert report.added == ["mixed.pdf"]
    rows = {r.file: r for r in sources.list_files(settings, sources.indexed_files(
        sources.ChunkStore(settings)))}
    assert rows["mixed.pdf"].status.startswith("indexed, but pages were left out: mixed.pdf: "
                                               "page 2: no text layer")
    assert "no text layer; OCR not installed" in rows["scan.pdf"].status
    again = indexer.sync(settings)  # unchanged, and still reported
    assert [s.source for s in again.skipped] == ["mixed.pdf"]
