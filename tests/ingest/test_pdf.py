"""PDF: PDFium's characters as page text one for one, highlight boxes exact to the character,
rotated pages, page images, OCR of scanned pages with and without Tesseract, and garbled text
layers (a broken font encoding) told from text and read by OCR like a scan."""

from __future__ import annotations

import io
import json
import shutil

import pytest
from PIL import Image

from pdfs import (ANSWER, ONE_PAGE, QUESTION, SENTENCE_END, SENTENCE_START, covered,
                  make_garbled_pdf, make_mixed_pdf, make_scanned_pdf, make_two_column_pdf,
                  pdfium_chars)
from rag.serve import sources
from rag.index import indexer
from rag.ingest import pdf
from rag.ingest.chunking import chunk_documents
from rag.compose.citations import make_citation
from rag.errors import IndexMismatchError, LoadError
from rag.ingest.loaders import load_file, skipped_pages
from rag.ingest.pagetext import line_break, tsv_words, words_text

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


def test_an_index_built_by_the_old_pdf_loader_is_read_again(settings, report_pdf,
                                                             monkeypatch):
    """Its offsets are not trusted: readers refuse it, asking for a rebuild, and the next
    `rag index` rebuilds it (rag.index.manifest.VERSION_KEYS)."""
    from rag.retrieve.retrieval import IndexReader

    real = indexer.index_config
    monkeypatch.setattr(indexer, "index_config",
                        lambda s: {k: v for k, v in real(s).items() if k != "pdf_text"})
    indexer.sync(settings)
    monkeypatch.setattr(indexer, "index_config", real)
    with pytest.raises(IndexMismatchError, match="pdf_text.*rag index --rebuild"):
        IndexReader(settings).current()
    assert indexer.sync(settings).chunks > 0
    IndexReader(settings).current()


def test_a_question_answered_on_page_2_is_highlighted_exactly(settings, report_pdf):
    from rag.compose.answer import Pipeline

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

    from rag.compose.answer import Pipeline

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


# Part of page 2 of therac.pdf as PDFium reads it: a font whose codes map to wrong characters.
THERAC_GARBAGE = (
    'oZ\x9aj=[oZXk\x1a\\\x19\x81\x84[y\x83\x1a[o\x83lZ\x94j=rXrXZ\x87|~Z\x87m\x80j=[oZXk Z@'
    '|\x84ZXr\x87x  [ym{t\x07^b\x8b\x07,1[ot\tm{ZXj\x07r{\x83 kbZ@Z@v\x91Z@m\x19[o\x81\x84'
    '\x8bo\x8b\x8calZ\x07q+[o\x83lZ/Z\x87|~Z@r@[omot\x07^"\x93\x91Z\x9aj=u \x81\x84\x8b\x86'
    'rXt=^+\x8d\x07Z@my[{ZXk\x1a\x81}^+[ot.-\x1cx m\x80j\x9an\x7fvb\x83lt=x  [ot\x07^l\x8b@'
    '\x92  /G^¤[o\x83bZ\x1aZ\x9aj=my|\x84n cedip10\x07\x8b@q ¡[{t\x07uw\x81~r32I^bZ@m{£=n¦t'
    '\x07\x9c54\x97j=^²j\x07kbj8§C\x81}u\x9b\x81}[{Z@k¨¾¡2+4\x97§¿\x186 j6^lk\x8ej  ¼bmoZ@^'
    'lr{\x83`rXt\x07uwv²j=^zn r\x9aj6|\x84|~Z@k7498:* \\PZ@^z[±\x81}^z[{t\x7f\x93bal\x8by'
    '\x81}^lZX\x8by\x8b\x1c[otg£gZ@[y\x83lZ@mV\x93ba4\x81\x84|~k1\x81\x84^l£\x03|}\x81\x84^'
    'lZXj=m¯j\x07r\x87x  r@Z@|\x84Z@m\x80j6[{t\x07mo\x8bX\x92 \x85\x86\x83lZ\x90v4m{t+k4alr'
    '@[o\x8b t\x07\x9c\t[y\x83b\x81~\x8b\x1ar@t1t\x07v\x91Z@m{j=[o\x81\x84t\x07^Ç\\\x86Z'
    '\x87m{Z ¾yc ¿ [y\x83lZ\x90\x85\x86\x83lZ@m{j\x07r\x87x]\x9f4q\x94j\x8e\x9f  uw\x81\x84'
    '|}|\x84\x81\x84t\x07^\x8eZ@|~Z@r@[ym{t\x07^Ç\x8dgt=|\x84[%¾ÆRZ<;¿ j'
)
ENGLISH = ("Between June 1985 and January 1987, a computer-controlled radiation therapy machine, "
           "the Therac-25, massively overdosed six people. These accidents have been called the "
           "worst in the 35-year history of medical accelerators [Leveson 1993]. The software "
           "had been reused from earlier models, where hardware interlocks masked its errors "
           "(see Section 4.2 and Figure 3).")
GERMAN = ("Die Stadt Berlin ist die Hauptstadt der Bundesrepublik Deutschland. Sie liegt an der "
          "Spree im Nordosten des Landes. Die Forscher haben gezeigt, dass das öffentliche "
          "Verkehrssystem die Luftverschmutzung in den dicht besiedelten Vierteln der Stadt "
          "verringert und dass die Einwohner immer häufiger mit dem Fahrrad zur Arbeit fahren.")


def test_garbled_is_false_on_text():
    assert not pdf.garbled(ENGLISH)
    # a figure's caption in a broken font under a paragraph: the page is still mostly words
    assert not pdf.garbled(f"{ENGLISH}\n\n{THERAC_GARBAGE[:150]}")
    # unknown words, but well-formed ones: another language is not garbage
    assert not pdf.garbled(GERMAN)


def test_garbled_is_true_on_a_broken_font_encoding():
    assert pdf.garbled(THERAC_GARBAGE)
    assert pdf.garbled(f"Figure 2: Mirror\n\n{THERAC_GARBAGE}")  # a label, then garbage


def test_garbled_needs_enough_text_to_judge():
    assert not pdf.garbled("The Early History of Smalltalk\n\nAlan C. Kay\n\nkay2@apple.com")
    assert not pdf.garbled(f"Mirror\n\nTurntable\n\n{THERAC_GARBAGE[:150]}")  # a caption
    assert not pdf.garbled("")


def test_adobe_old_style_digits_and_small_capitals_read_as_what_they_stand_for():
    # The Early History of Smalltalk: "at 35,000 feet", "later of Xerox PARC"
    assert "".join(map(pdf._char, [0xF733, 0xF735, 0x2C, 0xF730, 0xF730, 0xF730])) == "35,000"
    assert "".join(map(pdf._char, [0xF770, 0xF761, 0xF772, 0xF763, 0xF724])) == "PARC$"
    assert pdf._char(0xF0B7) == "\uf0b7"  # a Symbol-font bullet: not Adobe's, left alone


def read_all(path, name: str, cache=None, on_ocr=None):
    """Every page of a PDF file as the loader reads it (rag.ingest.pdf.read_pages)."""
    doc = pdf.open_pdf(path, name)
    try:
        return pdf.read_pages(doc, name, pdf.file_digest(path), cache, on_ocr)
    finally:
        pdf.close(doc)


@needs_tesseract
def test_a_garbled_text_layer_is_ocrd_like_a_scan(tmp_path, monkeypatch):
    original = make_two_column_pdf(tmp_path / "original.pdf", pages=ONE_PAGE)
    bad = make_garbled_pdf(tmp_path / "garbled.pdf", original)
    layer = "".join(chr(code) for code, _, _ in pdfium_chars(bad, 1))
    assert "[lZ =m~gl[xj[Zm |~gl[ltayZ" in layer  # PDFium reads "the Brightwater lighthouse"
    seen, cache = [], tmp_path / "ocr"
    [page] = read_all(bad, "garbled.pdf", cache, lambda *a: seen.append(a))
    assert page.method == "ocr" and seen == [(1, 1)]
    assert ANSWER in page.text and "The Brightwater lighthouse" in page.text
    assert "Brightwater Island lies four miles off" in page.text
    assert [e.name for e in cache.glob("*.json")] == [f"{pdf.file_digest(bad)}-1.json"]
    monkeypatch.setattr(pdf, "_run_tesseract", None)  # read again: from the cache only
    assert read_all(bad, "garbled.pdf", cache)[0].text == page.text
    assert pdf.page_text(bad, 1, cache).text == page.text  # as highlights read it
    # the original's text layer is text, read as it is
    assert read_all(original, "original.pdf", cache)[0].method == "text"


def test_a_garbled_page_without_tesseract_is_skipped_saying_why(tmp_path, monkeypatch):
    bad = make_garbled_pdf(tmp_path / "garbled.pdf",
                           make_two_column_pdf(tmp_path / "original.pdf", pages=ONE_PAGE))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no tesseract on PATH
    [page] = read_all(bad, "garbled.pdf")
    assert (page.method, page.text, page.note) == ("skipped", "", pdf.GARBLED_NO_OCR)
