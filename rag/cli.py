"""CLI: a thin typer front over the pipeline (`rag index`, `rag ask`, `rag eval`, `rag serve`)."""

from __future__ import annotations

import json
import sys
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


def main() -> None:
    app()
