"""Load report files (.txt/.md/.docx/.pdf) into normalised `Document`s; never writes anything."""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.types import CorpusError, Document

TEXT_SUFFIXES = (".txt", ".md")
SUPPORTED_SUFFIXES = (*TEXT_SUFFIXES, ".docx", ".pdf")
_MAX_BAD_RATIO = 0.2  # share of replacement/control characters above which a decoded text is rejected

_FULLWIDTH = {
    c: c - 0xFEE0
    for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for c in range(r[0], r[1] + 1)
}
_TRANSLATE: dict[int, int | str | None] = {
    **_FULLWIDTH,
    0xFF05: "%",
    0xFF0B: "+",
    0xFF0D: "-",
    0x3000: " ",
    0x00A0: " ",
    0x2028: "\n",
    0x2029: "\n",
    **{c: None for c in (0x200B, 0x200C, 0x200D, 0xFEFF)},
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FULLWIDTH_DOT = re.compile(r"(?<=[0-9])．(?=[0-9])")
_MANY_BLANKS = re.compile(r"\n{4,}")


def normalize_text(text: str) -> str:
    """Normalise width, spaces, controls and line ends; keep Chinese punctuation, numbers and leading tabs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_TRANSLATE)
    text = _FULLWIDTH_DOT.sub(".", _CONTROL.sub("", text))
    text = "\n".join(_strip_trailing(line) for line in text.split("\n"))
    return _MANY_BLANKS.sub("\n\n\n", text)


def _strip_trailing(line: str) -> str:
    """Strip trailing whitespace but keep the leading tabs that mark table cells."""
    body = line.lstrip("\t")
    return line[: len(line) - len(body)] + body.rstrip()


def _error(path: Path | str, zh: str, en: str) -> CorpusError:
    """Build a CorpusError naming the file and the reason, in Chinese then English."""
    return CorpusError(f"无法读取报告文件 {path}：{zh}（cannot read report file: {en}）")


def load_document(path: str | Path) -> Document:
    """Read one report file and return its normalised text with the hash of its raw bytes."""
    p = Path(path)
    if not p.exists():
        raise _error(p, "文件不存在", "file not found")
    if p.is_dir():
        raise _error(p, "这是一个目录而不是文件", "is a directory, not a file")
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        hint = "；旧版 .doc 请另存为 .docx" if suffix == ".doc" else ""
        raise _error(
            p,
            f"不支持的文件格式“{suffix or '无扩展名'}”，仅支持 .txt、.md、.docx、.pdf{hint}",
            f"unsupported file type '{suffix or '(none)'}'; supported: .txt, .md, .docx, .pdf",
        )
    try:
        raw = p.read_bytes()
    except PermissionError as exc:
        raise _error(p, "没有读取权限", "permission denied") from exc
    except OSError as exc:
        raise _error(p, f"读取失败（{exc.strerror or exc}）", f"read failed: {exc.strerror or exc}") from exc
    if not raw.strip():
        raise _error(p, "文件为空或只包含空白", "file is empty or contains only whitespace")
    if suffix == ".docx":
        text = _docx_text(p, raw)
    elif suffix == ".pdf":
        text = _pdf_text(p, raw)
    else:
        text = _decode(p, raw)
    text = normalize_text(text)
    if not text.strip():
        raise _error(p, "文件为空或只包含空白", "file is empty or contains only whitespace")
    return Document(path=str(path), text=text, sha256=hashlib.sha256(raw).hexdigest())


def load_corpus(path: str | Path) -> list[Document]:
    """Load a single report file, or every supported non-hidden file in a directory (sorted, non-recursive)."""
    p = Path(path)
    if not p.is_dir():
        return [load_document(p)]
    try:
        files = sorted((f for f in p.iterdir() if _is_report_file(f)), key=lambda f: f.name)
    except OSError as exc:
        raise _error(
            p, f"无法列出目录内容（{exc.strerror or exc}）", f"cannot list directory: {exc}"
        ) from exc
    if not files:
        empty = not any(p.iterdir())
        raise _error(
            p,
            "目录为空" if empty else "目录中没有可用的报告文件（.txt、.md、.docx、.pdf）",
            "directory is empty"
            if empty
            else "directory contains no supported report files (.txt, .md, .docx, .pdf)",
        )
    return [load_document(f) for f in files]


def scan_corpus(path: str | Path) -> tuple[list[Document], list[tuple[str, str]]]:
    """Like `load_corpus`, but a folder's unusable or duplicate files are skipped, each with its reason.

    One bad file must not take the other reports of a folder offline (a kiosk keeps serving them);
    `index info` lists what was skipped. A single file, or a folder with nothing usable, still raises.
    """
    p = Path(path)
    if not p.is_dir():
        return [load_document(p)], []
    try:
        files = sorted((f for f in p.iterdir() if _is_report_file(f)), key=lambda f: f.name)
    except OSError:
        files = []
    if not files:
        return load_corpus(p), []  # raises with the reason
    docs: list[Document] = []
    skipped: list[tuple[str, str]] = []
    by_hash: dict[str, str] = {}
    for f in files:
        try:
            doc = load_document(f)
        except CorpusError as e:
            skipped.append((str(f), str(e)))
            continue
        if doc.sha256 in by_hash or any(d.text == doc.text for d in docs):
            first = by_hash.get(doc.sha256) or next(d.path for d in docs if d.text == doc.text)
            skipped.append(
                (str(f), f"与 {Path(first).name} 内容相同，已跳过（duplicate of {Path(first).name}）")
            )
            continue
        by_hash[doc.sha256] = doc.path
        docs.append(doc)
    if not docs:
        raise _error(
            p, "目录中没有可用的报告文件：" + "；".join(r for _, r in skipped), "no usable report files"
        )
    return docs, skipped


def _is_report_file(f: Path) -> bool:
    """True for a visible, supported regular file (skips dot-files and Office '~$' lock files)."""
    return not f.name.startswith((".", "~$")) and f.suffix.lower() in SUPPORTED_SUFFIXES and f.is_file()


def _decode(path: Path, raw: bytes) -> str:
    """Decode text bytes: BOMs, strict UTF-8, strict GB18030, then charset-normalizer."""
    text: str | None = None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            text = None
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    if text is None:
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
        text = str(best) if best is not None else None
    if text is None or _bad_ratio(text) > _MAX_BAD_RATIO:
        raise _error(
            path,
            "无法识别文本编码，文件可能不是文本文件（支持 UTF-8、UTF-16、GB18030/GBK）",
            "cannot detect the text encoding; the file may not be text (supported: UTF-8, UTF-16, GB18030/GBK)",
        )
    return text.removeprefix("\ufeff")


def _bad_ratio(text: str) -> float:
    """Share of non-whitespace characters that are replacement, control, private-use or unassigned."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    bad = sum(1 for c in chars if c == "\ufffd" or unicodedata.category(c) in ("Cc", "Co", "Cn", "Cs"))
    return bad / len(chars)


def _docx_text(path: Path, raw: bytes) -> str:
    """Body paragraphs and tables in document order; tables in the tab-per-cell layout."""
    try:
        import docx
        from docx.table import Table, _Cell
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(raw))
        blocks: list[str] = []
        for item in _iter_block_items(document.element.body, document, Paragraph, Table):
            if isinstance(item, Paragraph):
                line = _clean_paragraph(item.text)
                if line:
                    blocks.append(line)
                continue
            rows = []
            for row in item.rows:
                cells = [_cell_text(_Cell(tc, item), Paragraph, Table) for tc in row._tr.tc_lst]
                rows.append("\n".join(cells))
            if rows:
                blocks.append("\n\n".join(rows) + "\n")
    except Exception as exc:  # python-docx raises many kinds of errors on damaged files
        raise _error(
            path, "文件已损坏或不是有效的 Word 文档（.docx）", "damaged or not a valid .docx"
        ) from exc
    return "\n\n".join(blocks)


def _iter_block_items(parent: Any, owner: Any, paragraph_cls: type, table_cls: type) -> Iterator[Any]:
    """Yield Paragraph/Table objects under `parent` in order, descending into content controls."""
    for child in parent.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            yield paragraph_cls(child, owner)
        elif tag == "tbl":
            yield table_cls(child, owner)
        elif tag in ("sdt", "sdtContent"):
            yield from _iter_block_items(child, owner, paragraph_cls, table_cls)


def _cell_text(cell: Any, paragraph_cls: type, table_cls: type) -> str:
    """One cell: TAB + first paragraph; further paragraphs (and nested tables' text) blank-line separated."""
    paragraphs = [t for t in _cell_paragraphs(cell, paragraph_cls, table_cls) if t]
    return "\t" + "\n\n".join(paragraphs)


def _cell_paragraphs(cell: Any, paragraph_cls: type, table_cls: type) -> Iterator[str]:
    """Cleaned paragraph texts of a cell, flattening any nested tables cell by cell."""
    for item in _iter_block_items(cell._tc, cell, paragraph_cls, table_cls):
        if isinstance(item, paragraph_cls):
            yield _clean_paragraph(item.text)
        else:
            for row in item.rows:
                for tc in row._tr.tc_lst:
                    yield from _cell_paragraphs(type(cell)(tc, item), paragraph_cls, table_cls)


def _clean_paragraph(text: str) -> str:
    """Strip each line's surrounding whitespace so no prose line can start with a TAB (the cell marker)."""
    lines = (line.strip() for line in normalize_text(text).split("\n"))
    return "\n".join(line for line in lines if line)


def _pdf_text(path: Path, raw: bytes) -> str:
    """Extract text page by page with pypdf; pages joined with blank lines."""
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not _try_decrypt(reader):
            raise _error(path, "PDF 已加密，无法读取", "the PDF is encrypted")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except CorpusError:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        raise _error(path, "文件已损坏或不是有效的 PDF", "damaged or not a valid PDF") from exc
    text = "\n\n".join(page for page in pages if page)
    if not text.strip():
        raise _error(
            path,
            "PDF 中没有可提取的文字，可能是扫描图片，请先进行文字识别（OCR）",
            "no extractable text; it may be a scanned image (run OCR first)",
        )
    return text


def _try_decrypt(reader: Any) -> bool:
    """Open a PDF encrypted with an empty user password; False if that is not possible."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # e.g. AES without the optional crypto dependency
        return False
