"""CLI: a thin typer front over the pipeline (`rag index`, `rag ask`, `rag eval`, `rag serve`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from rag.config import Settings, load_settings
from rag.errors import ConfigError, IndexMismatchError, RagError

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


SERVER = typer.Option(None, "--server", help="URL of a running `rag serve` to do the work "
                     "(default: the one on RAG_HOST:RAG_PORT, if it reads the same index).")
LOCAL = typer.Option(False, "--local", help="Work in this process even if a server is running.")
VERBOSE = typer.Option(False, "--verbose", "-v", help="Say whether a server or this process "
                       "did the work.")


def _where_to_work(settings: Settings, server: str | None, local: bool,
                   verbose: bool) -> str | None:
    """The base URL of the server to send the work to, or None to work in this process."""
    from rag.client import find_server

    if server and local:
        raise ConfigError("--server and --local conflict: give one of them.")
    base, why = (None, "--local was given") if local else find_server(settings, server)
    if verbose:
        typer.echo(f"rag: using {why}" if base else f"rag: working in this process ({why})",
                   err=True)
    return base


@app.command()
def index(
    rebuild: bool = typer.Option(False, "--rebuild", help="Discard the index and embed all again."),
    checksum: bool = typer.Option(
        False, "--checksum", help="Read and hash every file, even those whose modification time "
        "and size are unchanged since they were last hashed."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    server: Optional[str] = SERVER,
    local: bool = LOCAL,
    verbose: bool = VERBOSE,
) -> None:
    """Make the index equal to the sources folder (new, changed and deleted files)."""
    settings = _settings()
    try:
        base = _where_to_work(settings, server, local, verbose)
        if base:
            summary, failures, skipped, embedded = _remote_sync(base, settings, quiet, rebuild,
                                                                checksum)
        else:
            report = _sync(settings, quiet, rebuild, checksum)
            summary, embedded = report.summary(), report.embedded
            failures = [f.reason for f in report.failed]
            skipped = [f.reason for f in report.skipped]
    except RagError as exc:
        _fail(exc)
    for reason in failures:
        typer.secho(f"failed: {reason}", fg=typer.colors.YELLOW, err=True)
    for reason in skipped:
        typer.secho(f"skipped: {reason}", fg=typer.colors.YELLOW, err=True)
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        typer.echo(
            f"{summary['added']} added, {summary['changed']} changed, {summary['removed']} "
            f"removed, {summary['unchanged']} unchanged, {summary['failed']} failed; "
            f"{summary['chunks']} chunks in the index ({embedded} embedded) "
            f"in {summary['seconds']:.1f} s")
    if failures:
        raise typer.Exit(1)


def _remote_sync(base: str, settings: Settings, quiet: bool, rebuild: bool,
                 checksum: bool = False) -> tuple[dict, list[str], list[str], int]:
    """Run a sync on the server, with the same progress bar; (summary, failures, skipped
    pages, embedded)."""
    from rag import client

    bar = None

    def progress(p: dict) -> None:
        nonlocal bar
        if quiet or not p["bytes_total"]:
            return
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=p["bytes_total"], unit="B", unit_scale=True, desc="Embedding",
                       file=sys.stderr)
        bar.n = p["bytes_done"]
        bar.set_postfix(chunks=p["embedded"], refresh=False)
        bar.refresh()

    try:
        job = client.start_index(base, settings, rebuild, checksum)["job"]
        status = client.wait_for_index(base, settings, job, progress)
    finally:
        if bar is not None:
            bar.close()
    return (status["last"], [f["reason"] for f in status["failures"]],
            [f["reason"] for f in status.get("skipped", [])], status["embedded"])


def _sync(settings: Settings, quiet: bool, rebuild: bool = False, checksum: bool = False):
    """Run a sync with a progress bar on stderr (unless quiet); its report."""
    from tqdm import tqdm

    from rag.indexer import sync

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

    def ocr(source: str, page: int, pages: int) -> None:
        if not quiet:  # OCR takes seconds a page: say which one is being read
            tqdm.write(f"OCR {source}: page {page} of {pages}", file=sys.stderr)

    try:
        return sync(settings, rebuild=rebuild, progress=progress, on_ocr=ocr, checksum=checksum)
    finally:
        if bar is not None:
            bar.close()


def _print_passage(c: dict, label: str) -> None:
    page = f", page {c['page']}" if c.get("page") else ""
    typer.echo(f"{label} {c['source']}{page}, chars {c['start']}-{c['end']}")
    typer.echo(f'    "{c["quote"]}"')


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
    server: Optional[str] = SERVER,
    local: bool = LOCAL,
    verbose: bool = VERBOSE,
) -> None:
    """Answer a question from the indexed sources, with numbered citations."""
    settings = _settings(generator=generator)
    try:
        base = _where_to_work(settings, server, local, verbose)
        if base:
            from rag import client

            data = client.ask(base, settings, {"question": question, "k": k,
                                               "sources": source, "generator": generator})
        else:
            from rag.answer import Pipeline

            from rag.service import check
            from rag.sources import answer_json

            pipeline = Pipeline(settings)
            check(settings, question, source, pipeline)
            data = answer_json(settings, pipeline.ask(question, k=k, sources=source))
    except RagError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    typer.echo(data["answer"])
    if data["confidence"] is not None:  # None: a whole-document answer (an overview, ...)
        typer.echo(f"(confidence {data['confidence']:.2f})")
    if data["citations"]:
        typer.echo("")
    for c in data["citations"]:
        _print_passage(c, f"[{c['n']}]")
    if data["abstained"] and data["closest"]:
        typer.echo("\nClosest passages found:")
        for c in data["closest"]:
            _print_passage(c, "-")


def _eval_items(file: Path | None, squad: Path | None, limit: int | None, seed: int,
                held_out: bool, settings: Settings) -> tuple[list[dict], Settings]:
    """The questions to evaluate and the settings of the index they are asked against."""
    from rag.datasets import load_items, load_squad, sample, squad_workspace

    if held_out and squad is None:
        raise RagError("--held-out picks SQuAD articles: use it with --squad.")
    if (file is None) == (squad is None):
        raise RagError("Give either a JSONL file or --squad FILE (one of them).")
    if file is not None:
        return sample(load_items(file), limit, seed), settings
    paragraphs, items = load_squad(squad)
    if held_out:
        from rag.answerability import metadata

        kept = set(metadata()["held_out_articles"])
        items = [i for i in items if i["article"] in kept]
        if not items:
            raise RagError(f"{squad} has none of the articles held out from training.")
    workspace = squad_workspace(settings, squad, paragraphs)
    typer.echo(f"Indexing {len(paragraphs)} paragraphs of {squad.name} into "
               f"{workspace.index_dir} ...", err=True)
    try:
        _sync(workspace, quiet=False)
    except IndexMismatchError:  # our own workspace, built with older settings: rebuild it
        _sync(workspace, quiet=False, rebuild=True)
    return sample(items, limit, seed), workspace


@app.command(name="eval")
def eval_(
    file: Optional[Path] = typer.Argument(None, help="JSONL file: question, answers, evidence."),
    squad: Optional[Path] = typer.Option(None, "--squad", help="A SQuAD JSON file instead: "
                                         "each paragraph becomes a source, every question is "
                                         "asked against the whole index."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1,
                                        help="Ask this many questions, drawn at random."),
    seed: int = typer.Option(0, "--seed", help="Random seed for --limit."),
    held_out: bool = typer.Option(False, "--held-out", help="--squad: only the articles the "
                                  "answerability model was not trained on."),
    with_sweep: bool = typer.Option(False, "--sweep", help="Also a table of confidence "
                                    "thresholds with the answered and abstained shares."),
    k: Optional[int] = typer.Option(None, "--k", "-k", min=1, max=50),
    generator: Optional[str] = typer.Option(None, "--generator", "-g",
                                            help="extractive | local | openai."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Score answers, citations, abstentions, the confidence and latency on a Q&A set."""
    from rag.answer import Pipeline
    from rag.evaluation import evaluate

    settings = _settings(generator=generator)
    try:
        items, settings = _eval_items(file, squad, limit, seed, held_out, settings)
        pipeline = Pipeline(settings)

        def show(item: dict) -> None:
            if not as_json:
                mark = {True: "ok ", False: "BAD", None: "   "}
                verdict = item["answer_correct"] if item["answer_correct"] is not None \
                    else item["abstention_correct"]
                typer.echo(f"{mark[verdict]} {item['confidence']:.2f} {item['id']}: "
                           f"{item['answer'][:100]}")

        report = evaluate(pipeline, items, k=k, on_item=show, with_sweep=with_sweep)
    except RagError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    typer.echo("")
    for key, value in report.items():
        if key not in ("items", "sweep"):
            typer.echo(f"{key:28} {value}")
    if with_sweep:
        typer.echo("\nthreshold  answered  abstained")
        for row in report["sweep"]:
            typer.echo(f"{row['threshold']:9.2f}  {_pct(row['answered'])}  "
                       f"{_pct(row['abstained'])}")


def _pct(value: float | None) -> str:
    return "     -  " if value is None else f"{value:7.1%} "


@app.command()
def serve(
    host: Optional[str] = typer.Option(None, help="Bind address (default RAG_HOST)."),
    port: Optional[int] = typer.Option(None, help="Port (default RAG_PORT)."),
) -> None:
    """Serve the chat and the HTTP API (http://127.0.0.1:7860 by default)."""
    from rag.server import serve as serve_all

    try:
        serve_all(_settings(host=host, port=port))
    except RagError as exc:
        _fail(exc)


def main() -> None:
    app()
