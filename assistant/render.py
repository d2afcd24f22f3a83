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
.qa-sec {font-size: .85em; color: #445; margin-bottom: .3em;} .qa-num {font-weight: 700; color: #1a4fa0;}
.qa-passage mark {background: #ffe58a; padding: 0 .1em;} .qa-passage strong {color: #b00020;}
.qa-ctx summary {cursor: pointer; color: #1a4fa0; font-size: .85em; margin-top: .3em;}
.qa-dim {color: #9aa0a6;} .qa-hit {background: #fff3c4;}
.qa-intro {font-size: 1.05em; margin: .6em 0 .2em 0;}
.qa-group {border: 1px solid #e3e8ef; border-radius: 10px; padding: .6em !important; background: #f8fafc;}
.qa-group-title {font-weight: 600; color: #1a4fa0;}
#qa-starters button.qa-starter {justify-content: flex-start; text-align: left; white-space: normal; height: auto; line-height: 1.4;}
"""
KIOSK_CSS = """
.gradio-container button:not(.icon-button) {min-height: 64px !important; font-size: 24px !important; padding: 0 1em;}
#qa-chat .icon-button-wrapper {display: none !important;}
.qa-head h1 {font-size: 40px !important;} .qa-head p {font-size: 24px !important;}
.qa-group-title, .qa-intro {font-size: 26px !important;}
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
HEAD_JS = """<script>
(() => {
  const MAP = [["This application is currently busy", %(busy)s]];
  const fix = (root) => {
    const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = w.nextNode(); n; n = w.nextNode())
      for (const [en, zh] of MAP) if (n.nodeValue.includes(en)) n.nodeValue = zh;
  };
  new MutationObserver((ms) => { for (const m of ms) for (const n of m.addedNodes)
    if (n.textContent && MAP.some(([en]) => n.textContent.includes(en))) fix(n.nodeType === 3 ? n.parentNode : n);
  }).observe(document.documentElement, {subtree: true, childList: true});
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


def emphasise(raw: str) -> str:
    """Escape text and wrap the figures in it (8.1%, 1281.4亿元) in <strong>."""
    out, pos = [], 0
    for m in NUM.finditer(raw):
        out += [_text(raw[pos : m.start()]), "<strong>", _text(m.group()), "</strong>"]
        pos = m.end()
    out.append(_text(raw[pos:]))
    return "".join(out)


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


def render_card(cit: Citation, ctx: tuple[str, str, str] | None) -> str:
    """One citation card: section path, passage with the quote marked, and the passage in context."""
    text = cit.text
    s, e = sorted((max(0, min(len(text), cit.span[0])), max(0, min(len(text), cit.span[1]))))
    passage = (
        f"{emphasise(text[:s])}<mark>{emphasise(text[s:e])}</mark>{emphasise(text[e:])}"
        if e > s
        else emphasise(text)
    )
    parts = [
        f'<div class="qa-card" data-chunk="{html.escape(cit.chunk_id)}">',
        f'<div class="qa-sec"><span class="qa-num">[{int(cit.n)}]</span> {_text(cit.section or "报告正文")}</div>',
        f'<div class="qa-passage">{passage}</div>',
    ]
    if ctx is not None:
        before, middle, after = ctx
        before = ("…" if len(before) > CONTEXT_CHARS else "") + before[-CONTEXT_CHARS:]
        after = after[:CONTEXT_CHARS] + ("…" if len(after) > CONTEXT_CHARS else "")
        parts.append(
            '<details class="qa-ctx"><summary>在原文中查看</summary><div class="qa-ctxbody">'
            f'<span class="qa-dim">{_text(before)}</span><span class="qa-hit">{emphasise(middle)}</span>'
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
        items = "".join(f"<li>{_text(s)}</li>" for s in answer.suggestions)
        parts.append(f'<div class="qa-suggest">报告中相关的章节：<ul>{items}</ul></div>')
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
