"""The standalone HTML report of an eval run: summary, outcomes, per-category table and chart (inline
SVG), and every failure with its evidence located. No scripts, no external assets; all text escaped."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from .evalreport import (
    METRICS,
    category_table,
    chart_svg,
    fmt,
    highlight,
    item_detail,
    outcome_counts,
    score_results,
    summary,
)
from .evalstore import Result, RunInfo
from .metrics import PASSED

STATUS_LABELS = {
    "queued": "排队中", "running": "运行中", "done": "已完成", "stopped": "已停止", "failed": "出错",
    "interrupted": "已中断",
}  # fmt: skip
MODE_LABELS = {"extractive": "摘录模式"}
CSS = """
body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px auto;
max-width:1100px;padding:0 16px;color:#1f2937;line-height:1.6}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb}
.meta{color:#4b5563;font-size:13px}table{border-collapse:collapse;margin:8px 0;font-size:14px}
th,td{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f4f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:8px}.card{border:1px solid #e5e7eb;border-radius:6px;padding:6px 12px;
min-width:110px}.card b{display:block;font-size:20px}.card span{font-size:12px;color:#4b5563}
.fail{border:1px solid #fecaca;border-radius:6px;padding:8px 12px;margin:10px 0}
.fail h3{font-size:15px;margin:0 0 6px}.tag{background:#fee2e2;color:#991b1b;border-radius:4px;padding:0 6px;
font-size:12px;margin-left:6px}dl{margin:0}dt{font-weight:bold;font-size:13px;color:#374151}
dd{margin:0 0 6px 0;white-space:pre-wrap}mark{background:#fde68a}.found{color:#166534}.missing{color:#b91c1c}
.passage{border-left:3px solid #d1d5db;padding-left:8px;margin:4px 0;font-size:13px}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _meta(info: RunInfo) -> str:
    m = info.meta
    reports = "，".join(f"{r.get('report') or '报告'}（{r.get('sha256', '')[:12]}）" for r in m.reports)
    parts = [
        f"运行 #{info.id}" if info.id else "",
        f"时间 {info.created_at.replace('T', ' ')[:19]}",
        f"评测集 {m.source}（sha256 {m.source_sha256[:12]}）",
        f"模式 {MODE_LABELS.get(m.mode, m.mode)}",
        f"代码版本 {m.code_version or '未知'}",
        f"报告 {reports}" if reports else "",
        f"状态 {STATUS_LABELS.get(info.status, info.status)}（{info.done}/{info.total} 题）",
    ]
    return " · ".join(_e(p) for p in parts if p)


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]], text_columns: int = 1) -> str:
    """An escaped table; the columns after the first `text_columns` are right-aligned figures."""
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{_e(v)}</td>' if 0 < i and text_columns <= i else f"<td>{_e(v)}</td>"
            for i, v in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _failure(d: dict[str, Any]) -> str:
    history = "".join(f"<dd>问：{_e(q)}\n答：{_e(a)}</dd>" for q, a in d["history"])
    facts = "".join(
        f'<dd class="{"found" if f["found"] else "missing"}">{"✓" if f["found"] else "✗"} {_e(f["fact"])}</dd>'
        for f in d["facts"]
    )
    cites = "".join(
        f'<div class="passage">[{_e(c["n"])}] {_e(c["section"])}<br>{highlight(c["text"], c["spans"])}</div>'
        for c in d["citations"]
    )
    holding = [p for p in d["retrieved"] if p["has_evidence"]][:1]
    passages = "".join(
        f'<div class="passage">第 {p["rank"]} 条 · {_e(p["section"])}<br>{highlight(p["text"], p["spans"])}</div>'
        for p in holding
    )
    rows = [
        f"<dt>问题</dt><dd>{_e(d['question'])}</dd>",
        f"<dt>对话历史</dt>{history}" if history else "",
        f"<dt>理解为</dt><dd>{_e(d['standalone_question'])}</dd>"
        if d["standalone_question"] and d["standalone_question"] != d["question"]
        else "",
        f"<dt>应含事实</dt>{facts}" if facts else "<dt>应含事实</dt><dd>（不可回答，应拒答）</dd>",
        f"<dt>回答</dt><dd>{_e(d['answer'])}</dd>",
        f"<dt>判定规则</dt><dd>{_e(d['rule'])}</dd>" if d["rule"] else "",
        f"<dt>报告路由规则</dt><dd>{_e(d['route'])}（{_e('、'.join(d['answered_from']))}）</dd>"
        if d["route"]
        else "",
        f"<dt>引用</dt><dd>{cites}</dd>" if cites else "",
        f"<dt>含证据的检索段落</dt><dd>{passages}</dd>" if passages else "",
    ]
    return (
        f'<section class="fail"><h3>{_e(d["id"])} · {_e(d["category"])}'
        f'<span class="tag">{_e(d["outcome_label"])}</span></h3><dl>{"".join(rows)}</dl></section>'
    )


def render_report(info: RunInfo, results: Sequence[Result]) -> str:
    """The whole report as one HTML document."""
    asked = [r for r in results if r.record is not None]
    report = score_results(asked)
    cards = "".join(
        f'<div class="card"><b>{_e(m["text"])}</b><span>{_e(m["label"])}</span></div>'
        for m in summary(report.overall)
    )
    outcomes = _table(
        ["结果", "含义", "题数"], [[o["label"], o["hint"], str(o["count"])] for o in outcome_counts(asked)], 2
    )
    cats = category_table(report)
    by_report = ""
    if report.by_report:
        kinds = {k: (label, kind) for k, label, kind, _ in METRICS}
        keys = ("n", "answer_accuracy", "citation_accuracy", "hit_at_5", "right_report")
        by_report = "<h2>分报告</h2>" + _table(
            ["报告", *(kinds[k][0] for k in keys)],
            [
                [name, *(fmt(getattr(g, k), kinds[k][1]) for k in keys)]
                for name, g in report.by_report.items()
            ],
        )
    failures = [item_detail(r) for r in asked if r.outcome != PASSED]
    title = info.meta.label or info.meta.source
    settings = _table(["设置", "值"], [[k, str(v)] for k, v in sorted(info.meta.settings.items())], 2)
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>评测报告：{_e(title)}</title>'
        f"<style>{CSS}</style></head><body>"
        f'<h1>评测报告：{_e(title)}</h1><p class="meta">{_meta(info)}</p>'
        f'<h2>总体</h2><div class="cards">{cards}</div>'
        f"<h2>结果分布</h2>{outcomes}"
        f"<h2>分类别</h2>{_table(cats['columns'], [[r['name'], *r['cells']] for r in cats['rows']])}"
        f'<div class="chart">{chart_svg(report)}</div>{by_report}'
        f"<h2>失败题目（{len(failures)}）</h2>{''.join(_failure(d) for d in failures) or '<p>没有失败的题目。</p>'}"
        f"<h2>运行设置</h2><details><summary>展开</summary>{settings}</details>"
        "</body></html>\n"
    )


def _side(name: str, side: dict[str, Any]) -> str:
    tag = "" if side["outcome"] == PASSED else ' class="tag"'
    return f"<td><b>{_e(name)}</b> <span{tag}>{_e(side['outcome_label'])}</span><br>{_e(side['answer'])}</td>"


def render_compare(a: RunInfo, b: RunInfo, result: dict[str, Any]) -> str:
    """Two runs side by side: metric deltas and the items whose outcome changed."""
    names = [f"#{i.id} {i.meta.label or i.meta.source}" for i in (a, b)]
    metrics = _table(
        ["指标", f"A {names[0]}", f"B {names[1]}", "变化"],
        [[m["label"], m["a"], m["b"], m["delta"]] for m in result["metrics"]],
    )
    rows = "".join(
        f"<tr><td>{_e(c['id'])}<br>{_e(c['change_label'])}</td><td>{_e(c['question'])}</td>"
        f"{_side('A', c['a'])}{_side('B', c['b'])}</tr>"
        for c in result["changed"]
    )
    changed = (
        f"<table><thead><tr><th>编号</th><th>问题</th><th>A</th><th>B</th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else "<p>没有结果变化的题目。</p>"
    )
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>评测对比：{_e(names[0])} / {_e(names[1])}</title><style>{CSS}</style></head><body>"
        f'<h1>评测对比</h1><p class="meta">A：{_meta(a)}<br>B：{_meta(b)}</p>'
        f"<h2>指标</h2>{metrics}"
        f"<p>共同题目 {result['common']} 道，结果相同但回答不同 {result['answers_differ']} 道。</p>"
        f"<h2>结果变化的题目（{len(result['changed'])}）</h2>{changed}</body></html>\n"
    )
