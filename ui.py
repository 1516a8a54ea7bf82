"""UI: the Gradio chat app, built from the same Settings and Pipeline as the CLI."""

from __future__ import annotations

import logging
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no usage pings
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402

from rag.serve import pageview, render, sources  # noqa: E402
from rag.config import Settings, load_settings  # noqa: E402
from rag.errors import (GeneratorUnavailableError, IndexBusyError, IndexMismatchError,  # noqa: E402
                        IndexNotFoundError, RagError)
from rag.compose.generators import NAMES  # noqa: E402
from rag.ingest.loaders import SUPPORTED  # noqa: E402
from rag.serve.service import Service  # noqa: E402

log = logging.getLogger("rag.ui")
HEADERS = ["file", "title", "authors", "chunks", "indexed at", "status"]
# System fonts only: the default theme would fetch Google Fonts, and this app runs offline.
THEME = gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],
                          font_mono=["ui-monospace", "monospace"])


# What the handlers share with the HTTP API: settings, one Pipeline per generator, the chunk
# store, worker slots and the index job.
Backend = Service


def message(exc: Exception) -> str:
    """What the user reads for an error: the library's message and what to do next."""
    if isinstance(exc, IndexNotFoundError):
        return ("There is no index yet: run `rag index`, or add files on the Sources tab and "
                "press Rebuild index.")
    if isinstance(exc, GeneratorUnavailableError):
        return f"{exc} Choose another generator under Settings."
    if isinstance(exc, IndexBusyError):
        return ("The index is busy: another rebuild (or `rag index`) is running. Wait for it "
                "to finish, then try again.")
    if isinstance(exc, IndexMismatchError):
        return f"{exc} On the Sources tab: tick 'Re-embed everything' and press Rebuild index."
    if isinstance(exc, RagError):
        return str(exc)
    log.exception("unexpected error in the UI")
    return f"Something went wrong ({type(exc).__name__}: {exc}). The server log has details."


def _bot(content: str) -> dict:
    return {"role": "assistant", "content": content}


def _final(result, question: str, views: dict[int, str] | None = None
           ) -> tuple[str, str, list]:
    """(chat bubble, evidence panel, citations shown) for a finished answer or abstention;
    `views`: page views of the cited PDF pages, by citation number."""
    asked = result.standalone if result.standalone != question.strip() else None
    if result.kind == "clarify":  # a name two documents fit: the question back, as asked
        return render.text(result.answer), render.EMPTY, []
    if result.abstained:
        bubble = ("**Not answered.** " + render.text(result.answer)
                  + " The closest passages are shown under Evidence.")
        return (bubble, render.closest(result.closest, result.reason, asked, views),
                result.closest)
    bubble = render.answer(result.answer) + render.confidence(result.confidence)
    return bubble, render.evidence(result.citations, asked, views), result.citations


def start(question: str, chat: list):
    """Show the question at once and lock the input while the answer forms."""
    chat = list(chat or []) + [{"role": "user", "content": render.text(question or "")}]
    locked = gr.update(value="", interactive=False)
    return locked, chat, question, gr.update(interactive=False), "searching"


class Handlers:
    """The event handlers, as methods so Gradio sees their gr.Progress/gr.EventData hints."""

    def __init__(self, backend: Backend):
        self.backend = backend

    def answer(self, question: str, turns: list, chat: list, generator: str, k: float,
               only: list[str] | None):
        """Stream one answer: a placeholder, the draft as it forms, then the verified answer.

        Yields (chat, evidence, citations, turns, question box, ask button, status).
        """
        chat = list(chat or []) + [_bot("Searching the sources…")]
        skip, unlock = gr.skip(), gr.update(interactive=True)
        yield chat, skip, skip, skip, skip, skip, "searching"
        result, draft = None, ""
        try:
            for event in self.backend.stream(question, history=list(turns or []), k=int(k),
                                             sources=list(only or []) or None,
                                             generator=generator):
                if event["type"] == "token":
                    draft += event["text"]
                    # a new list per yield: Gradio may still be sending the previous one
                    chat = [*chat[:-1], _bot(render.answer(draft, links=False) + " ▍")]
                    yield chat, skip, skip, skip, skip, skip, "answering"
                elif event["type"] == "final":
                    result = event["result"]
        except Exception as exc:  # noqa: BLE001 - every failure becomes a readable message
            chat = [*chat[:-1], _bot("⚠️ " + render.text(message(exc)))]
            yield chat, render.notice(message(exc)), [], skip, unlock, unlock, "error"
            return
        views = pageview.views(self.backend.settings,
                               result.closest if result.abstained else result.citations)
        bubble, panel, cited = _final(result, question, views)
        chat = [*chat[:-1], _bot(bubble)]
        turns = list(turns or []) + [{"role": "user", "content": question},
                                     {"role": "assistant", "content": result.answer}]
        yield chat, panel, cited, turns, unlock, unlock, "done"

    def show_document(self, cited: list, evt: gr.EventData):
        """Open the document view at the passage whose "Show in document" was pressed, or
        at the page a page control asks for (a PDF's whole text for "Whole document")."""
        n = getattr(evt, "cite", None)
        citation = next((c for c in cited or [] if c.n == n), None)
        if citation is None:
            return gr.update(open=True), render.notice("That passage is gone; ask again.")
        settings, number = self.backend.settings, getattr(evt, "page", None)
        try:
            if number:
                return gr.update(open=True), pageview.page(settings, citation, int(number))
            if sources.has_pages(citation.source):
                return gr.update(open=True), pageview.whole(settings, citation)
            full = sources.document_text(settings, citation.source, citation.page)
        except RagError as exc:
            return gr.update(open=True), render.notice(message(exc))
        return gr.update(open=True), render.document(full, citation)

    def check_generator(self, generator: str) -> str:
        try:
            self.backend.pipeline(generator)
        except Exception as exc:  # noqa: BLE001
            return message(exc)
        return f"Answers now come from the {generator} generator."

    def refresh(self, only: list[str] | None = None):
        """(sources table, removable files, source filter) from the folder and the live index."""
        try:
            manifest = sources.indexed_files(self.backend.store())
        except Exception as exc:  # noqa: BLE001 - a broken store must not break the page
            log.warning("cannot read the index: %s", exc)
            manifest = {}
        rows = [r.as_list() for r in sources.list_files(self.backend.settings, manifest)]
        indexed = sorted(manifest)
        return (gr.update(value=rows or None, headers=HEADERS),
                gr.update(choices=sources.on_disk(self.backend.settings), value=None),
                gr.update(choices=indexed, value=[s for s in only or [] if s in indexed]))

    def upload(self, files: list[str] | None, only: list[str] | None):
        lines = []
        for path in files or []:
            try:
                saved = sources.save_upload(self.backend.settings, path)
            except (RagError, OSError) as exc:
                lines.append(f"Not saved: {exc}")
                continue
            lines.append(f"Saved {saved.name}" + (" (replaced the file of that name)"
                                                  if saved.replaced else "") + ".")
        if any(line.startswith("Saved") for line in lines):
            lines.append("Press Rebuild index to answer from the new files.")
        return ("\n".join(lines), None) + self.refresh(only)

    def remove(self, source: str | None, only: list[str] | None):
        if not source:
            return ("Choose a file to remove.",) + self.refresh(only)
        try:
            sources.remove_source(self.backend.settings, source)
            text = f"Removed {source}. Press Rebuild index to drop it from answers."
        except (RagError, OSError) as exc:
            text = f"Not removed: {exc}"
        return (text,) + self.refresh(only)

    def rebuild(self, full: bool, only: list[str] | None, progress=gr.Progress()):
        """Sync the index (in the index job's low-priority thread, which the API shares); the
        chat keeps answering from the old index meanwhile."""
        progress(0, desc="Scanning the sources folder")
        try:
            report = self.backend.index_job.run(full, lambda f, d: progress(f, desc=d))
            text = sources.describe(report)
        except Exception as exc:  # noqa: BLE001
            text = message(exc)
        return (text,) + self.refresh(only)


def _chat_tab(backend: Backend) -> dict:
    s = backend.settings
    ui = {}
    with gr.Row():
        with gr.Column(scale=3):
            ui["chat"] = gr.Chatbot(elem_id="chatbot", label="Chat", height=520,
                                    latex_delimiters=[], feedback_options=None,
                                    buttons=["copy"])
            with gr.Row():
                ui["question"] = gr.Textbox(elem_id="question", show_label=False, scale=5,
                                            placeholder="Ask a question about your documents",
                                            max_length=s.max_question_chars)
                ui["ask"] = gr.Button("Ask", elem_id="ask", variant="primary", scale=1)
            ui["status"] = gr.Textbox("idle", elem_id="chat-status", show_label=False,
                                      container=False, interactive=False)
            with gr.Accordion("Settings", open=False, elem_id="settings"):
                ui["generator"] = gr.Dropdown(list(NAMES), value=s.generator, label="Generator",
                                              elem_id="generator")
                ui["k"] = gr.Slider(1, 50, value=s.top_k, step=1, label="Passages (top-k)",
                                    elem_id="top-k")
                ui["only"] = gr.Dropdown([], value=[], multiselect=True, elem_id="source-filter",
                                         label="Only answer from these files (none = all)")
                ui["settings_msg"] = gr.Textbox(show_label=False, container=False,
                                                interactive=False, elem_id="settings-message")
        with gr.Column(scale=2):
            ui["evidence"] = gr.HTML(render.EMPTY, elem_id="evidence", label="Evidence",
                                     show_label=True, container=True, max_height=560,
                                     js_on_load=render.EVIDENCE_JS + pageview.JS)
            with gr.Accordion("Document", open=False, elem_id="document") as ui["doc_box"]:
                ui["doc"] = gr.HTML("", elem_id="document-view", max_height=720,
                                    js_on_load=render.DOCUMENT_JS + pageview.JS)
    return ui


def _sources_tab(backend: Backend) -> dict:
    ui = {}
    ui["table"] = gr.Dataframe(headers=HEADERS, interactive=False, elem_id="sources-table",
                               label="Indexed files", wrap=True)
    with gr.Row():
        ui["upload"] = gr.File(label=f"Add files ({', '.join(SUPPORTED)}; at most "
                                     f"{backend.settings.max_upload_mb} MB each)",
                               file_count="multiple", file_types=list(SUPPORTED),
                               elem_id="upload")
        with gr.Column():
            ui["remove_choice"] = gr.Dropdown([], label="File to remove", elem_id="remove-choice")
            ui["remove"] = gr.Button("Remove file", elem_id="remove", variant="stop")
    ui["sources_msg"] = gr.Textbox(label="Files", interactive=False, elem_id="sources-message")
    with gr.Row():
        ui["full"] = gr.Checkbox(False, label="Re-embed everything (after changing the "
                                               "chunk settings)", elem_id="full-rebuild")
        ui["rebuild"] = gr.Button("Rebuild index", elem_id="rebuild", variant="primary")
    ui["index_msg"] = gr.Textbox(label="Index", interactive=False, elem_id="index-status",
                                 lines=2)
    return ui


def create_app(settings: Settings | None = None, backend: Service | None = None) -> gr.Blocks:
    """The whole UI as a gr.Blocks (nothing is loaded or indexed until it is used); `backend`
    is shared with the HTTP API when the server mounts the chat."""
    backend = backend or Backend(settings or load_settings())
    on = Handlers(backend)
    with gr.Blocks(title="Ask your documents") as app:
        turns, cited, pending = gr.State([]), gr.State([]), gr.State("")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                c = _chat_tab(backend)
            with gr.Tab("Sources", id="sources"):
                src = _sources_tab(backend)
        listing = [src["table"], src["remove_choice"], c["only"]]

        # The chat and the index have separate queues, so a rebuild never blocks answers.
        # RAG_WORKERS answers at once (the backend makes llama.cpp's take turns).
        for trigger in (c["ask"].click, c["question"].submit):
            trigger(start, [c["question"], c["chat"]],
                    [c["question"], c["chat"], pending, c["ask"], c["status"]], queue=False
                    ).then(on.answer,
                           [pending, turns, c["chat"], c["generator"], c["k"], c["only"]],
                           [c["chat"], c["evidence"], cited, turns, c["question"], c["ask"],
                            c["status"]], concurrency_id="chat",
                           concurrency_limit=backend.settings.workers)
        c["chat"].clear(lambda: ([], [], render.EMPTY, "idle"), None,
                        [turns, cited, c["evidence"], c["status"]], queue=False)
        c["evidence"].click(on.show_document, cited, [c["doc_box"], c["doc"]])
        c["doc"].click(on.show_document, cited, [c["doc_box"], c["doc"]])
        c["generator"].change(on.check_generator, c["generator"], c["settings_msg"])
        src["upload"].upload(on.upload, [src["upload"], c["only"]],
                             [src["sources_msg"], src["upload"], *listing],
                             concurrency_id="index", concurrency_limit=1)
        src["remove"].click(on.remove, [src["remove_choice"], c["only"]],
                            [src["sources_msg"], *listing], concurrency_id="index")
        src["rebuild"].click(on.rebuild, [src["full"], c["only"]], [src["index_msg"], *listing],
                             concurrency_id="index")
        app.load(on.refresh, c["only"], listing)
    return app


def launch_options(settings: Settings) -> dict:
    """Arguments of Blocks.launch(): address, login, upload limit, look. Never a share link."""
    auth = (settings.username, settings.password) if settings.username else None
    return dict(server_name=settings.host, server_port=settings.port, auth=auth, share=False,
                max_file_size=settings.max_upload_mb * sources.MB,
                css=render.CSS + pageview.CSS, theme=THEME,
                ssr_mode=False, show_error=False, quiet=True)


def chat(settings: Settings, service: Service) -> tuple[gr.Blocks, dict]:
    """The chat as rag.serve.server mounts it (registered in pyproject.toml under the
    "rag.chat" entry points): the app over the server's service, and its launch options."""
    return create_app(settings, service), launch_options(settings)


def serve(settings: Settings) -> None:
    """Serve the chat (and the HTTP API beside it) until interrupted: see rag.serve.server."""
    from rag.serve.server import serve as serve_all

    serve_all(settings)


if __name__ == "__main__":
    try:
        serve(load_settings())
    except RagError as exc:
        raise SystemExit(f"Error: {exc}") from None
