"""The Gradio chat UI: streamed answers with citation cards, starter questions and a kiosk mode."""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Iterator
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from assistant.page import (  # noqa: E402
    CHAT_PANE,
    CSS,
    FONTS,
    GRADIO_TRANSLATIONS,
    KIOSK_CSS,
    KIOSK_TEXT,
    PAGE_LANG,
    STARTERS_PANE,
    head_script,
    pager_html,
)
from assistant.render import (  # noqa: E402
    ERROR_TEXT,
    MAX_TURNS,
    TITLE,
    _contexts,
    about_line,
    render_answer,
    render_error,
    render_pending,
    render_user,
    report_heading,
)
from assistant.settings import Settings  # noqa: E402
from assistant.types import Answer, QuestionError  # noqa: E402

log = logging.getLogger(__name__)

EMPTY_TEXT = "请输入一个问题。"
INPUT_LABEL = "输入您的问题"
ALL_REPORTS = "全部报告"
REPORT_LABEL = "查询范围"


def new_session() -> dict[str, list]:
    """Per-visitor state: the shown messages and the (question, answer) history. Kept in memory only."""
    return {"messages": [], "history": []}


def hint(message: str = "") -> Any:
    """The line under the question box: shown with a message (e.g. "请输入一个问题。"), else hidden."""
    text = f'<div class="qa-hint" role="alert">{html.escape(message)}</div>' if message else ""
    return gr.HTML(text, visible=bool(message))


def too_long(question: str, limit: int) -> str:
    """The message for a question over the length limit (the question stays in the box to shorten)."""
    return f"问题太长了（{len(question)} 字），请精简到 {limit} 字以内再提问。"


def make_respond(assistant: Any, settings: Settings):
    """Build the streaming chat handler bound to an assistant."""

    def respond(question: str, session: dict, report: str | None = None) -> Iterator[tuple]:
        """Stream one answer into the chat.

        Yields (textbox, chatbot, session, starters, chat column, hint). The textbox is cleared when
        the question is taken, and given back if the question cannot be asked (too long).
        """
        asked = question or ""
        question = asked.strip()
        if not question:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), hint(EMPTY_TEXT)
            return
        messages = [
            *session["messages"],
            {"role": "user", "content": render_user(question, settings.max_question_chars)},
        ]
        views = (gr.Column(visible=False), gr.Column(visible=True))  # starters off, chat on
        if len(question) > settings.max_question_chars:
            messages.append(
                {
                    "role": "assistant",
                    "content": render_error(too_long(question, settings.max_question_chars)),
                }
            )
            session = {"messages": messages, "history": list(session["history"])}
            yield gr.skip(), messages, session, *views, hint()
            return
        reply = {"role": "assistant", "content": render_pending("")}
        messages.append(reply)
        yield "", messages, session, *views, hint()
        box: Any = ""
        streamed = ""
        answer: Answer | None = None
        try:
            scope = None if not report or report == ALL_REPORTS else report
            for item in _stream(assistant, question, list(session["history"]), scope):
                if isinstance(item, Answer):
                    answer = item
                    break
                streamed += str(item)
                reply["content"] = render_pending(streamed)
                yield gr.skip(), messages, session, *views, gr.skip()
            if answer is None:
                raise RuntimeError("the assistant stream ended without an Answer")
            reply["content"] = render_answer(answer, _contexts(assistant, answer))
        except QuestionError as exc:
            reply["content"] = render_error(str(exc))
            box = asked  # give the question back so it can be corrected
        except Exception:  # noqa: BLE001 - the visitor gets a polite message, the log gets the trace
            log.exception("answering failed")
            reply["content"] = render_error(ERROR_TEXT)
        history = list(session["history"])
        if answer is not None and not answer.refused:
            history = [*history, (answer.question or question, answer.text)][-MAX_TURNS:]
        session = {"messages": messages, "history": history}
        yield box or gr.skip(), messages, session, *views, gr.skip()

    return respond


def _stream(assistant: Any, question: str, history: list, report: str | None) -> Iterator[Any]:
    """The assistant's stream, narrowed to one report when one is chosen."""
    if report is None:
        return assistant.stream(question, history)
    return assistant.stream(question, history, report=report)


def report_names(assistant: Any) -> list[str]:
    try:
        return [r.short_name for r in assistant.reports]
    except AttributeError:  # an assistant without report metadata (test fakes)
        return []


def example_question(groups: dict[str, list[str]]) -> str:
    """The input's placeholder example: the report's own first starter question."""
    for questions in groups.values():
        if questions:
            return questions[0]
    return ""


def starter_buttons(groups: dict[str, list[str]], kiosk: bool, keep_empty: bool) -> dict[str, list[Any]]:
    """The starter questions, a box of buttons per group (built inside the current Blocks); returns
    group -> its buttons (relabelled when another report is chosen; keep_empty keeps empty groups)."""
    per_group = 3 if kiosk else 4
    slots: dict[str, list[Any]] = {}
    gr.HTML('<div class="qa-intro">您可以这样问（点击即可提问）：</div>', padding=False)
    with gr.Row(equal_height=False, elem_id="qa-groups"):
        for group, questions in groups.items():
            if not questions and not keep_empty:
                continue
            with gr.Column(min_width=160 if kiosk else 200, elem_classes=["qa-group"]):
                gr.HTML(f'<div class="qa-group-title">{html.escape(str(group))}</div>', padding=False)
                for k in range(per_group):
                    q = questions[k] if k < len(questions) else ""
                    b = gr.Button(
                        q or " ", size="lg" if kiosk else "md", elem_classes=["qa-starter"], visible=bool(q)
                    )
                    slots.setdefault(group, []).append(b)
    return slots


def reset() -> tuple:
    """Clear the conversation (client view and server-side session state)."""
    return "", [], new_session(), gr.Column(visible=True), gr.Column(visible=False), hint()


def build_ui(assistant: Any, settings: Settings) -> gr.Blocks:
    """Build the chat UI (queued, ready to mount)."""
    kiosk = settings.kiosk
    try:
        mode = str(assistant.health().get("mode", ""))
    except Exception:  # noqa: BLE001
        mode = ""
    groups = assistant.starter_questions() or {}
    names = report_names(assistant)
    heading = report_heading(names)
    page_title = f"{TITLE} · {names[0]}" if len(names) == 1 else TITLE
    with gr.Blocks(title=page_title, analytics_enabled=False, fill_width=kiosk) as demo:
        session = gr.State(new_session(), time_to_live=3600)  # memory only, dropped when abandoned
        gr.HTML(
            f'<div class="qa-head"><h1>{html.escape(TITLE)}</h1>'
            + (f'<p class="qa-reports">{html.escape(heading)}</p>' if heading else "")
            + f'<p class="qa-about">{html.escape(about_line(mode))}</p></div>',
            elem_id="qa-head",
            padding=False,
        )
        selector = None
        if len(names) > 1 and not kiosk:
            selector = gr.Dropdown(
                [ALL_REPORTS, *names],
                value=ALL_REPORTS,
                label=REPORT_LABEL,
                elem_id="qa-report",
                interactive=True,
            )
        with gr.Column(visible=False, elem_id="qa-chat-col") as chat_col:
            with gr.Row(elem_id="qa-chat-row", equal_height=True):
                chat = gr.Chatbot(
                    elem_id="qa-chat",
                    show_label=False,
                    height="100%" if kiosk else 560,  # kiosk: the space between header and input bar
                    autoscroll=False,  # the page script scrolls each finished answer into view from its start
                    sanitize_html=True,
                    render_markdown=True,
                    latex_delimiters=[],
                    buttons=[],
                    feedback_options=None,
                    allow_file_downloads=False,
                    allow_tags=False,
                    layout="bubble",
                )
                if kiosk:
                    gr.HTML(pager_html(CHAT_PANE), elem_id="qa-chat-pager", padding=False)
        with gr.Column(visible=True, elem_id="qa-starters") as starters:
            with gr.Row(elem_id="qa-starters-row", equal_height=True):
                with gr.Column(elem_id=STARTERS_PANE.removeprefix("#")):
                    slots = starter_buttons(groups, kiosk, keep_empty=selector is not None)
                if kiosk:
                    gr.HTML(pager_html(STARTERS_PANE), elem_id="qa-starters-pager", padding=False)
        buttons = [b for group in slots.values() for b in group]
        with gr.Column(elem_id="qa-inputbar"):  # always on screen: sticky (desktop), the last row (kiosk)
            with gr.Row(equal_height=True):
                box = gr.Textbox(
                    label=INPUT_LABEL,  # the accessible name (visually hidden)
                    show_label=False,
                    placeholder="请输入您的问题"
                    if kiosk or not example_question(groups)
                    else f"请输入您想了解的问题，例如：{example_question(groups)}",
                    scale=6,
                    lines=1,
                    max_lines=4,
                    elem_id="qa-input",
                    autofocus=not kiosk,
                )
                send = gr.Button("提问", variant="primary", scale=1, min_width=100, elem_id="qa-send")
                clear = gr.Button(
                    "重新开始",
                    variant="stop" if kiosk else "secondary",
                    scale=1,
                    min_width=120,
                    elem_id="qa-reset",
                )
            note = gr.HTML("", elem_id="qa-hint", padding=False, visible=False)
        respond = make_respond(assistant, settings)
        outputs = [box, chat, session, starters, chat_col, note]
        common: dict[str, Any] = {
            "outputs": outputs,
            "concurrency_id": "ask",
            "show_progress": "minimal",
        }
        public = "private" if kiosk else "public"  # kiosk: no Gradio API at all (the JSON API remains)
        extra = [selector] if selector is not None else []
        events = [
            box.submit(respond, [box, session, *extra], api_name="ask", api_visibility=public, **common)
        ]
        events.append(send.click(respond, [box, session, *extra], api_visibility="private", **common))
        events += [
            b.click(respond, [b, session, *extra], api_visibility="private", **common) for b in buttons
        ]
        if selector is not None:

            def relabel(choice: str) -> list[Any]:
                """Starter questions of the chosen report (the first report's for 全部)."""
                chosen = assistant.starter_questions(None if choice == ALL_REPORTS else choice) or {}
                out = []
                for group, group_buttons in slots.items():
                    qs = chosen.get(group, [])
                    for k, _ in enumerate(group_buttons):
                        q = qs[k] if k < len(qs) else ""
                        out.append(gr.Button(q or " ", visible=bool(q)))
                return out

            selector.change(relabel, [selector], buttons, queue=False, api_visibility="private")
        clear.click(reset, None, outputs, queue=False, cancels=events, api_visibility="private")
        chat.clear(reset, None, outputs, queue=False, cancels=events, api_visibility="private")
    demo.queue(default_concurrency_limit=settings.concurrency_limit, max_size=settings.max_queue)
    return demo


def launch_options(settings: Settings) -> dict[str, Any]:
    """Page-level options for gr.mount_gradio_app: CSS, head script, no footer links, no run history."""
    idle_ms = int(settings.kiosk_idle_seconds * 1000) if settings.kiosk else 0
    head = head_script(idle_ms)
    kiosk_theme = {"text_size": gr.themes.Size(*KIOSK_TEXT), "spacing_size": "lg", "radius_size": "lg"}
    theme = gr.themes.Default(primary_hue="blue", font=FONTS, **(kiosk_theme if settings.kiosk else {}))
    return {
        "css": CSS + (KIOSK_CSS if settings.kiosk else ""),
        "head": head,
        "theme": theme,
        "footer_links": [],  # no "Use via API · Built with Gradio · Settings" (the JSON API is in the README)
        "run_history": False,
        "i18n": gr.I18n(**{PAGE_LANG: GRADIO_TRANSLATIONS}),
        "show_error": not settings.kiosk,
    }
