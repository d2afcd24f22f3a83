"""Answers from the real assistant (bundled e5 embedder), for behaviour the hashing fake cannot show."""

from __future__ import annotations

import re

import pytest

from tests.webfixtures import real_assistant

pytestmark = pytest.mark.integration


def test_asking_for_the_target_after_a_result_gets_the_target() -> None:
    ans = real_assistant().ask("目标是多少？", [("2023年地区生产总值增长多少？", "8.1%")])
    assert not ans.refused
    assert "7%以上" in ans.text, ans.text  # 表1's 预期目标, not only the result again


def test_a_prose_passage_outranks_the_table_row_repeating_its_figure() -> None:
    passages = real_assistant().retriever.search(
        real_assistant().retriever.understand("2023年地区生产总值增长多少？")
    )
    assert passages[0].chunk.kind != "table_row"
    assert any(p.chunk.kind == "table_row" for p in passages)  # the row is still there, lower down


def test_one_item_of_a_list_asked_about_by_name_gets_that_item_not_the_list() -> None:
    ans = real_assistant().ask("2024年生物医药及大健康产业重点发展哪些领域？")
    assert not ans.refused
    assert "生物制剂" in ans.text, ans.text
    assert "消费品产业" not in ans.text  # not the names of the other items


def test_a_count_asked_in_a_measure_word_prefers_the_sentence_counting_in_it() -> None:
    ans = real_assistant().ask("2023年新开办了几所公办幼儿园？")
    assert not ans.refused
    assert "集团18个" not in ans.text, ans.text  # not the sentence that counts in 个
    assert re.search(r"\d+所", ans.text), ans.text
