"""A document's sentences as a reader sees them: every sentence of a file once, in reading
order, whole even where a chunk's edge cuts it, each quoted from the chunk (or the joined
neighbouring chunks) that holds it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from langchain_core.documents import Document

from rag.ingest.clean import clean
from rag.ingest.layout import BODY, decode, markup
from rag.text import sentences


@dataclass
class Sentence:
    """One complete sentence of a document, where it sits, and the chunk that holds it."""

    chunk: Document
    span: tuple[int, int]  # inside chunk.page_content
    lead: bool             # first sentence of a paragraph (or of the document)

    @cached_property  # read many times while choosing an overview
    def text(self) -> str:
        """As a reader sees it (rag.ingest.clean: words broken at line ends joined, no markup)."""
        return clean(self.chunk.page_content[self.span[0]:self.span[1]], markup(self.chunk))

    @cached_property
    def kind(self) -> str:
        """The kind of the layout unit it starts in (rag.ingest.layout; body for plain text)."""
        start = self.span[0]
        return next((k for s, e, k in decode(self.chunk) or [] if s <= start < e), BODY)


def document_sentences(chunks: list[Document]) -> list[Sentence]:
    """Every sentence of one file once, in reading order. The chunks are laid back at their
    offsets to give each page's text (what lies between chunks is white space), so a
    sentence cut by a chunk's edge is whole again; it is then quoted from the chunk that
    holds it, or from the neighbours that share it, joined into one passage."""
    out: list[Sentence] = []
    pages: dict[int, list[Document]] = {}
    for chunk in chunks:
        pages.setdefault(chunk.metadata.get("page") or 0, []).append(chunk)
    for page in sorted(pages):
        ordered = sorted(pages[page], key=lambda d: d.metadata["start"])
        text = _laid_out(ordered)
        for s, e in sentences(text):
            covering = [c for c in ordered if c.metadata["start"] < e and c.metadata["end"] > s]
            if not covering:
                continue
            inside = [c for c in covering if c.metadata["start"] <= s and c.metadata["end"] >= e]
            passage = inside[0] if inside else _joined(covering, text)
            base = passage.metadata["start"]
            lead = s == 0 or text[:s].rstrip(" \t").endswith("\n")
            out.append(Sentence(passage, (s - base, e - base), lead))
    return out


def _laid_out(ordered: list[Document]) -> str:
    """A page's text from its chunks (sorted by start); a gap between chunks is white space
    the splitter dropped there, laid back as newlines."""
    parts, pos = [], 0
    for chunk in ordered:
        start, content = chunk.metadata["start"], chunk.page_content
        if start > pos:
            parts.append("\n" * (start - pos))
        elif start < pos:  # overlap: only what is new
            content = content[pos - start:]
        parts.append(content)
        pos = max(pos, start + len(chunk.page_content))
    return "".join(parts)


def _joined(covering: list[Document], text: str) -> Document:
    """One passage spanning neighbouring chunks (for a sentence that crosses their edge)."""
    first = covering[0]
    start, end = first.metadata["start"], max(c.metadata["end"] for c in covering)
    return Document(id=first.id, page_content=text[start:end],
                    metadata={**first.metadata, "start": start, "end": end})
