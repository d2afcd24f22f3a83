"""Tests for assistant.metrics: hand-checked cases for every metric."""

from __future__ import annotations

import re

import pytest

from assistant import metrics
from assistant.metrics import (
    answer_correct,
    citation_correct,
    contains,
    hit_at_k,
    mrr,
    normalize_for_match,
    numbers_all_cited,
    percentile,
    refusal_precision_recall,
    retrieval_hit_rank,
    score_group,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("８．４％", "8.4%"),  # full-width digits, point and percent
        ("地区生产总值（亿元）", "地区生产总值(亿元)"),
        ("1,742.6亿元", "1742.6亿元"),
        ("1,234,567", "1234567"),
        ("12,34", "12,34"),  # not a thousands group
        ("增长8.4%，其中", "增长8.4%,其中"),  # Chinese comma is kept (becomes ASCII, not removed)
        ("完成50，126个", "完成50,126个"),  # ...even between digits
        ("提高 1.1 个百分点", "提高1.1%"),
        ("提高1.1百分点", "提高1.1%"),
        ("GDP\tGrowth\n 8.4", "gdpgrowth8.4"),
        ("1742.6\n\t8.4", "1742.6 8.4"),  # whitespace between numbers survives as one space
        ("表 1  2023年", "表1 2023年"),
        ("ＡＢＣ", "abc"),
        ("增速11.0%，增长10.00", "增速11%,增长10"),  # zero decimals dropped
        ("增长10.05%", "增长10.05%"),
        ("", ""),
    ],
)
def test_normalize_for_match(raw: str, expected: str) -> None:
    assert normalize_for_match(raw) == expected


@pytest.mark.parametrize(
    ("haystack", "needle", "expected"),
    [
        ("全年地区生产总值增长8.4%；", "8.4%", True),
        ("全年地区生产总值增长８．４％", "8.4%", True),
        ("普惠率提高1.1个百分点", "1.1个百分点", True),
        ("普惠率提高1.1个百分点", "1.1%", True),
        ("普惠率提高1.1%", "1.1个百分点", True),
        ("总量1,742.6亿元", "1742.6", True),
        ("总量1742.6亿元", "1,742.6", True),
        ("地区生产总值（亿元）\n\t7%以上\n\t1742.6", "地区生产总值(亿元)7%以上1742.6", True),
        ("增长18.4%", "8.4%", False),  # number boundary on the left
        ("增长8.45%", "8.4", False),  # number boundary on the right
        ("增长19.6%", "19", False),  # '.' followed by a digit continues the number
        ("增长11%。", "11", True),  # sentence-final '.'-like punctuation is fine
        ("版本1.1.2", "1.2", False),
        ("增长8.4%，8.4%", "8.4%", True),
        ("\t1742.6\n\t8.4", "1742.6", True),  # adjacent table cells stay separate numbers
        ("\t1742.6\n\t8.4", "8.4", True),
        ("\t1742.6\n\t8.4", "1742.68.4", False),
        ("第18.4和8.4", "8.4", True),  # second occurrence qualifies
        ("新能源汽车", "能源", True),
        ("新能源汽车", "", False),
        ("新能源汽车", "  ", False),
        ("abc", "ABC", True),
        ("完成情况-增速（%）：11.0%", "11%", True),  # a table's 11.0% is the text's 11%
        ("增长11%", "11.0%", True),
        ("增长11.05%", "11%", False),
    ],
)
def test_contains(haystack: str, needle: str, expected: bool) -> None:
    assert contains(haystack, needle) is expected


@pytest.mark.parametrize(
    ("texts", "evidence", "expected"),
    [
        (["甲", "全年地区生产总值增长8.4%", "乙"], ["生产总值增长8.4%"], 2),
        (["生产总值增长8.4%", "生产总值增长8.4%"], ["生产总值增长8.4%"], 1),
        (["甲", "乙", "丙"], ["生产总值增长8.4%"], None),
        (["甲", "乙 丙"], ["不存在", "乙丙"], 2),  # any quote; whitespace ignored
        (["甲"], [], None),
        ([], ["甲"], None),
    ],
)
def test_retrieval_hit_rank(texts: list[str], evidence: list[str], expected: int | None) -> None:
    assert retrieval_hit_rank(texts, evidence) == expected


@pytest.mark.parametrize(
    ("ranks", "k", "expected"),
    [
        ([1, 2, None, 4], 1, 0.25),
        ([1, 2, None, 4], 3, 0.5),
        ([1, 2, None, 4], 5, 0.75),
        ([None, None], 5, 0.0),
        ([], 3, None),
    ],
)
def test_hit_at_k(ranks: list[int | None], k: int, expected: float | None) -> None:
    assert hit_at_k(ranks, k) == expected


def test_hit_at_k_rejects_k_below_one() -> None:
    with pytest.raises(ValueError, match="k must be"):
        hit_at_k([1], 0)


@pytest.mark.parametrize(
    ("ranks", "expected"),
    [
        ([1, 2, None, 4], (1 + 0.5 + 0 + 0.25) / 4),
        ([1], 1.0),
        ([None], 0.0),
        ([], None),
    ],
)
def test_mrr(ranks: list[int | None], expected: float | None) -> None:
    assert mrr(ranks) == expected


@pytest.mark.parametrize(
    ("answer", "facts", "refused", "expected"),
    [
        ("地区生产总值增长8.4%[1]。", ["8.4%"], False, True),
        ("总量1,742.6亿元，增长8.4%", ["1742.6", "8.4%"], False, True),
        ("总量1742.6亿元", ["1742.6", "8.4%"], False, False),  # every fact is needed
        ("增长18.4%", ["8.4%"], False, False),
        ("报告提到增长8.4%，但无法确定", ["8.4%"], True, False),  # a refusal is never correct here
        ("报告中没有相关信息。", [], True, True),  # unanswerable and refused
        ("常住人口为115万人。", [], False, False),  # unanswerable but answered
    ],
)
def test_answer_correct(answer: str, facts: list[str], refused: bool, expected: bool) -> None:
    assert answer_correct(answer, facts, refused) is expected


@pytest.mark.parametrize(
    ("cited", "evidence", "expected"),
    [
        (["甲", "全年地区生产总值增长8.4%；规上工业"], ["全年地区生产总值增长8.4%"], True),
        (["甲", "乙"], ["全年地区生产总值增长8.4%"], False),
        ([], ["全年地区生产总值增长8.4%"], False),
        (["甲"], [], False),
    ],
)
def test_citation_correct(cited: list[str], evidence: list[str], expected: bool) -> None:
    assert citation_correct(cited, evidence) is expected


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        # (should_refuse, refused): TP, FP, FN, TN -> P = 1/2, R = 1/2
        ([(True, True), (False, True), (True, False), (False, False)], (0.5, 0.5)),
        ([(True, True), (True, True), (False, True)], (2 / 3, 1.0)),
        ([(False, False), (False, False)], (None, None)),  # nothing refused, nothing to refuse
        ([(True, False)], (None, 0.0)),
        ([(False, True)], (0.0, None)),
        ([], (None, None)),
    ],
)
def test_refusal_precision_recall(pairs: list[tuple[bool, bool]], expected: tuple) -> None:
    assert refusal_precision_recall(pairs) == expected


def _digits_only(text: str) -> list[str]:
    """Test extractor: runs of ASCII digits and points."""
    return re.findall(r"\d+(?:\.\d+)?", text)


def _substring_check(num: str, passages: list[str]) -> bool:
    """Test checker: plain substring."""
    return any(num in p for p in passages)


@pytest.mark.parametrize(
    ("answer", "cited", "expected"),
    [
        ("增长8.4%[1]，总量1742.6亿元[2]。", ["增长8.4%", "总量1742.6"], True),
        ("增长8.4%[1]，总量1742.6亿元[2]。", ["增长8.4%"], False),
        ("没有数字[1]。", [], True),  # citation markers are not numbers
        ("增长8.4%[3]", [], False),
        ("增长9%[1]", ["增长9%"], True),
    ],
)
def test_numbers_all_cited_with_injected_tools(answer: str, cited: list[str], expected: bool) -> None:
    assert numbers_all_cited(answer, cited, _digits_only, _substring_check) is expected


def test_numbers_all_cited_fallback_tools() -> None:
    assert metrics._simple_extract("增长８．４％，总量1,742.6亿元") == ["8.4%", "1742.6"]
    assert metrics._simple_supported("8.4%", ["甲", "增长8.4%"])
    assert not metrics._simple_supported("8.4%", ["增长18.4%"])


def test_numbers_all_cited_resolves_defaults_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def fake_tools(answer_text: str = "") -> tuple:
        calls.append("resolved")
        return _digits_only, _substring_check

    monkeypatch.setattr(metrics, "_default_number_tools", fake_tools)
    assert numbers_all_cited("增长8.4%[1]", ["增长8.4%"])
    assert not numbers_all_cited("增长7.5%[1]", ["增长8.4%"])
    assert calls == ["resolved", "resolved"]


def test_default_number_tools_are_callable() -> None:
    extract, supported = metrics._default_number_tools()
    assert callable(extract) and callable(supported)


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
        ([4.0, 1.0, 3.0, 2.0], 50, 2.5),  # order does not matter
        ([1.0, 2.0, 3.0, 4.0], 0, 1.0),
        ([1.0, 2.0, 3.0, 4.0], 100, 4.0),
        ([10.0, 20.0, 30.0], 95, 29.0),  # pos = 2 * 0.95 = 1.9 -> 20 + 0.9 * 10
        ([7.0], 95, 7.0),
        ([], 50, None),
    ],
)
def test_percentile(values: list[float], p: float, expected: float | None) -> None:
    result = percentile(values, p)
    assert result == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize("p", [-1, 100.5])
def test_percentile_rejects_out_of_range(p: float) -> None:
    with pytest.raises(ValueError, match="p must be"):
        percentile([1.0], p)


def _rec(answer: str, refused: bool, retrieved: list[str], cited: list[str], total: float) -> dict:
    """A minimal out-file record for score_group."""
    return {
        "answer": answer,
        "refused": refused,
        "retrieved": [{"text": t} for t in retrieved],
        "citations": [{"text": t} for t in cited],
        "latency_ms": total,
        "retrieval_ms": total / 2,
    }


def test_score_group_by_hand() -> None:
    rows = [
        (["8.4%"], ["增长8.4%"], _rec("增长8.4%[1]", False, ["甲", "增长8.4%"], ["增长8.4%"], 10.0)),
        (["7.2%"], ["增长7.2%"], _rec("无法回答", True, ["甲", "乙"], [], 20.0)),
        ([], [], _rec("无法回答", True, [], [], 30.0)),
    ]
    g = score_group(rows, _digits_only, _substring_check)
    assert (g.n, g.n_answerable) == (3, 2)
    assert (g.hit_at_1, g.hit_at_3, g.hit_at_5, g.mrr) == (0.0, 0.5, 0.5, 0.25)
    assert g.answer_accuracy == pytest.approx(2 / 3)
    assert g.citation_accuracy == 1.0
    assert (g.refusal_precision, g.refusal_recall) == (0.5, 1.0)
    assert g.answerable_refused == 0.5
    assert g.numbers_cited == 1.0
    assert (g.total_p50_ms, g.retrieval_p50_ms) == (20.0, 10.0)
    assert g.total_p95_ms == pytest.approx(29.0)


def test_computed_difference_with_its_formula_counts_as_cited() -> None:
    answer = "增长8.4%[1]；预期目标7%以上[2]。按报告数字计算：8.4% − 7% = 1.4个百分点，即高1.4个百分点。"
    assert numbers_all_cited(answer, ["全年地区生产总值增长8.4%", "预期目标：7%以上"])
    wrong = "增长8.4%[1]；预期目标7%以上[2]。按报告数字计算：8.4% − 7% = 1.3个百分点。"
    assert not numbers_all_cited(wrong, ["全年地区生产总值增长8.4%", "预期目标：7%以上"])


SPAN_CASES = [
    ("全年地区生产总值增长8.4%；", ["8.4%"]),
    ("全年地区生产总值增长８．４％，其中", ["8.4%"]),
    ("普惠率提高1.1个百分点", ["1.1%"]),
    ("普惠率提高1.1%", ["1.1个百分点"]),
    ("总量1,742.6亿元", ["1742.6"]),
    ("总量1742.65亿元", ["1742.6"]),  # a number is never split: no span
    ("地区生产总值（亿元）\n\t7%以上\n\t1742.6", ["地区生产总值(亿元)7%以上1742.6"]),
    ("GDP\tGrowth 8.4", ["gdpgrowth"]),
    ("增长8.4%，增长8.4%", ["增长8.4%"]),  # every occurrence
    ("固定资产投资增长6%，其中工业投资增长8%", ["投资增长6%", "工业投资增长8%", "增长6%，其中工业"]),
    ("", ["8.4%"]),
    ("𠮷野家增长8.4%", ["8.4%"]),  # a character outside the BMP before the span
]


@pytest.mark.parametrize(("text", "quotes"), SPAN_CASES)
def test_evidence_spans_agree_with_contains(text: str, quotes: list[str]) -> None:
    spans = metrics.evidence_spans(text, quotes)
    assert bool(spans) == any(contains(text, q) for q in quotes)
    for (a, b), (c, _) in zip(spans, spans[1:], strict=False):
        assert a < b < c  # sorted, merged, non-empty
    for a, b in spans:  # each span is itself a match of some quote
        assert any(contains(text[a:b], q) for q in quotes), text[a:b]


def test_evidence_spans_by_hand() -> None:
    assert metrics.evidence_spans("增长８．４％，其中", ["8.4%"]) == [(2, 6)]
    assert metrics.evidence_spans("提高1.1个百分点。", ["1.1%"]) == [(2, 9)]  # 个百分点 is part of the span
    assert metrics.evidence_spans("总量1,742.6亿元", ["1742.6"]) == [(2, 9)]
    assert metrics.evidence_spans("甲7%乙7%", ["7%"]) == [(1, 3), (4, 6)]
    assert metrics.evidence_spans("投资增长6%，其中工业投资增长8%", ["投资增长6%", "增长6%，其中"]) == [
        (0, 9)
    ]


def _r(
    answer: str = "", refused: bool = False, cited: tuple[str, ...] = (), retrieved: tuple[str, ...] = ()
) -> dict:
    return {
        "answer": answer,
        "refused": refused,
        "citations": [{"text": t} for t in cited],
        "retrieved": [{"text": t} for t in retrieved],
    }


@pytest.mark.parametrize(
    ("facts", "record", "expected"),
    [
        (["8.4%"], _r("增长8.4%[1]", cited=("增长8.4%",), retrieved=("增长8.4%",)), metrics.PASSED),
        ([], _r("抱歉", refused=True), metrics.PASSED),
        ([], _r("增长8.4%[1]", cited=("增长8.4%",)), metrics.SHOULD_REFUSE),
        (["8.4%"], _r("抱歉", refused=True, retrieved=("增长8.4%",)), metrics.WRONGLY_REFUSED),
        (["8.4%"], _r("增长7%[1]", cited=("增长8.4%",), retrieved=("增长8.4%",)), metrics.WRONG_FACT),
        (["8.4%"], _r("增长8.4%[1]", cited=("甲",), retrieved=("甲", "增长8.4%")), metrics.NOT_CITED),
        (
            ["8.4%"],
            _r("增长8.4%[1]", cited=("甲",), retrieved=("甲", "乙", "丙", "丁", "戊", "增长8.4%")),
            metrics.NOT_RETRIEVED,
        ),
        (["8.4%"], _r("增长7%", cited=(), retrieved=()), metrics.NOT_RETRIEVED),
    ],
)
def test_classify(facts: list[str], record: dict, expected: str) -> None:
    assert metrics.classify(facts, ["增长8.4%"] if facts else [], record) == expected


def test_right_report_share() -> None:
    def row(
        reports: list[str], cited: list[str | None], refused: bool = False, facts: tuple = ("1",)
    ) -> tuple:
        rec = _r("1", refused, tuple("1" for _ in cited), ("1",))
        rec["citations"] = [{"text": "1", **({"report": r} if r else {})} for r in cited]
        return (
            list(facts),
            ["1"],
            {**rec, "expected_reports": reports, "latency_ms": 1.0, "retrieval_ms": None},
        )

    rows = [
        row(["bj.txt"], ["bj.txt"]),  # right
        row(["bj.txt", "gd.txt"], ["gd.txt", "bj.txt"]),  # right: every citation in the reports
        row(["bj.txt"], ["bj.txt", "hn.txt"]),  # one citation from another report
        row(["bj.txt"], [None]),  # citation without a report
        row(["bj.txt"], ["hn.txt"], refused=True),  # refused: not counted
        row([], ["hn.txt"]),  # no reports named: not counted
        row(["bj.txt"], ["hn.txt"], facts=()),  # unanswerable: not counted
    ]
    assert score_group(rows).right_report == 0.5
    assert score_group(rows[4:]).right_report is None


def test_answer_length_excludes_markers_and_the_first_sentence_is_checked_alone() -> None:
    from assistant.metrics import answer_chars, first_sentence_holds

    assert answer_chars("增长8.4%[1]。") == len("增长8.4%。")
    assert first_sentence_holds("增长8.4%[1]。总量1742.6亿元[2]。", ["8.4%"])
    assert not first_sentence_holds("增长8.4%[1]。总量1742.6亿元[2]。", ["8.4%", "1742.6"])
    assert not first_sentence_holds("【甲】增长8.4%[1]。\n【乙】增长5%[2]。", ["5%"])
