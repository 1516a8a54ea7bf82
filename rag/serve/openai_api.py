"""OpenAI-compatible face: POST /v1/chat/completions (plain and streamed) and GET /v1/models,
so the official `openai` client and LangChain's ChatOpenAI can ask the indexed documents.

The reply's content is the verified answer with its [n] markers and a "Sources" list; the
structured citations, the confidence and whether it abstained are extra fields. A stream
carries the verified answer only (never an unchecked draft), once it is ready.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from rag.serve.api import Limits, answer, stamps
from rag.compose.generators import NAMES
from rag.serve.service import Service

OWNER = "rag"


class OpenAIError(Exception):
    """An error to report in OpenAI's shape: {"error": {"message", "type", "param", "code"}}."""

    def __init__(self, status: int, message: str, param: str | None = None,
                 code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code


def error_body(message: str, status: int, param: str | None = None,
               code: str | None = None) -> dict:
    kind = "invalid_request_error" if status < 500 else "server_error"
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, tool_calls, ... are accepted and ignored
    role: StrictStr
    content: StrictStr | list[dict] | None = None


class ChatRequest(BaseModel):
    """The fields rag uses; the rest (temperature, max_tokens, ...) is accepted and ignored.
    `k` and `sources` are rag's own (the openai client sends them with extra_body)."""

    model_config = ConfigDict(extra="allow")
    model: StrictStr
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: StrictBool = False
    k: StrictInt | None = Field(None, ge=1, le=50)
    sources: list[StrictStr] | None = Field(None, max_length=1000)


def model_names(default: str) -> dict[str, str]:
    """Model id -> generator: "rag" is RAG_GENERATOR, "rag-<name>" a given generator."""
    return {"rag": default, **{f"rag-{name}": name for name in NAMES}}


def _text(content: str | list[dict] | None) -> str:
    if isinstance(content, list):  # content parts: keep the text ones
        return "".join(p.get("text", "") for p in content
                       if isinstance(p, dict) and p.get("type") == "text")
    return content or ""


def split_messages(messages: list[ChatMessage]) -> tuple[str, list[dict]]:
    """(the last user message, the user/assistant messages before it)."""
    last = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last is None:
        raise OpenAIError(400, "messages: there is no user message to answer.", "messages")
    history = [{"role": m.role, "content": _text(m.content)} for m in messages[:last]
               if m.role in ("user", "assistant")]
    return _text(messages[last].content), history


def _where(c: dict) -> str:
    page = f", page {c['page']}" if c.get("page") else ""
    return f"{c['source']}{page}, chars {c['start']}-{c['end']}"


def reply_text(result: dict) -> str:
    """The answer with its [n] markers, then its sources (or, for an abstention, the
    closest passages found)."""
    lines = [result["answer"]]
    if result["citations"]:
        lines += ["", "Sources:"]
        lines += [f"[{c['n']}] {_where(c)}: \"{c['quote']}\"" for c in result["citations"]]
    elif result["abstained"] and result["closest"]:
        lines += ["", "Closest passages found:"]
        lines += [f"- {_where(c)}: \"{c['quote']}\"" for c in result["closest"]]
    return "\n".join(lines)


def _extras(result: dict) -> dict:
    return {"citations": result["citations"], "confidence": result["confidence"],
            "abstained": result["abstained"]}


def _chunk(base: dict, delta: dict, finish: str | None = None, **extra) -> str:
    data = {**base, "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _events(base: dict, content: str, extras: dict) -> AsyncIterator[str]:
    yield _chunk(base, {"role": "assistant", "content": ""})
    for piece in re.findall(r"\S+\s*|\s+", content):  # a word at a time
        yield _chunk(base, {"content": piece})
    yield _chunk(base, {}, "stop", **extras)
    yield "data: [DONE]\n\n"


def routes(service: Service, limits: Limits) -> APIRouter:
    router = APIRouter()

    @router.get("/v1/models")
    async def models() -> dict:
        names = model_names(service.settings.generator)
        return {"object": "list", "data": [{"id": m, "object": "model", "created": 0,
                                            "owned_by": OWNER} for m in names]}

    @router.post("/v1/chat/completions")
    async def chat(req: ChatRequest):
        generator = model_names(service.settings.generator).get(req.model)
        if generator is None:
            raise OpenAIError(404, f"The model {req.model!r} does not exist; GET /v1/models "
                                   "lists them.", "model", "model_not_found")
        question, history = split_messages(req.messages)
        answered = await answer(service, limits, question, history, req.k, req.sources,
                                generator)
        result = answered.result.to_json()
        base = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()),
                "model": req.model}
        content = reply_text(result)
        if req.stream:
            return StreamingResponse(_events(base, content, _extras(result)),
                                     media_type="text/event-stream", headers=stamps(answered))
        body = {**base, "object": "chat.completion",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
                **_extras(result)}
        return JSONResponse(body, headers=stamps(answered))

    return router
