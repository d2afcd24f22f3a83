"""The eval workbench at /eval (desktop only): the page, and its JSON routes under /api/eval/.

`mount_eval(app, assistant, settings)` adds them to the FastAPI app before the chat UI is mounted and
returns the assistant as visitors should use it (counted, so eval runs make way for them). The page is
static HTML + JS that only ever inserts text (textContent), under a strict Content-Security-Policy;
uploaded files are parsed into items and never stored, executed or served back as they came.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response

from .evalbench import PageError, Workbench, bundled_files, run_row
from .evalfile import MAX_EVAL_BYTES, too_big
from .evalhtml import STATUS_LABELS
from .evalreport import chart_svg, score_results
from .settings import Settings

STATIC = Path(__file__).resolve().parent / "static"
PAGE_FILES = {"eval.js": "text/javascript", "eval.css": "text/css"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
SAFE_NAME = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


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
        return [run_row(i, bench.accuracy(i)) for i in bench.store.runs()]

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
