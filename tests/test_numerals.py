"""Chinese numerals in questions are written as figures, words holding numerals are left alone."""

from __future__ import annotations

import pytest

from assistant.numerals import arabic_figures
from assistant.query import understand
from assistant.structure import ReportYears


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("增长百分之五以上", "增长5%以上"),
        ("百分之七点五", "7.5%"),
        ("投资三千万元", "投资3000万元"),
        ("一百二十个项目", "120个项目"),
        ("两亿元", "2亿元"),
        ("七点五万亩", "7.5万亩"),
        ("新建三所学校", "新建3所学校"),
        ("十二万人", "12万人"),
        # a rate per so many people, as reports write it (每千人口拥有托位数)
        ("每一千个人有几个托位", "每千人有几个托位"),
        ("每1000人", "每千人"),
        ("每10000名", "每10000名"),  # 名 of a rate only before 人/户/口
        ("每一百户", "每百户"),
        ("平均每人能拿到多少", "人均能拿到多少"),  # per head, as an indicator's name says it
        ("每户平均用水多少吨", "户均用水多少吨"),
        ("平均每天", "平均每天"),
        ("每个月的生活费", "每月的生活费"),  # each month, as 每人每月 is written
        ("每一年", "每年"),
        ("每个项目", "每个项目"),
    ],
)
def test_a_numeral_stating_a_quantity_becomes_a_figure(text: str, expected: str) -> None:
    assert arabic_figures(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "一带一路",
        "十四五规划",
        "第一季度",
        "三农工作",
        "一些地方",
        "有一个人",
        "一次性补贴",
        "二期项目",
        "五年来",
    ],
)
def test_words_holding_numerals_stay(text: str) -> None:
    assert arabic_figures(text) == text


def test_the_question_is_understood_with_figures() -> None:
    q = understand("地区生产总值增长百分之五的目标", ReportYears(2025, 2026))
    assert "5%" in q.text and "5%" in q.search_text
