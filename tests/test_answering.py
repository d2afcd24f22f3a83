"""Extractive answering end to end on the synthetic report of tests/data (fake embedder, built once per session)."""

from __future__ import annotations

import dataclasses
import re

import pytest

from assistant.answering import Sentence, list_units, parallel_units
from assistant.metrics import first_sentence_holds
from assistant.pipeline import Assistant
from assistant.query import understand
from assistant.types import LIST_ITEM, PROSE, TABLE_ROW, Answer, Chunk, Document, Passage, QuestionError
from assistant.verification import find_computed, markers, verify_answer

pytestmark = pytest.mark.integration

CJK = re.compile(r"[\u4e00-\u9fff]")
SEGMENT = re.compile(r"(.*?)\[(\d+)\]", re.S)


@pytest.fixture
def assistant(synthetic_assistant: Assistant) -> Assistant:
    return synthetic_assistant


def cited(answer: Answer) -> dict[int, str]:
    return {c.n: f"{c.section}\n{c.text}" for c in answer.citations}


def assert_grounded(answer: Answer) -> None:
    """Every marker has a citation, and each marked piece's numbers are in the passage it cites."""
    sources = cited(answer)
    used = markers(answer.text)
    assert used, answer.text
    assert set(used) <= set(sources), (used, sorted(sources))
    assert {c.n for c in answer.citations} <= set(used)  # no citation goes unused
    assert verify_answer(answer.text, sources) == []
    for piece, n in SEGMENT.findall(answer.text):  # stricter: each piece against its own marker only
        assert verify_answer(f"{piece}[{n}]", {int(n): sources[int(n)]}) == [], (piece, n)


# -- factual answers -----------------------------------------------------------------------------


def test_review_year_figure(assistant: Assistant) -> None:
    ans = assistant.ask("2028年地区生产总值增长多少？")
    assert not ans.refused
    assert "6.8%" in ans.text
    assert_grounded(ans)
    assert ans.standalone_question == "2028年地区生产总值增长多少？"
    for c in ans.citations:
        assert c.text[c.span[0] : c.span[1]].strip()  # the span is inside the passage


def test_plan_year_target(assistant: Assistant) -> None:
    ans = assistant.ask("2029年地区生产总值增长目标是多少？")
    assert not ans.refused
    assert "6%左右" in ans.text
    assert_grounded(ans)


# -- comparisons -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "a", "b", "diff", "n_citations"),
    [
        ("2028年一般公共预算收入增速比税收收入增速高多少？", "12%", "7%", "5个百分点", 1),
        ("2028年地区生产总值增长比2029年目标高多少？", "6.8%", "6%", "0.8个百分点", 2),
        ("2028年规上工业增加值增速比2029年目标高多少？", "9.6%", "8%", "1.6个百分点", 2),
    ],
)
def test_comparison_computes_the_difference(
    assistant: Assistant, question: str, a: str, b: str, diff: str, n_citations: int
) -> None:
    ans = assistant.ask(question)
    assert not ans.refused
    assert re.search(rf"{re.escape(a)}\s*[−-]\s*{re.escape(b)}\s*=\s*{re.escape(diff)}", ans.text), ans.text
    assert diff in find_computed(ans.text)
    assert 1 <= len(ans.citations) <= max(n_citations, 2)  # one passage may hold both figures
    sources = cited(ans)
    # both figures are in the cited passages; the quoted part (before the arithmetic) checks out
    quoted = ans.text.split("按报告数字计算")[0]
    assert verify_answer(quoted, sources) == []
    joined = "\n".join(sources.values())
    assert a in joined and b in joined


# -- refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["澜川文化馆馆长是谁？", "2030年地区生产总值目标是多少？"])
def test_unanswerable_is_refused_with_suggestions(assistant: Assistant, question: str) -> None:
    ans = assistant.ask(question)
    assert ans.refused
    assert not ans.citations
    assert "[" not in ans.text
    assert 1 <= len(ans.suggestions) <= 3
    sections = {c.section for c in assistant.index.chunks}
    assert set(ans.suggestions) <= sections
    assert len(set(ans.suggestions)) == len(ans.suggestions)


# -- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "   \n\t ", "问" * 501, None, 42])
def test_validate_rejects_with_a_chinese_message(assistant: Assistant, bad: object) -> None:
    with pytest.raises(QuestionError) as e:
        assistant.validate(bad)
    assert CJK.search(str(e.value))
    with pytest.raises(QuestionError):
        assistant.ask(bad)  # type: ignore[arg-type]


def test_validate_accepts_the_limit_and_strips(assistant: Assistant) -> None:
    assert assistant.validate("问" * 500) == "问" * 500
    assert assistant.validate("  地区生产总值增长多少？ \n") == "地区生产总值增长多少？"


# -- follow-ups ------------------------------------------------------------------------------------


def test_follow_up_uses_history(assistant: Assistant) -> None:
    ans = assistant.ask("那2029年的目标呢？", [("2028年地区生产总值增长多少？", "6.8%")])
    assert "2029" in ans.standalone_question
    assert "地区生产总值" in ans.standalone_question
    assert "2028" not in ans.standalone_question
    assert ans.question == "那2029年的目标呢？"
    assert not ans.refused
    assert "6%左右" in ans.text
    assert_grounded(ans)


def test_stream_without_llm_yields_the_extractive_answer(assistant: Assistant) -> None:
    items = list(assistant.stream("2029年地区生产总值增长目标是多少？"))
    assert len(items) == 1 and isinstance(items[0], Answer)
    assert "6%左右" in items[0].text


# -- starters, health, context ----------------------------------------------------------------------


def test_starter_questions_are_all_answered(assistant: Assistant) -> None:
    groups = assistant.starter_questions()
    assert groups
    for name, questions in groups.items():
        assert name and questions, name
        for q in questions:
            ans = assistant.ask(q)
            assert not ans.refused, q
            assert ans.citations, q


def test_starter_questions_have_balanced_quotes(assistant: Assistant) -> None:
    for questions in assistant.starter_questions().values():
        for q in questions:
            assert q.count("“") == q.count("”"), q


def test_health(assistant: Assistant, synthetic_doc: Document) -> None:
    h = assistant.health()
    assert h["status"] == "ok"
    assert h["chunks"] == len(assistant.index.chunks) > 0
    assert h["embedder"] and "hash" in str(h["embedder"])
    assert h["corpus_sha256"] == synthetic_doc.sha256
    assert h["mode"] == "extractive"


def test_context_returns_the_report_text_around_a_prose_chunk(
    assistant: Assistant, synthetic_doc: Document
) -> None:
    chunk = next(c for c in assistant.index.chunks if c.kind == PROSE and "规上工业总产值" in c.text)
    before, passage, after = assistant.context(chunk.id)
    text = synthetic_doc.text
    assert passage == text[chunk.start : chunk.end]
    assert passage == chunk.text
    assert before == text[max(0, chunk.start - 240) : chunk.start] and before
    assert after == text[chunk.end : chunk.end + 240] and after
    assert assistant.context(chunk.id, chars=10)[0] == text[chunk.start - 10 : chunk.start]


def test_context_of_unknown_chunk_is_empty(assistant: Assistant) -> None:
    assert assistant.context("no-such-chunk") == ("", "", "")


def test_a_list_question_gets_the_list_by_its_item_names(assistant: Assistant) -> None:
    ans = assistant.ask("两大支柱产业集群包括哪些？")
    assert not ans.refused
    assert "智能装备产业" in ans.text and "绿色食品产业" in ans.text
    assert len(ans.text) < 120  # item names, not the items' whole paragraphs
    assert "工业机器人" not in ans.text
    box = assistant.ask("专栏3的安全稳定重点事项包括哪几个方面？")  # a box's items are its lead-ins
    assert all(k in box.text for k in ("防汛抗旱", "食品药品安全", "社会治理"))
    assert "山洪" not in box.text


def test_a_question_matching_the_label_that_opens_a_list_gets_the_list(assistant: Assistant) -> None:
    ans = assistant.ask("2029年的两大支柱产业集群是哪两个？")  # not a 哪些 question, but the label answers
    assert not ans.refused
    assert "智能装备产业" in ans.text and "绿色食品产业" in ans.text


def test_a_question_about_one_item_of_a_list_gets_that_item(assistant: Assistant) -> None:
    ans = assistant.ask("绿色食品产业重点发展哪些方向？")
    assert "茶叶精深加工" in ans.text and "预制菜" in ans.text


def _list_passage(text: str) -> Passage:
    chunk = Chunk("c1", text, ("产业集群",), "plan", LIST_ITEM, 0, len(text), 30)
    return Passage(chunk, 1.0)


def test_a_list_is_answered_by_its_item_names() -> None:
    p = _list_passage("1.电子信息产业：建成一批项目。\n2.消费品产业：开工建设二期。")
    units = list_units(Sentence(0, p.chunk.text, 0, 1.0, 1.0), [p])
    assert units[0].text == "1.电子信息产业；2.消费品产业"


def test_a_lone_list_item_is_answered_in_full_not_by_its_name() -> None:
    p = _list_passage("3.生物医药产业：建成医药中间体生产基地、医疗器械孵化园一期等项目。")
    units = list_units(Sentence(0, p.chunk.text, 0, 1.0, 1.0), [p])
    assert "医疗器械孵化园一期" in units[0].text


def test_a_new_question_after_another_is_not_taken_as_a_follow_up(assistant: Assistant) -> None:
    history = [("2029年固定资产投资增长目标是多少？", "7%")]
    for question in ("2028年接待游客多少人次？", "两大支柱产业集群包括哪些？"):
        ans = assistant.ask(question, history)
        assert ans.standalone_question == question
        assert not ans.refused


def test_a_year_the_report_gives_no_figure_for_is_refused_not_answered_with_the_other_year(
    assistant: Assistant,
) -> None:
    ans = assistant.ask("那2029年呢？", [("2028年接待游客多少人次？", "1860.5万人次")])
    assert "2029" in ans.standalone_question
    assert ans.refused, ans.text


def test_comparison_states_the_relation_in_the_question_s_order(assistant: Assistant) -> None:
    ans = assistant.ask("2029年地区生产总值增长目标比2028年实际增速低多少？")
    assert "即6%比6.8%低0.8个百分点" in ans.text, ans.text
    assert first_sentence_holds(ans.text, ["0.8个百分点"])  # one sentence: both figures, then the difference


MANY = "主要目标是：甲产值增长6%，乙产量增长4%左右，丙投资增长9%，丁收入增长5%，戊总额增长3%。"


def _plan_passage(text: str) -> Passage:
    return Passage(Chunk("m", text, ("发展目标",), "plan", PROSE, 0, len(text), 40), 1.0)


def test_one_figure_asked_of_a_sentence_of_many_is_answered_by_its_clause_with_the_year(
    assistant: Assistant,
) -> None:
    ex = assistant.extractive
    query = assistant.retriever.understand("丙投资的增长目标是多少？")
    ans = ex.answer(query, [_plan_passage(MANY)], (2030, 2031))
    assert ans.text == "2031年，丙投资增长9%[1]。"  # the year from the plan part; the card keeps the sentence
    c = ans.citations[0]
    assert c.text == MANY and c.text[c.span[0] : c.span[1]] == "丙投资增长9%"


def test_a_question_asking_two_things_is_answered_by_the_clauses_of_both(assistant: Assistant) -> None:
    ex = assistant.extractive
    query = assistant.retriever.understand("丙投资增长多少？丁收入增长多少？")
    ans = ex.answer(query, [_plan_passage(MANY)], (2030, 2031))
    assert ans.text == "2031年，丙投资增长9%，丁收入增长5%[1]。", ans.text
    assert ans.citations[0].text == MANY  # the card keeps the whole sentence


def test_with_clause_pointing_off_the_whole_sentence_answers(assistant: Assistant) -> None:
    from assistant.answering import ExtractiveAnswerer

    ex = assistant.extractive
    off = ExtractiveAnswerer(ex.keyword, ex.policy.with_values({"sentences": {"point_clauses": 0}}))
    query = assistant.retriever.understand("丙投资的增长目标是多少？")
    ans = off.answer(query, [_plan_passage(MANY)], (2030, 2031))
    assert MANY.rstrip("。") in ans.text and ans.rule == "answer: best sentences", ans.text
    assert ex.answer(query, [_plan_passage(MANY)], (2030, 2031)).rule == "answer: the clauses asked about"


TARGETS = "主要目标是：地区生产总值增长6%，社会消费品零售总额增长6.5%，一般公共预算收入增长12%。"


def test_when_two_runs_name_the_question_alike_the_whole_sentence_answers(assistant: Assistant) -> None:
    # only "增长" is asked: every clause names it as well, so no clause is singled out
    query = assistant.retriever.understand("主要目标增长多少？")
    ans = assistant.extractive.answer(query, [_plan_passage(MANY)], (2030, 2031))
    assert "甲产值增长6%" in ans.text and "戊总额增长3%" in ans.text, ans.text


SIBLINGS = (
    "主要目标是：经济增长5%左右，乙收入增长4%左右，丙收入增长与经济增长同步，丁产量300万吨以上、力争更多增长，"
    "单位地区生产总值能耗降低目标与上级考核目标统筹衔接。"
)


@pytest.mark.parametrize(
    ("question", "sentence", "quoted", "not_quoted"),
    [
        # 社零 is cut into 社/零; through its alias it still names 社会消费品零售总额's clause, not the first one
        ("社零的增长目标是多少？", TARGETS, "社会消费品零售总额增长6.5%", "地区生产总值"),
        # "丙收入增长与经济增长同步" measures 丙收入 against 经济增长 (its standard), and the clauses after it
        # name 生产总值 (经济增长's alias) only in passing: the 300万吨 there is not the growth asked about
        ("2031年经济增长多少？", SIBLINGS, "经济增长5%左右", "300万吨"),
        # "丙收入增长与经济增长同步" is 丙收入's target: the 4% of 乙收入 before it is not quoted with it
        ("2031年丙收入要增长多少？", SIBLINGS, "丙收入增长与经济增长同步", "4%"),
        # "分别是多少" asks for figures, not an enumeration: the clause is pointed at as for one figure
        ("乙收入增长目标分别是多少？", SIBLINGS, "乙收入增长4%左右", "300万吨"),
    ],
)
def test_a_figure_is_quoted_from_the_clause_that_names_what_it_measures(
    assistant: Assistant, question: str, sentence: str, quoted: str, not_quoted: str
) -> None:
    query = assistant.retriever.understand(question)
    ans = assistant.extractive.answer(query, [_plan_passage(sentence)], (2030, 2031))
    assert quoted in ans.text and not_quoted not in ans.text, ans.text


FRAMED = "城乡融合：加快推动甲区国家城乡融合发展试验区建设，统筹推进“2+4”项改革。"


def test_a_question_asking_what_is_answered_by_the_clause_naming_a_new_thing(assistant: Assistant) -> None:
    # "统筹推进“2+4”项改革" only repeats the question; the framework asked for is in the clause before it
    query = assistant.retriever.understand("“2+4”项改革是在什么框架下推进的？")
    ans = assistant.extractive.answer(query, [_plan_passage(FRAMED)], (2030, 2031))
    assert "城乡融合发展试验区" in ans.text, ans.text


LABELLED = "能源：加快推动甲气勘探开发利用，启动国家级示范区创建工作，全年新增产气井40口左右，日产气达到700万方以上。"


def test_a_long_sentence_is_answered_by_its_asked_clauses_after_the_label_naming_them(
    assistant: Assistant,
) -> None:
    ex = assistant.extractive
    query = assistant.retriever.understand("能源方面要新增多少口产气井？日产气达到多少？")
    ans = ex.answer(query, [_plan_passage(LABELLED)], (2030, 2031))
    assert ans.text == "2031年，能源：全年新增产气井40口左右，日产气达到700万方以上[1]。", ans.text
    c = ans.citations[0]
    assert (
        c.text[c.span[0] : c.span[1]] == "全年新增产气井40口左右，日产气达到700万方以上"
    )  # highlighted on the card
    assert first_sentence_holds(ans.text, ["40口左右", "700万方以上"])


def test_a_list_question_keeps_the_enumeration_and_drops_the_rest(assistant: Assistant) -> None:
    ex = assistant.extractive
    text = "要持续推进甲式招商、乙式招商、丙式招商等，加大高端高新项目引进力度，做好全流程全生命周期服务。"
    query = assistant.retriever.understand("要推进哪些招商方式？")
    ans = ex.answer(query, [_plan_passage(text)], (2030, 2031))
    assert "甲式招商、乙式招商、丙式招商" in ans.text and "全生命周期" not in ans.text, ans.text


ROW = "表9 主要指标表｜主要指标：甲产值（亿元）｜预期目标：6%以上｜完成情况-总量：321.5｜完成情况-增速（%）：7.2"


def test_a_table_row_is_answered_by_its_name_and_the_cell_asked(assistant: Assistant) -> None:
    ex = assistant.extractive
    row = Passage(Chunk("t", ROW, ("表9 主要指标表",), "review", TABLE_ROW, 0, len(ROW), 40), 1.0)
    query = assistant.retriever.understand("甲产值总量是多少亿元？")
    ans = ex.answer(query, [row], (2030, 2031))
    assert ans.text == "主要指标：甲产值（亿元），完成情况-总量：321.5亿元[1]。", ans.text
    c = ans.citations[0]
    assert c.text[c.span[0] : c.span[1]] == "完成情况-总量：321.5"
    query = assistant.retriever.understand("甲产值的预期目标是多少？")
    assert "预期目标：6%以上" in ex.answer(query, [row], (2030, 2031)).text


def test_the_same_fact_is_not_quoted_twice(assistant: Assistant) -> None:
    ex = assistant.extractive
    one = _plan_passage("甲产值增长6%，乙产量增长4%左右。")
    two = Passage(Chunk("n", "甲产值增长6%。", ("发展目标",), "plan", PROSE, 0, 8, 10), 0.99)
    query = assistant.retriever.understand("甲产值增长多少？")
    ans = ex.answer(query, [one, two], (2030, 2031))
    assert ans.text.count("甲产值增长6%") == 1, ans.text  # the same fact is not said twice


def test_what_a_section_says_is_answered_from_its_opening(assistant: Assistant) -> None:
    ans = assistant.ask("“文旅消费加快复苏”部分讲了什么？")
    assert not ans.refused
    assert "接待游客" in ans.text  # the paragraph's first sentence
    assert ans.citations[0].section.endswith("文旅消费加快复苏")


def test_a_lone_character_is_joined_to_the_word_before_it_when_the_report_uses_the_whole(
    assistant: Assistant,
) -> None:
    query = assistant.retriever.understand("发放了多少消费券？")
    terms = assistant.extractive.query_terms(query)
    assert ("消费券",) in terms  # jieba splits it into 消费/券


def test_sentences_opening_alike_are_a_list_by_their_first_clauses() -> None:
    text = "污染防治：紧盯蓝天保卫战，力争优良天数达310天。紧盯碧水攻坚战，确保水质达标。紧盯净土保卫战，推进治理。"
    chunk = Chunk("c1", text, ("污染防治",), "plan", PROSE, 0, len(text), 40)
    p = Passage(chunk, 1.0)
    first = text.split("。")[0] + "。"
    units = parallel_units(Sentence(0, first, 0, 1.0, 1.0), [p])
    assert [u.text for u in units] == ["紧盯蓝天保卫战", "紧盯碧水攻坚战", "紧盯净土保卫战"]
    assert all(text[u.start : u.start + len(u.text)] == u.text for u in units)  # spans point into the passage
    two = "紧盯蓝天保卫战，力争优良天数达310天。紧盯碧水攻坚战，确保水质达标。"
    p2 = Passage(Chunk("c2", two, ("污染防治",), "plan", PROSE, 0, len(two), 30), 1.0)
    assert parallel_units(Sentence(0, two.split("。")[0] + "。", 0, 1.0, 1.0), [p2]) == []  # two is no list
    listed = "建成甲、乙、丙三个园区。建成丁园区。建成戊园区。"
    p3 = Passage(Chunk("c3", listed, ("园区",), "plan", PROSE, 0, len(listed), 30), 1.0)
    assert parallel_units(Sentence(0, "建成甲、乙、丙三个园区。", 0, 1.0, 1.0), [p3]) == []  # listed inside


def test_a_topic_sentence_followed_by_sentences_opening_alike_is_answered_by_them() -> None:
    # "发展甲经济，…。发展乙经济，…" after the one-clause topic sentence are its items
    text = (
        "培育新型经济形态。发展甲经济，支持总部扩大投资。发展乙经济，支持平台发展。发展丙经济，提供适老产品。"
    )
    p = Passage(Chunk("c1", text, ("产业",), "plan", PROSE, 0, len(text), 40), 1.0)
    units = parallel_units(Sentence(0, "培育新型经济形态。", 0, 1.0, 1.0), [p])
    assert [u.text for u in units] == ["发展甲经济", "发展乙经济", "发展丙经济"]
    assert all(text[u.start : u.start + len(u.text)] == u.text for u in units)
    # a topic sentence stating a figure, or of two clauses, is an answer of its own
    stated = "新增就业2万人。发展甲经济，支持总部。发展乙经济，支持平台。发展丙经济，提供产品。"
    p2 = Passage(Chunk("c2", stated, ("产业",), "plan", PROSE, 0, len(stated), 40), 1.0)
    assert parallel_units(Sentence(0, "新增就业2万人。", 0, 1.0, 1.0), [p2]) == []


def test_a_year_is_said_once_for_the_parts_of_an_answer_about_it(assistant: Assistant) -> None:
    from assistant.answering import compose

    text = (
        "培育新型经济形态。发展甲经济，支持总部扩大投资。发展乙经济，支持平台发展。发展丙经济，提供适老产品。"
    )
    p = Passage(Chunk("c1", text, ("产业",), "plan", PROSE, 0, len(text), 40), 1.0)
    units = parallel_units(Sentence(0, "培育新型经济形态。", 0, 1.0, 1.0), [p])
    query = assistant.retriever.understand("新型经济形态有哪些？")
    ans = compose(query, units, [p], (2030, 2031))
    assert ans.text == "2031年，发展甲经济[1]；发展乙经济[1]；发展丙经济[1]。", ans.text


def test_a_term_of_a_glossary_is_answered_by_its_explanation_not_the_whole_list(assistant: Assistant) -> None:
    text = "1.“三好道路”：\n\n指建好、管好、护好道路。\n2.甲乙“两网融合”：\n\n指甲网和乙网的融合。\n3.“四新”：指新技术、新产业。"
    p = Passage(Chunk("g", text, ("名词解释",), "general", LIST_ITEM, 0, len(text), 60), 1.0)
    query = assistant.retriever.understand("甲乙“两网融合”指的是哪两网？")
    ans = assistant.extractive.answer(query, [p], (2030, 2031))
    assert ans.text == "2.甲乙“两网融合”：指甲网和乙网的融合[1]。", ans.text
    c = ans.citations[0]
    assert (
        c.text[c.span[0] : c.span[1]] == "2.甲乙“两网融合”：\n\n指甲网和乙网的融合。"
    )  # highlighted on the card


def test_a_glossary_term_quoted_second_is_quoted_with_its_explanation(assistant: Assistant) -> None:
    """The plan sentence naming the term ranks first; the annex item quoted after it says what it is."""
    plan = "2031年，做好甲乙“两网融合”，推进城乡发展。"
    annex = "1.“三好道路”：\n\n指建好、管好、护好道路。\n2.甲乙“两网融合”：\n\n指甲网和乙网的融合。"
    passages = [
        Passage(Chunk("p", plan, ("工作安排",), "plan", PROSE, 0, len(plan), 30), 1.0),
        Passage(Chunk("g", annex, ("名词解释",), "general", LIST_ITEM, 0, len(annex), 60), 0.9),
    ]
    query = assistant.retriever.understand("报告里的甲乙“两网融合”具体是哪两网？")
    ans = assistant.extractive.answer(query, passages, (2030, 2031))
    assert "指甲网和乙网的融合" in ans.text, ans.text


def test_an_everyday_word_s_report_term_steers_which_sentence_is_quoted(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def passage(cid: str, text: str) -> Passage:
        return Passage(Chunk(cid, text, ("农业",), "plan", PROSE, 0, len(text), 30), 1.0)

    ex = assistant.extractive
    query = assistant.retriever.understand("今年的茶园面积要达到多少？")  # 茶园: the report says 茶叶
    passages = [passage("a", "蔬菜种植面积达到25万亩。"), passage("b", "茶叶种植面积达到8.6万亩。")]
    assert "8.6万亩" in ex.rank_sentences(query, passages)[0].text
    with monkeypatch.context() as m:
        m.setattr(ex, "weights", dataclasses.replace(ex.weights, everyday_credit=0.0))
        ex._terms.cache_clear()
        assert "25万亩" in ex.rank_sentences(query, passages)[0].text  # without it, the first passage wins
    ex._terms.cache_clear()  # the assistant is shared by the session


@pytest.mark.integration
def test_a_formal_word_the_report_never_uses_weighs_most_an_everyday_one_little(assistant: Assistant) -> None:
    from assistant.query import understand

    ex = assistant.extractive
    years = assistant.first.view.years

    def weight(question: str, word: str) -> float:
        terms = ex.query_terms(understand(question, years))
        return next(w for alts, w in terms.items() if alts == (word,))

    assert weight("全区常住人口有多少？", "常住人口") == pytest.approx(ex.max_idf)
    assert weight("街上要新装多少个公共充电桩？", "新装") == pytest.approx(
        ex.weights.unknown_non_noun * ex.max_idf
    )


@pytest.mark.parametrize(
    ("question", "stands_alone"),
    [
        ("停车难怎么解决？", True),  # a problem of its own, asked how to solve
        ("What is the GDP growth target for 2029?", True),  # an English question of its own
        ("增长了多少？", False),  # only asks about the previous figure
        ("那2029年呢？", False),
    ],
)
def test_only_a_question_that_cannot_stand_alone_is_condensed(
    assistant: Assistant, question: str, stands_alone: bool
) -> None:
    history = [("老百姓收入涨了多少？", "全体居民人均可支配收入增长5.3%[1]。")]
    assert (assistant.standalone(question, history) == question) is stands_alone


def test_an_everyday_word_ranks_the_indicator_it_stands_for_first(assistant: Assistant) -> None:
    ex = assistant.extractive
    query = assistant.retriever.understand("老百姓收入涨了多少？")  # the people's income, not the budget's
    passages = [
        _plan_passage("甲市一般公共预算收入增长8%，税收收入增长6%。"),
        _plan_passage("甲市全体居民人均可支配收入增长5%。"),
    ]
    ans = ex.answer(query, passages, (2030, 2031))
    assert ans.text.startswith("2031年，甲市全体居民人均可支配收入增长5%[1]"), ans.text


def test_growth_over_the_previous_year_is_the_stated_growth_not_a_difference(assistant: Assistant) -> None:
    ex = assistant.extractive
    text = "甲产业积极拓展市场，实现产值120亿元，比上年增长8%，带动新增就业3000人。"
    query = assistant.retriever.understand("甲产业产值是多少？比上年增长多少？")  # 上年: a year of the report
    review = Passage(Chunk("r", text, ("产业",), "review", PROSE, 0, len(text), 40), 1.0)
    years = next(iter(assistant.shelves.values())).report.years
    ans = ex.answer(query, [review], (years.review, years.plan))
    assert "按报告数字计算" not in ans.text and "120亿元" in ans.text and "8%" in ans.text, ans.text


def test_a_question_naming_a_statistic_by_its_abbreviation_stands_alone(assistant: Assistant) -> None:
    # "GDP" names what is asked: the question is not glued to the previous (English or long) one
    for previous in ("How many parks were built in 2030?", "甲产业产值是多少？"):
        assert assistant.standalone("2031年GDP目标是多少？", [(previous, "…")]) == "2031年GDP目标是多少？"


def test_a_and_b_each_how_much_asks_two_figures_and_quotes_both(assistant: Assistant) -> None:
    from assistant.pointing import asks_count

    q = assistant.retriever.understand("“十九五”期间甲县经济增速和科研经费投入增速目标各是多少？")
    assert asks_count(q) == 2
    assert asks_count(assistant.retriever.understand("科研经费年均增速目标是多少？")) == 1
    text = "地区生产总值年均增长6%左右，全社会科研经费投入年均增长8%左右，居民收入增长与经济增长同步，生态环境持续改善。"
    p = Passage(Chunk("t", text, ("目标任务",), "general", PROSE, 0, len(text), 60), 1.0)
    ans = assistant.extractive.answer(q, [p], (2030, 2031))
    assert "6%左右" in ans.text and "8%左右" in ans.text and "生态环境" not in ans.text, ans.text


def test_a_clause_of_a_sentence_about_several_years_is_not_dated_to_one() -> None:
    from assistant.sentences import when

    five_years = "人均可支配收入年均增长6%，城镇新增就业超690万人。"
    assert when("城镇新增就业超690万人", "review", (2030, 2031), five_years) == "城镇新增就业超690万人"
    targets = "细颗粒物年均浓度控制在29微克/立方米左右，一般公共预算收入增长4%左右。"  # an annual mean
    assert when("一般公共预算收入增长4%左右", "plan", (2030, 2031), targets).startswith("2031年，")
    news = "太湖水质30年来首次达到良好。"
    assert when(news, "review", (2030, 2031), news).startswith("2030年，")


def test_a_question_for_the_measures_taken_is_answered_by_all_of_them(assistant: Assistant) -> None:
    from assistant.pointing import point

    text = (
        "加快建设民营经济强省，完善促进民营经济发展法规政策，保障民营企业平等使用各类生产要素，"
        "维护民营企业合法权益，加大力度清理拖欠企业账款，对民营经济做到真重视、真关心、真支持。"
    )
    p = Passage(Chunk("m", text, ("营商环境",), "plan", PROSE, 0, len(text), 60), 1.0)
    s = Sentence(0, text, 0, 1.0, 1.0)
    query = assistant.retriever.understand("报告对支持民营经济发展提出了哪些举措？")
    terms = {("政府",): 2.2, ("工作",): 0.04, ("支持",): 1.6, ("民营",): 5.1, ("经济",): 0.4, ("发展",): 0.2}
    assert point(query, terms, s, [p]).text == text  # not only the clause naming 民营经济 the most


def test_two_asks_answered_by_two_sentences_of_one_passage(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from assistant.pipeline import build_assistant
    from assistant.settings import Settings

    report = tmp_path / "qingshan-2030-work-report.txt"
    report.write_text(
        "2030年青山县政府工作报告\n\n一、2029年工作回顾\n\n全县经济稳步增长，粮食产量稳定。\n\n"
        "二、2030年工作安排\n\n（一）科技创新\n\n新增市级及以上科技平台5个，引进研发机构。"
        "加大科技招商和成果转化力度，新建中试基地2个，转化科技成果5项以上。\n\n"
        "（二）城乡建设\n\n新建城市公园3个，改造老旧小区40个。\n",
        encoding="utf-8",
    )
    county = build_assistant(Settings(corpus=report, index_dir=tmp_path / "idx", embedder="fake"))
    ans = county.ask("2030年要新增几个市级及以上科技平台？新建几个中试基地？")
    assert "5个" in ans.text and "2个" in ans.text, ans.text


@pytest.mark.integration
def test_a_compound_the_report_never_writes_is_read_as_its_words(assistant: Assistant) -> None:
    """项目管理 is not in the report, 项目 and 管理 are: the question is covered by them, weighing as the one
    word they spell; 停车难 is 停车 and what about it (难); 城里人 is no 城里 + 里人 (the parts must spell it
    without a stray word)."""
    ex = assistant.extractive
    assert ex._parts("项目管理") == ["项目", "管理"]
    assert ex._parts("停车难") == ["停车"]
    assert ex._parts("城里人") == []
    terms = ex.query_terms(understand("2029年项目管理要怎么做？", assistant.first.view.years))
    assert set(terms) == {("项目",), ("管理",)}
    whole = ex.keyword.idf("项目") + ex.keyword.idf("管理")
    assert abs(sum(terms.values()) - whole / 2) < 1e-9


@pytest.mark.integration
def test_what_is_done_about_something_is_quoted_from_more_sentences_than_a_figure(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A figure is stated in a sentence or two; what a report plans to do about something spreads over
    more (policy.sentences.max_sentences_open)."""
    from assistant.pipeline import build_assistant
    from assistant.settings import Settings
    from tests.webfixtures import SYNTHETIC_REPORT

    text = (SYNTHETIC_REPORT.parent / "tongzhou-2030-work-report.txt").read_text(encoding="utf-8")
    extra = (
        "（三）发展托育服务。推动托育服务扩容提质，新建普惠托育机构6个。支持用人单位为职工提供托育服务。"
        "开展家庭托育点试点，规范托育服务收费。\n"
    )
    at = text.index("\n", text.index("（二）扩大对外开放")) + 1
    report = tmp_path / "tongzhou-2030-work-report.txt"
    report.write_text(text[:at] + "\n" + extra + text[at:], encoding="utf-8")
    assistant = build_assistant(Settings(corpus=report, index_dir=tmp_path / "index", embedder="fake"))

    def quoted(answer: Answer) -> int:
        return len(re.findall(r"\[\d+\]", answer.text))

    assert quoted(assistant.ask("2030年托育服务方面准备怎么做？")) == 3
    assert quoted(assistant.ask("2030年要新建多少个普惠托育机构？")) <= 2


@pytest.mark.integration
def test_a_year_is_no_figure_for_a_question_asking_one(assistant: Assistant) -> None:
    """A sentence whose only digits are a year ("2028年，全区…") answers "增长多少" no better than one with
    none: both lose the no-figure weight; the year only adds its own small credit."""
    from assistant.pointing import Asks

    ex = assistant.extractive
    query = understand("2028年全区经济增长多少？", assistant.first.view.years)
    terms = ex.query_terms(query)

    def score(sentence: str) -> float:
        return ex._score(query, terms, sentence, sentence, 0, 1.0, Asks.of(query.text))

    gap = score("2028年，全区经济稳中有进。") - score("全区经济稳中有进。")
    assert abs(gap - ex.weights.year) < 1e-9


@pytest.mark.integration
def test_an_item_asked_by_its_number_is_that_item_of_the_list(assistant: Assistant) -> None:
    """ "其中第二件是什么？" is item 2 of the numbered list retrieved, not whichever sentence ranks first; a
    number the list does not reach, or a passage that is no list, answers nothing this way."""
    from assistant.answering import ordinal_item

    text = "1.新建城市书房5个。 2.改造农贸市场2个。 3.新增公共充电桩420个。"
    listed = Passage(Chunk("b", text, ("专栏3",), "plan", LIST_ITEM, 0, len(text), 30), 1.0)
    prose = Passage(Chunk("p", "2.改造农贸市场2个。", ("民生",), "plan", PROSE, 0, 10, 10), 1.0)
    years = assistant.first.view.years

    item = ordinal_item(understand("其中第二件是什么？", years), [prose, listed])
    assert item is not None and item.text == "2.改造农贸市场2个。" and item.passage == 1
    assert ordinal_item(understand("其中第五件是什么？", years), [listed]) is None
    assert ordinal_item(understand("其中第二件是什么？", years), [prose]) is None
    assert ordinal_item(understand("改造了几个农贸市场？", years), [listed]) is None
