"""Tests for assistant.enginepool: a pool of fake engines on real threads (the e5 pool is in test_embeddings)."""

from __future__ import annotations

import threading
import time

import pytest

from assistant.batching import QueueFull
from assistant.embeddings import HashingEmbeddings, engine_workers
from assistant.enginepool import EnginePool

pytestmark = pytest.mark.unit

FAKE = HashingEmbeddings(16)


class Engines:
    """Fake engines: each records the thread it was made and used in, its thread limit, and its texts."""

    def __init__(self, delay: float = 0.0, gate: threading.Event | None = None, fail_on: str = "") -> None:
        self.delay = delay
        self.gate = gate
        self.fail_on = fail_on
        self.made: list[dict] = []
        self.lock = threading.Lock()
        self.running = 0
        self.most_running = 0

    def make(self) -> dict:
        engine = {"made_in": threading.get_ident(), "limit": None, "texts": []}
        with self.lock:
            self.made.append(engine)
        return engine

    def limit(self, engine: dict, threads: int) -> None:
        engine["limit"] = (threading.get_ident(), threads)

    def embed(self, engine: dict, text: str, is_query: bool) -> list[float]:
        assert threading.get_ident() == engine["made_in"]
        with self.lock:
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        try:
            if self.gate is not None:
                assert self.gate.wait(30)  # as long as the tests wait for it
            if self.delay:
                time.sleep(self.delay)
            if text == self.fail_on:
                raise RuntimeError(f"engine failed on {text}")
            engine["texts"].append((text, is_query))
            return FAKE.embed_query(("q:" if is_query else "p:") + text)
        finally:
            with self.lock:
                self.running -= 1


def pool_of(engines: Engines, **kw) -> EnginePool:
    return EnginePool(engines.make, engines.embed, limit=engines.limit, **kw)


def expected(texts: list[str], is_query: bool) -> list[list[float]]:
    return [FAKE.embed_query(("q:" if is_query else "p:") + t) for t in texts]


def test_vectors_come_back_in_order_and_nothing_starts_before_use() -> None:
    engines = Engines()
    pool = pool_of(engines, workers=2, threads=1)
    assert engines.made == [] and pool._threads == []
    texts = [f"第{i}段" for i in range(7)]
    assert pool.run(texts, is_query=False) == expected(texts, False)
    assert pool.run(["问题"], is_query=True) == expected(["问题"], True)
    assert pool.run([], is_query=True) == []
    assert len(engines.made) <= 2
    for e in engines.made:  # each engine limited in the thread that uses it
        assert e["limit"] == (e["made_in"], 1)
    assert pool.stats.texts == 8
    pool.close()


def test_the_texts_of_one_call_and_of_concurrent_callers_run_side_by_side() -> None:
    engines = Engines(delay=0.05)
    pool = pool_of(engines, workers=2)
    t0 = time.perf_counter()
    out: dict[int, list[list[float]]] = {}

    def ask(i: int) -> None:
        out[i] = pool.run([f"问{i}"], is_query=True)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pair = pool.run(["甲", "乙"], is_query=True)
    elapsed = time.perf_counter() - t0
    assert engines.most_running == 2
    assert elapsed < 0.05 * 6 * 0.9  # 6 texts on 2 engines, not one after another
    assert pair == expected(["甲", "乙"], True)
    for i in range(4):
        assert out[i] == expected([f"问{i}"], True)
    pool.close()


def test_queries_past_the_bound_are_refused_at_once_and_passages_wait() -> None:
    gate = threading.Event()
    engines = Engines(gate=gate)
    pool = pool_of(engines, workers=1, max_pending=3)
    results: list[object] = []

    def run(texts: list[str], is_query: bool) -> None:
        results.append(pool.run(texts, is_query))

    busy = threading.Thread(target=run, args=(["正在算"], True))
    busy.start()
    while engines.running == 0:  # the one engine is busy (blocked on the gate)
        time.sleep(0.001)
    waiting = [threading.Thread(target=run, args=([f"等{i}"], True)) for i in range(3)]
    for t in waiting:
        t.start()
    while pool.pending() < 3:
        time.sleep(0.001)
    t0 = time.perf_counter()
    with pytest.raises(QueueFull, match="3 texts already waiting"):
        pool.run(["再来一个"], is_query=True)
    assert time.perf_counter() - t0 < 0.5
    assert pool.stats.rejected == 1
    build = threading.Thread(target=run, args=(["一段", "两段"], False))  # a build is never refused
    build.start()
    while pool.pending() < 5:
        time.sleep(0.001)
    gate.set()
    for t in [busy, *waiting, build]:
        t.join(5)
    assert len(results) == 5
    # the one engine: the busy query, the waiting queries, then the passages
    texts = [t for t, _ in engines.made[0]["texts"]]
    assert texts[-2:] == ["一段", "两段"]
    pool.close()


def test_queries_overtake_queued_passages() -> None:
    gate = threading.Event()
    engines = Engines(gate=gate)
    pool = pool_of(engines, workers=1)
    build = threading.Thread(target=pool.run, args=([f"段{i}" for i in range(4)], False))
    build.start()
    while engines.running == 0:
        time.sleep(0.001)
    asked = threading.Thread(target=pool.run, args=(["急问"], True))
    asked.start()
    while pool.pending() < 4:
        time.sleep(0.001)
    gate.set()
    build.join(5)
    asked.join(5)
    texts = [t for t, _ in engines.made[0]["texts"]]
    assert texts == ["段0", "急问", "段1", "段2", "段3"]
    pool.close()


def test_an_engine_error_reaches_its_caller_only_and_the_pool_keeps_working() -> None:
    engines = Engines(fail_on="坏")
    pool = pool_of(engines, workers=2)
    with pytest.raises(RuntimeError, match="engine failed on 坏"):
        pool.run(["好", "坏", "好2", "好3"], is_query=False)
    assert pool.run(["之后"], is_query=True) == expected(["之后"], True)
    pool.close()


def test_an_engine_that_cannot_load_fails_the_call_and_is_retried() -> None:
    calls = []

    def make() -> object:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("model file missing")
        return {"made_in": threading.get_ident(), "limit": None, "texts": []}

    engines = Engines()
    pool = EnginePool(make, engines.embed, workers=1)
    with pytest.raises(OSError, match="model file missing"):
        pool.run(["问"], is_query=True)
    assert pool.run(["问"], is_query=True) == expected(["问"], True)
    pool.close()


def test_close_finishes_what_is_queued_then_stops_and_a_later_call_starts_again() -> None:
    engines = Engines(delay=0.02)
    pool = pool_of(engines, workers=2)
    out: list[list[list[float]]] = []
    caller = threading.Thread(target=lambda: out.append(pool.run([f"段{i}" for i in range(6)], False)))
    caller.start()
    while pool.stats.texts == 0 and engines.running == 0:
        time.sleep(0.001)
    workers = list(pool._threads)
    pool.close()
    caller.join(5)
    assert out == [expected([f"段{i}" for i in range(6)], False)]
    assert pool._threads == [] and workers and not any(t.is_alive() for t in workers)
    # the same assistant served again (another server in the same process): new workers
    assert pool.run(["问"], is_query=True) == expected(["问"], True)
    assert len(pool._threads) == 2
    pool.close()


def test_bad_sizes_are_refused_and_worker_count_defaults_to_the_cores(monkeypatch) -> None:
    for kw in ({"workers": 0}, {"threads": 0}, {"max_pending": 0}):
        with pytest.raises(ValueError):
            EnginePool(dict, lambda e, t, q: [0.0], **kw)
    assert engine_workers(3) == 3
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert engine_workers(0) == 2
    monkeypatch.setattr("os.cpu_count", lambda: 64)
    assert engine_workers(0) == 8
    monkeypatch.setattr("os.cpu_count", lambda: None)
    assert engine_workers(0) == 1


@pytest.mark.integration
def test_the_api_answers_503_busy_when_the_engines_queue_is_full_and_stops_them_at_shutdown() -> None:
    """A real server: while the one (fake) engine is held and the queue is full, a new question gets a
    clear 503 at once; the queued ones are answered once it runs again; shutdown stops its thread."""
    import httpx

    from assistant.api import BUSY, starting_app
    from assistant.settings import Settings
    from tests.fake_assistant import FakeAssistant
    from tests.webfixtures import GDP_QUESTION, live_server

    gate = threading.Event()
    engines = Engines(gate=gate)
    pool = pool_of(engines, workers=1, max_pending=2)

    class Pooled(FakeAssistant):
        def ask(self, question, history=(), report=None):  # type: ignore[no-untyped-def]
            pool.run([question], is_query=True)
            return super().ask(question, history)

        def close_engines(self) -> None:
            pool.close()

    settings = Settings(api_rate_per_minute=0, api_concurrency_limit=8)
    site = starting_app(settings, Pooled, ui=False)
    codes: list[int] = []
    started: list[threading.Thread] = []
    with live_server(site) as url, httpx.Client(base_url=url, timeout=30) as c:
        deadline = time.monotonic() + 30
        while c.get("/api/health").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)

        def ask() -> None:
            with httpx.Client(base_url=url, timeout=30) as own:
                codes.append(own.post("/api/ask", json={"question": GDP_QUESTION}).status_code)

        # one held in the engine, then two queued: started in that order, or all three could be queued
        # before the engine takes the first, and the third would be turned away
        askers = [threading.Thread(target=ask) for _ in range(3)]
        askers[0].start()
        while engines.running != 1 and time.monotonic() < deadline:
            time.sleep(0.005)
        for t in askers[1:]:
            t.start()
        while not (engines.running == 1 and pool.pending() == 2) and time.monotonic() < deadline:
            time.sleep(0.005)
        busy = c.post("/api/ask", json={"question": GDP_QUESTION})
        assert busy.status_code == 503 and busy.json() == {"error": BUSY}
        assert busy.headers["retry-after"] == "1"
        gate.set()
        for t in askers:
            t.join(30)
        assert codes == [200, 200, 200]
        started = list(pool._threads)
    assert started and not any(t.is_alive() for t in started) and pool._threads == []
