"""Loaders: turn one source file into LangChain Documents (one per page for PDFs) with metadata."""

from __future__ import annotations

import re

import codecs
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from langchain_core.documents import Document

from rag.errors import LoadError
from rag.ingest.layout import markdown_units, pdf_units
from rag.ingest.titles import (front_matter, markdown_title, metadata_authors, pdf_authors,
                               pdf_title, text_authors, text_title)



def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_text(data: bytes, name: str) -> str:
    """Decode text bytes: BOM first (UTF-8/16/32), then UTF-8, then Latin-1 (cp1252).

    Raises:
        LoadError: the bytes look binary (NUL bytes or many control characters).
    """
    for bom, enc in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                     (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc)
            except UnicodeDecodeError as exc:
                raise LoadError(f"{name}: starts with a {enc} byte-order mark but is not valid "
                                f"{enc} ({exc.reason}).") from exc
    sample = data[:65536]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" in sample or controls > len(sample) * 0.05:
        raise LoadError(f"{name}: looks like a binary file, not text (it has control bytes); "
                        "remove it or give it its real extension.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Windows-1252 is the usual 'Latin-1' in practice; real Latin-1 covers the rest.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


@dataclass(frozen=True)
class Options:
    """What a load may use beyond the file; each format reads the options it has.

    ocr_cache: PDFs: folder keeping OCR results (the index's), so highlights match.
    on_ocr: PDFs: called as on_ocr(page, pages) before each page that is OCR'd.
    """

    ocr_cache: Path | None = None
    on_ocr: Callable[[int, int], None] | None = None


def _load_text(path: Path, data: bytes, name: str, options: Options) -> list[Document]:
    text = decode_text(data, name)
    title = text_title(text)
    return [Document(page_content=text, metadata={
        "title": title, "authors": joined(text_authors(text, title))})]


def _load_markdown(path: Path, data: bytes, name: str, options: Options) -> list[Document]:
    text = decode_text(data, name)
    units, front = markdown_units(text), front_matter(text)
    title = markdown_title(text, units, front)
    return [Document(page_content=text, metadata={
        "title": title, "authors": joined(text_authors(text, title, front)), "markup": True,
        "units": units})]


def _load_pdf(path: Path, data: bytes, name: str, options: Options) -> list[Document]:
    """One Document per page, from PDFium's characters (rag.ingest.pdf), so that offsets into a
    page's text are offsets into its character boxes. A scanned page is OCR'd; one that
    cannot be (no Tesseract) is an empty Document whose metadata "skipped" says why."""
    from rag.ingest import pdf as pdfs

    doc = pdfs.open_pdf(data, name)
    try:
        meta_title, meta_author = pdfs.title(doc), pdfs.author(doc)
        pages = pdfs.read_pages(doc, name, file_hash(data), options.ocr_cache, options.on_ocr)
    finally:
        pdfs.close(doc)
    title = pdf_title(meta_title, pages)  # not "paper.dvi": rag.ingest.titles
    authors = pdf_authors(meta_author, pages, title)  # the first page's byline
    skipped = [p.number for p in pages if p.method == "skipped"]
    if skipped and len(skipped) == len(pages):
        notes = sorted({p.note for p in pages if p.note})  # no text layer, or a garbled one
        raise LoadError(f"{name}: {_pages(skipped)}: {'; '.join(notes) or pdfs.NO_OCR}; "
                        f"install it ({pdfs.INSTALL_OCR}) and index again.")
    units = pdf_units(pages)
    return [Document(page_content=p.text,
                     metadata={"title": title, "authors": joined(authors), "page": p.number,
                               "units": u,
                               **({"skipped": f"{name}: page {p.number}: {p.note}; install "
                                               f"it ({pdfs.INSTALL_OCR}) and run `rag index "
                                               "--rebuild`."} if p.note else {})})
            for p, u in zip(pages, units)]


def _pages(numbers: list[int]) -> str:
    return ("page " if len(numbers) == 1 else "pages ") + ", ".join(map(str, numbers))


def skipped_pages(docs: list[Document]) -> list[str]:
    """Why pages of a loaded file were left out (each names the file and the page)."""
    return [d.metadata["skipped"] for d in docs if d.metadata.get("skipped")]


def _load_html(path: Path, data: bytes, name: str, options: Options) -> list[Document]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    heading = soup.find("h1")
    title = (soup.title.get_text(strip=True) if soup.title else None) or \
        (heading.get_text(" ", strip=True) if heading else None)  # else the first heading
    author = soup.find("meta", attrs={"name": "author"})
    authors = metadata_authors(author.get("content")) if author else []
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    lines = (line.strip() for line in soup.get_text("\n").splitlines())
    text = "\n".join(line for line in lines if line)
    return [Document(page_content=text, metadata={"title": title or None,
                                                  "authors": joined(authors)})]


def _load_docx(path: Path, data: bytes, name: str, options: Options) -> list[Document]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        doc = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise LoadError(f"{name}: not a readable .docx file ({exc}).") from exc
    text = "\n\n".join(p.text for p in doc.paragraphs if p.text.strip())
    heading = next((p.text.strip() for p in doc.paragraphs if p.text.strip() and
                    p.style is not None and p.style.name in ("Title", "Heading 1")), None)
    author = doc.core_properties.author or ""
    return [Document(page_content=text, metadata={
        "title": doc.core_properties.title or heading,  # else the first heading
        "authors": joined(metadata_authors(author))})]


def joined(authors: list[str]) -> str | None:
    """Authors as chunk metadata holds them (Chroma keeps no lists): "A; B", or None."""
    return "; ".join(authors) or None


@dataclass(frozen=True)
class Format:
    """A kind of file the index reads: its name, its suffixes, its loader, and whether it has
    pages the page view can show (one Document per page, with character boxes)."""

    name: str
    suffixes: tuple[str, ...]
    load: Callable[[Path, bytes, str, Options], list[Document]]
    pages: bool = False


# The registry: every format is one row; SUPPORTED and the loader of a suffix derive from it.
FORMATS: tuple[Format, ...] = (
    Format("text", (".txt",), _load_text),
    Format("markdown", (".md", ".markdown"), _load_markdown),
    Format("pdf", (".pdf",), _load_pdf, pages=True),
    Format("html", (".html", ".htm"), _load_html),
    Format("docx", (".docx",), _load_docx),
)
_BY_SUFFIX = {suffix: f for f in FORMATS for suffix in f.suffixes}
SUPPORTED = tuple(_BY_SUFFIX)


def format_of(name: str | Path) -> Format | None:
    """The format of a file, by its suffix (None: not one the index reads)."""
    return _BY_SUFFIX.get(Path(name).suffix.lower())


def load_file(path: Path, source: str, data: bytes | None = None, *,
              ocr_cache: Path | None = None,
              on_ocr: Callable[[int, int], None] | None = None) -> list[Document]:
    """Load one file into Documents, one per page (PDF) or one for the whole file.

    Args:
        path: the file on disk.
        source: its path relative to the sources folder (stored as metadata "source").
        data: the file's bytes when the caller already read them (to hash them once).
        ocr_cache: PDFs: folder keeping OCR results (the index's), so highlights match.
        on_ocr: PDFs: called as on_ocr(page, pages) before each page that is OCR'd.

    Returns:
        Documents whose metadata holds source, hash, page (PDF only) and title (or None).

    Raises:
        LoadError: unsupported extension, unreadable, empty, binary, corrupt or encrypted,
            or a PDF with only scanned pages and no Tesseract. (Scanned pages of a PDF that
            has text pages too come back empty with a "skipped" reason: skipped_pages.)
    """
    form = format_of(path)
    if form is None:
        raise LoadError(f"{source}: unsupported file type '{path.suffix or '(none)'}'; "
                        f"supported: {', '.join(SUPPORTED)}.")
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise LoadError(f"{source}: cannot read the file ({exc.strerror}).") from exc
    if not data.strip():
        raise LoadError(f"{source}: the file is empty.")
    try:
        docs = form.load(path, data, source, Options(ocr_cache, on_ocr))
    except LoadError:
        raise
    except Exception as exc:  # a parser choking on one damaged file must not stop the others
        raise LoadError(f"{source}: cannot be read as {path.suffix.lower()} "
                        f"({type(exc).__name__}: {exc}).") from exc
    if not any(d.page_content.strip() for d in docs):
        raise LoadError(f"{source}: no text could be extracted (a scanned PDF or an empty "
                        "document?).")
    digest = file_hash(data)
    for doc in docs:
        doc.metadata.update(source=source, hash=digest)
        doc.metadata.setdefault("page", None)
    return docs
