"""Warm in-process latency of retrieval and of extractive answers (run by `make bench`).

Usage: python evals/latency.py [--index DIR] [--rounds N]
Prints p50/p95/max in ms over every eval question, after one warm-up round. The query-vector cache
is off unless --cache is given, so every question pays for its embedding (the full path).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.metrics import percentile  # noqa: E402
from assistant.pipeline import build_assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cache", action="store_true", help="keep the query-vector cache on (repeat traffic)")
    args = ap.parse_args()
    settings = Settings.from_env(os.environ).with_overrides(
        index_dir=args.index, query_cache_size=None if args.cache else 0
    )
    assistant = build_assistant(settings)
    items = [json.loads(line) for line in (ROOT / "evals" / "questions.jsonl").open(encoding="utf-8")]
    for d in items:  # warm-up
        assistant.ask(d["question"], [tuple(h) for h in d["history"]])
    retrieval, total = [], []
    for _ in range(args.rounds):
        for d in items:
            q = assistant.retriever.understand(d["question"])
            t0 = time.perf_counter()
            assistant.retriever.search(q)
            retrieval.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            assistant.ask(d["question"], [tuple(h) for h in d["history"]])
            total.append((time.perf_counter() - t0) * 1000)
    for name, xs in (("retrieval", retrieval), ("extractive answer", total)):
        print(
            f"{name:18s} n={len(xs)} p50={percentile(xs, 50):.1f} ms  p95={percentile(xs, 95):.1f} ms  "
            f"max={max(xs):.1f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
