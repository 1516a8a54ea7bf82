"""Manifest: the committed state of an index, the one place that says what is live.

One SQLite file per index (`RAG_INDEX_DIR/manifest-<collection prefix>.sqlite`) holds:
- which Chroma collection is live, the settings that built it, and a generation number that
  every flip increments (readers reload when it changes);
- per source file: its content hash, when it was indexed and its chunk ids (`files`);
- file versions that may have rows in the store but are not live (`pending`): chunks written
  by a sync that has not flipped yet, or superseded ones not deleted yet;
- a cache of content hashes by file stamp (`stamps`: modification time and size when the
  file was last hashed), so a sync need not read a file that has not been touched. It says
  nothing about what is live, so it is written outside the flip.

Readers trust only `files`: a chunk whose (source, hash) is not live there is invisible. So a
sync writes new chunks into the live collection first, flips the manifest in one SQLite
transaction (atomic under SIGKILL), then deletes what it superseded; whatever a killed sync
leaves behind is listed in `pending` and removed by the next one.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import IndexMismatchError, IndexNotFoundError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    source TEXT PRIMARY KEY, hash TEXT NOT NULL, indexed_at REAL NOT NULL,
    chunks INTEGER NOT NULL, ids TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pending (
    collection TEXT NOT NULL, source TEXT NOT NULL, hash TEXT NOT NULL, ids TEXT,
    PRIMARY KEY (collection, source, hash));
CREATE TABLE IF NOT EXISTS stamps (
    source TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL,
    hash TEXT NOT NULL, seen_at REAL NOT NULL);
"""


@dataclass
class FileRecord:
    """What the index holds for one source file."""

    hash: str
    indexed_at: float
    ids: list[str] = field(default_factory=list)
    title: str | None = None  # rag.ingest.titles
    authors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Stamp:
    """A file's modification time and size when it was hashed, and when that was."""

    mtime_ns: int
    size: int
    hash: str
    seen_at: float


@dataclass(frozen=True)
class Pending:
    """A file version that may have rows in `collection` without being live. `ids` is None
    when they were not known yet (a sync killed while embedding): delete by (source, hash)."""

    collection: str
    source: str
    hash: str
    ids: tuple[str, ...] | None


def manifest_path(index_dir: Path, prefix: str) -> Path:
    return index_dir / f"manifest-{prefix}.sqlite"


class Manifest:
    """The committed state of one index (see the module docstring)."""

    def __init__(self, index_dir: Path, prefix: str):
        self.path = manifest_path(index_dir, prefix)

    @contextmanager
    def _db(self, write: bool = False):
        if not write and not self.path.exists():
            raise IndexNotFoundError("There is no index yet: run `rag index` first.")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=60, isolation_level=None)) as db:
            if write:
                db.executescript(SCHEMA)
                have = {row[1] for row in db.execute("PRAGMA table_info(files)")}
                for column in ("title", "authors"):  # a manifest an earlier version wrote
                    if column not in have:
                        db.execute(f"ALTER TABLE files ADD COLUMN {column} TEXT")
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            else:
                yield db

    # -- reading ---------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.path.exists()

    def state(self) -> dict:
        """{"collection", "config", "generation", "built_at", "staging", "staging_config"}
        (collection None: nothing was committed yet)."""
        if not self.path.exists():
            return {"collection": None, "generation": 0}
        try:
            with self._db() as db:
                rows = dict(db.execute("SELECT key, value FROM meta"))
        except sqlite3.OperationalError:  # created by a writer that has not set it up yet
            return {"collection": None, "generation": 0}
        state = {k: json.loads(v) for k, v in rows.items()}
        state.setdefault("collection", None)
        state.setdefault("generation", 0)
        return state

    def version(self) -> tuple[int, int]:
        """(generation, pending versions): one cheap read a reader makes per query."""
        try:
            with self._db() as db:
                gen = db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
                pending = db.execute("SELECT count(*) FROM pending").fetchone()[0]
        except (IndexNotFoundError, sqlite3.OperationalError):
            return 0, 0
        return (json.loads(gen[0]) if gen else 0), pending

    def live(self, config: dict | None = None) -> tuple[str, dict[str, str], dict[str, int]]:
        """(live collection, {source: hash}, {source: chunk count}), read in one transaction.

        Raises:
            IndexNotFoundError: nothing was indexed yet.
            IndexMismatchError: `config` differs from what built the index.
        """
        with self._db() as db:
            db.execute("BEGIN")
            try:
                meta = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM meta")}
                files = db.execute("SELECT source, hash, chunks FROM files").fetchall()
            finally:
                db.execute("COMMIT")
        if not meta.get("collection"):
            raise IndexNotFoundError("There is no index yet: run `rag index` first.")
        if config is not None:
            check_config(meta.get("config", {}), config)
        return (meta["collection"], {s: h for s, h, _ in files},
                {s: n for s, _, n in files})

    def active(self, config: dict | None = None) -> str:
        """Name of the live collection (raises as `live`)."""
        state = self.state()
        if not state.get("collection"):
            raise IndexNotFoundError("There is no index yet: run `rag index` first.")
        if config is not None:
            check_config(state.get("config", {}), config)
        return state["collection"]

    def files(self) -> dict[str, FileRecord]:
        """Per live source file: its content hash, when it was indexed, and its chunk ids."""
        if not self.path.exists():
            return {}
        try:
            with self._db() as db:
                cursor = db.execute("SELECT * FROM files")
                columns = [c[0] for c in cursor.description]
                rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
        except sqlite3.OperationalError:
            return {}
        return {r["source"]: FileRecord(r["hash"], r["indexed_at"], json.loads(r["ids"]),
                                        r.get("title"), json.loads(r.get("authors") or "[]"))
                for r in rows}

    def pending(self) -> list[Pending]:
        if not self.path.exists():
            return []
        with self._db() as db:
            rows = db.execute("SELECT collection, source, hash, ids FROM pending").fetchall()
        return [Pending(c, s, h, tuple(json.loads(i)) if i else None) for c, s, h, i in rows]

    def stamps(self) -> dict[str, Stamp]:
        if not self.path.exists():
            return {}
        try:
            with self._db() as db:
                rows = db.execute("SELECT source, mtime_ns, size, hash, seen_at FROM stamps")
                return {s: Stamp(m, n, h, t) for s, m, n, h, t in rows.fetchall()}
        except sqlite3.OperationalError:  # an index written before stamps existed
            return {}

    # -- writing (under the index lock) ------------------------------------------------------
    def save_stamps(self, new: dict[str, Stamp], gone: list[str]) -> None:
        """Remember the hashes just computed; forget files no longer in the sources."""
        if not (new or gone):
            return
        with self._db(write=True) as db:
            db.executemany("DELETE FROM stamps WHERE source=?", [(s,) for s in gone])
            db.executemany("INSERT OR REPLACE INTO stamps VALUES (?, ?, ?, ?, ?)",
                           [(s, t.mtime_ns, t.size, t.hash, t.seen_at) for s, t in new.items()])

    def _set(self, db, **values) -> None:
        db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                       [(k, json.dumps(v)) for k, v in values.items()])

    def set_staging(self, name: str | None, config: dict | None = None) -> None:
        """Record the collection a full build writes into (None: there is none)."""
        with self._db(write=True) as db:
            self._set(db, staging=name, staging_config=config)

    def add_pending(self, collection: str, versions: list[tuple[str, str]]) -> None:
        """Say, before writing them, that rows of these file versions may appear."""
        with self._db(write=True) as db:
            db.executemany("INSERT OR IGNORE INTO pending VALUES (?, ?, ?, NULL)",
                           [(collection, s, h) for s, h in versions])

    def drop_pending(self, items: list[Pending]) -> None:
        """Forget pending versions whose rows are gone."""
        with self._db(write=True) as db:
            db.executemany("DELETE FROM pending WHERE collection=? AND source=? AND hash=?",
                           [(p.collection, p.source, p.hash) for p in items])

    def flip(self, collection: str, config: dict, upserts: dict[str, FileRecord],
             removed: list[str], replace_all: bool = False) -> list[Pending]:
        """Make a new state live, in one transaction; return what it superseded.

        Args:
            collection: the live collection from now on.
            upserts: files added or changed (their new records).
            removed: files no longer indexed.
            replace_all: a full build: every file not in `upserts` goes too, and the old
                collection (dropped whole by the caller) is not listed as superseded.

        Returns:
            Superseded file versions in the live collection, to delete after the flip.
        """
        with self._db(write=True) as db:
            old = {s: (h, ids) for s, h, ids in db.execute("SELECT source, hash, ids FROM files")}
            gen = db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
            superseded = []
            if replace_all:
                db.execute("DELETE FROM files")
            else:
                for source in [*upserts, *removed]:
                    if source in old and (source in removed or old[source][0] != upserts[source].hash):
                        superseded.append(Pending(collection, source, old[source][0],
                                                  tuple(json.loads(old[source][1]))))
                db.executemany("DELETE FROM files WHERE source=?", [(s,) for s in removed])
            db.executemany("INSERT OR REPLACE INTO files (source, hash, indexed_at, chunks, ids, "
                           "title, authors) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [(s, r.hash, r.indexed_at, len(r.ids), json.dumps(r.ids), r.title,
                             json.dumps(r.authors)) for s, r in upserts.items()])
            db.executemany("INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?)",
                           [(p.collection, p.source, p.hash, json.dumps(p.ids))
                            for p in superseded])
            db.executemany("DELETE FROM pending WHERE collection=? AND source=? AND hash=?",
                           [(collection, s, r.hash) for s, r in upserts.items()])
            if replace_all:
                db.execute("DELETE FROM pending WHERE collection != ?", (collection,))
            self._set(db, collection=collection, config=config, built_at=time.time(),
                      generation=(json.loads(gen[0]) if gen else 0) + 1, staging=None,
                      staging_config=None)
        return superseded


# Keys of the index config that the code sets, not the settings: a change means an
# earlier version of rag wrote the index, and only a rebuild brings it up to date.
VERSION_KEYS = frozenset({"keyword_context", "pdf_text", "layout", "document_names"})


def _changed(built: dict, wanted: dict) -> list[str]:
    return [k for k, v in wanted.items() if built.get(k) != v]


def outdated(built: dict, wanted: dict) -> bool:
    """Whether only keys the code sets differ (VERSION_KEYS): an earlier version of rag
    wrote the index, and `rag index` rebuilds it."""
    changed = _changed(built, wanted)
    return bool(changed) and set(changed) <= VERSION_KEYS


def check_config(built: dict, wanted: dict) -> None:
    """Raise IndexMismatchError when the index was built with other model/chunk settings,
    or by an earlier version of rag (VERSION_KEYS)."""
    changed = _changed(built, wanted)
    if outdated(built, wanted):
        was = "; ".join(f"{k}: {built.get(k)!r}, now {wanted[k]!r}" for k in changed)
        raise IndexMismatchError(
            "The index was built by an earlier version of rag, which read documents "
            f"differently ({was}). Rebuild it once with `rag index --rebuild`.")
    if changed:
        diffs = [f"{k}: index has {built.get(k)!r}, settings say {wanted[k]!r}"
                 for k in changed]
        raise IndexMismatchError(
            "The index was built with other settings (" + "; ".join(diffs) + "). "
            "Rebuild it with `rag index --rebuild`, or change the settings back.")
