"""Rebuild tables exported one cell per tab-indented line into one record per row.

Layout (as word processors export it): each cell starts a line with a tab; the cells of a row
are consecutive lines; a blank line separates rows; further paragraphs of a cell follow as
untabbed lines separated by single blank lines; two blank lines or a heading end the table.
Header rows come first; a second header row whose leading cells are empty names the
sub-columns of a spanning header cell ("完成情况" over "总量" and "增速（%）").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

SERIAL_HEADERS = {"序号", "编号", "序", "No.", "No"}
SERIAL_VALUE = re.compile(r"^\d{1,3}$")


@dataclass(frozen=True)
class Line:
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    record: str  # "列名：值｜列名：值"
    start: int
    end: int


@dataclass
class _RawRow:
    cells: list[list[str]]
    start: int
    end: int


def _collect_rows(lines: list[Line], i: int, stop: Callable[[str], bool]) -> tuple[list[_RawRow], int]:
    rows: list[_RawRow] = []
    blank_run = 0
    current: _RawRow | None = None
    prev_tab = False
    while i < len(lines):
        line = lines[i]
        if not line.text.strip():
            # a tab-only line is an empty cell, not a blank line
            if line.text.startswith("\t") and current is not None and prev_tab:
                current.cells.append([""])
                current.end = line.end
                i += 1
                continue
            if line.text.startswith("\t") and (current is None or not prev_tab):
                current = _RawRow([[""]], line.start, line.end)
                rows.append(current)
                prev_tab, blank_run = True, 0
                i += 1
                continue
            blank_run += 1
            prev_tab = False
            if blank_run >= 2:
                break
            i += 1
            continue
        if line.text.startswith("\t"):
            cell = line.text.strip()
            if current is None or not prev_tab:
                current = _RawRow([], line.start, line.end)
                rows.append(current)
            current.cells.append([cell])
            current.end = line.end
            prev_tab, blank_run = True, 0
        else:
            if current is None or stop(line.text):
                break
            current.cells[-1].append(line.text.strip())  # another paragraph of the last cell
            current.end = line.end
            prev_tab, blank_run = True, 0  # a cell line right after it is the row's next cell
        i += 1
    return rows, i


def _header(rows: list[_RawRow], width: int) -> tuple[list[str], int]:
    """Column names from the header row(s) and how many rows they take."""
    first = [" ".join(c).strip() for c in rows[0].cells]
    names = first + [first[-1]] * (width - len(first)) if first else [""] * width
    used = 1
    if len(rows) > 1:
        second = [" ".join(c).strip() for c in rows[1].cells]
        if second and not second[0] and any(second) and len(second) == width:
            names = [
                f"{top}-{sub}" if sub and top and sub != top else (sub or top)
                for top, sub in zip(names, second, strict=False)
            ]
            used = 2
    return names, used


def parse_table(lines: list[Line], i: int, stop: Callable[[str], bool]) -> tuple[list[Row], int]:
    """Parse the table whose first cell line is lines[i]; return its data rows and the next index."""
    raw, nxt = _collect_rows(lines, i, stop)
    if not raw:
        return [], nxt
    width = Counter(len(r.cells) for r in raw).most_common(1)[0][0]
    width = max(width, max(len(r.cells) for r in raw[:2]))
    names, used = _header(raw, width)
    data = raw[used:]
    serial = {
        j
        for j, name in enumerate(names)
        if name in SERIAL_HEADERS
        or (
            j == 0
            and not name
            and data
            and all(SERIAL_VALUE.match(_cell(r, j)) or not _cell(r, j) for r in data)
        )
    }
    rows = []
    for r in data:
        cells = tuple(_cell(r, j) for j in range(max(width, len(r.cells))))
        parts = [
            f"{names[j] if j < len(names) else ''}：{value}".lstrip("：")
            for j, value in enumerate(cells)
            if j not in serial and value
        ]
        if parts:
            rows.append(Row(cells, "｜".join(parts), r.start, r.end))
    return rows, nxt


def _cell(row: _RawRow, j: int) -> str:
    return " ".join(p for p in row.cells[j] if p).strip() if j < len(row.cells) else ""


UNIT_IN_NAME = re.compile(r"[（(]([^（）()]{1,4})[）)]")
BARE_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


def readable_record(record: str) -> str:
    """A row record for reading: no title, "名称：值" joined by "，", units from headers put on values.

    "表1…｜主要指标：地区生产总值（亿元）｜…｜完成情况-总量：1281.4｜完成情况-增速（%）：8.1" reads
    "主要指标：地区生产总值（亿元），…，完成情况-总量：1281.4亿元，完成情况-增速（%）：8.1%".
    """
    fields = record.split("｜")
    if len(fields) < 2:
        return record
    row_unit = UNIT_IN_NAME.search(fields[1].partition("：")[2])
    out = []
    for field in fields[1:]:
        name, sep, value = field.partition("：")
        if sep and BARE_NUMBER.match(value.strip()):
            unit = UNIT_IN_NAME.search(name)
            if unit and unit.group(1) == "%":
                value = f"{value.strip()}%"
            elif not unit and row_unit:
                value = f"{value.strip()}{row_unit.group(1)}"
        out.append(f"{name}{sep}{value.strip().rstrip('。；;')}")
    return "，".join(out)
