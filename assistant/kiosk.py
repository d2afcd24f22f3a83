"""What a public kiosk serves: the chat page and what it loads, the JSON API, and nothing else.

Gradio serves more than the page needs (an upload route that stores files, the API schema, the app
config, monitoring). On a kiosk every path outside this list answers 404, so nothing a visitor (or
anyone on the hall network) can reach writes a file or describes the API.
"""

from __future__ import annotations

import json
import re
from typing import Any

NOT_FOUND = "未找到该页面。"
# The page and what it loads (the requests the page makes in Chromium), the queue it asks through
# (run/predict: the events outside the queue, e.g. 重新开始; cancel/reset: stopping an answer), and the
# JSON API's three routes (its docs and schema are off on a kiosk, assistant/api.py).
KIOSK_PATHS = re.compile(
    r"""/
    | /(assets|static|svelte)/.+
    | /(theme\.css|favicon\.ico|manifest\.json|robots\.txt)
    | /gradio_api/(queue/join|queue/data|heartbeat/[^/]+|run/predict|cancel|reset)
    | /api/(ask|health|reports)
    """,
    re.VERBOSE,
)


class KioskRoutes:
    """ASGI middleware: requests for paths outside KIOSK_PATHS get 404 {"error": ...}."""

    def __init__(self, app: Any, allowed: re.Pattern[str] = KIOSK_PATHS) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket") or self.allowed.fullmatch(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = json.dumps({"error": NOT_FOUND}, ensure_ascii=False).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 404, "headers": headers})
        await send({"type": "http.response.body", "body": body})
