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
    settings = _settings()
    try:
        report = _sync(settings, quiet, rebuild)
    except RagError as exc:
        _fail(exc)
    for failure in report.failed:
        typer.secho(f"failed: {failure.reason}", fg=typer.colors.YELLOW, err=True)
    for skipped in report.skipped:
        typer.secho(f"skipped: {skipped.reason}", fg=typer.colors.YELLOW, err=True)
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


def _sync(settings: Settings, quiet: bool, rebuild: bool = False):
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
        return sync(settings, rebuild=rebuild, progress=progress, on_ocr=ocr)
    finally:
        if bar is not None:
            bar.close()


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
        typer.echo(json.dumps(with_highlights(settings, result), ensure_ascii=False))
        return
    typer.echo(result.answer)
    typer.echo(f"(confidence {result.confidence:.2f})")
    if result.citations:
        typer.echo("")
    for c in result.citations:
        _print_passage(c, f"[{c.n}]")
    if result.abstained and result.closest:
        typer.echo("\nClosest passages found:")
        for c in result.closest:
            _print_passage(c, "-")


def with_highlights(settings: Settings, result) -> dict:
    """result.to_json() with a "highlight" on every citation: for a PDF page, each supporting
    sentence's rectangles in PDF points ([x0, y0, x1, y1], origin bottom-left, before the
    page's /Rotate); null for other files or when the file changed since it was indexed."""
    from rag.sources import highlights

    data = result.to_json()
    for key in ("citations", "closest"):
        for c, out in zip(getattr(result, key), data[key]):
            try:
                found = highlights(settings, c)
            except RagError:
                found = None
            out["highlight"] = None if found is None else [h.to_dict() for h in found]
    return data


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
    _sync(workspace, quiet=False)
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
    """Serve the chat UI (http://127.0.0.1:7860 by default)."""
    import ui

    ui.serve(_settings(host=host, port=port))


def main() -> None:
    app()
