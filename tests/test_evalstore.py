"""Tests for the eval run store (SQLite) and the bounded eval worker that makes way for visitors."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.evalfile import EvalItem
from assistant.evalstore import EvalStore, RunMeta, code_version, report_hashes, settings_snapshot
from assistant.evalworker import EvalWorker, Traffic, WorkerBusy
from assistant.settings import Secret, Settings
from tests.fake_assistant import FakeAssistant

pytestmark = pytest.mark.unit

GDP = EvalItem("gdp", "2023年地区生产总值增长多少？", ("8.1%",), ("全年地区生产总值增长8.1%",), "result")
GDP_2024 = EvalItem(
    "gdp24", "2024年地区生产总值增长多少？", ("7.5%",), ("地区生产总值增长7.5%左右",), "target"
)
NONE = EvalItem("none", "永川区区长是谁？", (), (), "unanswerable", split="heldout")


class Slow(FakeAssistant):
    """The fake assistant, `seconds` per question; records when each question started."""

    def __init__(self, seconds: float = 0.05, fail_on: str = "") -> None:
        super().__init__()
        self.seconds = seconds
        self.fail_on = fail_on
        self.started: list[float] = []

    def ask(self, question, history=()):  # type: ignore[no-untyped-def]
        self.started.append(time.monotonic())
        if self.fail_on and self.fail_on in question:
            raise RuntimeError("model down")
        time.sleep(self.seconds)
        return super().ask(question, history)


def _meta(**over: object) -> RunMeta:
    return RunMeta(**{"source": "set.jsonl", "source_sha256": "ab" * 32, "mode": "extractive", **over})  # type: ignore[arg-type]


def _wait(store: EvalStore, run_id: int, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = store.run(run_id)
        assert info is not None
        if info.status not in ("queued", "running"):
            return info.status
        time.sleep(0.02)
    raise AssertionError("run did not finish")


def test_store_round_trip(tmp_path: Path) -> None:
    store = EvalStore(tmp_path / "sub" / "runs.sqlite")
    meta = _meta(options={"split": "all"}, reports=[{"report": "r.txt", "sha256": "cd" * 32}], label="基线")
    run_id = store.create_run(meta, [GDP, NONE])
    info = store.run(run_id)
    assert info is not None and (info.status, info.total, info.done, info.meta) == ("queued", 2, 0, meta)
    assert store.results(run_id) == [] and [r.item for r in store.results(run_id, asked_only=False)] == [
        GDP,
        NONE,
    ]
    store.add_result(run_id, 1, {"answer": "抱歉", "refused": True}, "passed")
    store.set_status(run_id, "done")
    [res] = store.results(run_id)
    assert (res.pos, res.item, res.record, res.outcome) == (
        1,
        NONE,
        {"answer": "抱歉", "refused": True},
        "passed",
    )
    info = store.run(run_id)
    assert info is not None and info.status == "done" and info.done == 1 and info.finished_at
    second = store.create_run(_meta(), [GDP])
    assert [r.id for r in store.runs()] == [second, run_id]
    assert store.delete_run(run_id) and store.run(run_id) is None and store.result(run_id, 1) is None
    assert store.run(12345) is None


def test_a_run_whose_process_died_shows_as_interrupted(tmp_path: Path) -> None:
    store = EvalStore(tmp_path / "runs.sqlite")
    run_id = store.create_run(_meta(), [GDP])
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    with sqlite3.connect(store.path) as con:
        con.execute("UPDATE runs SET status = 'running', pid = ? WHERE id = ?", (int(dead.stdout), run_id))
    info = store.run(run_id)
    assert info is not None and info.status == "interrupted"


def test_settings_snapshot_leaves_the_api_key_out(tmp_path: Path) -> None:
    settings = Settings(llm_api_key=Secret("sk-very-secret"), index_dir=tmp_path)
    snap = settings_snapshot(settings)
    assert "llm_api_key" not in snap and snap["index_dir"] == str(tmp_path) and snap["top_k"] == 5
    store = EvalStore(tmp_path / "runs.sqlite")
    store.create_run(_meta(settings=snap), [GDP])
    assert b"sk-very-secret" not in store.path.read_bytes()


def test_code_version_and_report_hashes() -> None:
    version = code_version()
    assert version == "" or len(version.removesuffix("+dirty")) == 12
    assert report_hashes(FakeAssistant()) == [{"report": "", "sha256": "0" * 64}]


def test_worker_runs_and_classifies_each_item(tmp_path: Path) -> None:
    store = EvalStore(tmp_path / "runs.sqlite")
    worker = EvalWorker(store, Traffic())
    try:
        run_id = worker.submit(_meta(), [GDP, GDP_2024, NONE], FakeAssistant())
        assert _wait(store, run_id) == "done"
    finally:
        worker.close()
    results = store.results(run_id)
    # FakeAssistant cites the 2023 sentence for GDP; for 2024 it answers "7.5%左右" from its 2024 passage.
    assert [r.outcome for r in results] == ["passed", "passed", "passed"]
    assert results[0].record is not None and results[0].record["citations"][0]["chunk_id"] == "c-gdp-2023"


def test_worker_stops_after_the_current_question(tmp_path: Path) -> None:
    store = EvalStore(tmp_path / "runs.sqlite")
    worker = EvalWorker(store, Traffic())
    slow = Slow(0.2)
    try:
        run_id = worker.submit(_meta(), [GDP] + [GDP_2024] * 20, slow)
        while not slow.started:
            time.sleep(0.01)
        assert worker.stop(run_id)
        assert _wait(store, run_id) == "stopped"
    finally:
        worker.close()
    info = store.run(run_id)
    assert info is not None and 1 <= info.done <= 2 and info.total == 21


def test_worker_is_bounded(tmp_path: Path) -> None:
    store = EvalStore(tmp_path / "runs.sqlite")
    worker = EvalWorker(store, Traffic(), max_pending=2)
    try:
        first = worker.submit(_meta(), [GDP] * 50, Slow(0.05))
        second = worker.submit(_meta(), [GDP], FakeAssistant())
        with pytest.raises(WorkerBusy, match="已有 2 个评测在运行或排队"):
            worker.submit(_meta(), [GDP], FakeAssistant())
        assert len(store.runs()) == 2  # the refused run was not stored
        assert worker.stop(second)  # a queued run is dropped at once
        info = store.run(second)
        assert info is not None and info.status == "stopped" and info.done == 0
        worker.stop(first)
        _wait(store, first)
    finally:
        worker.close()


def test_a_failing_question_fails_the_run_and_keeps_what_was_done(tmp_path: Path) -> None:
    store = EvalStore(tmp_path / "runs.sqlite")
    worker = EvalWorker(store, Traffic())
    try:
        run_id = worker.submit(_meta(), [GDP, NONE, GDP_2024], Slow(0.0, fail_on="区长"))
        assert _wait(store, run_id) == "failed"
        later = worker.submit(_meta(), [GDP], FakeAssistant())  # the worker goes on
        assert _wait(store, later) == "done"
    finally:
        worker.close()
    info = store.run(run_id)
    assert info is not None and "none" in info.error and "model down" in info.error and info.done == 1


def test_worker_makes_way_for_visitors(tmp_path: Path) -> None:
    """While a visitor's question is in flight, each eval question is followed by a pause of
    pause_ratio x its own time; once visitors are done, it runs back to back."""
    store = EvalStore(tmp_path / "runs.sqlite")
    traffic = Traffic(quiet=0.02)
    worker = EvalWorker(store, traffic, pause_ratio=3.0)
    slow = Slow(0.05)
    visitor_done = threading.Event()

    def visitor() -> None:
        with traffic.serving():
            visitor_done.wait(10)

    thread = threading.Thread(target=visitor)
    thread.start()
    try:
        while not traffic.busy():
            time.sleep(0.005)
        run_id = worker.submit(_meta(), [GDP] * 8, slow)
        while len(slow.started) < 3:
            time.sleep(0.01)
        visitor_done.set()
        thread.join()
        assert _wait(store, run_id) == "done"
    finally:
        visitor_done.set()
        worker.close()
    gaps = [b - a for a, b in zip(slow.started, slow.started[1:], strict=False)]
    assert min(gaps[:2]) >= 0.05 * (1 + 3.0) * 0.9, gaps  # busy: question + 3x its time
    assert max(gaps[-3:]) < 0.05 * 2.5, gaps  # idle again: back to back


def test_tracked_assistant_counts_ask_and_stream() -> None:
    traffic = Traffic(quiet=0)
    tracked = traffic.track(FakeAssistant())
    stream = tracked.stream("2023年地区生产总值增长多少？")
    assert not traffic.busy()
    next(stream)
    assert traffic.busy()
    list(stream)
    assert not traffic.busy()
    assert tracked.ask("2023年地区生产总值增长多少？").citations and not traffic.busy()
    assert tracked.health()["embedder"] == "fake"  # everything else passes through


def test_visitors_count_as_gone_only_after_a_quiet_spell() -> None:
    traffic = Traffic(quiet=0.2)
    assert not traffic.busy() and traffic.wait_idle(0)
    with traffic.serving():
        assert traffic.busy() and not traffic.wait_idle(0.05)
    assert traffic.busy()  # just ended: a back-to-back client is about to ask again
    start = time.monotonic()
    assert traffic.wait_idle(2.0)
    assert 0.1 < time.monotonic() - start < 1.0 and not traffic.busy()
