"""The micro-batcher: concurrent callers share engine calls, each gets its own vector, the queue is bounded."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant.batching import BatchingEmbeddings, MicroBatcher, QueueFull
from assistant.embeddings import HashingEmbeddings

pytestmark = pytest.mark.unit


def vector_of(text: str) -> list[float]:
    return [float(len(text)), float(sum(map(ord, text)) % 997), 1.0, 0.0]


class GatedEngine:
    """embed_many that records its batches and, while `gate` is clear, holds the first call."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.gate = threading.Event()
        self.entered = threading.Event()

    def __call__(self, texts: list[str]) -> list[list[float]]:
        self.batches.append(list(texts))
        self.entered.set()
        self.gate.wait(10)
        return [vector_of(t) for t in texts]


def submit_all(batcher: MicroBatcher, texts: list[str]) -> list[list[float]]:
    with ThreadPoolExecutor(len(texts)) as pool:
        return list(pool.map(batcher.submit, texts))


def test_each_caller_gets_the_vector_of_its_own_text() -> None:
    engine = GatedEngine()
    batcher = MicroBatcher(engine, max_batch=8, window=0.01)
    texts = [f"问题{i}：地区生产总值增长多少" * (i % 3 + 1) for i in range(20)]
    with ThreadPoolExecutor(len(texts)) as pool:
        futures = [pool.submit(batcher.submit, t) for t in texts]
        assert engine.entered.wait(5)
        time.sleep(0.2)  # the others queue up behind the first call
        engine.gate.set()
        results = [f.result(10) for f in futures]
    batcher.close()
    assert results == [vector_of(t) for t in texts]
    assert sorted(t for b in engine.batches for t in b) == sorted(texts)
    assert max(len(b) for b in engine.batches) > 1  # they did share calls
    assert all(len(b) <= 8 for b in engine.batches)  # never more than max_batch per call
    assert batcher.stats.texts == len(texts) and batcher.stats.largest <= 8


def test_the_same_text_twice_is_embedded_once_but_each_caller_owns_its_list() -> None:
    engine = GatedEngine()
    batcher = MicroBatcher(engine, max_batch=8, window=0.05)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(batcher.submit, "先到的")
        assert engine.entered.wait(5)
        same = [pool.submit(batcher.submit, "同一个问题") for _ in range(3)]
        time.sleep(0.2)
        engine.gate.set()
        vectors = [f.result(10) for f in same]
        first.result(10)
    batcher.close()
    assert engine.batches[1] == ["同一个问题"]
    assert vectors[0] == vectors[1] == vectors[2] == vector_of("同一个问题")
    vectors[0][0] = -1.0
    assert vectors[1][0] != -1.0  # not one shared list


def test_the_queue_is_bounded() -> None:
    engine = GatedEngine()
    batcher = MicroBatcher(engine, max_batch=2, window=0, max_pending=3)
    pool = ThreadPoolExecutor(4)
    try:
        running = pool.submit(batcher.submit, "正在算的")
        assert engine.entered.wait(5)
        waiting = [pool.submit(batcher.submit, f"排队{i}") for i in range(3)]
        deadline = time.monotonic() + 5
        while len(batcher._pending) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(QueueFull):
            batcher.submit("一个太多")
        assert batcher.stats.rejected == 1
        engine.gate.set()
        assert running.result(10) == vector_of("正在算的")
        assert [f.result(10) for f in waiting] == [vector_of(f"排队{i}") for i in range(3)]
    finally:
        engine.gate.set()
        pool.shutdown()
        batcher.close()


def test_an_engine_error_reaches_every_caller_of_that_batch_and_the_next_batch_works() -> None:
    calls = []

    def flaky(texts: list[str]) -> list[list[float]]:
        calls.append(texts)
        if len(calls) == 1:
            raise RuntimeError("engine failed")
        return [vector_of(t) for t in texts]

    batcher = MicroBatcher(flaky, max_batch=4, window=0)
    with pytest.raises(RuntimeError, match="engine failed"):
        batcher.submit("第一次")
    assert batcher.submit("第二次") == vector_of("第二次")
    batcher.close()


def test_a_wrong_number_of_vectors_is_an_error_not_a_mix_up() -> None:
    batcher = MicroBatcher(lambda texts: [vector_of("x")] * (len(texts) + 1), max_batch=4, window=0)
    with pytest.raises(RuntimeError, match="vectors for"):
        batcher.submit("问题")
    batcher.close()


def test_a_lone_caller_does_not_wait_out_the_window() -> None:
    batcher = MicroBatcher(lambda texts: [vector_of(t) for t in texts], max_batch=8, window=2.0)
    t0 = time.perf_counter()
    for q in ("一", "二", "三"):
        assert batcher.submit(q) == vector_of(q)
    assert time.perf_counter() - t0 < 1.0  # one caller at a time: no 2 s windows
    batcher.close()


def test_nothing_starts_before_the_first_question() -> None:
    batcher = MicroBatcher(lambda texts: [vector_of(t) for t in texts])
    assert batcher._worker is None
    batcher.submit("问")
    assert batcher._worker is not None and batcher._worker.daemon
    batcher.close()


@pytest.mark.parametrize("kwargs", [{"max_batch": 0}, {"max_pending": 0}, {"window": -1.0}])
def test_bad_parameters_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        MicroBatcher(lambda texts: [], **kwargs)  # type: ignore[arg-type]


def test_batching_embeddings_keeps_the_inner_vectors_and_model_id() -> None:
    inner = HashingEmbeddings(dim=16)
    emb = BatchingEmbeddings(inner, max_batch=4, window=0.005)
    texts = ["地区生产总值", "固定资产投资", "GDP growth", "一"] * 3
    with ThreadPoolExecutor(6) as pool:
        got = list(pool.map(emb.embed_query, texts))
    assert got == [inner.embed_query(t) for t in texts]
    assert emb.embed_documents(["甲", "乙"]) == inner.embed_documents(["甲", "乙"])
    assert emb.model_id == inner.model_id
    emb.batcher.close()
