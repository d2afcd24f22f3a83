"""The page around the chat: its CSS (desktop and kiosk), theme sizes, fonts and the page script."""

from __future__ import annotations

BUSY_TEXT = "当前咨询人数较多，请稍候再试。"

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
