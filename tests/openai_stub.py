"""A scriptable OpenAI chat-completions server on loopback, for tests of the language-model mode."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Behaviour:
    """What the stub does with the next requests. Set fields on `stub.behaviour` in a test."""

    content: str | list[str] = "2023年地区生产总值增长8.1%[1]。"  # a list gives the streamed deltas
    status: int = 200
    error_body: str = '{"error": {"message": "internal error", "type": "server_error"}}'
    echo_key: bool = False  # put the key from the Authorization header into the error body
    garbage: bool = False  # 200 with a body (or SSE data) that is not JSON
    hang: float = 0.0  # stall this long before answering (ends early when the stub stops)
    delay: float = 0.0  # pause between streamed chunks (a trickling server)


@dataclass
class Recorded:
    """One request the stub received."""

    path: str
    headers: dict[str, str]  # names lower-cased
    body: dict[str, Any]


@dataclass
class OpenAIStub:
    """The server: `base_url` to point a client at, `behaviour` to script it, `requests` to inspect."""

    behaviour: Behaviour = field(default_factory=Behaviour)
    requests: list[Recorded] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.stub = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="openai-stub", daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> OpenAIStub:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """End any stalled handler, stop serving and close the socket."""
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def wait(self, seconds: float) -> None:
        """Sleep, but wake up when the stub is stopping."""
        self.stopping.wait(seconds)


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Keep test output quiet."""

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        stub: OpenAIStub = self.server.stub  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        stub.requests.append(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        b = stub.behaviour
        try:
            if b.hang:
                stub.wait(b.hang)
            if b.status != 200:
                text = b.error_body
                if b.echo_key:
                    key = str(self.headers.get("Authorization", "")).removeprefix("Bearer ")
                    text = json.dumps({"error": {"message": f"invalid api key {key}", "key": key}})
                self._send(b.status, "application/json", text.encode())
            elif body.get("stream"):
                self._stream(stub, body)
            elif b.garbage:
                self._send(200, "application/json", b"<html>not json {")
            else:
                content = b.content if isinstance(b.content, str) else "".join(b.content)
                self._send(200, "application/json", json.dumps(_completion(body, content)).encode())
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout): fine

    def _send(self, status: int, content_type: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, stub: OpenAIStub, body: dict[str, Any]) -> None:
        b = stub.behaviour
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        if b.garbage:
            self.wfile.write(b"data: {not json at all\n\n")
            self.wfile.flush()
            return
        deltas = [b.content] if isinstance(b.content, str) else b.content
        events = [_chunk(body, {"role": "assistant", "content": ""}, None)]
        events += [_chunk(body, {"content": d}, None) for d in deltas]
        events.append(_chunk(body, {}, "stop"))
        for event in events:
            if stub.stopping.is_set():
                return
            self.wfile.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()
            if b.delay:
                stub.wait(b.delay)
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def _completion(request: dict[str, Any], content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "stub"),
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def _chunk(request: dict[str, Any], delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": request.get("model", "stub"),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


@pytest.fixture(name="openai_stub")
def openai_stub_fixture() -> Iterator[OpenAIStub]:
    """A running stub server, stopped after the test (import this into a test module to use it)."""
    stub = OpenAIStub().start()
    try:
        yield stub
    finally:
        stub.stop()
