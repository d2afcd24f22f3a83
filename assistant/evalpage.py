"""The eval workbench at /eval (desktop only): the page, and its JSON routes under /api/eval/.

`mount_eval(app, assistant, settings)` adds them to the FastAPI app before the chat UI is mounted and
returns the assistant as visitors should use it (counted, so eval runs make way for them). The page is
static HTML + JS that only ever inserts text (textContent), under a strict Content-Security-Policy;
uploaded files are parsed into items and never stored, executed or served back as they came.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response

from .evalcompare import compare
from .evalfile import MAX_EVAL_BYTES, SPLITS, EvalFileError, parse_eval_bytes, select_items, too_big
from .evalhtml import MODE_LABELS, STATUS_LABELS, render_report
from .evalreport import (
    category_table,
    chart_svg,
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

STATIC = Path(__file__).resolve().parent / "static"
PAGE_FILES = {"eval.js": "text/javascript", "eval.css": "text/css"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
SAFE_NAME = re.compile(r"[^\w.\-\u4e00-\u9fff]+")
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


def _run_row(info: RunInfo, accuracy: str) -> dict[str, Any]:
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
            "run": _run_row(info, fmt(report.overall.answer_accuracy, "pct")),
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
        out["a"] = _run_row(ia, fmt(score_results(ra).overall.answer_accuracy, "pct"))
        out["b"] = _run_row(ib, fmt(score_results(rb).overall.answer_accuracy, "pct"))
        return out


def same_origin(request: Request) -> None:
    """Refuse a state-changing request sent by another site's page (a browser names it in Origin)."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise PageError(403, "只能从评测工作台页面发起此操作。")


async def _read_limited(request: Request, limit: int, name: str) -> bytes:
    """The request body, refused (413, the limit named) as soon as it is over the limit."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PageError(413, f"评测文件有误，未运行：{too_big(name, int(declared), limit)}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PageError(413, f"评测文件有误，未运行：{too_big(name, size, limit)}")
        chunks.append(chunk)
    return b"".join(chunks)


def make_router(bench: Workbench) -> APIRouter:
    """The page and its JSON routes."""
    router = APIRouter()

    @router.get("/eval", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(
            STATIC / "eval.html", media_type="text/html", headers={"Content-Security-Policy": CSP}
        )

    @router.get("/eval/static/{name}", include_in_schema=False)
    def static(name: str) -> FileResponse:
        if name not in PAGE_FILES:
            raise PageError(404, "没有这个文件。")
        return FileResponse(STATIC / name, media_type=PAGE_FILES[name], headers={"Cache-Control": "no-cache"})

    @router.get("/api/eval/options")
    def options() -> dict[str, Any]:
        return bench.options()

    @router.get("/api/eval/runs")
    def runs() -> list[dict[str, Any]]:
        return [_run_row(i, bench.accuracy(i)) for i in bench.store.runs()]

    guarded = [Depends(same_origin)]

    @router.post("/api/eval/runs", status_code=201, dependencies=guarded)
    async def start(
        request: Request,
        source: str = "",
        name: str = "",
        mode: str = "",
        split: str = Query("all", pattern="^(all|dev|heldout)$"),
        reports: list[str] = Query(default_factory=list),  # noqa: B008
        narrow: bool = False,
        limit: int | None = Query(None, ge=1, le=100_000),
        label: str = "",
    ) -> dict[str, Any]:
        """Start a run: `source` names a bundled eval file, or the body is an uploaded one called `name`."""
        if source:
            files = bundled_files(bench.eval_dir)
            if source not in files:
                raise PageError(400, f"没有名为 {source} 的评测集。")
            size = files[source].stat().st_size
            if size > MAX_EVAL_BYTES:
                raise PageError(413, f"评测文件有误，未运行：{too_big(source, size, MAX_EVAL_BYTES)}")
            data, filename = files[source].read_bytes(), source
        else:
            filename = SAFE_NAME.sub("_", Path(name or "upload.jsonl").name)[:100] or "upload.jsonl"
            data = await _read_limited(request, MAX_EVAL_BYTES, filename)
            if not data:
                raise PageError(400, "请选择一个评测集，或上传评测文件。")
        params = {
            "mode": mode,
            "split": split,
            "reports": reports,
            "narrow": narrow,
            "limit": limit,
            "label": label,
        }
        run_id = await run_in_threadpool(bench.start, filename, data, params)
        return {"id": run_id}

    @router.get("/api/eval/runs/{run_id}")
    def run(run_id: int) -> dict[str, Any]:
        return bench.run_view(run_id)

    @router.get("/api/eval/runs/{run_id}/status")
    def status(run_id: int) -> dict[str, Any]:
        info = bench.info(run_id)
        return {
            "status": info.status, "status_label": STATUS_LABELS.get(info.status, info.status),
            "done": info.done, "total": info.total, "error": info.error,
        }  # fmt: skip

    @router.post("/api/eval/runs/{run_id}/stop", dependencies=guarded)
    def stop(run_id: int) -> dict[str, Any]:
        bench.info(run_id)
        return {"stopping": bench.worker.stop(run_id)}

    @router.delete("/api/eval/runs/{run_id}", dependencies=guarded)
    def delete(run_id: int) -> dict[str, Any]:
        info = bench.info(run_id)
        if info.status in ("queued", "running"):
            raise PageError(409, "评测还在运行，请先停止。")
        return {"deleted": bench.store.delete_run(run_id)}

    @router.get("/api/eval/runs/{run_id}/items/{pos}")
    def detail(run_id: int, pos: int) -> dict[str, Any]:
        return bench.detail(run_id, pos)

    @router.get("/api/eval/runs/{run_id}/chart.svg", include_in_schema=False)
    def chart(run_id: int) -> Response:
        bench.info(run_id)
        svg = chart_svg(score_results(bench.store.results(run_id)))
        return Response(
            svg, media_type="image/svg+xml", headers={"Content-Security-Policy": "default-src 'none'"}
        )

    @router.get("/api/eval/runs/{run_id}/export.{kind}")
    def export(run_id: int, kind: str) -> Response:
        return bench.export(run_id, kind)

    @router.get("/api/eval/compare")
    def compare_runs(a: int, b: int) -> dict[str, Any]:
        return bench.compare(a, b)

    return router


def mount_eval(app: FastAPI, assistant: Any, settings: Settings) -> Any:
    """Add the workbench to the app (never in kiosk mode). Returns the assistant visitors should be served
    by: the same one, counted, so eval runs make way for them. Call before mounting the chat UI at "/"."""
    if settings.kiosk:
        return assistant
    bench = Workbench(assistant, settings)

    @app.exception_handler(PageError)
    async def _page_error(_: Request, exc: PageError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    app.include_router(make_router(bench))
    old_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: FastAPI):  # type: ignore[no-untyped-def]
        async with old_lifespan(a) as state:
            try:
                yield state
            finally:
                await run_in_threadpool(bench.worker.close)

    app.router.lifespan_context = lifespan
    app.state.eval_workbench = bench
    return bench.traffic.track(assistant)
