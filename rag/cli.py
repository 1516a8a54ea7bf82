"""CLI: a thin typer front over the pipeline (`rag index`, `rag ask`, `rag eval`, `rag serve`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from rag.config import Settings, load_settings
from rag.errors import RagError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Offline retrieval-augmented Q&A over the documents in a folder.")


@app.callback()
def _root() -> None:
    """Offline retrieval-augmented Q&A over the documents in a folder."""


def _fail(exc: Exception) -> None:
    typer.secho(f"Error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def _settings(**overrides) -> Settings:
    try:
        return load_settings(**overrides)
    except RagError as exc:
        _fail(exc)


@app.command()
def index(
    rebuild: bool = typer.Option(False, "--rebuild", help="Discard the index and embed all again."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Make the index equal to the sources folder (new, changed and deleted files)."""
    from tqdm import tqdm

    from rag.indexer import sync

    settings = _settings()
    bar = None

    def progress(done: int, total: int, embedded: int) -> None:
        nonlocal bar
        if quiet:
            return
        if bar is None:
            bar = tqdm(total=total, unit="B", unit_scale=True, desc="Embedding", file=sys.stderr)
        bar.n = done
        bar.set_postfix(chunks=embedded, refresh=False)
        bar.refresh()

    try:
        report = sync(settings, rebuild=rebuild, progress=progress)
    except RagError as exc:
        _fail(exc)
    finally:
        if bar is not None:
            bar.close()
    for failure in report.failed:
        typer.secho(f"failed: {failure.reason}", fg=typer.colors.YELLOW, err=True)
    summary = report.summary()
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        typer.echo(
            f"{summary['added']} added, {summary['changed']} changed, {summary['removed']} "
            f"removed, {summary['unchanged']} unchanged, {summary['failed']} failed; "
            f"{summary['chunks']} chunks in the index ({report.embedded} embedded) "
            f"in {summary['seconds']:.1f} s")
    if report.failed:
        raise typer.Exit(1)


def _print_passage(c, label: str) -> None:
    page = f", page {c.page}" if c.page else ""
    typer.echo(f"{label} {c.source}{page}, chars {c.start}-{c.end}")
    typer.echo(f'    "{c.quote}"')


@app.command()
def ask(
    question: str = typer.Argument(..., help="The question, in plain language."),
    k: Optional[int] = typer.Option(None, "--k", "-k", min=1, max=50,
                                    help="Passages to retrieve (default RAG_TOP_K)."),
    generator: Optional[str] = typer.Option(None, "--generator", "-g",
                                            help="extractive | local | openai."),
    source: Optional[list[str]] = typer.Option(None, "--source", "-s",
                                               help="Only answer from this file (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Answer a question from the indexed sources, with numbered citations."""
    from rag.answer import Pipeline

    settings = _settings(generator=generator)
    try:
        result = Pipeline(settings).ask(question, k=k, sources=source)
    except RagError as exc:
        _fail(exc)
    if as_json:
        data = result.to_json()
        typer.echo(json.dumps({"answer": data["answer"], "abstained": data["abstained"],
                               "citations": data["citations"], **data}, ensure_ascii=False))
        return
    typer.echo(result.answer)
    if result.citations:
        typer.echo("")
    for c in result.citations:
        _print_passage(c, f"[{c.n}]")
    if result.abstained and result.closest:
        typer.echo("\nClosest passages found:")
        for c in result.closest:
            _print_passage(c, "-")


@app.command(name="eval")
def eval_(
    file: Path = typer.Argument(..., help="JSONL file: question, answers, evidence per line."),
    k: Optional[int] = typer.Option(None, "--k", "-k", min=1, max=50),
    generator: Optional[str] = typer.Option(None, "--generator", "-g",
                                            help="extractive | local | openai."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Score answers, citations, abstentions and latency on a Q&A set."""
    from rag.answer import Pipeline
    from rag.evaluation import evaluate, load_items

    settings = _settings(generator=generator)
    try:
        items = load_items(file)
        pipeline = Pipeline(settings)

        def show(item: dict) -> None:
            if not as_json:
                mark = {True: "ok ", False: "BAD", None: "   "}
                verdict = item["answer_correct"] if item["answer_correct"] is not None \
                    else item["abstention_correct"]
                typer.echo(f"{mark[verdict]} {item['id']}: {item['answer'][:100]}")

        report = evaluate(pipeline, items, k=k, on_item=show)
    except RagError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    summary = {k_: v for k_, v in report.items() if k_ != "items"}
    typer.echo("")
    for key, value in summary.items():
        typer.echo(f"{key:24} {value}")


@app.command()
def serve(
    host: Optional[str] = typer.Option(None, help="Bind address (default RAG_HOST)."),
    port: Optional[int] = typer.Option(None, help="Port (default RAG_PORT)."),
) -> None:
    """Serve the chat UI (http://127.0.0.1:7860 by default)."""
    import ui

    ui.serve(_settings(host=host, port=port))


def main() -> None:
    app()
