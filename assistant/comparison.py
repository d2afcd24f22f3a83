"""Comparison questions ("A比B高/低/多/少多少"): find both figures, cite both, show the arithmetic."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from .pointing import CONTINUES
from .policy import DEFAULT as DEFAULT_POLICY
from .policy import Comparing
from .query import Query
from .sentences import Sentence
from .sentences import when as _when
from .tables import readable_record
from .types import PLAN, REVIEW, TABLE_ROW, Answer, Citation, Passage
from .vocab import (
    COMPARE_BI,
    COMPARED_WITH,
    COMPARED_WITH_FIRST,
    COUNTERS,
    MONEY_UNITS,
    PERIOD,
    PHYSICAL_UNITS,
    SPAN,
    TARGET_WORDS,
    YEAR,
    YEAR_NIAN,
    alternation,
)

if TYPE_CHECKING:
    from .keyword import Tokenizer

# a figure's unit: a share, or an optional magnitude (万, 亿) and a measure word or unit of the genre
# vocabulary, possibly per another (微克/立方米, 元/吨)
BASE_UNITS = alternation(
    (*PHYSICAL_UNITS, *COUNTERS, *MONEY_UNITS, "人次", "天", "组", "微克", "毫克", "千克")
)
UNIT = rf"(个百分点|%|(?:万亿|[万亿千])?(?:{BASE_UNITS})(?:/(?:{BASE_UNITS}))?)"
# a figure: not a year (…年), not a list number ("1."), not part of a code (5G, G246)
VALUE = re.compile(rf"(?<![A-Za-z\d.])(\d+(?:\.\d+)?)(?![\dA-Za-z年月日号]|\.(?!\d)){UNIT}?")
SIDE_NOISE = re.compile(
    r"多少|几|了|高|低|多|少|快|慢|超出|超过|相差|差|吗|？|\?|实际|" + alternation(TARGET_WORDS)
)
PIVOT = re.compile(COMPARE_BI + "|超出|超过|高出|低于")
WITH = re.compile(COMPARED_WITH)
AFTER = re.compile(r"[^，；。、,;\d]{1,8}")
WITH_FIRST = re.compile(COMPARED_WITH_FIRST)


def sides(text: str) -> tuple[str, str] | None:
    """The two sides of a comparison: "A比B高多少" and "A和B相比高多少" -> (A, B…), else None."""
    m = WITH_FIRST.search(text)
    if m:
        return m.group("a"), m.group("b")
    m = WITH.search(text)
    if m:
        return m.group("a"), m.group("b") + text[m.end() :]
    m = PIVOT.search(text)
    return (text[: m.start()], text[m.end() :]) if m else None


SIDE_TARGET_WORDS = (*TARGET_WORDS, "要")  # "要比…高多少": 要 asks for the plan too
# "比上年增长多少" (上年 resolved to its year) asks a growth rate, not the difference of two figures
PREVIOUS_YEAR = re.compile(
    f"({YEAR_NIAN.pattern}|上年|去年|上一年|前一年|同期)(同期)?(增长|下降|提高|降低|增加|减少)"
)


@dataclass(frozen=True)
class Figure:
    value: Decimal
    unit: str
    sentence: Sentence
    score: float
    quote: str = ""  # the clause (or table cell) that states the figure, as the answer quotes it


def _segments(s: Sentence, passages: Sequence[Passage]) -> list[tuple[str, str]]:
    """(label, text) pieces in which a number belongs to the words just before it."""
    p = passages[s.passage]
    if p.chunk.kind == TABLE_ROW:
        fields = s.text.split("｜")
        row = "".join(fields[:2])
        return [(f"{row} {f.partition('：')[0]}", f) for f in fields[2:]]
    out = []
    for clause in re.finditer(r"[^，；。]+", s.text):
        spread = respectively(clause.group(0))
        if spread:
            out += spread
            continue
        # the subject of an enumeration ("A增长5.6%、B增长5.7%") sits in the same clause: split at 、 too
        out += [
            (s.text[: clause.start() + m.start()][-8:], m.group(0))
            for m in re.finditer(r"[^、]+", clause.group(0))
        ]
    return out


RESPECTIVELY = re.compile(r"^(.+?)分别(.+)$")


def respectively(clause: str) -> list[tuple[str, str]] | None:
    """ "A、B余额分别增长8.8%、7.2%" -> [("A", "增长8.8%"), ("B余额", "增长7.2%")]: each figure with its item."""
    m = RESPECTIVELY.match(clause)
    if not m:
        return None
    items = [i for i in re.split(r"[、和]", m.group(1)) if i]
    values = list(VALUE.finditer(m.group(2)))
    if len(items) < 2 or len(items) != len(values):
        return None
    verb = m.group(2)[: values[0].start()]  # "同比增长"
    return [(item, f"{verb}{v.group(0)}") for item, v in zip(items, values, strict=True)]


def _figures(
    side: str,
    other_side: str,
    ranked: Sequence[Sentence],
    passages: Sequence[Passage],
    tokenizer: Tokenizer,
    scope: str | None,
    weights: Comparing = DEFAULT_POLICY.comparing,
    aliases: Sequence[tuple[str, str]] = (),
    side_years: Sequence[str] = (),
) -> list[Figure]:
    # each word of the side with the report's words an alias gives it (GDP: 地区生产总值)
    terms = [
        (t, *(e for a, x in aliases if t in a or a in t for e in tokenizer.words(x)))
        for t in tokenizer.words(SIDE_NOISE.sub(" ", side))
        if not t.isdigit()
    ]
    wants_target = any(w in side for w in SIDE_TARGET_WORDS) and not any(w in side for w in ("实际", "完成"))
    out = []
    w = weights
    for s in ranked[: w.candidates]:
        p = passages[s.passage]
        for label, seg in _segments(s, passages):
            for m in VALUE.finditer(seg):
                unit = m.group(2) or ("%" if "%" in label else _header_unit(label))
                # the words before a figure name it ("新建5G基站260个"), and so do those right after its
                # measure word, up to the clause's end ("完成204个老旧小区")
                after = AFTER.match(seg, m.end())
                near = f"{label}{seg[max(0, m.start() - w.window) : m.start()]} {after.group(0) if after else ''}"
                score = sum(1.0 for alts in terms if any(t in near for t in alts)) / max(len(terms), 1)
                around = f"{p.chunk.section} {seg}"
                found = sum(1.0 for alts in terms if any(t in around for t in alts))
                score += w.context * found / max(len(terms), 1)
                is_target = any(t in near for t in (*TARGET_WORDS, "以上")) or p.chunk.scope == PLAN
                score += w.target_match if is_target == wants_target else -w.target_match
                if scope and p.chunk.scope == scope:
                    score += w.scope
                named = set(YEAR.findall(s.text))
                if side_years and named and not named & set(side_years):
                    score -= w.scope  # the sentence says it is about another year
                elif side_years and not PERIOD.search(side) and SPAN.search(s.text):
                    score -= w.scope  # ... or about several years (年均, 五年来), not the one asked
                quote = _quote(s, label, seg, passages)
                out.append(Figure(Decimal(m.group(1)), unit, s, score + w.sentence * s.score, quote))
    out.sort(key=lambda f: -f.score)
    return out


def compare(
    query: Query,
    ranked: Sequence[Sentence],
    passages: Sequence[Passage],
    tokenizer: Tokenizer,
    years: tuple[int | None, int | None] = (None, None),
    weights: Comparing = DEFAULT_POLICY.comparing,
) -> Answer | None:
    """An answer with both figures cited and the difference computed, or None if either is missing."""
    text = query.text
    split = sides(text)
    if not split:
        return None
    left, right = split
    if PREVIOUS_YEAR.match(right):
        return None
    subject = SIDE_NOISE.sub(" ", YEAR_NIAN.sub(" ", left))
    left_year = YEAR.findall(left)
    right_year = YEAR.findall(right) or left_year  # "比预期目标" shares the left's year
    scope_of = _scope_for(years)
    aliases = query.aliases
    a_list = _figures(
        left, right, ranked, passages, tokenizer, scope_of(left_year), weights, aliases, left_year
    )
    b_list = _figures(
        subject + right, left, ranked, passages, tokenizer, scope_of(right_year), weights, aliases, right_year
    )
    asked = re.search(rf"多少{UNIT}", text)  # "多多少亿元" wants the totals, not the growth rates
    if asked:
        a_list = [f for f in a_list if _same_unit(f.unit, asked.group(1))]
        b_list = [f for f in b_list if _same_unit(f.unit, asked.group(1))]
    pairs = [
        (a, b) for a in a_list[:3] for b in b_list[:5] if b.value != a.value and _same_unit(a.unit, b.unit)
    ]
    if not pairs:
        return None
    a, b = max(pairs, key=lambda ab: ab[0].score + ab[1].score)  # the best pair, not the first found
    return _answer(query, a, b, passages, years)


def _quote(s: Sentence, label: str, seg: str, passages: Sequence[Passage]) -> str:
    """What the answer quotes for a figure: the row's name and the cell of a table, the item and its
    figure of "A、B分别…", else the clause of the sentence that holds it, with the clauses before it
    that name its subject ("…1281.4亿元，增长8.1%") and the growth after it ("…6.1亿元，增长23.5%")."""
    if passages[s.passage].chunk.kind == TABLE_ROW:
        fields = s.text.split("｜")
        return readable_record("｜".join([*fields[:2], seg]))
    clauses = [c.group(0) for c in re.finditer(r"[^，；。]+", s.text)]
    for i, clause in enumerate(clauses):
        spread = respectively(clause)
        if spread and (label, seg) in spread:
            return f"{label}{seg}"
        if not spread and seg in clause:
            # a piece of an enumeration keeps the clause's subject ("全市地区生产总值5.2万亿元、增长5.4%")
            seg = clause[: clause.index(seg) + len(seg)]
            start = i
            while start > 0 and CONTINUES.match(clauses[start].strip()):
                start -= 1  # "…1281.4亿元，增长8.1%": the growth's subject is the clause before
            seg = "，".join([*clauses[start:i], seg])
            rest = []
            for after in clauses[i + 1 :]:
                if not CONTINUES.match(after):
                    break
                rest.append(after)  # "…6.1亿元，增长23.5%": the figure's growth belongs to it
            return "，".join([seg, *rest])
    return s.text


def _header_unit(label: str) -> str:
    """The unit a table header gives its column or row: "一般公共预算收入（亿元）" -> 亿元."""
    m = re.search(rf"[（(]{UNIT}[)）]", label)
    return m.group(1) if m else ""


def _scope_for(years: tuple[int | None, int | None]):  # type: ignore[no-untyped-def]
    """Which part of the report a side of the comparison is about, from the year it names."""
    review, plan = years

    def scope(side_years: list[str]) -> str | None:
        ys = {int(y) for y in side_years}
        if plan in ys and review not in ys:
            return PLAN
        if review in ys and plan not in ys:
            return REVIEW
        return None

    return scope


def _same_unit(a: str, b: str) -> bool:
    if a in ("%", "个百分点") and b in ("%", "个百分点"):
        return True
    return bool(a) and a.removesuffix("次") == b.removesuffix("次")


def _readable(f: Figure, passages: Sequence[Passage], years: tuple[int | None, int | None]) -> str:
    """The figure's clause with the year of its part ("2024年，地区生产总值增长7.5%左右")."""

    p = passages[f.sentence.passage]
    if f.quote:
        text = f.quote.strip()
        dated = _when(text, p.chunk.scope, years, f.sentence.text)
        return (text if p.chunk.kind == TABLE_ROW else dated).rstrip("。；，")
    text = f.sentence.text.strip()
    if p.chunk.kind == TABLE_ROW:
        text = readable_record(text)
    return text.rstrip("。；")


def _fmt(d: Decimal) -> str:
    s = format(d.normalize(), "f")
    return s


def _answer(
    query: Query, a: Figure, b: Figure, passages: Sequence[Passage], years: tuple[int | None, int | None]
) -> Answer:
    """One sentence: the two figures' clauses, each cited, then the difference worked out."""
    diff = a.value - b.value
    unit = "个百分点" if a.unit in ("%", "个百分点") else a.unit
    order = []
    for f in (a, b):
        if f.sentence.passage not in order:
            order.append(f.sentence.passage)
    cites = []
    for n, pi in enumerate(order, 1):
        p = passages[pi]
        s = a.sentence if a.sentence.passage == pi else b.sentence
        cites.append(
            Citation(
                n,
                p.chunk.id,
                p.chunk.section,
                p.chunk.text,
                (s.start, s.start + len(s.text)),
                p.chunk.start,
                p.chunk.end,
            )
        )
    na = order.index(a.sentence.passage) + 1
    nb = order.index(b.sentence.passage) + 1
    ta, tb = (_readable(f, passages, years) for f in (a, b))
    if (
        a.sentence == b.sentence
        and passages[a.sentence.passage].chunk.kind == TABLE_ROW
        and a.quote
        and b.quote
    ):
        cells = [q.partition("，")[2] for q in (a.quote, b.quote)]  # one row: its name once
        ta = tb = f"{a.quote.partition('，')[0]}，{'，'.join(dict.fromkeys(cells))}"
    sa = f"{ta}[{na}]" if na == nb and ta == tb else f"{ta}[{na}]；{tb}[{nb}]"
    big, small = (a, b) if diff >= 0 else (b, a)  # the formula never shows a negative result
    word = ("高" if diff >= 0 else "低") if unit == "个百分点" else ("多" if diff >= 0 else "少")
    text = (
        f"{sa}，按报告数字计算：{_fmt(big.value)}{big.unit} − {_fmt(small.value)}{small.unit} = "
        f"{_fmt(abs(diff))}{unit}，即{_fmt(a.value)}{a.unit}比{_fmt(b.value)}{b.unit}{word}{_fmt(abs(diff))}{unit}。"
    )
    return Answer(
        text=text,
        citations=tuple(cites),
        mode="extractive",
        question=query.original,
        standalone_question=query.text,
        passages=tuple(passages),
    )
