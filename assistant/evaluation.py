"""Eval runner: load a JSONL question set, ask the assistant, write per-question results, score them."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.metrics import Checker, Extractor, GroupMetrics, score_group
from assistant.records import answer_record

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_EVAL_FILE = ROOT / "evals" / "questions.jsonl"
DEFAULT_OUT = ROOT / "evals" / "results.jsonl"
SPLITS = ("dev", "heldout")


class EvalFileError(ValueError):
    """An eval file cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class EvalItem:
    """One eval question with its key facts, evidence quotes and conversation history."""

    id: str
    question: str
    answers: tuple[str, ...]
    evidence: tuple[str, ...]
    category: str
    history: tuple[tuple[str, str], ...] = ()
    split: str = "dev"

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass(frozen=True)
class EvalReport:
    """Overall, per-split and per-category scores, plus where the per-question results went."""

    out_path: str
    overall: GroupMetrics
    by_split: dict[str, GroupMetrics] = field(default_factory=dict)
    by_category: dict[str, GroupMetrics] = field(default_factory=dict)


def _str_list(obj: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    """A required list-of-strings field, or EvalFileError."""
    value = obj.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise EvalFileError(f"{where}: '{key}' must be a list of non-empty strings")
    return tuple(value)


def _parse_item(obj: Any, where: str) -> EvalItem:
    """Validate one decoded JSON line into an EvalItem."""
    if not isinstance(obj, dict):
        raise EvalFileError(f"{where}: expected a JSON object")
    for key in ("id", "question", "category"):
        if not isinstance(obj.get(key), str) or not obj[key].strip():
            raise EvalFileError(f"{where}: '{key}' must be a non-empty string")
    answers, evidence = _str_list(obj, "answers", where), _str_list(obj, "evidence", where)
    if answers and not evidence:
        raise EvalFileError(f"{where}: an answerable question needs at least one evidence quote")
    history_raw = obj.get("history", [])
    if not isinstance(history_raw, list) or not all(
        isinstance(t, list) and len(t) == 2 and all(isinstance(s, str) for s in t) for t in history_raw
    ):
        raise EvalFileError(f"{where}: 'history' must be a list of [question, answer] string pairs")
    split = obj.get("split", "dev")
    if split not in SPLITS:
        raise EvalFileError(f"{where}: 'split' must be one of {SPLITS}, got {split!r}")
    history = tuple((q, a) for q, a in history_raw)
    return EvalItem(obj["id"], obj["question"], answers, evidence, obj["category"], history, split)


def load_eval_file(path: str | Path) -> list[EvalItem]:
    """Read a JSONL eval file; blank lines are skipped; errors name the file and 1-based line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"{path}: cannot read eval file: {exc}") from exc
    items: list[EvalItem] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:line {lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalFileError(f"{where}: invalid JSON: {exc.msg}") from exc
        item = _parse_item(obj, where)
        if item.id in seen:
            raise EvalFileError(f"{where}: duplicate id {item.id!r} (first on line {seen[item.id]})")
        seen[item.id] = lineno
        items.append(item)
    return items


def _record(item: EvalItem, answer: Any, measured_ms: float) -> dict[str, Any]:
    """One out-file line for a question and the assistant's Answer."""
    timings = answer.timings or {}
    retrieval_ms, total_ms = timings.get("retrieval_ms"), timings.get("total_ms")
    record = answer_record(answer)
    return {
        "id": item.id,
        "question": item.question,
        "answer": record["answer"],
        "refused": record["refused"],
        "citations": [
            {k: c[k] for k in ("n", "chunk_id", "section", "text", "report", "report_name")}
            for c in record["citations"]
        ],
        "retrieved": record["retrieved"],
        "latency_ms": float(measured_ms if total_ms is None else total_ms),
        "standalone_question": answer.standalone_question,
        "mode": answer.mode,
        "category": item.category,
        "split": item.split,
        "retrieval_ms": None if retrieval_ms is None else float(retrieval_ms),
        "reports": record["reports"],
        "route": record["route"],
    }


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
) -> EvalReport:
    """Ask every item, write one JSONL line per question atomically to out_path, and score the run."""
    pairs: list[tuple[EvalItem, dict[str, Any]]] = []
    for item in items:
        start = time.perf_counter()
        try:
            answer = assistant.ask(item.question, [tuple(t) for t in item.history])
        except Exception as exc:
            raise RuntimeError(f"eval question {item.id!r} failed: {exc}") from exc
        pairs.append((item, _record(item, answer, (time.perf_counter() - start) * 1000)))
    _write_atomic(Path(out_path), [r for _, r in pairs])

    def score(selected: Sequence[tuple[EvalItem, dict[str, Any]]]) -> GroupMetrics:
        rows = [(it.answers, it.evidence, rec) for it, rec in selected]
        return score_group(rows, extract_numbers, number_supported)

    def by(key: str) -> dict[str, GroupMetrics]:
        names = sorted({getattr(it, key) for it, _ in pairs})
        return {name: score([p for p in pairs if getattr(p[0], key) == name]) for name in names}

    return EvalReport(str(out_path), score(pairs), by("split"), by("category"))


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
    out = [
        f"Eval results: {report.overall.n} questions ({report.overall.n_answerable} answerable); "
        f"per-question results in {report.out_path}"
    ]
    for title, rows in sections:
        out += ["", f"### {title}: retrieval and answers", ""] + _table(rows, _QUALITY)
        out += ["", f"### {title}: refusals and latency", ""] + _table(rows, _REFUSAL_LATENCY)
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None, build: Callable[[], Any] | None = None) -> int:
    """CLI: run the eval set through the assistant made by `build()` and print the report."""
    parser = argparse.ArgumentParser(prog="assistant eval", description="Run the eval question set.")
    parser.add_argument("--eval-file", type=Path, default=DEFAULT_EVAL_FILE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--split", choices=("all", *SPLITS), default="all")
    parser.add_argument("--limit", type=int, default=None, metavar="N")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be >= 1")
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
    report = run_eval(build(), items, args.out)
    print(format_report(report), end="")
    return 0
