"""Eval runs in a SQLite file: what was run (settings, code version, report hashes) and every item's result.

The file is opened per call (one connection per operation, WAL journal), so the web worker, the page's
requests and a command-line run in another process can use it at once. Nothing is opened at import.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .evalfile import EvalItem, item_from_dict, item_to_dict
from .settings import ROOT, Secret, Settings

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at TEXT NOT NULL,
  finished_at TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  label TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL,
  source_sha256 TEXT NOT NULL,
  mode TEXT NOT NULL,
  options TEXT NOT NULL,
  settings TEXT NOT NULL,
  code_version TEXT NOT NULL,
  reports TEXT NOT NULL,
  total INTEGER NOT NULL,
  pid INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  pos INTEGER NOT NULL,
  item TEXT NOT NULL,
  record TEXT,
  outcome TEXT,
  PRIMARY KEY (run_id, pos)
);
"""
QUEUED, RUNNING, DONE, STOPPED, FAILED, INTERRUPTED = (
    "queued", "running", "done", "stopped", "failed", "interrupted",
)  # fmt: skip
ACTIVE = (QUEUED, RUNNING)
GIT_TIMEOUT = 5.0


@dataclass(frozen=True)
class RunMeta:
    """What a run is: its eval file, mode and options, the settings, code version and report hashes."""

    source: str  # the eval file's name (never its path on the client's machine)
    source_sha256: str
    mode: str
    options: dict[str, Any] = field(default_factory=dict)  # split, reports, narrow, limit
    settings: dict[str, Any] = field(default_factory=dict)
    code_version: str = ""
    reports: list[dict[str, str]] = field(default_factory=list)  # [{"report", "sha256"}]
    label: str = ""


@dataclass(frozen=True)
class RunInfo:
    """A stored run and how far it got."""

    id: int
    created_at: str
    finished_at: str
    status: str
    error: str
    meta: RunMeta
    total: int
    done: int


@dataclass(frozen=True)
class Result:
    """One item of a run; record and outcome are None until the item has been asked."""

    pos: int
    item: EvalItem
    record: dict[str, Any] | None
    outcome: str | None


def now() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class EvalStore:
    """Runs and their items in one SQLite file (created with its folder on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._ready = False

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10.0)
        try:
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA foreign_keys = ON")
            if not self._ready:
                con.execute("PRAGMA journal_mode = WAL")
                con.executescript(SCHEMA)
                con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                self._ready = True
            with con:
                yield con
        finally:
            con.close()

    def create_run(self, meta: RunMeta, items: Sequence[EvalItem]) -> int:
        """A queued run holding all its items, not yet asked."""
        with self._db() as con:
            cur = con.execute(
                "INSERT INTO runs (created_at, status, label, source, source_sha256, mode, options, settings,"
                " code_version, reports, total, pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    now(), QUEUED, meta.label, meta.source, meta.source_sha256, meta.mode,
                    _dump(meta.options), _dump(meta.settings), meta.code_version, _dump(meta.reports),
                    len(items), os.getpid(),
                ),
            )  # fmt: skip
            run_id = int(cur.lastrowid or 0)
            con.executemany(
                "INSERT INTO items (run_id, pos, item) VALUES (?, ?, ?)",
                [(run_id, pos, _dump(item_to_dict(it))) for pos, it in enumerate(items)],
            )
        return run_id

    def set_status(self, run_id: int, status: str, error: str = "") -> None:
        finished = "" if status in ACTIVE else now()
        with self._db() as con:
            con.execute(
                "UPDATE runs SET status = ?, error = ?, finished_at = ? WHERE id = ?",
                (status, error, finished, run_id),
            )

    def add_result(self, run_id: int, pos: int, record: dict[str, Any], outcome: str) -> None:
        with self._db() as con:
            con.execute(
                "UPDATE items SET record = ?, outcome = ? WHERE run_id = ? AND pos = ?",
                (_dump(record), outcome, run_id, pos),
            )

    def delete_run(self, run_id: int) -> bool:
        with self._db() as con:
            return con.execute("DELETE FROM runs WHERE id = ?", (run_id,)).rowcount > 0

    def run(self, run_id: int) -> RunInfo | None:
        with self._db() as con:
            row = con.execute(f"{_RUN_QUERY} WHERE r.id = ? GROUP BY r.id", (run_id,)).fetchone()
        return None if row is None else _info(row)

    def runs(self, limit: int = 200) -> list[RunInfo]:
        """The latest runs, newest first."""
        with self._db() as con:
            rows = con.execute(f"{_RUN_QUERY} GROUP BY r.id ORDER BY r.id DESC LIMIT ?", (limit,)).fetchall()
        return [_info(r) for r in rows]

    def results(self, run_id: int, asked_only: bool = True) -> list[Result]:
        """The run's items in order (only those asked, unless asked_only is False)."""
        where = " AND record IS NOT NULL" if asked_only else ""
        with self._db() as con:
            rows = con.execute(
                f"SELECT pos, item, record, outcome FROM items WHERE run_id = ?{where} ORDER BY pos",
                (run_id,),
            ).fetchall()
        return [_result(r) for r in rows]

    def result(self, run_id: int, pos: int) -> Result | None:
        with self._db() as con:
            row = con.execute(
                "SELECT pos, item, record, outcome FROM items WHERE run_id = ? AND pos = ?", (run_id, pos)
            ).fetchone()
        return None if row is None else _result(row)


_RUN_QUERY = "SELECT r.*, COUNT(i.record) AS done FROM runs r LEFT JOIN items i ON i.run_id = r.id"


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _info(row: sqlite3.Row) -> RunInfo:
    status = row["status"]
    if status in ACTIVE and not _alive(int(row["pid"])):
        status = INTERRUPTED  # the process running it has gone
    meta = RunMeta(
        row["source"], row["source_sha256"], row["mode"], json.loads(row["options"]),
        json.loads(row["settings"]), row["code_version"], json.loads(row["reports"]), row["label"],
    )  # fmt: skip
    return RunInfo(
        int(row["id"]), row["created_at"], row["finished_at"], status, row["error"], meta,
        int(row["total"]), int(row["done"]),
    )  # fmt: skip


def _result(row: sqlite3.Row) -> Result:
    record = None if row["record"] is None else json.loads(row["record"])
    return Result(int(row["pos"]), item_from_dict(json.loads(row["item"])), record, row["outcome"])


def settings_snapshot(settings: Settings) -> dict[str, Any]:
    """The settings as JSON values, secrets left out."""
    out: dict[str, Any] = {}
    for f in fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, Secret):
            continue
        out[f.name] = str(value) if isinstance(value, Path) else value
    return out


def code_version(root: Path = ROOT) -> str:
    """The git commit of the code (with "+dirty" when tracked files changed), or "" without git."""
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, timeout=GIT_TIMEOUT, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=GIT_TIMEOUT, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return ""
    return head + ("+dirty" if dirty else "")


def report_hashes(assistant: Any) -> list[dict[str, str]]:
    """The reports the assistant answers from, with their file hashes."""
    corpus = getattr(getattr(getattr(assistant, "index", None), "manifest", None), "corpus", None)
    if corpus:
        return [{"report": Path(c["path"]).name, "sha256": c["sha256"]} for c in corpus]
    try:
        sha = str(assistant.health().get("corpus_sha256", ""))
    except Exception:  # noqa: BLE001 - metadata only
        sha = ""
    return [{"report": "", "sha256": sha}] if sha else []
