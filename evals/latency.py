"""Warm in-process latency of retrieval and of extractive answers (run by `make bench`).

Usage: python evals/latency.py [--index DIR] [--rounds N] [--vs OTHER_CHECKOUT]
Prints p50/p95/max in ms over every eval question, after one warm-up round. The query-vector cache
is off unless --cache is given, so every question pays for its embedding (the full path).
--vs runs this same measurement on another checkout's code (e.g. a `git worktree` of the starting
commit) in a child process, the two in turn round by round, and prints both and their ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(args: argparse.Namespace) -> dict[str, list[float]]:
    from assistant.pipeline import build_assistant
    from assistant.settings import Settings

    settings = Settings.from_env(os.environ).with_overrides(
        index_dir=args.index, query_cache_size=None if args.cache else 0
    )
    assistant = build_assistant(settings)
    items = [json.loads(line) for line in (ROOT / "evals" / "questions.jsonl").open(encoding="utf-8")]
    for d in items[: args.warmup if args.warmup >= 0 else None]:  # warm-up
        assistant.ask(d["question"], [tuple(h) for h in d["history"]])
    retrieval, total = [], []
    shelves = getattr(assistant, "shelves", None)  # per-report retrievers (older code: one retriever)
    retriever = next(iter(shelves.values())).retriever if shelves else getattr(assistant, "retriever", None)
    for _ in range(args.rounds):
        for d in items:
            if retriever is not None:
                q = retriever.understand(d["question"])
                t0 = time.perf_counter()
                retriever.search(q)
                retrieval.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            assistant.ask(d["question"], [tuple(h) for h in d["history"]])
            total.append((time.perf_counter() - t0) * 1000)
    return {"retrieval": retrieval, "extractive answer": total}


def report(name: str, xs: list[float]) -> str:
    from assistant.metrics import percentile

    if not xs:
        return f"{name:18s} n=0"
    return (
        f"{name:18s} n={len(xs)} p50={percentile(xs, 50):.1f} ms  p95={percentile(xs, 95):.1f} ms  "
        f"max={max(xs):.1f} ms"
    )


def child(root: Path, index: Path | None, args: argparse.Namespace) -> dict[str, list[float]]:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--rounds",
        "1",
        "--warmup",
        str(args.warmup),
        "--json",
    ]
    if index:
        cmd += ["--index", str(index)]
    if args.cache:
        cmd.append("--cache")
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=-1, help="questions in the warm-up round (default all)")
    ap.add_argument("--cache", action="store_true", help="keep the query-vector cache on (repeat traffic)")
    ap.add_argument("--vs", type=Path, help="another checkout measured in turn, round by round")
    ap.add_argument("--index-vs", type=Path, help="the index the other checkout uses (its own build)")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.json:
        sys.path.insert(0, str(Path(os.environ.get("PYTHONPATH", ROOT))))
        print(json.dumps(measure(args)))
        return 0
    sys.path.insert(0, str(ROOT))
    if not args.vs:
        for name, xs in measure(args).items():
            print(report(name, xs))
        return 0
    runs: dict[str, dict[str, list[float]]] = {"now": {}, "before": {}}
    for _ in range(args.rounds):
        for label, root, index in (("now", ROOT, args.index), ("before", args.vs.resolve(), args.index_vs)):
            for name, xs in child(root, index, args).items():
                runs[label].setdefault(name, []).extend(xs)
    from assistant.metrics import percentile

    for label, figures in runs.items():
        for name, xs in figures.items():
            print(f"{label:7s} {report(name, xs)}")
    for name in runs["now"]:
        a, b = runs["now"][name], runs["before"].get(name, [])
        if a and b:
            print(
                f"now/before {name}: p50 {percentile(a, 50) / percentile(b, 50):.2f}x, "
                f"p95 {percentile(a, 95) / percentile(b, 95):.2f}x"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
