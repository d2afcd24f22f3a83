"""The eval workbench's actions, behind the /eval routes: the store and worker, the modes and reports
offered, starting runs (parse, select, queue), and the views of runs, items, exports and comparisons."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from fastapi.responses import Response

from .evalcompare import compare
from .evalfile import MAX_EVAL_BYTES, SPLITS, EvalFileError, parse_eval_bytes, select_items
from .evalhtml import MODE_LABELS, STATUS_LABELS, render_report
from .evalreport import (
    category_table,
    fmt,
    item_detail,
    item_row,
    outcome_counts,
    score_results,
    summary,
    to_csv,
    to_jsonl,
)
from .evalstore import EvalStore, RunInfo, RunMeta, code_version, report_hashes, settings_snapshot
from .evaluation import DEFAULT_EVAL_FILE, accepts_report
from .evalworker import EvalWorker, Traffic, WorkerBusy
from .settings import Settings

MAX_LABEL = 80


class PageError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def eval_modes(assistant: Any) -> dict[str, tuple[str, Any]]:
    """Mode id -> (label, assistant that answers in it): extractive, and the configured model if any."""
    try:
        mode = str(assistant.health().get("mode", "extractive"))
    except Exception:  # noqa: BLE001
        mode = "extractive"
    if mode == "extractive":
        return {"extractive": (MODE_LABELS["extractive"], assistant)}
    modes = {mode: (f"语言模型（{mode.removeprefix('llm:')}）", assistant)}
    extractive_only = getattr(assistant, "extractive_only", None)
    if callable(extractive_only):
        modes["extractive"] = (MODE_LABELS["extractive"], extractive_only())
    return modes


def available_reports(assistant: Any) -> dict[str, str]:
    """The reports the assistant answers from: file name -> display name (report_records() if it has
    them, else health()["reports"], else the index manifest's files)."""
    records = getattr(assistant, "report_records", None)
    listed: Any = None
    if callable(records):
        listed = records()
    else:
        try:
            listed = assistant.health().get("reports")
        except Exception:  # noqa: BLE001
            listed = None
    if isinstance(listed, list) and listed:
        out: dict[str, str] = {}
        for r in listed:
            file = r if isinstance(r, str) else r.get("file") or r.get("report") or r.get("name")
            name = r if isinstance(r, str) else r.get("short_name") or r.get("name") or file
            if file:
                out[str(file)] = str(name)
        return out
    return {r["report"]: r["report"] for r in report_hashes(assistant) if r.get("report")}


def bundled_files(folder: Path) -> dict[str, Path]:
    """The eval files one can pick without uploading (results files excluded)."""
    if not folder.is_dir():
        return {}
    return {
        p.name: p
        for p in sorted(folder.iterdir())
        if p.suffix in (".jsonl", ".csv") and p.is_file() and not p.name.startswith("results")
    }


def run_row(info: RunInfo, accuracy: str) -> dict[str, Any]:
    m = info.meta
    return {
        "id": info.id,
        "label": m.label,
        "source": m.source,
        "mode": m.mode,
        "mode_label": MODE_LABELS.get(m.mode, m.mode),
        "options": m.options,
        "created_at": info.created_at,
        "finished_at": info.finished_at,
        "status": info.status,
        "status_label": STATUS_LABELS.get(info.status, info.status),
        "error": info.error,
        "done": info.done,
        "total": info.total,
        "answer_accuracy": accuracy,
        "code_version": m.code_version,
        "reports": m.reports,
        "settings": m.settings,
    }


class Workbench:
    """The state behind the routes: store, worker, modes and the bundled files."""

    def __init__(self, assistant: Any, settings: Settings, eval_dir: Path = DEFAULT_EVAL_FILE.parent) -> None:
        self.settings = settings
        self.traffic = Traffic()
        self.store = EvalStore(settings.eval_store_path)
        self.worker = EvalWorker(self.store, self.traffic, settings.eval_pause_ratio)
        self.modes = eval_modes(assistant)
        self.reports = available_reports(assistant)
        self.narrow = accepts_report(assistant)
        self.eval_dir = eval_dir
        self._report_hashes = report_hashes(assistant)
        self._accuracy: dict[tuple[int, int], str] = {}

    def info(self, run_id: int) -> RunInfo:
        info = self.store.run(run_id)
        if info is None:
            raise PageError(404, f"没有编号为 {run_id} 的评测运行。")
        return info

    def accuracy(self, info: RunInfo) -> str:
        key = (info.id, info.done)
        if key not in self._accuracy:
            if len(self._accuracy) > 1000:
                self._accuracy.clear()
            self._accuracy[key] = fmt(
                score_results(self.store.results(info.id)).overall.answer_accuracy, "pct"
            )
        return self._accuracy[key]

    def options(self) -> dict[str, Any]:
        return {
            "files": list(bundled_files(self.eval_dir)),
            "default_file": DEFAULT_EVAL_FILE.name,
            "modes": [{"id": k, "label": label} for k, (label, _) in self.modes.items()],
            "reports": [{"file": f, "name": n} for f, n in self.reports.items()],
            "narrow": self.narrow,
            "splits": ["all", *SPLITS],
            "max_bytes": MAX_EVAL_BYTES,
            "max_mb": MAX_EVAL_BYTES / 1e6,
        }

    def start(self, name: str, data: bytes, params: dict[str, Any]) -> int:
        """Parse the eval file, select its items, and queue the run. Raises PageError; nothing runs on error."""
        mode = params["mode"] or next(iter(self.modes))
        if mode not in self.modes:
            raise PageError(400, f"未知的模式：{mode}")
        reports = [r for r in params["reports"] if r]
        unknown = [r for r in reports if r not in self.reports]
        if unknown:
            raise PageError(400, f"未知的报告：{'、'.join(unknown)}")
        try:
            items = parse_eval_bytes(data, name, max_question_chars=self.settings.max_question_chars)
        except EvalFileError as exc:
            raise PageError(400, f"评测文件有误，未运行：{exc}") from None
        chosen = select_items(items, params["split"], reports, params["limit"])
        if not chosen:
            raise PageError(400, "按所选的范围和报告，没有可运行的题目。")
        options = {
            "split": params["split"], "reports": reports, "narrow": bool(params["narrow"] and self.narrow),
            "limit": params["limit"],
        }  # fmt: skip
        meta = RunMeta(
            name, hashlib.sha256(data).hexdigest(), mode, options, settings_snapshot(self.settings),
            code_version(), self._report_hashes, params["label"][:MAX_LABEL],
        )  # fmt: skip
        try:
            return self.worker.submit(
                meta, chosen, self.modes[mode][1], reports=tuple(reports), narrow=options["narrow"]
            )
        except WorkerBusy as exc:
            raise PageError(429, str(exc)) from None

    def run_view(self, run_id: int) -> dict[str, Any]:
        info = self.info(run_id)
        results = self.store.results(run_id)
        report = score_results(results)
        return {
            "run": run_row(info, fmt(report.overall.answer_accuracy, "pct")),
            "metrics": summary(report.overall),
            "outcomes": outcome_counts(results),
            "categories": category_table(report),
            "items": [item_row(r) for r in results],
        }

    def detail(self, run_id: int, pos: int) -> dict[str, Any]:
        self.info(run_id)
        result = self.store.result(run_id, pos)
        if result is None or result.record is None:
            raise PageError(404, "这道题还没有结果。")
        return item_detail(result)

    def export(self, run_id: int, kind: str) -> Response:
        info = self.info(run_id)
        results = self.store.results(run_id)
        stem = f"eval-run-{run_id}"
        if kind == "html":
            body, media = render_report(info, results), "text/html; charset=utf-8"
        elif kind == "csv":
            body, media = to_csv(results), "text/csv; charset=utf-8"
        elif kind == "jsonl":
            body, media = to_jsonl(results, run_id), "application/x-ndjson; charset=utf-8"
        else:
            raise PageError(404, "不支持的导出格式。")
        headers = {
            "Content-Disposition": f'attachment; filename="{stem}.{kind}"',
            "X-Content-Type-Options": "nosniff",
        }
        return Response(body, media_type=media, headers=headers)

    def compare(self, a: int, b: int) -> dict[str, Any]:
        ia, ib = self.info(a), self.info(b)
        ra, rb = self.store.results(a), self.store.results(b)
        out = compare(ra, rb)
        out["a"] = run_row(ia, fmt(score_results(ra).overall.answer_accuracy, "pct"))
        out["b"] = run_row(ib, fmt(score_results(rb).overall.answer_accuracy, "pct"))
        return out
