"""Query understanding: relative years against the report's own years, aliases, scope, kind, width."""

from __future__ import annotations

import pytest

from assistant.query import expand_aliases, load_aliases, question_kind, resolve_years, understand
from assistant.structure import ReportYears
from assistant.types import PLAN, REVIEW

pytestmark = pytest.mark.unit

Y2024 = ReportYears(2023, 2024)
Y2022 = ReportYears(2021, 2022)


@pytest.mark.parametrize(
    ("question", "years", "expected", "absent"),
    [
        ("去年地区生产总值增长多少？", Y2024, "2023年", "去年"),
        ("今年地区生产总值目标是多少？", Y2024, "2024年", "今年"),
        ("明年有什么打算？", Y2024, "2025年", "明年"),
        ("前年粮食产量是多少？", Y2024, "2022年", "前年"),
        ("去年地区生产总值增长多少？", Y2022, "2021年", "去年"),
        ("今年地区生产总值目标是多少？", Y2022, "2022年", "今年"),
        ("明年有什么打算？", Y2022, "2023年", "明年"),
        ("前年粮食产量是多少？", Y2022, "2020年", "前年"),
        ("What was GDP growth last year?", Y2024, "in 2023", "last year"),
        ("What is the target this year?", Y2024, "in 2024", "this year"),
        ("What was GDP growth last year?", Y2022, "in 2021", "last year"),
        ("What is the target this year?", Y2022, "in 2022", "this year"),
    ],
)
def test_relative_years_resolve_against_the_report(
    question: str, years: ReportYears, expected: str, absent: str
) -> None:
    q = understand(question, years)
    assert expected in q.text
    assert absent not in q.text
    assert int(expected[-4:] if expected.startswith("in") else expected[:4]) in q.years
    assert resolve_years(question, years) == q.text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is the GDP target for this year?", "What is the GDP target for 2024?"),
        ("What was last year's growth?", "What was 2023's growth?"),
        ("During last year, how many parks opened?", "During 2023, how many parks opened?"),
        ("How many parks opened last year?", "How many parks opened in 2023?"),
    ],
)
def test_an_english_relative_year_after_a_preposition_keeps_it(question: str, expected: str) -> None:
    assert resolve_years(question, Y2024) == expected  # not "for in 2024"


def test_unknown_report_years_leave_relative_words_alone() -> None:
    assert resolve_years("去年增长多少？", ReportYears(None, None)) == "去年增长多少？"


@pytest.mark.parametrize(
    ("question", "expansion"),
    [
        ("GDP增长多少？", "地区生产总值"),
        ("gdp增长多少？", "地区生产总值"),
        ("社零增长多少？", "社会消费品零售总额"),
        ("How much did retail sales grow?", "社会消费品零售总额"),
    ],
)
def test_aliases_expand_search_text_only(question: str, expansion: str) -> None:
    q = understand(question, Y2024)
    assert expansion in q.search_text
    assert expansion not in q.text  # the shown text stays the user's words
    assert q.search_text.startswith(q.text)


def test_alias_expansion_is_case_insensitive_and_respects_ascii_word_boundaries() -> None:
    aliases = (("gdp", "地区生产总值"),)
    assert expand_aliases("GDP多少", aliases) == "GDP多少 地区生产总值"
    assert expand_aliases("gdpx多少", aliases) == "gdpx多少"
    assert expand_aliases("没有别名", aliases) == "没有别名"


def test_bundled_alias_table_is_longest_first() -> None:
    aliases = load_aliases()
    assert ("社零", "社会消费品零售总额") in aliases
    lengths = [len(a) for a, _ in aliases]
    assert lengths == sorted(lengths, reverse=True)


@pytest.mark.parametrize(
    ("question", "scope"),
    [
        ("2024年地区生产总值增长多少？", PLAN),
        ("2023年地区生产总值增长多少？", REVIEW),
        ("今年地区生产总值增长多少？", PLAN),
        ("去年地区生产总值增长多少？", REVIEW),
        ("地区生产总值增长多少？", None),
        ("地区生产总值目标是多少？", PLAN),
        ("计划新开工多少个项目？", PLAN),
        ("2023年比2024年多多少？", None),  # both years: no preference
        ("经历去年的洪水之后，今年防汛准备怎么做？", PLAN),  # the lead-in's year only sets the scene
        ("2023年受灾以后，2023年恢复了多少？", REVIEW),
    ],
)
def test_scope(question: str, scope: str | None) -> None:
    assert understand(question, Y2024).scope == scope


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("2023年地区生产总值增长多少？", "number"),
        ("新建了几个公园？", "number"),
        ("重点民生实事有哪些？", "list"),
        ("新质生产力是什么？", "define"),
        ("2023年工业投资增速比固定资产投资增速高多少？", "compare"),
        ("2023年地区生产总值增长比2024年目标高多少？", "compare"),
        ("介绍一下乡村振兴", "other"),
    ],
)
def test_question_kind(question: str, kind: str) -> None:
    assert understand(question, Y2024).kind == kind
    assert question_kind(question) == kind


def test_full_width_digits_are_normalised() -> None:
    q = understand("２０２３年地区生产总值增长多少？", Y2024)
    assert q.text.startswith("2023年")
    assert q.years == (2023,)
    assert q.scope == REVIEW
    assert q.original == "２０２３年地区生产总值增长多少？"


def test_english_flag() -> None:
    assert understand("How much did retail sales grow?", Y2024).english
    assert not understand("GDP增长多少？", Y2024).english


def test_traditional_chinese_question_is_read_as_simplified() -> None:
    q = understand("2023年地區生產總值增長多少？", ReportYears(2023, 2024))
    assert "地区生产总值增长" in q.text and q.years == (2023,)


def test_everyday_words_widen_the_search_but_are_not_aliases() -> None:
    q = understand("去年开电车的人多吗？", ReportYears(2023, 2024))
    assert "新能源汽车" in q.search_text
    assert all(alias != "电车" for alias, _ in q.aliases)


def test_for_example_is_no_comparison() -> None:
    # 比如 ("for example") before 多少 asks no difference
    assert question_kind("学校、医院比如新建了多少所？") != "compare"
    assert question_kind("2024年比2023年多多少？") == "compare"


def test_a_change_since_an_unnamed_time_is_no_comparison() -> None:
    # 比以前 asks one figure (增长15%), not two figures to subtract
    assert question_kind("去年到医院看病的人比以前多了多少？") != "compare"
    assert question_kind("2029年的入园人数较过去增加了多少？") != "compare"
    assert question_kind("2029年的入园人数比2028年多了多少？") == "compare"


def test_zhunbei_asks_for_a_plan_and_names_no_topic() -> None:
    from assistant.types import PLAN
    from assistant.vocab import FUNCTION_WORDS

    assert understand("准备新建多少个公园？", Y2024).scope == PLAN  # like 打算/计划
    assert "准备" in FUNCTION_WORDS
