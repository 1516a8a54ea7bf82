"""Loaders: text per file (per page for PDFs) with source, content hash, page and title."""

from __future__ import annotations

import codecs
import hashlib

import pytest

from conftest import make_broken_docx, make_docx, make_encrypted_pdf, make_pdf, write
from rag.errors import LoadError
from rag.ingest.loaders import decode_text, load_file


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_txt(sources):
    path = write(sources / "notes" / "plain.txt", "Otters hold hands while sleeping.\n")
    [doc] = load_file(path, "notes/plain.txt")
    assert doc.page_content == "Otters hold hands while sleeping.\n"
    assert doc.metadata == {"source": "notes/plain.txt", "hash": sha256(path), "page": None,
                            "title": None, "authors": None}


def test_markdown_title_is_its_first_heading(sources):
    path = write(sources / "guide.md", "Intro line\n\n# Field Guide\n\nSome *birds*.\n")
    [doc] = load_file(path, "guide.md")
    assert doc.metadata["title"] == "Field Guide"
    assert doc.page_content.endswith("Some *birds*.\n")
    [untitled] = load_file(write(sources / "bare.md", "No heading here."), "bare.md")
    assert untitled.metadata["title"] is None


def test_pdf_text_per_page_with_page_numbers_and_title(sources):
    path = make_pdf(sources / "report.pdf",
                    ["Zebras graze in the morning.", "Walruses rest on the ice."],
                    title="Annual Report")
    docs = load_file(path, "report.pdf")
    assert [d.metadata["page"] for d in docs] == [1, 2]
    assert "Zebras graze" in docs[0].page_content and "Walrus" not in docs[0].page_content
    assert "Walruses rest" in docs[1].page_content
    for doc in docs:
        assert doc.metadata["title"] == "Annual Report"
        assert doc.metadata["source"] == "report.pdf"
        assert doc.metadata["hash"] == sha256(path)


def test_pdf_with_only_an_owner_password_is_read(sources):
    # Opens in any viewer without a password (restrictions only), so it is not "locked".
    path = make_encrypted_pdf(sources / "restricted.pdf", user_password="")
    [doc] = load_file(path, "restricted.pdf")
    assert "Locked away text." in doc.page_content


@pytest.mark.parametrize("suffix", [".html", ".htm"])
def test_html_keeps_visible_text_only(sources, suffix):
    html = ("<html><head><title> Tide Tables </title><style>body{color:red}</style>"
            "<script>var hiddenScriptWord = 1;</script></head><body><h1>Harbour</h1>"
            "<p>High tide at noon.</p><script>alert('popupword')</script>"
            "<style>.x{font-family:stylishword}</style></body></html>")
    path = write(sources / f"tides{suffix}", html)
    [doc] = load_file(path, f"tides{suffix}")
    assert doc.metadata["title"] == "Tide Tables"
    assert "Harbour" in doc.page_content and "High tide at noon." in doc.page_content
    for hidden in ("hiddenScriptWord", "popupword", "stylishword", "color:red"):
        assert hidden not in doc.page_content


def test_docx_paragraphs_and_title(sources):
    path = make_docx(sources / "memo.docx", ["Meeting moved to Tuesday.", "", "Bring snacks."],
                     title="Memo")
    [doc] = load_file(path, "memo.docx")
    assert doc.page_content == "Meeting moved to Tuesday.\n\nBring snacks."
    assert doc.metadata == {"source": "memo.docx", "hash": sha256(path), "page": None,
                            "title": "Memo", "authors": None}


def test_latin1_text_is_decoded(sources):
    path = write(sources / "latin.txt", "Café crème, naïve façade: ÀÉÎÕÜ ß ñ ø.".encode("latin-1"))
    [doc] = load_file(path, "latin.txt")
    assert doc.page_content == "Café crème, naïve façade: ÀÉÎÕÜ ß ñ ø."


@pytest.mark.parametrize("encoding, bom", [("utf-16-le", codecs.BOM_UTF16_LE),
                                           ("utf-16-be", codecs.BOM_UTF16_BE),
                                           ("utf-8", codecs.BOM_UTF8)])
def test_text_with_a_byte_order_mark_is_decoded(sources, encoding, bom):
    text = "Grüße aus Köln — 日本語 😀"
    path = write(sources / "bom.txt", bom + text.encode(encoding))
    [doc] = load_file(path, "bom.txt")
    assert doc.page_content == text


@pytest.mark.parametrize("name, content, reason", [
    ("empty.txt", b"", "empty"),
    ("blank.md", b" \n\t\n", "empty"),
    ("binary.txt", bytes(range(256)) * 8, "binary"),
    ("notes.xyz", b"plain words", "unsupported file type '.xyz'"),
    ("corrupt.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage", "not a readable PDF"),
    ("corrupt.docx", b"PK\x03\x04 not really a zip", "not a readable .docx"),
    ("blank.html", b"<html><script>only(code)</script></html>", "no text could be extracted"),
])
def test_unloadable_files_raise_a_load_error_naming_the_file(sources, name, content, reason):
    path = write(sources / name, content)
    with pytest.raises(LoadError) as caught:
        load_file(path, name)
    assert str(caught.value).startswith(f"{name}: ")
    assert reason in str(caught.value)


def test_encrypted_pdf_is_refused_with_a_reason(sources):
    path = make_encrypted_pdf(sources / "locked.pdf")
    with pytest.raises(LoadError, match=r"^locked\.pdf: .*encrypted"):
        load_file(path, "locked.pdf")


def test_docx_with_damaged_xml_is_a_load_error(sources):
    # python-docx raises lxml's XMLSyntaxError here; it must not escape as a crash.
    path = make_broken_docx(sources / "damaged.docx")
    with pytest.raises(LoadError, match=r"^damaged\.docx: "):
        load_file(path, "damaged.docx")


def test_decode_text_refuses_binary_and_prefers_utf8():
    assert decode_text("é".encode("utf-8"), "a.txt") == "é"
    assert decode_text(b"\x93quoted\x94", "a.txt") == "\u201cquoted\u201d"  # cp1252
    with pytest.raises(LoadError, match="binary"):
        decode_text(b"text\x00with NUL", "a.txt")
