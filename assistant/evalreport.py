"""Views of a stored eval run: the summary, the per-category table and chart (SVG), each item's row and
detail (evidence located in the passages), and the CSV / JSONL exports. Pure functions of stored data.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from .evalfile import item_to_dict
from .evalstore import Result
from .evaluation import EvalReport, score_pairs
from .metrics import (
    NOT_CITED,
    NOT_RETRIEVED,
    OUTCOMES,
    PASSED,
    RETRIEVAL_DEPTH,
    SHOULD_REFUSE,
    WRONG_FACT,
    WRONGLY_REFUSED,
    GroupMetrics,
    contains,
    evidence_spans,
    from_right_report,
    retrieval_hit_rank,
)

OUTCOME_LABELS = {
    PASSED: "通过",
    NOT_RETRIEVED: "未检索到",
    NOT_CITED: "检索到但未引用",
    WRONG_FACT: "引用对但事实错或缺",
    WRONGLY_REFUSED: "误拒答",
    SHOULD_REFUSE: "应拒答未拒答",
}
OUTCOME_HINTS = {
    PASSED: "答案含全部应含事实，且引用的段落含证据原文（不可回答的题：已拒答）",
    NOT_RETRIEVED: f"前 {RETRIEVAL_DEPTH} 条检索结果都不含证据原文",
    NOT_CITED: f"前 {RETRIEVAL_DEPTH} 条检索结果中有证据原文，但回答没有引用它",
    WRONG_FACT: "引用的段落含证据原文，但回答缺少或写错了应含事实",
    WRONGLY_REFUSED: "报告能回答，助手却拒答了",
    SHOULD_REFUSE: "报告没有答案，助手却作答了",
}
# (GroupMetrics attribute, label, kind, higher is better)
METRICS: tuple[tuple[str, str, str, bool | None], ...] = (
    ("n", "题数", "int", None),
    ("n_answerable", "可回答题数", "int", None),
    ("answer_accuracy", "答案准确率", "pct", True),
    ("citation_accuracy", "引用准确率", "pct", True),
    ("hit_at_1", "检索命中@1", "pct", True),
    ("hit_at_3", "检索命中@3", "pct", True),
    ("hit_at_5", "检索命中@5", "pct", True),
    ("mrr", "MRR", "num", True),
    ("refusal_precision", "拒答精确率", "pct", True),
    ("refusal_recall", "拒答召回率", "pct", True),
    ("answerable_refused", "可回答却拒答", "pct", False),
    ("numbers_cited", "数字有出处", "pct", True),
    ("right_report", "来自正确报告", "pct", True),
    ("total_p50_ms", "延迟 p50", "ms", False),
    ("total_p95_ms", "延迟 p95", "ms", False),
)
CATEGORY_METRICS = (
    "n", "answer_accuracy", "citation_accuracy", "hit_at_1", "hit_at_5", "mrr", "answerable_refused",
    "refusal_recall", "total_p95_ms",
)  # fmt: skip
CHART_SERIES = (("answer_accuracy", "答案准确率", "#2563eb"), ("hit_at_5", "检索命中@5", "#16a34a"))
NOT_AVAILABLE = "—"
SINGLE_REPORT_ROUTE = "only"  # routing.route's rule when the corpus has one report
ANSWER_PREVIEW = 80


def fmt(value: float | None, kind: str) -> str:
    """A metric for people: 93.1%, 0.930, 48 ms, counts as is; undefined as —."""
    if value is None:
        return NOT_AVAILABLE
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind == "num":
        return f"{value:.3f}"
    if kind == "ms":
        return f"{value:.0f} ms"
    return str(value)


def score_results(results: Sequence[Result]) -> EvalReport:
    """Scores of the asked items of a run."""
    return score_pairs([(r.item, r.record) for r in results if r.record is not None])


def summary(g: GroupMetrics) -> list[dict[str, Any]]:
    """The overall metrics, labelled."""
    return [
        {"key": key, "label": label, "value": getattr(g, key), "text": fmt(getattr(g, key), kind)}
        for key, label, kind, _ in METRICS
    ]


def category_table(report: EvalReport) -> dict[str, Any]:
    """Per-category rows of the main metrics."""
    kinds = {key: (label, kind) for key, label, kind, _ in METRICS}
    return {
        "columns": ["类别", *(kinds[k][0] for k in CATEGORY_METRICS)],
        "rows": [
            {"name": name, "cells": [fmt(getattr(g, k), kinds[k][1]) for k in CATEGORY_METRICS]}
            for name, g in report.by_category.items()
        ],
    }


def outcome_counts(results: Sequence[Result]) -> list[dict[str, Any]]:
    """How many items ended in each outcome (all outcomes listed, in order)."""
    counts = Counter(r.outcome for r in results if r.record is not None)
    return [
        {"outcome": o, "label": OUTCOME_LABELS[o], "hint": OUTCOME_HINTS[o], "count": counts.get(o, 0)}
        for o in OUTCOMES
    ]


def chart_svg(report: EvalReport) -> str:
    """Per-category bars (answer accuracy, hit@5) as a standalone SVG; all text escaped."""
    rows = list(report.by_category.items())
    label_w, bar_w, row_h, bar_h, top = 170, 420, 18 * len(CHART_SERIES) + 12, 14, 34
    width, height = label_w + bar_w + 70, top + row_h * max(1, len(rows)) + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="分类别答案准确率与检索命中率" '
        'font-family="WenQuanYi Micro Hei, Noto Sans CJK SC, Microsoft YaHei, sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    x = label_w
    for _key, label, color in CHART_SERIES:
        out.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{x + 16}" y="18" fill="#333">{html.escape(label)}</text>')
        x += 16 + 14 * len(label) + 24
    for pct in (0, 50, 100):
        gx = label_w + bar_w * pct / 100
        out.append(f'<line x1="{gx}" y1="{top - 4}" x2="{gx}" y2="{height - 6}" stroke="#ddd"/>')
    for i, (name, g) in enumerate(rows):
        y = top + i * row_h
        shown = name if len(name) <= 14 else name[:13] + "…"
        out.append(
            f'<text x="{label_w - 8}" y="{y + row_h / 2 + 4}" text-anchor="end" fill="#222">'
            f"<title>{html.escape(name)}</title>{html.escape(shown)}</text>"
        )
        for j, (key, label, color) in enumerate(CHART_SERIES):
            value = getattr(g, key)
            by = y + 6 + j * 18
            w = 0 if value is None else bar_w * value
            shown_value = fmt(value, "pct")
            tip = html.escape(f"{name} {label} {shown_value}")
            out.append(
                f'<rect class="bar" x="{label_w}" y="{by}" width="{w:.1f}" height="{bar_h}" fill="{color}">'
                f"<title>{tip}</title></rect>"
            )
            out.append(f'<text x="{label_w + w + 4:.1f}" y="{by + 11}" fill="#333">{shown_value}</text>')
    out.append("</svg>")
    return "".join(out)


def _hit_rank(result: Result) -> int | None:
    record = result.record or {}
    top = [p["text"] for p in record.get("retrieved", [])[:RETRIEVAL_DEPTH]]
    return retrieval_hit_rank(top, result.item.evidence) if result.item.evidence else None


def _wrong_report(result: Result) -> bool | None:
    """Whether an answered answerable item that names its reports cites another one (None: not applicable)."""
    record, item = result.record, result.item
    if record is None or record["refused"] or not item.answers or not item.reports:
        return None
    return not from_right_report(record["citations"], item.reports)


def item_row(result: Result) -> dict[str, Any]:
    """One line of the items table."""
    record = result.record or {}
    answer = str(record.get("answer", ""))
    outcome = result.outcome or ""
    return {
        "pos": result.pos,
        "id": result.item.id,
        "question": result.item.question,
        "category": result.item.category,
        "reports": list(result.item.reports),
        "split": result.item.split,
        "outcome": outcome,
        "outcome_label": OUTCOME_LABELS.get(outcome, outcome),
        "passed": outcome == PASSED,
        "refused": bool(record.get("refused")),
        "answer": answer if len(answer) <= ANSWER_PREVIEW else answer[: ANSWER_PREVIEW - 1] + "…",
        "hit_rank": _hit_rank(result),
        "wrong_report": _wrong_report(result),
        "latency_ms": record.get("latency_ms"),
    }


def _passage(p: dict[str, Any], evidence: Sequence[str]) -> dict[str, Any]:
    spans = evidence_spans(p["text"], evidence)
    return {
        "section": p.get("section", ""),
        "report": p.get("report", ""),
        "report_name": p.get("report_name") or p.get("report", ""),
        "text": p["text"],
        "spans": [list(s) for s in spans],
        "has_evidence": bool(spans) or any(contains(p["text"], q) for q in evidence),
    }


def item_detail(result: Result) -> dict[str, Any]:
    """Everything about one item: question (history, standalone form), expected facts, the answer, its
    citations and the retrieved passages with the evidence located, and the rule that decided it."""
    item, record = result.item, result.record or {}
    answer = str(record.get("answer", ""))
    return {
        **item_row(result),
        "history": [list(t) for t in item.history],
        "standalone_question": record.get("standalone_question", ""),
        "facts": [{"fact": f, "found": contains(answer, f)} for f in item.answers],
        "evidence": list(item.evidence),
        "answer": answer,
        "outcome_hint": OUTCOME_HINTS.get(result.outcome or "", ""),
        "rule": record.get("rule", ""),
        # which routing rule chose the reports; with one report ("only") there was nothing to choose
        "route": "" if record.get("route") in (None, "", SINGLE_REPORT_ROUTE) else record["route"],
        "answered_from": list(record.get("reports", [])),
        "notice": record.get("notice", ""),
        "mode": record.get("mode", ""),
        "citations": [{"n": c.get("n"), **_passage(c, item.evidence)} for c in record.get("citations", [])],
        "retrieved": [
            {"rank": i, "score": p.get("score"), **_passage(p, item.evidence)}
            for i, p in enumerate(record.get("retrieved", []), start=1)
        ],
    }


def highlight(text: str, spans: Sequence[Sequence[int]]) -> str:
    """Escaped text with the spans in <mark>."""
    out, last = [], 0
    for start, end in spans:
        out.append(html.escape(text[last:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


def _safe_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (a leading ' before =, @, +cmd, -cmd)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    risky = text[:1] in ("=", "@", "\t", "\r") or (
        text[:1] in ("+", "-") and not (len(text) > 1 and (text[1].isdigit() or text[1] == "."))
    )
    return "'" + text if risky else text


CSV_COLUMNS = (
    "id", "question", "answers", "evidence", "category", "history", "split", "reports",
    "outcome", "outcome_label", "refused", "answer", "hit_rank", "cited_sections", "latency_ms",
)  # fmt: skip


def to_csv(results: Sequence[Result]) -> str:
    """One row per asked item; the first columns are the eval CSV format, so the file can be run again."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in results:
        if r.record is None:
            continue
        row = item_row(r)
        values = {
            **item_to_dict(r.item),
            "outcome": row["outcome"],
            "outcome_label": row["outcome_label"],
            "refused": "是" if row["refused"] else "否",
            "answer": r.record.get("answer", ""),
            "hit_rank": "" if row["hit_rank"] is None else str(row["hit_rank"]),
            "cited_sections": "|".join(str(c.get("section", "")) for c in r.record.get("citations", [])),
            "latency_ms": f"{r.record.get('latency_ms', 0):.1f}",
        }
        for key in ("answers", "evidence", "reports", "history"):
            values[key] = json.dumps(values[key], ensure_ascii=False) if values[key] else ""
        writer.writerow([_safe_cell(values[c]) for c in CSV_COLUMNS])
    return "\ufeff" + buf.getvalue()  # BOM: Excel reads it as UTF-8


def to_jsonl(results: Sequence[Result], run_id: int) -> str:
    """One line per asked item: the eval-file fields (so it can be run again), the result and outcome."""
    lines = [
        json.dumps(
            {**item_to_dict(r.item), "run": run_id, "outcome": r.outcome, "result": r.record},
            ensure_ascii=False,
        )
        for r in results
        if r.record is not None
    ]
    return "\n".join(lines) + ("\n" if lines else "")
