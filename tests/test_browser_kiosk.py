"""The page at the sizes it is used at (issue #13), in headless Debian Chromium against a real server.

Kiosk at 1024×768, 1280×1024 and 1080×1920 (portrait), desktop at 1280×900: the page never scrolls on
the kiosk, the whole first answer and its first citation card are on screen (on the kiosk the answer
pane pages with a large Chinese ▲/▼ control), every starter group is reachable, nothing moves when
the first answer comes, every control is touch-sized, and no English is shown or announced — also
in a browser set to English. The assistant is the bundled report with the fast hashing embedder
(layout, not retrieval, is under test). Screenshots go to test-output/screenshots/; the README's
pictures are copied from there (docs/kiosk-*.png from the 1024×768 and 1080×1920 runs).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.api import create_app
from assistant.pipeline import build_assistant
from assistant.render import EXTRACTIVE_LABEL
from assistant.settings import Settings
from tests.webfixtures import chromium, live_server

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[1] / "test-output" / "screenshots"
BOT = '#qa-chat [data-testid="bot"]'
DONE = ".qa-meta, .qa-error"
REPORT = "永川区2024年计划"
STARTER = "2023年地区生产总值增长了多少？"  # a starter of the bundled report (完成情况)
LONG_QUESTION = "2023年“老城有机更新”完成得怎么样？"  # a long table-row answer with two cards
KIOSK_SIZES = [(1024, 768), (1280, 1024), (1080, 1920)]
MIN_CONTROL = 48  # px, both sides, for anything a finger presses on the kiosk
CHAT_PANE = "#qa-chat .bubble-wrap"
STARTER_PANE = "#qa-starters-pane"

# Visible or announced English on the page: text of rendered elements outside the report's own
# words (passages, answers, the visitor's question), and accessible names/descriptions.
ENGLISH_JS = r"""() => {
  const latin = /[A-Za-z]{2,}/;
  const content = ".qa-passage, .qa-text, .qa-refusal, .qa-ctxbody, .qa-user, .qa-sec";
  const shown = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden"
    && !e.closest("[aria-hidden=true]");
  const out = [];
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = w.nextNode(); n; n = w.nextNode()) {
    const p = n.parentElement;
    if (!p || p.closest("script, style, svg, template") || p.closest(content) || !shown(p)) continue;
    if (latin.test(n.nodeValue)) out.push("text: " + n.nodeValue.trim().slice(0, 80));
  }
  for (const e of document.querySelectorAll("*")) {
    if (!shown(e)) continue;
    for (const a of ["aria-label", "title", "placeholder", "alt", "aria-description", "aria-roledescription"]) {
      let v = e.getAttribute(a);
      if (!v) continue;
      if (a === "aria-label" && e.matches("[data-testid=user], [data-testid=bot]")) v = v.split("：")[0];
      if (latin.test(v) || v.includes("<")) out.push(`${a} of ${e.tagName}: ${v.slice(0, 80)}`);
    }
  }
  if (latin.test(document.title)) out.push("title: " + document.title);
  return out;
}"""
# Controls a visitor can press, with their size (those hidden or scrolled out of their pane count too).
CONTROLS_JS = r"""() => [...document.querySelectorAll(
    "button, a[href], input:not([type=hidden]), textarea, select, summary, [role=button], [tabindex]:not([tabindex='-1'])")]
  .filter((e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden")
  .map((e) => { const r = e.getBoundingClientRect();
    return {what: e.tagName + " " + (e.getAttribute("aria-label") || e.textContent || "").trim().slice(0, 24),
            w: Math.round(r.width), h: Math.round(r.height)}; })"""
PAGE_JS = """() => ({scrollHeight: document.documentElement.scrollHeight, scrollWidth: document.documentElement.scrollWidth,
  innerHeight, innerWidth, scrollY})"""
BOX_JS = "(el) => { const r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return build_assistant(Settings(index_dir=tmp_path_factory.mktemp("kiosk-index"), embedder="fake"))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def kiosk_url(assistant) -> Iterator[str]:  # type: ignore[no-untyped-def]
    settings = Settings(kiosk=True)
    with live_server(create_app(assistant, settings)) as url:
        yield url


@pytest.fixture(scope="module")
def desktop_url(assistant) -> Iterator[str]:  # type: ignore[no-untyped-def]
    settings = Settings()
    with live_server(create_app(assistant, settings)) as url:
        yield url


@pytest.fixture
def open_page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    pages = []

    def open_(url: str, width: int, height: int, locale: str = "en-US"):  # type: ignore[no-untyped-def]
        page = browser.new_page(viewport={"width": width, "height": height}, locale=locale)
        page.set_default_timeout(30_000)
        pages.append(page)
        page.goto(url)
        expect(page.locator("#qa-input textarea")).to_be_visible(timeout=30_000)
        return page

    yield open_
    for page in pages:
        page.close()


def box(locator) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return locator.evaluate(BOX_JS)


def inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    """The inner box lies wholly within the outer one (to a pixel)."""
    return all(outer[a] - 1 <= inner[a] for a in ("top", "left")) and all(
        inner[a] <= outer[a] + 1 for a in ("bottom", "right")
    )


def viewport(page) -> dict[str, float]:  # type: ignore[no-untyped-def]
    size = page.viewport_size
    return {"top": 0, "bottom": size["height"], "left": 0, "right": size["width"]}


def expect_no_page_scroll(page) -> None:  # type: ignore[no-untyped-def]
    m = page.evaluate(PAGE_JS)
    assert m["scrollHeight"] <= m["innerHeight"] and m["scrollWidth"] <= m["innerWidth"], m
    assert m["scrollY"] == 0, m


def expect_shown(page, locator, pane: str) -> None:  # type: ignore[no-untyped-def]
    """The element is wholly inside the window and inside its pane's visible part."""
    el, area = box(locator), box(page.locator(pane))
    assert inside(el, viewport(page)) and inside(el, area), (el, area, viewport(page))


def reach(page, locator, pane: str, pager: str) -> int:  # type: ignore[no-untyped-def]
    """Press the pane's ▼ until the element is wholly in view; return the presses it took."""
    down = page.locator(f"{pager} button", has_text="下一页")
    for presses in range(12):
        if inside(box(locator), box(page.locator(pane))):
            return presses
        assert down.is_enabled(), f"{pane}: the end is reached and the element is still not in view"
        down.click()
    raise AssertionError(f"{pane}: not in view after 12 pages")


def expect_chinese_only(page) -> None:  # type: ignore[no-untyped-def]
    found = page.evaluate(ENGLISH_JS)
    assert found == [], found


def expect_touch_sized(page) -> None:  # type: ignore[no-untyped-def]
    small = [c for c in page.evaluate(CONTROLS_JS) if c["w"] < MIN_CONTROL or c["h"] < MIN_CONTROL]
    assert small == [], small


def expect_rows_labelled_in_plain_chinese(page) -> None:  # type: ignore[no-untyped-def]
    """Each chat row's accessible name is who speaks and the plain text said (no HTML, no [n])."""
    rows = page.locator("#qa-chat [data-testid=user], #qa-chat [data-testid=bot]")
    assert rows.count() >= 2
    for i in range(rows.count()):
        row = rows.nth(i)
        label = row.get_attribute("aria-label") or ""
        if row.get_attribute("data-testid") == "user":
            said = row.locator(".qa-user").inner_text()
            assert label == "您的问题：" + said, label
        else:
            said = re.sub(r"\[\d+\]", "", row.locator(".qa-text, .qa-refusal, .qa-error").first.inner_text())
            assert label == "回答：" + re.sub(r"\s+", " ", said).strip(), label
        assert "<" not in label and "message" not in label, label


def ask_starter(page, text: str):  # type: ignore[no-untyped-def]
    page.locator("#qa-starters button.qa-starter", has_text=text).click()
    bot = page.locator(BOT).last
    expect(bot.locator(DONE).first).to_be_attached(timeout=60_000)
    page.wait_for_timeout(300)  # the page script pages the answer in on the next frame
    return bot


def ask(page, question: str):  # type: ignore[no-untyped-def]
    n = page.locator(BOT).count()
    page.locator("#qa-input textarea").fill(question)
    page.locator("#qa-input textarea").press("Enter")
    expect(page.locator(BOT)).to_have_count(n + 1)
    bot = page.locator(BOT).nth(n)
    expect(bot.locator(DONE).first).to_be_attached(timeout=60_000)
    page.wait_for_timeout(300)
    return bot


@pytest.mark.parametrize("width,height", KIOSK_SIZES, ids=[f"{w}x{h}" for w, h in KIOSK_SIZES])
def test_kiosk_screen(kiosk_url, open_page, width: int, height: int) -> None:  # type: ignore[no-untyped-def]
    page = open_page(kiosk_url, width, height)
    size = f"{width}x{height}"
    # The start page: one screen, the report named, every starter question reachable.
    expect_no_page_scroll(page)
    head = page.locator(".qa-head .qa-reports")
    expect(head).to_have_text(f"当前报告：{REPORT}")
    assert inside(box(head), viewport(page))
    groups = page.locator("#qa-starters .qa-group")
    expect(groups).to_have_count(5)  # waits for the page to render them (count() does not)
    for button in page.locator("#qa-starters button.qa-starter").all():
        if button.is_visible():
            reach(page, button, STARTER_PANE, "#qa-starters-pager")
            expect_shown(page, button, STARTER_PANE)
    page.locator(STARTER_PANE).evaluate("(el) => { el.scrollTop = 0; }")
    expect_touch_sized(page)
    expect_chinese_only(page)
    page.screenshot(path=str(SHOTS / f"kiosk-{size}-start.png"))
    bar, top = box(page.locator("#qa-inputbar")), box(page.locator("#qa-head"))
    starters = box(page.locator("#qa-starters"))
    assert inside(bar, viewport(page)) and bar["bottom"] >= height - 24, (bar, height)  # at the bottom

    # The first answer: nothing moves, the answer and its first card are on screen as a whole.
    bot = ask_starter(page, STARTER)
    expect_no_page_scroll(page)
    assert box(page.locator("#qa-inputbar")) == bar and box(page.locator("#qa-head")) == top
    assert box(page.locator("#qa-chat-col")) == starters  # the conversation takes the starters' place
    expect(bot.locator(".qa-meta .qa-badge")).to_have_text(EXTRACTIVE_LABEL)
    expect_shown(page, bot.locator(".qa-text"), CHAT_PANE)
    expect_shown(page, bot.locator(".qa-card").first, CHAT_PANE)
    expect(page.locator("#qa-chat .scroll-down-button-container")).to_have_count(0)
    expect_touch_sized(page)
    expect_chinese_only(page)
    page.screenshot(path=str(SHOTS / f"kiosk-{size}-answer.png"))

    # A long answer: shown from its start; the ▼ control pages the pane to its first card.
    bot = ask(page, LONG_QUESTION)
    expect_no_page_scroll(page)
    start = box(bot)
    assert inside({**start, "bottom": start["top"] + 40}, box(page.locator(CHAT_PANE))), start
    page.screenshot(path=str(SHOTS / f"kiosk-{size}-long-answer.png"))
    card = bot.locator(".qa-card").first
    presses = reach(page, card, CHAT_PANE, "#qa-chat-pager")
    assert presses <= 2, presses
    expect_shown(page, card, CHAT_PANE)
    expect_no_page_scroll(page)
    assert box(page.locator("#qa-inputbar")) == bar
    expect_touch_sized(page)
    expect_chinese_only(page)
    expect_rows_labelled_in_plain_chinese(page)
    page.screenshot(path=str(SHOTS / f"kiosk-{size}-long-answer-paged.png"))


def test_kiosk_starters_that_do_not_fit_are_paged_to(kiosk_url, open_page) -> None:  # type: ignore[no-untyped-def]
    """A smaller screen (800×600, an old panel) than the starters need: they page, the page does not."""
    page = open_page(kiosk_url, 800, 600)
    pager = page.locator("#qa-starters-pager .qa-pager")
    expect(pager).to_have_class(re.compile("qa-pager-needed"))
    expect_no_page_scroll(page)
    buttons = page.locator("#qa-starters button.qa-starter")
    assert not inside(box(buttons.last), box(page.locator(STARTER_PANE)))  # the last one starts out of view
    assert reach(page, buttons.last, STARTER_PANE, "#qa-starters-pager") >= 1
    expect_shown(page, buttons.last, STARTER_PANE)
    expect_no_page_scroll(page)
    expect_touch_sized(page)
    page.screenshot(path=str(SHOTS / "kiosk-800x600-start-paged.png"))
    buttons.last.click()
    expect(page.locator(BOT).last.locator(DONE).first).to_be_attached(timeout=60_000)


def test_kiosk_pager_pages_and_stops_at_the_ends(kiosk_url, open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(kiosk_url, 1024, 768)
    pager = page.locator("#qa-chat-pager .qa-pager")
    up = pager.locator("button", has_text="上一页")
    down = pager.locator("button", has_text="下一页")
    ask(page, LONG_QUESTION)
    expect(pager).to_have_class(re.compile("qa-pager-needed"))
    expect(up).to_be_disabled()  # the answer starts at the top
    expect(down).to_be_enabled()
    pane = page.locator(CHAT_PANE)
    tops = [pane.evaluate("(el) => el.scrollTop")]
    while down.is_enabled() and len(tops) < 20:
        down.click()
        tops.append(pane.evaluate("(el) => el.scrollTop"))
    height = pane.evaluate("(el) => el.clientHeight")
    steps = [b - a for a, b in zip(tops, tops[1:], strict=False)]
    assert all(0 < s < height for s in steps), (steps, height)  # a page, keeping the last lines in view
    assert all(s > height / 2 for s in steps[:-1]), (steps, height)
    expect(down).to_be_disabled()
    expect(up).to_be_enabled()
    up.click()
    assert pane.evaluate("(el) => el.scrollTop") < tops[-1]


def test_desktop_screen(desktop_url, open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(desktop_url, 1280, 900)
    expect(page.locator(".qa-head .qa-reports")).to_have_text(f"当前报告：{REPORT}")
    expect(page.locator(".qa-head .qa-about")).to_have_text("回答均摘自报告原文，并注明出处。")
    expect_chinese_only(page)
    page.screenshot(path=str(SHOTS / "desktop-1280x900-start.png"))
    bot = ask_starter(page, STARTER)
    expect_no_page_scroll(page)  # the answer needs no page scrolling…
    for part in (bot.locator(".qa-text"), bot.locator(".qa-card").first):
        expect_shown(page, part, CHAT_PANE)  # …and is on screen with its first card
    expect(bot.locator(".qa-meta .qa-badge")).to_have_text(EXTRACTIVE_LABEL)
    page.screenshot(path=str(SHOTS / "desktop-1280x900-answer.png"))  # docs/desktop-answer.png
    ask(page, LONG_QUESTION)
    page.locator(CHAT_PANE).evaluate("(el) => el.scrollTo(0, 0)")  # Gradio's "Scroll down" button shows
    expect(page.locator("#qa-chat .scroll-down-button-container button")).to_have_attribute(
        "aria-label", "滚动到最新消息"
    )
    expect_chinese_only(page)
    expect_rows_labelled_in_plain_chinese(page)
    page.screenshot(path=str(SHOTS / "desktop-1280x900-long-answer.png"))


def test_the_chinese_page_in_a_chinese_browser_too(desktop_url, open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(desktop_url, 1280, 900, locale="zh-CN")
    ask(page, "2023年地区生产总值增长多少？")
    expect_chinese_only(page)
    assert page.evaluate("[document.documentElement.lang, navigator.language]") == ["zh-CN", "zh-CN"]
