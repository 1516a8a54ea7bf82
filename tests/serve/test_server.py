"""Server life: a real `rag serve` without a key, started before anything is indexed; the CLI
sends its work to it; a sync runs beside the answers and they switch to the new index. Also
the refusal to listen on the network unprotected."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import SAMPLE, SECOND, rag_serve, subprocess_env
from rag.serve.cli import app
from rag.config import Settings
from rag.serve.server import check_exposure, is_loopback

pytestmark = pytest.mark.integration  # each test indexes or serves for real

NEW_FILES = 24
TOWN = ("{name} is a fishing town on the coast of Velmoria. The harbour master of {name} is "
        "{person}. The town is known for smoked herring and for a lighthouse painted in red "
        "and white bands. {filler}\n\n")


def town(i: int) -> str:
    filler = " ".join(f"Fishing boats of {i} number {j} leave at dawn and return at dusk."
                      for j in range(12))
    return TOWN.format(name=f"Port Quillon-{i}", person=f"Edda Marrow-{i}", filler=filler) * 3


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The sample in the sources folder, nothing indexed, and a server on it."""
    root = tmp_path_factory.mktemp("served")
    (root / "sources").mkdir()
    shutil.copy(SAMPLE, root / "sources" / SAMPLE.name)
    (root / "sources" / SECOND[0]).write_text(SECOND[1], encoding="utf-8")
    settings = Settings(sources_dir=root / "sources", index_dir=root / "index")
    with rag_serve(settings, root / "server.log", probe="/healthz", RAG_WORKERS="2") as (base,
                                                                                       pid):
        yield base, settings


def rag(settings: Settings, base: str, *args: str) -> subprocess.CompletedProcess:
    """`python -m rag ARGS` in a child process over the served folders and port."""
    port = base.rsplit(":", 1)[1]
    return subprocess.run([sys.executable, "-m", "rag", *args], capture_output=True, text=True,
                          timeout=300, env=subprocess_env(settings, RAG_PORT=port),
                          cwd=settings.index_dir.parent)


def test_not_ready_until_indexed_then_the_cli_indexes_through_the_server(served):
    base, settings = served
    deadline = time.monotonic() + 120
    while (ready := httpx.get(f"{base}/readyz")).json()["reason"].startswith("loading"):
        assert ready.status_code == 503 and time.monotonic() < deadline
        time.sleep(0.2)
    assert ready.status_code == 503 and "run `rag index`" in ready.json()["reason"]
    ask = httpx.post(f"{base}/api/ask", json={"question": "What is it?"})
    assert ask.status_code == 503 and "run `rag index`" in ask.json()["detail"]

    done = rag(settings, base, "index", "--json", "-v")
    assert done.returncode == 0, done.stderr
    assert f"rag: using the server at {base}" in done.stderr
    summary = json.loads(done.stdout)
    assert summary["added"] == 2 and summary["failed"] == 0 and summary["chunks"] > 5
    status = httpx.get(f"{base}/api/index").json()
    assert status["last"] == summary and status["running"] is False
    assert httpx.get(f"{base}/readyz").json() == {"ready": True}


def test_cli_ask_through_the_server_prints_what_it_prints_alone(served):
    base, settings = served
    question = "Which lunar mission did Ma lead?"
    remote = rag(settings, base, "ask", "-v", question)
    assert remote.returncode == 0, remote.stderr
    assert f"rag: using the server at {base}" in remote.stderr
    alone = rag(settings, base, "ask", "--local", "-v", question)
    assert "working in this process (--local was given)" in alone.stderr
    assert remote.stdout == alone.stdout and "Chang’e 3" in remote.stdout
    as_json = json.loads(rag(settings, base, "ask", "--json", question).stdout)
    assert as_json["citations"][0]["quote"] in remote.stdout


def test_cli_reports_server_errors_like_its_own(served):
    base, settings = served
    result = rag(settings, base, "ask", "--source", "nope.txt", "What?")
    assert result.returncode == 2 and "Not in the index: 'nope.txt'" in result.stderr
    down = rag(settings, base, "ask", "--server", "http://127.0.0.1:9", "What?")
    assert down.returncode == 2 and "Cannot reach a rag server at http://127.0.0.1:9" in \
        down.stderr
    both = rag(settings, base, "ask", "--server", base, "--local", "What?")
    assert both.returncode == 2 and "--server and --local conflict" in both.stderr


def test_a_sync_runs_beside_the_answers_which_then_switch_to_the_new_index(served):
    base, settings = served
    http = httpx.Client(base_url=base, timeout=120)
    for i in range(NEW_FILES):
        (settings.sources_dir / f"town-{i:02}.txt").write_text(town(i), encoding="utf-8")
    question = "Who is the harbour master of Port Quillon-7?"
    assert http.post("/api/ask", json={"question": question}).json()["abstained"]

    assert http.post("/api/index").status_code == 202
    assert http.post("/api/index", json={"rebuild": False}).status_code == 409  # one at a time
    stamps, fractions = [], []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        status = http.get("/api/index").json()
        if not status["running"]:
            break
        fractions.append(status["progress"]["fraction"])
        resp = http.post("/api/ask", json={"question": "Which lunar mission did Ma lead?"})
        assert resp.status_code == 200 and not resp.json()["abstained"]
        stamps.append((float(resp.headers["x-answer-started"]),
                       float(resp.headers["x-answer-finished"])))
    status = http.get("/api/index").json()
    assert not status["running"] and status["error"] is None
    assert status["last"]["added"] == NEW_FILES and status["last"]["unchanged"] == 2
    assert status["embedded"] > 0 and fractions == sorted(fractions)
    inside = [s for s in stamps if status["started_at"] < s[0] and s[1] < status["finished_at"]]
    assert len(inside) >= 3, (stamps, status)  # answered while the sync ran, not after it

    data = http.post("/api/ask", json={"question": question}).json()
    assert not data["abstained"] and "Edda Marrow-7" in data["answer"]
    assert {c["source"] for c in data["citations"]} == {"town-07.txt"}
    listed = {f["file"] for f in http.get("/api/sources").json()["files"] if f["chunks"]}
    assert len(listed) == NEW_FILES + 2


def test_the_chat_page_is_served_beside_the_api(served):
    base, _ = served
    page = httpx.get(f"{base}/")
    assert page.status_code == 200 and "gradio" in page.text.lower()


# -- exposure ------------------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_addresses(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "example.org", ""])
def test_other_addresses_are_not_loopback(host):
    assert not is_loopback(host)


@pytest.mark.parametrize("env, missing", [
    ({}, "Set RAG_API_KEY (for /api and /v1) and RAG_USERNAME/RAG_PASSWORD"),
    ({"RAG_API_KEY": "k"}, "Set RAG_USERNAME/RAG_PASSWORD (for the chat page)"),
    ({"RAG_USERNAME": "ann", "RAG_PASSWORD": "pw"}, "Set RAG_API_KEY (for /api and /v1), or"),
])
def test_serve_refuses_the_network_unprotected_and_says_why(monkeypatch, env, missing):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "Refusing to listen on 0.0.0.0: anyone on the network could ask" in result.stderr
    assert missing in result.stderr and "RAG_ALLOW_OPEN=1" in result.stderr


def test_allow_open_or_full_protection_lets_it_bind(settings):
    wide = settings.model_copy(update={"host": "0.0.0.0"})
    check_exposure(wide.model_copy(update={"allow_open": True}))
    check_exposure(wide.model_copy(update={"api_key": "k", "username": "a", "password": "b"}))


def test_the_cli_asks_the_server_to_hash_every_file_with_checksum(served):
    """A file replaced by one of the same size and the old modification time keeps its stamp:
    only `rag index --checksum` (through the server, as the CLI goes when one runs) sees it."""
    import os

    base, settings = served
    assert rag(settings, base, "index", "-q").returncode == 0  # whatever earlier tests left
    note = settings.sources_dir / "stamp-note.txt"
    note.write_text("The stamp note names the heron of the northern marsh.", encoding="utf-8")
    old = time.time() - 60
    os.utime(note, (old, old))
    assert json.loads(rag(settings, base, "index", "--json", "-q").stdout)["added"] == 1
    try:
        note.write_text("The stamp note names the egret of the northern marsh.", encoding="utf-8")
        os.utime(note, (old, old))
        plain = rag(settings, base, "index", "--json", "-q")
        assert json.loads(plain.stdout)["changed"] == 0, plain.stderr
        full = rag(settings, base, "index", "--json", "-q", "--checksum")
        assert json.loads(full.stdout)["changed"] == 1, full.stderr
        assert httpx.post(f"{base}/api/index", json={"checksum": "yes"}).status_code == 422
    finally:
        note.unlink()
        assert json.loads(rag(settings, base, "index", "--json", "-q").stdout)["removed"] == 1


def test_a_sync_through_the_server_prepares_the_new_files_overview(served):
    base, settings = served
    assert rag(settings, base, "index", "-q").returncode == 0  # whatever earlier tests left
    folder = settings.index_dir / "sentences"
    before = set(folder.glob("*.npy"))
    note = settings.sources_dir / "prepared-note.txt"
    note.write_text("The prepared note is about the ibis. The ibis wades in the estuary mud "
                    "at low tide.", encoding="utf-8")
    try:
        started = httpx.post(f"{base}/api/index")
        assert started.status_code == 202
        deadline = time.monotonic() + 120
        status = {}
        while time.monotonic() < deadline:  # this sync done (not an earlier one)
            status = httpx.get(f"{base}/api/index").json()
            if status["job"] == started.json()["job"] and not status["running"]:
                break
            time.sleep(0.2)
        assert status.get("last", {}).get("added") == 1, status

        def the_notes() -> list[Path]:  # its two sentences' vectors (other files' may land too:
            # the server prepares earlier tests' files at start, at low priority)
            return [p for p in set(folder.glob("*.npy")) - before if np.load(p).shape[0] == 2]

        while not the_notes() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert the_notes(), "no sentence vectors stored after the sync"
    finally:
        note.unlink()
        assert json.loads(rag(settings, base, "index", "--json", "-q").stdout)["removed"] == 1


def test_the_chat_is_found_through_its_entry_point_not_imported():
    """rag.serve mounts the chat ui.py registers (pyproject.toml, "rag.chat"), and says what
    to do when none is registered under the name asked."""
    import ui
    from rag.errors import ConfigError
    from rag.serve.server import registered_chat

    assert registered_chat() is ui.chat
    with pytest.raises(ConfigError, match="Nothing is registered as 'web' in 'rag.chat'"):
        registered_chat("web")
