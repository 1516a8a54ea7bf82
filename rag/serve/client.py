"""Client: the CLI's way to a running `rag serve`. Standard library only, so a `rag ask` that
a server answers never imports the model (about 7 s) and takes well under a second."""

from __future__ import annotations

import hashlib
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from rag.config import Settings
from rag.errors import RagError

PROBE_SECONDS = 0.5   # a server found on RAG_HOST:RAG_PORT must answer /healthz this fast
ASK_SECONDS = 600.0   # an LLM answer can take a while


class ServerError(RagError):
    """The server refused the request (its message says why) or could not be reached."""


def index_id(settings: Settings) -> str:
    """A fingerprint of the index a process reads, so the CLI only hands its work to a
    server that reads the same index (never a path: /healthz needs no key)."""
    where = f"{settings.chroma_host or ''}:{settings.chroma_port}" if settings.is_remote \
        else str(settings.index_dir.resolve())
    return hashlib.sha256(f"{where}|{settings.collection}".encode()).hexdigest()[:16]


def default_url(settings: Settings) -> str:
    host = settings.host
    if host in ("0.0.0.0", "", "::"):  # bound to every address: reach it on loopback
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def _request(url: str, settings: Settings, payload: dict | None = None,
             timeout: float = 30.0) -> dict:
    headers = {"Accept": "application/json"}
    data = None
    if payload is not None:
        data = json.dumps(payload).encode()
        headers["Content-Type"] = "application/json"
    if settings.api_key:
        headers["Authorization"] = f"Bearer {settings.api_key}"
    req = urllib.request.Request(url, data=data, headers=headers,
                                 method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read()).get("detail")
        except ValueError:
            detail = None
        raise ServerError(detail if isinstance(detail, str) else
                          f"the server answered HTTP {exc.code}: {exc.reason}") from exc


def find_server(settings: Settings, url: str | None = None) -> tuple[str | None, str]:
    """(base URL of the server to use or None, why) — None means: work in this process.

    An explicit url must answer; one found on RAG_HOST:RAG_PORT is used only when it
    answers quickly and reads the same index as this process would.

    Raises:
        ServerError: the explicit url does not answer.
    """
    base = (url or default_url(settings)).rstrip("/")
    try:
        health = _request(f"{base}/healthz", settings,
                          timeout=5.0 if url else PROBE_SECONDS)
    except (OSError, ServerError, ValueError, socket.timeout) as exc:
        if url:
            raise ServerError(f"Cannot reach a rag server at {base} ({exc}). Start it with "
                              "`rag serve`, or drop --server to work in this process.") from exc
        return None, f"no server answered at {base}"
    if not url and health.get("index") != index_id(settings):
        return None, f"the server at {base} reads another index"
    return base, f"the server at {base}"


def ask(base: str, settings: Settings, payload: dict) -> dict:
    """POST /api/ask; the answer as `rag ask --json` prints it."""
    return _call(f"{base}/api/ask", settings, payload, ASK_SECONDS)


def start_index(base: str, settings: Settings, rebuild: bool, checksum: bool = False) -> dict:
    """POST /api/index: {"job": n, "running": true}."""
    return _call(f"{base}/api/index", settings, {"rebuild": rebuild, "checksum": checksum})


def index_status(base: str, settings: Settings) -> dict:
    """GET /api/index (see rag.index.jobs.IndexJob.status)."""
    return _call(f"{base}/api/index", settings)


def wait_for_index(base: str, settings: Settings, job: int,
                   on_progress: Callable[[dict], None] | None = None, poll: float = 0.2,
                   limit: float = 24 * 3600.0) -> dict:
    """Poll GET /api/index until sync `job` has finished; its final status.

    Raises:
        ServerError: the sync failed (its message), or it ran longer than `limit` seconds.
    """
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        status = index_status(base, settings)
        if status["job"] >= job and not status["running"]:
            if status.get("error"):
                raise ServerError(status["error"])
            return status
        if on_progress:
            on_progress(status["progress"])
        time.sleep(poll)
    raise ServerError(f"The sync on {base} ran longer than {limit:.0f} s; GET /api/index "
                      "shows how far it got.")


def _call(url: str, settings: Settings, payload: dict | None = None,
          timeout: float = 30.0) -> dict:
    try:
        return _request(url, settings, payload, timeout)
    except ServerError:
        raise
    except (OSError, ValueError) as exc:
        raise ServerError(f"The server at {url} did not answer ({exc}).") from exc
