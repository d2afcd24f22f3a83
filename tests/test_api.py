"""The JSON API over real HTTP: answers, refusals, bad input, rate limiting, health, kiosk."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from assistant.api import RateLimiter, create_app
from assistant.page import LOCALE_JS
from assistant.settings import Settings
from tests.fake_assistant import FakeAssistant
from tests.webfixtures import (
    GDP_FIGURE,
    GDP_QUESTION,
    SYNTHETIC_REPORT,
    assistant_under_test,
    live_server,
)

pytestmark = pytest.mark.integration

# The served assistant answers from the synthetic report of tests/data (made-up place and figures);
# the FakeAssistant servers below answer GDP_QUESTION with their canned GDP_FIGURE.
QUESTION = "2028年地区生产总值增长多少？"
FIGURE = "6.8%"
FOLLOW_UP = "那2029年的目标呢？"
UNANSWERABLE = "澜川文化馆馆长是谁？"
REPORT_NAME = "澜川区2029年计划"


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings(api_rate_per_minute=1000)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[httpx.Client]:
    with live_server(create_app(assistant_under_test(settings, SYNTHETIC_REPORT), settings)) as url:
        with httpx.Client(base_url=url, timeout=60) as c:
            yield c


def ask(client: httpx.Client, question: object, history: object = None) -> httpx.Response:
    body: dict[str, object] = {"question": question}
    if history is not None:
        body["history"] = history
    return client.post("/api/ask", json=body)


def test_answer_has_cited_figure(client: httpx.Client) -> None:
    r = ask(client, QUESTION)
    assert r.status_code == 200, r.text
    data = r.json()
    assert set(data) >= {
        "question",
        "standalone_question",
        "answer",
        "refused",
        "mode",
        "notice",
        "citations",
        "suggestions",
    }
    assert data["refused"] is False
    assert FIGURE in data["answer"]
    assert data["citations"], data
    for c in data["citations"]:
        assert set(c) == {"n", "chunk_id", "section", "text", "quote", "report", "report_name"}
        assert c["quote"] and c["quote"] in c["text"]
    assert any(FIGURE.rstrip("%") in c["text"] for c in data["citations"])
    assert "[1]" in data["answer"]


def test_follow_up_uses_history(client: httpx.Client) -> None:
    first = ask(client, QUESTION).json()
    r = ask(client, FOLLOW_UP, [[QUESTION, first["answer"]]])
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["question"] == FOLLOW_UP
    assert data["standalone_question"] != FOLLOW_UP
    assert "2029" in data["standalone_question"]
    assert data["refused"] is False


def test_unanswerable_is_refused(client: httpx.Client) -> None:
    r = ask(client, UNANSWERABLE)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["refused"] is True
    assert data["answer"]
    assert isinstance(data["suggestions"], list)


@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question_is_400(client: httpx.Client, question: str) -> None:
    r = ask(client, question)
    assert r.status_code == 400
    assert r.json()["error"]


def test_too_long_question_is_400_with_message(client: httpx.Client, settings: Settings) -> None:
    r = ask(client, "经" * (settings.max_question_chars + 1))
    assert r.status_code == 400
    message = r.json()["error"]
    assert isinstance(message, str) and message
    assert str(settings.max_question_chars) in message


@pytest.mark.parametrize(
    "content,says",
    [
        (b"{not json", "JSON"),
        (b'{"question": 5}', "question"),
        (b'{"history": []}', "question"),
        (b'{"question": "x", "history": [["only one"]]}', "history"),
        (b'{"question": "x", "history": [[1, 2]]}', "history"),
        (b'{"question": "x", "history": "no"}', "history"),
        (b'["x"]', "JSON 对象"),
    ],
)
def test_malformed_body_is_422_with_error_and_detail(client: httpx.Client, content: bytes, says: str) -> None:
    r = client.post("/api/ask", content=content, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    data = r.json()
    assert set(data) == {"error", "detail"}
    assert data["error"].startswith("请求格式不正确：") and says in data["error"], data
    assert isinstance(data["detail"], list) and data["detail"]
    assert all({"type", "loc", "msg"} <= set(d) for d in data["detail"]), data


def test_health(client: httpx.Client) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200
    data = r.json()
    assert data["status"] == "ok"
    assert data["kiosk"] is False
    assert data["chunks"] > 0
    assert data["mode"] == "extractive" or data["mode"].startswith("llm:")
    assert len(data["corpus_sha256"]) == 64


def test_ui_is_mounted_at_root(client: httpx.Client) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]
    assert re.search(r"<html\s+lang=\"zh-CN\"", r.text), r.text[:200]
    assert int(r.headers["content-length"]) == len(r.content)
    assert "<head>" + LOCALE_JS in r.text  # Gradio's own labels in Chinese, whatever the browser's language
    assert client.get("/api/docs").status_code == 200
    assert client.get("/config").json().get("footer_links") == []  # no "Use via API · Built with Gradio"


def test_rate_limit_returns_429_after_n_requests() -> None:
    settings = Settings(api_rate_per_minute=3)
    with live_server(create_app(FakeAssistant(), settings)) as url, httpx.Client(base_url=url) as c:
        codes = [ask(c, GDP_QUESTION).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        r = ask(c, GDP_QUESTION)
        assert r.status_code == 429
        assert r.json() == {"error": "请求过于频繁，请稍后再试。"}
        assert int(r.headers["retry-after"]) >= 1
        assert c.get("/api/health").status_code == 200  # health is not rate limited


@pytest.mark.unit
def test_rate_limiter_window_slides() -> None:
    limiter = RateLimiter(2, window=60)
    assert limiter.check("a", now=0) == 0 and limiter.check("a", now=10) == 0
    assert limiter.check("a", now=20) == pytest.approx(40)
    assert limiter.check("b", now=20) == 0  # per client
    assert limiter.check("a", now=60.5) == 0  # the first hit has left the window


# Routes Gradio (or FastAPI) serves that a public kiosk must not: an upload that stores files, the API
# schema and docs, the app config and API description, monitoring, and the desktop-only eval page.
KIOSK_HIDDEN = [
    ("POST", "/gradio_api/upload"),
    ("GET", "/openapi.json"),
    ("GET", "/gradio_api/openapi.json"),
    ("GET", "/gradio_api/info"),
    ("GET", "/config"),
    ("GET", "/docs"),
    ("GET", "/api/docs"),
    ("GET", "/api/openapi.json"),
    ("GET", "/monitoring"),
    ("GET", "/gradio_api/file=/etc/hostname"),
    ("GET", "/eval"),
    ("GET", "/api/eval/runs"),
]


def request(c: httpx.Client, method: str, path: str) -> httpx.Response:
    if method == "POST":  # an upload as the Gradio client sends it
        return c.post(path, files={"files": ("note.txt", b"visitor data", "text/plain")})
    return c.get(path)


def test_kiosk_keeps_json_api_and_page_but_serves_no_upload_or_schema() -> None:
    settings = Settings(kiosk=True)
    with live_server(create_app(FakeAssistant(), settings)) as url, httpx.Client(base_url=url) as c:
        assert c.get("/api/health").json()["kiosk"] is True
        r = ask(c, GDP_QUESTION)
        assert r.status_code == 200 and GDP_FIGURE in r.json()["answer"]
        page = c.get("/")
        assert page.status_code == 200 and "gradio_config" in page.text
        assert '"footer_links":[]' in page.text.replace(" ", "")
        for method, path in KIOSK_HIDDEN:
            r = request(c, method, path)
            assert r.status_code == 404, (method, path, r.status_code, r.text[:200])
            assert r.json() == {"error": "未找到该页面。"}, (path, r.text[:200])


def test_the_desktop_serves_what_the_kiosk_hides() -> None:
    """The kiosk test above fails if the guard goes: these routes exist on a desktop server."""
    settings = Settings()
    with live_server(create_app(FakeAssistant(), settings)) as url, httpx.Client(base_url=url) as c:
        exist = ("/gradio_api/upload", "/openapi.json", "/gradio_api/info", "/config", "/api/openapi.json")
        served = {p: request(c, m, p).status_code for m, p in KIOSK_HIDDEN if p in exist}
        assert len(served) == len(exist)
        assert set(served.values()) == {200}, served


def test_reports_lists_the_report_with_its_place_and_years(client: httpx.Client) -> None:
    r = client.get("/api/reports")
    assert r.status_code == 200
    (report,) = r.json()["reports"]
    assert (report["place"], report["review_year"], report["plan_year"]) == ("澜川区", 2028, 2029)
    assert report["short_name"] == REPORT_NAME and report["chunks"] > 10


def test_ask_narrowed_to_a_report_and_an_unknown_report_is_a_clear_400(client: httpx.Client) -> None:
    r = client.post("/api/ask", json={"question": QUESTION, "report": REPORT_NAME})
    assert r.status_code == 200 and FIGURE in r.json()["answer"]
    assert {c["report"] for c in r.json()["citations"]} == {SYNTHETIC_REPORT.name}
    r = client.post("/api/ask", json={"question": QUESTION, "report": "上海市2026年政府工作报告"})
    assert r.status_code == 400 and "现有报告" in r.json()["error"]


def test_history_as_role_content_messages_is_a_follow_up(client: httpx.Client) -> None:
    history = [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": f"增长{FIGURE}[1]。"},
    ]
    r = client.post("/api/ask", json={"question": FOLLOW_UP, "history": history})
    assert r.status_code == 200, r.text
    pairs = client.post(
        "/api/ask", json={"question": FOLLOW_UP, "history": [[QUESTION, f"增长{FIGURE}[1]。"]]}
    )
    assert r.json()["standalone_question"] == pairs.json()["standalone_question"] != FOLLOW_UP
