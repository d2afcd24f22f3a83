"""HTML for the chat: answers with citation cards, escaped text, figures emphasised; page CSS and JS."""

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
BUSY_TEXT = "当前咨询人数较多，请稍候再试。"
ERROR_TEXT = "抱歉，系统暂时出现问题，请稍后再试。"

CSS = """
.qa-head h1 {font-size: 1.6em; margin: 0 0 .2em 0;} .qa-head p {margin: 0; color: var(--body-text-color-subdued);}
.qa-badge {display: inline-block; font-size: .8em; padding: 0 .5em; border-radius: .6em; background: #e8f0fe; color: #1a4fa0;}
.qa-answer {line-height: 1.7;} .qa-ref {color: #1a4fa0; font-size: .75em;}
.qa-standalone, .qa-meta {color: #6b7280; font-size: .85em; margin-bottom: .3em;}
.qa-notice {background: #fff7e0; border-left: 3px solid #e0a800; padding: .3em .6em; margin: .4em 0; font-size: .9em;}
.qa-refusal {color: #7a4b00;} .qa-error {color: #a11;}
.qa-card {border: 1px solid #d8dee9; border-radius: 8px; padding: .5em .7em; margin-top: .6em; background: #fafbfc;}
.qa-sec {font-size: .85em; color: #445; margin-bottom: .3em;} .qa-report {font-weight: 600; color: #1a4fa0;} .qa-num {font-weight: 700; color: #1a4fa0;}
.qa-passage mark {background: #ffe58a; padding: 0 .1em;} .qa-passage strong, .qa-ctxbody strong {color: #b00020;}
.qa-ctx {margin-top: .4em;}
.qa-ctx summary {display: inline-flex; align-items: center; gap: .35em; min-height: 34px; padding: 0 .9em;
  border: 1px solid #c7d4ea; border-radius: 999px; background: #fff; color: #1a4fa0; font-size: .85em;
  cursor: pointer; list-style: none; user-select: none;}
.qa-ctx summary::-webkit-details-marker {display: none;}
.qa-ctx summary::before {content: "▸";} .qa-ctx[open] summary::before {content: "▾";}
.qa-ctxbody {margin-top: .4em; padding: .4em .6em; border-left: 3px solid #d8dee9; background: #fff;}
.qa-dim {color: #8a9099;} mark.qa-hit {background: #ffe58a; padding: 0 .1em; color: inherit;}
.qa-suggest {margin-top: .5em;} .qa-suggest-title {color: #445; font-size: .9em;}
.qa-suggest ul {list-style: none !important; padding: 0 !important; margin: .3em 0 0 0 !important;
  display: flex; flex-wrap: wrap; gap: .4em;}
.qa-suggest li {margin: 0 !important; padding: 0 !important;} .qa-suggest li::before {content: none !important;}
button.qa-ask {min-height: 36px; padding: .2em .9em; border: 1px solid #c7d4ea; border-radius: 999px;
  background: #fff; color: #1a4fa0; cursor: pointer; text-align: left; line-height: 1.4;}
button.qa-ask:hover {background: #e8f0fe;}
.qa-hint {color: #a11; font-size: .95em; padding: .1em .2em;}
.qa-intro {font-size: 1.05em; margin: .6em 0 .2em 0;}
.qa-group {border: 1px solid #e3e8ef; border-radius: 10px; padding: .6em !important; background: #f8fafc;}
.qa-group-title {font-weight: 600; color: #1a4fa0;}
#qa-starters button.qa-starter {justify-content: flex-start; text-align: left; white-space: normal; height: auto; line-height: 1.4;}
.gradio-container {overflow: visible !important;}
#qa-inputbar {position: sticky; bottom: 0; z-index: 20; background: var(--body-background-fill);
  padding: .5em 0; box-shadow: 0 -8px 12px -10px rgba(0, 0, 0, .25);}
"""
KIOSK_CSS = """
.gradio-container button:not(.icon-button) {min-height: 64px !important; font-size: 24px !important; padding: 0 1em;}
#qa-chat .icon-button-wrapper {display: none !important;}
.qa-head h1 {font-size: 40px !important; margin: 0 !important;} .qa-head p {font-size: 22px !important;}
.qa-group-title, .qa-intro {font-size: 26px !important;}
.qa-ctx summary {min-height: 52px; padding: 0 1.1em; font-size: 22px;}
.qa-hint {font-size: 22px;}
footer {display: none !important;}
"""
KIOSK_TEXT = ("16px", "18px", "22px", "24px", "26px", "30px", "40px")  # theme text sizes xxs..xxl
FONTS = (
    "Noto Sans CJK SC",
    "PingFang SC",
    "Microsoft YaHei",
    "WenQuanYi Micro Hei",
    "system-ui",
    "sans-serif",
)
# Page script (a %-format template: busy text, kiosk idle milliseconds):
# - Chinese page language and Gradio's busy message in Chinese;
# - a finished answer is scrolled into view from its start (the question above it when it fits),
#   also after the visitor scrolled up (the Chatbot's own bottom-autoscroll is off);
# - a click on a suggestion button (.qa-ask) in the chat asks the question written on it;
# - kiosk: the conversation is cleared after IDLE_MS without any interaction.
HEAD_JS = """<script>
(() => {
  document.documentElement.lang = "zh-CN";
  const MAP = [["This application is currently busy", %(busy)s]];
  const fix = (root) => {
    const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = w.nextNode(); n; n = w.nextNode())
      for (const [en, zh] of MAP) if (n.nodeValue.includes(en)) n.nodeValue = zh;
  };
  new MutationObserver((ms) => { for (const m of ms) for (const n of m.addedNodes)
    if (n.textContent && MAP.some(([en]) => n.textContent.includes(en))) fix(n.nodeType === 3 ? n.parentNode : n);
  }).observe(document.documentElement, {subtree: true, childList: true});

  const scroller = (el) => {
    for (let e = el.parentElement; e; e = e.parentElement) {
      const oy = getComputedStyle(e).overflowY;
      if ((oy === "auto" || oy === "scroll") && e.scrollHeight > e.clientHeight) return e;
    }
    return null;
  };
  const reveal = (row) => {
    const prev = row.previousElementSibling;
    const sc = scroller(row);
    let top = row;
    if (prev && prev.classList.contains("user-row") && sc &&
        row.getBoundingClientRect().top - prev.getBoundingClientRect().top < sc.clientHeight / 3) top = prev;
    if (sc) sc.scrollTop += top.getBoundingClientRect().top - sc.getBoundingClientRect().top - 8;
    const bar = document.querySelector("#qa-inputbar");
    const bottom = innerHeight - (bar ? bar.getBoundingClientRect().height : 0);
    const y = top.getBoundingClientRect().top;
    if (y < 0 || y > bottom - 80) window.scrollBy(0, y - 16);
  };
  let shown = 0, done = 0;
  const follow = () => {
    const chat = document.querySelector("#qa-chat");
    const rows = chat ? chat.querySelectorAll(".message-row.bot-row") : [];
    const n = rows.length;
    if (n < shown) shown = n;
    if (n < done) done = n;
    if (!n) return;
    const last = rows[n - 1];
    if (n > shown) { shown = n; reveal(last); }  // a new question: show it and the start of the reply
    if (n > done && last.querySelector(".qa-meta, .qa-error")) { done = n; reveal(last); }
  };
  // on every change (not a timer): the answer is in view as soon as it is on the page
  new MutationObserver(follow).observe(document.body, {subtree: true, childList: true, characterData: true});

  document.addEventListener("click", (e) => {
    const b = e.target.closest && e.target.closest("#qa-chat button.qa-ask");
    const box = document.querySelector("#qa-input textarea");
    const send = document.querySelector("button#qa-send, #qa-send button");
    if (!b || !box || !send) return;
    e.preventDefault();
    box.value = b.textContent.trim();
    box.dispatchEvent(new Event("input", {bubbles: true}));
    setTimeout(() => send.click(), 0);
  });

  const IDLE_MS = %(idle_ms)d;
  if (!IDLE_MS) return;
  let last = Date.now(), dirty = false, watched = null;
  const isReset = (t) => t && t.closest && t.closest("#qa-reset");
  for (const ev of ["pointerdown", "keydown", "touchstart", "wheel", "input"])
    document.addEventListener(ev, (e) => { last = Date.now(); if (!isReset(e.target)) dirty = true; }, true);
  setInterval(() => {
    const chat = document.querySelector("#qa-chat");
    if (chat && chat !== watched) {
      watched = chat;
      new MutationObserver(() => { last = Date.now(); }).observe(chat, {subtree: true, childList: true, characterData: true});
    }
    if (dirty && Date.now() - last > IDLE_MS) {
      const b = document.querySelector("button#qa-reset, #qa-reset button");
      if (b) { dirty = false; b.click(); }
    }
  }, 250);
})();
</script>"""


def mode_label(mode: str) -> str:
    """Badge text for an answer mode: 摘录模式 or the model name."""
    if not mode or mode.startswith("extractive"):
        return "摘录模式"
    return mode.removeprefix("llm:")


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
    parts.append(f'<div class="qa-meta"><span class="qa-badge">{_text(mode_label(answer.mode))}</span></div>')
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
