"""The FastAPI app: JSON routes with per-client rate limiting, and the Gradio UI mounted at "/"."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections import deque
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
from fastapi import Depends, FastAPI, Request  # noqa: E402
from fastapi.concurrency import run_in_threadpool  # noqa: E402
from fastapi.encoders import jsonable_encoder  # noqa: E402
from fastapi.exceptions import RequestValidationError  # noqa: E402
from fastapi.responses import JSONResponse  # noqa: E402
from pydantic import BaseModel, ConfigDict, Field, StrictStr  # noqa: E402

from assistant.evalpage import mount_eval  # noqa: E402
from assistant.kiosk import KioskRoutes  # noqa: E402
from assistant.page import LOCALE_JS, PAGE_LANG  # noqa: E402
from assistant.records import answer_record  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.types import QuestionError  # noqa: E402
from assistant.web import build_ui, launch_options  # noqa: E402

log = logging.getLogger(__name__)

RATE_LIMITED = "请求过于频繁，请稍后再试。"
INTERNAL_ERROR = "服务暂时出现问题，请稍后再试。"
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


def create_app(assistant: Any, settings: Settings) -> FastAPI:
    """Build the app: /api/ask, /api/health, and the chat UI at /."""
    docs = not settings.kiosk
    app = FastAPI(
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

    def rate_limit(request: Request) -> None:
        """Dependency: refuse a client over its per-minute budget."""
        client = request.client.host if request.client else "unknown"
        wait = limiter.check(client)
        if wait:
            raise ApiError(429, RATE_LIMITED, {"Retry-After": str(int(wait) + 1)})

    # The eval workbench (desktop only) is served before the UI at "/"; visitors' questions are counted
    # so that eval runs make way for them.
    assistant = mount_eval(app, assistant, settings)

    # Answering is CPU-bound: a few at a time, first come first served, beats dozens of threads
    # contending for two cores (fairer tail latency under load).
    slots = asyncio.Semaphore(max(1, settings.concurrency_limit))

    @app.post("/api/ask", dependencies=[Depends(rate_limit)])
    async def ask(body: AskRequest) -> dict[str, Any]:
        """Answer a question (with optional [[question, answer], ...] history) from the report."""
        try:
            async with slots:
                if body.report:
                    answer = await run_in_threadpool(assistant.ask, body.question, body.pairs(), body.report)
                else:
                    answer = await run_in_threadpool(assistant.ask, body.question, body.pairs())
        except QuestionError as exc:
            raise ApiError(400, str(exc)) from None
        except Exception:
            log.exception("answering failed")
            raise ApiError(500, INTERNAL_ERROR) from None
        return answer_record(answer, retrieved=False)

    @app.get("/api/reports")
    def reports() -> dict[str, Any]:
        """The reports the assistant answers from: file, short name, title, place, genre, years."""
        return {"reports": assistant.report_records()}

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        """Index and mode status, plus whether this is a kiosk."""
        return {**assistant.health(), "kiosk": settings.kiosk}

    ui = build_ui(assistant, settings)
    app = gr.mount_gradio_app(
        app, ui, path="/", server_name=settings.host, server_port=settings.port, **launch_options(settings)
    )
    app.add_middleware(HtmlLangMiddleware)
    if settings.kiosk:  # outermost: no upload route, API schema or app config on a public terminal
        app.add_middleware(KioskRoutes)
    return app
