"""What a report is: its title, place, issuing body, genre and years, read from its own text.

Derived from the lines before the first heading (title, the "——…在…会议上" line, the speaker or
issuing body) and from the years of the top-level headings. A sidecar file `<report file>.meta.json`
next to the report corrects any field, e.g. `{"place": "永川区", "plan_year": 2024}`.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

from .structure import H1, ReportYears, report_years
from .types import CorpusError, Document
from .vocab import PLACE_LEVELS, YEAR_DIGITS

PLACES_FILE = Path(__file__).with_name("data") / "places.tsv"
SIDECAR_SUFFIX = ".meta.json"
NATIONAL = "全国"

# Genres, by what their titles say (first match wins).
PLAN_REPORT = "计划执行情况与计划草案报告"
WORK_REPORT = "政府工作报告"
BUDGET_REPORT = "预算报告"
OTHER = "其他"
GENRES = (
    (WORK_REPORT, re.compile(r"政府工作报告")),
    (BUDGET_REPORT, re.compile(r"预算")),
    (PLAN_REPORT, re.compile(r"计划(执行|草案)")),
)
SHORT_GENRE = {PLAN_REPORT: "计划", WORK_REPORT: "政府工作报告", BUDGET_REPORT: "预算报告", OTHER: "报告"}

HEADER_LINES = 12  # the title block is in the first lines, before "各位代表" or the first heading
ADDRESS = re.compile(r"^各位代表|^同志们")
ADMIN = re.compile(r"([\u4e00-\u9fff]{1,8}?(?:特别行政区|自治区|自治州|自治县|省|市|区|县|旗|州))")
DATE = re.compile(rf"({YEAR_DIGITS})年(\d{{1,2}})月(\d{{1,2}})日")
TITLE_YEAR = re.compile(rf"({YEAR_DIGITS})年")
ISSUER = re.compile(r"([\u4e00-\u9fff]{2,30}?(?:人民政府|委员会|政府|局|厅|办公室))")
NON_PLACE_WORDS = ("人民代表大会", "代表大会", "委员会")
LEADING = re.compile(r"^.*?(?:关于|年|日|在|的)")  # "关于甲市", "年某某省", "日在某省": not part of the name


@dataclass(frozen=True)
class Report:
    """One report of the corpus. `file` (the file name) is its key everywhere."""

    file: str
    title: str
    place: str  # most specific administrative unit: 永川区, 河南省, 全国
    parent: str  # the unit above it when the title names one: 重庆市 for 永川区
    issuer: str
    genre: str
    review_year: int | None
    plan_year: int | None
    date: str  # ISO date, if the text gives one
    sha256: str

    @property
    def years(self) -> ReportYears:
        return ReportYears(self.review_year, self.plan_year)

    @property
    def short_name(self) -> str:
        """ "永川区2024年计划", "河南省2026年政府工作报告"."""
        year = f"{self.plan_year}年" if self.plan_year else ""
        return f"{self.place}{year}{SHORT_GENRE.get(self.genre, '报告')}"

    @property
    def covered_years(self) -> tuple[int, ...]:
        return tuple(y for y in (self.review_year, self.plan_year) if y)

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "short_name": self.short_name}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Report:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, str]:
    """Every name of a provincial-level division (full and short) -> its full name."""
    out: dict[str, str] = {}
    for line in PLACES_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            names = [n.strip() for n in line.split("\t") if n.strip()]
            for n in names:
                out[n] = names[0]
    return out


def place_level(place: str) -> str:
    """The level of a place by its last character (永川区: 区, 江苏省: 省, 全国: 国), or ""."""
    return place[-1:] if place[-1:] and place[-1:] in PLACE_LEVELS else ""


def place_names(place: str) -> tuple[str, ...]:
    """The ways people name a place: 永川区 -> 永川区, 永川; 河南省 -> 河南省, 河南."""
    if not place:
        return ()
    full = gazetteer().get(place, place)
    names = {place, full, short_place(full), *(n for n, f in gazetteer().items() if f == full)}
    return tuple(sorted(names, key=lambda n: (-len(n), n)))


def short_place(place: str) -> str:
    """How a place is usually said: 河南省 -> 河南, 永川区 -> 永川, 全国 -> 全国."""
    m = re.fullmatch(r"(.{2,}?)(特别行政区|壮族自治区|回族自治区|维吾尔自治区|自治区|省|市|区|县)", place)
    return m.group(1) if m else place


def header_lines(text: str) -> list[str]:
    """The title block: non-empty lines before the address ("各位代表：") or the first heading."""
    out = []
    for line in text.split("\n"):
        s = line.strip()
        if not s:
            continue
        if ADDRESS.match(s) or H1.match(s) or len(out) >= HEADER_LINES:
            break
        out.append(s)
    return out


def _title(lines: list[str]) -> str:
    """The title, rejoined when the page broke it over lines; it stops at the date/speaker lines."""
    parts = []
    for s in lines:
        if s.startswith(("——", "—", "－－")) or DATE.search(s) and parts:
            break
        if parts and ISSUER.search(s) and not re.search(r"报告|计划|预算", s):
            break
        parts.append(s)
        if re.search(r"报告$|草案$", s):
            break
    return "".join(parts)


def _places(text: str) -> list[str]:
    """Administrative units named in `text`, in order (gazetteer names first, then by suffix)."""
    found: list[tuple[int, str]] = []
    for name, full in gazetteer().items():
        at = text.find(name)
        if at >= 0 and full != NATIONAL:
            found.append((at, full))
    for m in ADMIN.finditer(text):
        unit = m.group(1)
        while LEADING.match(unit) and len(LEADING.sub("", unit, count=1)) >= 2:
            unit = LEADING.sub("", unit, count=1)
        fulls = set(gazetteer().values())
        if any(unit.endswith(full) for full in fulls):
            continue  # a provincial-level name, found above ("年北京市" is 北京市)
        for full in fulls:  # "重庆市永川区" -> 重庆市 + 永川区
            if full in unit:
                unit = unit[unit.index(full) + len(full) :]
        if (
            len(unit) >= 2
            and not any(w in unit for w in NON_PLACE_WORDS)
            and not unit.startswith(("全", "本"))
        ):
            found.append((m.start() + len(m.group(1)) - len(unit), unit))
    seen, out = set(), []
    for _, p in sorted(found):
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def derive(doc: Document) -> Report:
    """The report's metadata from its own text (then any sidecar correction)."""
    lines = header_lines(doc.text)
    title = _title(lines) or Path(doc.path).stem
    head = "\n".join(lines)
    genre = next((g for g, pat in GENRES if pat.search(title)), OTHER)
    places = _places(title) or _places(head)
    national = "国务院" in head and not places
    place = NATIONAL if national else (places[-1] if places else "")
    parent = places[-2] if len(places) >= 2 else ""
    issuer = ""
    for s in lines[1:]:
        m = ISSUER.search(s)
        if m and "代表大会" not in s:
            issuer = m.group(1)
            break
    if not issuer and place:
        issuer = "国务院" if national else f"{place}人民政府"
    heads = report_years(doc.text)
    title_year = TITLE_YEAR.search(title)
    review, plan = heads.review, heads.plan
    if genre == WORK_REPORT and title_year:
        plan = int(title_year.group(1))
        review = review if review and review < plan else plan - 1
    elif plan is None and title_year:
        plan = int(title_year.group(1))
    date_m = DATE.search(head)
    date = f"{date_m.group(1)}-{int(date_m.group(2)):02d}-{int(date_m.group(3)):02d}" if date_m else ""
    if genre == WORK_REPORT and plan is None and date_m:
        plan = int(date_m.group(1))
        review = plan - 1
    report = Report(
        file=Path(doc.path).name,
        title=title,
        place=place,
        parent=parent,
        issuer=issuer,
        genre=genre,
        review_year=review,
        plan_year=plan,
        date=date,
        sha256=doc.sha256,
    )
    return apply_sidecar(report, sidecar_path(doc.path))


def sidecar_path(report_path: str | Path) -> Path:
    p = Path(report_path)
    return p.with_name(p.name + SIDECAR_SUFFIX)


def apply_sidecar(report: Report, path: Path) -> Report:
    """Fields of `path` (JSON object) override the derived ones; a bad sidecar names itself."""
    if not path.is_file():
        return report
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise CorpusError(f"报告元数据文件 {path} 无法读取（bad sidecar: {e}）") from e
    allowed = {f.name for f in fields(Report)} - {"file", "sha256"}
    if not isinstance(data, dict) or set(data) - allowed:
        bad = sorted(set(data) - allowed) if isinstance(data, dict) else "not an object"
        raise CorpusError(
            f"报告元数据文件 {path} 含有未知字段（unknown fields: {bad}）；可用字段：{sorted(allowed)}"
        )
    for key in ("review_year", "plan_year"):
        if key in data and data[key] is not None and not isinstance(data[key], int):
            raise CorpusError(f"报告元数据文件 {path}：{key} 应为整数年份（must be an integer year）")
    return replace(report, **data)


def problems(report: Report) -> list[str]:
    """What could not be derived (shown by `index info`; the report is still indexed)."""
    out = []
    if report.plan_year is None and report.review_year is None:
        out.append(
            f"{report.file}: 无法从标题或一级标题判断报告年份（years not derivable）；"
            f"可在 {report.file}{SIDECAR_SUFFIX} 中写明 review_year / plan_year"
        )
    if not report.place:
        out.append(
            f"{report.file}: 无法判断报告所属地区（place not derivable）；可在 {report.file}{SIDECAR_SUFFIX} 中写明 place"
        )
    return out
