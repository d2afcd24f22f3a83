"""Does an eval run starve visitors? API latency with and without an eval running on the same server.

    .venv/bin/python evals/evalload.py                   # e5, 150 eval questions, 8 API clients
    .venv/bin/python evals/evalload.py --ratios 0,2,6    # one server per ASSISTANT_EVAL_PAUSE_RATIO
    .venv/bin/python evals/evalload.py --quick           # smoke run: fake embedder, 30 questions

Starts the real server (`python app.py`, extractive mode, rate limit raised so the limiter is not what
is measured, query-vector cache off so every question pays for its embedding), then for each server:

1. baseline: 8 clients ask POST /api/ask back to back for `--seconds` (no eval running);
2. with eval: an eval run of the first 150 questions of evals/questions.jsonl is started through
   POST /api/eval/runs, and the 8 clients ask until it has finished;
3. baseline again (the machine is shared: a drift between 1 and 3 shows up);
4. the same eval run with no clients (how fast it goes when nobody asks).

Prints API p50/p95 for each phase, the ratio of the with-eval p95 to the baseline p95, and the eval's
duration; writes evals/bench/evalload.json. Loopback only; the servers are always stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "evals"))

import bench  # noqa: E402  (evals/bench.py: the server process and the client helpers)

OUT = ROOT / "evals" / "bench" / "evalload.json"
CLIENTS = 8
EVAL_QUESTIONS = 150
REQUEST_TIMEOUT = 60.0


async def drive(url: str, questions: list[str], stop: Any, seed: str) -> list[bench.Outcome]:
    """CLIENTS workers asking back to back until stop() is true (polled between requests)."""
    outcomes: list[bench.Outcome] = []
    limits = httpx.Limits(max_connections=2 * CLIENTS + 4, max_keepalive_connections=2 * CLIENTS + 4)
    async with httpx.AsyncClient(
        base_url=url, limits=limits, timeout=REQUEST_TIMEOUT, trust_env=False
    ) as client:

        async def worker(i: int) -> None:
            rng = random.Random(f"{seed}-{i}")
            while not await stop() and len(outcomes) < bench.MAX_REQUESTS_PER_LEVEL:
                outcomes.append(await bench.ask_api(client, rng.choice(questions)))

        await asyncio.gather(*(worker(i) for i in range(CLIENTS)))
    return outcomes


def summarise(outcomes: list[bench.Outcome], seconds: float) -> dict[str, Any]:
    ok = sorted(o.latency for o in outcomes if o.ok)

    def ms(v: float | None) -> float | None:
        return None if v is None else round(v * 1000, 1)

    return {
        "requests": len(outcomes),
        "errors": len(outcomes) - len(ok),
        "seconds": round(seconds, 1),
        "throughput_rps": round(len(ok) / seconds, 1) if seconds else 0.0,
        "p50_ms": ms(bench.percentile(ok, 50)),
        "p95_ms": ms(bench.percentile(ok, 95)),
        "p99_ms": ms(bench.percentile(ok, 99)),
    }


def timed_phase(url: str, questions: list[str], seconds: float, seed: str) -> dict[str, Any]:
    t0 = time.perf_counter()

    async def stop() -> bool:
        return time.perf_counter() - t0 >= seconds

    outcomes = asyncio.run(drive(url, questions, stop, seed))
    return summarise(outcomes, time.perf_counter() - t0)


def start_eval(client: httpx.Client, body: bytes, label: str) -> int:
    r = client.post("/api/eval/runs", params={"name": "load.jsonl", "label": label}, content=body)
    r.raise_for_status()
    return int(r.json()["id"])


def eval_phase(url: str, questions: list[str], body: bytes, with_clients: bool, seed: str) -> dict[str, Any]:
    """Start an eval run; with_clients: ask meanwhile until it is done. Returns latencies and the eval's time."""
    with httpx.Client(base_url=url, timeout=30, trust_env=False) as c:
        t0 = time.perf_counter()
        run_id = start_eval(c, body, seed)
    finished: dict[str, Any] = {}

    async def stop() -> bool:
        if finished:
            return True
        async with httpx.AsyncClient(base_url=url, timeout=30, trust_env=False) as c2:
            s = (await c2.get(f"/api/eval/runs/{run_id}/status")).json()
        if s["status"] not in ("queued", "running"):
            finished.update(s, seconds=time.perf_counter() - t0)
            return True
        return False

    if with_clients:
        last = 0.0

        async def throttled_stop() -> bool:  # poll the status at most every 0.25 s
            nonlocal last
            if finished:
                return True
            if time.perf_counter() - last < 0.25:
                return False
            last = time.perf_counter()
            return await stop()

        outcomes = asyncio.run(drive(url, questions, throttled_stop, seed))
    else:
        outcomes = []

        async def wait() -> None:
            while not await stop():
                await asyncio.sleep(0.1)

        asyncio.run(wait())
    result = summarise(outcomes, finished["seconds"]) if outcomes else {}
    result["eval"] = {
        "run": run_id,
        "status": finished["status"],
        "questions": finished["done"],
        "seconds": round(finished["seconds"], 1),
    }
    return result


def measure(
    label: str, env: dict[str, str], questions: list[str], body: bytes, seconds: float, work: Path
) -> dict:
    port = bench.free_port()
    server = bench.Server(port, env, work / f"server-{label}.log")
    try:
        bench.wait_for_first_answer(server, questions[0], timeout=300)
        timed_phase(server.url, questions, 3, f"{label}-warm")  # warm-up
        out: dict[str, Any] = {"pause_ratio": float(env["ASSISTANT_EVAL_PAUSE_RATIO"])}
        out["baseline"] = timed_phase(server.url, questions, seconds, f"{label}-base")
        out["with_eval"] = eval_phase(server.url, questions, body, True, f"{label}-eval")
        out["baseline_after"] = timed_phase(server.url, questions, seconds, f"{label}-base2")
        out["eval_alone"] = eval_phase(server.url, questions, body, False, f"{label}-alone")["eval"]
        base = min(out["baseline"]["p95_ms"], out["baseline_after"]["p95_ms"])
        out["p95_ratio"] = round(out["with_eval"]["p95_ms"] / base, 2)
        out["p95_ratio_vs_mean_baseline"] = round(
            out["with_eval"]["p95_ms"] / ((out["baseline"]["p95_ms"] + out["baseline_after"]["p95_ms"]) / 2),
            2,
        )
        return out
    finally:
        server.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fake embedder, 30 eval questions, 5 s phases")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each baseline phase")
    ap.add_argument(
        "--ratios", default="2", help="eval pause ratios to measure, one server each (e.g. 0,2,6)"
    )
    args = ap.parse_args()
    embedder = "fake" if args.quick else "e5"
    n_eval = 30 if args.quick else EVAL_QUESTIONS
    seconds = 5.0 if args.quick else args.seconds
    lines = (ROOT / "evals" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    body = ("\n".join(lines[:n_eval]) + "\n").encode()
    questions = bench.load_questions(bench.QUESTIONS)
    work = Path(tempfile.mkdtemp(prefix="evalload-"))
    try:
        env = bench.server_env(work / "index", embedder, query_cache=False)
        env["ASSISTANT_EVAL_STORE"] = str(work / "runs.sqlite")
        build = bench.build_index(env, timeout=600)
        results: dict[str, Any] = {
            "started_at": time.strftime("%Y-%m-%d %H:%M:%S"),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
            "config": {"clients": CLIENTS, "eval_questions": n_eval, "baseline_seconds": seconds,
                       "embedder": embedder, "query_cache": "off", "index_build_seconds": build["seconds"]},
        }  # fmt: skip
        results["runs"] = [
            measure(f"ratio-{r}", {**env, "ASSISTANT_EVAL_PAUSE_RATIO": r}, questions, body, seconds, work)
            for r in args.ratios.split(",")
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not args.quick:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for r in results["runs"]:
        print(f"\neval pause ratio {r['pause_ratio']:g}, {CLIENTS} API clients:")
        for phase in ("baseline", "with_eval", "baseline_after"):
            p = r[phase]
            print(
                f"  {phase:15} {p['requests']:6} requests, {p['errors']} errors, {p['throughput_rps']:7} req/s, "
                f"p50 {p['p50_ms']} ms, p95 {p['p95_ms']} ms, p99 {p['p99_ms']} ms"
            )
        e, alone = r["with_eval"]["eval"], r["eval_alone"]
        print(f"  eval with clients: {e['questions']} questions in {e['seconds']} s ({e['status']})")
        print(
            f"  eval alone:        {alone['questions']} questions in {alone['seconds']} s ({alone['status']})"
        )
        print(f"  API p95 with eval / without: {r['p95_ratio']} (vs the mean of both baselines: "
              f"{r['p95_ratio_vs_mean_baseline']})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
