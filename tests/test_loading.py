"""Tests for assistant.loading: formats, encodings, normalisation and error messages."""

from __future__ import annotations

import codecs
import hashlib
import os
import random
import re
from pathlib import Path

import docx
import pytest

from assistant.loading import load_corpus, load_document, normalize_text
from assistant.settings import DEFAULT_CORPUS
from assistant.types import CorpusError

pytestmark = pytest.mark.unit

TABLE_TEXT = (
    "表1 2028年主要指标完成情况表\n"
    "\n"
    "\t序号\n"
    "\t主要指标\n"
    "\t完成情况\n"
    "\n"
    "\t1\n"
    "\t地区生产总值（亿元）\n"
    "\t742.6\n"
    "\n"
    "全年地区生产总值增长6.8%；一般公共预算收入增长12%。\n"
)


def _pdf_bytes(page_texts: list[str]) -> bytes:
    """A minimal hand-written PDF with one Helvetica text line per page (empty string = blank page)."""
    n = len(page_texts)
    font_id = 3 + 2 * n
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    for i, text in enumerate(page_texts):
        stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode() if text else b""
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s.encode("utf-8"),
        lambda s: codecs.BOM_UTF8 + s.encode("utf-8"),
        lambda s: s.encode("gb18030"),
        lambda s: s.encode("gbk"),
        lambda s: s.encode("utf-16"),  # with BOM
    ],
    ids=["utf-8", "utf-8-bom", "gb18030", "gbk", "utf-16-bom"],
)
def test_encodings_load_to_same_text(tmp_path: Path, encode) -> None:
    raw = encode(TABLE_TEXT)
    path = tmp_path / "report.txt"
    path.write_bytes(raw)
    doc = load_document(path)
    assert doc.text == TABLE_TEXT
    assert doc.path == str(path)
    assert doc.sha256 == hashlib.sha256(raw).hexdigest()


def test_line_endings_and_md(tmp_path: Path) -> None:
    path = tmp_path / "report.md"
    path.write_bytes(TABLE_TEXT.replace("\n", "\r\n").encode("utf-8"))
    assert load_document(path).text == TABLE_TEXT
    path.write_bytes(TABLE_TEXT.replace("\n", "\r").encode("utf-8"))
    assert load_document(path).text == TABLE_TEXT


def test_normalize_text() -> None:
    src = "地区生产总值７４２．６亿元，增长６．８％；ＧＤＰ　ｔｏｔａｌ\u00a0＋－1,742.6 和 6.8%。\u200b（一）“二”《三》！？、：\x07  \n"
    out = normalize_text(src)
    assert out == "地区生产总值742.6亿元，增长6.8%；GDP total +-1,742.6 和 6.8%。（一）“二”《三》！？、：\n"
    # a full-width full stop is only converted between digits
    assert normalize_text("Ａ．Ｂ") == "A．B"
    # leading tabs (table cells) survive, an empty cell stays a lone TAB, blank lines are kept
    assert normalize_text("\t序号  \n\t \n\n\t1") == "\t序号\n\t\n\n\t1"
    # runs of 3+ blank lines collapse to 2
    assert normalize_text("a\n\n\n\n\n\nb") == "a\n\n\nb"
    assert normalize_text("a\n\n\nb") == "a\n\n\nb"
    assert normalize_text("a\r\nb\rc") == "a\nb\nc"


def test_docx_tables_in_tab_per_cell_layout(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("一、2028年计划执行情况", level=1)
    document.add_paragraph("全年地区生产总值增长6.8%。")
    document.add_paragraph("表2：2028年民生实事完成情况表")
    table = document.add_table(rows=3, cols=3)
    values = [
        ["序号", "项目名称", "完成情况"],
        ["1", "城镇老旧小区改造", "老旧小区改造：已完工。"],
        ["2", "", "完成"],
    ]
    for r, row in enumerate(values):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(1, 2).add_paragraph("加装电梯：完成40台。")
    document.add_paragraph("\t以TAB开头的正文。")
    path = tmp_path / "report.docx"
    document.save(str(path))

    text = load_document(path).text
    assert text == (
        "一、2028年计划执行情况\n\n"
        "全年地区生产总值增长6.8%。\n\n"
        "表2：2028年民生实事完成情况表\n\n"
        "\t序号\n\t项目名称\n\t完成情况\n\n"
        "\t1\n\t城镇老旧小区改造\n\t老旧小区改造：已完工。\n\n加装电梯：完成40台。\n\n"
        "\t2\n\t\n\t完成\n\n\n"
        "以TAB开头的正文。"
    )


def test_docx_merged_cells_emit_one_line_per_real_cell(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("表1  2028年主要指标完成情况表")
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).text = "序号"
    table.cell(0, 1).text = "完成情况"
    table.cell(0, 1).merge(table.cell(0, 2))  # horizontal span: one cell
    table.cell(0, 0).merge(table.cell(1, 0))  # vertical span: continuation is an empty cell
    table.cell(1, 1).text = "总量"
    table.cell(1, 2).text = "增速（%）"
    for c, value in enumerate(["1", "742.6", "6.8"]):
        table.cell(2, c).text = value
    path = tmp_path / "merged.docx"
    document.save(str(path))

    text = load_document(path).text
    assert text == (
        "表1  2028年主要指标完成情况表\n\n"
        "\t序号\n\t完成情况\n\n"
        "\t\n\t总量\n\t增速（%）\n\n"
        "\t1\n\t742.6\n\t6.8\n"
    )


def test_pdf_loads(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(_pdf_bytes(["GDP grew 6.8% to 742.6", "Second page text"]))
    text = load_document(path).text
    assert "GDP grew 6.8% to 742.6" in text
    assert "Second page text" in text
    assert text.index("GDP") < text.index("Second")


def test_pdf_without_text_is_reported_as_scanned(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(_pdf_bytes(["", ""]))
    with pytest.raises(CorpusError, match="scan.pdf") as info:
        load_document(path)
    assert "扫描" in str(info.value) and "scanned" in str(info.value)


def _random_bytes(n: int = 4000) -> bytes:
    return b"\x00\x01" + random.Random(0).randbytes(n)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", " \n\t\r\n\u3000\n".encode(), "empty"),
        ("sheet.xlsx", b"PK\x03\x04 not really", "unsupported"),
        ("old.doc", b"\xd0\xcf\x11\xe0", "unsupported"),
        ("broken.docx", _random_bytes(), "not a valid .docx"),
        ("broken.pdf", _random_bytes(), "not a valid PDF"),
        ("binary.txt", _random_bytes(), "encoding"),
        ("nul.txt", b"\x00\x01\x02\x03" * 100, "encoding"),
    ],
)
def test_bad_files_raise_corpus_error(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CorpusError) as info:
        load_document(path)
    message = str(info.value)
    assert name in message and reason in message
    assert message.startswith("无法读取报告文件")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="missing.txt.*file not found"):
        load_document(tmp_path / "missing.txt")
    with pytest.raises(CorpusError, match="directory"):
        load_document(tmp_path)
    with pytest.raises(CorpusError, match="missing.txt"):
        load_corpus(tmp_path / "missing.txt")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("内容", encoding="utf-8")
    path.chmod(0)
    try:
        with pytest.raises(CorpusError, match="secret.txt.*permission"):
            load_document(path)
    finally:
        path.chmod(0o600)


def test_permission_error_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.txt"
    path.write_text("内容", encoding="utf-8")

    def deny(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", deny)
    with pytest.raises(CorpusError, match="locked.txt.*没有读取权限.*permission denied"):
        load_document(path)


def test_directory_corpus(tmp_path: Path) -> None:
    (tmp_path / "b.md").write_text("第二份报告", encoding="utf-8")
    (tmp_path / "a.txt").write_bytes("第一份报告".encode("gbk"))
    (tmp_path / ".hidden.txt").write_text("隐藏", encoding="utf-8")
    (tmp_path / "~$lock.docx").write_bytes(b"lock")
    (tmp_path / "notes.xlsx").write_bytes(b"ignored")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_text("子目录", encoding="utf-8")
    docs = load_corpus(tmp_path)
    assert [Path(d.path).name for d in docs] == ["a.txt", "b.md"]
    assert [d.text for d in docs] == ["第一份报告", "第二份报告"]
    assert load_corpus(tmp_path / "b.md")[0].text == "第二份报告"


def test_directory_without_reports(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CorpusError, match="empty"):
        load_corpus(empty)
    (empty / "data.xlsx").write_bytes(b"x")
    (empty / ".hidden.txt").write_text("隐藏", encoding="utf-8")
    with pytest.raises(CorpusError, match="no supported report files"):
        load_corpus(empty)


def test_real_report_loads() -> None:
    doc = load_document(DEFAULT_CORPUS)
    assert re.search(r"\n\t\d+(\.\d+)?\n", doc.text)  # a table cell holding a figure, on its own line
    assert "\t序号" in doc.text
    assert re.search(r"增长\d+(\.\d+)?%", doc.text)
    assert "\n\t\n" in doc.text  # empty table cells survive
    assert doc.sha256 == hashlib.sha256(DEFAULT_CORPUS.read_bytes()).hexdigest()
