"""API: the HTTP routes under /api (ask, sources, index) and the health probes, a thin layer
that turns JSON into Service calls and rag.errors into HTTP status codes."""

from __future__ import annotations

from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Body, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator

from rag.compose.generators import NAMES
from rag.serve.client import index_id
from rag.errors import (ConfigError, GeneratorUnavailableError, IndexBusyError,
                        IndexMismatchError, IndexNotFoundError, RagError)
from rag.serve.service import (Answered, QuestionTooLongError, ServerBusyError, Service,
                               UnknownSourceError)
from rag.serve.sources import SourceError, answer_json, last_failures, page_png

Generator = Literal[NAMES]  # the registered generators (rag.plugins)
# rag.errors -> HTTP status, most specific first; any other RagError is the caller's fault.
STATUS: list[tuple[type[Exception], int]] = [
    (QuestionTooLongError, 400), (UnknownSourceError, 400), (SourceError, 400),
    (ConfigError, 400), (IndexBusyError, 409), (IndexMismatchError, 409),
    (IndexNotFoundError, 503), (GeneratorUnavailableError, 503), (ServerBusyError, 503),
    (RagError, 400),
]


def status_of(exc: Exception) -> int:
    return next((code for cls, code in STATUS if isinstance(exc, cls)), 500)


def validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    """("field: what is wrong; ...", the first field) for a request that failed validation."""
    parts, first = [], None
    for err in exc.errors():
        loc = [str(x) for x in err.get("loc", ()) if x != "body"]
        field = ".".join(loc) or "body"
        if err.get("type") == "json_invalid":
            field, msg = "body", "the request body is not valid JSON"
        else:
            msg = err.get("msg", "invalid")
        first = first or field
        parts.append(f"{field}: {msg}")
    return "; ".join(parts), first


class Turn(BaseModel):
    """One earlier message of the conversation."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant", "system"]
    content: StrictStr


class AskRequest(BaseModel):
    """POST /api/ask. The question's length is checked by the service (400, not 422)."""

    model_config = ConfigDict(extra="forbid")
    question: StrictStr
    history: list[Turn] = Field(default_factory=list, max_length=200)
    k: StrictInt | None = Field(None, ge=1, le=50)
    sources: list[StrictStr] | None = Field(None, max_length=1000)
    generator: Generator | None = None

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty")
        return value


class IndexRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rebuild: StrictBool = False
    checksum: StrictBool = False


class Limits:
    """Threads for answers, so questions that wait for a worker do not hold a thread (and
    never starve the other routes): RAG_WORKERS for most generators, 1 for llama.cpp."""

    def __init__(self, workers: int):
        self.workers = workers
        self._limiters: dict[str, anyio.CapacityLimiter] = {}

    def get(self, generator: str) -> anyio.CapacityLimiter:
        key = "local" if generator == "local" else "*"
        if key not in self._limiters:  # created inside the event loop, on first use
            self._limiters[key] = anyio.CapacityLimiter(1 if key == "local" else self.workers)
        return self._limiters[key]


async def answer(service: Service, limits: Limits, question: str, history: list[dict],
                 k: int | None, sources: list[str] | None, generator: str | None) -> Answered:
    """Service.ask in a worker thread."""
    name = generator or service.settings.generator
    return await anyio.to_thread.run_sync(
        lambda: service.ask(question, history, k, sources, name), limiter=limits.get(name))


def stamps(answered: Answered) -> dict[str, str]:
    """When the server started and finished the work of an answer (epoch seconds)."""
    return {"X-Answer-Started": f"{answered.started:.6f}",
            "X-Answer-Finished": f"{answered.finished:.6f}"}


def routes(service: Service, limits: Limits) -> APIRouter:
    router = APIRouter()

    @router.post("/api/ask")
    async def ask(req: AskRequest) -> JSONResponse:
        """Answer a question: the same JSON as `rag ask --json`."""
        answered = await answer(service, limits, req.question,
                                [t.model_dump() for t in req.history], req.k, req.sources,
                                req.generator)
        data = await run_in_threadpool(answer_json, service.settings, answered.result)
        return JSONResponse(data, headers=stamps(answered))

    @router.get("/api/page")
    async def page(source: str, page: Annotated[int, Query(ge=1)]) -> Response:
        """Page `page` (1-based) of an indexed PDF as a PNG (what the evidence panel shows)."""
        png = await run_in_threadpool(page_png, service.settings, source, page)
        return Response(png, media_type="image/png",
                        headers={"Cache-Control": "private, max-age=60"})

    @router.get("/api/sources")
    async def list_sources() -> dict:
        """Files in the sources folder and the index: title, authors, chunks, when indexed,
        status."""
        files = await run_in_threadpool(service.files)
        failures = [{"source": s, "reason": r}
                    for s, r in last_failures(service.settings).items()]
        return {"files": files, "failures": failures,
                "indexed": sum(1 for f in files if f["chunks"])}

    @router.post("/api/index", status_code=202)
    async def start_index(req: Annotated[IndexRequest | None, Body()] = None) -> dict:
        """Start a sync of the index with the sources folder; returns at once."""
        job = service.index_job.start(rebuild=bool(req and req.rebuild),
                                      checksum=bool(req and req.checksum))
        return {"job": job, "running": True}

    @router.get("/api/index")
    async def index_status() -> dict:
        """The running or last sync: progress, and `last` with the keys of `rag index --json`."""
        return service.index_job.status()

    @router.get("/api/stats")
    async def stats() -> dict:
        """Answers so far and at once, embedding batches and cache hits."""
        return {**service.counters, "workers": service.settings.workers,
                "embedding": service.embedding_stats(),
                "index_running": service.index_job.status()["running"]}

    @router.get("/healthz")
    async def healthz() -> dict:
        """The process is up (the index may still be loading: see /readyz)."""
        return {"status": "ok", "index": index_id(service.settings)}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        """200 once the index is loaded and answers can be given; 503 with the reason."""
        if not getattr(request.app.state, "warmed_up", True):
            return JSONResponse({"ready": False, "reason": "loading the model and the index"},
                                status_code=503)
        ok, reason = await run_in_threadpool(service.ready)
        return JSONResponse({"ready": ok, **({"reason": reason} if reason else {})},
                            status_code=200 if ok else 503)

    return router
