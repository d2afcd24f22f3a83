"""Rule-based follow-up condensing."""

from __future__ import annotations

import pytest

from assistant.followup import condense, condense_rule, is_follow_up

pytestmark = pytest.mark.unit

# made-up turns (years and figures of no real report)
GDP_2028 = [("2028年地区生产总值增长多少？", "全年地区生产总值增长6.8%[1]。")]
BUDGET_2028 = [("2028年一般公共预算收入增长多少？", "一般公共预算收入增长12%[1]。")]


def test_new_year_replaces_the_old_one_and_keeps_the_subject() -> None:
    out = condense("那2029年的目标呢？", GDP_2028)
    assert "2029" in out
    assert "地区生产总值" in out
    assert "目标" in out
    assert "2028" not in out


def test_sub_item_keeps_the_parent_subject() -> None:
    out = condense("其中税收收入呢？", BUDGET_2028)
    assert "税收收入" in out
    assert "一般公共预算收入" in out
    assert "2028" in out


def test_self_contained_question_is_unchanged() -> None:
    q = "2029年澜川区计划新开工多少个重点项目？"
    assert not is_follow_up(q)
    assert condense(q, GDP_2028) == q


def test_no_history_leaves_the_question_unchanged() -> None:
    assert condense("那2029年的目标呢？", []) == "那2029年的目标呢？"
    assert condense("其中税收收入呢？", ()) == "其中税收收入呢？"


def test_follow_up_naming_its_own_topic_keeps_only_the_time_frame() -> None:
    out = condense("那城市绿道呢？", GDP_2028, own_topic=lambda text: "绿道" in text)
    assert "城市绿道" in out
    assert "2028年" in out
    assert "地区生产总值" not in out


def test_uses_the_latest_turn() -> None:
    history = [*BUDGET_2028, *GDP_2028]
    out = condense("那2029年的目标呢？", history)
    assert "地区生产总值" in out and "一般公共预算收入" not in out


@pytest.mark.parametrize(
    ("prev", "question", "standalone"),
    [
        ("2029年国有投资类项目有多少个？", "社会投资类的呢？", "2029年社会投资类项目有多少个？"),
        ("2028年城镇居民人均消费支出是多少？", "乡村居民呢？", "2028年乡村居民人均消费支出是多少？"),
    ],
)
def test_a_parallel_item_takes_the_place_of_the_previous_one(
    prev: str, question: str, standalone: str
) -> None:
    assert condense(question, [(prev, "…")]) == standalone


def test_a_part_asked_with_qizhong_is_not_a_parallel_item() -> None:
    out = condense("其中税收收入呢？", [("2028年一般公共预算收入增长多少？", "12%")])
    assert "一般公共预算收入" in out and "税收收入" in out


def test_a_question_opening_on_a_verb_done_keeps_the_previous_subject() -> None:
    history = [("2028年全区城镇新增就业多少人？", "1.6万人")]
    out = condense("完成了年度任务的多少？", history, own_topic=lambda text: True)
    assert "城镇新增就业" in out and "完成了年度任务" in out
    assert is_follow_up("实现了多少？")
    for standalone in ("为了稳就业，2029年有哪些措施？", "除了工业，还有哪些产业？", "了解一下2029年的目标"):
        assert not is_follow_up(standalone)


def test_a_fiscal_year_is_replaced_whole() -> None:
    history = [("2027年度初二女生的首针接种率是多少？", "61%")]
    out = condense("那2028年度的首针接种率呢？", history, own_topic=lambda text: True)
    assert out.startswith("2028年度") and "度的" not in out and "2027" not in out


# -- a question that can stand alone is never merged with the previous one -------------------------
LIBRARY_2022 = [("2022年新建了多少个图书馆分馆？", "8个[1]。")]


def nouns(text: str) -> bool:
    """A stand-in vocabulary: the synthetic questions' topic words."""
    return any(
        w in text for w in ("图书馆", "污水", "充电站", "停车", "景区", "床位", "公交", "游客", "集装箱")
    )


@pytest.mark.parametrize(
    "question",
    [
        "停车位紧张怎么解决？",
        "那停车位紧张怎么解决？",
        "另外，2023年要新建多少座污水处理厂？",
        "还有哪些措施发展公交？",
        "今年景区门票收入能增长10%吗？",
        "How many container terminals will be built?",
        "今年要新建多少个充电站？公交站呢？",  # the part after it refers back to its own question
    ],
)
def test_a_whole_new_question_is_not_glued_to_the_previous_one(question: str) -> None:
    out = condense_rule(question, LIBRARY_2022, own_topic=nouns)
    assert "图书馆" not in out.text and "分馆" not in out.text
    assert out.rule in ("standalone", "own topic")


def test_a_connective_figure_question_is_asked_in_the_previous_time() -> None:
    out = condense_rule("那公交专用道要新增多少公里？", LIBRARY_2022, own_topic=nouns)
    assert out.text == "2022年公交专用道要新增多少公里？" and out.rule == "own topic"
    # a how-question is not bound to the year (its measures may be in the plan part)
    assert condense("那停车位紧张怎么解决？", LIBRARY_2022, own_topic=nouns) == "停车位紧张怎么解决？"


@pytest.mark.parametrize(
    ("question", "standalone", "rule"),
    [
        ("2023年呢？", "2023年新建了多少个图书馆分馆？", "time switch"),
        ("What about 2023?", "2023年新建了多少个图书馆分馆？", "time switch"),
        ("它们的总面积是多少？", "2022年新建了多少个图书馆分馆总面积是多少？", "anaphor"),
        ("完成了吗？", "2022年新建了多少个图书馆分馆，完成了吗？", "subjectless"),
    ],
)
def test_an_elliptical_question_is_completed_from_the_previous_one(
    question: str, standalone: str, rule: str
) -> None:
    out = condense_rule(question, LIBRARY_2022, own_topic=nouns)
    assert (out.text, out.rule) == (standalone, rule)


def test_a_time_switch_keeps_what_the_follow_up_adds() -> None:
    out = condense("那2023年的目标呢？", [("2022年图书馆分馆的藏书量是多少？", "…")], own_topic=nouns)
    assert out == "2023年图书馆分馆的藏书量目标是多少？"


def test_a_pointer_to_a_place_keeps_the_question_and_its_own_year() -> None:
    out = condense("该镇2023年的游客人数是多少？", LIBRARY_2022, own_topic=nouns)
    assert out == "镇2023年的游客人数是多少？"


def test_a_period_replaces_the_year() -> None:
    out = condense("那“十四五”期间呢？", [("2025年新增充电站多少座？", "…")], own_topic=nouns)
    assert out == "“十四五”期间新增充电站多少座？"


def test_a_longer_parallel_term_is_swapped_whole() -> None:
    history = [("2022年智能家电产业同比增长多少？", "…")]
    assert (
        condense("那精密仪器产业呢？", history, own_topic=lambda t: True)
        == "2022年精密仪器产业同比增长多少？"
    )
    # the swap never reaches back over the year or a place-like lead ("2025年甲省交通领域")
    history = [("2025年甲省交通领域投资多少？", "…")]
    assert condense("港口和机场领域呢？", history, own_topic=lambda t: True).startswith("2025年")


def test_an_english_follow_up_of_an_english_question() -> None:
    history = [("How many libraries were built in 2022?", "8")]
    assert condense("What about 2023?", history) == "How many libraries were built in 2023?"
    assert condense("How many bus lanes were opened?", history) == "How many bus lanes were opened?"
    assert condense("那2023年呢？", history) == "How many libraries were built in 2023?"


def test_a_time_that_points_back_takes_the_previous_question_s_time() -> None:
    prev = [("“十九五”期间甲省建成了多少座水库？", "12座")]
    done = condense_rule("同一时期修了多少公里堤防？", prev)
    assert (done.text, done.rule) == ("“十九五”期间修了多少公里堤防？", "same time")
    assert (
        condense_rule("那一年新建了多少个站点？", [("2031年建成了几座桥？", "3座")]).text
        == "2031年新建了多少个站点？"
    )
    assert (
        condense_rule("同一时期修了多少公里堤防？", [("甲省建成了多少座水库？", "12座")]).rule != "same time"
    )
