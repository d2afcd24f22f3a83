"""End-to-end UI tests in headless Debian Chromium (Playwright), plus unit tests of the HTML rendering."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.api import create_app
from assistant.render import emphasise, render_answer, render_user
from assistant.settings import Settings
from assistant.types import Answer, Citation
from tests.fake_assistant import FakeAssistant
from tests.webfixtures import (
    FOLLOW_UP,
    GDP_FIGURE,
    GDP_QUESTION,
    UNANSWERABLE,
    assistant_under_test,
    live_server,
)

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[1] / "test-output" / "screenshots"
XSS = "<img src=x onerror=alert(1)>"
BOT = '#qa-chat [data-testid="bot"]'
DONE = ".qa-meta, .qa-error"  # present only once an answer (or error) is final

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make browser)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


@pytest.fixture(scope="module")
def desktop_url() -> Iterator[str]:
    settings = Settings()
    with live_server(create_app(assistant_under_test(settings), settings)) as url:
        yield url


@pytest.fixture(scope="module")
def kiosk_url() -> Iterator[str]:
    settings = Settings(kiosk=True, kiosk_idle_seconds=3)
    with live_server(create_app(assistant_under_test(settings), settings)) as url:
        yield url


@pytest.fixture
def dialogs(browser) -> Iterator[list[str]]:
    seen: list[str] = []
    yield seen
    for context in browser.contexts:  # close this test's pages so the servers can stop promptly
        context.close()


def open_page(browser, url: str, dialogs: list[str], width: int = 1280, height: int = 900):
    """A fresh page (own session) on the app, with dialogs recorded and dismissed."""
    page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
    page.set_default_timeout(30_000)

    def on_dialog(d) -> None:
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.goto(url)
    expect(page.locator("#qa-input textarea")).to_be_visible()
    return page


def ask(page, question: str | None = None, starter=None):
    """Ask by typing (or by clicking a starter button); return the finished answer's locator."""
    n = page.locator(BOT).count()
    if starter is not None:
        starter.click()
    else:
        page.locator("#qa-input textarea").fill(question or "")
        page.locator("#qa-input textarea").press("Enter")
    expect(page.locator(BOT)).to_have_count(n + 1)
    bot = page.locator(BOT).nth(n)
    expect(bot.locator(DONE).first).to_be_attached(timeout=60_000)
    return bot


@pytest.mark.browser
def test_starter_question_gives_cited_answer(browser, desktop_url, dialogs) -> None:
    page = open_page(browser, desktop_url, dialogs)
    starters = page.locator("#qa-starters button.qa-starter")
    assert starters.count() >= 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "desktop-start.png"), full_page=True)
    bot = ask(page, starter=starters.first)
    expect(page.locator("#qa-starters")).to_be_hidden()
    card = bot.locator(".qa-card").first
    expect(card).to_be_visible()
    expect(card.locator(".qa-sec")).not_to_be_empty()
    passages = " ".join(bot.locator(".qa-passage").all_inner_texts())
    answer = re.sub(r"\[\d+\]", "", bot.locator(".qa-text").inner_text())
    numbers = re.findall(r"\d+(?:\.\d+)?%?", answer.replace(" ", ""))
    assert any(n in passages for n in numbers if not n.startswith("20")), (answer, passages)
    expect(card.locator(".qa-passage mark").first).to_be_visible()
    expect(card.locator(".qa-passage strong").first).to_be_visible()
    card.locator("summary", has_text="在原文中查看").click()
    expect(card.locator(".qa-ctxbody .qa-hit")).to_be_visible()
    page.screenshot(path=str(SHOTS / "desktop-answer.png"), full_page=True)
    assert dialogs == []


@pytest.mark.browser
def test_follow_up_shows_standalone_question(browser, desktop_url, dialogs) -> None:
    page = open_page(browser, desktop_url, dialogs)
    first = ask(page, GDP_QUESTION)
    expect(first.locator(".qa-text")).to_contain_text(GDP_FIGURE)
    expect(first.locator(".qa-passage strong", has_text=GDP_FIGURE.rstrip("%")).first).to_be_visible()
    bot = ask(page, FOLLOW_UP)
    standalone = bot.locator(".qa-standalone")
    expect(standalone).to_contain_text("理解为：")
    expect(standalone).to_contain_text("2024")
    expect(bot.locator(".qa-badge")).to_have_text(re.compile(r"\S"))
    page.screenshot(path=str(SHOTS / "desktop-follow-up.png"), full_page=True)


@pytest.mark.browser
def test_unanswerable_question_is_refused(browser, desktop_url, dialogs) -> None:
    page = open_page(browser, desktop_url, dialogs)
    bot = ask(page, UNANSWERABLE)
    expect(bot.locator(".qa-refusal")).to_be_visible()
    expect(bot.locator(".qa-card")).to_have_count(0)


@pytest.mark.browser
def test_html_in_question_is_shown_as_text_and_never_runs(browser, desktop_url, dialogs) -> None:
    page = open_page(browser, desktop_url, dialogs)
    ask(page, XSS)
    ask(page, "<script>alert(2)</script><svg onload=alert(3)>[x](javascript:alert(4))")
    expect(page.locator("#qa-chat").get_by_text(XSS, exact=True)).to_be_visible()
    expect(page.locator("#qa-chat").get_by_text("<script>alert(2)</script>", exact=False)).to_be_visible()
    assert page.locator("#qa-chat img, #qa-chat svg[onload], #qa-chat a[href^=javascript]").count() == 0
    page.wait_for_timeout(300)  # give any injected handler a chance to fire
    assert dialogs == []


@pytest.mark.browser
def test_too_long_question_shows_message(browser, desktop_url, dialogs) -> None:
    page = open_page(browser, desktop_url, dialogs)
    bot = ask(page, "经" * (Settings().max_question_chars + 1))
    expect(bot.locator(".qa-error")).to_contain_text(str(Settings().max_question_chars))


@pytest.mark.browser
def test_kiosk_idle_timeout_and_restart(browser, kiosk_url, dialogs) -> None:
    page = open_page(browser, kiosk_url, dialogs, width=1080, height=1350)
    expect(page.locator("footer")).to_have_count(0)  # no API / settings / "built with" links
    expect(page.get_by_text(re.compile("API|Gradio|设置|Settings"))).to_have_count(0)
    starter = page.locator("#qa-starters button.qa-starter").first
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "kiosk-start.png"), full_page=True)
    assert starter.bounding_box()["height"] >= 56
    assert float(starter.evaluate("e => getComputedStyle(e).fontSize").rstrip("px")) >= 22
    bot = ask(page, GDP_QUESTION)
    size = bot.locator(".qa-text").evaluate("e => getComputedStyle(e).fontSize")
    assert float(size.rstrip("px")) >= 22
    page.screenshot(path=str(SHOTS / "kiosk-answer.png"), full_page=True)
    # Idle timeout (3 s): the conversation is cleared without any interaction.
    expect(page.locator(BOT)).to_have_count(0, timeout=8_000)
    expect(page.locator("#qa-starters")).to_be_visible()
    # ...and the server-side history is gone: a follow-up is no longer read as one.
    bot = ask(page, FOLLOW_UP)
    expect(bot.locator(".qa-standalone")).to_have_count(0)
    # The 重新开始 button clears at once.
    page.get_by_role("button", name="重新开始").click()
    expect(page.locator(BOT)).to_have_count(0, timeout=2_000)
    expect(page.locator("#qa-starters")).to_be_visible()
    assert dialogs == []


@pytest.mark.browser
def test_full_queue_shows_polite_busy_message(browser, dialogs) -> None:
    settings = Settings(concurrency_limit=1, max_queue=1)
    with live_server(create_app(FakeAssistant(), settings)) as url:
        pages = [open_page(browser, url, dialogs) for _ in range(3)]
        for page in pages:
            page.locator("#qa-input textarea").fill("慢一点的问题")
            page.locator("#qa-input textarea").press("Enter")
            page.wait_for_timeout(150)
        expect(pages[2].get_by_text("当前咨询人数较多").first).to_be_visible(timeout=10_000)
        for page in pages:
            page.close()


@pytest.mark.browser
def test_streamed_model_answer_shows_model_badge_and_notice(browser, dialogs) -> None:
    settings = Settings()
    fake = FakeAssistant(mode="llm:qwen2.5-7b-instruct", delay=0.25)
    with live_server(create_app(fake, settings)) as url:
        page = open_page(browser, url, dialogs)
        expect(page.locator(".qa-head .qa-badge")).to_have_text("qwen2.5-7b-instruct")
        page.locator("#qa-input textarea").fill("GDP增长多少（备用）")
        page.get_by_role("button", name="提问").click()
        partial = page.locator(BOT).last.locator(".qa-answer")
        expect(partial).to_contain_text("2023")  # a streamed delta, before the final answer
        expect(partial.locator(".qa-meta")).to_have_count(0)
        bot = page.locator(BOT).last
        expect(bot.locator(".qa-meta .qa-badge")).to_have_text("qwen2.5-7b-instruct")
        expect(bot.locator(".qa-notice")).to_contain_text("摘录模式")
        expect(bot.locator(".qa-card")).to_have_count(1)
        page.close()


@pytest.mark.unit
def test_rendering_escapes_everything() -> None:
    cit = Citation(1, "c<1>", "二、<b>目标</b>", "增长<i>8.1%</i>，投资增长11%", (0, 13))
    answer = Answer("<script>x</script> 增长8.1%[1]", (cit,), question="q", standalone_question="q & <b>")
    out = render_answer(answer, {"c<1>": ("<前>", "增长8.1%", "<后>")})
    assert "<script>" not in out and "<b>" not in out and "<i>" not in out and "<前>" not in out
    assert "&lt;script&gt;" in out and "理解为：q &amp; &lt;b&gt;" in out
    assert '<sup class="qa-ref">[1]</sup>' in out
    assert "<mark>增长&lt;i&gt;<strong>8.1%</strong>&lt;/i&gt;</mark>" in out
    assert (
        render_user("<img src=x onerror=alert(1)>", 500)
        == '<div class="qa-user">&lt;img src=x onerror=alert(1)&gt;</div>'
    )


@pytest.mark.unit
def test_emphasise_marks_figures_not_years() -> None:
    assert (
        emphasise("2023年增长8.1%，达1281.4亿元")
        == "2023年增长<strong>8.1%</strong>，达<strong>1281.4亿元</strong>"
    )
    assert emphasise("it's") == "it&#x27;s"
