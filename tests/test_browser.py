"""UI end to end: the app served in-process, driven by headless Chromium (Playwright)."""

from __future__ import annotations

import json
import os
import re
import shutil

import threading
import time
from pathlib import Path

import pytest
from conftest import free_port

os.environ.setdefault("HF_HUB_OFFLINE", "1")

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="browser tests need Debian's Chromium at /usr/bin/chromium (`make browser`)")

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

import ui  # noqa: E402
from rag import indexer  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.generators.extractive import ExtractiveGenerator  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
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


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app over a temp sources folder (the seed document + a hostile HTML page), indexed
    once by rag.indexer.sync, served on a free port of 127.0.0.1."""
    root = tmp_path_factory.mktemp("ui")
    sources = root / "sources"
    sources.mkdir()
    shutil.copy(ROOT / "sources" / "china-digital-economy-governance.txt", sources)
    (sources / "velmora.html").write_text(HOSTILE)
    settings = Settings(sources_dir=sources, index_dir=root / "index", port=free_port())
    report = indexer.sync(settings)
    assert (len(report.added), report.failed) == (2, [])
    app = ui.create_app(settings)
    app.queue().launch(prevent_thread_lock=True, **ui.launch_options(settings))
    yield settings, f"http://127.0.0.1:{settings.port}/"
    app.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    """A fresh session (an empty chat) on the app; never waits for networkidle (Gradio keeps
    connections open) but for the question box."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    pg.goto(server[1], wait_until="domcontentloaded")
    pg.locator(QUESTION).wait_for(state="visible")
    yield pg
    context.close()


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

    monkeypatch.setattr(ExtractiveGenerator, "stream", paced)


def scroll_away(page: Page, target) -> None:
    """A short window scrolled to the bottom, so `target` (top right) is out of view."""
    page.set_viewport_size({"width": 1280, "height": 300})
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(target).not_to_be_in_viewport()


def test_answer_streams_then_cites_the_marked_passage(page: Page, llm_pace):
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
    expect(evidence.locator("mark").first).to_contain_text(D03["evidence"])
    expect(evidence).to_contain_text("china-digital-economy-governance.txt, chars ")
    page.wait_for_timeout(300)  # let fonts and layout settle for the README's picture
    (ROOT / "docs").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "docs" / "screenshot.png"))

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
    passage.locator("button.show-doc").click()
    doc = page.locator("#document-view #doc-passage")
    expect(doc.locator("mark").first).to_contain_text(D03["evidence"])
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
    page.wait_for_timeout(500)  # time for a would-be onerror to fire
    assert page.evaluate("typeof window.__pwned") == "undefined"
    for where in ("#evidence", "#document-view", "#chatbot"):
        assert page.locator(f"{where} img[src='x'], {where} script").count() == 0, where
    assert not page.errors, page.errors


def test_follow_up_is_answered_from_the_conversation(page: Page):
    ask(page, D03["question"])
    bubble = ask(page, "And when was it set up?")
    expect(page.locator("#evidence .standalone")).to_have_text(
        f"Read as: {D03['question']} And when was it set up?")
    expect(bubble).to_contain_text("March 2023")


def test_upload_rebuild_while_the_chat_keeps_answering(page: Page, tmp_path, monkeypatch):
    paused, release = threading.Event(), threading.Event()
    real_sync = indexer.sync

    def held_sync(settings, rebuild=False, progress=None):
        """The real sync, held after its first file is embedded (before the switch)."""
        def hold(done, total, embedded):
            progress(done, total, embedded)
            if not paused.is_set():
                paused.set()
                release.wait(60)
        return real_sync(settings, rebuild=rebuild, progress=hold)

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
