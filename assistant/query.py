"""Query understanding: normalisation, aliases, relative years and question type. General, not report-specific."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .loading import normalize_text
from .numerals import arabic_figures
from .structure import ReportYears
from .types import PLAN, REVIEW
from .vocab import (
    ASKING_WORDS,
    COMPARE_BI,
    COMPARED_WITH,
    COMPARED_WITH_FIRST,
    COUNTER_CHARS,
    LATIN_LETTER,
    PERIOD,
    RELATIVE_YEARS,
    RESULT_WORDS,
    TARGET_WORDS,
    UNNAMED_PAST,
    YEAR_DIGITS,
    alternation,
    is_english,
)

if TYPE_CHECKING:
    from .lexicon import Lexicon

ALIASES_FILE = Path(__file__).with_name("data") / "aliases.tsv"
COLLOQUIAL_FILE = Path(__file__).with_name("data") / "colloquial.tsv"
FORMAL_FILE = Path(__file__).with_name("data") / "formal.txt"
ALIAS_FILES = (ALIASES_FILE,)  # the report's own vocabulary; COLLOQUIAL_FILE is looser (see understand)
YEAR = re.compile(rf"(?<!\d)({YEAR_DIGITS})(?=\s*年|\b)")

RELATIVE = list(RELATIVE_YEARS)  # (pattern, offset base, delta)
PLAN_WORDS = re.compile(alternation((*TARGET_WORDS, "将要", "要建", "要新", "target", "plan", "goal")), re.I)
REVIEW_WORDS = re.compile(
    alternation((*RESULT_WORDS, "增长了", "result", "achiev", "was", "were", "did")), re.I
)

NUMBER_Q = re.compile(
    rf"多少|几[{COUNTER_CHARS}年万亿]?|多大|多高|多长|多快|比例|占比|how (many|much)|what (was|is) the .*(rate|number|total)",
    re.I,
)
LIST_Q = re.compile(r"哪些|哪几|包括|包含|有什么|分别是|列举|which|what are", re.I)
DEFINE_Q = re.compile(r"是什么|指什么|什么是|叫什么|指的是|含义|what is|what does", re.I)


def _unnamed(pattern: str) -> str:
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


COMPARE_Q = re.compile(
    rf"(?:{COMPARE_BI}|较)(?!{alternation(UNNAMED_PAST)}).{{0,30}}?(高|低|多|少|快|慢|超|差)|相差|差距|(超出|超过|高出|低于).{{0,12}}多少"
    rf"|{_unnamed(COMPARED_WITH)}.{{0,12}}?(高|低|多|少|快|慢|超|差)|{_unnamed(COMPARED_WITH_FIRST)}(高|低|多|少|快|慢|超|差)"
    r"|how much (higher|lower|more)",
    re.I,
)


@dataclass(frozen=True)
class Query:
    original: str
    text: str  # normalised, relative years resolved (what the user is shown as understood)
    search_text: str  # text plus alias expansions (what retrieval sees)
    years: tuple[int, ...]
    scope: str | None  # preferred scope, if the question implies one
    kind: str  # "summary" | "compare" | "list" | "define" | "number" | "other"
    english: bool
    aliases: tuple[tuple[str, str], ...] = ()  # (alias, expansion) pairs found in the question
    # (question word, its thesaurus synonyms the report uses): looser than aliases, like everyday words
    related: tuple[tuple[str, str], ...] = ()
    # an English question's phrases with the report's words for each (glossary.Gloss), set by retrieval
    glosses: tuple = ()
    # a condensed follow-up's own words, normalised ("其中第一件是什么" of "…几件民生实事，其中第一件是什么")
    asked: str = ""


@lru_cache(maxsize=4)
def load_aliases(*paths: Path) -> tuple[tuple[str, str], ...]:
    """(alias, expansion) pairs, longest alias first; an earlier file wins on the same alias."""
    pairs: dict[str, str] = {}
    for path in paths or ALIAS_FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            alias, _, expansion = line.partition("\t")
            if alias.strip() and expansion.strip():
                pairs.setdefault(alias.strip().lower(), expansion.strip())
    return tuple(sorted(pairs.items(), key=lambda p: -len(p[0])))


@lru_cache(maxsize=1)
def everyday_terms() -> dict[str, tuple[str, ...]]:
    """Everyday word -> the report terms it stands for (the colloquial table)."""
    return {alias: tuple(expansion.split()) for alias, expansion in load_aliases(COLLOQUIAL_FILE)}


@lru_cache(maxsize=1)
def formal_terms() -> frozenset[str]:
    """Names of statistics, indicators, official roles and fees that reports of this kind use."""
    lines = FORMAL_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(t.strip().lower() for t in lines if t.strip() and not t.startswith("#"))


@lru_cache(maxsize=4096)
def is_formal(word: str, question: str | None = None) -> bool:
    """A report-register word: a listed term, or part of one (入境 in 入境游客, 浓度 in PM2.5浓度) —
    in a `question`, only where it also writes some of the rest of that term: 入境 of "入境游客多少人次"
    and 城镇居民 of "城镇居民人均可支配收入" (城镇居民人均收入) are formal; 购物 of "购物优惠券" (购物中心)
    and 步道 of "环湖步道" (健身步道) are not."""
    w = word.lower()
    terms = formal_terms()
    if w in terms:
        return True
    if question is None:
        return any(w in t and len(t) <= len(w) + 4 for t in terms)
    asked = question.lower()
    return any(w in t and _shares_pair(t.replace(w, " ", 1), asked) for t in terms)


def _shares_pair(rest: str, text: str) -> bool:
    """Whether `text` holds two adjacent characters of `rest`."""
    return any(rest[i : i + 2] in text for i in range(len(rest) - 1) if " " not in rest[i : i + 2])


def resolve_years(text: str, years: ReportYears) -> str:
    """Replace 去年/今年/明年... with the report's own years (not today's date)."""
    for pattern, base, delta in RELATIVE:
        year = years.review if base == "review" else years.plan
        if year is None:
            continue
        if LATIN_LETTER.search(pattern.pattern):
            text = _english_year(pattern, year + delta, text)
        else:
            text = pattern.sub(f"{year + delta}年", text)
    return text


EN_YEAR_BEFORE = re.compile(r"\b(?:in|for|during|of|by|over|from|since|to|until|through)\s+$", re.I)


def _english_year(pattern: re.Pattern[str], year: int, text: str) -> str:
    """ "last year" -> "in 2023", but "for this year" -> "for 2024" and "last year's" -> "2023's"."""

    def repl(m: re.Match[str]) -> str:
        if EN_YEAR_BEFORE.search(text[: m.start()]) or text[m.end() : m.end() + 2] in ("'s", "’s"):
            return str(year)
        return f"in {year}"

    return pattern.sub(repl, text)


def matched_aliases(text: str, aliases: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """(alias, expansion) pairs found in the text, longest alias first, without overlaps."""
    low = text.lower()
    found = []
    for alias, expansion in aliases:
        if _has_alias(low, alias):
            found.append((alias, expansion))
            low = low.replace(alias, " ")
    return tuple(found)


def expand_aliases(text: str, aliases: tuple[tuple[str, str], ...]) -> str:
    extra = [expansion for _, expansion in matched_aliases(text, aliases)]
    return text if not extra else f"{text} {' '.join(extra)}"


def _has_alias(text: str, alias: str) -> bool:
    if alias not in text:
        return False
    whole = _whole_word(alias)  # an English alias must be a whole word: "ai" is not in "said"
    return whole is None or whole.search(text) is not None


@lru_cache(maxsize=8192)
def _whole_word(alias: str) -> re.Pattern[str] | None:
    return re.compile(rf"(?<![a-z]){re.escape(alias)}(?![a-z])") if LATIN_LETTER.search(alias) else None


SUMMARY_Q = re.compile(r"(讲了|说了|写了|提了|谈了)(什么|哪些)|主要内容|讲的是什么|概括|summar", re.I)


def question_kind(text: str) -> str:
    if SUMMARY_Q.search(text):
        return "summary"
    if COMPARE_Q.search(text) and NUMBER_Q.search(text):
        return "compare"
    if DEFINE_Q.search(text) and not NUMBER_Q.search(text):
        return "define"
    if LIST_Q.search(text):
        return "list"
    if NUMBER_Q.search(text):
        return "number"
    return "other"


@lru_cache(maxsize=1)
def _to_simplified():  # type: ignore[no-untyped-def]
    from opencc import OpenCC

    return OpenCC("t2s")


def simplified(text: str) -> str:
    """Traditional Chinese questions (繁體) asked of a Simplified-Chinese report."""
    return _to_simplified().convert(text)


def normal_text(question: str, years: ReportYears) -> str:
    """A question as the rules read it: normalised, simplified, figures in digits, relative years resolved."""
    text = arabic_figures(simplified(normalize_text(question)).strip())
    return resolve_years(re.sub(r"\s+", " ", text), years)


# a clause that asks something; the clauses before it ("娃娃上幼儿园难，…") only set the scene
ASKING = re.compile(alternation(ASKING_WORDS) + "|[？?]$")


def question_clauses(text: str) -> str:
    """The clauses of a question that ask (all of it if none or every clause does)."""
    clauses = [c for c in re.split(r"[，,；;]", text) if c.strip()]
    asking = [c for c in clauses if ASKING.search(c.strip())]
    return "，".join(asking) if asking else text


def asked_parts(text: str) -> list[str]:
    """The questions a text asks one after another ("…建成了几座？今年要建成哪一座？"), each with its
    question mark; one part if it asks once (a lead-in clause or a "吗？" asked again is no part)."""
    pieces = [p.strip() for p in re.findall(r"[^？?]+[？?]?", text) if p.strip("？? ")]
    parts = [p for p in pieces if ASKING.search(p.rstrip("？?"))]
    return parts if len(parts) > 1 and len(parts) == len(pieces) else [text]


def understand(
    question: str,
    years: ReportYears,
    aliases: tuple[tuple[str, str], ...] | None = None,
    lexicon: Lexicon | None = None,
) -> Query:
    """`lexicon`: the report's own vocabulary (its own definitions, the thesaurus mapped onto its words)."""
    text = normal_text(question, years)
    found = tuple(int(y) for y in YEAR.findall(text))
    # the year of the clauses that ask ("经历2025年的大洪水之后，2026年…准备怎么做" asks about 2026)
    asked = tuple(int(y) for y in YEAR.findall(question_clauses(text))) or found
    scope = None
    if found:
        if years.plan in asked and years.review not in asked and not PERIOD.search(text):
            scope = PLAN  # (not "“十四五”期间改造了多少…2026年又要改造多少": that asks the review too)
        elif years.review in asked and years.plan not in asked:
            scope = REVIEW
    elif PLAN_WORDS.search(text) and not REVIEW_WORDS.search(text):
        scope = PLAN
    matched = matched_aliases(text, aliases if aliases is not None else load_aliases())
    related: tuple[tuple[str, str], ...] = ()
    if lexicon is not None:
        # what the report defines counts as an alias; a thesaurus synonym is looser: it counts towards
        # coverage, not the search (the dense vectors match synonyms already; a word's other senses,
        # 方便 -> 便民/有利, would pull in passages the question is not about)
        core = {a for a, _ in matched}
        matched += tuple(p for p in lexicon.defined(text) if p[0] not in core)
        related = lexicon.related(text)
    search = f"{text} {' '.join(e for _, e in matched)}" if matched else text
    if aliases is None:
        # everyday words widen the search; they are looser than the alias table, so they count as the
        # report covering a word only where the passage or quoted sentence uses the term (answering,
        # refusal), and do not steer which sentence is quoted
        core = {a for a, _ in matched}
        extra = [e for a, e in matched_aliases(text, load_aliases(COLLOQUIAL_FILE)) if a not in core]
        if extra:
            search = f"{search} {' '.join(extra)}"
    english = is_english(text)
    return Query(question, text, search, found, scope, question_kind(text), english, matched, related)
