"""What a report defines about itself (abbreviations, quoted and table names), on made-up passages."""

from __future__ import annotations

import pytest

from assistant.definitions import Definitions, abbreviations_in, name_before, names_in
from assistant.keyword import KeywordIndex, Tokenizer, user_terms
from assistant.types import PROSE, TABLE_ROW, Chunk

pytestmark = pytest.mark.unit


def chunk(cid: str, text: str, kind: str = PROSE) -> Chunk:
    return Chunk(cid, text, ("概况",), "plan", kind, 0, len(text), 30)


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        (
            "我们编制了《青山县水网建设三年行动方案》（以下简称《行动方案》），请审议。",
            ("行动方案", "青山县水网建设三年行动方案"),
        ),
        ("推进绿谷湿地保护修复工程（简称“绿谷工程”）建设。", ("绿谷工程", "推进绿谷湿地保护修复工程")),
        ("“两翼计划”：是“山区产业与人才两翼振兴计划”的简称。", ("两翼计划", "山区产业与人才两翼振兴计划")),
        ("对接区域果蔬贸易协定（RFTA）规则。", ("RFTA", "对接区域果蔬贸易协定")),
        ("“滨江走廊建设行动”，简称“滨江行动”，今年启动。", ("滨江行动", "滨江走廊建设行动")),
    ],
)
def test_spelled_out_abbreviations_are_read(text: str, pair: tuple[str, str]) -> None:
    assert pair in list(abbreviations_in([text]))


def test_a_bracket_that_is_not_an_abbreviation_is_not_read() -> None:
    assert list(abbreviations_in(["建设东环高速（青山段），完成投资（亿元）12。"])) == []


def test_the_name_before_a_bracket_is_the_titled_name_or_the_characters_before_it() -> None:
    text = "印发《甲乙丙方案》（简称）"
    assert name_before(text, text.index("（")) == "甲乙丙方案"
    assert name_before("，河湖长制（", 5) == "河湖长制"
    assert name_before("（", 0) == ""


def test_names_are_quoted_names_and_the_indicator_column_of_tables() -> None:
    chunks = [
        chunk("a", "全面推行“三清一改”整治，打造“青山好礼”品牌。"),
        chunk("t", "表1 主要指标｜指标：城镇登记待业率（%）｜目标：4以内", TABLE_ROW),
    ]
    assert set(names_in(chunks)) == {"三清一改", "青山好礼", "城镇登记待业率"}


def _definitions(texts: list[str], kinds: list[str] | None = None) -> Definitions:
    chunks = [chunk(f"c{i}", t, (kinds or [PROSE] * len(texts))[i]) for i, t in enumerate(texts)]
    tokenizer = Tokenizer(user_terms(chunks))
    keyword = KeywordIndex(chunks, tokenizer)
    return Definitions.of(chunks, tokenizer, keyword.words.postings)


def test_each_form_of_an_abbreviation_expands_to_the_other() -> None:
    d = _definitions(
        ["编制《青山县水网建设三年行动方案》（以下简称《行动方案》）。", "行动方案提出新建水库3座。"]
    )
    assert ("行动方案", "青山县水网建设三年行动方案") in d.matched("行动方案里要建几座水库？")
    assert d.matched("青山县水网建设三年行动方案要建几座水库？") == (
        ("青山县水网建设三年行动方案", "行动方案"),
    )


def test_an_english_abbreviation_matches_only_as_a_whole_word() -> None:
    d = _definitions(["对接区域果蔬贸易协定（RFTA）规则。"])
    assert d.matched("RFTA是什么？")[0][1] == "对接区域果蔬贸易协定"
    assert d.matched("RFTAX是什么？") == ()


def test_a_part_used_only_inside_one_name_stands_for_it_a_part_used_elsewhere_does_not() -> None:
    d = _definitions(
        [
            "表1 主要指标｜指标：城镇登记待业率（%）｜目标：4以内",
            "城镇登记待业率控制在4%以内。",
            "加强“社区老人食堂”建设，关爱老人。",
            "老人优待政策全面落实。",
        ],
        [TABLE_ROW, PROSE, PROSE, PROSE],
    )
    assert ("待业率", "城镇登记待业率") in d.matched("待业率控制在多少？")
    assert all(e != "社区老人食堂" for _, e in d.matched("给老人办了什么？"))  # 老人: everywhere in it


def test_a_whole_name_in_the_question_is_not_expanded() -> None:
    d = _definitions(
        ["城镇登记待业率控制在4%以内。", "表1｜指标：城镇登记待业率｜目标：4", "待业率数据"],
        [PROSE, TABLE_ROW, PROSE],
    )
    assert d.matched("城镇登记待业率是多少？") == ()


def test_a_report_that_defines_nothing_expands_nothing() -> None:
    assert _definitions(["全年新建公园3个。"]).matched("新建了几个公园？") == ()
