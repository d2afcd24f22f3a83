"""HTML for the chat: answers with citation cards, escaped text, figures emphasised."""

from __future__ import annotations

import html
import logging
import re
from typing import Any

from assistant.types import Answer, Citation

log = logging.getLogger(__name__)

TITLE = "规划报告问答助手"
MAX_TURNS = 6  # question/answer pairs passed back as conversation history
CONTEXT_CHARS = 300  # characters of surrounding report text shown on each side
NUM = re.compile(r"(?<![\d.])(?>\d+(?:[.．]\d+)?)(?![\d年])(?:%|％|‰|个百分点|亿元|万元|亿|万|元|倍)?")
REF = re.compile(r"\[(\d{1,2})\]")
LABEL_BEFORE = re.compile(r"(表|专栏|第)\s?$")  # 表1, 专栏11, 第3: labels, not figures
LIST_MARK = re.compile(r"[.．、](?!\d)")  # "1." / "2、" numbering a list item
SECTION_NUMBER = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d{1,2}[.、])\s*")
CELL_SEP = " ｜ "
ERROR_TEXT = "抱歉，系统暂时出现问题，请稍后再试。"


# How an answer was made, in a resident's words (not "extractive mode" or a model's name).
EXTRACTIVE_LABEL = "原文摘录"
MODEL_LABEL = "智能整理"
EXTRACTIVE_ABOUT = "回答均摘自报告原文，并注明出处。"
MODEL_ABOUT = "回答依据报告原文整理，并注明出处；其中的数字均已与原文核对。"


def _extractive(mode: str) -> bool:
    return not mode or mode.startswith("extractive")


def mode_label(mode: str) -> str:
    """Badge text of an answer: 原文摘录 (quoted from the report) or 智能整理 (written by a model)."""
    return EXTRACTIVE_LABEL if _extractive(mode) else MODEL_LABEL


def about_line(mode: str) -> str:
    """The header's line saying where the answers come from."""
    return EXTRACTIVE_ABOUT if _extractive(mode) else MODEL_ABOUT


def _text(raw: str) -> str:
    """Escape text for HTML, keeping (collapsed) line breaks."""
    return re.sub(r"\s*\n\s*", "<br>", html.escape(raw))


def _is_label(raw: str, m: re.Match[str]) -> bool:
    """True for a number that names something rather than being a figure.

    表1 / 专栏11 / 第3 (but not 水表5000只), a list item's "1." or "2、", a table row's serial number.
    """
    num, start = m.group(), m.start()
    label = LABEL_BEFORE.search(raw, max(0, start - 3), start)
    if label and label.group(1) != "表":
        return True
    if not num.isdigit():
        return False
    prev, rest = (raw[start - 1] if start else ""), raw[m.end() :]
    if label:  # 表 names a table only with a short number not followed by a word (表1  …, 表2：…)
        return len(num) <= 2 and not rest[:1].isalnum()
    if LIST_MARK.match(rest) and not prev.isalnum():  # at the start of the text, a line, a cell…
        return True
    return prev in ("", "\n") and rest.lstrip(" ").startswith(CELL_SEP.strip())  # "1 ｜ 地区生产总值…"


def emphasise(raw: str) -> str:
    """Escape text and wrap the figures in it (8.1%, 1281.4亿元) in <strong>; years and labels stay plain."""
    out, pos = [], 0
    for m in NUM.finditer(raw):
        if _is_label(raw, m):
            continue
        out += [_text(raw[pos : m.start()]), "<strong>", _text(m.group()), "</strong>"]
        pos = m.end()
    out.append(_text(raw[pos:]))
    return "".join(out)


def collapse_cells(text: str) -> str:
    """Rewrite a table exported one cell per line into one line per row, cells joined by " ｜ ".

    In the export each cell starts a line with a tab, the cells of a row are consecutive lines, a
    blank line separates rows, further paragraphs of a cell follow as untabbed lines (after at most
    one blank line) and two blank lines end the table. Empty cells are dropped; other text is kept.
    """
    out: list[str] = []
    row: list[str] | None = None
    blanks = 0

    def flush() -> None:
        nonlocal row
        if row is not None and any(row):
            out.append(CELL_SEP.join(c for c in row if c))
        row = None

    for line in text.split("\n"):
        if line.startswith("\t"):
            if row is None or blanks:
                flush()
                row = []
            row.append(line.strip())
            blanks = 0
        elif not line.strip():
            blanks += 1
            if blanks >= 2:
                flush()
            if row is None:
                out.append("")
        elif row:
            row[-1] = f"{row[-1]} {line.strip()}".strip()  # another paragraph of the last cell
            blanks = 0
        else:
            flush()
            out.append(line)
            blanks = 0
    flush()
    return "\n".join(out)


def section_question(section: str) -> str:
    """A question about a section, from the last part of its path: “区域消费中心加快建设”部分讲了什么？"""
    last = section.rsplit(" > ", 1)[-1].strip()  # paths are joined with " > " (Chunk.section)
    last = SECTION_NUMBER.sub("", last).strip() or last
    return f"“{last}”部分讲了什么？"


def report_heading(names: list[str]) -> str:
    """The header line naming the loaded report(s)."""
    if not names:
        return ""
    if len(names) == 1:
        return f"当前报告：{names[0]}"
    return f"已收录 {len(names)} 份报告：" + "、".join(names)


def render_user(question: str, limit: int) -> str:
    """A user message, shown as literal text (never as HTML or markdown)."""
    shown = question if len(question) <= limit else question[:limit] + f"…（共 {len(question)} 字）"
    return f'<div class="qa-user">{_text(shown)}</div>'


def render_pending(text: str) -> str:
    """The answer while it is being streamed."""
    return f'<div class="qa-answer">{_text(text) or "…"}</div>'


def render_error(message: str) -> str:
    """A message for a question that could not be asked."""
    return f'<div class="qa-error">{_text(message)}</div>'


def _span(cit: Citation) -> tuple[int, int]:
    """The quoted part of a citation, clamped to its text."""
    n = len(cit.text)
    s, e = sorted((max(0, min(n, cit.span[0])), max(0, min(n, cit.span[1]))))
    return s, e


def _quote_in(middle: str, cit: Citation) -> tuple[str, str, str]:
    """Split the passage as shown in context into (before, quote, after) around the quoted part.

    When the quote is the whole passage, or cannot be found in the context text (a table row is
    quoted as its rebuilt record), the whole passage is the highlight.
    """
    s, e = _span(cit)
    quote = cit.text[s:e].strip()
    if not quote or len(quote) >= len(cit.text.strip()):
        return "", middle, ""
    i = s if middle == cit.text and cit.text[s:].startswith(quote) else middle.find(quote)
    if i < 0:
        return "", middle, ""
    return middle[:i], quote, middle[i + len(quote) :]


def render_card(cit: Citation, ctx: tuple[str, str, str] | None) -> str:
    """One citation card: section path, passage with the quote marked, and the passage in context."""
    text = cit.text
    s, e = _span(cit)
    passage = (
        f"{emphasise(text[:s])}<mark>{emphasise(text[s:e])}</mark>{emphasise(text[e:])}"
        if e > s
        else emphasise(text)
    )
    parts = [
        f'<div class="qa-card" data-chunk="{html.escape(cit.chunk_id)}">',
        f'<div class="qa-sec"><span class="qa-num">[{int(cit.n)}]</span> '
        + (f'<span class="qa-report">{_text(cit.report_name)}</span> · ' if cit.report_name else "")
        + f"{_text(cit.section or '报告正文')}</div>",
        f'<div class="qa-passage">{passage}</div>',
    ]
    if ctx is not None:
        before, middle, after = (collapse_cells(t) for t in ctx)
        before = ("…" if len(before) > CONTEXT_CHARS else "") + before[-CONTEXT_CHARS:]
        after = after[:CONTEXT_CHARS] + ("…" if len(after) > CONTEXT_CHARS else "")
        pre, quote, post = _quote_in(middle, cit)
        parts.append(
            '<details class="qa-ctx"><summary>在原文中查看</summary><div class="qa-ctxbody">'
            f'<span class="qa-dim">{_text(before)}</span>'
            f'<span class="qa-ctxpassage">{emphasise(pre)}<mark class="qa-hit">{emphasise(quote)}</mark>'
            f"{emphasise(post)}</span>"
            f'<span class="qa-dim">{_text(after)}</span></div></details>'
        )
    parts.append("</div>")
    return "".join(parts)


def render_answer(answer: Answer, contexts: dict[str, tuple[str, str, str]]) -> str:
    """A finished answer: understood question, mode badge, notice, text with [n], cards or suggestions."""
    parts = ['<div class="qa-answer">']
    standalone = (answer.standalone_question or "").strip()
    if standalone and standalone != (answer.question or "").strip():
        parts.append(f'<div class="qa-standalone">理解为：{_text(standalone)}</div>')
    # a refusal quotes nothing: no badge saying where its words come from (the row marks a finished answer)
    badge = "" if answer.refused else f'<span class="qa-badge">{_text(mode_label(answer.mode))}</span>'
    parts.append(f'<div class="qa-meta">{badge}</div>')
    if answer.notice:
        parts.append(f'<div class="qa-notice">{_text(answer.notice)}</div>')
    body = REF.sub(r'<sup class="qa-ref">[\1]</sup>', _text(answer.text))
    parts.append(f'<div class="{"qa-refusal" if answer.refused else "qa-text"}">{body}</div>')
    if answer.refused and answer.suggestions:
        # Buttons whose text is the question they ask (a click handler in HEAD_JS sends it).
        questions: dict[str, str] = {}
        for sec in answer.suggestions:
            questions.setdefault(section_question(sec), sec)
        items = "".join(
            f'<li><button type="button" class="qa-ask" title="{html.escape(sec)}">{_text(q)}</button></li>'
            for q, sec in questions.items()
        )
        parts.append(
            f'<div class="qa-suggest"><div class="qa-suggest-title">报告中相关的章节（点击即可提问）：</div><ul>{items}</ul></div>'
        )
    if answer.citations:
        cards = "".join(render_card(c, contexts.get(c.chunk_id)) for c in answer.citations)
        parts.append(f'<div class="qa-cards">{cards}</div>')
    parts.append("</div>")
    return "".join(parts)


def _contexts(assistant: Any, answer: Answer) -> dict[str, tuple[str, str, str]]:
    """Look up the surrounding report text of each cited passage (skipping any that fail)."""
    out: dict[str, tuple[str, str, str]] = {}
    for cit in answer.citations:
        try:
            out[cit.chunk_id] = tuple(assistant.context(cit.chunk_id))  # type: ignore[assignment]
        except Exception:  # noqa: BLE001 - the card is still useful without its context
            log.warning("no context for chunk %s", cit.chunk_id, exc_info=True)
    return out
