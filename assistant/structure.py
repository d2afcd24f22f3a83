"""Parse a report's text into structural blocks, each with its section path, scope and offsets.

Driven by layout, not by this report's words: numbered headings (一、 / （一）), short lead-in
phrases that open a paragraph ("现代制造业扩能提质。", "政策机制协同："), numbered list items,
boxes (专栏N) and tables laid out one cell per tab-indented line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .tables import Line, parse_table
from .types import BOX, GENERAL, LIST_ITEM, PLAN, PROSE, REVIEW, TABLE_ROW, Block
from .vocab import CN_ORDINAL_DIGITS, YEAR_DIGITS

CN_NUM = CN_ORDINAL_DIGITS
H1 = re.compile(rf"^[{CN_NUM}]+、")
H2 = re.compile(rf"^[（(][{CN_NUM}]+[）)]")
TABLE_TITLE = re.compile(rf"^(附?表\s*[0-9{CN_NUM}]+)")
BOX_TITLE = re.compile(rf"^专栏\s*[0-9{CN_NUM}]+")
# a work report's annex of terms: a section of its own
GLOSSARY_TITLE = re.compile(r"^(?:附[：:]?\s*)?名词解释$")
LIST_ITEM_RE = re.compile(r"^(\d{1,2}[.．、](?!\d)|[（(]\d{1,2}[）)])")
LEAD_IN = re.compile(r"^([^，,、。：:；;！？]{2,18})([。：:])")
YEAR = re.compile(rf"(?<!\d)({YEAR_DIGITS})(?=年)")
PREAMBLE = "引言"
RUN_IN = re.compile(r"^([^。！？]+[。！？])(.*[\u4e00-\u9fff\d].*)$")  # a heading sentence, then more text
MAX_HEADING = 60  # a longer line is a paragraph, whatever it starts with


@dataclass(frozen=True)
class ReportYears:
    """The year whose plan execution is reviewed and the year being planned."""

    review: int | None
    plan: int | None


def split_lines(text: str) -> list[Line]:
    """Lines with their character offsets in `text`."""
    out, pos = [], 0
    for raw in text.split("\n"):
        out.append(Line(raw, pos, pos + len(raw)))
        pos += len(raw) + 1
    return out


def run_in(line: str) -> tuple[str, str]:
    """A numbered heading and the text run in after its first sentence on the same line ("（一）稳定农业
    生产。新建高标准农田10万亩。" -> the heading, the text); the text is empty for a heading alone."""
    m = RUN_IN.match(line)
    return (m.group(1).rstrip("。！？"), m.group(2).strip()) if m else (line, "")


def clean_title(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip())


def lead_in(paragraph: str) -> str | None:
    """A short opening phrase that names the paragraph's topic, if there is one."""
    m = LEAD_IN.match(paragraph)
    if not m:
        return None
    rest = paragraph[m.end() :].strip()
    phrase = m.group(1).strip()
    if not phrase:
        return None
    # a whole-line phrase ending in "：" heads what follows (e.g. "两大主导产业集群：")
    return phrase if rest or m.group(2) in "：:" else None


def report_years(text: str) -> ReportYears:
    """Find the reviewed year and the plan year from the top-level headings."""
    years = sorted(
        {int(y) for line in text.split("\n") if H1.match(line.strip()) for y in YEAR.findall(line)}
    )
    if len(years) >= 2:
        return ReportYears(years[0], years[-1])
    if len(years) == 1:
        return ReportYears(None, years[0])
    return ReportYears(None, None)


def scope_of(h1: str | None, years: ReportYears) -> str:
    if not h1:
        return GENERAL
    found = {int(y) for y in YEAR.findall(h1)}
    if years.plan in found and years.plan != years.review:
        return PLAN
    if years.review in found:
        return REVIEW
    return GENERAL


def parse_blocks(text: str, years: ReportYears | None = None) -> list[Block]:
    """Split normalised report text into blocks with section paths, scopes and offsets; `years`
    (the report's own, possibly corrected by its sidecar) default to those of its headings."""
    lines = split_lines(text)
    years = years or report_years(text)
    blocks: list[Block] = []
    h1: str | None = None
    h2: str | None = None
    h3: str | None = None  # lead-in phrase or table/box title
    box: str | None = None
    i = 0

    def path() -> tuple[str, ...]:
        parts = tuple(p for p in (h1, h2, h3) if p)
        return parts if h1 else (PREAMBLE, *parts)

    def add(kind: str, body: str, start: int, end: int, section: tuple[str, ...] | None = None) -> None:
        if body.strip():
            blocks.append(Block(kind, body.strip(), section or path(), scope_of(h1, years), start, end))

    while i < len(lines):
        line = lines[i]
        stripped = line.text.strip()
        if not stripped:
            i += 1
            continue
        if H1.match(stripped) and not line.text.startswith("\t") and len(stripped) <= MAX_HEADING:
            h1, h2, h3, box = clean_title(stripped), None, None, None
            i += 1
            continue
        if GLOSSARY_TITLE.match(stripped):
            h1, h2, h3, box = stripped, None, None, None
            i += 1
            continue
        if H2.match(stripped) and not line.text.startswith("\t") and len(stripped) <= MAX_HEADING:
            title, body = run_in(stripped)
            h2, h3, box = clean_title(title), None, None
            if body:  # "（一）稳定农业生产。新建高标准农田10万亩…": the heading's own sentence, then its text
                at = line.start + line.text.find(body)
                add(PROSE, body, at, at + len(body))
            i += 1
            continue
        if BOX_TITLE.match(stripped) and len(stripped) <= MAX_HEADING:
            box = clean_title(stripped)
            h3 = box
            i += 1
            continue
        nxt = _next_nonblank(lines, i + 1)
        if (
            not line.text.startswith("\t")
            and nxt is not None
            and lines[nxt].text.startswith("\t")
            and not BOX_TITLE.match(lines[nxt].text.strip())
        ):
            if len(stripped) <= MAX_HEADING and (TABLE_TITLE.match(stripped) or len(stripped) <= 40):
                title = clean_title(stripped)
                rows, i = parse_table(lines, nxt, stop=_is_heading)
                section = tuple(p for p in (h1, h2, title) if p)
                for row in rows:
                    add(TABLE_ROW, f"{title}｜{row.record}", row.start, row.end, section)
                continue
        if line.text.startswith("\t") and not box:
            rows, i = parse_table(lines, i, stop=_is_heading)
            section = tuple(p for p in (h1, h2, h3) if p)
            for row in rows:
                add(TABLE_ROW, row.record, row.start, row.end, section or None)
            continue
        start = line.start + len(line.text) - len(line.text.lstrip())
        end = start + len(stripped)
        if box:
            add(BOX, stripped, start, end)
        elif LIST_ITEM_RE.match(stripped):
            j = _explained_by(lines, i, stripped)
            if j is not None:
                # "6.轨道交通“四网融合”：" on a line of its own, its meaning the paragraph after it: one item
                end = lines[j].start + len(lines[j].text.rstrip())
                add(LIST_ITEM, text[start:end], start, end)
                i = j + 1
                continue
            add(LIST_ITEM, stripped, start, end)
        else:
            h3 = lead_in(stripped)  # a paragraph without a lead-in ends the previous one's topic
            # a heading line of its own ("两大主导产业集群：") opens the list that follows: keep them together
            heads_list = h3 is not None and stripped == f"{h3}{stripped[-1]}" and _next_is_list(lines, i + 1)
            add(LIST_ITEM if heads_list else PROSE, stripped, start, end)
        i += 1
    return blocks


def _is_heading(text: str) -> bool:
    s = text.strip()
    return bool(H1.match(s) or H2.match(s) or BOX_TITLE.match(s) or TABLE_TITLE.match(s))


def _explained_by(lines: list[Line], i: int, item: str) -> int | None:
    """The line explaining a list item that is only a term and a colon ("3.“四好农村路”："), if the next
    one is a plain paragraph (not another item, a heading or a table)."""
    if not item.endswith(("：", ":")) or len(item) > MAX_HEADING:
        return None
    j = _next_nonblank(lines, i + 1)
    if j is None or lines[j].text.startswith("\t"):
        return None
    nxt = lines[j].text.strip()
    if LIST_ITEM_RE.match(nxt) or _is_heading(nxt) or nxt.endswith(("：", ":")):
        return None
    return j


def _next_is_list(lines: list[Line], i: int) -> bool:
    j = _next_nonblank(lines, i)
    return j is not None and bool(LIST_ITEM_RE.match(lines[j].text.strip()))


def _next_nonblank(lines: list[Line], i: int) -> int | None:
    while i < len(lines):
        if lines[i].text.strip():
            return i
        i += 1
    return None
