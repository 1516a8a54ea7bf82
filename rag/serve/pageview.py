"""Page view: a cited PDF page as an image with every supporting sentence highlighted (one
rectangle per line fragment), and page controls, as HTML for the evidence panel and the
document view. Text in it is escaped, as everywhere in rag/serve/render.py."""

from __future__ import annotations

import base64
import logging
from html import escape

from rag.serve import render, sources
from rag.ingest import pdf
from rag.compose.citations import Citation
from rag.config import Settings
from rag.errors import RagError
from rag.ingest.pagetext import Highlight

log = logging.getLogger("rag.serve.pageview")


def _rects(path, number: int, highlights: list[Highlight]) -> str:
    """Each highlight rectangle as a div placed in percent of the page image."""
    out = []
    for i, hl in enumerate(highlights):
        if hl.page != number or not hl.rects:
            continue
        for left, top, width, height in pdf.on_image(path, number, hl.rects):
            out.append(f"<div class='hl' data-sentence='{i}' style='left:{left * 100:.4f}%;"
                       f"top:{top * 100:.4f}%;width:{width * 100:.4f}%;"
                       f"height:{height * 100:.4f}%'></div>")
    return "".join(out)


def _controls(c: Citation, number: int, pages: int) -> str:
    def nav(label: str, target: int, cls: str) -> str:
        off = " disabled" if not 1 <= target <= pages else ""
        return (f"<button type='button' class='page-nav {cls}' data-cite='{c.n}' "
                f"data-page='{target}'{off}>{label}</button>")

    return (f"<div class='page-bar'>{nav('&#9664; Previous page', number - 1, 'prev')}"
            f"<span class='page-no'>Page {number} of {pages}</span>"
            f"{nav('Next page &#9654;', number + 1, 'next')}"
            f"<button type='button' class='page-whole' data-cite='{c.n}'>Whole document"
            f"</button></div>")


def view(settings: Settings, c: Citation, number: int | None = None) -> str:
    """Page `number` (default: the cited page) of a cited PDF with the citation's sentences
    highlighted when it is the cited page, its page number and controls; a short notice
    when the file cannot be shown. Never raises for a missing or changed file."""
    number = number or c.page
    try:
        path = sources.source_path(settings, c.source)
        shown = pdf.render_page(path, number)
    except (RagError, OSError) as exc:
        return f"<div class='page-view page-missing'>{escape(str(exc))}</div>"
    note, boxes = "", ""
    if number == c.page:
        try:
            boxes = _rects(path, number, sources.highlights(settings, c) or [])
        except RagError as exc:  # the file changed since it was indexed: show it unmarked
            note = f"<div class='doc-note'>{escape(str(exc))}</div>"
    image = base64.b64encode(shown.png).decode("ascii")
    return (f"<div class='page-view' data-cite='{c.n}' data-page='{number}'>"
            f"{_controls(c, number, shown.pages)}{note}<div class='page-scroll'>"
            f"<div class='page-canvas' style='aspect-ratio:{shown.width}/{shown.height}'>"
            f"<img class='page-image' alt='Page {number} of {escape(c.source, quote=True)}' "
            f"src='data:image/png;base64,{image}'>{boxes}</div></div></div>")


def views(settings: Settings, citations: list[Citation]) -> dict[int, str]:
    """The evidence panel's page view for each citation of a PDF page, by citation number."""
    return {c.n: view(settings, c) for c in citations
            if c.page and sources.has_pages(c.source)}


def page(settings: Settings, c: Citation, number: int) -> str:
    """The document view at page `number` of a cited PDF (the page controls lead on)."""
    return (f"<div class='doc-head'>{escape(c.source)}, page {number} &mdash; passage "
            f"[{c.n}] is on page {c.page}</div>" + view(settings, c, number))


def whole(settings: Settings, c: Citation) -> str:
    """The whole document as text (every page of a PDF, headed by its number), the cited
    passage marked and scrolled to.

    Raises:
        SourceError, LoadError: the file is gone or unreadable.
    """
    docs = sources.document_pages(settings, c.source)
    if not sources.has_pages(c.source):
        return render.document(docs[0].page_content, c)
    parts = []
    for doc in docs:
        number = doc.metadata["page"]
        body = (render.document(doc.page_content, c) if number == c.page
                else f"<div class='doc-text'>{escape(doc.page_content)}</div>")
        parts.append(f"<div class='doc-page' data-page='{number}'><div class='doc-page-no'>"
                     f"Page {number}</div>{body}</div>")
    return "".join(parts)


CSS = """
.page-view { margin: 6px 0; }
.page-view .page-bar { display: flex; gap: 8px; align-items: center; font-size: 0.85em;
  margin-bottom: 4px; flex-wrap: wrap; }
.page-view .page-bar button { background: none; border: 1px solid #ccc; border-radius: 4px;
  padding: 1px 8px; cursor: pointer; color: #2563eb; font-size: 13px; font-weight: normal;
  line-height: 1.6; }
.page-view .page-bar button[disabled] { color: #aaa; cursor: default; }
.page-view .page-scroll { max-height: 380px; overflow: auto; border: 1px solid #ddd; }
#document-view .page-view .page-scroll { max-height: 640px; }
/* about 1 px per point at least, so 10 pt text stays readable in a narrow panel */
.page-view .page-canvas { position: relative; width: max(100%, 640px); }
.page-view .page-image { position: absolute; inset: 0; width: 100%; height: 100%; }
.page-view .hl { position: absolute; background: rgba(255, 214, 0, 0.38);
  outline: 1px solid rgba(230, 126, 34, 0.7); mix-blend-mode: multiply; pointer-events: none; }
.page-view.page-missing { color: #b45309; font-size: 0.9em; }
#document-view .doc-page-no { font-weight: bold; margin: 10px 0 4px; color: #555; }
"""

# js_on_load addition for the evidence panel and the document view: the page controls ask
# the server for another page ({cite, page}) or the whole document ({cite, page: 0}), and
# each page view scrolls its first highlight into the middle (once it has a layout).
JS = """
const centre = (tries) => {
  let waiting = false;
  element.querySelectorAll('.page-scroll').forEach((s) => {
    const h = s.querySelector('.hl');
    if (!h) return;
    if (s.clientHeight === 0) { waiting = true; return; }
    const sb = s.getBoundingClientRect(), hb = h.getBoundingClientRect();
    s.scrollTop += (hb.top + hb.height / 2) - (sb.top + s.clientHeight / 2);
    s.scrollLeft += (hb.left + hb.width / 2) - (sb.left + s.clientWidth / 2);
  });
  if (waiting && tries > 0) setTimeout(() => centre(tries - 1), 50);
};
watch('value', () => centre(40));
centre(40);
element.addEventListener('click', (ev) => {
  const b = ev.target.closest('button.page-nav, button.page-whole');
  if (!b || b.disabled) return;
  trigger('click', {cite: Number(b.dataset.cite), page: Number(b.dataset.page || 0)});
});
"""
