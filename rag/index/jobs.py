"""Jobs: one index sync at a time, run in a background thread of low CPU priority, with its
progress and outcome for the API and the chat to report."""

from __future__ import annotations

import copy
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict

from rag.index import indexer
from rag.config import Settings
from rag.errors import IndexBusyError, RagError

log = logging.getLogger("rag.index.jobs")
SUMMARY_KEYS = ("added", "changed", "removed", "unchanged", "failed", "chunks", "seconds")
NICE = 10  # the sync's thread yields the CPU to answers


def lower_priority() -> None:
    """Lower the calling thread's CPU priority (on Linux `nice` applies per thread, and the
    threads it starts inherit it); elsewhere nothing happens."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
    except (AttributeError, OSError):
        pass


def _saved_outcome(settings: Settings) -> tuple[dict | None, list[dict]]:
    """The summary and failures of the last sync, from the index folder (None: never ran)."""
    try:
        data = json.loads((settings.index_dir / "last_sync.json").read_text())
    except (OSError, ValueError):
        return None, []
    return {k: data.get(k) for k in SUMMARY_KEYS}, list(data.get("failures", []))


class IndexJob:
    """Starts syncs in the background and reports on them; a second start while one runs
    is refused (as is one while `rag index` runs elsewhere: the index lock says so)."""

    def __init__(self, settings: Settings,
                 after: Callable[[indexer.SyncReport], None] | None = None):
        """`after(report)` runs in the sync's thread once a sync has finished and is
        reported (the server prepares overviews of the files it added or changed)."""
        self.settings = settings
        self.after = after
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._done.set()
        self.report: indexer.SyncReport | None = None
        self.exception: Exception | None = None
        last, failures = _saved_outcome(settings)
        self._state = {"job": 0, "running": False, "rebuild": False, "started_at": None,
                       "finished_at": None, "progress": self._progress_dict(0, 0, 0),
                       "last": last, "failures": failures, "skipped": [], "embedded": None,
                       "error": None}

    @staticmethod
    def _progress_dict(done: int, total: int, embedded: int) -> dict:
        return {"bytes_done": done, "bytes_total": total, "embedded": embedded,
                "fraction": round(min(1.0, done / total), 4) if total else 0.0}

    def start(self, rebuild: bool = False, checksum: bool = False) -> int:
        """Start a sync in the background; its job number.

        Raises:
            IndexBusyError: a sync started here is still running.
        """
        with self._lock:
            if self._state["running"]:
                raise IndexBusyError(
                    f"A sync is already running (job {self._state['job']}); wait for it to "
                    "finish (GET /api/index shows its progress).")
            job = self._state["job"] + 1
            self._state.update(job=job, running=True, rebuild=rebuild, started_at=time.time(),
                               finished_at=None, error=None,
                               progress=self._progress_dict(0, 0, 0))
            self._done.clear()
        threading.Thread(target=self._run, args=(rebuild, checksum), name=f"rag-sync-{job}",
                         daemon=True).start()
        return job

    def _run(self, rebuild: bool, checksum: bool = False) -> None:
        lower_priority()
        report, exception = None, None
        try:
            report = indexer.sync(self.settings, rebuild=rebuild, progress=self._progress,
                                  checksum=checksum)
        except RagError as exc:
            exception = exc
        except Exception as exc:  # noqa: BLE001 - reported, never raised in a bare thread
            log.exception("the index sync failed")
            exception = exc
        with self._lock:
            self.report, self.exception = report, exception
            self._state.update(running=False, finished_at=time.time())
            if report is not None:
                self._state.update(last=report.summary(), embedded=report.embedded,
                                   failures=[asdict(f) for f in report.failed],
                                   skipped=[asdict(f) for f in report.skipped])
            else:
                self._state["error"] = (str(exception) if isinstance(exception, RagError)
                                        else f"{type(exception).__name__}: {exception}")
            self._done.set()
        if report is not None and self.after is not None:
            try:
                self.after(report)
            except Exception:  # noqa: BLE001 - an optional extra; the sync itself succeeded
                log.exception("after the sync")

    def _progress(self, done: int, total: int, embedded: int) -> None:
        with self._lock:
            self._state["progress"] = self._progress_dict(done, total, embedded)

    def status(self) -> dict:
        """job, running, rebuild, started_at, finished_at, progress, last (the keys of
        `rag index --json`), failures, skipped (pages left out, e.g. scans without OCR),
        embedded, error."""
        with self._lock:
            return copy.deepcopy(self._state)

    def wait(self, timeout: float | None = None) -> bool:
        """True once no sync is running (False if timeout seconds passed first)."""
        return self._done.wait(timeout)

    def run(self, rebuild: bool = False,
            on_progress: Callable[[float, str], None] | None = None, poll: float = 0.25
            ) -> indexer.SyncReport:
        """Start a sync and wait for it, reporting (fraction, description) as it goes.

        Raises:
            IndexBusyError and whatever the sync raised (see rag.index.indexer.sync).
        """
        self.start(rebuild)
        while not self.wait(poll):  # ends with the sync
            if on_progress:
                p = self.status()["progress"]
                on_progress(p["fraction"], f"Embedding ({p['embedded']} chunks so far)")
        with self._lock:
            if self.exception is not None:
                raise self.exception
            return self.report
