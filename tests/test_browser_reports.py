"""Several reports in the browser (issue #11): the header names them, the selector narrows the search,
and each citation card names its report. Headless Debian Chromium against a real server on loopback."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from assistant.api import create_app
from assistant.pipeline import build_assistant
from assistant.settings import ROOT, Settings
from tests.webfixtures import chromium, live_server

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

BUNDLED = ROOT / "corpus" / "yongchuan-2023-execution-2024-plan.txt"
HENAN = ROOT / "evals" / "reports" / "gov-work-2026-henan.txt"
DONE = ".qa-meta, .qa-error"


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    d = tmp_path_factory.mktemp("reports-ui")
    (d / "corpus").mkdir()
    for f in (BUNDLED, HENAN):
        shutil.copyfile(f, d / "corpus" / f.name)
    settings = Settings(corpus=d / "corpus", index_dir=d / "idx", embedder="fake")
    assistant = build_assistant(settings)
    with live_server(create_app(assistant, settings)) as url, chromium() as browser:
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        pg.goto(url)
        pg.wait_for_selector("#qa-input textarea", timeout=30_000)
        yield pg


def test_the_header_names_the_reports(page) -> None:  # type: ignore[no-untyped-def]
    head = page.locator(".qa-reports")
    expect(head).to_contain_text("永川区2024年计划")
    expect(head).to_contain_text("河南省2026年政府工作报告")


def test_the_selector_narrows_answers_to_one_report_and_cards_name_it(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("#qa-report input").click()
    page.get_by_role("option", name="河南省2026年政府工作报告").click()
    box = page.locator("#qa-input textarea")
    box.fill("粮食产量是多少？")
    box.press("Enter")
    page.wait_for_selector(f'#qa-chat [data-testid="bot"] :is({DONE})', timeout=30_000)
    cards = page.locator(".qa-card .qa-report")
    expect(cards.first).to_be_visible()
    names = set(cards.all_inner_texts())
    assert names == {"河南省2026年政府工作报告"}
    assert "【河南省2026年政府工作报告】" in page.locator('#qa-chat [data-testid="bot"]').last.inner_text()
