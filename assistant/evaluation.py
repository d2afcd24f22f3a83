"""Eval runner: ask the assistant each question of an eval set, write per-question results, score them."""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.evalfile import (  # noqa: F401 - re-exported: the eval-file API predates evalfile.py
    SPLITS,
    EvalFileError,
    EvalItem,
    load_eval_file,
)
from assistant.metrics import Checker, Extractor, GroupMetrics, score_group
from assistant.records import answer_record

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_EVAL_FILE = ROOT / "evals" / "questions.jsonl"
DEFAULT_OUT = ROOT / "evals" / "results.jsonl"
# what a citation keeps in the out file (report / report_name / quote when the answer record has them)
CITATION_KEYS = ("n", "chunk_id", "section", "text", "quote", "report", "report_name")


@dataclass(frozen=True)
class EvalReport:
    """Overall, per-split, per-category and per-report scores, plus where the per-question results went."""

    out_path: str
    overall: GroupMetrics
    by_split: dict[str, GroupMetrics] = field(default_factory=dict)
    by_category: dict[str, GroupMetrics] = field(default_factory=dict)
    by_report: dict[str, GroupMetrics] = field(default_factory=dict)


def accepts_report(assistant: Any) -> bool:
    """Whether the assistant's ask() takes a report= argument (multi-report builds)."""
    try:
        return "report" in inspect.signature(assistant.ask).parameters
    except (TypeError, ValueError):
        return False


def _record(item: EvalItem, answer: Any, measured_ms: float) -> dict[str, Any]:
    """One out-file line for a question and the assistant's Answer."""
    timings = answer.timings or {}
    retrieval_ms, total_ms = timings.get("retrieval_ms"), timings.get("total_ms")
    record = answer_record(answer)
    out = {
        "id": item.id,
        "question": item.question,
        "answer": record["answer"],
        "refused": record["refused"],
        "citations": [{k: c[k] for k in CITATION_KEYS if k in c} for c in record["citations"]],
        "retrieved": record["retrieved"],
        "latency_ms": float(measured_ms if total_ms is None else total_ms),
        "standalone_question": answer.standalone_question,
        "mode": answer.mode,
        "category": item.category,
        "split": item.split,
        "retrieval_ms": None if retrieval_ms is None else float(retrieval_ms),
        "expected_reports": list(item.reports),  # where the evidence lives (the eval item's reports)
        "reports": list(record.get("reports", [])),  # the reports the answer drew on
        "route": str(record.get("route", "")),
    }
    rule = record.get("rule") or record.get("decided_by") or getattr(answer, "rule", None)
    if rule:
        out["rule"] = str(rule)
    if record.get("notice"):
        out["notice"] = record["notice"]
    return out


def ask_item(assistant: Any, item: EvalItem, report: str | None = None) -> dict[str, Any]:
    """Ask one item (narrowed to `report` if given) and return its out-file record."""
    history = [tuple(t) for t in item.history]
    start = time.perf_counter()
    try:
        if report is None:
            answer = assistant.ask(item.question, history)
        else:
            answer = assistant.ask(item.question, history, report=report)
    except Exception as exc:
        raise RuntimeError(f"eval question {item.id!r} failed: {exc}") from exc
    return _record(item, answer, (time.perf_counter() - start) * 1000)


def score_pairs(
    pairs: Sequence[tuple[EvalItem, dict[str, Any]]],
    out_path: str = "",
    extract_numbers: Extractor | None = None,
    number_supported: Checker | None = None,
) -> EvalReport:
    """Score (item, record) pairs overall, per split, per category and per report."""

    def score(selected: Sequence[tuple[EvalItem, dict[str, Any]]]) -> GroupMetrics:
        rows = [(it.answers, it.evidence, rec) for it, rec in selected]
        return score_group(rows, extract_numbers, number_supported)

    def by(key: str) -> dict[str, GroupMetrics]:
        names = sorted({getattr(it, key) for it, _ in pairs})
        return {name: score([p for p in pairs if getattr(p[0], key) == name]) for name in names}

    reports = sorted({r for it, _ in pairs for r in it.reports})
    by_report = {r: score([p for p in pairs if r in p[0].reports]) for r in reports}
    return EvalReport(out_path, score(pairs), by("split"), by("category"), by_report)


def _write_atomic(path: Path, records: Sequence[dict[str, Any]]) -> None:
    """Write JSONL to a temp file next to path, then os.replace it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_eval(
    assistant: Any,
    items: Sequence[EvalItem],
    out_path: str | Path,
    *,
    extract_numbers: Extractor | None = None,
    number_supported: Checker | None = None,
    on_record: Callable[[int, EvalItem, dict[str, Any]], None] | None = None,
) -> EvalReport:
    """Ask every item, write one JSONL line per question atomically to out_path, and score the run."""
    pairs: list[tuple[EvalItem, dict[str, Any]]] = []
    for pos, item in enumerate(items):
        pairs.append((item, ask_item(assistant, item)))
        if on_record is not None:
            on_record(pos, item, pairs[-1][1])
    _write_atomic(Path(out_path), [r for _, r in pairs])
    return score_pairs(pairs, str(out_path), extract_numbers, number_supported)


_QUALITY = (
    ("n", "n", "int"),
    ("answerable", "n_answerable", "int"),
    ("hit@1", "hit_at_1", "pct"),
    ("hit@3", "hit_at_3", "pct"),
    ("hit@5", "hit_at_5", "pct"),
    ("MRR", "mrr", "num"),
    ("answer acc", "answer_accuracy", "pct"),
    ("citation acc", "citation_accuracy", "pct"),
    ("numbers cited", "numbers_cited", "pct"),
    ("right report", "right_report", "pct"),
    ("answer chars p50", "answer_chars_p50", "ms"),
    ("1st sentence has facts", "first_sentence_facts", "pct"),
)
_REFUSAL_LATENCY = (
    ("n", "n", "int"),
    ("refusal P", "refusal_precision", "pct"),
    ("refusal R", "refusal_recall", "pct"),
    ("answerable refused", "answerable_refused", "pct"),
    ("retrieval p50 ms", "retrieval_p50_ms", "ms"),
    ("retrieval p95 ms", "retrieval_p95_ms", "ms"),
    ("total p50 ms", "total_p50_ms", "ms"),
    ("total p95 ms", "total_p95_ms", "ms"),
)


def _cell(value: float | None, kind: str) -> str:
    """Format one table cell: counts as is, rates as percentages, MRR to 3 places, ms to 1; None as n/a."""
    if value is None:
        return "n/a"
    if kind == "int":
        return str(value)
    return f"{100 * value:.1f}%" if kind == "pct" else f"{value:.3f}" if kind == "num" else f"{value:.1f}"


def _table(rows: Sequence[tuple[str, GroupMetrics]], columns: Sequence[tuple[str, str, str]]) -> list[str]:
    """A markdown pipe table with a 'group' column followed by the given (label, attribute, kind) columns."""
    lines = [
        "| group | " + " | ".join(label for label, _, _ in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for name, g in rows:
        lines.append(f"| {name} | " + " | ".join(_cell(getattr(g, a), k) for _, a, k in columns) + " |")
    return lines


def format_report(report: EvalReport) -> str:
    """Markdown pipe tables (overall, per split, per category) ready to paste into evals/README.md."""
    sections = [
        (
            "Overall and per split",
            [("all", report.overall)] + [(f"split={k}", g) for k, g in report.by_split.items()],
        ),
        ("Per category", [(f"category={k}", g) for k, g in report.by_category.items()]),
    ]
    if report.by_report:
        sections.append(("Per report", [(f"report={k}", g) for k, g in report.by_report.items()]))
    out = [
        f"Eval results: {report.overall.n} questions ({report.overall.n_answerable} answerable); "
        f"per-question results in {report.out_path}"
    ]
    for title, rows in sections:
        out += ["", f"### {title}: retrieval and answers", ""] + _table(rows, _QUALITY)
        out += ["", f"### {title}: refusals and latency", ""] + _table(rows, _REFUSAL_LATENCY)
    return "\n".join(out) + "\n"


def _run_meta(args: argparse.Namespace, assistant: Any, settings: Any) -> Any:
    """What this command-line run is, for the store and the HTML report."""
    import hashlib

    from assistant.evalstore import RunMeta, code_version, report_hashes, settings_snapshot

    try:
        mode = str(assistant.health().get("mode", "extractive"))
    except Exception:  # noqa: BLE001 - metadata only
        mode = str(getattr(assistant, "mode", "extractive"))
    return RunMeta(
        args.eval_file.name, hashlib.sha256(args.eval_file.read_bytes()).hexdigest(), mode,
        {"split": args.split, "limit": args.limit}, settings_snapshot(settings) if settings else {},
        code_version(), report_hashes(assistant), args.label,
    )  # fmt: skip


def _compare(args: argparse.Namespace, store: Any) -> int:
    """--compare A B: metric deltas and changed items of two stored runs (and --html)."""
    from assistant.evalcompare import compare, format_compare
    from assistant.evalhtml import render_compare

    a, b = args.compare
    infos = [store.run(a), store.run(b)]
    if None in infos:
        print(f"error: no run {a if infos[0] is None else b} in {store.path}", file=sys.stderr)
        return 2
    result = compare(store.results(a), store.results(b))
    print(format_compare(result, f"#{a}", f"#{b}"), end="")
    if args.html:
        args.html.write_text(render_compare(infos[0], infos[1], result), encoding="utf-8")
    return 0


def _write_html(path: Path, info: Any, results: Any) -> None:
    from assistant.evalhtml import render_report

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(info, results), encoding="utf-8")


def main(
    argv: Sequence[str] | None = None, build: Callable[[], Any] | None = None, settings: Any = None
) -> int:
    """CLI: run the eval set through the assistant made by `build()`, print the report, store the run."""
    parser = argparse.ArgumentParser(prog="assistant eval", description="Run the eval question set.")
    parser.add_argument("--eval-file", type=Path, default=DEFAULT_EVAL_FILE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--split", choices=("all", *SPLITS), default="all")
    parser.add_argument("--limit", type=int, default=None, metavar="N")
    parser.add_argument("--html", type=Path, metavar="REPORT.html", help="also write the HTML report")
    parser.add_argument("--compare", type=int, nargs=2, metavar=("A", "B"), help="compare two stored runs")
    parser.add_argument("--store", type=Path, help="run store (default: <index dir>/evalruns.sqlite)")
    parser.add_argument("--no-store", action="store_true", help="do not store the run")
    parser.add_argument("--label", default="", help="a name for the stored run")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be >= 1")
    from assistant.evalstore import DONE, FAILED, RUNNING, EvalStore, Result, RunInfo, now
    from assistant.metrics import classify

    path = None if args.no_store else args.store or (settings.eval_store_path if settings else None)
    store = EvalStore(path) if path else None
    if args.compare:
        if store is None:
            print("error: --compare needs a run store (--store)", file=sys.stderr)
            return 2
        return _compare(args, store)
    if build is None:
        print("error: no assistant builder was given to evaluation.main", file=sys.stderr)
        return 2
    try:
        items = load_eval_file(args.eval_file)
    except EvalFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.split != "all":
        items = [it for it in items if it.split == args.split]
    if args.limit is not None:
        items = items[: args.limit]
    assistant = build()
    meta = _run_meta(args, assistant, settings)
    results: list[Result] = []
    run_id = store.create_run(meta, items) if store else 0

    def keep(pos: int, item: EvalItem, record: dict[str, Any]) -> None:
        results.append(Result(pos, item, record, classify(item.answers, item.evidence, record)))
        if store:
            store.add_result(run_id, pos, record, results[-1].outcome or "")

    if store:
        store.set_status(run_id, RUNNING)
    try:
        report = run_eval(assistant, items, args.out, on_record=keep)
    except Exception as exc:
        if store:
            store.set_status(run_id, FAILED, str(exc)[:500])
        raise
    if store:
        store.set_status(run_id, DONE)
        print(f"run #{run_id} stored in {store.path}", file=sys.stderr)
    print(format_report(report), end="")
    if args.html:
        info = store.run(run_id) if store else None
        info = info or RunInfo(run_id, now(), now(), DONE, "", meta, len(items), len(results))
        _write_html(args.html, info, results)
    return 0
