"""Which clauses of a quoted sentence answer the question: the answer quotes them, the card the sentence.

"全年新增产气井40口左右，日产气达到700万方以上" out of a sentence on shale gas; "地区生产总值（亿元），
完成情况-总量：1281.4亿元" out of a table row. Pure functions of the question's weighted terms and the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from .query import NUMBER_Q, Query
from .refusal import kind_text, missing_kind
from .sentences import Sentence
from .types import TABLE_ROW, Passage
from .vocab import CJK_CHAR, COUNTER_CHARS, RESULT_WORDS, TARGET_MARKS, alternation

CLAUSE = re.compile(r"[^，；：]+[，；：]?")
ENUM = re.compile(r"[、]|“[^”]{1,12}”“")
MANY_FIGURES = 4  # a sentence stating this many figures lists several things (targets), not one
POINT_MIN_CHARS = 24  # a sentence this short is the answer already; a longer one is pointed at its clauses
MAX_WINDOW = 4  # clauses a pointed quote may span
MIN_NEW_CHARS = 1  # characters or digits a quoted part must hold beyond the question's own (not a bare label)
# a table's planned columns (计划任务, 预期目标), and a question asking the result as well
PLANNED_CELL = re.compile(alternation((*TARGET_MARKS, "计划", "任务")))
RESULT_ASKED = re.compile(alternation((*RESULT_WORDS, "建成", "结果")))
LABEL = re.compile(r"[^，；：。]{1,16}[：:]")  # "能源：" opening a sentence names what it is about
HOW = re.compile(r"怎么样|怎样|如何|情况")  # asks how something went: all the sentence says answers it
# asks for the measures taken ("提出了哪些举措"): each clause of the sentence is one of them
MEASURES_Q = re.compile(r"(?:哪些|什么|啥)(?:举措|措施|办法|政策|做法|行动|部署)")
FIGURE = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d年]|\.\d)")  # a figure, not a year
SAYS = re.compile(r"[\u4e00-\u9fff\d%A-Za-z]")  # what a quoted part says (not its punctuation)
POINT_MIN_COVERAGE = 0.75  # below this the question's own words do not pick the clause: quote the sentence
ASKS = re.compile(rf"多少|几[{COUNTER_CHARS}]|哪些|什么|其中.{{0,12}}呢")
WINDOW_COVERAGE = 0.6  # share of the whole sentence's coverage a quoted run of clauses must reach
CONTINUES = re.compile(r"^(同比|比上年|较上年|增长|下降|增速|提高|降低|分别|年均)")
TARGET = re.compile(alternation(TARGET_MARKS))  # a sentence stating a target
# "与经济增长同步": the standard a clause measures against, not what it states (居民收入's target, not 经济增长's)
STANDARD = re.compile(r"[与同和][^，；：、。]{1,12}?(?:基本)?(?:同步|持平|一致|相当|相适应|相协调|相匹配)")
RELATIVE_KINDS = ("no figure", "no percentage")  # what a growth stated against another one answers
WHAT = re.compile(r"什么|啥|哪个|哪种|哪类|哪一")  # asks for a thing by name: the quote must name one
Tagger = Callable[[str], Sequence[tuple[str, str]]]  # (word, part-of-speech flag) pairs of a text
ASKED_MEASURE = re.compile(
    r"(?:多少|几)(所|家|座|条|公里|亩|吨|张|辆|台|户|人次|名|套|场|次|项|宗|处|批|栋|平方米|万人|人)"
)


def coverage(terms: dict[tuple[str, ...], float], text: str) -> float:
    """Share of the question's term weight that `text` holds (a term counts if any alternative is in it)."""
    total = sum(terms.values())
    if not total:
        return 0.0
    low = text.lower()
    return sum(w for alts, w in terms.items() if any(a in low for a in alts)) / total


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


def point(
    query: Query,
    terms: dict[tuple[str, ...], float],
    s: Sentence,
    passages: Sequence[Passage],
    tagger: Tagger | None = None,
) -> Sentence:
    """Point a long sentence at the clause(s) that answer: "能源：全年新增产气井40口左右，日产气达到700万方
    以上" out of a sentence on shale gas. The run of clauses must cover the question as the sentence
    does (all of it when two things are asked), have a clause naming its words most exactly (words
    named together in one clause, not picked up across unrelated ones: "居民收入增长与经济增长同步，粮食产量
    1300亿斤" does not name 经济增长's figure), and still hold what is asked for (a figure, two for two
    asks, the count's measure word, the enumeration of a list, the kind of figure, a thing the
    question lacks when it asks 什么); a label opening the sentence ("能源：") names what the run is about when the run
    needs it. A table row is pointed at its asked cells. The whole sentence stays on the citation card."""
    if HOW.search(query.text) or MEASURES_Q.search(query.text):
        return s  # "实施得怎么样" is answered by all the sentence (or table row) says
    if passages[s.passage].chunk.kind == TABLE_ROW:
        return point_cells(query, terms, s)
    if len(s.text) <= POINT_MIN_CHARS or query.kind in ("compare", "summary"):
        return s
    if query.english:
        return s  # matched through alias expansions only: too loose to tell the clause
    if query.kind == "list" and not _asks_figures(query) and not ENUM.search(s.text):
        return s  # the items are the sentence's clauses
    clauses = [(m.group(0), m.start()) for m in CLAUSE.finditer(s.text)]
    whole = coverage(terms, s.text)
    if whole < POINT_MIN_COVERAGE or len(clauses) < 2:
        return s  # a question the sentence covers loosely: quote it whole
    label = clauses[0][0] if LABEL.fullmatch(clauses[0][0]) else ""
    # two asks: both answered (of figures, `holds` wants a figure for each; of other things, all words)
    share = 1.0 if asks_count(query) > 1 and not _asks_figures(query) else WINDOW_COVERAGE
    holds = _holds(query, s.text, tagger)
    window = _covering_window(
        clauses,
        lambda text: coverage(terms, label + text) >= whole * share and holds(text),
        lambda text: _exactness(terms, label + STANDARD.sub("", text)),
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
    if label and i > 0 and coverage(terms, label + run) > coverage(terms, run):
        # the label names what the run is about: "能源：全年新增产气井40口左右"
        return replace(s, text=label + quoted, display=s.display or s.text, pointed=True)
    return replace(s, text=quoted, start=s.start + first[1], display=s.display or s.text, pointed=True)


def point_cells(query: Query, terms: dict[tuple[str, ...], float], s: Sentence) -> Sentence:
    """A table row pointed at the cells asked about, after its name: "地区生产总值（亿元），完成情况-总量：
    1281.4亿元". A result is quoted unless a plan is asked (both if both are)."""
    fields = s.text.split("｜")
    if len(fields) < 4:
        return s
    head = fields[1]
    units = fields[2:]  # a long cell stays whole: its items answer together ("1.…。 2.…")
    whole = coverage(terms, "｜".join(fields[1:]))
    holds = _holds(query, s.text)
    plan = bool(PLANNED_CELL.search(query.text))
    result = not plan or bool(RESULT_ASKED.search(query.text))

    def covers(text: str) -> bool:
        planned = [PLANNED_CELL.match(u) for u in text.split("｜")]
        if plan and not any(planned) or result and all(planned):
            return False
        return coverage(terms, f"{head}｜{text}") >= whole and holds(f"{head}｜{text}")

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
    return replace(s, text=record, display=s.text, pointed=True)


def _asks_figures(query: Query) -> bool:
    """A question of numbers, or a list of them ("分别是多少": one figure for each thing named)."""
    return query.kind == "number" or query.kind == "list" and bool(NUMBER_Q.search(query.text))


EACH_ASKED = re.compile(r"(各|分别)(是|为|有|达到|增长|要|计划)?(多少|几)")
JOINED = re.compile(r"[和与及、]")


def asks_count(query: Query) -> int:
    """How many things a question asks ("多少场…？多少个岗位？" asks two; so does "A和B各是多少")."""
    count = len(ASKS.findall(query.text))
    each = EACH_ASKED.search(query.text)
    if each:
        count = max(count, 1 + len(JOINED.findall(query.text[: each.start()])))
    return count


def _continues(query: Query, clause: str, terms: dict[tuple[str, ...], float]) -> bool:
    """Whether a clause after the quoted run belongs to it: its figure's growth (同比增长…), the part
    "其中…" when the question asks about a part too, or a further figure of the thing asked about
    ("总投资875.3亿元，年度计划投资230.5亿元": a figure and a word of the question)."""
    if CONTINUES.match(clause) or "其中" in query.text and clause.startswith("其中"):
        return True
    return bool(FIGURE.search(clause)) and any(a in clause for alts in terms for a in alts if len(a) > 1)


def _holds(query: Query, sentence: str, tagger: Tagger | None = None):  # type: ignore[no-untyped-def]
    """What a quoted part must still hold that the whole sentence holds: a figure for a question of
    numbers (two for two asks), the count in the measure word asked (几所), the enumeration a list
    question asks for, the kind of figure asked (a percentage, a sum of money, a name), more than
    the question's own words, and for a question asking what (什么框架) a noun the question lacks."""
    asks = Asks.of(query.text)
    figures = len(FIGURE.findall(sentence)) if _asks_figures(query) else 0
    need_figures = min(figures, max(1, asks_count(query)))
    need_count = bool(asks.counted and asks.counted.search(sentence))
    need_enum = query.kind == "list" and not figures and bool(ENUM.search(sentence))
    kind_ok = missing_kind(kind_text(query), sentence) is None
    asked = set(query.text)
    asks_what = tagger is not None and not _asks_figures(query) and bool(WHAT.search(query.text))
    asked_nouns = {w for w, _ in tagger(query.text)} if asks_what else set()  # type: ignore[misc]
    # only when the sentence names something new at all can the rule choose between its clauses
    needs_noun = asks_what and _new_noun(tagger, sentence, asked_nouns)  # type: ignore[arg-type]

    def holds(text: str) -> bool:
        # "与经济增长同步" states a growth as a figure does ("收入涨多少": it grows as the economy does)
        relative = len(STANDARD.findall(text))
        if len(FIGURE.findall(text)) + relative < need_figures:
            return False
        if (
            need_count
            and not (asks.counted and asks.counted.search(text))
            or need_enum
            and not ENUM.search(text)
        ):
            return False
        if kind_ok and missing_kind(kind_text(query), text) not in (
            None,
            *(RELATIVE_KINDS if relative else ()),
        ):
            return False
        new = [c for c in SAYS.findall(text) if c not in asked]
        if len(new) < MIN_NEW_CHARS:
            return False  # a label ("15个产业集群：") repeats the question, answers nothing
        return not needs_noun or _new_noun(tagger, text, asked_nouns)  # type: ignore[arg-type]

    return holds


def _new_noun(tagger: Tagger, text: str, asked: set[str]) -> bool:
    """Whether `text` names a thing (a noun) the question does not: what 什么 stands for."""
    return any(flag.startswith("n") and w not in asked for w, flag in tagger(text))


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


def _covering_window(
    clauses: list[tuple[str, int]], covers, exactness, prefer=None, sep=""
) -> tuple[int, int] | None:  # type: ignore[no-untyped-def]
    """The run of clauses (at most MAX_WINDOW) that covers the question well enough, naming its words
    most exactly, then the shortest, then the one `prefer` ranks higher — or None when a run apart
    from it ranks as high (only its position would choose: the whole sentence answers)."""
    best: tuple[tuple[float, float], int, object, int, int] | None = None
    found = []
    for i in range(len(clauses)):
        for j in range(i, min(len(clauses), i + MAX_WINDOW)):
            text = sep.join(c for c, _ in clauses[i : j + 1])
            if covers(text):
                key = (exactness(text), -(j - i), prefer(text) if prefer else 0, -i, j)
                found.append(key)
                if best is None or key > best:
                    best = key
    if best is None:
        return None
    i, j = -best[3], best[4]
    if any(k[:3] == best[:3] and (k[4] < i or -k[3] > j) for k in found):
        return None  # another run, apart from this one, names the question as well: the question cannot tell
    return i, j
