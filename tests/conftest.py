"""Shared fixtures: every path in a temp dir, fixture documents built on the fly, and a real
`chroma run` server for the tests that run against one."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from rag.index import keyword
from rag.config import Settings
from rag.index.indexer import sync
from rag.index.manifest import Manifest
from rag.index.store import ChunkStore

ROOT = Path(__file__).resolve().parents[1]


pytest_plugins = ["sample_index"]  # the sample index, pipeline and two_files fixtures

# Fixtures that give a test an indexed pipeline (a real index, the embedding model, a server
# or an LLM): such tests are marked "integration" (`pytest -m "not integration"`: the rest).
INTEGRATION = {"pipeline", "sample_settings", "indexed", "two_files", "served", "backend",
               "keyed_server",
               "openai_server", "chroma_server", "server"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if INTEGRATION & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


def pytest_addoption(parser):
    parser.addoption("--screenshots", metavar="DIR", default=None,
                     help="write the browser tests' screenshots here (`make screenshots` "
                          "passes docs/); by default they go to a temp folder")


@pytest.fixture(scope="session")
def screenshots(request, tmp_path_factory) -> Path:
    """Where browser tests save their screenshots: a temp folder unless --screenshots."""
    chosen = request.config.getoption("--screenshots")
    path = (request.config.invocation_params.dir / chosen if chosen
            else tmp_path_factory.mktemp("screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Point every RAG_* path at tmp dirs so no test can touch the real index or sources."""
    for key in list(os.environ):
        if key.startswith("RAG_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("RAG_SOURCES_DIR", str(tmp_path / "sources"))
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    # relative defaults ("index", ".env") then resolve inside tmp_path, never the repo
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sources").mkdir()


@pytest.fixture
def sources(tmp_path) -> Path:
    return tmp_path / "sources"


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Local (in-process Chroma) settings over the tmp sources and index folders."""
    return Settings(sources_dir=tmp_path / "sources", index_dir=tmp_path / "index")


def subprocess_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment for `python -m rag` in a child process over the same folders."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_SOURCES_DIR=str(settings.sources_dir), RAG_INDEX_DIR=str(settings.index_dir),
               RAG_CHUNK_SIZE=str(settings.chunk_size),
               RAG_CHUNK_OVERLAP=str(settings.chunk_overlap),
               PYTHONPATH=str(ROOT), **extra)
    return env


# -- what the index holds ----------------------------------------------------------------


@dataclass
class Snapshot:
    """The live index as a reader sees it (manifest, the live rows of the Chroma collection,
    the keyword index), and the raw row counts of both, which hold non-live rows too."""

    active: str
    count: int  # rows in the Chroma collection, live or not
    files: dict  # source -> FileRecord
    docs: dict  # chunk id -> Document, live rows only
    keyword: keyword.KeywordIndex
    keyword_rows: int  # documents in the keyword index, live or not

    @property
    def ids(self) -> set[str]:
        return set(self.docs)

    def sources(self) -> set[str]:
        return {d.metadata["source"] for d in self.docs.values()}

    def bm25_sources(self, query: str) -> set[str]:
        return {source for _, source, _ in self.keyword.hits(query, k=50)}


def snapshot(settings: Settings) -> Snapshot:
    manifest = Manifest(settings.index_dir, settings.collection)
    active, live, counts = manifest.live()
    store = ChunkStore(settings)
    docs = {d.id: d for d in store.documents(active)
            if live.get(d.metadata["source"]) == d.metadata["hash"]}
    path = keyword.keyword_dir(settings.index_dir, active)
    kw = keyword.KeywordIndex(path, live, counts)
    return Snapshot(active, store.count(active), manifest.files(), docs, kw,
                    keyword.count(path))


# -- the shipped sample, indexed ------------------------------------------------------------

SAMPLE = ROOT / "sources" / "china-digital-economy-governance.txt"
SAMPLE_TITLE = "China Digital Economy Governance"  # what answers call it (it has no title)


def index_sample(root: Path, extra: dict[str, str] | None = None, **overrides) -> Settings:
    """Index the shipped sample (plus `extra` {name: text} files) under root; its Settings."""
    (root / "sources").mkdir()
    shutil.copy(SAMPLE, root / "sources" / SAMPLE.name)
    for name, text in (extra or {}).items():
        (root / "sources" / name).write_text(text, encoding="utf-8")
    settings = Settings(sources_dir=root / "sources", index_dir=root / "index", **overrides)
    assert not sync(settings).failed
    return settings


def sentences_of(*texts: str):
    """Sentences of one chunk holding the texts, one after the other (the first opens a
    paragraph), as rag.ingest.sentences.Sentence."""
    from langchain_core.documents import Document

    from rag.ingest.sentences import Sentence

    body = " ".join(texts)
    chunk = Document(page_content=body, metadata={"start": 0, "end": len(body)})
    out, at = [], 0
    for text in texts:
        out.append(Sentence(chunk, (at, at + len(text)), not out))
        at += len(text) + 1
    return out


def candidates_of(texts: list[str], scores: tuple[float, ...] = ()):
    """One passage of these sentences, each a candidate (rag.compose.evidence.Candidate,
    scored as given, best first): (candidates, passage)."""
    import numpy as np
    from langchain_core.documents import Document

    from rag.compose.evidence import Candidate

    body = " ".join(texts)
    passage = Document(page_content=body, metadata={"source": "a.txt", "start": 0})
    ranked, at = [], 0
    for text, score in zip(texts, scores or [0.0] * len(texts)):
        ranked.append(Candidate(0, (at, at + len(text)), text, np.zeros(1), np.zeros(1), score))
        at += len(text) + 1
    return ranked, passage


# -- fixture documents -----------------------------------------------------------------------


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_bytes(text.encode("utf-8"))
    return path


def make_pdf(path: Path, pages: list[str], title: str | None = None) -> Path:
    """A text PDF (reportlab), one string per page."""
    from reportlab.pdfgen import canvas

    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = canvas.Canvas(str(path))
    if title:
        pdf.setTitle(title)
    for text in pages:
        pdf.drawString(72, 720, text)
        pdf.showPage()
    pdf.save()
    return path


def make_encrypted_pdf(path: Path, user_password: str = "secret") -> Path:
    from pypdf import PdfWriter

    plain = make_pdf(path.with_name(path.stem + "-plain.tmp"), ["Locked away text."])
    writer = PdfWriter(clone_from=str(plain))
    writer.encrypt(user_password=user_password, owner_password="owner")
    writer.write(str(path))
    plain.unlink()
    return path


def make_docx(path: Path, paragraphs: list[str], title: str | None = None,
              heading: bool = False) -> Path:
    """A .docx of paragraphs; `title` its core-properties title; `heading`: the first
    paragraph styled as a heading."""
    import docx

    path.parent.mkdir(parents=True, exist_ok=True)
    document = docx.Document()
    document.core_properties.title = title or ""
    for i, text in enumerate(paragraphs):
        if heading and i == 0:
            document.add_heading(text, level=1)
        else:
            document.add_paragraph(text)
    document.save(str(path))
    return path


def make_broken_docx(path: Path) -> Path:
    """A real .docx zip whose document.xml is cut in half (python-docx raises an lxml error)."""
    import zipfile

    good = make_docx(path.with_name(path.stem + "-good.tmp"), ["Soon to be broken."])
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                data = data[: len(data) // 2]
            zout.writestr(item, data)
    good.unlink()
    return path


# -- a real Chroma server ----------------------------------------------------------------------


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def http_server(cmd: list[str], ready_url: str, log_path: Path, timeout: float = 120, **popen):
    """Run a server process until the block ends; wait until ready_url answers first."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, **popen)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with urllib.request.urlopen(ready_url, timeout=1):
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"{cmd[0]} did not start:\n"
                                    + log_path.read_text(errors="replace")[-2000:])
                    time.sleep(0.1)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """`chroma run` on a free port for the whole session; yields the port."""
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    chroma = Path(sys.executable).with_name("chroma")
    cmd = [str(chroma), "run", "--path", str(path / "db"), "--host", "127.0.0.1",
           "--port", str(port)]
    with http_server(cmd, f"http://127.0.0.1:{port}/api/v2/heartbeat", path / "server.log",
                     env={**os.environ, "ANONYMIZED_TELEMETRY": "False"}):
        yield port


@pytest.fixture(params=["local", "server"])
def backend(request, tmp_path):
    """Settings factory for the same test against the local store and a `chroma run` server."""
    extra = {}
    if request.param == "server":
        port = request.getfixturevalue("chroma_server")
        extra = {"chroma_host": "127.0.0.1", "chroma_port": port,
                 "collection": f"t{uuid.uuid4().hex[:12]}"}

    def make(**overrides) -> Settings:
        base = {"sources_dir": tmp_path / "sources", "index_dir": tmp_path / "index", **extra}
        return Settings(**{**base, **overrides})

    return make


# -- `rag serve` and llama.cpp's OpenAI-compatible server ---------------------------------------

CHAT_PASSWORD = "correct horse battery"
SECOND = ("owls.md", "# Owls\n\nBarn owls hunt by sound alone. They can find a vole under "
                     "snow from its rustling, and they swallow their prey whole.\n")


@contextlib.contextmanager
def rag_serve(settings: Settings, log_path: Path, probe: str = "/readyz", **env: str):
    """`python -m rag serve` over settings' folders on a free loopback port, until the block
    ends; waits for `probe` to answer 200. Yields (base URL, the server's pid)."""
    port = free_port()
    cmd = [sys.executable, "-m", "rag", "serve", "--host", "127.0.0.1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with http_server(cmd, base + probe, log_path, cwd=settings.index_dir.parent,
                     env=subprocess_env(settings, RAG_PORT=str(port), **env)) as proc:
        yield base, proc.pid


@pytest.fixture(scope="session")
def keyed_server(tmp_path_factory):
    """A real `rag serve` with RAG_API_KEY set, over the sample and a second file, for the
    whole session, its chat behind a login (ann / CHAT_PASSWORD): (base URL, key, pid,
    settings)."""
    from pdfs import make_two_column_pdf

    root = tmp_path_factory.mktemp("keyed")
    settings = index_sample(root, dict([SECOND]))
    make_two_column_pdf(settings.sources_dir / "brightwater.pdf")  # for /api/page
    assert not sync(settings).failed
    key = "k-" + uuid.uuid4().hex
    with rag_serve(settings, root / "server.log", RAG_API_KEY=key, RAG_WORKERS="4",
                   RAG_USERNAME="ann", RAG_PASSWORD=CHAT_PASSWORD) as (base, pid):
        yield base, key, pid, settings


@pytest.fixture(scope="session")
def openai_server(tmp_path_factory):
    """llama.cpp's OpenAI-compatible server with the bundled SmolLM2 GGUF, on loopback."""
    pytest.importorskip("llama_cpp", reason="the [local] extra is not installed")
    from rag.compose.generators.llm import model_path

    path, _ = model_path("smollm2")
    port = free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--host",
           "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads",
           str(os.cpu_count() or 2), "--model_alias", "smollm2"]
    with http_server(cmd, f"http://127.0.0.1:{port}/v1/models",
                     tmp_path_factory.mktemp("llama-server") / "server.log",
                     cwd=tmp_path_factory.getbasetemp(),
                     env={**os.environ, "HF_HUB_OFFLINE": "1"}):
        yield f"http://127.0.0.1:{port}/v1"


def training_script(name: str, folder: str = "training"):
    """A script of training/ (or another scripts folder; not a package), imported as a
    module."""
    sys.path.insert(0, str(ROOT / folder))  # its imports of its neighbours
    spec = importlib.util.spec_from_file_location(name, ROOT / folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
