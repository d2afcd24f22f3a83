"""Decide when the report does not answer a question: one ordered list of named rules, first match
wins (`RULES`), each with what it means; the answer records the rule that fired (`Answer.rule`, shown
by `ask --explain` and the eval output). Its numbers are the policy's `refusal` group.

Rules of the first stage look at the retrieved passages and the best sentence; those of the second at
the sentences the answer would quote (after they are chosen):

 1. no-passage        nothing was retrieved;
 2. year-not-covered  a year the question asks about that the report neither reviews nor plans, and
                      the top passages do not name;
 3. time-not-stated   a question about a time (几月几号, 第一季度, 哪一年) whose best sentence holds none;
 4. no-person         a "who" question whose best sentence names no person;
 5. other-year-only   the question names a year, and the best sentence is from the other part of the
                      report and does not name it;
 6. other-place       a place name (江津区, 泸县) the report hardly mentions and the best passage does not,
                      not even with the question's other places by their initials (泸永江);
 7. unknown-term      a specific noun the report never uses (商品房, 门票) in a clause that asks, unless an
                      alias the report writes or the everyday-word table maps it to the report's words, it
                      is a report term plus a modifier (大面积), or the best sentence holds each of its
                      characters (天气 in 空气质量优良天数); or an official indicator (固定资产投资) the report
                      never writes, even without its qualifier — and the rest of the question is not well
                      covered;
 8. low-coverage      the IDF-weighted share of the question's content words in the best passages is
                      below the threshold;
 9. no-place          a "where" question whose quoted sentences name no place;
10. blank-cell        the table row quoted marks the figure asked for as not given (—);
11. indicator-unquoted an official indicator asked about (一般公共预算支出) that the quoted sentences do not
                      name: the report states another one, or that one for another year;
12. modifier-unquoted a figure asked per head, per household, per mu or in total to date (人均, 累计) that
                      the quoted sentences state plain;
13. level-unquoted    the whole of a place of another level than the report's (全市 of a district's
                      report, 全国 of a province's) that the quoted sentences do not name;
14. qualifier-unquoted a measure asked of one thing (森林覆盖率, 粮油总产值) whose word the quoted
                      sentences hold only of another (公交站点覆盖率, 规上工业总产值); one that is no
                      indicator (学位) only after another kind of the thing (中学学位 for 小学学位);
15. unknown-unquoted a thing the report never names (地铁), asked in the clause that asks, answered only
                      because its everyday term (轨道交通) is in a passage: the quoted sentences hold neither;
16. combined-unquoted a thing asked alone (出口) that the quoted sentences state only joined with
                      another in a contraction (进出口总额; 城乡居民 for 农村居民), not one by one (分别);
17. missing-kind      the question asks for a kind of answer (a sum of money, also one asked by its
                      measure's name, 产值有多少; a percentage, a price, a ranking, a name, a count in a
                      measure word, any figure) the quoted sentences lack.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from .keyword import KeywordIndex
from .lexicon import related_in
from .policy import Refusal as RefusalNumbers
from .query import Query, everyday_terms, is_formal, load_aliases, question_clauses
from .tagging import Tagger
from .thesaurus import cilin, contraction_in
from .types import GENERAL, Passage
from .vocab import (
    ASKING_WORDS,
    ASKS_FIGURE,
    CHANGE_WORDS,
    CN_NUMERAL,
    COUNTERS,
    INDICATOR_HEADS,
    MEASURE_MODIFIERS,
    MONEY_HEADS,
    OBJECT_COUNTERS,
    PERIOD,
    PHYSICAL_UNITS,
    PLACE_ENDINGS,
    PLACE_LEVELS,
    SHARE_MARKS,
    UNITS,
    YEAR_NIAN,
    YEAR_NIAN_OPT,
    YEAR_NIANDU,
    alternation,
)
from .vocab import QUESTION_WORDS as QUESTION_WORDS_LIST

# the whole of a place of one level: 全国, 全市 (not 全国性, an adjective)
WHOLE_PLACE = re.compile(f"全([{PLACE_LEVELS}])(?!性)")
PLACE = re.compile(f"^[\u4e00-\u9fff]{{2,6}}[{PLACE_ENDINGS}]$")  # 江津区, not 全区
TIME_Q = re.compile(
    r"几月|几号|哪天|哪一天|哪个月|哪月|什么时候|啥时候|啥时|何时|哪一年|哪年|季度|上半年|下半年|\d{1,2}月|when",
    re.I,
)
TIME_A = re.compile(r"\d{1,2}月|\d{1,2}日|季度|上半年|下半年|" + YEAR_NIAN.pattern)
WHO_Q = re.compile(r"谁|\bwho\b", re.I)
WHERE_Q = re.compile(  # 在哪 of "存在哪些问题" asks which, not where
    r"哪里|哪儿|(?<!存)在哪(?![些几种类项])|哪个(?:城市|地方|区|县|市|省)|什么地方|啥地方|\bwhere\b", re.I
)
# a word naming a place by its suffix (松溉镇, 滨江路, 临港新区), not the whole area (全区, 本市, 各县)
PLACE_SUFFIX = re.compile(
    r"^(?![全本各该我此])[\u4e00-\u9fff]{1,8}(?:省|市|区|县|镇|乡|村|街道|路|街|园区|新区|港|湾|岛|山|湖|江|河)$"
)
YEAR_IN_TEXT = YEAR_NIAN_OPT
NOT_PLACES = frozenset(
    "外国 国外 海外 境外 外地 本地 当地 全国 国内 城里 乡下 农村 城区 山区 平原 高原 那边 这边".split()
)
# the kind of figure a question asks for, and what a sentence holding one looks like
WANTS_MONEY = re.compile(r"多少钱|几块钱|多少元|多少万元|多少亿元?|多少美元|how much money", re.I)
HAS_MONEY = re.compile(r"元")
# "产值有多少": a sum of money asked by its measure's name; it is stated in 元 or in 万/亿 of it
WANTS_AMOUNT = re.compile(
    f"({alternation(MONEY_HEADS)})(?:的?总量|的?规模)?(?:是|有|为|达到|达|一共|总共|共|大概|大约)*多少(?!个百分点|百分)"
)
HAS_AMOUNT = re.compile(f"元|[\\d{CN_NUMERAL}][万亿]")
CHANGE = re.compile(alternation(CHANGE_WORDS))
COUNTED = alternation((*COUNTERS, *UNITS))  # what a count is counted in
WANTS_SHARE = re.compile(
    r"率[^，。？?]{0,6}多少|(?:增长|涨)了?多少(?!钱|[万亿]|"
    + COUNTED
    + r")|百分之多少|百分之几|百分比|比例|比重|占比|增速|增幅|percent|percentage",
    re.I,
)
HAS_SHARE = re.compile(alternation(SHARE_MARKS) + "|[一二三四五六七八九]成")
HAS_FIGURE = re.compile(
    r"\d(?![A-Za-z])|[" + CN_NUMERAL + "]+(?:" + alternation((*COUNTERS, "倍", "番")) + ")|全覆盖|全部|首"
)
# a measure word that names what is counted (张 beds, 公里 of road); 个/家/人 are too loose to check
WANTS_MEASURE = re.compile(f"(?:多少|几)[万亿千百]?({alternation((*OBJECT_COUNTERS, *PHYSICAL_UNITS))})")
# digits that count nothing: a year (2023年, 2023年度), a title (《2023年…方案》), a code (G246, 5G, 4A)
NOT_A_FIGURE = re.compile(r"《[^》]*》|" + YEAR_NIANDU.pattern + r"|[A-Za-z]+\d+|\d+[A-Za-z]+")
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
QUESTION_WORDS = re.compile(alternation(QUESTION_WORDS_LIST))
# words that ask for something themselves (呢/吗 of "那上海呢？" only carry the previous question on)
OWN_ASKING = re.compile(alternation(tuple(w for w in ASKING_WORDS if w not in ("呢", "吗"))) + "|谁")


RESPECTIVELY = "分别"  # a sentence stating the parts of a contraction one by one
RESPECTIVELY_WITHIN = 16  # ... says it this soon after the contraction (城乡居民人均可支配收入分别)
MIN_INDICATOR_CHARS = 4  # an indicator name this long is checked as a phrase (shorter ones are single words)
QUALIFIER_CHARS = 2  # the qualifier a report may leave off an indicator's name (地区, 城镇, 居民)
MAX_QUALIFIER = 3  # ... and the longest left off in a sentence that names it (本外币 of 本外币贷款)

PASSAGES, QUOTED = "passages", "quoted"  # the two stages: before and after the sentences are chosen


@dataclass
class Case:
    """What the rules look at for one question. `quoted`/`blank_cell` are set for the second stage."""

    query: Query
    passages: Sequence[Passage]
    coverage: float  # how well the best passages cover the question (ExtractiveAnswerer.support)
    best_sentence: str
    best_context: str  # the best sentence's passage, with its section path
    best_scope: str
    years: tuple[int | None, int | None]  # the report's review and plan year
    function_words: frozenset[str] | set[str]
    quoted: str = ""  # the figures of the sentences the answer would quote
    blank_cell: bool = False  # the quoted table row marks the asked-for figure as not given
    scanned: tuple[str | None, str | None] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Rule:
    name: str
    stage: str
    means: str  # what the rule says about the report, in words
    test: Callable[[RefusalRules, Case], str | None]  # a detail when it fires, else None


@dataclass(frozen=True)
class Decision:
    rule: Rule
    detail: str

    def __str__(self) -> str:
        return f"refused: {self.rule.name} ({self.detail})" if self.detail else f"refused: {self.rule.name}"


class RefusalRules:
    """The ordered rules over one report's keyword index, with the policy's refusal numbers."""

    def __init__(self, keyword: KeywordIndex, tagger: Tagger, numbers: RefusalNumbers | None = None) -> None:
        self.keyword = keyword
        self.numbers = numbers or RefusalNumbers()
        self.tags = tagger
        self.n = max(len(keyword.chunks), 1)
        self.own_places: tuple[str, ...] = ()  # the report's own place names (routing.own_names)
        self.own_level = ""  # the last character of the report's place (区 of 永川区, 省, 市)

    def decide(self, case: Case, stage: str) -> Decision | None:
        """The first rule of `stage` that fires, or None: the report answers (as far as it can tell)."""
        for rule in RULES:
            if rule.stage == stage:
                detail = rule.test(self, case)
                if detail is not None:
                    return Decision(rule, detail)
        return None

    # -- the tests, in rule order ------------------------------------------------------------------
    def no_passage(self, case: Case) -> str | None:
        return "" if not case.passages else None

    def year_not_covered(self, case: Case) -> str | None:
        query = case.query
        # a year in a lead-in clause ("娃娃明年要上幼儿园，今年…") sets the scene; the asking clauses count
        asked_years = YEAR_IN_TEXT.findall(question_clauses(query.text))
        other = [
            y
            for y in query.years
            if y not in case.years and (str(y) in "".join(asked_years) or query.english)
        ]
        if other and not any(str(y) in p.chunk.text for p in case.passages[:3] for y in other):
            return str(other[0])
        return None

    def time_not_stated(self, case: Case) -> str | None:
        if TIME_Q.search(kind_text(case.query)):
            report_years = {f"{y}年" for y in case.years if y}
            if not [t for t in TIME_A.findall(case.best_sentence) if t not in report_years]:
                return ""
        return None

    def no_person(self, case: Case) -> str | None:
        if WHO_Q.search(kind_text(case.query)) and not any(
            f == "nr" for _, f in self.tags(case.best_sentence)
        ):
            return ""
        return None

    def other_year_only(self, case: Case) -> str | None:
        query = case.query
        if (
            query.years  # the scope comes from a year the question names, not from words like 目标
            and query.scope
            and not PERIOD.search(query.text)  # "这几年建成了几座…今年要建成哪一座" asks both parts
            and case.best_scope not in (query.scope, GENERAL)
            and not any(str(y) in case.best_sentence for y in query.years)
        ):
            return case.best_scope
        return None

    def other_place(self, case: Case) -> str | None:
        return self._scan(case)[0]

    def no_place_named(self, case: Case) -> str | None:
        if not WHERE_Q.search(kind_text(case.query)):
            return None
        text = case.quoted or case.best_sentence
        tagged = any(
            self._names_place(w, f) or PLACE_SUFFIX.match(w)
            for w, f in self.tags(text)
            if w not in self.own_places
        )
        return None if tagged else ""

    def unknown_term(self, case: Case) -> str | None:
        unknown = self._scan(case)[1]
        if unknown and case.coverage < self.numbers.unknown_term_coverage:
            return f"{unknown}, coverage {case.coverage:.2f}"
        return None

    def low_coverage(self, case: Case) -> str | None:
        """Too little of the question in the passages, and none of them close to it in meaning (the
        dense cosine): everyday wording (没人开的网约车 for 无人驾驶) shares few words but is close."""
        if case.coverage >= self.numbers.threshold:
            return None
        closest = max((p.dense_score for p in case.passages), default=0.0)
        return f"{case.coverage:.2f}" if closest < self.numbers.dense_rescue else None

    def blank_cell_asked(self, case: Case) -> str | None:
        return "" if case.blank_cell else None

    def indicator_unquoted(self, case: Case) -> str | None:
        """An official indicator the question asks about (一般公共预算支出) that the quoted sentences do not
        name, by its name, its name without a qualifier or an alias the report writes: they state
        another indicator (一般公共预算收入), or the right one for another year."""
        quoted = case.quoted.lower()
        for term in indicators_in(question_clauses(case.query.text).lower(), whole=True):
            # its name, without a qualifier (生产总值, 贷款 of 本外币贷款) or its last character (粮食总产)
            names = {term, term[:-1], *(term[k:] for k in range(1, MAX_QUALIFIER + 1) if len(term) - k >= 2)}
            names |= {  # an abbreviation of it (社零), not a word inside it (就业 of 城镇新增就业)
                a
                for a, x in load_aliases()
                if term in x.split() and a not in term and self.keyword.phrase_idf(a) is not None
            }
            if not any(n in quoted for n in names):
                return term
        return None

    def modifier_unquoted(self, case: Case) -> str | None:
        """A figure asked per head, per household, per mu or in total to date (人均, 累计) that the quoted
        sentences state plain: they answer another measure (地区生产总值 for 人均地区生产总值)."""
        asked = question_clauses(case.query.text)
        return next((m for m in MEASURE_MODIFIERS if m in asked and m not in case.quoted), None)

    def level_unquoted(self, case: Case) -> str | None:
        """A whole place of another level than the report's (全市 asked of a district's report, 全国 of a
        province's) that the quoted sentences do not name: they state the report's own figure."""
        if not self.own_level:
            return None
        for m in WHOLE_PLACE.finditer(question_clauses(case.query.text)):
            if m.group(1) != self.own_level and m.group(0) not in case.quoted:
                return m.group(0)
        return None

    def qualifier_unquoted(self, case: Case) -> str | None:
        """A measure asked of one thing (页岩气产值, 小学学位) that the quoted sentences state of another
        (规上工业总产值, 中学学位): they hold the measure's word but not the thing's."""
        quoted = case.quoted
        words = self.tags(question_clauses(case.query.text))
        for i, ((thing, ft), (measure, fm)) in enumerate(zip(words, words[1:], strict=False)):
            if len(thing) == 1 and i and words[i - 1][1].startswith("n"):
                thing = words[i - 1][0] + thing  # a one-character noun ends the thing: 页岩 + 气
            if len(thing) < 2 or len(measure) < 2 or not ft.startswith("n") or not fm.startswith("n"):
                continue
            if measure not in quoted or thing in quoted:
                continue
            if not measure.endswith(INDICATOR_HEADS) and not self._sibling_before(thing, measure, quoted):
                continue
            if thing in case.function_words or WHOLE_PLACE.match(thing) or self._names_place(thing, ft):
                continue
            if any(thing.startswith(n) for n in self.own_places):
                continue
            if self._everyday_for(thing, quoted) or related_in(thing, case.query.related, quoted):
                continue
            if self._alias_covered(thing, case.query) or self._alias_covered(thing + measure, case.query):
                continue
            if indicators_in(thing + measure):
                continue  # an official indicator (地区生产总值): indicator-unquoted reads those
            return thing + measure
        return None

    def unknown_unquoted(self, case: Case) -> str | None:
        """A specific noun the report never uses (地铁), in the clause that asks, answered only because the
        everyday table's term for it is written near it (轨道交通 in the passage): the quoted sentences hold
        neither."""
        unknown = self._scan(case)[1]
        if unknown is None or unknown.lower() not in everyday_terms():
            return None
        asking = [c for c in re.split(r"[，,；;？?]", case.query.text) if OWN_ASKING.search(c)]
        if not any(unknown in c for c in asking) or self._everyday_for(unknown, case.quoted):
            return None
        return None if related_in(unknown, case.query.related, case.quoted) else unknown

    def combined_unquoted(self, case: Case) -> str | None:
        """A thing asked alone (出口) that the quoted sentences state only together with another, in a
        contraction (进出口总额 of 进口 and 出口), and not one by one (城乡居民…分别达6.9万元、3.4万元)."""
        quoted = case.quoted
        if not quoted:
            return None
        thesaurus = cilin()
        quoted_words: list[str] = []  # segmented once, when a word asked is in the quoted text

        def one_by_one(written: str) -> bool:  # "城乡居民人均可支配收入分别达…": 分别 soon after it
            at = quoted.find(written)
            return at >= 0 and RESPECTIVELY in quoted[at : at + RESPECTIVELY_WITHIN]

        for asked, flag in self.tags(question_clauses(case.query.text)):
            if len(asked) < 2 or not flag.startswith(("n", "vn")) or asked in case.function_words:
                continue
            # 出口额 is asked as 出口 and its head 额
            head = next((h for h in INDICATOR_HEADS if len(h) == 1 and asked.endswith(h)), "")
            word = asked[: -len(head)] if head and len(asked) > 2 else asked
            if word not in quoted:
                written = contraction_in(word, quoted, thesaurus)
                if written and not one_by_one(written):
                    return word
                continue
            quoted_words = quoted_words or [w for w, _ in self.tags(quoted)]
            held = [w for w in quoted_words if word in w]
            if held and all(self._contracts(w, word) and not one_by_one(w) for w in held):
                return word
        return None

    def _contracts(self, written: str, word: str) -> bool:
        """Whether a word of the quoted sentences (进出口总额) holds `word` only joined with another thing
        by the character before it: 进出口 = 进口 + 出口 (进 and 出 of one kind, 进口 a word)."""
        at = written.find(word)
        while at >= 0:
            if at == 0:
                return False
            before = written[at - 1]
            if not (cilin().coordinate(before, word[0]) and self._jieba_knows(before + word[1:])):
                return False
            at = written.find(word, at + 1)
        return True

    def _sibling_before(self, thing: str, measure: str, quoted: str) -> bool:
        """Whether the quoted sentences write the measure after another kind of the thing (中学学位 for
        小学学位)."""
        at = quoted.find(measure)
        while at >= 0:
            if any(cilin().siblings(thing, quoted[max(0, at - k) : at]) for k in (2, 3)):
                return True
            at = quoted.find(measure, at + 1)
        return False

    def kind_missing(self, case: Case) -> str | None:
        return missing_kind(kind_text(case.query), case.quoted)

    # -- the question's words, scanned once for rules 6 and 7 --------------------------------------
    def _scan(self, case: Case) -> tuple[str | None, str | None]:
        """(another place the passages do not name, a specific term the report never uses)."""
        if case.scanned is None:
            case.scanned = self._scan_words(case)
        return case.scanned

    def _df(self, word: str) -> int:
        return len(self.keyword.words.postings.get(word.lower(), ()))

    def _alias_covered(self, word: str, query: Query) -> bool:
        """Whether an alias explains the word: one of the question's that the report writes on one side
        or the other (社零 for 社会消费品零售总额 explains nothing in a report that states neither)."""
        low, w = query.text.lower(), word.lower()
        aliases = (*load_aliases(), *query.aliases)  # the table's and what the report defines
        return any(
            a in low
            and (w in a or a in w)
            and any(self.keyword.phrase_idf(t) is not None for t in (a, *x.split()))
            for a, x in aliases
        )

    def _scan_words(self, case: Case) -> tuple[str | None, str | None]:
        query, best_context = case.query, case.best_context
        if not case.passages:
            return None, None
        top = " ".join(p.chunk.indexed_text for p in case.passages[:3]).lower()
        text = QUESTION_WORDS.sub(" ", YEAR_IN_TEXT.sub(" ", query.text))
        if query.english:
            text = query.search_text[len(query.text) :]
        unknown = None
        asked = text if query.english else question_clauses(text)
        words = [(w, f) for w, f in self.tags(text) if len(w) >= 2 and w not in case.function_words]
        # every word that may be a place, for the initials of places named together (桐澜云)
        places = [w for w, f in words if (f == "ns" or PLACE.match(w)) and w not in NOT_PLACES]
        for word, flag in words:
            if not flag.startswith("n"):
                continue
            place = word in places and self._names_place(word, flag)
            if place and any(word.startswith(n) for n in self.own_places):
                continue  # the report's own place, glued to a word by jieba (北京地区, of 北京地区生产总值)
            if self._alias_covered(word, query) or word.lower() in (best_context.lower() if place else top):
                continue
            if any(word.lower() in t for t in self._written_indicators(query)):
                continue  # 地区 of 地区生产总值, in a report that writes 全县生产总值
            if self._everyday_for(word, case.best_sentence) or related_in(
                word, query.related, case.best_sentence
            ):
                continue
            # another place: one the report hardly mentions (its own places, 永川/重庆/新建, recur)
            rare = self._df(word) < self.numbers.rare_place * self.n
            if place and rare and not initials_named(places, best_context):
                return f"{word} not in the passages", unknown
            # a real word (not a segmentation artefact) the report never uses
            if unknown is None and self._df(word) == 0 and self._jieba_knows(word) and word in asked:
                spelled = all(ch in case.best_sentence for ch in word)  # 天气 in 空气质量优良天数
                if (
                    not spelled
                    and not self._near_term_in(word, top)
                    and self._names_a_measure(word, top, query.text)
                ):
                    unknown = word  # 大面积 is a report term plus a modifier
        if unknown is None and not query.english:
            unknown = self._unwritten_indicator(asked.lower(), query)
        return None, unknown

    def _unwritten_indicator(self, asked: str, query: Query) -> str | None:
        """An indicator the question names, often across several words (社会消费品零售总额 = 社会/消费品/
        零售总额), that the report never writes, and no alias the report writes explains."""
        for term in indicators_in(asked):
            if not self._writes(term) and not self._alias_covered(term, query):
                return term
        return None

    def _written_indicators(self, query: Query) -> list[str]:
        return [t for t in indicators_in(query.text.lower()) if self._writes(t)]

    def _writes(self, term: str) -> bool:
        """Whether the report writes the indicator, or it without a two-character qualifier (生产总值 for
        地区生产总值, 调查失业率 for 城镇调查失业率)."""
        short = term[QUALIFIER_CHARS:]
        return any(
            self.keyword.phrase_idf(t) is not None for t in (term, short) if len(t) >= MIN_INDICATOR_CHARS
        )

    def _near_term_in(self, word: str, text: str) -> bool:
        """Whether `word` is a report term in `text` plus a modifier that is one character or also in
        `text` (大面积 = 大 + 面积, 体育赛事 = 体育 + 赛事) — but not 城镇居民 over a passage on 居民."""
        for k in range(1, len(word) - 1):
            head, modifier = word[k:], word[:k]
            if head in text and self._df(head) > 0 and (len(modifier) == 1 or modifier in text):
                return True
        return False

    @classmethod
    def _names_a_measure(cls, word: str, text: str, question: str | None = None) -> bool:
        """Whether a word the report never uses names something a report would state: a formal term
        (常住人口, 报名费, 区长), or an everyday word for one that `text` lacks (病人 for 患者).
        Other everyday words (房顶, 娃娃, 新装) only phrase the question and do not refuse it."""
        if is_formal(word, question):
            return True
        return word.lower() in everyday_terms() and not cls._everyday_for(word, text)

    @staticmethod
    def _everyday_for(word: str, sentence: str) -> bool:
        """Whether `word` is an everyday word for a report term the quoted sentence itself uses (房顶 over
        "屋顶分布式光伏"); the term merely being in the report is not enough."""
        return any(term in sentence for term in everyday_terms().get(word.lower(), ()))

    def _names_place(self, word: str, flag: str) -> bool:
        """Whether a segmented word surely names a place: it ends in a level (江津区), or is tagged so (ns)
        and is a place by the thesaurus or, unlisted there, a word of the dictionary or one ending in a
        level (泸县): not 新建 (a county, but listed as "to build") nor the tagger's guess at another
        unknown word (太累)."""
        if PLACE.match(word):
            return True
        if flag != "ns":
            return False
        listed = cilin().names_place(word)
        if listed is not None:
            return listed
        return self._jieba_knows(word) or word[-1] in PLACE_ENDINGS

    def _jieba_knows(self, word: str) -> bool:
        return self.keyword.tokenizer._jieba.FREQ.get(word, 0) > 0  # type: ignore[attr-defined]


RULES: tuple[Rule, ...] = (
    Rule("no-passage", PASSAGES, "nothing in the report matches the question", RefusalRules.no_passage),
    Rule("year-not-covered", PASSAGES, "the report neither reviews nor plans that year", RefusalRules.year_not_covered),
    Rule("time-not-stated", PASSAGES, "the report gives no such date or time", RefusalRules.time_not_stated),
    Rule("no-person", PASSAGES, "the report names no person for it", RefusalRules.no_person),
    Rule("other-year-only", PASSAGES, "the report has it only for the other year", RefusalRules.other_year_only),
    Rule("other-place", PASSAGES, "the question is about a place the report does not cover", RefusalRules.other_place),
    Rule("unknown-term", PASSAGES, "the question names something the report never mentions", RefusalRules.unknown_term),
    Rule("low-coverage", PASSAGES, "the report's passages share too little with the question", RefusalRules.low_coverage),
    Rule("no-place", QUOTED, "the report does not say where", RefusalRules.no_place_named),
    Rule("blank-cell", QUOTED, "the report's table marks that figure as not given", RefusalRules.blank_cell_asked),
    Rule("indicator-unquoted", QUOTED, "the report states that indicator elsewhere, not as asked", RefusalRules.indicator_unquoted),
    Rule("modifier-unquoted", QUOTED, "the report states that figure, not per head or in total as asked", RefusalRules.modifier_unquoted),
    Rule("level-unquoted", QUOTED, "the report states its own figure, not the wider or narrower place's", RefusalRules.level_unquoted),
    Rule("qualifier-unquoted", QUOTED, "the report states that measure of something else", RefusalRules.qualifier_unquoted),
    Rule("unknown-unquoted", QUOTED, "the report never names that thing", RefusalRules.unknown_unquoted),
    Rule("combined-unquoted", QUOTED, "the report states that thing only together with another", RefusalRules.combined_unquoted),
    Rule("missing-kind", QUOTED, "the quoted sentences hold no answer of the kind asked", RefusalRules.kind_missing),
)  # fmt: skip


@lru_cache(maxsize=1)
def _indicator_names() -> tuple[str, ...]:
    """The official statistics the alias table spells abbreviations out to (社零 -> 社会消费品零售总额,
    固投 -> 固定资产投资), four characters or more, longest first: the names of indicators."""
    spelled = {t.lower() for _, x in load_aliases() for t in x.split()}
    terms = {
        t
        for t in spelled
        if len(t) >= MIN_INDICATOR_CHARS and not t.isascii() and t.endswith(INDICATOR_HEADS)
    }
    return tuple(sorted(terms, key=lambda t: (-len(t), t)))


@lru_cache(maxsize=1024)
def indicators_in(text: str, whole: bool = False) -> tuple[str, ...]:
    """The indicators a (lower-cased) text names, longest first; `whole`: only those not part of another
    it names (规上工业增加值 is asked, not its part 工业增加值)."""
    found = tuple(t for t in _indicator_names() if t in text)
    return tuple(t for t in found if not any(t in u and t != u for u in found)) if whole else found


def kind_text(query: Query) -> str:
    """What the question asks for now: a condensed follow-up's own words when they ask themselves
    ("…一共列了几件民生实事，其中第一件是什么" asks what the first is, not how many), else the question."""
    return query.asked if query.asked and OWN_ASKING.search(query.asked) else query.text


def missing_kind(question: str, answer_text: str) -> str | None:
    """The kind of answer the question asks for (a sum of money, a percentage, a name, a price, a
    ranking, a count in a measure word, any figure), if the answer's sentences hold none of it."""
    if WANTS_MONEY.search(question) and not (
        HAS_MONEY.search(answer_text) and HAS_FIGURE.search(answer_text)
    ):
        return "no sum of money"
    amount = WANTS_AMOUNT.search(question)
    if amount and not CHANGE.search(question):  # a sum asked by its measure's name, not how it changed
        if not HAS_AMOUNT.search(answer_text):
            return "no sum of money"
        if amount.group(1) not in answer_text:
            return f"no {amount.group(1)}"  # 总投资 asked, another sum (中央资金6.1亿元) quoted
    if WANTS_SHARE.search(question) and not HAS_SHARE.search(answer_text):
        return "no percentage"
    measure = WANTS_MEASURE.search(question)
    if measure and not re.search(rf"[\d{CN_NUMERAL}][余多万亿]{{0,2}}{measure.group(1)}", answer_text):
        return f"no figure in {measure.group(1)}"
    if WANTS_NAME.search(question) and not HAS_NAME.search(answer_text):
        return "no name"
    if WANTS_PRICE.search(question) and not HAS_PRICE.search(answer_text):
        return "no price"
    if WANTS_RANK.search(question) and not HAS_RANK.search(answer_text):
        return "no ranking"
    if ASKS_FIGURE.search(question) and not HAS_FIGURE.search(NOT_A_FIGURE.sub(" ", answer_text)):
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
