"""The eval worker: one background thread runs queued eval runs, one question at a time, making way for
visitors.

Visitors come first: `Traffic` counts the chat and API questions being answered; after each eval
question, while any are (or one ended less than QUIET_SECONDS ago), the worker pauses for
`pause_ratio` times as long as that question took (it resumes early once visitors are quiet). With the
default 2.0 an eval runs at most a third of the time while visitors are asking, and at full speed when
nobody is. At most `max_pending` runs are
queued or running; more are refused. The thread is not reniced: a low-priority thread holding the GIL
would make the visitors' threads wait for it (priority inversion).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .evalfile import EvalItem, report_scope
from .evalstore import DONE, FAILED, RUNNING, STOPPED, EvalStore, RunMeta
from .evaluation import ask_item
from .metrics import classify

log = logging.getLogger(__name__)

MAX_PENDING = 3
# visitors count as gone once none has asked for this long (a back-to-back stream of questions has
# gaps of a few milliseconds between one answer and the next question; a person takes seconds)
QUIET_SECONDS = 0.25


class WorkerBusy(RuntimeError):
    """Too many eval runs are queued; the message is shown to the user."""


class Traffic:
    """Visitor questions in flight (chat and API), and when the last one ended."""

    def __init__(self, quiet: float = QUIET_SECONDS) -> None:
        self.quiet = quiet
        self._n = 0
        self._last = float("-inf")
        self._cond = threading.Condition()

    def busy(self) -> bool:
        """A visitor question is in flight or ended less than `quiet` seconds ago."""
        return self._n > 0 or time.monotonic() - self._last < self.quiet

    @contextmanager
    def serving(self) -> Iterator[None]:
        with self._cond:
            self._n += 1
        try:
            yield
        finally:
            with self._cond:
                self._n -= 1
                self._last = time.monotonic()
                self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no visitor question has been in flight for `quiet` seconds, at most timeout; True if so."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                if self._n == 0 and now - self._last >= self.quiet:
                    return True
                if now >= deadline:
                    return False
                left = deadline - now
                self._cond.wait(left if self._n else min(left, self.quiet - (now - self._last)))

    def track(self, assistant: Any) -> TrackedAssistant:
        return TrackedAssistant(assistant, self)


class TrackedAssistant:
    """The assistant as visitors use it: ask() and stream() are counted in Traffic; the rest passes through."""

    def __init__(self, inner: Any, traffic: Traffic) -> None:
        self._inner = inner
        self._traffic = traffic

    def ask(self, *args: Any, **kwargs: Any) -> Any:
        with self._traffic.serving():
            return self._inner.ask(*args, **kwargs)

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        with self._traffic.serving():
            yield from self._inner.stream(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@dataclass
class Job:
    """A queued run: its items and how to ask them."""

    run_id: int
    assistant: Any
    items: Sequence[EvalItem]
    reports: tuple[str, ...] = ()  # the reports chosen (for narrowing)
    narrow: bool = False  # narrow each question's search to its report


def execute(
    store: EvalStore,
    job: Job,
    should_stop: Callable[[], bool] = lambda: False,
    pause: Callable[[float], None] = lambda _seconds: None,
) -> str:
    """Ask the job's items in order, storing each result; returns the run's final status."""
    store.set_status(job.run_id, RUNNING)
    try:
        for pos, item in enumerate(job.items):
            if should_stop():
                store.set_status(job.run_id, STOPPED)
                return STOPPED
            start = time.perf_counter()
            record = ask_item(job.assistant, item, report_scope(item, job.reports, job.narrow))
            store.add_result(job.run_id, pos, record, classify(item.answers, item.evidence, record))
            pause(time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - the run fails, the worker goes on
        log.exception("eval run %s failed", job.run_id)
        store.set_status(job.run_id, FAILED, str(exc)[:500])
        return FAILED
    store.set_status(job.run_id, DONE)
    return DONE


class EvalWorker:
    """One thread, started on the first submit; runs are done one after another."""

    def __init__(
        self,
        store: EvalStore,
        traffic: Traffic | None = None,
        pause_ratio: float = 2.0,
        max_pending: int = MAX_PENDING,
    ) -> None:
        if pause_ratio < 0 or max_pending < 1:
            raise ValueError("pause_ratio must be >= 0 and max_pending >= 1")
        self.store = store
        self.traffic = traffic or Traffic()
        self.pause_ratio = pause_ratio
        self.max_pending = max_pending
        self._queue: deque[Job] = deque()
        self._active: Job | None = None
        self._stops: set[int] = set()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, meta: RunMeta, items: Sequence[EvalItem], assistant: Any, **how: Any) -> int:
        """Store a new run and queue it; raises WorkerBusy when max_pending runs are waiting or running."""
        with self._cond:
            pending = len(self._queue) + (self._active is not None)
            if self._closed or pending >= self.max_pending:
                raise WorkerBusy(f"已有 {pending} 个评测在运行或排队，请等其完成后再试。")
            run_id = self.store.create_run(meta, items)
            self._queue.append(Job(run_id, assistant, list(items), **how))
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="eval-worker", daemon=True)
                self._thread.start()
            self._cond.notify_all()
        return run_id

    def stop(self, run_id: int) -> bool:
        """Stop a queued or running run (a running one stops after its current question)."""
        with self._cond:
            for job in list(self._queue):
                if job.run_id == run_id:
                    self._queue.remove(job)
                    self.store.set_status(run_id, STOPPED)
                    return True
            if self._active is not None and self._active.run_id == run_id:
                self._stops.add(run_id)
                return True
        return False

    def close(self, timeout: float = 10.0) -> None:
        """Stop everything and wait for the thread."""
        with self._cond:
            self._closed = True
            for job in self._queue:
                self.store.set_status(job.run_id, STOPPED)
            self._queue.clear()
            if self._active is not None:
                self._stops.add(self._active.run_id)
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _pause(self, seconds: float) -> None:
        if self.traffic.busy():
            self.traffic.wait_idle(self.pause_ratio * seconds)
        else:
            time.sleep(0)  # let a waiting thread have the interpreter

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._closed)
                if self._closed:
                    return
                job = self._active = self._queue.popleft()
            try:
                execute(self.store, job, lambda j=job: j.run_id in self._stops or self._closed, self._pause)
            finally:
                with self._cond:
                    self._active = None
                    self._stops.discard(job.run_id)
