"""Which reports a question is about: the places and years it names, matched against each report's own.

Rules, first match wins (each recorded as `Route.rule`):
1. `selected`  - the user chose a report (UI selector, API `report`, CLI `--report`);
2. `named`     - the question names reports' places (永川, 河南省, 全国/国务院);
3. `uncovered` - it names a provincial-level place no report is about (浙江 over 北京's report): refuse;
4. `parent`    - it names only the unit above a report's place (重庆 for 永川区);
5. `year`      - it names a year only some reports cover (2023 -> the 2023/2024 plan report);
6. `all`       - otherwise every report is asked, and the answers compared.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .query import RELATIVE, YEAR
from .reports import NATIONAL, Report, gazetteer, place_names, short_place
from .vocab import YEAR_NIAN

CONJUNCTION = "和与及、跟同以及还有"
ELLIPTICAL_REST = re.compile(r"^[那么的呢又怎么样如何情况是多少分别，,。？?\s]*$")
# a year as a follow-up names it: a calendar year or one of query.RELATIVE's Chinese relative years
YEAR_WORD = re.compile(
    "|".join([YEAR_NIAN.pattern, *(p.pattern for p, _, _ in RELATIVE if not p.pattern.startswith(r"\b"))])
)


@dataclass(frozen=True)
class Route:
    reports: tuple[str, ...]  # report files to ask, best first
    rule: str
    uncovered: tuple[str, ...] = ()  # places named that no report is about
    mentions: tuple[str, ...] = ()  # the place names found in the question


def _mentions(text: str, names: Sequence[str]) -> list[str]:
    """Names found in `text`, longest first, without overlaps (河南省 does not also count 河南)."""
    low, found = text, []
    for n in sorted(set(names), key=len, reverse=True):
        if n and n in low:
            found.append(n)
            low = low.replace(n, " " * len(n))
    return found


def own_names(report: Report) -> tuple[str, ...]:
    return place_names(report.place)


def route(text: str, reports: Sequence[Report], selected: str | None = None) -> Route:
    """The reports to answer `text` from (see the module docstring for the rules)."""
    files = [r.file for r in reports]
    if selected:
        return Route((selected,), "selected")
    if len(reports) == 1:
        return Route((files[0],), "only", mentions=tuple(_mentions(text, own_names(reports[0]))))
    named = [r.file for r in reports if _mentions(text, own_names(r))]
    if named:
        order = sorted(named, key=lambda f: _first_at(text, own_names(_by_file(reports, f))))
        found = [m for r in reports if r.file in named for m in _mentions(text, own_names(r))]
        return Route(tuple(order), "named", mentions=tuple(found))
    covered = {n for r in reports for n in (*own_names(r), *place_names(r.parent))}
    national = {n for n, full in gazetteer().items() if full == NATIONAL}
    uncovered = [n for n in _mentions(text, list(gazetteer())) if n not in covered and n not in national]
    if uncovered:
        return Route((), "uncovered", uncovered=tuple(gazetteer()[n] for n in uncovered))
    parent = [r.file for r in reports if r.parent and _mentions(text, place_names(r.parent))]
    if parent:
        return Route(tuple(parent), "parent")
    years = {int(y) for y in YEAR.findall(text)}
    if years:
        by_year = [r.file for r in reports if years & set(r.covered_years)]
        if by_year and len(by_year) < len(reports):
            return Route(tuple(by_year), "year")
    return Route(tuple(files), "all")


def _by_file(reports: Sequence[Report], file: str) -> Report:
    return next(r for r in reports if r.file == file)


def _first_at(text: str, names: Sequence[str]) -> int:
    return min((text.find(n) for n in names if n in text), default=len(text))


def without_places(text: str, names: Sequence[str]) -> str:
    """The question with the given place names (and a conjunction joining them) taken out, so each
    report is asked only about itself: "江苏和广东今年…" -> "今年…" for either."""
    out = text
    for n in sorted(set(names), key=len, reverse=True):
        out = re.sub(
            rf"[{CONJUNCTION}]?{re.escape(n)}(?:{YEAR_NIAN.pattern})?(?:的)?[{CONJUNCTION}]?", "", out
        )
    return out.strip() or text


def own_place_out(text: str, names: Sequence[str]) -> str:
    """The question without these names of the report's own place: the report is about it anyway, and
    one it rarely writes (a province says 全省, not 广东省) would read as another place."""
    out = text
    for n in sorted(names, key=len, reverse=True):
        out = re.sub(rf"{re.escape(n)}(?:的)?", "", out)
    return out.strip() or text


def rare_own_names(report: Report, texts: Sequence[str], share: float) -> tuple[str, ...]:
    """The report's own place names that fewer than `share` of its chunks use."""
    n = len(texts) or 1
    return tuple(p for p in own_names(report) if sum(p in t for t in texts) / n < share)


def with_place(previous: str, followup: str, report: Report, names: Sequence[str]) -> str:
    """The previous question asked of another report ("湖北今年…" + "那云南呢" -> "云南今年…"),
    with the follow-up's year if it names one ("永川2023年呢")."""
    place = short_place(report.place)
    out = next(
        (previous.replace(n, place, 1) for n in sorted(set(names), key=len, reverse=True) if n in previous),
        "",
    )
    out = out or f"{place}{previous}"
    year = YEAR_WORD.search(followup)
    if year:
        old = YEAR_WORD.search(out)
        out = (
            out[: old.start()] + year.group(0) + out[old.end() :]
            if old
            else out.replace(place, place + year.group(0), 1)
        )
    return out


def switched_place(question: str, reports: Sequence[Report]) -> Report | None:
    """The report an elliptical follow-up switches to ("那上海呢？", "河南的呢"), if it is one."""
    for r in reports:
        found = _mentions(question, own_names(r))
        if found:
            rest = question
            for n in found:
                rest = rest.replace(n, "")
            if ELLIPTICAL_REST.match(YEAR_WORD.sub("", rest)):
                return r
    return None
