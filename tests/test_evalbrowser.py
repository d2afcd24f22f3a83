"""The eval workbench in headless Chromium: upload and run, summary and chart, failures and their detail,
the HTML export, comparing runs made with different settings, bad files, stopping a run."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.api import create_app
from assistant.settings import Settings
from tests.evalfixtures import ALWAYS_FAILS, HOSTILE, XSS, fake_pipeline, small_eval, wait_done, write_jsonl
from tests.fake_assistant import FakeAssistant
from tests.webfixtures import chromium, live_server

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[1] / "test-output" / "screenshots"
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as b:
        yield b


@pytest.fixture
def dialogs(browser) -> Iterator[list[str]]:
    seen: list[str] = []
    yield seen
    for context in browser.contexts:
        context.close()


def open_workbench(browser, url: str, dialogs: list[str]):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    page.set_default_timeout(30_000)

    def on_dialog(d) -> None:  # type: ignore[no-untyped-def]
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.goto(f"{url}/eval")
    expect(page.locator("#ev-source option").first).to_be_attached()
    return page


def until(page, predicate: str, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Poll a JS predicate (page.wait_for_function evaluates strings, which the page's CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, f"timed out waiting for {predicate}"
        time.sleep(0.05)


def run_upload(page, path: Path, label: str) -> None:  # type: ignore[no-untyped-def]
    page.locator("#ev-file").set_input_files(str(path))
    expect(page.locator("#ev-file-name")).to_contain_text(path.name)
    page.locator("#ev-label").fill(label)
    page.get_by_role("button", name="开始评测").click()
    expect(page.locator("#ev-result-h")).to_contain_text(label, timeout=60_000)


def outcome_counts(page) -> dict[str, int]:  # type: ignore[no-untyped-def]
    rows = page.locator("#ev-outcomes tbody tr")
    return {
        rows.nth(i).get_attribute("data-outcome"): int(rows.nth(i).locator("td").nth(1).inner_text())
        for i in range(rows.count())
    }


def test_upload_run_filter_detail_and_export(browser, dialogs, tmp_path: Path) -> None:
    rows = small_eval()
    eval_file = write_jsonl(tmp_path / "小评测.jsonl", rows)
    settings = Settings(eval_store=str(tmp_path / "runs.sqlite"))
    with live_server(create_app(fake_pipeline(), settings)) as url:
        page = open_workbench(browser, url, dialogs)
        expect(page.locator("#ev-runs-empty")).to_be_visible()
        run_upload(page, eval_file, "基线")
        expect(page.locator("#ev-progress-text")).to_contain_text(f"已完成 {len(rows)} / {len(rows)} 题")
        # Summary and chart.
        expect(page.locator("#ev-summary .ev-card")).to_have_count(15)
        accuracy = page.locator('#ev-summary [data-metric="answer_accuracy"] b').inner_text()
        assert re.fullmatch(r"\d+\.\d%", accuracy), accuracy
        expect(page.locator("#ev-categories tbody tr")).to_have_count(len({r["category"] for r in rows}))
        chart = page.locator("#ev-chart")
        expect(chart).to_be_visible()
        until(page, "() => document.querySelector('#ev-chart').naturalWidth > 0")
        counts = outcome_counts(page)
        failures = sum(n for o, n in counts.items() if o != "passed")
        assert sum(counts.values()) == len(rows) and failures >= 1, counts
        page.screenshot(path=str(SHOTS / "eval-workbench.png"), full_page=False)  # docs/eval-workbench.png
        # Filter to failures: exactly the failed items, none tagged as passed.
        page.locator("#ev-filter-outcome").get_by_role("button", name="失败").click()
        items = page.locator("#ev-items tbody tr")
        expect(items).to_have_count(failures)
        assert "passed" not in {items.nth(i).get_attribute("data-outcome") for i in range(failures)}
        expect(page.locator("#ev-count")).to_contain_text(f"符合条件 {failures} / {len(rows)} 题")
        # Search narrows further; the uploaded HTML is shown as text.
        page.locator("#ev-search").fill("onerror=alert")
        page.locator("#ev-filter-outcome").get_by_role("button", name="全部").click()
        expect(items).to_have_count(1)
        expect(items.first.locator("td").nth(2)).to_have_text(HOSTILE["category"])
        expect(items.first.locator("td").nth(1)).to_contain_text(XSS)
        assert page.locator("#ev-items img, #ev-items b, #ev-items script").count() == 0
        # A failure's detail: its facts, and the evidence highlighted in the retrieved passages.
        page.locator("#ev-search").fill(ALWAYS_FAILS["id"])
        page.locator("#ev-filter-outcome").get_by_role("button", name="失败").click()
        expect(items).to_have_count(1)
        items.first.click()
        detail = page.locator("#ev-detail")
        expect(detail).to_be_visible()
        expect(detail.locator("#ev-detail-h")).to_contain_text(ALWAYS_FAILS["id"])
        expect(detail.locator(".ev-fact.missing")).to_contain_text(ALWAYS_FAILS["answers"][0])
        marks = detail.locator(".ev-passage mark.ev-evidence")
        expect(marks.first).to_be_visible()
        expect(marks.first).to_have_text(ALWAYS_FAILS["evidence"][0])
        expect(detail.locator(".ev-passage.has-evidence").first).to_be_visible()
        page.screenshot(path=str(SHOTS / "eval-detail.png"))
        detail.get_by_role("button", name="关闭").click()
        expect(detail).to_be_hidden()
        # Export the HTML report and open it: the same summary, chart and failure list.
        with page.expect_download() as info:
            page.locator("#ev-export-html").click()
        report = tmp_path / "report.html"
        info.value.save_as(report)
        shown = browser.new_page()
        shown.goto(report.as_uri())
        expect(shown.locator("h1")).to_contain_text("评测报告：基线")
        expect(shown.locator(".card b").nth(2)).to_have_text(accuracy)
        expect(shown.locator("svg rect.bar")).to_have_count(2 * len({r["category"] for r in rows}))
        expect(shown.locator("section.fail")).to_have_count(failures)
        expect(shown.get_by_text(XSS, exact=False).first).to_be_visible()
        assert shown.locator("script, img").count() == 0
        shown.screenshot(path=str(SHOTS / "eval-report.png"))
        shown.wait_for_timeout(200)
    assert dialogs == []


def test_compare_two_runs_made_with_different_settings(browser, dialogs, tmp_path: Path) -> None:
    rows = small_eval()
    eval_file = write_jsonl(tmp_path / "set.jsonl", rows)
    store = str(tmp_path / "runs.sqlite")
    with (
        live_server(create_app(fake_pipeline(), Settings(eval_store=store))) as url,
        httpx.Client(base_url=url) as c,
    ):
        body = eval_file.read_bytes()
        first = c.post(
            "/api/eval/runs", params={"name": "set.jsonl", "label": "默认设置"}, content=body
        ).json()["id"]
        wait_done(c, first)
    strict = Settings(eval_store=store, refusal_threshold=0.99)
    with live_server(create_app(fake_pipeline(refusal_threshold=0.99), strict)) as url:
        page = open_workbench(browser, url, dialogs)
        run_upload(page, eval_file, "拒答阈值0.99")
        expect(page.locator("#ev-runs tbody tr")).to_have_count(2)
        page.locator("#ev-cmp-a").select_option(str(first))
        second = page.locator("#ev-runs tbody tr").first.get_attribute("data-run")
        page.locator("#ev-cmp-b").select_option(second)
        page.get_by_role("button", name="对比", exact=True).click()
        expect(page.locator("#ev-cmp")).to_be_visible()
        with httpx.Client(base_url=url) as c:
            expected = c.get("/api/eval/compare", params={"a": first, "b": second}).json()
        assert expected["changed"], "a refusal threshold of 0.99 should change some outcomes"
        cards = page.locator("#ev-cmp-items .ev-cmp-item")
        expect(cards).to_have_count(len(expected["changed"]))
        expect(page.locator("#ev-cmp-count")).to_have_text(str(len(expected["changed"])))
        for i, change in enumerate(expected["changed"]):
            card = cards.nth(i)
            assert card.get_attribute("data-id") == change["id"]
            sides = card.locator(".ev-cmp-side")
            expect(sides.nth(0)).to_contain_text(change["a"]["outcome_label"])
            expect(sides.nth(1)).to_contain_text(change["b"]["outcome_label"])
        delta = page.locator('#ev-cmp-metrics [data-metric="answerable_refused"] td').nth(3)
        expect(delta).to_have_text(
            next(m["delta"] for m in expected["metrics"] if m["key"] == "answerable_refused")
        )
        page.screenshot(path=str(SHOTS / "eval-compare.png"), full_page=True)
    assert dialogs == []


def test_bad_file_is_reported_with_its_line_and_nothing_runs(browser, dialogs, tmp_path: Path) -> None:
    good = json.dumps(ALWAYS_FAILS, ensure_ascii=False)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(f"{good}\n\n{{'id': 'single quotes'}}\n", encoding="utf-8")
    big = tmp_path / "big.jsonl"
    big.write_bytes(b" " * 2_000_001)
    with live_server(create_app(FakeAssistant(), Settings(eval_store=str(tmp_path / "runs.sqlite")))) as url:
        page = open_workbench(browser, url, dialogs)
        page.locator("#ev-file").set_input_files(str(bad))
        page.get_by_role("button", name="开始评测").click()
        expect(page.locator("#ev-error")).to_contain_text("bad.jsonl 第 3 行：不是有效的 JSON")
        page.locator("#ev-file").set_input_files(str(big))
        page.get_by_role("button", name="开始评测").click()
        expect(page.locator("#ev-error")).to_contain_text("超过 2 MB")
        expect(page.locator("#ev-runs-empty")).to_be_visible()
        expect(page.locator("#ev-result")).to_be_hidden()
    assert dialogs == []


def test_progress_and_stop(browser, dialogs, tmp_path: Path) -> None:
    class Slow(FakeAssistant):
        def ask(self, question, history=()):  # type: ignore[no-untyped-def]
            time.sleep(0.05)
            return super().ask(question, history)

    many = write_jsonl(tmp_path / "many.jsonl", [{**ALWAYS_FAILS, "id": f"q{i}"} for i in range(400)])
    with live_server(create_app(Slow(), Settings(eval_store=str(tmp_path / "runs.sqlite")))) as url:
        page = open_workbench(browser, url, dialogs)
        page.locator("#ev-file").set_input_files(str(many))
        page.get_by_role("button", name="开始评测").click()
        until(page, "() => document.querySelector('#ev-progress').value >= 3")
        assert page.evaluate("document.querySelector('#ev-progress').max") == 400
        page.get_by_role("button", name="停止").click()
        expect(page.locator("#ev-progress-text")).to_contain_text("已停止")
        done = int(re.search(r"已完成 (\d+) / 400", page.locator("#ev-progress-text").inner_text()).group(1))
        assert 3 <= done < 400
        expect(page.locator("#ev-result-h")).to_be_visible()
        expect(page.locator("#ev-items tbody tr")).to_have_count(min(done, 200))
    assert dialogs == []
