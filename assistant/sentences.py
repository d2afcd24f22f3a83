"""The units an answer quotes: the sentences of a passage (a table row is one), scored, and the year a
quoted clause is about. Answering, pointing and comparison all use them; none of them owns them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .types import PLAN, REVIEW, TABLE_ROW, Passage
from .vocab import SPAN, YEAR

SENT = re.compile(r"[^。！？；\n]+[。！？；]?")
UNDATED_START = re.compile(r"^(今年|去年|全年|上年|明年)")  # a clause that says its own time


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


def when(text: str, scope: str, years: tuple[int | None, int | None], sentence: str = "") -> str:
    """The year a quoted clause is about, when the clause does not say it: "2024年，地区生产总值增长7.5%左右";
    none for a clause of a sentence about several years (a five-year review's "年均增长6%，新增就业690万人")."""
    review, plan = years
    year = review if scope == REVIEW else plan if scope == PLAN else None
    if not year or YEAR.search(text) or UNDATED_START.match(text) or SPAN.search(sentence or text):
        return text
    return f"{year}年，{text}"
