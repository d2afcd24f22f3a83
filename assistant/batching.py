"""Micro-batching: questions asked at the same time are embedded together, in one engine call.

The embedding model is the bottleneck of a new question. Its engine embeds a batch in less CPU time
per text than one text at a time (evals/bench/batch_curve.md), so callers that arrive while it is
busy wait together and go in one call. A lone caller is embedded at once (no window to wait out);
under load the batcher lingers up to `window` seconds for the batch to fill. The queue is bounded:
past `max_pending` waiting texts a caller gets `QueueFull` at once instead of an ever longer wait.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from langchain_core.embeddings import Embeddings

EmbedMany = Callable[[list[str]], Sequence[Sequence[float]]]


class QueueFull(RuntimeError):
    """More texts are waiting to be embedded than the batcher holds."""


@dataclass
class _Job:
    text: str
    done: threading.Event = field(default_factory=threading.Event)
    vector: list[float] | None = None
    error: BaseException | None = None


@dataclass
class BatchStats:
    batches: int = 0
    texts: int = 0  # texts asked for (before identical texts in one batch are merged)
    largest: int = 0
    rejected: int = 0


class MicroBatcher:
    """Embeds texts submitted from many threads in batches of at most `max_batch`, one batch at a time."""

    def __init__(
        self,
        embed_many: EmbedMany,
        max_batch: int = 8,
        window: float = 0.003,
        max_pending: int = 256,
        name: str = "embed-batcher",
    ) -> None:
        if max_batch < 1 or max_pending < 1 or window < 0:
            raise ValueError("max_batch and max_pending must be >= 1 and window >= 0")
        self.embed_many = embed_many
        self.max_batch = int(max_batch)
        self.window = float(window)
        self.max_pending = int(max_pending)
        self.name = name
        self.stats = BatchStats()
        self._pending: deque[_Job] = deque()
        self._cond = threading.Condition()
        self._worker: threading.Thread | None = None
        self._closed = False
        self._last_size = 0

    def submit(self, text: str) -> list[float]:
        """The text's vector (a list of its own), embedded with whatever else is waiting."""
        job = _Job(text)
        with self._cond:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            if len(self._pending) >= self.max_pending:
                self.stats.rejected += 1
                raise QueueFull(f"{len(self._pending)} texts already waiting to be embedded")
            self._pending.append(job)
            if self._worker is None:  # started on first use, never at construction or import
                self._worker = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._worker.start()
            self._cond.notify()
        job.done.wait()
        if job.error is not None:
            raise job.error
        assert job.vector is not None
        return job.vector

    def close(self) -> None:
        """Finish what is queued, then stop the worker."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._worker is not None:
            self._worker.join(timeout=30)

    def _take(self) -> list[_Job] | None:
        with self._cond:
            while not self._pending and not self._closed:
                self._cond.wait()
            if not self._pending:
                return None
            # under load (the last batch was shared, or others already wait) let the batch fill a
            # little; a lone caller goes at once
            if self.window and len(self._pending) < self.max_batch:
                if self._last_size > 1 or len(self._pending) > 1:
                    deadline = time.monotonic() + self.window
                    while len(self._pending) < self.max_batch and not self._closed:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            break
                        self._cond.wait(left)
            n = min(self.max_batch, len(self._pending))
            return [self._pending.popleft() for _ in range(n)]

    def _run(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            self._last_size = len(batch)
            texts = list(dict.fromkeys(j.text for j in batch))  # the same question twice: embedded once
            try:
                vectors = self.embed_many(texts)
                if len(vectors) != len(texts):
                    raise RuntimeError(f"embedder returned {len(vectors)} vectors for {len(texts)} texts")
                by_text = dict(zip(texts, vectors, strict=True))
                for j in batch:
                    j.vector = [float(x) for x in by_text[j.text]]
            except BaseException as e:  # noqa: BLE001 - every waiting caller gets the error
                for j in batch:
                    j.error = e
            finally:
                self.stats.batches += 1
                self.stats.texts += len(batch)
                self.stats.largest = max(self.stats.largest, len(batch))
                for j in batch:
                    j.done.set()


def embed_queries(embeddings: Embeddings) -> EmbedMany:
    """The embedder's batch query function (`embed_queries`), else its embed_query text by text."""
    batch = getattr(embeddings, "embed_queries", None)
    if callable(batch):
        return batch  # type: ignore[no-any-return]
    return lambda texts: [embeddings.embed_query(t) for t in texts]


class BatchingEmbeddings(Embeddings):
    """An Embeddings whose embed_query goes through a MicroBatcher; documents go straight through."""

    def __init__(self, inner: Embeddings, max_batch: int = 8, window: float = 0.003, max_pending: int = 256):
        self.inner = inner
        self.batcher = MicroBatcher(embed_queries(inner), max_batch, window, max_pending)

    @property
    def model_id(self) -> str:
        from .embeddings import embedder_id

        return embedder_id(self.inner)

    def embed_query(self, text: str) -> list[float]:
        return self.batcher.submit(text)

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        return [list(map(float, v)) for v in embed_queries(self.inner)(texts)]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts)
