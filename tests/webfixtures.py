"""Shared helpers for the API and browser tests: a live uvicorn server and the assistant under test."""

from __future__ import annotations

import atexit
import functools
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from assistant.settings import Settings
from tests.fake_assistant import FakeAssistant

# ---------------------------------------------------------------------------------------------
# THE ONE-LINE SWITCH: "fake" = tests/fake_assistant.py (fast, no models);
# "real" = assistant.pipeline.build_assistant with the bundled e5 embedder, built once per test
# session into a temporary index directory.
ASSISTANT_KIND = "real"
# ---------------------------------------------------------------------------------------------

# Questions that both the fake and the real assistant answer the same way.
GDP_QUESTION = "2023年地区生产总值增长多少？"
GDP_FIGURE = "8.1%"
FOLLOW_UP = "那2024年的目标呢？"
UNANSWERABLE = "永川区区长是谁？"
TABLE_QUESTION = "2023年地区生产总值总量是多少亿元？"  # answered from a row of 表1
TABLE_FIGURE = "1281.4"


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (skips the test when it is not installed)."""
    import pytest
    from playwright import sync_api

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make browser)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def live_server(app: Any, timeout: float = 30.0) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 in a background thread; yield its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", timeout_graceful_shutdown=3
        )
    )
    thread = threading.Thread(target=server.run, daemon=True, name=f"uvicorn-{port}")
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"test server on port {port} did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@functools.cache
def real_assistant() -> Any:
    """Build the real assistant once per test session (index in a temporary directory)."""
    from assistant.pipeline import build_assistant

    index_dir = Path(tempfile.mkdtemp(prefix="web-test-index-"))
    atexit.register(shutil.rmtree, index_dir, ignore_errors=True)
    return build_assistant(Settings(index_dir=index_dir, embedder="e5"))


def assistant_under_test(settings: Settings | None = None) -> Any:
    """The assistant the API/browser tests run against (see ASSISTANT_KIND)."""
    settings = settings or Settings()
    if ASSISTANT_KIND == "real":
        return real_assistant()
    return FakeAssistant(max_question_chars=settings.max_question_chars)
