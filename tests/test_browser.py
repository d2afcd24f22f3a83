"""End-to-end UI tests in headless Debian Chromium (Playwright), plus unit tests of the HTML rendering."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.api import create_app
from assistant.render import (
    EXTRACTIVE_LABEL,
    MODEL_ABOUT,
    MODEL_LABEL,
    about_line,
    collapse_cells,
    emphasise,
    mode_label,
    render_answer,
    render_card,
    render_user,
    section_question,
)
from assistant.settings import Settings
from assistant.types import Answer, Citation
from tests.fake_assistant import REFUSAL, FakeAssistant
from tests.webfixtures import (
    FOLLOW_UP,
    GDP_FIGURE,
    GDP_QUESTION,
    TABLE_FIGURE,
    TABLE_QUESTION,
    UNANSWERABLE,
    assistant_under_test,
    chromium,
    live_server,
)

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[1] / "test-output" / "screenshots"
XSS = "<img src=x onerror=alert(1)>"
BOT = '#qa-chat [data-testid="bot"]'
DONE = ".qa-meta, .qa-error"  # present only once an answer (or error) is final
LONG_ANSWER_QUESTION = "2023年“老城有机更新”完成得怎么样？"  # the real assistant quotes a long table row
# Where a message row starts relative to the chat's scrolling box (and the window).
GEOMETRY_JS = """(el) => {
  const row = el.closest(".message-row") || el;
  let sc = row.parentElement;
  while (sc && !(["auto", "scroll"].includes(getComputedStyle(sc).overflowY) && sc.scrollHeight > sc.clientHeight))
    sc = sc.parentElement;
  const r = row.getBoundingClientRect(), box = sc ? sc.getBoundingClientRect() : {top: 0, bottom: innerHeight};
  return {top: r.top, boxTop: box.top, boxBottom: box.bottom, innerHeight};
}"""

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as b:
        yield b


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


@pytest.fixture(scope="module")
def kiosk_layout_url() -> Iterator[str]:
    """A kiosk with the default idle timeout (nothing is cleared while the layout is checked)."""
    settings = Settings(kiosk=True)
    with live_server(create_app(assistant_under_test(settings), settings)) as url:
        yield url


@pytest.fixture
def dialogs(browser) -> Iterator[list[str]]:
    seen: list[str] = []
    yield seen
    for context in browser.contexts:  # close this test's pages so the servers can stop promptly
        context.close()


def open_page(
    browser, url: str, dialogs: list[str], width: int = 1280, height: int = 900, locale: str = "zh-CN"
):
    """A fresh page (own session) on the app, with dialogs recorded and dismissed."""
    page = browser.new_page(viewport={"width": width, "height": height}, locale=locale)
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


def expect_start_in_view(bot) -> None:
    """The answer is shown from its start: its first line is on screen and its top is not cut off."""
    expect(bot.locator(DONE).first).to_be_in_viewport()
    geo = bot.evaluate(GEOMETRY_JS)
    assert geo["boxTop"] - 2 <= geo["top"] < geo["boxBottom"], geo
    assert 0 <= geo["top"] < geo["innerHeight"], geo


def expect_on_screen(page, locator) -> None:
    """The element is entirely inside the window (not below the fold)."""
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= height, (box, height)


@pytest.mark.browser
def test_starter_question_gives_cited_answer(browser, desktop_url, dialogs) -> None:
    page = open_page(browser, desktop_url, dialogs)
    starters = page.locator("#qa-starters button.qa-starter")
    expect(starters.first).to_be_visible()  # count() does not wait for the page to render them
    assert starters.count() >= 1
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
    expect_start_in_view(bot)
    expect(card.locator(".qa-ctxbody")).to_be_hidden()  # the context starts collapsed
    page.screenshot(path=str(SHOTS / "desktop-answer.png"))
    page.set_viewport_size({"width": 1280, "height": 480})  # a short window: the context opens below the fold
    summary = card.locator("summary", has_text="在原文中查看")
    summary.evaluate("el => el.scrollIntoView({block: 'end'})")
    summary.click()
    expect(card.locator(".qa-ctxbody .qa-hit")).to_be_attached()
    body = card.locator(".qa-ctxbody .qa-hit")
    page.wait_for_function(  # what it opened is scrolled into the window, not left below the fold
        "el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }",
        arg=body.element_handle(),
        timeout=5000,
    )
    page.screenshot(path=str(SHOTS / "desktop-context.png"), full_page=True)
    assert dialogs == []


@pytest.mark.browser
def test_follow_up_shows_standalone_question(browser, desktop_url, dialogs) -> None:
    page = open_page(browser, desktop_url, dialogs)
    first = ask(page, GDP_QUESTION)
    expect(first.locator(".qa-text")).to_contain_text(GDP_FIGURE)
    expect(first.locator(".qa-passage strong", has_text=GDP_FIGURE.rstrip("%")).first).to_be_visible()
    # In context only the quoted part is highlighted, not the whole passage around it.
    card = first.locator(".qa-card").first
    card.locator("summary", has_text="在原文中查看").click()
    hit = card.locator(".qa-ctxbody mark.qa-hit")
    expect(hit).to_have_count(1)
    expect(hit).to_contain_text(GDP_FIGURE)
    passage = card.locator(".qa-ctxbody .qa-ctxpassage").inner_text()
    assert len(hit.inner_text()) < len(passage), (hit.inner_text(), passage)
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
    for label in bot.locator(".qa-suggest button.qa-ask").all_inner_texts():  # suggestions, if any
        assert re.fullmatch(r"“.+”部分讲了什么？", label), label


@pytest.mark.browser
def test_refusal_suggestions_ask_about_the_section(browser, dialogs) -> None:
    with live_server(create_app(FakeAssistant(), Settings())) as url:
        page = open_page(browser, url, dialogs)
        bot = ask(page, "永川区区长是谁？")
        expect(bot.locator(".qa-refusal")).to_have_text(REFUSAL)
        suggestion = bot.locator(".qa-suggest button.qa-ask")
        expect(suggestion).to_have_count(1)
        expect(suggestion).to_have_text("“2024年经济社会发展的主要目标”部分讲了什么？")
        n = page.locator(BOT).count()
        suggestion.click()
        expect(page.locator(BOT)).to_have_count(n + 1)
        expect(page.locator('#qa-chat [data-testid="user"]').last).to_have_text(
            "“2024年经济社会发展的主要目标”部分讲了什么？"
        )
        expect(page.locator(BOT).last.locator(DONE).first).to_be_attached()
        expect(page.locator("#qa-input textarea")).to_have_value("")
        assert dialogs == []
        page.close()


@pytest.mark.browser
def test_table_row_context_is_one_line_per_row(browser, desktop_url, dialogs) -> None:
    page = open_page(browser, desktop_url, dialogs)
    bot = ask(page, TABLE_QUESTION)
    expect(bot.locator(".qa-text")).to_contain_text(TABLE_FIGURE)
    card = bot.locator(".qa-card", has_text=TABLE_FIGURE).first
    card.locator("summary", has_text="在原文中查看").click()
    body = card.locator(".qa-ctxbody")
    expect(body).to_be_visible()
    text = body.inner_text()
    assert "序号 ｜ 主要指标 ｜ 预期目标 ｜ 完成情况" in text, text
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    row = next(line for line in lines if TABLE_FIGURE in line)
    assert row.count("｜") >= 3 and "地区生产总值" in row, lines
    assert "序号" not in lines and "主要指标" not in lines, lines  # no more one cell per line
    expect(card.locator(".qa-ctxbody mark.qa-hit")).to_contain_text(TABLE_FIGURE)
    page.screenshot(path=str(SHOTS / "desktop-table-context.png"), full_page=True)


@pytest.mark.browser
def test_new_answer_comes_into_view_from_its_start(browser, desktop_url, dialogs) -> None:
    page = open_page(browser, desktop_url, dialogs)
    first = ask(page, GDP_QUESTION)
    expect_start_in_view(first)
    second = ask(page, TABLE_QUESTION)
    expect_start_in_view(second)
    # The visitor scrolls back up to read the first answer's source in context...
    first.locator("summary", has_text="在原文中查看").first.click()
    expect(first.locator(".qa-ctxbody").first).to_be_visible()
    page.locator(BOT).first.evaluate("(el) => el.scrollIntoView({block: 'start'})")
    expect(second.locator(".qa-meta")).not_to_be_in_viewport()
    # ...and the next (long) answer still comes into view, from its start rather than its end.
    third = ask(page, LONG_ANSWER_QUESTION)
    expect_start_in_view(third)
    page.screenshot(path=str(SHOTS / "desktop-scrolled.png"))


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
    question = "经" * (Settings().max_question_chars + 1)
    bot = ask(page, question)
    expect(bot.locator(".qa-error")).to_contain_text(str(Settings().max_question_chars))
    expect(page.locator("#qa-input textarea")).to_have_value(question)  # kept, to be shortened


@pytest.mark.browser
def test_empty_question_asks_for_one(browser, desktop_url, dialogs) -> None:
    page = open_page(browser, desktop_url, dialogs)
    page.locator("#qa-input textarea").fill("   ")
    page.get_by_role("button", name="提问").click()
    expect(page.locator("#qa-hint")).to_have_text("请输入一个问题。")
    expect(page.locator(BOT)).to_have_count(0)
    expect(page.locator("#qa-starters")).to_be_visible()
    ask(page, GDP_QUESTION)
    expect(page.locator("#qa-hint")).to_be_hidden()


@pytest.mark.browser
def test_no_gradio_leftovers_in_an_english_browser(browser, desktop_url, dialogs) -> None:
    page = open_page(browser, desktop_url, dialogs, locale="en-US")
    expect(page.locator("footer")).to_have_count(0)
    expect(page.get_by_text(re.compile("Use via API|Built with Gradio|Settings"))).to_have_count(0)
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    expect(page.get_by_role("textbox", name="输入您的问题")).to_be_visible()


@pytest.mark.browser
def test_kiosk_idle_timeout_and_restart(browser, kiosk_url, dialogs) -> None:
    page = open_page(browser, kiosk_url, dialogs, width=1080, height=1350)
    expect(page.locator("footer")).to_have_count(0)  # no API / settings / "built with" links
    expect(page.get_by_text(re.compile("API|Gradio|设置|Settings"))).to_have_count(0)
    starter = page.locator("#qa-starters button.qa-starter").first
    page.screenshot(path=str(SHOTS / "kiosk-portrait-start.png"), full_page=True)
    assert starter.bounding_box()["height"] >= 56
    assert float(starter.evaluate("e => getComputedStyle(e).fontSize").rstrip("px")) >= 22
    bot = ask(page, GDP_QUESTION)
    size = bot.locator(".qa-text").evaluate("e => getComputedStyle(e).fontSize")
    assert float(size.rstrip("px")) >= 22
    page.screenshot(path=str(SHOTS / "kiosk-portrait-answer.png"), full_page=True)
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
@pytest.mark.parametrize("width,height", [(1024, 768), (1920, 1080)])
def test_kiosk_keeps_the_input_on_screen(browser, kiosk_layout_url, dialogs, width: int, height: int) -> None:
    page = open_page(browser, kiosk_layout_url, dialogs, width=width, height=height)
    controls = [page.locator("#qa-input textarea"), page.locator("#qa-send"), page.locator("#qa-reset")]
    expect(page.locator("#qa-starters button.qa-starter").first).to_be_visible()
    for control in controls:
        expect_on_screen(page, control)
    size = f"{width}x{height}"
    page.screenshot(path=str(SHOTS / f"kiosk-start-{size}.png"))
    bot = ask(page, GDP_QUESTION)
    expect_start_in_view(bot)
    for control in controls:
        expect_on_screen(page, control)
    summary = bot.locator("summary", has_text="在原文中查看").first
    assert summary.bounding_box()["height"] >= 48  # touch-sized
    page.screenshot(path=str(SHOTS / f"kiosk-answer-{size}.png"))
    # A long answer is shown from its start, not scrolled to its end (its last citation card).
    bot = ask(page, LONG_ANSWER_QUESTION)
    expect_start_in_view(bot)
    for control in controls:
        expect_on_screen(page, control)
    page.screenshot(path=str(SHOTS / f"kiosk-long-answer-{size}.png"))
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
def test_streamed_model_answer_says_so_in_plain_words_with_its_notice(browser, dialogs) -> None:
    settings = Settings()
    fake = FakeAssistant(mode="llm:qwen2.5-7b-instruct", delay=0.25)
    with live_server(create_app(fake, settings)) as url:
        page = open_page(browser, url, dialogs)
        expect(page.locator(".qa-head .qa-about")).to_have_text(MODEL_ABOUT)  # plain words, no model name
        page.locator("#qa-input textarea").fill("GDP增长多少（备用）")
        page.get_by_role("button", name="提问").click()
        partial = page.locator(BOT).last.locator(".qa-answer")
        expect(partial).to_contain_text("2023")  # a streamed delta, before the final answer
        expect(partial.locator(".qa-meta")).to_have_count(0)
        bot = page.locator(BOT).last
        expect(bot.locator(".qa-meta .qa-badge")).to_have_text(MODEL_LABEL)
        expect(bot.locator(".qa-notice")).to_contain_text("原文摘录")
        expect(bot.locator(".qa-card")).to_have_count(1)
        page.close()


@pytest.mark.unit
def test_rendering_escapes_everything() -> None:
    cit = Citation(1, "c<1>", "二、<b>目标</b>", "增长<i>6.8%</i>，投资增长11%", (0, 13))
    answer = Answer("<script>x</script> 增长6.8%[1]", (cit,), question="q", standalone_question="q & <b>")
    out = render_answer(answer, {"c<1>": ("<前>", "增长6.8%", "<后>")})
    assert "<script>" not in out and "<b>" not in out and "<i>" not in out and "<前>" not in out
    assert "&lt;script&gt;" in out and "理解为：q &amp; &lt;b&gt;" in out
    assert '<sup class="qa-ref">[1]</sup>' in out
    assert "<mark>增长&lt;i&gt;<strong>6.8%</strong>&lt;/i&gt;</mark>" in out
    assert (
        render_user("<img src=x onerror=alert(1)>", 500)
        == '<div class="qa-user">&lt;img src=x onerror=alert(1)&gt;</div>'
    )


@pytest.mark.unit
@pytest.mark.parametrize("mode", ["", "extractive", "extractive-fallback", "llm:qwen2.5-7b-instruct"])
def test_how_an_answer_was_made_is_said_in_plain_chinese(mode: str) -> None:
    label, about = mode_label(mode), about_line(mode)
    assert label == (MODEL_LABEL if mode.startswith("llm:") else EXTRACTIVE_LABEL)
    assert not re.search(r"[A-Za-z]", label + about) and "模式" not in label + about, (label, about)
    answer = Answer("增长6.8%[1]。", (Citation(1, "c1", "一、执行情况", "增长6.8%", (0, 6)),), mode=mode)
    assert f'<span class="qa-badge">{label}</span>' in render_answer(answer, {})
    refused = Answer("抱歉，这份报告没有涉及这个问题。", (), refused=True, mode=mode)
    assert "qa-badge" not in render_answer(refused, {})  # a refusal quotes nothing from the report


@pytest.mark.unit
def test_emphasise_marks_figures_not_years() -> None:
    assert (
        emphasise("2028年增长6.8%，达742.6亿元")
        == "2028年增长<strong>6.8%</strong>，达<strong>742.6亿元</strong>"
    )
    assert emphasise("it's") == "it&#x27;s"


@pytest.mark.unit
def test_emphasise_leaves_labels_and_list_numbers_plain() -> None:
    assert emphasise("表1  2028年主要指标完成情况表") == "表1  2028年主要指标完成情况表"
    assert emphasise("表2：民生实事") == "表2：民生实事"
    assert emphasise("专栏11 重点项目，第3季度") == "专栏11 重点项目，第3季度"
    assert emphasise("1.覆盖率达到90%；\n2.培训50名；3、完成") == (
        "1.覆盖率达到<strong>90%</strong>；<br>2.培训<strong>50</strong>名；3、完成"
    )
    assert emphasise("完成情况：1.建成37个") == "完成情况：1.建成<strong>37</strong>个"
    assert emphasise("1 ｜ 地区生产总值 ｜ 742.6") == "1 ｜ 地区生产总值 ｜ <strong>742.6</strong>"
    # ...but figures that merely follow those characters are still figures
    assert (
        emphasise("更换水表5000只，代表30名") == "更换水表<strong>5000</strong>只，代表<strong>30</strong>名"
    )
    assert emphasise("增长6.8%。") == "增长<strong>6.8%</strong>。"


@pytest.mark.unit
def test_collapse_cells_puts_each_table_row_on_one_line() -> None:
    raw = (
        "全年增长6.8%。\n\n表1  2028年主要指标完成情况表\n\n"
        "\t序号\n\t主要指标\n\t预期目标\n\t完成情况\n\n"
        "\t\n\t\n\t\n\t总量\n\t增速（%）\n\n"
        "\t1\n\t地区生产总值（亿元）\n\t6.5%以上\n\t742.6\n\t6.8\n\n"
        "\t2\n\t城镇老旧小区改造\n\t老旧小区改造：已完工。\n\n加装电梯：已完成。\n\n"
        "\t3\n\t“菜篮子”工程\n\n\n（一）着力推进区域协作\n\n正文。"
    )
    assert collapse_cells(raw).splitlines() == [
        "全年增长6.8%。",
        "",
        "表1  2028年主要指标完成情况表",
        "",
        "序号 ｜ 主要指标 ｜ 预期目标 ｜ 完成情况",
        "总量 ｜ 增速（%）",
        "1 ｜ 地区生产总值（亿元） ｜ 6.5%以上 ｜ 742.6 ｜ 6.8",
        "2 ｜ 城镇老旧小区改造 ｜ 老旧小区改造：已完工。 加装电梯：已完成。",
        "3 ｜ “菜篮子”工程",
        "",
        "（一）着力推进区域协作",
        "",
        "正文。",
    ]
    assert collapse_cells("没有表格的文字。\n\n第二段。") == "没有表格的文字。\n\n第二段。"
    assert collapse_cells("") == ""


@pytest.mark.unit
def test_context_highlights_only_the_quote_and_collapses_tables() -> None:
    text = "全年经济稳步回升。全年地区生产总值增长6.8%；规上工业增加值增长9.6%。"
    quote = "全年地区生产总值增长6.8%；"
    start = text.index(quote)
    cit = Citation(1, "c1", "一、执行情况", text, (start, start + len(quote)))
    out = render_card(cit, ("前文。", text, "\n\n表1  指标\n\n\t序号\n\t主要指标\n\n\t1\n\t地区生产总值"))
    ctx = out[out.index('<div class="qa-ctxbody">') :]
    assert '<mark class="qa-hit">全年地区生产总值增长<strong>6.8%</strong>；</mark>' in ctx
    assert '<span class="qa-ctxpassage">全年经济稳步回升。<mark' in ctx
    assert "序号 ｜ 主要指标<br>1 ｜ 地区生产总值" in ctx
    # a table row is quoted as its rebuilt record: the whole row (one line) is the highlight
    record = "表1｜主要指标：地区生产总值（亿元）｜完成情况-总量：742.6"
    row = Citation(1, "c2", "表1", record, (0, len(record)))
    out = render_card(row, ("\t序号\n\t主要指标\n\n", "\t1\n\t地区生产总值（亿元）\n\t742.6", ""))
    assert (
        '<span class="qa-ctxpassage"><mark class="qa-hit">1 ｜ 地区生产总值（亿元） ｜ <strong>742.6</strong></mark>'
        in out
    )


@pytest.mark.unit
def test_refusal_suggestions_are_question_buttons() -> None:
    assert section_question("一、执行情况 > （二）着力壮大实体经济 > 文旅消费加快复苏") == (
        "“文旅消费加快复苏”部分讲了什么？"
    )
    assert (
        section_question("二、2029年经济社会发展的主要目标") == "“2029年经济社会发展的主要目标”部分讲了什么？"
    )
    assert section_question("引言") == "“引言”部分讲了什么？"
    answer = Answer(
        "抱歉。", refused=True, suggestions=("一、甲 > 消费<b>", "二、乙 > 消费<b>", "引言"), question="q"
    )
    out = render_answer(answer, {})
    buttons = re.findall(r'<button type="button" class="qa-ask"[^>]*>(.*?)</button>', out)
    assert buttons == ["“消费&lt;b&gt;”部分讲了什么？", "“引言”部分讲了什么？"]  # escaped, no duplicates
