"""Questions that ask several things in turn: split into parts, each asked on its own, answers joined."""

from __future__ import annotations

import pytest

from assistant.combine import with_parts
from assistant.followup import carried
from assistant.pipeline import Assistant
from assistant.query import asked_parts
from assistant.types import Answer, Citation


@pytest.mark.unit
@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("2028年新增几所幼儿园？学位多少个？", ["2028年新增几所幼儿园？", "学位多少个？"]),
        ("新增几所幼儿园？学位多少个？书房呢？", ["新增几所幼儿园？", "学位多少个？", "书房呢？"]),
        ("孩子明年上学，新增几所幼儿园？", ["孩子明年上学，新增几所幼儿园？"]),  # a lead-in clause
        ("新增几所幼儿园？", ["新增几所幼儿园？"]),
        ("我想问一下？新增几所幼儿园？", ["我想问一下？新增几所幼儿园？"]),  # a piece that asks nothing
    ],
)
def test_a_question_is_split_into_the_parts_that_ask(text: str, parts: list[str]) -> None:
    assert asked_parts(text) == parts


@pytest.mark.unit
def test_a_later_part_carries_the_time_and_things_of_the_part_before() -> None:
    assert carried("2028年新增几所幼儿园？", "学位多少个？", []) == "2028年学位多少个？"
    assert carried("2028年新增几所幼儿园？", "2029年呢？", ["幼儿园"]) == "幼儿园2029年呢？"
    assert carried("新增几所幼儿园？", "幼儿园学位多少？", ["幼儿园"]) == "幼儿园学位多少？"  # said already


def _cite(n: int, text: str) -> Citation:
    return Citation(n, f"c{n}", "一", text, (0, len(text)))


@pytest.mark.unit
def test_parts_add_only_what_the_whole_answer_does_not_say() -> None:
    whole = Answer("新增幼儿园4所[1]。", (_cite(1, "新增幼儿园4所"),), question="q")
    same = Answer("新增幼儿园4所[1]。", (_cite(1, "新增幼儿园4所"),))
    new = Answer("新建书房5个[1]。", (_cite(1, "新建书房5个"),))
    refused = Answer("抱歉", refused=True)
    out = with_parts(whole, [same, refused, new])
    assert out.text == "新增幼儿园4所[1]。\n新建书房5个[2]。"
    assert [c.n for c in out.citations] == [1, 2]
    assert out.citations[1].text == "新建书房5个"


@pytest.fixture(scope="module")
def assistant(synthetic_assistant: Assistant) -> Assistant:
    return synthetic_assistant


@pytest.mark.integration
def test_each_part_of_a_question_is_answered(assistant: Assistant) -> None:
    ans = assistant.ask("2028年新增了几所公办幼儿园？2029年呢？")  # the second part: 2029's kindergartens
    assert not ans.refused, ans.text
    assert "4所" in ans.text and "3所" in ans.text
    assert len(ans.citations) == 2


@pytest.mark.integration
def test_a_question_refused_whole_is_answered_by_its_parts_if_each_answers(assistant: Assistant) -> None:
    ans = assistant.ask("2028年发放消费券多少钱？2029年要新建几个城市书房？")
    assert not ans.refused, ans.text
    assert "3000万元" in ans.text and "5个" in ans.text
    assert assistant.ask(
        "2028年全区常住人口多少？2029年要新建几个城市书房？"
    ).refused  # one part is not covered
