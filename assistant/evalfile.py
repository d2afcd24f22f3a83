"""The eval file format: JSONL (or CSV) questions with key facts, evidence, history and their reports.

One item per line: ``{"id", "question", "answers": [key facts], "evidence": [verbatim quotes],
"category", "history": [...], "split": "dev" | "heldout", "reports": [report file names]}``
(history, split and reports optional). History is ``[[question, answer], ...]`` or OpenAI-style
``[{"role": "user", "content": ...}, {"role": "assistant", "content": ...}, ...]``. A CSV file has
the columns question, answers, evidence, category (and optionally id, history, split, reports); a list
cell is a JSON array or items separated by ``|``. Errors name the file and the 1-based line.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SPLITS = ("dev", "heldout")
MAX_EVAL_BYTES = 2_000_000  # about 8x the bundled 1,008-question set; larger files are refused
CSV_LIST_SEPARATOR = "|"
CSV_REQUIRED = ("question", "answers", "evidence", "category")
ROLES = ("system", "user", "assistant")


class EvalFileError(ValueError):
    """An eval file cannot be used; the message names the file and line (in Chinese, shown as is)."""


@dataclass(frozen=True)
class EvalItem:
    """One eval question with its key facts, evidence quotes, history and the reports its evidence is in."""

    id: str
    question: str
    answers: tuple[str, ...]
    evidence: tuple[str, ...]
    category: str
    history: tuple[tuple[str, str], ...] = ()
    split: str = "dev"
    reports: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def _where(name: str, lineno: int) -> str:
    return f"{name} 第 {lineno} 行"


def _str_list(obj: dict[str, Any], key: str, where: str, required: bool = True) -> tuple[str, ...]:
    """A list-of-strings field (an optional one may be absent: empty), or EvalFileError."""
    value = obj.get(key)
    if value is None and not required:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise EvalFileError(f"{where}：'{key}' 应为非空字符串的列表")
    return tuple(value)


def _pairs_from_messages(messages: list[dict[str, Any]], question: str, where: str) -> list[tuple[str, str]]:
    """Messages -> (question, answer) pairs. System messages are skipped; a last user message that
    repeats the question itself is dropped."""
    turns = [m for m in messages if m["role"] != "system"]
    if turns and turns[-1]["role"] == "user" and turns[-1]["content"].strip() == question.strip():
        turns = turns[:-1]
    expected = ["user" if i % 2 == 0 else "assistant" for i in range(len(turns))]
    if len(turns) % 2 or [m["role"] for m in turns] != expected:
        raise EvalFileError(f"{where}：'history' 的消息应按 user、assistant 交替出现（以 user 开头）")
    return [(turns[i]["content"], turns[i + 1]["content"]) for i in range(0, len(turns), 2)]


def _history(raw: Any, question: str, where: str) -> tuple[tuple[str, str], ...]:
    """History as [question, answer] pairs or as {"role", "content"} messages, or EvalFileError."""
    if raw is None:
        return ()
    if isinstance(raw, list) and raw and all(isinstance(t, dict) for t in raw):
        if not all(t.get("role") in ROLES and isinstance(t.get("content"), str) for t in raw):
            raise EvalFileError(f"{where}：'history' 的每条消息需要 role（user/assistant）和字符串 content")
        return tuple(_pairs_from_messages(raw, question, where))
    if not isinstance(raw, list) or not all(
        isinstance(t, list) and len(t) == 2 and all(isinstance(s, str) for s in t) for t in raw
    ):
        raise EvalFileError(
            f"{where}：'history' 应为 [问题, 回答] 字符串对的列表，或 role/content 消息的列表"
        )
    return tuple((q, a) for q, a in raw)


def parse_item(obj: Any, where: str) -> EvalItem:
    """Validate one decoded JSON line (or CSV row) into an EvalItem."""
    if not isinstance(obj, dict):
        raise EvalFileError(f"{where}：应为一个 JSON 对象")
    for key in ("id", "question", "category"):
        if not isinstance(obj.get(key), str) or not obj[key].strip():
            raise EvalFileError(f"{where}：'{key}' 应为非空字符串")
    answers, evidence = _str_list(obj, "answers", where), _str_list(obj, "evidence", where)
    if answers and not evidence:
        raise EvalFileError(f"{where}：可回答的题目至少需要一条证据原文（evidence quote）")
    history = _history(obj.get("history", []), obj["question"], where)
    split = obj.get("split", "dev")
    if split not in SPLITS:
        raise EvalFileError(f"{where}：'split' 应为 {' / '.join(SPLITS)} 之一，实际为 {split!r}")
    reports = _str_list(obj, "reports", where, required=False)
    return EvalItem(obj["id"], obj["question"], answers, evidence, obj["category"], history, split, reports)


def _csv_list(cell: str, key: str, where: str) -> Any:
    """A CSV list cell: a JSON array, or items separated by CSV_LIST_SEPARATOR; empty = []."""
    cell = cell.strip()
    if cell.startswith("["):
        try:
            return json.loads(cell)
        except json.JSONDecodeError as exc:
            raise EvalFileError(f"{where}：'{key}' 列不是有效的 JSON 数组（{exc.msg}）") from exc
    return [part.strip() for part in cell.split(CSV_LIST_SEPARATOR) if part.strip()]


def _csv_object(row: dict[str, str], lineno: int, where: str) -> dict[str, Any]:
    """A CSV row as the JSONL object it stands for (id defaults to row-<line>)."""
    obj: dict[str, Any] = {k: row[k].strip() for k in ("id", "question", "category") if k in row}
    obj["id"] = obj.get("id") or f"row-{lineno}"
    for key in ("answers", "evidence", "reports"):
        if key in row:
            obj[key] = _csv_list(row[key], key, where)
    if row.get("history", "").strip():
        try:
            obj["history"] = json.loads(row["history"])
        except json.JSONDecodeError as exc:
            raise EvalFileError(f"{where}：'history' 列不是有效的 JSON（{exc.msg}）") from exc
    if row.get("split", "").strip():
        obj["split"] = row["split"].strip()
    return obj


def _csv_rows(text: str, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(first line number, row object) for each non-empty CSV row (a quoted cell may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    lineno = 1
    try:
        header = [c.strip() for c in next(reader, [])]
        missing = [c for c in CSV_REQUIRED if c not in header]
        if missing:
            raise EvalFileError(f"{_where(name, 1)}：CSV 表头缺少列 {', '.join(missing)}")
        lineno = reader.line_num + 1
        for cells in reader:
            first, lineno = lineno, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                raise EvalFileError(f"{_where(name, first)}：单元格比表头的列多")
            row = dict(zip(header, cells, strict=False))
            yield first, _csv_object({k: row.get(k, "") for k in header}, first, _where(name, first))
    except csv.Error as exc:
        raise EvalFileError(f"{_where(name, lineno)}：不是有效的 CSV（{exc}）") from exc


def _jsonl_rows(text: str, name: str) -> Iterator[tuple[int, Any]]:
    """(line number, decoded object) for each non-blank JSONL line."""
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield lineno, json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalFileError(f"{_where(name, lineno)}：不是有效的 JSON（{exc.msg}）") from exc


def _decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM); a CSV saved by a Chinese Excel is GB18030."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if name.lower().endswith(".csv"):
            try:
                return data.decode("gb18030")
            except UnicodeDecodeError:
                pass
    raise EvalFileError(f"{name}：无法读取，文件不是 UTF-8 文本")


def too_big(name: str, size: int, limit: int) -> EvalFileError:
    """The error for a file over the size limit (the limit named)."""
    return EvalFileError(f"{name}：文件有 {size:,} 字节，超过 {limit / 1e6:g} MB（{limit:,} 字节）的上限")


def parse_eval_bytes(
    data: bytes, name: str, *, limit: int = MAX_EVAL_BYTES, max_question_chars: int | None = None
) -> list[EvalItem]:
    """Parse an eval file's bytes: JSONL, or CSV when the name ends in .csv. Nothing is executed."""
    if len(data) > limit:
        raise too_big(name, len(data), limit)
    text = _decode(data, name)
    rows = _csv_rows(text, name) if name.lower().endswith(".csv") else _jsonl_rows(text, name)
    items: list[EvalItem] = []
    seen: dict[str, int] = {}
    for lineno, obj in rows:
        where = _where(name, lineno)
        item = parse_item(obj, where)
        if item.id in seen:
            raise EvalFileError(f"{where}：id {item.id!r} 重复（首次出现在第 {seen[item.id]} 行）")
        if max_question_chars is not None and len(item.question.strip()) > max_question_chars:
            raise EvalFileError(f"{where}：问题超过 {max_question_chars} 字")
        seen[item.id] = lineno
        items.append(item)
    if not items:
        raise EvalFileError(f"{name}：文件中没有题目")
    return items


def load_eval_file(path: str | Path, limit: int = MAX_EVAL_BYTES) -> list[EvalItem]:
    """Read a JSONL (or .csv) eval file; blank lines are skipped; errors name the file and 1-based line."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > limit:
            raise too_big(str(path), size, limit)
        data = path.read_bytes()
    except OSError as exc:
        raise EvalFileError(f"{path}：无法读取评测文件（{exc}）") from exc
    return parse_eval_bytes(data, str(path), limit=limit)


def item_to_dict(item: EvalItem) -> dict[str, Any]:
    """The eval-file form of an item (JSON-ready; history as [question, answer] pairs)."""
    d = asdict(item)
    d["history"] = [list(t) for t in item.history]
    return d


def item_from_dict(d: dict[str, Any]) -> EvalItem:
    """The inverse of item_to_dict."""
    return EvalItem(
        d["id"], d["question"], tuple(d["answers"]), tuple(d["evidence"]), d["category"],
        tuple((q, a) for q, a in d.get("history", ())), d.get("split", "dev"), tuple(d.get("reports", ())),
    )  # fmt: skip


def select_items(
    items: Sequence[EvalItem], split: str = "all", reports: Sequence[str] = (), limit: int | None = None
) -> list[EvalItem]:
    """The items of a split whose evidence is in one of the chosen reports (none chosen = all), at most limit."""
    chosen = [
        it
        for it in items
        if (split == "all" or it.split == split) and (not reports or set(it.reports) & set(reports))
    ]
    return chosen[:limit] if limit is not None else chosen


def report_scope(item: EvalItem, chosen: Sequence[str], narrow: bool) -> str | None:
    """The report to narrow an item's search to: its own one, else the only one chosen; None = all."""
    if not narrow:
        return None
    own = [r for r in item.reports if not chosen or r in chosen]
    if len(own) == 1:
        return own[0]
    return chosen[0] if len(chosen) == 1 else None
