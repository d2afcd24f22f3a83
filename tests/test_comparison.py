"""Figures paired with their items in "A、B分别增长X、Y" sentences."""

from __future__ import annotations

import pytest

from assistant.comparison import _header_unit, respectively

pytestmark = pytest.mark.unit


def test_each_figure_goes_with_its_item() -> None:
    assert respectively("住宿业、餐饮业营业额分别同比增长6.4%、9.2%") == [
        ("住宿业", "同比增长6.4%"),
        ("餐饮业营业额", "同比增长9.2%"),
    ]


def test_items_joined_by_he_count_too() -> None:
    pairs = respectively("生猪、牛出栏量和禽蛋产量分别增长2.1%、5.5%、4.3%")
    assert pairs is not None and [i for i, _ in pairs] == ["生猪", "牛出栏量", "禽蛋产量"]


@pytest.mark.parametrize(
    "clause",
    [
        "分别同比增长5.2%和7%",  # the items are in another clause
        "茶叶、水果分别同比增长2.4%",  # two items, one figure
        "地区生产总值增长6.8%",  # no 分别
    ],
)
def test_no_pairing_when_items_and_figures_do_not_match(clause: str) -> None:
    assert respectively(clause) is None


def test_a_table_header_gives_the_unit_of_its_figures() -> None:
    assert _header_unit("主要指标：一般公共预算收入（亿元） 完成情况-总量") == "亿元"
    assert _header_unit("主要指标：地区生产总值 完成情况-总量") == ""


@pytest.mark.integration
def test_a_comparison_asked_in_a_unit_quotes_the_totals_in_that_unit(synthetic_assistant) -> None:  # type: ignore[no-untyped-def]
    ans = synthetic_assistant.ask("2028年一般公共预算收入比税收收入多多少亿元？")  # 表1: 36.9 and 24.1
    assert not ans.refused
    assert "36.9亿元" in ans.text, ans.text  # the total, not only the growth rate
    assert any("一般公共预算收入（亿元）" in c.text for c in ans.citations)


@pytest.mark.integration
@pytest.mark.xfail(
    strict=True,
    reason="bug: the two rows of one table (一般公共预算收入, 其中：税收收入) are not paired; no arithmetic here, "
    "and on the bundled report the total is subtracted from an unrelated 亿元 figure of another passage",
)
def test_a_comparison_asked_in_a_unit_uses_figures_in_that_unit(synthetic_assistant) -> None:  # type: ignore[no-untyped-def]
    ans = synthetic_assistant.ask("2028年一般公共预算收入比税收收入多多少亿元？")
    arithmetic = ans.text.split("按报告数字计算")[1] if "按报告数字计算" in ans.text else ""
    assert "36.9亿元" in arithmetic and "24.1亿元" in arithmetic and "12.8亿元" in arithmetic, ans.text


def _compare(question: str, texts: list[tuple[str, str]]) -> str:
    """The comparison answer over made-up passages ((scope, text) each), the question understood as
    retrieval would (years 2030 reviewed / 2031 planned, aliases from the general table)."""
    from assistant.comparison import compare
    from assistant.keyword import Tokenizer
    from assistant.query import understand
    from assistant.sentences import Sentence
    from assistant.structure import ReportYears
    from assistant.types import PROSE, Chunk, Passage

    passages = [
        Passage(Chunk(f"c{i}", t, ("概况",), scope, PROSE, 0, len(t), 20), 1.0 - 0.01 * i)
        for i, (scope, t) in enumerate(texts)
    ]
    ranked = [Sentence(i, p.chunk.text, 0, p.score, 1.0) for i, p in enumerate(passages)]
    query = understand(question, ReportYears(2030, 2031))
    ans = compare(query, ranked, passages, Tokenizer(), (2030, 2031))
    return ans.text if ans else ""


def test_a_and_b_xiangbi_compares_the_two_sides() -> None:
    """ "A和B相比高多少": the 比 of 相比 is not the pivot; GDP is found as 地区生产总值; a unit per another."""
    text = _compare(
        "今年的GDP增长目标和去年的实际增速相比高了多少？",
        [
            ("review", "2030年，科技贷款余额增长11.7%。"),
            ("plan", "今年的主要预期目标是：地区生产总值增长4.5%，城镇调查失业率5.5%左右。"),
            ("review", "2030年，地区生产总值增长3.9%。"),
        ],
    )
    assert "4.5%" in text and "3.9%" in text and "0.6个百分点" in text, text
    text = _compare(
        "与去年实际浓度相比，今年细颗粒物浓度控制目标高多少？",
        [
            ("plan", "城镇调查失业率控制在5%以内，细颗粒物年均浓度控制在29微克/立方米左右。"),
            ("review", "细颗粒物年均浓度27微克/立方米、下降11.5%。"),
        ],
    )
    assert "2微克/立方米" in text, text


def test_a_figure_in_a_sentence_about_another_year_is_not_the_side_s() -> None:
    text = _compare(
        "2030年地区生产总值增速比预期目标高了多少？",
        [
            ("review", "全年地区生产总值增长8.1%。"),
            ("plan", "2031年的主要目标是：地区生产总值增长7.5%左右。"),
            ("review", "主要指标：地区生产总值，预期：7%以上。"),
        ],
    )
    assert "1.1个百分点" in text, text


def test_a_figure_of_a_five_year_span_is_not_the_one_year_side_s() -> None:
    text = _compare(
        "今年的城镇新增就业目标比去年实际新增的少了多少？",
        [
            ("plan", "2031年，城镇新增就业50万人。"),
            ("review", "人均可支配收入年均增长6%，城镇新增就业超300万人。"),
            ("review", "城镇新增就业62万人，城镇调查失业率4.6%。"),
        ],
    )
    assert "12万人" in text, text


def test_the_noun_after_a_figure_names_it() -> None:
    """ "完成204个老旧小区" counts 老旧小区 after its measure word: the result is paired, not a plan task."""
    text = _compare(
        "2031年计划改造的老旧小区比2030年完成改造的少多少个？",
        [
            ("plan", "2031年，更新改造105个老旧小区。"),
            ("review", "项目：老城更新，计划任务：改造老旧小区180个以上，燃气设施14万户。"),
            ("review", "完成204个老旧小区及配套设施改造，新增停车位500个。"),
        ],
    )
    assert "204个 − 105个 = 99个" in text, text
