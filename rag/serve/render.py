"""Render: answers and their evidence as HTML for the chat UI; every piece of source text is
escaped here, because gr.HTML inserts markup as-is and sources may hold hostile HTML."""

from __future__ import annotations

import re
from html import escape

from rag.compose.citations import Citation, is_frame

MARKERS = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# Markdown the chatbot would act on: emphasis, code, links, strike-through and tables anywhere,
# headings, lists and rules at the start of a line ('<>&' are left to html.escape).
_INLINE = re.compile(r"([\\`*_\[\]~|])")
_LINE_START = re.compile(r"^(\s*)([#+=-])", re.M)
_ORDERED = re.compile(r"^(\s*\d+)([.)])", re.M)

EMPTY = ("<div class='evidence-empty'>Ask a question: the passages its answer cites appear "
         "here.</div>")


def text(value: str) -> str:
    """Plain text for the chatbot (which renders Markdown): escape HTML and Markdown."""
    value = _INLINE.sub(r"\\\1", value)
    value = _ORDERED.sub(r"\1\\\2", _LINE_START.sub(r"\1\\\2", value))
    return escape(value, quote=False)


def answer(value: str, links: bool = True) -> str:
    """An answer for the chatbot: text escaped, each marker [n] a link to passage #cite-n;
    a whole-document answer's labels in bold and notes in italics."""
    if "\n" in value:
        return "\n".join(_line(line, links) for line in value.split("\n"))
    return _line(value, links)


def _line(value: str, links: bool) -> str:
    if is_frame(value.strip()):
        line = value.strip()
        return (f"<strong>{text(line)}</strong>" if line.endswith(":")
                else f"<em>{text(line[1:-1])}</em>")
    out, pos = [], 0
    for m in MARKERS.finditer(value):
        out.append(text(value[pos:m.start()]))
        nums = [n.strip() for n in m.group(1).split(",")]
        if links:
            out.append("".join(f'<a href="#cite-{n}" class="cite">[{n}]</a>' for n in nums))
        else:
            out.append(text(m.group()))
        pos = m.end()
    out.append(text(value[pos:]))
    return "".join(out)


def confidence(value: float | None) -> str:
    """The answer's confidence as a small label under it in the chat (none for a summary,
    a comparison or a list: they quote the documents rather than answer from them)."""
    if value is None:
        return ""
    return (f"<br><span class='confidence' title='How likely the cited passages answer the "
            f"question (RAG_MIN_CONFIDENCE is the bar)'>confidence {value:.2f}</span>")


def where(c: Citation) -> str:
    """'The Google File System — file.pdf, page 3, chars 120-940' (escaped; the title when
    the index recorded one)."""
    page = f", page {c.page}" if c.page else ""
    titled = f"{' '.join(c.title.split())} — " if c.title else ""
    return escape(f"{titled}{c.source}{page}, chars {c.start}-{c.end}")


def marked(passage: str, start: int, end: int, tag: str = "mark",
           more: list[list[int]] | None = None) -> str:
    """passage escaped, with passage[start:end] (and any `more` spans) wrapped in <tag>."""
    spans = sorted({(max(0, min(s, len(passage))), max(0, min(e, len(passage))))
                    for s, e in [(start, end), *(more or [])]})
    out, pos = [], 0
    for s, e in spans:
        if e <= s or s < pos:
            continue
        out += [escape(passage[pos:s]), f"<{tag}>", escape(passage[s:e]), f"</{tag}>"]
        pos = e
    out.append(escape(passage[pos:]))
    return "".join(out)


def passage(c: Citation, label: str, view: str = "") -> str:
    """One evidence entry: where it is, the page view (PDFs: rag.serve.pageview's HTML), the
    passage with its supporting quote in <mark>."""
    return (f"<div class='passage' id='cite-{c.n}' data-cite='{c.n}'>"
            f"<div class='passage-head'><span class='cite-n'>{escape(label)}</span> "
            f"<span class='where'>{where(c)}</span> "
            f"<button type='button' class='show-doc' data-cite='{c.n}'>Show in document"
            f"</button></div>{view}"
            f"<div class='passage-text'>{marked(c.text, c.quote_start, c.quote_end, more=c.spans)}</div>"
            f"</div>")


def _index(citations: list[Citation]) -> str:
    links = "".join(f"<li><a href='#cite-{c.n}'>[{c.n}] "
                    f"{escape(' '.join(c.title.split()) + ' (' + c.source + ')' if c.title else c.source)}"
                    f"</a></li>" for c in citations)
    return f"<ul class='cite-index'>{links}</ul>"


def _read_as(standalone: str | None) -> str:
    """How a follow-up was understood (joined to the conversation), when it was rewritten."""
    return (f"<div class='standalone'>Read as: <q>{escape(standalone)}</q></div>"
            if standalone else "")


def evidence(citations: list[Citation], standalone: str | None = None,
             views: dict[int, str] | None = None) -> str:
    """The evidence panel for an answer: an index of its citations, then each passage.

    Args:
        citations: the answer's citations, numbered as its markers.
        standalone: the question as it was searched for, when it differs from the one asked.
        views: page-view HTML by citation number (rag.serve.pageview.views), shown above the text.
    """
    if not citations:
        return EMPTY
    views = views or {}
    return (f"<div class='evidence-list'>{_read_as(standalone)}{_index(citations)}"
            + "".join(passage(c, f"[{c.n}]", views.get(c.n, "")) for c in citations)
            + "</div>")


def closest(citations: list[Citation], reason: str, standalone: str | None = None,
            views: dict[int, str] | None = None) -> str:
    """The evidence panel for an abstention: why, and the closest passages found."""
    head = ("<div class='abstained'><strong>No answer in the sources</strong>"
            + (f" ({escape(reason)})" if reason else "") + ". "
            + ("Closest passages found:" if citations else "Nothing close was found.")
            + "</div>")
    return (f"<div class='evidence-list'>{_read_as(standalone)}{head}"
            + "".join(passage(c, f"closest {c.n}", (views or {}).get(c.n, ""))
                      for c in citations) + "</div>")


def document(full_text: str, c: Citation) -> str:
    """The whole source text (escaped) with the cited passage marked, for the document view.

    The passage is found at its recorded offsets; if the file changed since it was indexed
    it is searched for, and if it is gone the text is shown with a note to rebuild.
    """
    start, end = c.start, c.end
    note = ""
    if full_text[start:end] != c.text:
        found = full_text.find(c.text)
        if found == -1:
            start = end = 0
            note = ("<div class='doc-note'>The file has changed since it was indexed; the "
                    "passage is no longer in it. Rebuild the index.</div>")
        else:
            start, end = found, found + len(c.text)
    q0, q1 = start + c.quote_start, start + c.quote_end
    body = (escape(full_text[:start]) + "<span class='doc-passage' id='doc-passage'>"
            + marked(full_text[start:end], q0 - start, q1 - start, more=c.spans) + "</span>"
            + escape(full_text[end:])) if end > start else escape(full_text)
    return (f"<div class='doc-head'>{escape(c.source)}"
            + (f", page {c.page}" if c.page else "") + f" &mdash; passage [{c.n}]</div>"
            + note + f"<div class='doc-text'>{body}</div>")


def notice(message: str) -> str:
    """A short message in place of evidence (errors, empty states), escaped."""
    return f"<div class='evidence-empty'>{escape(message)}</div>"


CSS = """
#evidence .passage { border-left: 3px solid #bbb; padding: 6px 10px; margin: 8px 0; }
#evidence .passage.active { border-left-color: #e67e22; background: #fff6e5; }
#evidence .passage-head { font-size: 0.9em; color: #555; margin-bottom: 4px; }
#evidence .cite-n { font-weight: bold; }
#evidence .show-doc { margin-left: 6px; font-size: 0.85em; text-decoration: underline;
  cursor: pointer; background: none; border: none; color: #2563eb; }
#evidence .passage-text, #document-view .doc-text { white-space: pre-wrap; }
#evidence mark, #document-view mark { background: #ffe066; color: inherit; }
#evidence .cite-index { margin: 0 0 6px 0; padding-left: 18px; font-size: 0.9em; }
#evidence .abstained { padding: 6px 10px; background: #fdecea; border-radius: 4px; }
#evidence .evidence-empty { color: #777; padding: 8px; }
#chatbot .confidence { color: #777; font-size: 0.85em; }
#evidence .standalone { font-size: 0.9em; color: #555; margin-bottom: 6px; }
#document-view .doc-passage { background: #fff3c4; }
#document-view .doc-head { font-weight: bold; margin-bottom: 6px; }
#document-view .doc-note { color: #b45309; margin-bottom: 6px; }
#chatbot a.cite { text-decoration: none; font-weight: bold; }
#evidence .html-container { padding-top: 30px; }
#chat-status textarea { font-size: 0.85em; color: #666; }
"""

# A document-level hook: a click on a citation link (in the chat or the evidence index)
# scrolls its passage into view instead of navigating. Scoped to #evidence because the
# chatbot's sanitizer keeps id= attributes, so an answer could otherwise shadow a passage.
CITE_HOOK = """
if (!window.__ragCiteHook) {
  window.__ragCiteHook = true;
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest && ev.target.closest('a[href^="#cite-"]');
    if (!a) return;
    ev.preventDefault();
    ev.stopPropagation();
    const id = a.getAttribute('href').slice(1);
    const el = document.querySelector('#evidence [id="' + CSS.escape(id) + '"]');
    if (!el) return;
    el.scrollIntoView({behavior: 'instant', block: 'center'});
    document.querySelectorAll('#evidence .passage.active')
      .forEach(x => x.classList.remove('active'));
    el.classList.add('active');
  }, true);
}
"""

# js_on_load of the evidence panel: "Show in document" asks the server for the document view;
# a click anywhere else on a passage marks it as the active one.
EVIDENCE_JS = CITE_HOOK + """
element.addEventListener('click', (ev) => {
  const b = ev.target.closest('button.show-doc');
  if (b) { trigger('click', {cite: Number(b.dataset.cite)}); return; }
  const p = ev.target.closest('.passage');
  if (p) {
    element.querySelectorAll('.passage.active').forEach(x => x.classList.remove('active'));
    p.classList.add('active');
  }
});
"""

# js_on_load of the document view: after each new document, bring the passage into view
# (once the accordion around it is open, i.e. once it has a layout).
DOCUMENT_JS = """
const show = (tries) => {
  const m = element.querySelector('#doc-passage');
  if (!m) return;
  if (m.offsetParent === null && tries > 0) { setTimeout(() => show(tries - 1), 50); return; }
  m.scrollIntoView({behavior: 'instant', block: 'center'});
};
watch('value', () => show(40));
show(40);
"""
