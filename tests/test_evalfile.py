"""Tests for assistant.evalfile: history forms, the optional reports field, CSV files, the size limit."""

from __future__ import annotations

import json

import pytest

from assistant.evalfile import (
    EvalFileError,
    EvalItem,
    item_from_dict,
    item_to_dict,
    load_eval_file,
    parse_eval_bytes,
    report_scope,
    select_items,
)

pytestmark = pytest.mark.unit

PAIRS = [["2023年地区生产总值是多少？", "1281.4亿元[1]。"]]
MESSAGES = [
    {"role": "system", "content": "你是助手"},
    {"role": "user", "content": "2023年地区生产总值是多少？"},
    {"role": "assistant", "content": "1281.4亿元[1]。"},
]


def _line(**over: object) -> bytes:
    obj = {
        "id": "a",
        "question": "增长多少？",
        "answers": ["8.4%"],
        "evidence": ["增长8.4%"],
        "category": "c",
    }
    obj.update(over)
    return (json.dumps(obj, ensure_ascii=False) + "\n").encode()


@pytest.mark.parametrize("history", [PAIRS, MESSAGES, [*MESSAGES, {"role": "user", "content": "增长多少？"}]])
def test_history_as_pairs_or_messages_gives_the_same_pairs(history: list) -> None:
    [item] = parse_eval_bytes(_line(history=history), "q.jsonl")
    assert item.history == (("2023年地区生产总值是多少？", "1281.4亿元[1]。"),)


@pytest.mark.parametrize(
    "history",
    [
        [{"role": "user", "content": "问"}],  # a question without its answer (not the question itself)
        [{"role": "user", "content": "问"}, {"role": "user", "content": "又问"}],
        [{"role": "bot", "content": "答"}],
        [{"role": "user", "content": 3}],
        [["问", "答"], {"role": "user", "content": "问"}],  # mixed forms
    ],
)
def test_bad_message_history_is_refused_with_its_line(history: list) -> None:
    with pytest.raises(EvalFileError, match="q.jsonl 第 1 行：'history'"):
        parse_eval_bytes(_line(history=history), "q.jsonl")


def test_reports_field_is_optional_and_kept() -> None:
    a, b = parse_eval_bytes(_line() + _line(id="b", reports=["bj.txt", "gd.txt"]), "q.jsonl")
    assert a.reports == () and b.reports == ("bj.txt", "gd.txt")
    assert item_from_dict(item_to_dict(b)) == b


CSV = (
    "id,question,answers,evidence,category,history,split,reports\n"
    "c1,增长多少？,8.4%,全年地区生产总值增长8.4%,result,,heldout,bj.txt\n"
    '"",两项各多少？,"[""6%"", ""8%""]","固定资产投资增长6%|工业投资增长8%",target,"[[""问"", ""答""]]",,\n'
    ",永川区区长是谁？,,,unanswerable,,,\n"
)


def test_csv_rows_become_items() -> None:
    c1, c2, c3 = parse_eval_bytes(CSV.encode(), "set.csv")
    assert c1 == EvalItem(
        "c1", "增长多少？", ("8.4%",), ("全年地区生产总值增长8.4%",), "result", (), "heldout", ("bj.txt",)
    )
    assert (
        c2.id == "row-3"
        and c2.answers == ("6%", "8%")
        and c2.evidence == ("固定资产投资增长6%", "工业投资增长8%")
    )
    assert c2.history == (("问", "答"),)
    assert c3.id == "row-4" and not c3.answerable and c3.evidence == ()


def test_csv_from_a_chinese_excel_is_read_as_gb18030() -> None:
    [item] = parse_eval_bytes(
        "question,answers,evidence,category\n增长多少？,8.4%,增长8.4%,c\n".encode("gb18030"), "x.csv"
    )
    assert item.question == "增长多少？"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("question,answers,category\n问,1,c\n", "第 1 行：CSV 表头缺少列 evidence"),
        ("question,answers,evidence,category\n问,1,,c\n", "第 2 行：可回答的题目至少需要一条证据原文"),
        ('question,answers,evidence,category\n问,"[1,",x,c\n', "第 2 行：'answers' 列不是有效的 JSON 数组"),
        ("question,answers,evidence,category\n\n问,1,1,c,extra\n", "第 3 行：单元格比表头的列多"),
        ('question,answers,evidence,category\n"多\n行",1,1,c\n问,,,\n', "第 4 行：'category'"),
    ],
)
def test_bad_csv_row_names_its_line(text: str, message: str) -> None:
    with pytest.raises(EvalFileError) as err:
        parse_eval_bytes(text.encode(), "set.csv")
    assert message in str(err.value)


def test_malformed_line_names_its_number_and_nothing_is_returned() -> None:
    data = _line() + _line(id="b") + b"{oops\n" + _line(id="d")
    with pytest.raises(EvalFileError, match="第 3 行：不是有效的 JSON"):
        parse_eval_bytes(data, "q.jsonl")


def test_size_limit_is_named_and_checked_before_reading(tmp_path) -> None:
    big = _line() * 10
    with pytest.raises(EvalFileError, match="超过 0.0001 MB（100 字节）的上限"):
        parse_eval_bytes(big, "q.jsonl", limit=100)
    path = tmp_path / "q.jsonl"
    path.write_bytes(big)
    with pytest.raises(EvalFileError, match=f"文件有 {len(big):,} 字节"):
        load_eval_file(path, limit=100)


def test_question_over_the_length_limit_is_refused() -> None:
    with pytest.raises(EvalFileError, match="第 1 行：问题超过 5 字"):
        parse_eval_bytes(_line(question="一二三四五六"), "q.jsonl", max_question_chars=5)


def test_not_utf8_and_empty_files() -> None:
    with pytest.raises(EvalFileError, match="不是 UTF-8"):
        parse_eval_bytes("问".encode("gb18030") + b"\xff", "q.jsonl")
    with pytest.raises(EvalFileError, match="没有题目"):
        parse_eval_bytes(b"\n\n", "q.jsonl")


def _item(id_: str, split: str = "dev", reports: tuple[str, ...] = ()) -> EvalItem:
    return EvalItem(id_, "问", ("1",), ("1",), "c", (), split, reports)


def test_select_items_by_split_reports_and_limit() -> None:
    items = [
        _item("a"),
        _item("b", "heldout", ("bj.txt",)),
        _item("c", reports=("gd.txt",)),
        _item("d", reports=("bj.txt",)),
    ]
    assert [i.id for i in select_items(items)] == ["a", "b", "c", "d"]
    assert [i.id for i in select_items(items, "dev")] == ["a", "c", "d"]
    assert [i.id for i in select_items(items, reports=["bj.txt"])] == ["b", "d"]
    assert [i.id for i in select_items(items, "dev", ["bj.txt", "gd.txt"], limit=1)] == ["c"]


def test_report_scope() -> None:
    own, two, none = _item("a", reports=("bj.txt",)), _item("b", reports=("bj.txt", "gd.txt")), _item("c")
    assert report_scope(own, [], narrow=False) is None
    assert report_scope(own, [], narrow=True) == "bj.txt"
    assert report_scope(two, [], narrow=True) is None  # evidence in two reports: search both
    assert report_scope(two, ["gd.txt"], narrow=True) == "gd.txt"
    assert report_scope(none, ["gd.txt"], narrow=True) == "gd.txt"
    assert report_scope(none, [], narrow=True) is None
