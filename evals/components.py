"""Retrieval by component: keyword only, dense only and the hybrid fusion, per split (and paraphrase).

Usage: python evals/components.py [--index DIR]
Prints a markdown table of hit@1/3/5 and MRR over the answerable eval questions; follow-ups are
condensed to their standalone form first, as the assistant does.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.evaluation import DEFAULT_EVAL_FILE, load_eval_file  # noqa: E402
from assistant.metrics import hit_at_k, mrr, retrieval_hit_rank  # noqa: E402
from assistant.pipeline import build_assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path)
    args = ap.parse_args()
    settings = Settings(index_dir=args.index) if args.index else Settings()
    assistant = build_assistant(settings)
    retriever = assistant.retriever
    hybrid = retriever.params
    methods = {
        "keyword only": dataclasses.replace(hybrid, keyword_weight=1.0, dense_weight=0.0),
        "dense only": dataclasses.replace(hybrid, keyword_weight=0.0, dense_weight=1.0),
        f"hybrid (k {hybrid.keyword_weight}, d {hybrid.dense_weight}, scope +{hybrid.scope_boost}, "
        f"table −{hybrid.table_penalty})": hybrid,
    }
    items = [i for i in load_eval_file(DEFAULT_EVAL_FILE) if i.answers]
    queries = [
        retriever.understand(assistant.standalone(i.question, [tuple(t) for t in i.history])) for i in items
    ]
    ranks: dict[str, list[int | None]] = {}
    for name, params in methods.items():
        retriever.params = params
        ranks[name] = [
            retrieval_hit_rank([p.chunk.text for p in retriever.search(q, k=5)], i.evidence)
            for i, q in zip(items, queries, strict=True)
        ]
    retriever.params = hybrid
    print("| method | group | n | hit@1 | hit@3 | hit@5 | MRR |\n|---|---|---:|---:|---:|---:|---:|")
    for group in ("dev", "dev/paraphrase", "heldout", "heldout/paraphrase"):
        split, _, category = group.partition("/")
        sel = [
            n for n, i in enumerate(items) if i.split == split and (not category or i.category == category)
        ]
        for name, rs in ranks.items():
            picked = [rs[n] for n in sel]
            cells = [f"{hit_at_k(picked, k):.3f}" for k in (1, 3, 5)]
            print(f"| {name} | {group} | {len(sel)} | {' | '.join(cells)} | {mrr(picked):.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
