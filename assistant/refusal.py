"""Decide when the report does not answer a question. General signals, calibrated on the dev split.

1. coverage: the IDF-weighted share of the question's content words found in the best passage;
2. a specific noun the report never uses (商品房, 门票), in a clause that asks, unless an alias maps it
   to report words, the everyday-word table maps it to a term the quoted sentence uses (房顶 -> 屋顶),
   or it is a report term plus a modifier (大面积);
3. a place name (江津区, 泸县) the report hardly mentions and the passage of the best sentence does not,
   not even with the question's other places by their initials (泸州、永川、江津 -> 泸永江);
4. a question about a time the report does not resolve (几月几号, 第一季度, 哪一年) whose best
   sentence holds no such time, or a year the report neither reviews nor plans;
5. "who" questions whose best sentence names no person;
6. a question that asks for a kind of answer (a sum of money, a percentage, a price, a ranking, a
   name, a count in a measure word, any number at all) that the quoted sentences do not hold:
   "总投资是多少" over a passage that only names the project (`missing_kind`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from .keyword import KeywordIndex
from .lexicon import related_in
from .query import Query, everyday_terms, is_formal, load_aliases
from .types import GENERAL, Passage

PLACE = re.compile(r"^[\u4e00-\u9fff]{2,6}(区|县|市|省|镇|乡|州)$")  # 江津区, not 全区
TIME_Q = re.compile(
    r"几月|几号|哪天|哪一天|哪个月|哪月|什么时候|啥时候|啥时|何时|哪一年|哪年|季度|上半年|下半年|\d{1,2}月|when",
    re.I,
)
TIME_A = re.compile(r"\d{1,2}月|\d{1,2}日|季度|上半年|下半年|(?:19|20)\d{2}年")
WHO_Q = re.compile(r"谁|\bwho\b", re.I)
YEAR_IN_TEXT = re.compile(r"(?:19|20)\d{2}年?")
POS_CACHE = 4096  # tagged texts kept per index
RARE_PLACE = 0.03  # share of chunks
NOT_PLACES = frozenset("外国 国外 海外 境外 外地 本地 当地 全国 国内 城里 乡下 农村 城区 那边 这边".split())
# a clause that asks something; the clauses before it ("娃娃上幼儿园难，…") only set the scene
ASKING = re.compile(r"多少|几|哪|什么|啥|吗|呢|如何|怎么|咋|是否|有没有|好多|多大|多长|[？?]$")
# the kind of figure a question asks for, and what a sentence holding one looks like
WANTS_MONEY = re.compile(r"多少钱|几块钱|多少元|多少万元|多少亿元?|多少美元|how much money", re.I)
HAS_MONEY = re.compile(r"元")
WANTS_SHARE = re.compile(
    r"率[^，。？?]{0,6}多少|(?:增长|涨)了?多少(?![钱元万亿个家所项条座名人户套处批辆台件吨亩公里米])|百分之多少|百分之几|百分比|比例|比重|占比|增速|增幅|percent|percentage",
    re.I,
)
HAS_SHARE = re.compile(r"%|％|百分点|百分之|倍|[一二三四五六七八九]成")
WANTS_FIGURE = re.compile(
    r"多少|(?<!哪)几[个家所项条座万亿千百名人次户套处批辆台期]|多大|多长|多高|多宽|多重|多远|how (?:many|much)",
    re.I,
)
HAS_FIGURE = re.compile(
    r"\d(?![A-Za-z])|[一二三四五六七八九十两百千万]+[个家所项条座名人户套处批辆台类件倍番]|全覆盖|全部|首"
)
# a measure word that names what is counted (张 beds, 公里 of road); 个/家/人 are too loose to check
WANTS_MEASURE = re.compile(r"(?:多少|几)(张|辆|台|座|条|件|公里|亩|吨|平方米|度|千瓦时)")
# digits that count nothing: a year (2023年, 2023年度), a title (《2023年…方案》), a code (G246, 5G, 4A)
NOT_A_FIGURE = re.compile(r"《[^》]*》|(?:19|20)\d{2}年度?|[A-Za-z]+\d+|\d+[A-Za-z]+")
WANTS_PRICE = re.compile(
    r"多少钱一|一[平吨度斤个张]多少钱|每[\u4e00-\u9fff]{1,3}多少钱|单价|均价|房价|票价|price", re.I
)
HAS_PRICE = re.compile(r"元\s*/|元每|每[\u4e00-\u9fff]{1,4}\d|单价|均价|价格|房价|票价")
WANTS_NAME = re.compile(
    r"叫什么|叫啥|什么名字|啥名字|名字是|名称是|哪个数字来命名|what is (?:it|the \w+) called|name of", re.I
)
# a name: quoted or in book-title marks, or ending in what names an institution, event or place
HAS_NAME = re.compile(
    r"“[^”]{2,}”|《[^》]{2,}》|[\u4e00-\u9fff]{2,}(?:中心|峰会|论坛|大会|博览会|公园|学校|医院|大学|学院|"
    r"图书馆|博物馆|馆|园区|产业园|新城|枢纽|站|公司|集团|项目|工程|基地|节|赛|城市|品牌|平台|体系|机制)"
)
WANTS_RANK = re.compile(r"第几|排名|排第|名次|\brank", re.I)
HAS_RANK = re.compile(r"第[\d一二三四五六七八九十]+[名位]|排名|位居|位列|首位|前列|第一")
QUESTION_WORDS = re.compile(r"哪些|哪个|哪几个?|哪类|哪项|什么|多少|是谁|怎么样|如何|报告")


class RefusalPolicy:
    def __init__(self, keyword: KeywordIndex, threshold: float, unknown_threshold: float = 1.01) -> None:
        self.keyword = keyword
        self.threshold = threshold
        self.unknown_threshold = unknown_threshold  # an unknown term refuses below this coverage
        # jieba.posseg reads its part-of-speech table when imported (~0.5 s): imported here, when an
        # index is opened, not when this module is. Its table is reused with our tokenizer (which knows
        # the report's own terms) instead of being read a second time.
        import jieba.posseg as pseg

        self.pos = pseg.POSTokenizer.__new__(pseg.POSTokenizer)
        self.pos.tokenizer = keyword.tokenizer._jieba  # type: ignore[attr-defined]
        self.pos.word_tag_tab = pseg.dt.word_tag_tab
        # tagging is pure-Python HMM work (~1 ms a question); a question is tagged by several checks,
        # and the report's own sentences recur across questions: each text is tagged once
        self.tags = lru_cache(maxsize=POS_CACHE)(self._tags)
        self.n = max(len(keyword.chunks), 1)
        self.own_places: tuple[str, ...] = ()  # the report's own place names (routing.own_names)

    def _tags(self, text: str) -> tuple[tuple[str, str], ...]:
        """(word, part-of-speech flag) pairs of a text."""
        return tuple((p.word, p.flag) for p in self.pos.cut(text))

    def _df(self, word: str) -> int:
        return len(self.keyword.words.postings.get(word.lower(), ()))

    def _alias_covered(self, word: str, query: Query) -> bool:
        low = query.text.lower()
        aliases = (*load_aliases(), *query.aliases)  # the table's and what the report defines
        return any(a in low and (word.lower() in a or a in word.lower()) for a, _ in aliases)

    def reason(
        self,
        query: Query,
        passages: Sequence[Passage],
        coverage: float,
        best_sentence: str,
        best_context: str,
        years: tuple[int | None, int | None],
        function_words: set[str],
        best_scope: str = GENERAL,
    ) -> str | None:
        """Why the report cannot answer, or None if it can (rule 6 is `missing_kind`, applied to the
        sentences the answer would quote)."""
        hard, unknown = self.signals(
            query, passages, best_sentence, best_context, years, function_words, best_scope
        )
        if hard:
            return hard
        if unknown and coverage < self.unknown_threshold:
            return f"unknown term {unknown} (coverage {coverage:.2f})"
        if coverage < self.threshold:
            return f"coverage {coverage:.2f}"
        return None

    def signals(
        self,
        query: Query,
        passages: Sequence[Passage],
        best_sentence: str,
        best_context: str,
        years: tuple[int | None, int | None],
        function_words: set[str],
        best_scope: str = GENERAL,
    ) -> tuple[str | None, str | None]:
        """(a reason that alone decides, a term the report never uses) — either may be None."""
        if not passages:
            return "no passage", None
        top = " ".join(p.chunk.indexed_text for p in passages[:3]).lower()
        # a year in a lead-in clause ("娃娃明年要上幼儿园，今年…") sets the scene; the asking clauses count
        asked_years = YEAR_IN_TEXT.findall(question_clauses(query.text))
        other = [
            y for y in query.years if y not in years and (str(y) in "".join(asked_years) or query.english)
        ]
        if other and not any(str(y) in p.chunk.text for p in passages[:3] for y in other):
            return f"year {other[0]} not covered", None
        if TIME_Q.search(query.text):
            report_years = {f"{y}年" for y in years if y}
            if not [t for t in TIME_A.findall(best_sentence) if t not in report_years]:
                return "time not stated", None
        if WHO_Q.search(query.text) and not any(f == "nr" for _, f in self.tags(best_sentence)):
            return "no person named", None
        if (
            query.years  # the scope comes from a year the question names, not from words like 目标
            and query.scope
            and best_scope not in (query.scope, GENERAL)
            and not any(str(y) in best_sentence for y in query.years)
        ):
            return "only the other year is covered", None
        text = QUESTION_WORDS.sub(" ", YEAR_IN_TEXT.sub(" ", query.text))
        if query.english:
            text = query.search_text[len(query.text) :]
        unknown = None
        asked = text if query.english else question_clauses(text)
        words = [(w, f) for w, f in self.tags(text) if len(w) >= 2 and w not in function_words]
        places = [w for w, f in words if (f == "ns" or PLACE.match(w)) and w not in NOT_PLACES]
        for word, flag in words:
            if not flag.startswith("n"):
                continue
            place = word in places
            if place and any(word.startswith(n) for n in self.own_places):
                continue  # the report's own place, glued to a word by jieba (北京地区, of 北京地区生产总值)
            if self._alias_covered(word, query) or word.lower() in (best_context.lower() if place else top):
                continue
            if self._everyday_for(word, best_sentence) or related_in(word, query.related, best_sentence):
                continue
            # another place: one the report hardly mentions (its own places, 永川/重庆/新建, recur)
            if place and self._df(word) < RARE_PLACE * self.n and not initials_named(places, best_context):
                return f"place {word} not in passages", None
            # a real word (not a segmentation artefact) the report never uses
            if unknown is None and self._df(word) == 0 and self._jieba_knows(word) and word in asked:
                if not self._near_term_in(word, top) and self._names_a_measure(word, top):  # 大面积
                    unknown = word
        return None, unknown

    def _near_term_in(self, word: str, text: str) -> bool:
        """Whether `word` is a report term in `text` plus a modifier that is one character or also in
        `text` (大面积 = 大 + 面积, 体育赛事 = 体育 + 赛事) — but not 城镇居民 over a passage on 居民."""
        for k in range(1, len(word) - 1):
            head, modifier = word[k:], word[:k]
            if head in text and self._df(head) > 0 and (len(modifier) == 1 or modifier in text):
                return True
        return False

    @classmethod
    def _names_a_measure(cls, word: str, text: str) -> bool:
        """Whether a word the report never uses names something a report would state: a formal term
        (常住人口, 报名费, 区长), or an everyday word for one that `text` lacks (病人 for 患者).
        Other everyday words (房顶, 娃娃, 新装) only phrase the question and do not refuse it."""
        if is_formal(word):
            return True
        return word.lower() in everyday_terms() and not cls._everyday_for(word, text)

    @staticmethod
    def _everyday_for(word: str, sentence: str) -> bool:
        """Whether `word` is an everyday word for a report term the quoted sentence itself uses (房顶 over
        "屋顶分布式光伏"); the term merely being in the report is not enough."""
        return any(term in sentence for term in everyday_terms().get(word.lower(), ()))

    def _jieba_knows(self, word: str) -> bool:
        return self.keyword.tokenizer._jieba.FREQ.get(word, 0) > 0  # type: ignore[attr-defined]


def missing_kind(question: str, answer_text: str) -> str | None:
    """The kind of answer the question asks for (a sum of money, a percentage, a name, a price, a
    ranking, a count in a measure word, any figure), if the answer's sentences hold none of it."""
    if WANTS_MONEY.search(question) and not (
        HAS_MONEY.search(answer_text) and HAS_FIGURE.search(answer_text)
    ):
        return "no sum of money"
    if WANTS_SHARE.search(question) and not HAS_SHARE.search(answer_text):
        return "no percentage"
    measure = WANTS_MEASURE.search(question)
    if measure and not re.search(
        rf"[\d一二三四五六七八九十两百千万][余多万亿]{{0,2}}{measure.group(1)}", answer_text
    ):
        return f"no figure in {measure.group(1)}"
    if WANTS_NAME.search(question) and not HAS_NAME.search(answer_text):
        return "no name"
    if WANTS_PRICE.search(question) and not HAS_PRICE.search(answer_text):
        return "no price"
    if WANTS_RANK.search(question) and not HAS_RANK.search(answer_text):
        return "no ranking"
    if WANTS_FIGURE.search(question) and not HAS_FIGURE.search(NOT_A_FIGURE.sub(" ", answer_text)):
        return "no figure"
    return None


def initials_named(places: Sequence[str], text: str) -> bool:
    """Whether `text` names the question's places together by their initials, as Chinese names regions
    (泸州、永川、江津 -> 泸永江; 长沙、株洲、湘潭 -> 长株潭): every place's first character, and no
    other, in one run of adjacent characters."""
    initials = {p[0] for p in places}
    if len(initials) < 2:
        return False
    runs = re.findall("[" + "".join(sorted(initials)) + "]{2,}", text)
    return any(set(run) == initials for run in runs)


def question_clauses(text: str) -> str:
    """The clauses of a question that ask (all of it if none or every clause does)."""
    clauses = [c for c in re.split(r"[，,；;]", text) if c.strip()]
    asking = [c for c in clauses if ASKING.search(c.strip())]
    return "，".join(asking) if asking else text
