"""Figures paired with their items in "A、B分别增长X、Y" sentences."""

from __future__ import annotations

import pytest

from assistant.comparison import _header_unit, respectively

pytestmark = pytest.mark.unit


def test_each_figure_goes_with_its_item() -> None:
    assert respectively("批发业、零售业销售额分别同比增长16.2%、11.3%") == [
        ("批发业", "同比增长16.2%"),
        ("零售业销售额", "同比增长11.3%"),
    ]


def test_items_joined_by_he_count_too() -> None:
    pairs = respectively("生猪、牛出栏量和禽蛋产量分别增长3.8%、13.7%、7.6%")
    assert pairs is not None and [i for i, _ in pairs] == ["生猪", "牛出栏量", "禽蛋产量"]


@pytest.mark.parametrize(
    "clause",
    [
        "分别同比增长10.1%和11%",  # the items are in another clause
        "茶叶、水果分别同比增长1.2%",  # two items, one figure
        "地区生产总值增长8.1%",  # no 分别
    ],
)
def test_no_pairing_when_items_and_figures_do_not_match(clause: str) -> None:
    assert respectively(clause) is None


def test_a_table_header_gives_the_unit_of_its_figures() -> None:
    assert _header_unit("主要指标：一般公共预算收入（亿元） 完成情况-总量") == "亿元"
    assert _header_unit("主要指标：地区生产总值 完成情况-总量") == ""


@pytest.mark.integration
def test_a_comparison_asked_in_a_unit_uses_figures_in_that_unit(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from assistant.pipeline import build_assistant
    from assistant.settings import Settings

    assistant = build_assistant(Settings(index_dir=tmp_path / "index", embedder="fake"))
    ans = assistant.ask("2023年一般公共预算收入比税收收入多多少亿元？")
    assert not ans.refused
    assert "亿元" in ans.text.split("按报告数字计算")[-1], ans.text  # totals, not the growth rates
