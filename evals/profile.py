"""Where an answer's time goes: warm in-process time per stage over every eval question.

    python evals/profile.py                          # this code: evals/bench/profile.{json,md,png}
    PYTHONPATH=../old python evals/profile.py --json /tmp/old.json --label before   # another checkout
    python evals/profile.py --plot /tmp/old.json evals/bench/profile.json          # both in one picture

Each stage's time is its own (exclusive): jieba's part-of-speech tagging is counted apart from the
stage that asked for it. The query-vector cache is off and questions go to the engine one at a time
(no micro-batching), so the embedding is the full single-question cost. Part-of-speech tags are
cached per text in the newer code, so the measured round (the warm-up's questions again) finds them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path and not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(ROOT))
OUT = ROOT / "evals" / "bench"

# (label, module, attribute path): wrapped in this order
STAGES = [
    ("follow-up rewrite", "assistant.pipeline", "Assistant.standalone"),
    ("query understanding", "assistant.retrieval", "HybridRetriever.understand"),
    ("keyword BM25", "assistant.keyword", "KeywordIndex.search"),
    ("query embedding (e5)", "assistant.retrieval", "HybridRetriever.embed_query"),
    ("query embedding (e5)", "assistant.retrieval", "HybridRetriever.query_vectors"),
    ("dense search", "assistant.index", "OpenIndex.dense"),
    ("dense search", "assistant.index", "ReportIndex.dense"),
    ("fusion", "assistant.retrieval", "fuse"),
    ("sentence ranking", "assistant.answering", "ExtractiveAnswerer.rank_sentences"),
    ("refusal checks", "assistant.answering", "ExtractiveAnswerer.refusal_reason"),
    ("refusal checks", "assistant.refusal", "RefusalRules.decide"),
    ("answer composition", "assistant.answering", "ExtractiveAnswerer.answer"),
    ("jieba POS tagging", "jieba.posseg", "POSTokenizer.cut"),
]
TOTAL = "other (validation, records)"


class Clock:
    """Exclusive time per stage: a stage's time minus the stages it called."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self.stack: list[float] = []

    def wrap(self, label: str, fn: Callable[..., Any], generator: bool = False) -> Callable[..., Any]:
        clock = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            clock.stack.append(0.0)
            t0 = time.perf_counter()
            try:
                out = fn(*args, **kwargs)
                if generator:
                    out = list(out)  # POSTokenizer.cut yields: time the whole tagging
                return iter(out) if generator else out
            finally:
                elapsed = time.perf_counter() - t0
                children = clock.stack.pop()
                clock.spent[label] += elapsed - children
                if clock.stack:
                    clock.stack[-1] += elapsed

        return timed


def install(clock: Clock) -> None:
    import importlib

    for label, module, path in STAGES:
        mod = importlib.import_module(module)
        owner: Any = mod
        parts = path.split(".")
        for p in parts[:-1]:
            owner = getattr(owner, p, None)
        if owner is None:
            continue
        fn = getattr(owner, parts[-1], None)
        if fn is None:  # not in the code being profiled (an older checkout)
            continue
        setattr(owner, parts[-1], clock.wrap(label, fn, generator=label == "jieba POS tagging"))


def run(rounds: int, index: Path | None) -> dict[str, Any]:
    from assistant.metrics import percentile
    from assistant.pipeline import build_assistant
    from assistant.settings import Settings

    clock = Clock()
    install(clock)
    overrides: dict[str, Any] = {"index_dir": index, "query_cache_size": 0}
    if hasattr(Settings, "embed_batch"):
        overrides["embed_batch"] = 0
    assistant = build_assistant(Settings.from_env(os.environ).with_overrides(**overrides))
    items = [json.loads(line) for line in (ROOT / "evals" / "questions.jsonl").open(encoding="utf-8")]
    for d in items:  # warm-up
        assistant.ask(d["question"], [tuple(h) for h in d["history"]])
    clock.spent.clear()
    totals = []
    t_all = time.perf_counter()
    for _ in range(rounds):
        for d in items:
            t0 = time.perf_counter()
            assistant.ask(d["question"], [tuple(h) for h in d["history"]])
            totals.append((time.perf_counter() - t0) * 1000)
    wall = time.perf_counter() - t_all
    n = len(totals)
    staged = sum(clock.spent.values())
    per_q = {label: 1000 * clock.spent.get(label, 0.0) / n for label, _, _ in STAGES}
    per_q[TOTAL] = max(0.0, (wall - staged) * 1000 / n)
    return {
        "questions": n,
        "mean_ms": round(sum(totals) / n, 2),
        "p50_ms": round(percentile(totals, 50), 2),
        "p95_ms": round(percentile(totals, 95), 2),
        "stages_ms": {k: round(v, 3) for k, v in per_q.items()},
    }


def write_md(results: list[dict[str, Any]], path: Path) -> None:
    labels = list(dict.fromkeys(s[0] for s in STAGES)) + [TOTAL]
    head = "| stage (ms per question) | " + " | ".join(r["label"] for r in results) + " |"
    lines = ["# Where an answer's time goes", "", "Warm, in-process, every eval question, cache off.", ""]
    lines += [head, "|---|" + "---:|" * len(results)]
    for label in labels:
        lines.append(
            f"| {label} | " + " | ".join(f"{r['stages_ms'].get(label, 0):.2f}" for r in results) + " |"
        )
    for key in ("mean_ms", "p50_ms", "p95_ms"):
        lines.append(f"| **{key[:-3]} total** | " + " | ".join(f"**{r[key]:.1f}**" for r in results) + " |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def plot(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(dict.fromkeys(s[0] for s in STAGES)) + [TOTAL]
    fig, ax = plt.subplots(figsize=(9, 1.6 + 0.9 * len(results)), dpi=110)
    colors = plt.get_cmap("tab20").colors
    for row, r in enumerate(results):
        left = 0.0
        for j, label in enumerate(labels):
            w = r["stages_ms"].get(label, 0.0)
            ax.barh(row, w, left=left, color=colors[j % len(colors)], label=label if row == 0 else None)
            if w > 2.5:
                ax.text(left + w / 2, row, f"{w:.0f}", ha="center", va="center", fontsize=7)
            left += w
    ax.set_yticks(range(len(results)), [f"{r['label']}\n(p95 {r['p95_ms']:.0f} ms)" for r in results])
    ax.invert_yaxis()
    ax.set_xlabel("mean ms per question (exclusive time per stage)")
    ax.set_title("Where a warm extractive answer's time goes (all eval questions, cache off)")
    ax.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.35 - 0.05 * len(results)))
    fig.tight_layout()
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--label", default="now")
    ap.add_argument(
        "--json", type=Path, help="write this run's figures here (default evals/bench/profile.json)"
    )
    ap.add_argument("--plot", type=Path, nargs="+", help="draw these runs' JSON files into one picture")
    args = ap.parse_args()
    if args.plot:
        results = [json.loads(p.read_text(encoding="utf-8")) for p in args.plot]
        OUT.mkdir(parents=True, exist_ok=True)
        write_md(results, OUT / "profile.md")
        plot(results, OUT / "profile.png")
        print(f"wrote {OUT / 'profile.md'}, {OUT / 'profile.png'}")
        return 0
    result = {"label": args.label, **run(args.rounds, args.index)}
    out = args.json or OUT / "profile.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
