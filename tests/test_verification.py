"""Numbers and citation markers in answers: extraction, support, and whole-answer checks."""

from __future__ import annotations

import pytest

from assistant.verification import (
    extract_numbers,
    find_computed,
    markers,
    number_supported,
    sentences,
    verify_answer,
)

pytestmark = pytest.mark.unit

GDP = "全年地区生产总值增长8.4%；规上工业增加值增长9.6%；固定资产投资增长10.4%。"
TABLE = "地区生产总值（亿元）：预期目标7%以上；完成情况总量1742.6，增速8.4。"
JOBS = "城镇新增就业1.2万人，新建5G基站1,050个，改造老旧小区32个、惠及居民1.5万户。"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("地区生产总值1742.6亿元，增长8.4%", ["1742.6亿元", "8.4%"]),
        ("比目标高1.1个百分点", ["1.1个百分点"]),
        ("高0.5百分点", ["0.5百分点"]),
        ("2029年地区生产总值增长6%左右", ["2029年", "6%"]),
        ("全年增长８．４％", ["8.4%"]),  # full-width digits
        ("总量1,742.6亿元", ["1,742.6亿元"]),  # thousands separator
        ("新增就业1.2万人，接待游客350万人次", ["1.2万人", "350万人次"]),
        ("高标准农田2.5万亩，新建道路12公里", ["2.5万亩", "12公里"]),
        ("收入43276元，新增企业120家、学校3所", ["43276元", "120家", "3所"]),
        ("新增停车位800个，充电桩60台", ["800个", "60台"]),
        ("两个项目、三所学校", []),  # Chinese number words are not numbers
        ("增长8.4%[1]，见[2]。", ["8.4%"]),  # markers are not numbers
        ("增长8.4%［1］", ["8.4%"]),  # nor full-width markers
        ("2023年—2025年", ["2023年", "2025年"]),
        ("2023,2024", ["2023", "2024"]),  # a comma between years is not a thousands separator
        ("装机10万千瓦", ["10万千瓦"]),
        ("举办活动30余场，服务1万余人，新建管网200多公里", ["30余场", "1万余人", "200多公里"]),
        ("500千伏变电站", ["500千伏"]),
    ],
)
def test_extract_numbers(text: str, expected: list[str]) -> None:
    assert extract_numbers(text) == expected


@pytest.mark.parametrize(
    ("num", "texts", "supported"),
    [
        ("8.4%", [GDP], True),
        ("8.40%", [GDP], True),  # same value
        ("８．４％", [GDP], True),  # full width in the answer
        ("1,742.6亿元", [TABLE], True),  # separator, unit from the table header
        ("1742.6亿元", ["总量1,742.6亿元"], True),
        ("1742.6", ["总量1,742.6亿元"], True),  # bare number in the answer
        ("12000人", [JOBS], True),  # 1.2万人 == 12000人
        ("1.1个百分点", ["高1.1%"], True),  # 个百分点 vs %
        ("1.1%", ["高1.1个百分点"], True),
        ("10.4%", [GDP], True),
        ("9.9%", [GDP], False),
        ("8.4亿元", [GDP], False),  # value present, incompatible unit
        ("1.2万户", [JOBS], False),  # 1.2 is 万人, 万户 is 1.5
        ("1.5万户", [JOBS], True),
        ("1,050个", [JOBS], True),
        ("1050个", [JOBS], True),
        ("2024年", [GDP, TABLE], False),
        ("2024年", ["二、2024年经济社会发展的主要目标", GDP], True),
        ("8.4%", [], False),
        ("30余场", ["举办30余场"], True),
        ("1万人", ["服务1万余人"], True),
        ("多少", [GDP], False),  # not a number
    ],
)
def test_number_supported(num: str, texts: list[str], supported: bool) -> None:
    assert number_supported(num, texts) is supported


def test_computed_numbers_are_supported() -> None:
    assert not number_supported("1.1个百分点", [TABLE])
    assert number_supported("1.1个百分点", [TABLE], computed={"1.1个百分点"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("高1.4个百分点（8.4%-7%=1.4个百分点）", {"1.4个百分点"}),
        ("8.4％－7％＝1.4个百分点", {"1.4个百分点"}),
        ("318.7+36.9=355.6亿元", {"355.6亿元"}),
        ("8.4%-7%=1.2个百分点", set()),  # wrong arithmetic
        ("1742.6÷3≈580.87亿元", {"580.87亿元"}),
        ("2023年—2025年", set()),
    ],
)
def test_find_computed(text: str, expected: set[str]) -> None:
    assert find_computed(text) == expected


def test_markers_and_sentences() -> None:
    text = "增长8.4%[1]。规上工业增长9.6%。[2]\n见［3，4］"
    assert markers(text) == [1, 2, 3, 4]
    assert sentences(text) == ["增长8.4%[1]。", "规上工业增长9.6%。[2]", "见［3，4］"]


CITES = {1: GDP, 2: TABLE, 3: JOBS}


@pytest.mark.parametrize(
    "text",
    [
        "全区地区生产总值增长8.4%[1]。",
        "地区生产总值1742.6亿元[2]，增长8.4%[1]。",
        "地区生产总值增长8.4%，规上工业增加值增长9.6%[1]。",  # one marker for the sentence
        "规上工业增加值增长9.6%。[1]",  # marker after the full stop
        "比预期目标高1.4个百分点（8.4%-7%=1.4个百分点）[2]。",
        "固定资产投资保持增长[1]。",
        "报告未涉及该问题",  # no numbers, no markers: nothing to check
    ],
)
def test_verify_ok(text: str) -> None:
    assert verify_answer(text, CITES, find_computed(text)) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("增长8.4%[9]。", "[9]"),  # no such citation
        ("增长8.4%[1]。规上工业增长9.6%。", "no marker"),  # second sentence has no marker
        ("地区生产总值增长9.9%[1]。", "9.9%"),  # number in no passage
        ("城镇新增就业1.2万人[1]。", "1.2万人"),  # in passage 3, but the sentence cites 1
        ("增长8.4%。", "no citations"),  # numbers, no citations at all
        ("高1.2个百分点（8.4%-7%=1.2个百分点）[2]。", "1.2个百分点"),
    ],
)
def test_verify_problems(text: str, problem: str) -> None:
    problems = verify_answer(text, CITES, find_computed(text))
    assert problems and any(problem in p for p in problems), problems


def test_sentence_without_marker_falls_back_to_all_cited_passages() -> None:
    # The first sentence has no marker: flagged, but its numbers are checked against passage 1.
    problems = verify_answer("增长8.4%。规上工业增长9.6%[1]。", CITES)
    assert len(problems) == 1 and "no marker" in problems[0]
    problems = verify_answer("增长9.9%。规上工业增长9.6%[1]。", CITES)
    assert any("9.9%" in p for p in problems)


def test_a_cited_sentence_must_restate_its_passage() -> None:
    """A marker borrowed by a sentence the passage does not support is a problem (e.g. an echoed prompt)."""
    problems = verify_answer("我的系统提示词是只依据这些编号资料作答[1]。", CITES)
    assert any("cited passage" in p for p in problems)
    assert verify_answer("规上工业增加值增长9.6%[1]。", CITES) == []
