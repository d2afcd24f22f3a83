"""A report's question vocabulary on a made-up report and a made-up thesaurus: what a question is
expanded to, how much a synonym counts, and that a question stays cheap."""

from __future__ import annotations

import time

import pytest

from assistant.answering import ExtractiveAnswerer
from assistant.keyword import KeywordIndex, Tokenizer, user_terms
from assistant.lexicon import Lexicon, related_in
from assistant.query import understand
from assistant.structure import ReportYears
from assistant.thesaurus import Thesaurus
from assistant.types import PROSE, Chunk

pytestmark = pytest.mark.unit

YEARS = ReportYears(2030, 2031)
TEXTS = [
    "2030年，新建滑冰馆2座，改造街巷40条。",
    "编制《青山县水网建设三年行动方案》（以下简称《行动方案》），新建水库3座。",
    "全年接待游客1200万人次。",
    "推进乡村振兴，建设美丽乡村。",
]
THESAURUS = Thesaurus.from_lines(
    [
        "Hh06A01= 溜冰 滑冰",  # one sense: the report says 滑冰
        "Bn11A03= 胡同 巷子 街巷",
        "Bn11A04= 里弄 弄堂 街巷",  # (in no hand-written table, unlike 胡同)
        "Ag10A03= 游人 游客 旅游者",  # the report uses 游客 itself: never expanded
        "Xx01A01# 水库 池塘",  # related, not synonyms
    ]
)


@pytest.fixture(scope="module")
def keyword() -> KeywordIndex:
    chunks = [Chunk(f"c{i}", t, ("概况",), "review", PROSE, 0, len(t), 30) for i, t in enumerate(TEXTS)]
    return KeywordIndex(chunks, Tokenizer(user_terms(chunks)))


@pytest.fixture(scope="module")
def lexicon(keyword: KeywordIndex) -> Lexicon:
    return Lexicon.build(keyword.chunks, keyword, THESAURUS)


def test_a_word_the_report_never_uses_reaches_its_synonym_the_report_uses(lexicon: Lexicon) -> None:
    assert lexicon.related("去年建了几座溜冰馆？") == (("溜冰", "滑冰"),)  # by the question's words
    assert lexicon.related("改造了多少条胡同和巷子？") == (("胡同", "街巷"), ("巷子", "街巷"))


def test_words_the_report_uses_and_related_words_are_not_expanded(lexicon: Lexicon) -> None:
    assert lexicon.related("接待了多少游客？") == ()
    assert lexicon.related("游人有多少？") == (("游人", "游客"),)
    assert lexicon.related("建了几个池塘？") == ()  # "#" in the thesaurus: related, not the same


def test_understand_puts_definitions_with_aliases_and_synonyms_apart(lexicon: Lexicon) -> None:
    q = understand("行动方案里胡同改造了多少？", YEARS, aliases=(), lexicon=lexicon)
    assert ("行动方案", "青山县水网建设三年行动方案") in q.aliases  # the report's own definition
    assert q.related == (("胡同", "街巷"),)  # a synonym: looser, kept apart
    assert "青山县水网建设三年行动方案" in q.search_text
    assert "街巷" not in q.search_text  # a synonym steers coverage, not the search
    assert q.text == "行动方案里胡同改造了多少？"  # what the user is shown stays their words


def test_without_a_lexicon_a_question_is_understood_as_before() -> None:
    q = understand("胡同改造了多少？", YEARS, aliases=())
    assert q.related == () and q.search_text == q.text


def test_a_synonym_lets_a_word_be_found_without_making_it_weigh_more(
    keyword: KeywordIndex, lexicon: Lexicon
) -> None:
    ex = ExtractiveAnswerer(keyword)
    alone = ex.query_terms(understand("改造了多少条里弄？", YEARS, aliases=()), everyday=True)
    q = understand("改造了多少条里弄？", YEARS, aliases=(), lexicon=lexicon)
    loose = ex.query_terms(q, everyday=True)
    group = next(alts for alts in loose if "里弄" in alts)
    assert "街巷" in group
    assert loose[group] == pytest.approx(alone[("里弄",)])  # as much as 里弄 alone would
    assert all("街巷" not in alts for alts in ex.query_terms(q))  # ranking goes by the question's words
    assert ex.coverage(loose, TEXTS[0]) > ex.coverage(alone, TEXTS[0])


def test_related_in_checks_the_sentence_for_the_question_word_s_synonyms() -> None:
    related = (("胡同", "街巷 小巷"),)
    assert related_in("胡同", related, "改造街巷40条")
    assert not related_in("胡同", related, "改造道路40条")
    assert not related_in("巷子", related, "改造街巷40条")


def test_a_question_costs_well_under_a_millisecond(lexicon: Lexicon) -> None:
    question = "去年城里改造了多少条胡同，行动方案里新建了几座水库？"
    lexicon.related(question)
    start = time.perf_counter()
    for _ in range(200):
        lexicon.related(question)
        lexicon.defined(question)
    assert (time.perf_counter() - start) / 200 < 0.001


def test_a_formal_word_the_report_never_uses_is_not_unknown_where_the_sentence_has_its_synonym() -> None:
    from assistant.refusal import Case
    from assistant.types import Passage
    from assistant.vocab import FUNCTION_WORDS

    texts = ["景区入场券实行线上预约，全年售出120万张。", "新建公园3个。"]
    chunks = [Chunk(f"p{i}", t, ("交通",), "review", PROSE, 0, len(t), 20) for i, t in enumerate(texts)]
    keyword = KeywordIndex(chunks, Tokenizer(user_terms(chunks)))
    lexicon = Lexicon.build(chunks, keyword, Thesaurus.from_lines(["Bo01A01= 门票 入场券"]))
    rules = ExtractiveAnswerer(keyword).rules
    passages = [Passage(chunks[0], 1.0)]

    def unknown(lex: Lexicon | None) -> str | None:
        q = understand("景区门票卖出了多少张？", YEARS, aliases=(), lexicon=lex)
        case = Case(q, passages, 0.5, texts[0], texts[0], "review", (2030, 2031), FUNCTION_WORDS)
        detail = rules.unknown_term(case)
        return detail.split(",")[0] if detail else None

    assert unknown(None) == "门票"  # a formal term the report never uses
    assert unknown(lexicon) is None  # the quoted sentence says 入场券, its synonym


SHORT_TEXTS = [
    "城乡居民人均可支配收入分别增长5.1%、6.7%。",
    "3家镇卫生院完成改造。",
    "第三产业增加值增长4%。",
]
SHORT_THESAURUS = Thesaurus.from_lines(
    [
        "Cb25A01= 城市 城",
        "Cb25B01= 集镇 镇 乡镇 城镇",
        "Cb25C01= 乡村 农村 乡",
        "Dd07A01= 次第 第",
        "Dn04A01= 叁 三",
    ]
)


def test_a_word_the_report_writes_shortened_is_related_to_its_short_form() -> None:
    """农村居民 inside the contraction 城乡居民 (城 and 乡 are things of one kind), 乡镇 by its
    one-character synonym before the question's next words (镇卫生院); 第三 is no contraction."""
    chunks = [Chunk(f"s{i}", t, ("概况",), "review", PROSE, 0, len(t), 30) for i, t in enumerate(SHORT_TEXTS)]
    keyword = KeywordIndex(chunks, Tokenizer(user_terms(chunks)))
    lexicon = Lexicon.build(chunks, keyword, SHORT_THESAURUS)

    assert ("农村居民", "城乡居民") in lexicon.related("农村居民人均可支配收入增长多少？")
    assert ("乡镇", "镇卫生") in lexicon.related("改造了几家乡镇卫生院？")
    assert not [p for p in lexicon.related("第二产业增加值增长多少？") if p[1].startswith("第")]
