"""Server: one FastAPI app with two faces — the HTTP API (/api, /v1, probes) and the Gradio
chat mounted at / — plus the key check, the body-size limit and the refusal to listen on
the network unprotected. `rag serve` runs it."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import threading
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from rag import plugins
from rag.serve import api, openai_api
from rag.config import Settings
from rag.errors import ConfigError, RagError
from rag.serve.service import Service

log = logging.getLogger("rag.serve.server")
PROTECTED = ("/api/", "/v1/")
MAX_BODY = 1024 * 1024  # bytes of a JSON request: far more than any question needs


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings) -> None:
    """Refuse to listen beyond loopback unless the API has a key and the chat a login
    (or RAG_ALLOW_OPEN=1 says the network is trusted).

    Raises:
        ConfigError: saying which protection is missing.
    """
    if is_loopback(settings.host) or settings.allow_open:
        return
    missing = [what for what, ok in (("RAG_API_KEY (for /api and /v1)", settings.api_key),
                                     ("RAG_USERNAME/RAG_PASSWORD (for the chat page)",
                                      settings.username)) if not ok]
    if missing:
        raise ConfigError(
            f"Refusing to listen on {settings.host}: anyone on the network could ask, "
            f"upload and delete documents. Set {' and '.join(missing)}, or bind to 127.0.0.1, "
            "or set RAG_ALLOW_OPEN=1 if the network is trusted.")


def _is_protected(path: str) -> bool:
    return path.startswith(PROTECTED) or path in ("/api", "/v1")


def _error(path: str, status: int, message: str, param: str | None = None,
           code: str | None = None, headers: dict | None = None) -> JSONResponse:
    """An error in the shape the route's clients expect (OpenAI's under /v1)."""
    body = (openai_api.error_body(message, status, param, code) if path.startswith("/v1")
            else {"detail": message, **({"field": param} if param else {})})
    return JSONResponse(body, status_code=status, headers=headers)


class Guard:
    """ASGI middleware for /api and /v1: the bearer key (compared in constant time) and a
    limit on the body (read here, at most MAX_BODY bytes, then handed on)."""

    def __init__(self, app, key: str | None):
        self.app, self.key = app, key

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not _is_protected(scope["path"]):
            return await self.app(scope, receive, send)
        path = scope["path"]
        headers = {k.decode("latin-1").lower(): v for k, v in scope["headers"]}
        if self.key and not self._authorised(headers.get("authorization", b"")):
            return await _error(path, 401, "A valid API key is required: send the header "
                                "`Authorization: Bearer <RAG_API_KEY>`.", code="invalid_api_key",
                                headers={"WWW-Authenticate": "Bearer"})(scope, receive, send)
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_BODY:
                return await _error(path, 413, f"The request body is over {MAX_BODY:,} bytes."
                                    )(scope, receive, send)
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()  # after the body: disconnects and the like
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def _authorised(self, header: bytes) -> bool:
        scheme, _, token = header.decode("latin-1").partition(" ")
        # compare_digest takes as long for a wrong key as for a right one of that length
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode("utf-8", "surrogateescape"), self.key.encode("utf-8"))


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(RagError)
    async def rag_error(request: Request, exc: RagError):
        return _error(request.url.path, api.status_of(exc), str(exc))

    @app.exception_handler(openai_api.OpenAIError)
    async def openai_error(request: Request, exc: openai_api.OpenAIError):
        return _error(request.url.path, exc.status, exc.message, exc.param, exc.code)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        message, field = api.validation_message(exc)
        return _error(request.url.path, 422, message, field)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return _error(request.url.path, exc.status_code, str(exc.detail),
                      headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unexpected error on %s", request.url.path)
        return _error(request.url.path, 500, f"Something went wrong ({type(exc).__name__}); "
                      "the server log has details.")


Chat = Callable[[Settings, Service], tuple[Any, dict]]  # a chat registered in rag.plugins.CHAT


def registered_chat(name: str = "gradio") -> Chat:
    """The chat registered as `name` (pyproject.toml registers ui.py's `chat`): found by
    name, so this package never imports ui.py.

    Raises:
        ConfigError: none is.
    """
    return plugins.load(plugins.CHAT, name)


def create_app(settings: Settings, service: Service | None = None,
               chat: bool | Chat = True) -> FastAPI:
    """The API, and the chat mounted at / (chat=True: the registered one; a callable: that
    one; False: none)."""
    service = service or Service(settings)
    app = FastAPI(title="rag", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    app.state.service = service
    limits = api.Limits(settings.workers)
    app.include_router(api.routes(service, limits))
    app.include_router(openai_api.routes(service, limits))
    _handlers(app)
    app.add_middleware(Guard, key=settings.api_key)
    if chat:
        import gradio as gr

        blocks, opts = (registered_chat() if chat is True else chat)(settings, service)
        app = gr.mount_gradio_app(app, blocks, path="/", auth=opts["auth"],
                                  max_file_size=opts["max_file_size"], css=opts["css"],
                                  theme=opts["theme"], ssr_mode=False, show_error=False,
                                  footer_links=[])
    return app


def serve(settings: Settings) -> None:
    """Serve the chat and the API on settings.host:settings.port until interrupted.

    Raises:
        ConfigError: see check_exposure.
    """
    import uvicorn

    from rag.embeddings import limit_threads

    check_exposure(settings)
    limit_threads(1)  # one core per answer; RAG_WORKERS answers at once
    service = Service(settings)
    app = create_app(settings, service)
    app.state.warmed_up = False

    def warm_up() -> None:
        service.warm_up()
        app.state.warmed_up = True

    threading.Thread(target=warm_up, name="rag-warm-up", daemon=True).start()
    print(f"Serving the chat on http://{settings.host}:{settings.port}/ and the API under "
          f"/api and /v1 ({settings.workers} workers"
          + (", key required" if settings.api_key else "") + ")", flush=True)
    uvicorn.run(app, host=settings.host.strip("[]"), port=settings.port, log_level="warning",
                timeout_graceful_shutdown=5)

