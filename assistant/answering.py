"""Extractive answers: the report's own sentences that answer the question, each with its citation."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from .comparison import compare
from .keyword import KeywordIndex
from .query import COLLOQUIAL_FILE, Query, is_formal, load_aliases, matched_aliases
from .refusal import WANTS_NAME, RefusalPolicy, missing_kind
from .tables import UNIT_IN_NAME, readable_record
from .types import BOX, GENERAL, LIST_ITEM, PLAN, REVIEW, TABLE_ROW, Answer, Citation, Passage

REFUSAL = "抱歉，这份报告没有涉及这个问题，无法根据报告回答。"
NUM = re.compile(r"\d+(?:\.\d+)?")
SENT = re.compile(r"[^。！？；\n]+[。！？；]?")
CLAUSE = re.compile(r"[^，；：]+[，；：]?")
MANY_FIGURES = 4  # a sentence stating this many figures lists several things (targets), not one
POINT_MIN_CHARS = 24  # a sentence this short is the answer already; a longer one is pointed at its clauses
MAX_WINDOW = 4  # clauses a pointed quote may span
PHRASE_BONUS = 0.05  # a sentence with the whole term an asked word stands for: breaks ties of coverage
PLACE_BONUS = 0.1  # a sentence naming a place, for a question asking where
WHERE_Q = re.compile(r"哪里|哪儿|什么地方|啥地方|在哪|where", re.I)
SECOND_CLOSE = 0.85  # a second quote scoring this close to the first is shown: the ranking cannot choose
ADDS_MIN = 0.01  # coverage a second quote must add to be shown (it answers a word the first lacks)
MIN_NEW_CHARS = 1  # characters or digits a quoted part must hold beyond the question's own (not a bare label)
PLANNED_CELL = re.compile(r"计划|目标|预期|任务")  # a table's planned columns (计划任务, 预期目标)
RESULT_ASKED = re.compile(r"实际|完成|达到|实现|建成|结果")  # ... and a question asking the result as well
LABEL = re.compile(r"[^，；：。]{1,16}[：:]")  # "能源：" opening a sentence names what it is about
HOW = re.compile(r"怎么样|怎样|如何|情况")  # asks how something went: all the sentence says answers it
FIGURE = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d年]|\.\d)")  # a figure, not a year
SAYS = re.compile(r"[\u4e00-\u9fff\d%A-Za-z]")  # what a quoted part says (not its punctuation)
POINT_MIN_COVERAGE = 0.75  # below this the question's own words do not pick the clause: quote the sentence
ASKS = re.compile(r"多少|几[个项家座户人天所处件条口次场]|哪些|什么|其中.{0,12}呢")
WINDOW_COVERAGE = 0.6  # share of the whole sentence's coverage a quoted run of clauses must reach
CONTINUES = re.compile(r"^(同比|比上年|较上年|增长|下降|增速|提高|降低|分别|年均)")
NO_FIGURE = {"—", "－", "-", "―", "/", "无"}
UNKNOWN_NON_NOUN = 0.2  # dev: 1.0 -> 0.2 answers 3 more, none of the unanswerable; 0 answers 2 of those
SUMMARY_CHARS = 160  # how much of a section's opening answers "what does it say"
ENUM = re.compile(r"[、]|“[^”]{1,12}”“")
TARGET = re.compile(r"目标|预期")
ASKED_MEASURE = re.compile(
    r"(?:多少|几)(所|家|座|条|公里|亩|吨|张|辆|台|户|人次|名|套|场|次|项|宗|处|批|栋|平方米|万人|人)"
)
EVERYDAY_CREDIT = 0.25  # dev: 0.25 answers 1 more, no change else; 0.5-0.75 trade 2 fixed for 2 broken
SPECIFIC_DF = 0.2  # a word in more than this share of chunks (永川, 发展) names nothing in particular
MEASURE_BONUS = 0.1  # dev: 0.05-0.2 alike
TARGET_BONUS = 0.1  # dev: 0.05-0.2 alike
CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")
YEAR_TOKEN = re.compile(r"(?:19|20)\d{2}")
# question and function words that say nothing about the topic (kept as data-like constant, not per report)
FUNCTION_WORDS = set(
    "比 多 少 高 低 实际 指 指的是 叫 叫做 里 做 成 让 各 方式 提出 指出 包括 包含 哪几 几个 哪几个 哪类 哪项 哪个 "
    "什么样 怎么样 怎样 得 存在 举 例子 方向 领域 分别 一共 总共 大概 大约 目前 现在 已经 能 会 需要 应该 可以 "
    "打算 定 定的 到底 具体 相关 有关 关于 主要 重点 情况 方面 问题 内容 如何 多大 多高 多长 拿到 到手 涨 涨了 "
    "安排 力争 目标 计划 预期 预计 要 将 还 又 再 也 都 就 呢 吗 吧 啊 的话 这个 那个 这些 那些 其中 "
    # nouns that frame a question rather than name its topic (范围覆盖了多少, 评上了什么级别)
    "范围 比例 级别 等级 档次 水平 程度 数量 数目 大家 人们 名称 命名 名字".split()
)


@lru_cache(maxsize=1024)
def everyday_pairs(text: str) -> tuple[tuple[str, str], ...]:
    """(everyday word, report terms) pairs in a question: they count towards coverage, not ranking."""
    return matched_aliases(text, load_aliases(COLLOQUIAL_FILE))


@dataclass(frozen=True)
class Asks:
    """What a question asks for, found once per question rather than once per sentence scored."""

    counted: re.Pattern[str] | None  # a count in the measure word asked for (几所 -> "5所")
    target: bool  # a target (目标/预期) rather than a result

    @classmethod
    def of(cls, question: str) -> Asks:
        m = ASKED_MEASURE.search(question)
        counted = re.compile(rf"\d[余多万亿]{{0,2}}{m.group(1)}") if m else None
        return cls(counted, bool(TARGET.search(question)))


@dataclass(frozen=True)
class Sentence:
    passage: int  # index into the passages list
    text: str
    start: int  # offset inside the passage text
    score: float
    coverage: float
    display: str = ""  # what the answer shows, when it is a trimmed form of `text`
    pointed: bool = False  # `text` is the clause(s) of `display` that answer the question


def sentences_of(p: Passage) -> list[tuple[str, int]]:
    """Sentences of a passage with offsets; a table row is one unit."""
    if p.chunk.kind == TABLE_ROW:
        return [(p.chunk.text, 0)]
    return [(m.group(0), m.start()) for m in SENT.finditer(p.chunk.text) if m.group(0).strip()]


class ExtractiveAnswerer:
    """Pick the sentences that best answer the question from the top passages."""

    def __init__(
        self,
        keyword: KeywordIndex,
        refusal_threshold: float = 0.3,
        max_sentences: int = 2,
        unknown_term_coverage: float = 0.8,
    ) -> None:
        self.keyword = keyword
        self.tokenizer = keyword.tokenizer
        self.threshold = refusal_threshold
        self.max_sentences = max_sentences
        self.max_idf = max(keyword.words.idf.values(), default=1.0)
        self.scope_penalty = 0.1  # tuned on dev: 93.4% -> 94.0% answer accuracy
        self._terms = lru_cache(maxsize=512)(self._query_terms)
        self.policy = RefusalPolicy(keyword, refusal_threshold, unknown_term_coverage)

    # -- scoring ---------------------------------------------------------------------------------
    def query_terms(self, query: Query, everyday: bool = False) -> dict[tuple[str, ...], float]:
        """Content words of the question with their alternatives and weights (computed once per query)."""
        return self._terms(query, everyday)

    def _query_terms(self, query: Query, everyday: bool = False) -> dict[tuple[str, ...], float]:
        """Content words of the question, each with its alias alternatives, weighted by IDF.

        A group counts as present if any alternative is: "GDP" is found as 地区生产总值, 增速 as 增长.
        Words the report never uses (and no alias explains) weigh most. Years are checked apart.
        """
        terms: dict[tuple[str, ...], float] = {}
        n = len(self.keyword.chunks) or 1
        nouns = {w for w, flag in self.policy.tags(query.text) if flag.startswith("n") or flag == "eng"}
        words, glued = self._glued(self.tokenizer.terms(query.text))
        pairs = query.aliases + (everyday_pairs(query.text) if everyday else ())
        for w in words:
            if w in FUNCTION_WORDS or YEAR_TOKEN.fullmatch(w) or len(w) == 1 and not w.isdigit():
                continue
            if query.english and not re.search(r"[\u4e00-\u9fff]", w):
                continue  # English words are matched through their Chinese alias expansions
            alts = [w]
            for alias, expansion in pairs:
                if w in alias or alias in w:
                    alts += [t for t in self.tokenizer.words(expansion) if t not in FUNCTION_WORDS]
            idfs = [self._idf(a, glued) for a in alts]
            known = [k for k in idfs if k is not None]
            if not known and len(alts) == 1:
                # a word the report never uses: a formal noun (常住人口) names something it may not cover
                # (weighs most); an everyday noun (房顶, 娃娃) or verb (加起来, 做买卖) only phrases it
                idf = self.max_idf if w in nouns and is_formal(w) else UNKNOWN_NON_NOUN * self.max_idf
            elif not known:
                continue
            else:
                idf = max(k for k in known if k is not None)
            df = min((len(self.keyword.words.postings.get(a, ())) for a in alts), default=0)
            terms[tuple(dict.fromkeys(alts))] = idf * (0.3 if df > 0.2 * n else 1.0)
        if query.english:
            for _, expansion in query.aliases:
                for w in self.tokenizer.words(expansion):
                    if self.keyword.idf(w) is not None and w not in FUNCTION_WORDS:
                        terms.setdefault((w,), 0.5 * (self.keyword.idf(w) or 0.0))
        return terms

    def _idf(self, word: str, glued: set[str]) -> float | None:
        idf = self.keyword.idf(word)
        return self.keyword.phrase_idf(word) if idf is None and word in glued else idf

    def _glued(self, words: list[str]) -> tuple[list[str], set[str]]:
        """A lone character joined to the word before it when the report uses the joined form: jieba
        splits 消费券 into 消费/券, and 券 alone would be dropped. (Not to the word after it: 修+改造.)
        Returns the words and which of them were joined."""
        out: list[str] = []
        glued: set[str] = set()
        i = 0
        while i < len(words):
            w = words[i]
            nxt = words[i + 1] if i + 1 < len(words) else ""
            if len(nxt) == 1 and CJK_CHAR.match(nxt) and len(w) > 1 and self.keyword.phrase_idf(w + nxt):
                glued.add(w + nxt)
                out.append(w + nxt)
                i += 2
                continue
            out.append(w)
            i += 1
        return out, glued

    def coverage(self, terms: dict[tuple[str, ...], float], text: str) -> float:
        total = sum(terms.values())
        if not total:
            return 0.0
        low = text.lower()
        return sum(w for alts, w in terms.items() if any(a in low for a in alts)) / total

    def _score(
        self,
        query: Query,
        terms: dict[str, float],
        sent: str,
        context: str,
        rank: int,
        fused: float,
        asks: Asks,
        everyday: dict[tuple[str, ...], float] | None = None,
    ) -> float:
        own = self.coverage(terms, sent)
        ctx = self.coverage(terms, context)
        if everyday is not None:  # an everyday word's report term counts a little (a looser match)
            own = (1 - EVERYDAY_CREDIT) * own + EVERYDAY_CREDIT * self.coverage(everyday, sent)
            ctx = (1 - EVERYDAY_CREDIT) * ctx + EVERYDAY_CREDIT * self.coverage(everyday, context)
        s = 0.65 * own + 0.25 * ctx + 0.1 * fused - 0.02 * rank
        has_num = bool(NUM.search(sent))
        if query.kind in ("number", "compare") and not has_num:
            s -= 0.25
        if query.kind == "list" and ENUM.search(sent):
            s += 0.1
        if asks.counted and asks.counted.search(sent):
            s += MEASURE_BONUS  # "几所幼儿园": a sentence counting in 所
        if asks.target and TARGET.search(sent):
            s += TARGET_BONUS  # "目标是多少" after a result: the target it was measured against
        for y in query.years:
            if str(y) in sent:
                s += 0.05
        return s

    def rank_sentences(self, query: Query, passages: Sequence[Passage]) -> list[Sentence]:
        terms = self.query_terms(query)
        everyday = self.query_terms(query, everyday=True) if EVERYDAY_CREDIT else None
        everyday = everyday if everyday != terms else None
        asks = Asks.of(query.text)
        top = passages[0].score if passages else 1.0
        # the report terms the question's words stand for, whole ("老百姓收入" -> 全体居民人均可支配收入)
        phrases = {e for _, e in query.aliases + everyday_pairs(query.text) if " " not in e and len(e) > 2}
        out = []
        for i, p in enumerate(passages):
            context = p.chunk.indexed_text
            units = sentences_of(p)
            if query.kind == "list" and p.chunk.kind in (BOX, LIST_ITEM) and len(units) > 1:
                units = [*units, (p.chunk.text, 0)]  # the list as a whole may answer "包括哪些"
            for text, start in units:
                fused = p.score / top if top else 0.0
                whole = text == p.chunk.text and len(units) > 1
                own = f"{p.chunk.section_path[-1]}\n{text}" if whole else text
                score = self._score(query, terms, own, context, i, fused, asks, everyday)
                score += self._asked_bonus(query, text, phrases)
                if query.scope and p.chunk.scope not in (query.scope, GENERAL):
                    score -= self.scope_penalty  # a 2024 target does not answer a 2023 question
                cov = self.coverage(terms, f"{p.chunk.section} {text}")
                out.append(Sentence(i, text, start, score, cov))
        out.sort(key=lambda s: -s.score)
        return out

    def _asked_bonus(self, query: Query, text: str, phrases: set[str]) -> float:
        """Rank by what is asked: a sentence naming the whole term a question's everyday word stands for
        (居民人均可支配收入 for 老百姓收入, not 一般公共预算收入 sharing 收入), or a place for "在哪里"."""
        bonus = PHRASE_BONUS if any(p in text for p in phrases) else 0.0
        if WHERE_Q.search(query.text) and any(f == "ns" for _, f in self.policy.tags(text)):
            bonus += PLACE_BONUS
        return bonus

    # -- answering -------------------------------------------------------------------------------
    def support(self, query: Query, passages: Sequence[Passage]) -> float:
        """How well the best of the top passages covers the question's content words (0..1)."""
        terms = self.query_terms(query, everyday=True)
        return max((self.coverage(terms, p.chunk.indexed_text) for p in passages[:3]), default=0.0)

    def _section_opening(self, query: Query, passages: Sequence[Passage]) -> list[Sentence]:
        """ "What does section X say": the opening sentences of the passage whose heading best matches."""
        terms = self.query_terms(query)
        i = max(range(len(passages)), key=lambda k: (self.coverage(terms, passages[k].chunk.section), -k))
        chunk = passages[i].chunk
        units = sentences_of(passages[i])
        out, used = [], 0
        for text, start in units:
            if text.strip().rstrip("。：:") == chunk.section_path[-1]:
                continue  # the heading itself says nothing more
            if out and used + len(text) > SUMMARY_CHARS:
                break
            out.append(Sentence(i, text, start, 1.0, 1.0))
            used += len(text)
        return out or [Sentence(i, chunk.text, 0, 1.0, 1.0)]

    def _prefer_asked_year(
        self, query: Query, passages: Sequence[Passage], ranked: list[Sentence]
    ) -> list[Sentence]:
        """If the question names a year and a close runner-up comes from that year's part, lead with it."""
        if not (ranked and query.years and query.scope):
            return ranked
        if passages[ranked[0].passage].chunk.scope in (query.scope, GENERAL):
            return ranked
        for i, s in enumerate(ranked[1:], 1):
            if s.score < ranked[0].score * 0.6:
                break
            if passages[s.passage].chunk.scope == query.scope:
                return [s, *ranked[:i], *ranked[i + 1 :]]
        return ranked

    def refusal_reason(
        self,
        query: Query,
        passages: Sequence[Passage],
        ranked: Sequence[Sentence],
        years: tuple[int | None, int | None],
    ) -> str | None:
        best = ranked[0].text if ranked else ""
        chunk = passages[ranked[0].passage].chunk if ranked else None
        return self.policy.reason(
            query,
            passages,
            self.support(query, passages),
            best,
            chunk.indexed_text if chunk else "",
            years,
            FUNCTION_WORDS,
            chunk.scope if chunk else GENERAL,
        )

    def answer(
        self, query: Query, passages: Sequence[Passage], years: tuple[int | None, int | None]
    ) -> Answer:
        ranked = self.rank_sentences(query, passages) if passages else []
        ranked = self._prefer_asked_year(query, passages, ranked)
        reason = self.refusal_reason(query, passages, ranked, years)
        if reason:
            # sections are suggested only if the question shares something with them at all
            return _ruled(
                refusal(query, passages, suggest=self.support(query, passages) > 0), f"refused: {reason}"
            )
        if query.kind == "summary":
            return _ruled(
                compose(query, self._section_opening(query, passages), passages, years),
                "summary: section opening",
            )
        if query.kind == "compare":
            compared = compare(query, ranked, passages, self.tokenizer, years)
            if compared:
                return _ruled(compared, "comparison: both figures and the arithmetic")
        best = ranked[0]
        p0 = passages[best.passage]
        if p0.chunk.kind in (BOX, LIST_ITEM) and best.text.strip().endswith(("：", ":")):
            # the best match is the label that opens a list ("两大主导产业集群："): the list answers
            return _ruled(
                compose(query, list_units(best, passages), passages, years), "list: the items under its label"
            )
        if query.kind == "list":
            parallel = parallel_units(best, passages)
            if parallel:
                return _ruled(compose(query, parallel, passages, years), "list: sentences opening alike")
        if query.kind == "list" and p0.chunk.kind in (BOX, LIST_ITEM) and best.text == p0.chunk.text:
            # the question is about the list itself (its heading), not one item in it
            heading = self.coverage(self.query_terms(query), p0.chunk.section_path[-1])
            item = max(
                (s.coverage for s in ranked if s.passage == best.passage and s.text != best.text), default=0.0
            )
            named = ITEM_NAME.match(p0.chunk.text.strip())  # "5.生物医药及大健康产业：…" is asked by name
            if named and p0.chunk.kind == LIST_ITEM:
                item = max(item, self.coverage(self.query_terms(query), named.group(1)))
            if heading >= item:
                return _ruled(
                    compose(query, list_units(best, passages), passages, years),
                    "list: the list asked about by its heading",
                )
            parts = [s for s in ranked if s.passage == best.passage and s.text != best.text]
            if parts:  # answer with the item's own sentences rather than the whole list item
                ranked = [s for s in ranked if not (s.passage == best.passage and s.text == best.text)]
                best, p0 = ranked[0], passages[ranked[0].passage]
        chosen = [best]
        table_first = p0.chunk.kind == TABLE_ROW and query.kind == "number"
        # a table row's number reads better next to the sentence that states it with its unit;
        # other questions take a second sentence more readily (their key facts spread further)
        bar = 0.6 if table_first else 0.85 if query.kind == "number" else 0.65
        for s in ranked[1:]:
            if len(chosen) >= self.max_sentences:
                break
            if s.text in {c.text for c in chosen} or s.score < ranked[0].score * bar:
                continue
            if s.coverage < best.coverage * 0.6:
                continue  # a second sentence must be about the same thing
            if query.scope and passages[s.passage].chunk.scope not in (query.scope, GENERAL):
                continue  # ... and the same year (a 2024 target does not add to a 2023 result)
            if query.kind in ("list", "compare", "other", "define") or s.passage != chosen[0].passage:
                chosen.append(s)
        if blank_cell_asked(query.text, best, passages):
            return _ruled(
                refusal(query, passages), "refused: the table marks the figure asked for as not given"
            )
        held = " ".join(figures_text(c, passages) for c in chosen)
        if WANTS_NAME.search(query.text):
            held = self._clauses_about(query, held)  # the name must be of what is asked about
        if missing_kind(query.text, held):
            # "总投资是多少" over a passage that only names the project
            return _ruled(
                refusal(query, passages),
                "refused: the kind of figure asked for is not in the quoted sentences",
            )
        terms = self.query_terms(query, everyday=True)  # everyday words point at the clause they mean
        chosen = self._adding(query, terms, [self._clauses(query, terms, c, passages) for c in chosen], passages)
        pointed = any(c.pointed for c in chosen)
        return _ruled(
            compose(query, chosen, passages, years),
            "answer: the clauses asked about" if pointed else "answer: best sentences",
        )

    def _adding(
        self,
        query: Query,
        terms: dict[tuple[str, ...], float],
        chosen: list[Sentence],
        passages: Sequence[Passage],
    ) -> list[Sentence]:
        """The first quote, and a further one only if it adds what was asked: a word of the question
        the quotes so far lack, the kind of figure asked for (the other half of "总量和增速"), a figure
        where there is none, the other year of a question naming two, the words that state a table
        row's figure; or a sentence (not another table row, which is another indicator) the ranking
        cannot tell from the first."""
        out = [chosen[0]]
        phrases = {e for _, e in query.aliases + everyday_pairs(query.text) if " " not in e and len(e) > 2}
        for s in chosen[1:]:
            held = "".join(c.text for c in out)
            if s.text.strip().rstrip("。；，") in held:
                continue  # no sentence or label twice
            kinds = {passages[c.passage].chunk.kind for c in out}
            scopes = {passages[c.passage].chunk.scope for c in out}
            adds = (
                self.coverage(terms, held + s.text) > self.coverage(terms, held) + ADDS_MIN
                or missing_kind(query.text, held) is not None and missing_kind(query.text, held + s.text) is None
                or len(FIGURE.findall(held)) < max(1, _asks(query)) and FIGURE.search(s.text)
                or len(set(query.years)) > 1 and passages[s.passage].chunk.scope not in scopes
                or kinds == {TABLE_ROW} and passages[s.passage].chunk.kind != TABLE_ROW
                or s.score >= chosen[0].score * SECOND_CLOSE
                and passages[s.passage].chunk.kind != TABLE_ROW
                and self._asked_bonus(query, s.text, phrases) >= self._asked_bonus(query, chosen[0].text, phrases)
            )
            if adds:
                out.append(s)
        return out

    def _clauses_about(self, query: Query, text: str) -> str:
        """The clauses of `text` holding one of the question's specific words (not one on every page,
        like the district's own name): "举办第十届…旅游节" names a festival, not the pandas asked about."""
        n = len(self.keyword.chunks) or 1
        specific = []
        for alts in self.query_terms(query, everyday=True):
            dfs = [len(self.keyword.words.postings.get(a, ())) for a in alts]
            if 0 < max(dfs) and min(dfs) <= SPECIFIC_DF * n:  # a report word, not on every page
                specific.append(alts)
        if not specific:
            return text
        clauses = re.split(r"[，；。]", text)
        return "，".join(c for c in clauses if any(a in c for alts in specific for a in alts))

    def _clauses(
        self, query: Query, terms: dict[tuple[str, ...], float], s: Sentence, passages: Sequence[Passage]
    ) -> Sentence:
        """Point a long sentence at the clause(s) that answer: "能源：全年新增产气井40口左右，日产气达到700万方
        以上" out of a sentence on shale gas. The run of clauses must cover the question as the sentence
        does (all of it when two things are asked), name its words most exactly, and still hold what is
        asked for (a figure, two for two asks, the count's measure word, the enumeration of a list, the
        kind of figure); a label opening the sentence ("能源：") names what the run is about when the run
        needs it. A table row is pointed at its asked cells. The whole sentence stays on the citation card."""
        if passages[s.passage].chunk.kind == TABLE_ROW:
            return self._cells(query, terms, s)
        if len(s.text) <= POINT_MIN_CHARS or query.kind in ("compare", "summary") or HOW.search(query.text):
            return s  # "实施得怎么样" is answered by all the sentence says
        if query.english:
            return s  # matched through alias expansions only: too loose to tell the clause
        if query.kind == "list" and not ENUM.search(s.text):
            return s  # the items are the sentence's clauses
        clauses = [(m.group(0), m.start()) for m in CLAUSE.finditer(s.text)]
        whole = self.coverage(terms, s.text)
        if whole < POINT_MIN_COVERAGE or len(clauses) < 2:
            return s  # a question the sentence covers loosely: quote it whole
        label = clauses[0][0] if LABEL.fullmatch(clauses[0][0]) else ""
        share = 1.0 if _asks(query) > 1 else WINDOW_COVERAGE  # two asks: both answered
        holds = _holds(query, s.text)
        window = _covering_window(
            clauses,
            lambda text: self.coverage(terms, label + text) >= whole * share and holds(text),
            lambda text: _exactness(terms, label + text),
            lambda text: (_years_named(query, text), _bigrams_named(query, text)),
        )
        if window is None:
            return s
        i, j = window
        few = len(FIGURE.findall(s.text)) < MANY_FIGURES  # a sentence about one thing, not a list of targets
        while j + 1 < len(clauses) and _continues(query, clauses[j + 1][0], terms if few else {}):
            j += 1  # "…余额127.3亿元，同比增长24.4%": the figure's growth belongs to it
        first, last = clauses[i], clauses[j]
        quoted = s.text[first[1] : last[1] + len(last[0])].rstrip("，；：。")
        if len(quoted) >= len(s.text.rstrip("，；：。")):
            return s
        run = "".join(c for c, _ in clauses[i : j + 1])
        if label and i > 0 and self.coverage(terms, label + run) > self.coverage(terms, run):
            # the label names what the run is about: "能源：全年新增产气井40口左右"
            return Sentence(s.passage, label + quoted, s.start, s.score, s.coverage, s.display or s.text, True)
        return Sentence(s.passage, quoted, s.start + first[1], s.score, s.coverage, s.display or s.text, True)

    def _cells(self, query: Query, terms: dict[tuple[str, ...], float], s: Sentence) -> Sentence:
        """A table row pointed at the cells asked about, after its name: "地区生产总值（亿元），完成情况-总量：
        1281.4亿元". A result is quoted unless a plan is asked (both if both are)."""
        fields = s.text.split("｜")
        if len(fields) < 4:
            return s
        head = fields[1]
        units = fields[2:]  # a long cell stays whole: its items answer together ("1.…。 2.…")
        whole = self.coverage(terms, "｜".join(fields[1:]))
        holds = _holds(query, s.text)
        plan = bool(PLANNED_CELL.search(query.text))
        result = not plan or bool(RESULT_ASKED.search(query.text))

        def covers(text: str) -> bool:
            planned = [PLANNED_CELL.match(u) for u in text.split("｜")]
            if plan and not any(planned) or result and all(planned):
                return False
            return self.coverage(terms, f"{head}｜{text}") >= whole and holds(f"{head}｜{text}")

        window = _covering_window(
            [(u, 0) for u in units],
            covers,
            lambda text: (*_exactness(terms, text), _bigrams_named(query, text)),  # items named as asked
            lambda text: _years_named(query, text),
            sep="｜",
        )
        if window is None or window[1] - window[0] + 1 == len(units):
            return s
        record = "｜".join([fields[0], head, *units[window[0] : window[1] + 1]])
        return Sentence(s.passage, record, s.start, s.score, s.coverage, s.text, True)


def _asks(query: Query) -> int:
    """How many things a question asks ("多少场…？多少个岗位？" asks two)."""
    return len(ASKS.findall(query.text))


def _continues(query: Query, clause: str, terms: dict[tuple[str, ...], float]) -> bool:
    """Whether a clause after the quoted run belongs to it: its figure's growth (同比增长…), the part
    "其中…" when the question asks about a part too, or a further figure of the thing asked about
    ("总投资875.3亿元，年度计划投资230.5亿元": a figure and a word of the question)."""
    if CONTINUES.match(clause) or "其中" in query.text and clause.startswith("其中"):
        return True
    return bool(FIGURE.search(clause)) and any(a in clause for alts in terms for a in alts if len(a) > 1)


def _holds(query: Query, sentence: str):  # type: ignore[no-untyped-def]
    """What a quoted part must still hold that the whole sentence holds: a figure for a question of
    numbers (two for two asks), the count in the measure word asked (几所), the enumeration a list
    question asks for, the kind of figure asked (a percentage, a sum of money, a name), and more than
    the question's own words."""
    asks = Asks.of(query.text)
    figures = len(FIGURE.findall(sentence)) if query.kind == "number" else 0
    need_figures = min(figures, max(1, _asks(query)))
    need_count = bool(asks.counted and asks.counted.search(sentence))
    need_enum = query.kind == "list" and bool(ENUM.search(sentence))
    kind_ok = missing_kind(query.text, sentence) is None
    asked = set(query.text)

    def holds(text: str) -> bool:
        if len(FIGURE.findall(text)) < need_figures:
            return False
        if need_count and not (asks.counted and asks.counted.search(text)) or need_enum and not ENUM.search(text):
            return False
        if kind_ok and missing_kind(query.text, text) is not None:
            return False
        new = [c for c in SAYS.findall(text) if c not in asked]
        return len(new) >= MIN_NEW_CHARS  # a label ("15个产业集群：") repeats the question, answers nothing

    return holds


def _bigrams_named(query: Query, text: str) -> int:
    """How many of the question's two-character pieces a quoted part has: names the term list misses
    (云谷幼儿园) still tell which item of a cell is asked about."""
    q = CJK_CHAR.findall(query.text)
    return len({a + b for a, b in zip(q, q[1:], strict=False) if a + b in text})


def _years_named(query: Query, text: str) -> int:
    """How many of the question's years a quoted part names (2023年度 over the 2022年度 next to it)."""
    return sum(str(y) in text for y in query.years)


def _exactness(terms: dict[tuple[str, ...], float], text: str) -> tuple[float, float]:
    """How exactly `text` names the question's words: first the weight of the words it has as asked
    (进出口, not the 总值 of 地区生产总值), then each word's weight times the share of its longest
    alternative found."""
    own = loose = 0.0
    for alts, weight in terms.items():
        found = [len(a) for a in alts if a in text]
        if found:
            loose += weight * max(found) / max(len(a) for a in alts)
            own += weight if alts[0] in text else 0.0
    return own, loose


def _covering_window(clauses: list[tuple[str, int]], covers, exactness, prefer=None, sep="") -> tuple[int, int] | None:  # type: ignore[no-untyped-def]
    """The run of clauses (at most MAX_WINDOW) that covers the question well enough, naming its words
    most exactly, then the shortest, then the one `prefer` ranks higher, then the earliest."""
    best: tuple[tuple[float, float], int, object, int, int] | None = None
    for i in range(len(clauses)):
        for j in range(i, min(len(clauses), i + MAX_WINDOW)):
            text = sep.join(c for c, _ in clauses[i : j + 1])
            if covers(text):
                key = (exactness(text), -(j - i), prefer(text) if prefer else 0, -i, j)
                if best is None or key > best:
                    best = key
    return None if best is None else (-best[3], best[4])


def _ruled(answer: Answer, rule: str) -> Answer:
    """The answer, recording the rule that decided it (shown by `ask --explain` and the eval workbench)."""
    return dataclasses.replace(answer, rule=rule)


def figures_text(s: Sentence, passages: Sequence[Passage]) -> str:
    """The figures a sentence states, for the wanted-figure check: a table row with each value carrying
    its header's unit, and neither the bare header units nor the cells marked "—" (no figure given)."""
    if passages[s.passage].chunk.kind != TABLE_ROW:
        return s.text
    fields = readable_record(s.text).split("，")
    kept = [f for f in fields if not (f.partition("：")[1] and f.partition("：")[2].strip() in NO_FIGURE)]
    return UNIT_IN_NAME.sub("", "，".join(kept))


def blank_cell_asked(question: str, s: Sentence, passages: Sequence[Passage]) -> bool:
    """Whether the question names a column ("总量") whose cell in this table row is "—" (not given)."""
    if passages[s.passage].chunk.kind != TABLE_ROW:
        return False
    for field in s.text.split("｜")[1:]:
        name, sep, value = field.partition("：")
        column = UNIT_IN_NAME.sub("", name).rpartition("-")[2].strip()
        if sep and value.strip() in NO_FIGURE and len(column) >= 2 and column in question:
            return True
    return False


ITEM_NAME = re.compile(r"^((?:\d{1,2}[.．、])?[^，。；：:]{2,24})[：:]")


def list_units(best: Sentence, passages: Sequence[Passage]) -> list[Sentence]:
    """A list or box answers "包括哪些" as a whole: its items by name, across its retrieved parts."""
    p0 = passages[best.passage].chunk
    parts = sorted(
        (
            i
            for i, p in enumerate(passages)
            if p.chunk.section_path == p0.section_path and p.chunk.kind == p0.kind
        ),
        key=lambda i: passages[i].chunk.start,
    )
    units = []
    lines = {i: [x.strip() for x in passages[i].chunk.text.split("\n") if x.strip()] for i in parts}
    items = sum(1 for i in parts for line in lines[i] if not line.endswith(("：", ":")))
    for i in parts:
        pieces = []
        for line in lines[i]:
            if line.endswith(("：", ":")):
                pieces.append(line)  # the list's own heading
                continue
            m = ITEM_NAME.match(line) if items > 1 else None  # a lone item is answered in full
            pieces.append((m.group(1) if m else line.rstrip("。；;")) + "；")
        units.append(Sentence(i, "".join(pieces).rstrip("；"), 0, best.score, best.coverage))
    return units


def parallel_units(best: Sentence, passages: Sequence[Passage]) -> list[Sentence]:
    """Sentences of the best one's section that open as it does ("紧盯“蓝天”保卫战…。紧盯“碧水”攻坚战…"),
    each by its first clause, in the report's order: together they are the list asked for (empty
    unless there are at least three, across the retrieved parts of that section)."""
    p0 = passages[best.passage].chunk
    label = re.compile(r"^\s*[^，。；：:]{1,12}[：:]")  # "污染防治：" before the first sentence

    def body(text: str, start: int) -> tuple[str, int]:
        m = label.match(text)
        if m:
            return text[m.end() :], start + m.end()
        return text.lstrip(), start + len(text) - len(text.lstrip())

    first_clause = CLAUSE.match(body(best.text, best.start)[0])
    head = first_clause.group(0)[:2] if first_clause else ""
    if len(head) < 2 or not CJK_CHAR.match(head) or best.text == p0.text or ENUM.search(best.text):
        return []  # a list inside the sentence ("A、B、C") is answered by the sentence itself
    parts = sorted(
        (i for i, p in enumerate(passages) if p.chunk.section_path == p0.section_path),
        key=lambda i: passages[i].chunk.start,
    )
    out = []
    for i in parts:
        for text, start in sentences_of(passages[i]):
            rest, at = body(text, start)
            clause = CLAUSE.match(rest)
            first = clause.group(0).rstrip("，；：") if clause else rest
            if rest.startswith(head) and first not in {s.text for s in out}:  # parts of a section overlap
                out.append(Sentence(i, first, at, best.score, best.coverage))
    return out if len(out) >= 3 else []


def scope_label(scope: str, years: tuple[int | None, int | None]) -> str:
    review, plan = years
    if scope == REVIEW and review:
        return f"{review}年计划执行情况"
    if scope == PLAN and plan:
        return f"{plan}年计划安排"
    return "报告"


def compose(
    query: Query,
    chosen: Sequence[Sentence],
    passages: Sequence[Passage],
    years: tuple[int | None, int | None] = (None, None),
) -> Answer:
    """Answer text in the report's words with [n] markers, one citation per passage used."""
    order: list[int] = []
    for s in chosen:
        if s.passage not in order:
            order.append(s.passage)
    citations = []
    parts = []
    for s in chosen:
        n = order.index(s.passage) + 1
        p = passages[s.passage]
        text = (s.text if s.pointed else s.display or s.text).strip()  # the clauses asked about
        if p.chunk.kind == TABLE_ROW:
            text = readable_record(text)  # its title names the year
        elif not query.english:
            text = _when(text, p.chunk.scope, years)
        parts.append(f"{text.rstrip('。；;，,')}[{n}]")
    for n, pi in enumerate(order, 1):
        p = passages[pi]
        spans = [_span(p.chunk.text, s) for s in chosen if s.passage == pi]
        citations.append(
            Citation(n, p.chunk.id, p.chunk.section, p.chunk.text, spans[0], p.chunk.start, p.chunk.end)
        )
    # the section a quote comes from is on its citation card; an English answer says what it quotes
    lead = _lead(passages[order[0]], years, english=True) if query.english else ""
    body = "；".join(parts) + "。"
    return Answer(
        text=f"{lead}{body}",
        citations=tuple(citations),
        refused=False,
        mode="extractive",
        question=query.original,
        standalone_question=query.text,
        passages=tuple(passages),
    )


def _when(text: str, scope: str, years: tuple[int | None, int | None]) -> str:
    """The year a quoted clause is about, when the clause does not say it: "2024年，地区生产总值增长7.5%左右"."""
    review, plan = years
    year = review if scope == REVIEW else plan if scope == PLAN else None
    if not year or YEAR_TOKEN.search(text) or re.match(r"^(今年|去年|全年|上年|明年)", text):
        return text
    return f"{year}年，{text}"


def _span(passage: str, s: Sentence) -> tuple[int, int]:
    """Where the quoted sentence sits in its passage (the whole passage for a summarised list)."""
    end = s.start + len(s.text)
    return (s.start, end) if passage[s.start : end] == s.text else (0, len(passage))


def _lead(p: Passage, years: tuple[int | None, int | None], english: bool = False) -> str:
    """Say what the figures are: which part of the report (review year's results or plan year's targets)."""
    where = p.chunk.section_path[-1]
    if english:
        review, plan = years
        part = {REVIEW: f"the {review} plan execution", PLAN: f"the {plan} plan"}.get(
            p.chunk.scope, "the report"
        )
        return f"According to the report ({part}, “{where}”): "
    return f"据报告{scope_label(p.chunk.scope, years)}部分“{where}”："


def refusal(query: Query, passages: Sequence[Passage], suggest: bool = True) -> Answer:
    """The fixed polite refusal, with up to three sections worth a look (if any are related at all)."""
    seen: list[str] = []
    for p in passages[:5] if suggest else ():
        if p.chunk.section not in seen:
            seen.append(p.chunk.section)
    return Answer(
        text=REFUSAL,
        refused=True,
        mode="extractive",
        question=query.original,
        standalone_question=query.text,
        suggestions=tuple(seen[:3]),
        passages=tuple(passages),
    )
