"""UI end to end: the app served in-process, driven by headless Chromium (Playwright)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest
from conftest import free_port
from pdfs import ANSWER, QUESTION as PDF_QUESTION, SENTENCE_END, SENTENCE_START, \
    make_two_column_pdf, pdfium_chars

os.environ.setdefault("HF_HUB_OFFLINE", "1")

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="browser tests need Debian's Chromium at /usr/bin/chromium (`make browser`)")

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

import ui  # noqa: E402
from rag.index import indexer  # noqa: E402
from rag.ingest import pdf  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.compose.generators.extractive import ExtractiveGenerator  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SEED_QA = Path("/work/shared/eval/seed_qa_dev.jsonl")
SEED = {item["id"]: item for item in (json.loads(line) for line in
                                      SEED_QA.read_text().splitlines() if line.strip())
        } if SEED_QA.exists() else {}
D03 = SEED.get("d03") or {  # the same item, for a checkout without the shared eval folder
    "question": "What will the National Data Bureau be responsible for?",
    "answers": ["national big data strategy"],
    "evidence": "responsible for regulating China’s digital economy and implementing a "
                "national big data strategy"}
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]
expect.set_options(timeout=20_000)

QUESTION, ASK, STATUS = "#question textarea", "#ask", "#chat-status textarea"
BOTS = '#chatbot [data-testid="bot"]'

# Hostile markup twice over: as tags (the loader strips them) and as text (the passage keeps
# it, so the evidence panel and document view must escape it), plus template syntax.
HOSTILE = """<html><head><title>Velmora</title><script>window.__pwned=1</script></head>
<body><h1>Velmora Clockworks</h1>
<p>The Velmora Clockworks workshop is run by the horologist Ottilie Brannagh.
Its old web page carried &lt;script&gt;window.__pwned=1&lt;/script&gt; and
&lt;img src=x onerror="window.__pwned=2"&gt; and ${window.__pwned=3} as plain text.</p>
<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">
</body></html>"""
ZORBLAT = ("The Zorblat Lantern Festival is held every autumn in the village of Quimbly Marsh.\n\n"
           "The Zorblat Lantern Festival was founded by the glassblower Edwina Tarrow.\n")


@contextlib.contextmanager
def serving(root: Path):
    """The app over its own sources folder under root (the seed document, a hostile HTML
    page and a two-column PDF report), indexed by rag.index.indexer.sync, served on a free port of
    127.0.0.1 until the block ends."""
    sources = root / "sources"
    sources.mkdir(parents=True)
    shutil.copy(ROOT / "sources" / "china-digital-economy-governance.txt", sources)
    (sources / "velmora.html").write_text(HOSTILE)
    make_two_column_pdf(sources / "brightwater.pdf")
    settings = Settings(sources_dir=sources, index_dir=root / "index", port=free_port())
    report = indexer.sync(settings)
    assert (len(report.added), report.failed) == (3, [])
    app = ui.create_app(settings)
    app.queue().launch(prevent_thread_lock=True, **ui.launch_options(settings))
    try:
        yield settings, f"http://127.0.0.1:{settings.port}/"
    finally:
        app.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One app for the tests that only ask questions (none of them changes its sources)."""
    with serving(tmp_path_factory.mktemp("ui")) as running:
        yield running


@pytest.fixture
def own_server(tmp_path):
    """A fresh app for a test that changes the sources or the index."""
    with serving(tmp_path / "ui") as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def open_page(browser, url: str):
    """A fresh session (an empty chat) on the app; never waits for networkidle (Gradio keeps
    connections open) but for the question box."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    pg.goto(url, wait_until="domcontentloaded")
    pg.locator(QUESTION).wait_for(state="visible")
    return context, pg


@pytest.fixture
def page(browser, server):
    context, pg = open_page(browser, server[1])
    yield pg
    context.close()


@pytest.fixture
def own_page(browser, own_server):
    context, pg = open_page(browser, own_server[1])
    yield pg
    context.close()


def settled(page: Page) -> None:
    """Wait until every image has loaded (or failed) and the fonts are ready: a would-be
    onerror has then run, and a screenshot shows the final layout."""
    page.wait_for_function("() => [...document.images].every(i => i.complete)")
    page.evaluate("() => document.fonts.ready.then(() => new Promise("
                  "r => requestAnimationFrame(() => requestAnimationFrame(r))))")


def ask(page: Page, question: str):
    """Ask and wait for the end of the answer; returns the answer's bubble."""
    bots = page.locator(BOTS)
    before = bots.count()
    page.locator(QUESTION).fill(question)
    page.locator(ASK).click()
    expect(bots).to_have_count(before + 1)
    expect(page.locator(STATUS)).to_have_value(re.compile("^(done|error)$"))
    assert page.locator(STATUS).input_value() == "done", bots.last.inner_text()
    return bots.last


def record_states(page: Page) -> None:
    """Sample (status, newest answer text) every frame, to see the answer as it forms."""
    page.evaluate("""() => {
      window.__states = [];
      const sample = () => {
        const bots = document.querySelectorAll('#chatbot [data-testid="bot"]');
        const s = {status: document.querySelector('#chat-status textarea').value,
                   text: bots.length ? bots[bots.length - 1].innerText.trim() : ''};
        const last = window.__states[window.__states.length - 1];
        if (!last || last.status !== s.status || last.text !== s.text) window.__states.push(s);
        requestAnimationFrame(sample);
      };
      sample();
    }""")


@pytest.fixture
def llm_pace(monkeypatch):
    """The extractive generator's own pieces, at an LLM's pace (it emits them all at once)."""
    real = ExtractiveGenerator.stream

    def paced(self, ctx):
        for piece in real(self, ctx):
            time.sleep(0.4)
            yield piece
        # an LLM is still writing after its last piece: without this a one-sentence answer
        # was replaced by the verified one within a frame, and the test saw no draft at all
        time.sleep(0.4)

    monkeypatch.setattr(ExtractiveGenerator, "stream", paced)


def scroll_away(page: Page, target) -> None:
    """A short window scrolled to the bottom, so `target` (top right) is out of view."""
    page.set_viewport_size({"width": 1280, "height": 300})
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(target).not_to_be_in_viewport()


def test_answer_streams_then_cites_the_marked_passage(page: Page, llm_pace, screenshots):
    record_states(page)
    bubble = ask(page, D03["question"])
    final = bubble.inner_text().strip()
    assert any(a in final for a in D03["answers"]), final
    states = page.evaluate("window.__states")
    drafts = [s["text"] for s in states if s["status"] == "answering"]
    assert drafts, states  # the token phase was on screen
    assert drafts[0] != final and final[:60] == drafts[0][:60], (drafts, final)
    assert all(len(a) < len(b) for a, b in zip(drafts, drafts[1:])), drafts  # it grows

    evidence = page.locator("#evidence")
    # the answer's sentences are marked in reading order: the gold one among them
    expect(evidence.locator("mark", has_text=D03["evidence"]).first).to_be_visible()
    expect(evidence).to_contain_text("china-digital-economy-governance.txt, chars ")
    settled(page)
    page.screenshot(path=str(screenshots / "screenshot.png"))

    passage = evidence.locator('[id="cite-1"]')
    for marker in (bubble.locator('a[href="#cite-1"]').first,
                   evidence.locator('.cite-index a[href="#cite-1"]')):
        page.evaluate("document.querySelectorAll('.passage.active')"
                      ".forEach(p => p.classList.remove('active'))")
        scroll_away(page, passage)
        marker.dispatch_event("click")  # what a click does, without Playwright scrolling first
        expect(passage).to_be_in_viewport()
        expect(passage).to_have_class(re.compile(r"\bactive\b"))
    assert page.evaluate("location.hash") == ""  # handled in place, no navigation

    page.set_viewport_size({"width": 1280, "height": 900})
    # the passage that holds the gold sentence (the answer's sentences may cite others first)
    gold = evidence.locator(".passage", has=page.locator("mark", has_text=D03["evidence"]))
    gold.first.locator("button.show-doc").click()
    doc = page.locator("#document-view #doc-passage")
    expect(doc.locator("mark", has_text=D03["evidence"]).first).to_be_visible()
    expect(doc).to_be_in_viewport()
    expect(page.locator("#document-view")).to_contain_text("Stemming from his drive")  # whole file


def test_hostile_html_source_is_shown_as_text_and_never_runs(page: Page):
    ask(page, "Who runs the Velmora Clockworks workshop?")
    evidence = page.locator("#evidence")
    expect(evidence).to_contain_text("velmora.html")
    expect(evidence.locator("mark").first).to_contain_text("Ottilie Brannagh")
    expect(evidence).to_contain_text('<img src=x onerror="window.__pwned=2">')
    expect(evidence).to_contain_text("${window.__pwned=3}")
    evidence.locator("button.show-doc").first.click()
    expect(page.locator("#document-view")).to_contain_text("<script>window.__pwned=1</script>")
    settled(page)  # every image has loaded or failed: a would-be onerror has run
    assert page.evaluate("typeof window.__pwned") == "undefined"
    for where in ("#evidence", "#document-view", "#chatbot"):
        assert page.locator(f"{where} img[src='x'], {where} script").count() == 0, where
    assert not page.errors, page.errors


def test_follow_up_is_answered_from_the_conversation(page: Page):
    ask(page, D03["question"])
    bubble = ask(page, "And when was it set up?")
    expect(page.locator("#evidence .standalone")).to_have_text(  # "it": the bureau
        "Read as: When was National Data Bureau set up?")
    expect(bubble).to_contain_text("March 2023")


def test_upload_rebuild_while_the_chat_keeps_answering(own_page: Page, tmp_path, monkeypatch):
    page = own_page  # its own app: the upload changes the sources and the index
    paused, release = threading.Event(), threading.Event()
    real_sync = indexer.sync

    def held_sync(settings, rebuild=False, progress=None, **kw):
        """The real sync, held after its first file is embedded (before the switch)."""
        def hold(done, total, embedded):
            progress(done, total, embedded)
            if not paused.is_set():
                paused.set()
                release.wait(60)
        return real_sync(settings, rebuild=rebuild, progress=hold, **kw)

    monkeypatch.setattr(indexer, "sync", held_sync)
    question = "Who founded the Zorblat Lantern Festival?"
    new_file = tmp_path / "zorblat-festival.txt"
    new_file.write_text(ZORBLAT)
    try:
        page.get_by_role("tab", name="Sources").click()
        page.locator("#upload input[type=file]").set_input_files(str(new_file))
        expect(page.locator("#sources-message textarea")).to_have_value(
            re.compile(r"^Saved zorblat-festival\.txt\."))
        table = page.locator("#sources-table")
        expect(table).to_contain_text("zorblat-festival.txt")
        expect(table).to_contain_text("not indexed yet")

        page.locator("#rebuild").click()
        assert paused.wait(60), "the rebuild never reported progress"
        expect(page.locator("#index-status")).to_contain_text("Embedding")  # the progress bar

        page.get_by_role("tab", name="Chat").click()
        answered = ask(page, D03["question"])  # not blocked by the running rebuild
        assert any(a in answered.inner_text() for a in D03["answers"])
        expect(ask(page, question)).to_contain_text("Not answered")  # old index: unknown yet
        release.set()

        page.get_by_role("tab", name="Sources").click()
        expect(page.locator("#index-status textarea")).to_have_value(
            re.compile(r"^Index updated: 1 added, 0 changed"))
        expect(table).not_to_contain_text("not indexed yet")

        page.get_by_role("tab", name="Chat").click()
        expect(ask(page, question)).to_contain_text("Edwina Tarrow")
        expect(page.locator("#evidence")).to_contain_text("zorblat-festival.txt, chars ")
    finally:
        release.set()  # never leave the server's sync thread waiting


def expected_boxes(path: Path, number: int) -> list[tuple[float, float, float, float]]:
    """The supporting sentence's line fragments as PDFium boxes them, as (left, top, right,
    bottom) fractions of the upright page: its characters' loose boxes, joined per line."""
    text = pdf.page_text(path, number).text
    start = text.index(SENTENCE_START)
    end = text.index(SENTENCE_END, start) + len(SENTENCE_END)
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    page = doc[number - 1]
    width, height = page.get_size()
    textpage = page.get_textpage()
    lines: dict[float, list] = {}
    for i, (code, _, made_up) in enumerate(pdfium_chars(path, number)[start:end], start):
        if not made_up and not chr(code).isspace():
            x0, y0, x1, y1 = textpage.get_charbox(i, loose=True)
            lines.setdefault(round(y0), []).append((x0, y0, x1, y1))
    doc.close()
    return [(min(b[0] for b in boxes) / width, 1 - max(b[3] for b in boxes) / height,
             max(b[2] for b in boxes) / width, 1 - min(b[1] for b in boxes) / height)
            for _, boxes in sorted(lines.items(), reverse=True)]


def test_a_pdf_citation_shows_the_page_with_the_sentence_highlighted(page: Page, server,
                                                                     screenshots):
    settings, _ = server
    bubble = ask(page, PDF_QUESTION)
    expect(bubble).to_contain_text(ANSWER)
    view = page.locator("#evidence .page-view").first
    expect(view.locator(".page-no")).to_have_text("Page 2 of 2")
    image = view.locator("img.page-image")
    expect(image).to_be_visible()
    page.wait_for_function("() => [...document.querySelectorAll('#evidence img.page-image')]"
                           ".every(i => i.complete && i.naturalWidth === 918)")
    marks = view.locator(".hl")
    expect(marks).to_have_count(4)  # the sentence's four line fragments
    shown = image.bounding_box()
    expected = expected_boxes(settings.sources_dir / "brightwater.pdf", 2)
    assert len(expected) == 4
    for i, (left, top, right, bottom) in enumerate(expected):
        got = marks.nth(i).bounding_box()
        want = {"x": shown["x"] + left * shown["width"], "y": shown["y"] + top * shown["height"],
                "width": (right - left) * shown["width"],
                "height": (bottom - top) * shown["height"]}
        for key in want:
            assert abs(got[key] - want[key]) <= 2, (i, key, got, want)
    expect(marks.first).to_be_in_viewport()  # scrolled into view in the page's frame
    expect(page.locator("#evidence .passage-text mark").first).to_contain_text(ANSWER)
    settled(page)
    page.screenshot(path=str(screenshots / "pdf-evidence.png"))

    view.locator("button.prev").click()  # the page before opens in the document view
    doc = page.locator("#document-view .page-view")
    expect(doc.locator(".page-no")).to_have_text("Page 1 of 2")
    expect(doc.locator(".hl")).to_have_count(0)  # nothing is cited on page 1
    expect(doc.locator("button.prev")).to_be_disabled()
    doc.locator("button.next").click()
    expect(doc.locator(".page-no")).to_have_text("Page 2 of 2")
    expect(doc.locator(".hl")).to_have_count(4)
    expect(doc.locator("button.next")).to_be_disabled()
    doc.locator("button.page-whole").click()  # the whole document, as text
    whole = page.locator("#document-view")
    expect(whole.locator(".doc-page-no")).to_have_text(["Page 1", "Page 2"])
    expect(whole.locator("#doc-passage mark").first).to_contain_text(ANSWER)
    assert not page.errors, page.errors


def test_summarize_shows_the_kind_and_cites_every_sentence(page: Page):
    bubble = ask(page, "Summarize china-digital-economy-governance.txt")
    heading = bubble.locator("strong").first
    expect(heading).to_have_text("Summary of China Digital Economy Governance:")
    markers = bubble.locator("a.cite")
    assert markers.count() >= 3  # one per sentence
    assert bubble.locator(".confidence").count() == 0  # a summary quotes, it does not judge
    evidence = page.locator("#evidence")
    cited = {m.get_attribute("href") for m in markers.all()}
    for href in cited:  # every cited passage is listed, with its sentence marked
        passage = evidence.locator(f'[id="{href[1:]}"]')
        expect(passage).to_contain_text("china-digital-economy-governance.txt")
        expect(passage.locator("mark").first).to_be_visible()
