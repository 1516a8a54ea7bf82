"""Datasets: the Q&A sets `rag eval` and the abstention training read, in two formats:
JSONL (question, answers, evidence) and SQuAD JSON, whose paragraphs become source files."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

from rag.config import Settings
from rag.errors import RagError


def jsonl(path: Path) -> list[tuple[int, object]]:
    """(line number, parsed value) of each non-blank line of a JSONL file.

    Raises:
        RagError: the file cannot be read, or a line is not JSON.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RagError(f"Cannot read {path}: {exc.strerror}.") from exc
    out = []
    for no, line in enumerate(lines, 1):
        if line.strip():
            try:
                out.append((no, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise RagError(f"{path}:{no}: not valid JSON ({exc.msg}).") from exc
    return out


def load_items(path: Path) -> list[dict]:
    """Read a JSONL Q&A file: question, answers (list; empty = unanswerable), evidence.

    Raises:
        RagError: missing file, bad JSON, or an item without a question / answers list.
    """
    items = []
    for no, item in jsonl(path):
        if not isinstance(item.get("question"), str) or not isinstance(item.get("answers"), list):
            raise RagError(f"{path}:{no}: each line needs a 'question' string and an "
                           "'answers' list (empty when the documents do not answer it).")
        item.setdefault("id", f"line{no}")
        items.append(item)
    if not items:
        raise RagError(f"{path} holds no questions.")
    return items


def paragraph_name(title: str, index: int) -> str:
    """The source file a SQuAD paragraph becomes: '<article>-<paragraph no>.txt'."""
    safe = "".join(c if c.isalnum() or c in "-_,.()" else "_" for c in title)
    return f"{safe}-{index:03d}.txt"


def load_squad(path: Path) -> tuple[dict[str, str], list[dict]]:
    """Read a SQuAD v1.1/v2.0 JSON file.

    Returns:
        ({source name: paragraph text}, items), each item with id, question, answers (empty
        when unanswerable), article and source (the paragraph it was asked about).

    Raises:
        RagError: the file is missing or not SQuAD-shaped.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
        paragraphs, items = {}, []
        for article in data:
            for i, para in enumerate(article["paragraphs"]):
                name = paragraph_name(article["title"], i)
                paragraphs[name] = para["context"]
                for qa in para["qas"]:
                    answers = [] if qa.get("is_impossible") else \
                        list(dict.fromkeys(a["text"] for a in qa["answers"]))
                    items.append({"id": qa["id"], "question": qa["question"],
                                  "answers": answers, "article": article["title"],
                                  "source": name})
    except OSError as exc:
        raise RagError(f"Cannot read {path}: {exc.strerror}.") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise RagError(f"{path} is not a SQuAD JSON file (data → paragraphs → context, qas): "
                       f"{exc!r}.") from exc
    if not items:
        raise RagError(f"{path} holds no questions.")
    return paragraphs, items


def sample(items: list[dict], limit: int | None, seed: int = 0) -> list[dict]:
    """At most `limit` items, drawn at random with a fixed seed (all of them when None)."""
    if limit is None or limit >= len(items):
        return items
    return random.Random(seed).sample(items, limit)


def squad_workspace(settings: Settings, path: Path, paragraphs: dict[str, str]) -> Settings:
    """Settings for an index of a SQuAD file's paragraphs, one source file each, kept under
    RAG_INDEX_DIR/eval/ (apart from the user's index) and reused while the file is unchanged."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    root = settings.index_dir / "eval" / f"{path.stem}-{digest}"
    sources = root / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    for name, text in paragraphs.items():
        target = sources / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    return settings.model_copy(update={"sources_dir": sources, "index_dir": root / "index",
                                       "chroma_host": None, "collection": "eval"})
