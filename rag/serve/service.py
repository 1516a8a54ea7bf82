"""Service: what the HTTP API and the chat share — one Pipeline per generator, answers in
parallel up to RAG_WORKERS (llama.cpp one at a time), and one index sync in the background."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from rag.serve import sources as source_files
from rag.compose.answer import AnswerResult, Pipeline
from rag.config import Settings
from rag.errors import IndexNotFoundError, RagError
from rag.index.jobs import IndexJob, lower_priority
from rag.index.store import ChunkStore
from rag.text import listed

# How long a question may wait for a free worker before the server says it is busy.
QUEUE_SECONDS = 120.0


class QuestionTooLongError(RagError):
    """A question over RAG_MAX_QUESTION_CHARS (refused before any work is done)."""


class UnknownSourceError(RagError):
    """A source filter names files that are not in the index."""


class ServerBusyError(RagError):
    """Every worker stayed busy for QUEUE_SECONDS."""


def check(settings: Settings, question: str, sources: list[str] | None,
          pipeline: Pipeline) -> None:
    """Refuse, before any work, a question that is too long or a filter naming files the
    index does not have (the API, the UI and `rag ask` alike).

    Raises:
        QuestionTooLongError, UnknownSourceError, IndexNotFoundError.
    """
    limit = settings.max_question_chars
    if len(question or "") > limit:
        raise QuestionTooLongError(
            f"The question is {len(question):,} characters long; the limit is {limit:,} "
            "(RAG_MAX_QUESTION_CHARS). Ask something shorter.")
    if sources:
        indexed = pipeline.reader.sources()
        unknown = [s for s in dict.fromkeys(sources) if s not in indexed]
        if unknown:
            raise UnknownSourceError(f"Not in the index: {', '.join(map(repr, unknown))}. "
                                     f"Indexed files: {listed(indexed)}.")


@dataclass
class Answered:
    """An answer and when the work on it began and ended (time.time(), in the server)."""

    result: AnswerResult
    started: float
    finished: float


class Service:
    """Settings, pipelines, worker slots and the index job, shared by the API and the chat."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.index_job = IndexJob(settings, after=self._after_sync)
        self._pipelines: dict[str, Pipeline] = {}
        self._store: ChunkStore | None = None
        self._lock = threading.Lock()
        # llama.cpp has one context per model: its answers take turns; the others share
        # RAG_WORKERS slots (each answer uses one core: see embeddings.limit_threads).
        self._slots = {"local": threading.BoundedSemaphore(1),
                       "*": threading.BoundedSemaphore(settings.workers)}
        self.counters = {"answers": 0, "running": 0, "most_running": 0}

    def pipeline(self, generator: str | None = None) -> Pipeline:
        """The pipeline of a generator (default RAG_GENERATOR), built on first use.

        Raises:
            GeneratorUnavailableError: the generator cannot run here.
        """
        name = generator or self.settings.generator
        with self._lock:
            if name not in self._pipelines:
                self._pipelines[name] = Pipeline(self.settings, name)
            return self._pipelines[name]

    def store(self) -> ChunkStore:
        with self._lock:
            if self._store is None:
                self._store = ChunkStore(self.settings)
            return self._store

    def check(self, question: str, sources: list[str] | None, pipeline: Pipeline) -> None:
        check(self.settings, question, sources, pipeline)

    def stream(self, question: str, history: list[dict] | None = None, k: int | None = None,
               sources: list[str] | None = None, generator: str | None = None
               ) -> Iterator[dict]:
        """Pipeline.stream, checked and run in a worker slot; the final event also carries
        "started" and "finished" (when the slot was taken and given back)."""
        pipeline = self.pipeline(generator)
        self.check(question, sources, pipeline)
        slot = self._slots.get(pipeline.generator.name, self._slots["*"])
        if not slot.acquire(timeout=QUEUE_SECONDS):
            raise ServerBusyError(f"Every worker was busy for {QUEUE_SECONDS:.0f} s; try again "
                                  "later (or raise RAG_WORKERS).")
        started = time.time()
        self._count(+1)
        try:
            for event in pipeline.stream(question, history, k, sources or None):
                if event["type"] == "final":
                    event = {**event, "started": started, "finished": time.time()}
                yield event
        finally:
            self._count(-1)
            slot.release()

    def ask(self, question: str, history: list[dict] | None = None, k: int | None = None,
            sources: list[str] | None = None, generator: str | None = None) -> Answered:
        """One blocking answer (see stream)."""
        for event in self.stream(question, history, k, sources, generator):
            if event["type"] == "final":
                return Answered(event["result"], event["started"], event["finished"])
        raise RuntimeError("the pipeline ended without a final answer")

    def _count(self, step: int) -> None:
        with self._lock:
            c = self.counters
            c["running"] += step
            c["most_running"] = max(c["most_running"], c["running"])
            c["answers"] += step > 0

    def embedding_stats(self) -> dict:
        """Texts embedded, model calls (batches) and cache hits for questions and sentences."""
        with self._lock:
            pipeline = next(iter(self._pipelines.values()), None)
        return dict(pipeline.vectors.stats) if pipeline else {"texts": 0, "batches": 0,
                                                              "hits": 0}

    def files(self) -> list[dict]:
        """Every indexed, present or failed file: its title and authors, chunks, when
        indexed, status."""
        try:
            manifest = source_files.indexed_files(self.store())
        except IndexNotFoundError:
            manifest = {}
        return [{"file": r.file, "title": r.title, "authors": r.authors, "chunks": r.chunks,
                 "indexed_at": r.indexed_at, "status": r.status}
                for r in source_files.list_files(self.settings, manifest)]

    def ready(self) -> tuple[bool, str]:
        """(True, "") once the default pipeline is built and its index loaded; else why not."""
        try:
            _, kw = self.pipeline().reader.current()
        except RagError as exc:
            return False, str(exc)
        if not kw.ids:
            return False, "The index is empty: add documents and sync (POST /api/index)."
        return True, ""

    def warm_up(self) -> None:
        """Load the model and the index before the first question (errors wait for it),
        then, at low priority, prepare the overviews of up to RAG_PREPARE_OVERVIEWS files."""
        try:
            if self.ready()[0]:
                self.pipeline().reader.embeddings.embed_query("warm up")
                lower_priority()
                self.pipeline().prepare_overviews(limit=self.settings.prepare_overviews)
        except Exception:  # noqa: BLE001 - the first real question reports the problem
            pass

    def _after_sync(self, report) -> None:
        """Prepare the overviews of the files a sync added or changed (its thread is niced)."""
        if self.settings.prepare_overviews and (report.added or report.changed):
            self.pipeline().prepare_overviews(sorted(report.added + report.changed),
                                              limit=self.settings.prepare_overviews)
