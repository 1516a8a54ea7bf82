"""The contract every registered format (rag.ingest.loaders.FORMATS) keeps: a file of that
format loads into Documents that hold its sentences, carry the metadata the index and the
citations read, and (for a format with pages) whose text is the page view's, offset for
offset. A new format needs a sample here, or the first test fails."""

from pathlib import Path

import pytest

from conftest import make_docx, make_pdf, write
from rag.ingest.loaders import FORMATS, SUPPORTED, format_of, load_file

SENTENCES = ["The harbour museum opened in 1931.", "Its first curator was Ada Okafor."]


def _html(path: Path) -> Path:
    return write(path, "<html><head><title>Harbour</title><script>var x = 1;</script></head>"
                 f"<body><h1>Harbour</h1><p>{SENTENCES[0]}</p><p>{SENTENCES[1]}</p></body></html>")


SAMPLES = {  # format name -> (file name, maker)
    "text": ("museum.txt", lambda p: write(p, "Harbour\n\n" + " ".join(SENTENCES) + "\n")),
    "markdown": ("museum.md", lambda p: write(p, "# Harbour\n\n" + " ".join(SENTENCES) + "\n")),
    "pdf": ("museum.pdf", lambda p: make_pdf(p, SENTENCES, title="Harbour")),
    "html": ("museum.html", _html),
    "docx": ("museum.docx", lambda p: make_docx(p, SENTENCES, title="Harbour")),
}


def test_every_format_has_a_sample_and_every_suffix_a_format():
    assert sorted(f.name for f in FORMATS) == sorted(SAMPLES)
    assert SUPPORTED == tuple(s for f in FORMATS for s in f.suffixes)
    for suffix in SUPPORTED:
        assert format_of(f"a/b{suffix.upper()}").suffixes.count(suffix) == 1
    assert format_of("notes.xyz") is None


@pytest.mark.parametrize("form", FORMATS, ids=lambda f: f.name)
def test_a_file_of_each_format_keeps_the_contract(form, tmp_path):
    name, make = SAMPLES[form.name]
    path = make(tmp_path / name)
    docs = load_file(path, f"sub/{name}", ocr_cache=tmp_path / "ocr")
    assert docs and all(d.page_content.strip() for d in docs)
    for doc in docs:
        assert {"source", "hash", "page", "title"} <= set(doc.metadata)
        assert doc.metadata["source"] == f"sub/{name}"
        assert len(doc.metadata["hash"]) == 64
    text = " ".join(" ".join(d.page_content.split()) for d in docs)
    for sentence in SENTENCES:
        assert sentence in text, (form.name, text)
    assert docs[0].metadata["title"] == "Harbour"
    if form.pages:  # one Document per page, numbered from 1, holding the page view's text
        from rag.ingest.pdf import page_text

        assert [d.metadata["page"] for d in docs] == list(range(1, len(docs) + 1))
        for doc in docs:
            page = page_text(path, doc.metadata["page"], tmp_path / "ocr")
            assert page.text == doc.page_content
            at = doc.page_content.index(SENTENCES[doc.metadata["page"] - 1])
            assert page.text[at:at + len(SENTENCES[0])] == doc.page_content[at:at + len(
                SENTENCES[0])]
    else:
        assert len(docs) == 1 and docs[0].metadata["page"] is None
