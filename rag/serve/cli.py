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
    from rag.serve.client import find_server

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
            _prepare_overviews(settings, sorted(report.added + report.changed), quiet)
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
    from rag.serve import client

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

    from rag.index.indexer import sync

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


def _prepare_overviews(settings: Settings, files: list[str], quiet: bool) -> None:
    """Embed the sentence vectors of the files a sync added or changed (at most
    RAG_PREPARE_OVERVIEWS), as the server does after its syncs, so that their first
    overview takes a fraction of a second, not seconds."""
    files = files[:settings.prepare_overviews]
    if not files:
        return
    from tqdm import tqdm

    from rag.compose.answer import Pipeline

    with tqdm(total=len(files), desc="Preparing overviews", unit="file", file=sys.stderr,
              disable=quiet) as bar:
        Pipeline(settings, "extractive").prepare_overviews(files, progress=bar.update)


def _print_passage(c: dict, label: str) -> None:
    page = f", page {c['page']}" if c.get("page") else ""
    title = f" ({c['title']})" if c.get("title") else ""  # rag.ingest.titles
    typer.echo(f"{label} {c['source']}{page}, chars {c['start']}-{c['end']}{title}")
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
            from rag.serve import client

            data = client.ask(base, settings, {"question": question, "k": k,
                                               "sources": source, "generator": generator})
        else:
            from rag.compose.answer import Pipeline

            from rag.serve.service import check
            from rag.serve.sources import answer_json

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


def _sync_workspace(workspace: Settings) -> None:
    """Sync an evaluation's private index (incrementally; rebuilt if its settings changed)."""
    try:
        _sync(workspace, quiet=False)
    except IndexMismatchError:  # our own workspace, built with older settings: rebuild it
        _sync(workspace, quiet=False, rebuild=True)


def _eval_items(file: Path | None, squad: Path | None, limit: int | None, seed: int,
                held_out: bool, settings: Settings) -> tuple[list[dict], Settings]:
    """The questions to evaluate and the settings of the index they are asked against."""
    from rag.retrieve.datasets import load_items, load_squad, sample, squad_workspace

    if held_out and squad is None:
        raise RagError("--held-out picks SQuAD articles: use it with --squad.")
    if (file is None) == (squad is None):
        raise RagError("Give either a JSONL file or --squad FILE (one of them).")
    if file is not None:
        return sample(load_items(file), limit, seed), settings
    paragraphs, items = load_squad(squad)
    if held_out:
        from rag.compose.answerability import metadata

        kept = set(metadata()["held_out_articles"])
        items = [i for i in items if i["article"] in kept]
        if not items:
            raise RagError(f"{squad} has none of the articles held out from training.")
    workspace = squad_workspace(settings, squad, paragraphs)
    typer.echo(f"Indexing {len(paragraphs)} paragraphs of {squad.name} into "
               f"{workspace.index_dir} ...", err=True)
    _sync_workspace(workspace)
    return sample(items, limit, seed), workspace


SPLITS_FILE = Path(__file__).resolve().parents[2] / "eval" / "data" / "splits.json"


def _corpus_eval(file: Path, sources: Path, split: tuple[str, str | None, Path],
                 limit: int | None, seed: int, k: int | None, settings: Settings,
                 out: Path | None, as_json: bool) -> None:
    """`rag eval FILE --sources DIR`: index DIR privately, ask FILE's items, print the report.

    Args:
        split: (dev | held | all, corpus key or None, the splits file).
    """
    from rag import corpus_eval as ce
    from rag.compose.answer import Pipeline
    from rag.retrieve.datasets import sample
    from rag.index.indexer import ocr_dir

    name, key, splits_file = split
    items = ce.load_corpus_items(file)
    key = ce.corpus_key(file, key)
    if name in ("dev", "held") and key is None:
        raise RagError(f"Which corpus of {splits_file} is {file.name}? Give --corpus KEY.")
    items = ce.filter_split(items, splits_file, key, name)
    if not items:
        raise RagError(f"No item of {file} is in the {name!r} split of {key!r}.")
    chosen = {id(i) for i in sample(items, limit, seed)}
    items = [i for i in items if id(i) in chosen]  # file order, for comparable runs
    if out is not None and not out.parent.is_dir():  # fail now, not after an hour's run
        raise RagError(f"--out {out}: the folder {out.parent} does not exist; create it.")
    workspace = ce.workspace(settings, sources)
    ce.check_sources(items, workspace.sources_dir)
    typer.echo(f"Indexing {workspace.sources_dir} into {workspace.index_dir} ...", err=True)
    _sync_workspace(workspace)
    report = ce.run(Pipeline(workspace), items, workspace.sources_dir, k=k,
                    on_item=lambda r: typer.echo(ce.progress_line(r), err=True),
                    ocr_cache=ocr_dir(workspace))
    if out is not None:
        try:
            out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        except OSError as exc:
            raise RagError(f"Cannot write --out {out}: {exc.strerror}; give a path in an "
                           "existing, writable folder.") from exc
    if as_json:
        typer.echo(json.dumps(report["summary"], ensure_ascii=False))
    else:
        _print_corpus_report(report["summary"])


def _print_corpus_report(s: dict) -> None:
    """The summary table, the threshold sweep and the per-source breakdown."""
    rows = [("factoids answered", s["factoids_answered"], s["factoids"]),
            ("factoids gold cited", s["factoids_cited"], s["factoids"]),
            ("factoids right", s["factoids_right"], s["factoids"]),
            ("unanswerables declined", s["unanswerables_declined"], s["unanswerables"]),
            ("whole answered", s["whole_answered"], s["whole"]),
            ("whole key points", s["whole_key_points"], s["whole"]),
            ("whole papers cited", s["whole_papers_cited"], s["whole"]),
            ("chat turn 1 cited", s["chat_first_cited"], s["chat_first_answerable"]),
            ("chat follow-ups cited", s["chat_followups_cited"],
             s["chat_followups_answerable"]),
            ("chat follow-ups declined", s["chat_followups_declined"],
             s["chat_followups_unanswerable"])]
    typer.echo(f"\n{'':28} {'share':>7}  {'of':>4}")
    for label, value, n in rows:
        typer.echo(f"{label:28} {_pct(value)} {n:4}")
    auc = "-" if s["confidence_auc"] is None else f"{s['confidence_auc']:.3f}"
    typer.echo(f"{'confidence AUC':28} {auc:>7}")
    typer.echo(f"{'unsupported sentences':28} {s['unsupported_sentences']:7}")
    typer.echo(f"{'latency p50 / p95 ms':28} {s['latency_p50_ms']:7.0f} / "
               f"{s['latency_p95_ms']:.0f}")
    typer.echo("\nthreshold  answered  declined")
    for row in s["sweep"]:
        typer.echo(f"{row['threshold']:9.2f}  {_pct(row['answered'])}  "
                   f"{_pct(row['declined'])}")
    typer.echo(f"\n{'source':60} facts answ cited right  unans decl")
    for source, r in s["by_source"].items():
        typer.echo(f"{source[:60]:60} {r['factoids']:5} {r['answered']:4} {r['cited']:5} "
                   f"{r['right']:5}  {r['unanswerables']:5} {r['declined']:4}")


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
    sources: Optional[Path] = typer.Option(
        None, "--sources", help="Read FILE as a corpus question file (factoid, unanswerable, "
        "whole, chat; like papers_dev.jsonl) and ask it against an index of this folder."),
    split: str = typer.Option("all", "--split", help="--sources: dev | held | all: the side "
                              "of the split in --splits to ask."),
    corpus: Optional[str] = typer.Option(None, "--corpus", help="--sources: the corpus key in "
                                         "--splits (default: papers / docs, from FILE's name)."),
    splits: Path = typer.Option(SPLITS_FILE, "--splits", help="--sources: the dev/held split "
                                "of the corpus files."),
    out: Optional[Path] = typer.Option(None, "--out", help="--sources: write every item's "
                                       "answer, citations and verdicts to this JSON file."),
) -> None:
    """Score answers, citations, abstentions, the confidence and latency on a Q&A set."""
    from rag.compose.answer import Pipeline
    from rag.evaluation import evaluate

    settings = _settings(generator=generator)
    if sources is not None:
        try:
            if squad is not None or held_out or file is None:
                raise RagError("--sources evaluates a corpus question file: give FILE.jsonl "
                               "and no --squad / --held-out.")
            _corpus_eval(file, sources, (split, corpus, splits), limit, seed, k, settings,
                         out, as_json)
        except RagError as exc:
            _fail(exc)
        return
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
    from rag.serve.server import serve as serve_all

    try:
        serve_all(_settings(host=host, port=port))
    except RagError as exc:
        _fail(exc)


def main() -> None:
    app()
