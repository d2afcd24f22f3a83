"""Shared helpers for the eval workbench tests: a small eval file, and the real pipeline on the fake embedder."""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from assistant.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "evals" / "questions.jsonl"
CATEGORIES = ("target", "result", "table", "followup", "paraphrase", "unanswerable")
XSS = "<img src=x onerror=alert(1)>"
# A fixture item, not an eval answer: its key fact is not in the report, so it always fails, with its
# evidence quote retrievable (the failure detail has something to highlight).
ALWAYS_FAILS = {
    "id": "fixture-wrong-fact",
    "question": "2023年地区生产总值增长多少？",
    "answers": ["这句话不在报告中"],
    "evidence": ["全年地区生产总值增长8.1%"],
    "category": "fixture",
}
HOSTILE = {
    "id": "fixture-html",
    "question": f"{XSS}<script>alert(2)</script>地区生产总值？",
    # a fact not in the report: it fails whether it is answered or refused, so the failure list shows it
    "answers": ["这句话不在报告中"],
    "evidence": ["全年地区生产总值增长8.1%"],
    "category": "<b>粗体</b>",
}


def small_eval(per_category: int = 2) -> list[dict[str, Any]]:
    """The first few questions of each of a few categories of the bundled set, plus the fixture items;
    the first follow-up's history is written as role/content messages."""
    picked: dict[str, list[dict[str, Any]]] = {c: [] for c in CATEGORIES}
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["category"] in picked and len(picked[row["category"]]) < per_category:
            picked[row["category"]].append(row)
    rows = [r for c in CATEGORIES for r in picked[c]]
    follow = next(r for r in rows if r["history"])
    follow["history"] = [
        m
        for q, a in follow["history"]
        for m in ({"role": "user", "content": q}, {"role": "assistant", "content": a})
    ]
    return [*rows, ALWAYS_FAILS, HOSTILE]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@functools.cache
def _index_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="evalui-fake-index-"))
    import atexit

    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@functools.cache
def fake_pipeline(**overrides: Any) -> Any:
    """The real assistant on the fake (hashing) embedder, built once per settings (one shared index)."""
    from assistant.pipeline import build_assistant

    return build_assistant(Settings(index_dir=_index_dir(), embedder="fake", **overrides))


def wait_done(client: httpx.Client, run_id: int, timeout: float = 60.0) -> dict[str, Any]:
    """Poll a run's status until it is no longer queued or running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/api/eval/runs/{run_id}/status").json()
        if status["status"] not in ("queued", "running"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish")
