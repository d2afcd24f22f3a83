"""The page around the chat: its CSS (desktop and kiosk), theme sizes, fonts and the page script."""

from __future__ import annotations

import html
import json

BUSY_TEXT = "当前咨询人数较多，请稍候再试。"
PAGE_LANG = "zh-CN"
# Gradio picks the language of its own labels from the browser's; the page is Chinese whatever the
# browser is set to (a kiosk's often is English), so the language it sees is fixed before it loads.
LOCALE_JS = (
    "<script>(() => { const get = (v) => ({get: () => v, configurable: true});"
    f' Object.defineProperty(navigator, "language", get("{PAGE_LANG}"));'
    f' Object.defineProperty(navigator, "languages", get(["{PAGE_LANG}", "zh"])); }})();</script>'
)
# Gradio's labels that its translations leave in English (hard-coded aria-label / title texts).
GRADIO_LABELS = {
    "chatbot conversation": "对话记录",
    "Scroll down": "滚动到最新消息",
}
# Gradio's texts that have no translation in any language (shown as the key): the status it announces
# when an event ends.
GRADIO_TRANSLATIONS = {"common.complete": "已完成"}
# A chat row is announced as who speaks and the plain text said (Gradio's is "bot's message: <div…").
SPEAKERS = {"user": "您的问题：", "bot": "回答："}
PAGE_UP, PAGE_DOWN = "上一页", "下一页"
CHAT_PANE = "#qa-chat .bubble-wrap"  # what scrolls in the conversation (Gradio's Chatbot)
STARTERS_PANE = "#qa-starters-pane"

CSS = """
.qa-head h1 {font-size: 1.6em; margin: 0 0 .2em 0;} .qa-head p {margin: 0; color: var(--body-text-color-subdued);}
.qa-head .qa-reports {color: #1a4fa0; font-weight: 600;}
.qa-badge {display: inline-block; font-size: .8em; padding: 0 .5em; border-radius: .6em; background: #e8f0fe; color: #1a4fa0;}
.qa-answer {line-height: 1.7;} .qa-ref {color: #1a4fa0; font-size: .75em;}
.qa-standalone, .qa-meta {color: #6b7280; font-size: .85em; margin-bottom: .3em;}
.qa-meta {float: right; margin: 0 0 .2em .6em;}  /* beside the answer's first line, not a line of its own */
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
# Kiosk: the page is one screen and never scrolls. Header, then the starter questions or the
# conversation (whichever is shown fills the same space, so nothing moves when the first answer
# comes), then the input bar at the bottom. The starters and the conversation scroll inside, paged by
# the large ▲/▼ control beside them (Gradio's small "Scroll down" button is hidden).
KIOSK_CSS = """
.gradio-container {height: 100vh; height: 100dvh; min-height: 0 !important;}
.gradio-container > .main {flex: 1 1 auto; min-height: 0; padding: 12px 20px !important;}
.gradio-container > .main > .wrap, .gradio-container > .main > .wrap > .contain,
.gradio-container .contain > .column {flex: 1 1 auto; min-height: 0;}
.gradio-container .contain > .column {gap: 12px !important;}
#qa-head {flex: none !important;}
#qa-chat-col, #qa-starters {flex: 1 1 0 !important; min-height: 0; gap: 0 !important;}
#qa-chat-row, #qa-starters-row {flex: 1 1 0 !important; min-height: 0; flex-wrap: nowrap !important;
  align-items: stretch !important; gap: 12px !important;}
#qa-chat {flex: 1 1 0 !important; height: auto !important; min-height: 0 !important; overflow: hidden !important;}
#qa-chat > .wrapper {min-height: 0; height: 100%;}
#qa-chat .bubble-wrap {flex: 1 1 0; min-height: 0; height: auto !important; max-height: none !important;}
#qa-chat .bubble-wrap {padding-top: 4px !important;}
#qa-chat .message-row.bubble {margin: 6px 10px !important;} #qa-chat .message-row.bot-row {max-width: calc(100% - 20px) !important;}
#qa-chat .scroll-down-button-container, #qa-chat .icon-button-wrapper {display: none !important;}
#qa-starters-pane {flex: 1 1 0 !important; min-height: 0; overflow-y: auto; flex-wrap: nowrap !important;
  gap: 8px !important;}
#qa-starters-pane > * {flex: none !important;}
#qa-groups {align-content: start; align-items: start; display: grid !important; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px !important;}
#qa-groups > .qa-group {min-width: 0 !important; gap: 8px !important; padding: 10px !important;}
@media (orientation: portrait) {#qa-groups {grid-template-columns: repeat(2, minmax(0, 1fr));}}
#qa-inputbar {flex: none !important; position: static; box-shadow: none; padding: 0;}
#qa-inputbar > .row {gap: 16px !important;} #qa-input {padding: 3px 6px !important;}
.gradio-container button:not(.icon-button) {min-height: 64px !important; font-size: 24px !important; padding: 0 1em;}
#qa-starters button.qa-starter {min-height: 56px !important; font-size: clamp(20px, 1.8vw, 24px) !important; padding: 8px 12px !important;
  line-height: 1.35;}
@media (orientation: portrait) {#qa-starters button.qa-starter {font-size: 24px !important; min-height: 72px !important;}}
.qa-head {display: flex; flex-wrap: wrap; align-items: baseline; column-gap: 24px;}
.qa-head h1 {font-size: 32px !important; margin: 0 !important;}
.qa-head .qa-reports {font-size: 22px !important; color: #1a4fa0; font-weight: 600;}
.qa-head .qa-about {font-size: 18px !important;}
.qa-group-title {font-size: 22px !important;} .qa-intro {font-size: 22px !important; margin: 0 !important;}
.qa-answer {line-height: 1.5;} .qa-card {padding: .4em .6em;} .qa-passage {font-size: .92em;}
.qa-ctx summary {min-height: 52px; padding: 0 1.1em; font-size: 22px;}
.qa-hint {font-size: 22px;}
#qa-chat-pager, #qa-starters-pager {flex: none !important; width: 96px; min-width: 0 !important; padding: 0 !important;}
#qa-chat-pager div:has(.qa-pager), #qa-starters-pager div:has(.qa-pager) {height: 100%; padding: 0 !important;}
#qa-starters-pager:not(:has(.qa-pager-needed)) {display: none !important;}
.qa-pager {height: 100%; display: flex; flex-direction: column; justify-content: space-between; gap: 12px;}
.qa-pager:not(.qa-pager-needed) {visibility: hidden;}
.gradio-container .qa-pager button {min-height: 112px !important; width: 100%; padding: 0 !important; display: flex;
  flex-direction: column; align-items: center; justify-content: center; gap: 4px; font-size: 22px !important;
  border: 2px solid #1a4fa0; border-radius: 14px; background: #fff; color: #1a4fa0; cursor: pointer;}
.qa-pager button span {font-size: 28px; line-height: 1;}
.qa-pager button:disabled {opacity: .35; border-color: #9fb3d6; cursor: default;}
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
# Page script (a %-format template, filled by head_script):
# - Chinese page language and Gradio's busy message in Chinese;
# - Gradio's English aria-labels/titles in Chinese, and each chat row labelled with who speaks and the
#   plain text said (no HTML, no citation marks);
# - a finished answer is scrolled into view from its start (the question above it when it fits),
#   also after the visitor scrolled up (the Chatbot's own bottom-autoscroll is off);
# - the ▲/▼ pagers (kiosk) page their pane, and show only when it has more than fits;
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

  const LABELS = %(labels)s, SPEAKERS = %(speakers)s;
  const said = (msg) => {
    const part = msg.querySelector(".qa-text, .qa-refusal, .qa-error, .qa-user") || msg.querySelector(".qa-answer") || msg;
    const copy = part.cloneNode(true);
    copy.querySelectorAll(".qa-ref").forEach((r) => r.remove());
    return copy.textContent.replace(/\\s+/g, " ").trim();
  };
  const relabel = () => {
    for (const el of document.querySelectorAll("[aria-label], [title]"))
      for (const a of ["aria-label", "title"]) {
        const v = el.getAttribute(a);
        if (v && Object.hasOwn(LABELS, v)) el.setAttribute(a, LABELS[v]);
      }
    for (const msg of document.querySelectorAll("#qa-chat [data-testid=user], #qa-chat [data-testid=bot]")) {
      const want = SPEAKERS[msg.dataset.testid] + said(msg);
      if (msg.getAttribute("aria-label") !== want) msg.setAttribute("aria-label", want);
    }
  };

  const pagers = () => [...document.querySelectorAll(".qa-pager")].map((p) => [p, document.querySelector(p.dataset.pane)]);
  const SLACK = 24;  // pixels of margin past an end that are no reason to page
  const syncPagers = () => {
    for (const [p, pane] of pagers()) {
      const [up, down] = p.querySelectorAll("button");
      const more = !!pane && pane.scrollHeight > pane.clientHeight + SLACK;
      p.classList.toggle("qa-pager-needed", more);
      up.disabled = !more || pane.scrollTop < SLACK;
      down.disabled = !more || pane.scrollTop + pane.clientHeight > pane.scrollHeight - SLACK;
    }
  };
  document.addEventListener("click", (e) => {
    const b = e.target.closest && e.target.closest(".qa-pager button");
    const pane = b && document.querySelector(b.closest(".qa-pager").dataset.pane);
    if (!pane) return;
    const line = parseFloat(getComputedStyle(pane).fontSize) * 2;  // the last lines stay in view
    pane.scrollTop += Number(b.dataset.step) * Math.max(line, pane.clientHeight - 2 * line);
    syncPagers();
  });
  let queued = false;
  const tidy = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; relabel(); syncPagers(); });
  };
  new MutationObserver(tidy).observe(document.documentElement,
    {subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["aria-label", "title"]});
  document.addEventListener("scroll", tidy, true);
  addEventListener("resize", tidy);
  // "在原文中查看" opens below the fold on a long answer: bring what it opened into view
  document.addEventListener("toggle", (e) => {
    const d = e.target;
    if (d.matches && d.matches("details.qa-ctx") && d.open)
      d.querySelector(".qa-ctxbody").scrollIntoView({block: "nearest"});
  }, true);

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


def pager_html(pane: str) -> str:
    """The ▲/▼ control beside a pane that scrolls (kiosk): large, labelled in Chinese; the page script
    pages the element `pane` (a CSS selector) and disables a button with nothing in its direction."""
    sel = html.escape(pane)
    return (
        f'<div class="qa-pager" data-pane="{sel}" role="group" aria-label="翻页">'
        f'<button type="button" data-step="-1"><span aria-hidden="true">▲</span>{PAGE_UP}</button>'
        f'<button type="button" data-step="1"><span aria-hidden="true">▼</span>{PAGE_DOWN}</button></div>'
    )


def head_script(idle_ms: int) -> str:
    """The page script with its texts filled in; idle_ms > 0 clears a kiosk after that much idleness."""

    def js(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)

    return HEAD_JS % {
        "busy": js(BUSY_TEXT),
        "labels": js(GRADIO_LABELS),
        "speakers": js(SPEAKERS),
        "idle_ms": idle_ms,
    }
