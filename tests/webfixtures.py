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
from dataclasses import replace
from pathlib import Path
from typing import Any

import uvicorn

from assistant.settings import Settings
from tests.fake_assistant import FakeAssistant

# ---------------------------------------------------------------------------------------------
# THE ONE-LINE SWITCH: "fake" = tests/fake_assistant.py (fast, no models);
# "real" = assistant.pipeline.build_assistant with the bundled e5 embedder, built once per test
# session (and per report) into a temporary index directory.
ASSISTANT_KIND = "real"
# ---------------------------------------------------------------------------------------------

# The browser tests run on the bundled report (their screenshots are the README's pictures). These are
# questions that both the fake and the real assistant answer the same way; what the bundled report
# says is measured by evals/, so new tests of behaviour use the synthetic report below instead.
GDP_QUESTION = "2023年地区生产总值增长多少？"
GDP_FIGURE = "8.1%"
FOLLOW_UP = "那2024年呢？"
UNANSWERABLE = "永川区区长是谁？"
TABLE_QUESTION = "2023年地区生产总值总量是多少亿元？"  # answered from a row of 表1
TABLE_FIGURE = "1281.4"


# The synthetic report of tests/data (made-up place and figures), for the API tests.
SYNTHETIC_REPORT = Path(__file__).parent / "data" / "lanchuan-2028-execution-2029-plan.txt"

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
def real_assistant(corpus: Path | None = None) -> Any:
    """Build the real assistant over `corpus` (default: the bundled report) once per test session."""
    from assistant.pipeline import build_assistant

    index_dir = Path(tempfile.mkdtemp(prefix="web-test-index-"))
    atexit.register(shutil.rmtree, index_dir, ignore_errors=True)
    settings = Settings(index_dir=index_dir, embedder="e5")
    return build_assistant(replace(settings, corpus=corpus) if corpus else settings)


def assistant_under_test(settings: Settings | None = None, corpus: Path | None = None) -> Any:
    """The assistant the API/browser tests run against (see ASSISTANT_KIND)."""
    settings = settings or Settings()
    if ASSISTANT_KIND == "real":
        return real_assistant(corpus)
    return FakeAssistant(max_question_chars=settings.max_question_chars)
