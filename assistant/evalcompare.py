"""Compare two eval runs: metric deltas, and the items whose outcome changed (matched by item id)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .evalreport import METRICS, OUTCOME_LABELS, fmt, score_results
from .evalstore import Result
from .metrics import PASSED

FIXED, BROKEN, CHANGED = "fixed", "broken", "changed"
CHANGE_LABELS = {FIXED: "变为通过", BROKEN: "变为失败", CHANGED: "失败原因变化"}


def _delta(a: float | None, b: float | None, kind: str) -> str:
    if a is None or b is None:
        return ""
    d = b - a
    if kind == "pct":
        return f"{100 * d:+.1f} 个百分点"
    if kind == "num":
        return f"{d:+.3f}"
    if kind == "ms":
        return f"{d:+.0f} ms"
    return f"{d:+g}"


def _direction(a: float | None, b: float | None, higher_better: bool | None) -> str:
    """ "better", "worse" or "same" (B against A); "" when not comparable or not a quality."""
    if a is None or b is None or higher_better is None:
        return ""
    if abs(b - a) < 1e-9:
        return "same"
    return "better" if (b > a) == higher_better else "worse"


def _side(r: Result) -> dict[str, Any]:
    record = r.record or {}
    return {
        "pos": r.pos,
        "outcome": r.outcome,
        "outcome_label": OUTCOME_LABELS.get(r.outcome or "", r.outcome or ""),
        "answer": record.get("answer", ""),
        "refused": bool(record.get("refused")),
    }


def compare(a: Sequence[Result], b: Sequence[Result]) -> dict[str, Any]:
    """B against A: labelled metric deltas, and the items asked in both whose outcome differs."""
    ga, gb = score_results(a).overall, score_results(b).overall
    metrics = [
        {
            "key": key,
            "label": label,
            "a": fmt(getattr(ga, key), kind),
            "b": fmt(getattr(gb, key), kind),
            "delta": _delta(getattr(ga, key), getattr(gb, key), kind),
            "direction": _direction(getattr(ga, key), getattr(gb, key), better),
        }
        for key, label, kind, better in METRICS
    ]
    by_id_a = {r.item.id: r for r in a if r.record is not None}
    by_id_b = {r.item.id: r for r in b if r.record is not None}
    common = [i for i in by_id_a if i in by_id_b]
    changed = []
    answers_differ = 0
    for item_id in common:
        ra, rb = by_id_a[item_id], by_id_b[item_id]
        if ra.outcome == rb.outcome:
            answers_differ += (ra.record or {}).get("answer") != (rb.record or {}).get("answer")
            continue
        kind = FIXED if rb.outcome == PASSED else BROKEN if ra.outcome == PASSED else CHANGED
        changed.append(
            {
                "id": item_id,
                "question": rb.item.question,
                "category": rb.item.category,
                "change": kind,
                "change_label": CHANGE_LABELS[kind],
                "a": _side(ra),
                "b": _side(rb),
            }
        )
    order = {FIXED: 1, BROKEN: 0, CHANGED: 2}
    changed.sort(key=lambda c: order[c["change"]])
    return {
        "metrics": metrics,
        "changed": changed,
        "common": len(common),
        "only_a": len(by_id_a) - len(common),
        "only_b": len(by_id_b) - len(common),
        "answers_differ": answers_differ,
    }


def format_compare(result: dict[str, Any], a_name: str, b_name: str) -> str:
    """The comparison as text for the command line."""
    lines = [f"| 指标 | {a_name} | {b_name} | 变化 |", "|---|---:|---:|---:|"]
    for m in result["metrics"]:
        lines.append(f"| {m['label']} | {m['a']} | {m['b']} | {m['delta']} |")
    lines += [
        "",
        f"共同题目 {result['common']} 道，结果变化 {len(result['changed'])} 道，结果相同但回答不同 "
        f"{result['answers_differ']} 道；仅在 {a_name} 中 {result['only_a']} 道，仅在 {b_name} 中 {result['only_b']} 道。",
    ]
    for c in result["changed"]:
        lines.append(
            f"- [{c['change_label']}] {c['id']} {c['question']}：{c['a']['outcome_label']} → {c['b']['outcome_label']}"
        )
    return "\n".join(lines) + "\n"
