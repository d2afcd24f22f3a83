"""The server: the JSON API at /api/ (per-client rate limits) and the Gradio UI at "/".

The API answers as soon as the index is open; the UI (gradio's import alone takes seconds) is built
afterwards and mounted when ready. Until then /api/health says "starting", /api/ask says so with a
503, and the page is a Chinese notice that reloads itself when the UI is there.
"""

from __future__ import annotations

import asyncio
import html
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from assistant.batching import QueueFull
from assistant.kiosk import KioskRoutes
from assistant.page import LOCALE_JS, PAGE_LANG
from assistant.records import answer_record
from assistant.settings import Settings
from assistant.types import QuestionError

log = logging.getLogger(__name__)

RATE_LIMITED = "请求过于频繁，请稍后再试。"
INTERNAL_ERROR = "服务暂时出现问题，请稍后再试。"
STARTING = "服务正在启动，请稍后再试。"
BUSY = "服务繁忙，请稍后再试。"
LOADING_TITLE = "规划报告问答助手"
LOADING_TEXT = "正在加载问答助手，请稍候……"
LOADING_POLL_MS = 500
WINDOW_SECONDS = 60.0
BAD_REQUEST = "请求格式不正确："


class ApiError(Exception):
    """An error answered as {"error": message} with an HTTP status."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class Message(BaseModel):
    """An OpenAI-style chat message: {"role": "user"|"assistant", "content": "..."}."""

    role: StrictStr
    content: StrictStr


class AskRequest(BaseModel):
    """Body of POST /api/ask: history as [question, answer] pairs or as role/content messages."""

    model_config = ConfigDict(extra="ignore")
    question: StrictStr
    history: list[tuple[StrictStr, StrictStr]] | list[Message] = Field(default_factory=list, max_length=100)
    report: StrictStr | None = None  # a report's file or short name: answer from that report only

    def pairs(self) -> list[tuple[str, str]]:
        return history_pairs(self.history)


def history_pairs(history: list[Any]) -> list[tuple[str, str]]:
    """[question, answer] pairs from pairs or from user/assistant messages (other roles are skipped)."""
    out: list[tuple[str, str]] = []
    asked: str | None = None
    for item in history:
        if isinstance(item, Message):
            if item.role == "user":
                asked = item.content
            elif item.role == "assistant" and asked is not None:
                out.append((asked, item.content))
                asked = None
        else:
            out.append((item[0], item[1]))
    return out


def describe_errors(errors: list[dict[str, Any]]) -> str:
    """One short Chinese sentence for FastAPI's validation errors (the first few)."""
    parts: list[str] = []
    for err in errors[:3]:
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
        kind = str(err.get("type", ""))
        if loc.startswith("history.") and kind != "list_type":
            parts.append("history 的每一项应为 [问题, 回答] 两个字符串")
        elif kind == "json_invalid":
            parts.append("请求体不是有效的 JSON")
        elif kind == "missing":
            parts.append(f"缺少字段 {loc}")
        elif kind in ("model_attributes_type", "dict_type") and not loc:
            parts.append('请求体应为 JSON 对象，例如 {"question": "…", "history": []}')
        elif kind == "string_type":
            parts.append(f"{loc} 应为字符串")
        elif kind in ("list_type", "tuple_type"):
            parts.append(f"{loc} 应为列表")
        elif kind in ("too_short", "too_long"):
            parts.append(f"{loc} 的长度不符合要求")
        else:
            parts.append(f"{loc or '请求体'}：{err.get('msg', kind)}")
    return BAD_REQUEST + ("；".join(dict.fromkeys(parts)) or "无法解析")


class HtmlLangMiddleware:
    """Serve the UI page as a Chinese page: <html lang="zh-CN"> (Gradio's template hard-codes "en"),
    and Gradio's own labels in Chinese whatever the browser's language (LOCALE_JS, first in <head>)."""

    def __init__(self, app: Any, lang: str = PAGE_LANG, head: str = LOCALE_JS) -> None:
        self.app = app
        self.needle = b'lang="en"'
        self.replacement = f'lang="{lang}"'.encode()
        self.head = b"<head>" + head.encode()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET" or scope.get("path") != "/":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        body: list[bytes] = []

        async def capture(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            content = b"".join(body)
            headers = list(start.get("headers", []))
            names = {k.lower(): v for k, v in headers}
            if names.get(b"content-type", b"").startswith(b"text/html") and b"content-encoding" not in names:
                content = content.replace(self.needle, self.replacement, 1).replace(b"<head>", self.head, 1)
                headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(content)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": content})

        await self.app(scope, receive, capture)


class RateLimiter:
    """Sliding-window limiter: at most `limit` requests per `window` seconds per key. Memory only."""

    def __init__(self, limit: int, window: float = WINDOW_SECONDS) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str, now: float | None = None) -> float:
        """Record a request; return 0 if allowed, else the seconds until the next one would be."""
        if self.limit <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(0.01, hits[0] + self.window - now)
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.window}
            return 0.0


class Service:
    """What the server answers with as the parts become ready: first the assistant, then the UI."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.assistant: Any = None  # set by ready(), once the index is open
        self.api: FastAPI | None = None  # the JSON app (set by create_api)
        self.ui: Any = None  # the mounted Gradio ASGI app, once built and started
        self.error: str | None = None

    def ready(self, assistant: Any) -> None:
        """Serve this assistant from now on; the eval workbench (desktop only) is added with it, and
        visitors' questions are counted so that eval runs make way for them."""
        from assistant.evalpage import mount_eval

        assert self.api is not None
        self.assistant = mount_eval(self.api, assistant, self.settings)

    def health(self) -> tuple[int, dict[str, Any]]:
        ui = "ready" if self.ui is not None else "loading"
        if self.assistant is None:
            return 503, {"status": "starting", "ui": ui, "kiosk": self.settings.kiosk}
        return 200, {**self.assistant.health(), "ui": ui, "kiosk": self.settings.kiosk}


def create_api(service: Service) -> FastAPI:
    """The JSON routes: POST /api/ask and GET /api/health (and /api/docs unless kiosk)."""
    settings = service.settings
    docs = not settings.kiosk
    service.api = app = FastAPI(
        title="规划报告问答助手 API",
        docs_url="/api/docs" if docs else None,
        redoc_url=None,
        openapi_url="/api/openapi.json" if docs else None,
    )
    limiter = RateLimiter(settings.api_rate_per_minute)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        """Malformed JSON or wrong types: 422 in the API's one error shape, with FastAPI's details."""
        errors = jsonable_encoder(exc.errors())
        return JSONResponse({"error": describe_errors(errors), "detail": errors}, status_code=422)

    # the dependencies are coroutines: a plain function would be run on the thread pool, two thread
    # hand-offs per question for a few microseconds of work (10 % of the GIL time at 64 clients)
    async def rate_limit(request: Request) -> None:
        """Dependency: refuse a client over its per-minute budget."""
        client = request.client.host if request.client else "unknown"
        wait = limiter.check(client)
        if wait:
            raise ApiError(429, RATE_LIMITED, {"Retry-After": str(int(wait) + 1)})

    # Answers in progress at once. Enough for questions to meet in the embedding batches; the rest of
    # an answer is short CPU work, so this stays well under the thread pool's size.
    slots = asyncio.Semaphore(max(1, settings.api_concurrency_limit))

    async def ready() -> None:
        """Dependency: 503 while the assistant is loading (not counted against the rate limit)."""
        if service.assistant is None:
            raise ApiError(503, STARTING, {"Retry-After": "1"})

    @app.post("/api/ask", dependencies=[Depends(ready), Depends(rate_limit)])
    async def ask(body: AskRequest) -> JSONResponse:
        """Answer a question (with optional [[question, answer], ...] history) from the report."""
        assistant = service.assistant
        try:
            async with slots:
                if body.report:
                    answer = await run_in_threadpool(assistant.ask, body.question, body.pairs(), body.report)
                else:
                    answer = await run_in_threadpool(assistant.ask, body.question, body.pairs())
        except QuestionError as exc:
            raise ApiError(400, str(exc)) from None
        except QueueFull:
            raise ApiError(503, BUSY, {"Retry-After": "1"}) from None
        except Exception:
            log.exception("answering failed")
            raise ApiError(500, INTERNAL_ERROR) from None
        # the record is plain JSON already: sent as it is, not walked again by FastAPI's encoder
        return JSONResponse(answer_record(answer, retrieved=False))

    @app.get("/api/reports", dependencies=[Depends(ready)])
    def reports() -> dict[str, Any]:
        """The reports the assistant answers from: file, short name, title, place, genre, years."""
        return {"reports": service.assistant.report_records()}

    @app.get("/api/health")
    def health() -> JSONResponse:
        """Index and mode status ("starting" until the assistant answers), the UI's state, kiosk."""
        status, body = service.health()
        return JSONResponse(body, status_code=status)

    return app


def loading_page(settings: Settings) -> bytes:
    """The page shown while the UI loads: a Chinese notice that reloads itself once the UI is ready."""
    title = html.escape(LOADING_TITLE)
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><noscript><meta http-equiv="refresh" content="2"></noscript>
<style>body{{font-family:"Noto Sans SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;display:flex;
align-items:center;justify-content:center;min-height:90vh;margin:0;background:#f8fafc;color:#1f2937}}
.qa-loading{{text-align:center;font-size:{"1.6em" if settings.kiosk else "1.2em"}}}
.qa-loading h1{{color:#1a4fa0;font-size:1.5em}}</style></head>
<body><div class="qa-loading" role="status" aria-live="polite"><h1>{title}</h1><p>{html.escape(LOADING_TEXT)}</p></div>
<script>
(function poll() {{
  fetch("/api/health", {{cache: "no-store"}}).then(function (r) {{ return r.json(); }})
    .then(function (h) {{ if (h.ui === "ready") {{ location.reload(); }} else {{ setTimeout(poll, {LOADING_POLL_MS}); }} }})
    .catch(function () {{ setTimeout(poll, {LOADING_POLL_MS}); }});
}})();
</script></body></html>""".encode()


class Site:
    """The ASGI app the server runs: /api/* to the JSON API, everything else to the UI once it is
    mounted (before that, the loading page). Runs the lifespans of the parts it mounts."""

    def __init__(self, service: Service, api: FastAPI) -> None:
        self.service = service
        self.api = api
        self.on_startup: list[Callable[[Site], Any]] = []  # a coroutine returned is awaited
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._held: list[asyncio.Task] = []
        self._page = loading_page(service.settings)
        # kiosk: outermost, no upload route, API schema or app config on a public terminal
        self._kiosk = KioskRoutes(self._dispatch) if service.settings.kiosk else None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif self._kiosk is not None:
            await self._kiosk(scope, receive, send)
        else:
            await self._dispatch(scope, receive, send)

    async def _dispatch(self, scope: dict, receive: Any, send: Any) -> None:
        kind = scope["type"]
        path = scope.get("path", "")
        if path == "/api" or path.startswith("/api/"):
            await self.api(scope, receive, send)
        elif (path == "/eval" or path.startswith("/eval/")) and self.service.assistant is not None:
            await self.api(scope, receive, send)  # the eval workbench, added with the assistant
        elif self.service.ui is not None:
            await self.service.ui(scope, receive, send)
        elif kind == "http":
            await self._loading(scope, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1013})  # try again later

    async def _loading(self, scope: dict, send: Any) -> None:
        page = scope.get("method") in ("GET", "HEAD") and not scope["path"].startswith("/gradio_api")
        body = self._page if page else f'{{"error": "{STARTING}"}}'.encode()
        headers = [
            (b"content-type", b"text/html; charset=utf-8" if page else b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
        ]
        if not page:
            headers.append((b"retry-after", b"1"))
        await send({"type": "http.response.start", "status": 200 if page else 503, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else body})

    async def _lifespan(self, receive: Any, send: Any) -> None:
        await receive()  # lifespan.startup
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        try:
            for hook in self.on_startup:
                started = hook(self)
                if asyncio.iscoroutine(started):
                    await started
        except Exception as e:  # noqa: BLE001
            await send({"type": "lifespan.startup.failed", "message": str(e)})
            return
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        self._stopping.set()
        for task in self._held:
            await asyncio.gather(task, return_exceptions=True)
        bench = getattr(self.api.state, "eval_workbench", None)
        if bench is not None:
            await run_in_threadpool(bench.worker.close)
        close_engines = getattr(self.service.assistant, "close_engines", None)
        if callable(close_engines):  # the embedding engines' threads (requests have finished)
            await run_in_threadpool(close_engines)
        await send({"type": "lifespan.shutdown.complete"})

    async def start_ui(self, host: FastAPI, asgi: Any) -> None:
        """Run the UI host's lifespan (Gradio's queue starts there) for as long as the server runs,
        then route the page to it."""
        started = asyncio.Event()
        stopping = self._stopping
        assert stopping is not None

        async def hold() -> None:
            try:
                async with host.router.lifespan_context(host):
                    started.set()
                    await stopping.wait()
            finally:
                started.set()

        task = asyncio.create_task(hold())
        self._held.append(task)
        await started.wait()
        if task.done() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
        self.service.ui = asgi

    def mount_ui_from_thread(self, host: FastAPI, asgi: Any, timeout: float = 60.0) -> None:
        """start_ui, called from a worker thread (blocks until the UI is mounted)."""
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self.start_ui(host, asgi), self._loop).result(timeout)


def build_ui_app(assistant: Any, settings: Settings) -> tuple[FastAPI, Any]:
    """The Gradio UI mounted at "/" of a FastAPI host of its own: (host, ASGI app to serve)."""
    import gradio as gr  # heavy (seconds): imported only when the UI is built

    from assistant.web import build_ui, launch_options

    host = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    ui = build_ui(assistant, settings)
    host = gr.mount_gradio_app(
        host, ui, path="/", server_name=settings.host, server_port=settings.port, **launch_options(settings)
    )
    return host, HtmlLangMiddleware(host)


def create_app(assistant: Any, settings: Settings) -> Site:
    """The whole app around a ready assistant: the API, and the UI built now (mounted at startup)."""
    service = Service(settings)
    site = Site(service, create_api(service))
    service.ready(assistant)
    host, asgi = build_ui_app(service.assistant, settings)
    site.on_startup.append(lambda s: s.start_ui(host, asgi))  # before the server takes requests
    return site


def starting_app(
    settings: Settings,
    load: Callable[[], Any],
    on_error: Callable[[BaseException], None] | None = None,
    ui: bool = True,
    after: Callable[[Service], None] | None = None,
) -> Site:
    """The app at once, before anything is loaded: when the server starts, a thread runs `load()` (the
    assistant: opening or building the index), from then on the API answers; then it builds the UI
    and mounts it, then runs `after(service)` (checks that may replace service.assistant). A failure
    of `load` or of the UI is recorded in service.error and passed to `on_error`."""
    service = Service(settings)
    site = Site(service, create_api(service))

    def run() -> None:
        try:
            t0 = time.perf_counter()
            service.ready(load())
            log.info("assistant ready after %.2f s", time.perf_counter() - t0)
            if ui:
                host, asgi = build_ui_app(service.assistant, settings)
                site.mount_ui_from_thread(host, asgi)
                log.info("UI ready after %.2f s", time.perf_counter() - t0)
        except BaseException as e:  # noqa: BLE001 - reported to the entry point, which stops the server
            service.error = str(e) or type(e).__name__
            if on_error:
                on_error(e)
            else:
                log.exception("start-up failed")
            return
        if after is not None:
            try:
                after(service)
            except Exception:  # noqa: BLE001 - the assistant keeps serving
                log.exception("post-start check failed")

    site.on_startup.append(
        lambda s: threading.Thread(target=run, name="assistant-loader", daemon=True).start()
    )
    return site
