"""Answers from the real assistant (bundled e5 embedder) on the synthetic report of tests/data, for
behaviour the hashing fake cannot show."""

from __future__ import annotations

import re

import pytest

from assistant.pipeline import Assistant

pytestmark = pytest.mark.integration


@pytest.mark.xfail(
    strict=True,
    reason="bug: after a result, 目标是多少？ quotes the result sentence again; the 预期目标 cell of the "
    "table row is retrieved second and not quoted (passed on the bundled report only because its row "
    "happened to rank first)",
)
def test_asking_for_the_target_after_a_result_gets_the_target(synthetic_real_assistant: Assistant) -> None:
    ans = synthetic_real_assistant.ask("目标是多少？", [("2028年地区生产总值增长多少？", "6.8%")])
    assert not ans.refused
    assert "6.5%以上" in ans.text, ans.text  # 表1's 预期目标, not only the result again


def test_a_prose_passage_outranks_the_table_row_repeating_its_figure(
    synthetic_real_assistant: Assistant,
) -> None:
    retriever = synthetic_real_assistant.retriever
    passages = retriever.search(retriever.understand("2028年地区生产总值增长多少？"))
    assert passages[0].chunk.kind != "table_row"
    assert any(p.chunk.kind == "table_row" for p in passages)  # the row is still there, lower down


def test_one_item_of_a_list_asked_about_by_name_gets_that_item(synthetic_real_assistant: Assistant) -> None:
    ans = synthetic_real_assistant.ask("2029年绿色食品产业重点发展哪些领域？")
    assert not ans.refused
    assert "预制菜" in ans.text, ans.text


def test_one_item_of_a_list_asked_about_by_name_gets_that_item_not_the_list(
    synthetic_real_assistant: Assistant,
) -> None:
    ans = synthetic_real_assistant.ask("2029年电子元件产业重点发展哪些领域？")
    assert not ans.refused
    assert "片式电容" in ans.text, ans.text
    assert "新型建材产业" not in ans.text and "生物医药产业" not in ans.text  # not the other items


def test_a_count_asked_in_a_measure_word_prefers_the_sentence_counting_in_it(
    synthetic_real_assistant: Assistant,
) -> None:
    ans = synthetic_real_assistant.ask("2028年新开办了几所公办幼儿园？")
    assert not ans.refused
    assert "集团12个" not in ans.text, ans.text  # not the sentence that counts in 个
    assert re.search(r"\d+所", ans.text), ans.text
