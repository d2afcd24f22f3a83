"""English questions reach a report's own words through CC-CEDICT read backwards (synthetic reports)."""

from __future__ import annotations

import dataclasses

import pytest

from assistant.glossary import Gloss, gloss_terms, glosses, with_glosses
from assistant.keyword import KeywordIndex, Tokenizer
from assistant.query import understand
from assistant.structure import ReportYears
from assistant.types import Chunk

pytestmark = pytest.mark.unit

SENTENCES = [
    "全年新建污水处理厂3座，日处理能力达到12万吨。",
    "引进大熊猫2只，动物园游客人数同比增长15%。",
    "新建公共图书馆分馆8个，全区居民人均阅读量提高。",
    "江北镇新增农村公路40公里。",
]


def vocabulary(words: set[str]):  # type: ignore[no-untyped-def]
    """A report vocabulary: the IDF of each word it uses, None for the others."""
    return lambda w: 1.0 if w in words else None


def test_a_phrase_finds_the_report_word_defined_as_it() -> None:
    found = glosses("How many tourists visited the zoo?", vocabulary({"游客", "动物园"}))
    assert {g.english: g.words for g in found if g.words} == {"tourists": ("游客",), "zoo": ("动物园",)}


def test_only_the_report_words_of_a_phrase_are_kept() -> None:
    # "library" is 图书馆 and 库 in the dictionary; a report that only says 图书馆 keeps that one
    (g,) = glosses("library", vocabulary({"图书馆"}))
    assert g.words == ("图书馆",)


def test_a_plural_and_a_british_spelling_are_looked_up_as_the_dictionary_writes_them() -> None:
    words = {"熊猫", "大熊猫", "公里"}
    assert glosses("pandas", vocabulary(words))[0].words  # "giant panda" ends in "panda"
    assert glosses("kilometres", vocabulary(words))[0].words == ("公里",)


def test_a_phrase_the_report_has_no_word_for_names_what_it_lacks() -> None:
    (g,) = glosses("subway", vocabulary({"公路"}), common=lambda w: 10 if w == "地铁" else 0)
    assert g.words == () and g.absent == "地铁"  # the commonest of the dictionary's words for it


def test_question_words_and_unknown_names_are_not_glossed() -> None:
    assert glosses("What is it and how much was it?", vocabulary(set())) == ()
    assert glosses("Xqzvy", vocabulary(set())) == ()


def test_one_who_does_it_is_found_by_what_is_done() -> None:
    """trainee is 见习员 in the dictionary; a report that writes only 见习 (见习基地) is found by it."""
    (g,) = glosses("trainee", vocabulary({"见习"}))
    assert g.words == ("见习",)
    (g,) = glosses("trainee", vocabulary({"基地"}))
    assert g.words == () and g.absent


def test_the_adjective_of_a_hedging_adverb_asks_nothing_either() -> None:
    """approximately is a question frame; so is approximate (and rough, of roughly)."""
    assert [g.english for g in glosses("the approximate output", vocabulary({"产量"}))] == ["output"]
    assert [g.english for g in glosses("a rough total", vocabulary(set()))] == []


def test_a_proper_name_is_found_by_its_pinyin() -> None:
    (g,) = glosses("How long are the roads of Beijing?", vocabulary({"北京"}))[-1:]
    assert g.words == ("北京",)


def test_a_missing_phrase_lowers_coverage_and_a_found_one_is_one_group_of_alternatives() -> None:
    q = understand("How many subway lines?", ReportYears(2023, 2024), aliases=())
    q = dataclasses.replace(q, glosses=(Gloss("subway", (), "地铁"), Gloss("lines", ("线路", "队伍"))))
    terms = gloss_terms(q, lambda w: 2.0, top=3.0)
    assert terms[("线路", "队伍")] == pytest.approx(1.0)
    assert ("subway",) in terms and terms[("subway",)] > 0


def test_an_english_question_is_searched_with_the_report_words() -> None:
    chunks = [
        Chunk(f"c{i}", text, ("一、情况",), "review", "prose", 0, len(text), 20, source="r.txt")
        for i, text in enumerate(SENTENCES)
    ]
    tokenizer = Tokenizer()
    keyword = KeywordIndex(chunks, tokenizer)
    q = with_glosses(understand("How many pandas did the zoo bring in?", ReportYears(2023, 2024)), keyword)
    assert "熊猫" in q.search_text or "大熊猫" in q.search_text
    best = max(keyword.search(q.search_text).items(), key=lambda kv: kv[1])[0]
    assert "大熊猫" in chunks[best].text
    chinese = understand("动物园引进了几只大熊猫？", ReportYears(2023, 2024))
    assert with_glosses(chinese, keyword) is chinese  # a Chinese question is left as it is


def test_a_plural_in_es_is_looked_up_as_its_singular_too() -> None:
    from assistant.glossary import _forms

    assert "enterprise" in _forms("enterprises") and "house" in _forms("houses")
    assert "bus" in _forms("buses")


def test_a_word_whose_sense_is_one_character_finds_the_report_words_built_on_it() -> None:
    # "pig" is 猪 (one character): a report that writes 生猪 is found; so is a 桩 the tokenizer cut off 充电桩
    report = {"生猪", "出栏", "充电", "桩"}

    def holding(c: str) -> tuple[str, ...]:
        return tuple(sorted(w for w in report if c in w))

    (g,) = glosses("pigs", vocabulary(report), holding=holding)
    assert g.words == ("生猪",)
    assert glosses("piles", vocabulary(report), holding=holding)[0].words == ("桩",)
    # a character in more report words than CHAR_WORDS names nothing in particular
    many = {"生猪", "猪肉", "猪场", "猪价"}
    assert not glosses("pigs", vocabulary(many), holding=lambda c: tuple(w for w in many if c in w))[0].words


def test_the_report_words_holding_a_character() -> None:
    chunks = [Chunk(f"c{i}", t, ("节",), "review", "prose", 0, len(t), 20) for i, t in enumerate(SENTENCES)]
    kw = KeywordIndex(chunks, Tokenizer())
    assert "大熊猫" in kw.words_with("熊") and all("熊" in w for w in kw.words_with("熊"))
    assert kw.words_with("鲸") == ()


def test_the_nouns_of_adjectives_are_looked_up_too() -> None:
    # agricultural -> agriculture (农业), foreign-invested -> foreign investment (外资)
    assert glosses("agricultural", vocabulary({"农业"}))[0].words == ("农业",)
    assert any(
        g.words == ("外资",) for g in glosses("foreign-invested enterprises", vocabulary({"外资", "企业"}))
    )


def test_percentage_frames_a_question_and_is_not_looked_up() -> None:
    found = glosses("By what percentage did exports grow?", vocabulary({"比率", "出口", "增长"}))
    assert "比率" not in {w for g in found for w in g.words}


def test_questions_asking_while_the_dictionary_is_read_wait_for_that_one_reading(monkeypatch) -> None:
    import threading
    import time
    from functools import lru_cache

    from assistant import glossary

    readings: list[int] = []

    @lru_cache(maxsize=1)
    def slow_read() -> tuple[dict, ...]:
        readings.append(1)
        time.sleep(0.2)
        return ({}, {}, {}, {}, {})

    monkeypatch.setattr(glossary, "_read_dictionary", slow_read)
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(glossary.dictionary())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert readings == [1] and len(got) == 4 and all(g is got[0] for g in got)
