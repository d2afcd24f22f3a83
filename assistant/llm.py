"""Language-model answering over retrieved passages, verified, with the extractive answer as fallback."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable
from pydantic import SecretStr

from assistant.prompts import load_prompt
from assistant.reports import Report
from assistant.settings import PROMPTS_DIR, Settings
from assistant.types import Answer, Citation, Passage
from assistant.verification import MARKER_RE, find_computed, markers, normalize, parse_numbers, sentences
from assistant.verification import verify_answer as _verify

logger = logging.getLogger(__name__)

REFUSAL = "报告未涉及该问题"
NOTICE_UNVERIFIED = "模型回答未通过引用核验，已改用报告原文摘录。"
NOTICE_UNAVAILABLE = "语言模型服务暂不可用，已改用报告原文摘录。"
NOTICE_TIMEOUT = "语言模型响应超时，已改用报告原文摘录。"
_KEY_PATTERNS = (re.compile(r"(?i)(bearer\s+)[^\s'\",}]+"), re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"))


def make_chat_model(settings: Settings) -> BaseChatModel:
    """An OpenAI-compatible chat model for the configured server; no retries, per-request timeout."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        api_key=SecretStr(str(settings.llm_api_key) or "not-needed"),
        timeout=settings.llm_timeout,
        max_retries=0,
        temperature=0,
    )


def report_inputs(report: Report | None) -> dict[str, str]:
    """The prompt's description of the report, from its metadata (never a fixed place or year)."""
    if report is None:
        return {"report": "一份政府报告", "years": "年份见资料"}
    title = f"《{report.title}》" if report.title else report.short_name
    issuer = f"{report.issuer}发布的" if report.issuer else ""
    parts = []
    if report.review_year:
        parts.append(f"回顾{report.review_year}年")
    if report.plan_year:
        parts.append(f"安排{report.plan_year}年")
    return {"report": f"{issuer}{title}，{report.genre}", "years": "，".join(parts) or "年份见资料"}


def format_passages(passages: Sequence[Passage]) -> str:
    """Number the passages for the prompt: "[1] 〔section path〕\\n<text>" separated by blank lines."""
    blocks = []
    for i, p in enumerate(passages, 1):
        head = f"[{i}] 〔{p.chunk.section}〕" if p.chunk.section_path else f"[{i}]"
        blocks.append(f"{head}\n{p.chunk.text}")
    return "\n\n".join(blocks)


def scrub(text: str, secrets: Sequence[str] = ()) -> str:
    """Remove API keys (given ones, bearer tokens, sk-... strings) from text meant for logs or users."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _KEY_PATTERNS[0].sub(r"\1***", text)
    return _KEY_PATTERNS[1].sub("sk-***", text)


def _tidy_markers(text: str) -> str:
    """Write markers as ASCII [n], one number each ("［1，2］" -> "[1][2]")."""
    return MARKER_RE.sub(lambda m: "".join(f"[{n}]" for n in re.findall(r"\d+", m.group(1))), normalize(text))


def _best_span(passage: str, claims: Sequence[str]) -> tuple[int, int]:
    """The passage sentence that best matches the claims citing it, or the whole passage."""
    claim_nums = {n.value for c in claims for n in parse_numbers(c)}
    claim_grams = {c[i : i + 2] for c in claims for i in range(len(c) - 1)}
    best, best_score = (0, len(passage)), 0.0
    for m in re.finditer(r"[^。！？；;\n]+[。！？；;]?", passage):
        piece = m.group(0)
        grams = {piece[i : i + 2] for i in range(len(piece) - 1)}
        hits = sum(1 for n in parse_numbers(piece) if n.value in claim_nums)
        score = 3 * hits + len(grams & claim_grams) / max(len(grams), 1)
        if score > best_score:
            best, best_score = (m.start(), m.end()), score
    return best if best_score >= 0.3 else (0, len(passage))


class LLMAnswerer:
    """Answers with a chat model through the `answer` prompt; falls back to the extractive answer."""

    def __init__(
        self,
        chat_model: BaseChatModel,
        timeout: float,
        model_name: str,
        *,
        secrets: Sequence[str] = (),
        prompts_dir: Path | str = PROMPTS_DIR,
    ) -> None:
        self.timeout = timeout
        self.model_name = model_name
        parser = StrOutputParser()
        self._answer_chain: Runnable[dict[str, str], str] = (
            load_prompt("answer", prompts_dir) | chat_model | parser
        )
        self._condense_chain: Runnable[dict[str, str], str] = (
            load_prompt("condense", prompts_dir) | chat_model | parser
        )
        key = getattr(chat_model, "openai_api_key", None)
        own = [key.get_secret_value()] if isinstance(key, SecretStr) else []
        self._secrets = [s for s in (*secrets, *own) if s and s != "not-needed"]

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMAnswerer:
        """Build the answerer for settings.llm_* (call only when settings.llm_enabled)."""
        return cls(
            make_chat_model(settings),
            settings.llm_timeout,
            settings.llm_model,
            secrets=[settings.llm_api_key],
        )

    # -- running the chains with an overall deadline -------------------------------------------

    def _chunks(
        self, chain: Runnable[dict[str, str], str], inputs: dict[str, str], stream: bool
    ) -> Iterator[str]:
        """Run `chain` in a worker thread; yield its output, raising TimeoutError at the deadline."""
        deadline = time.monotonic() + self.timeout
        out: queue.Queue[tuple[str, Any]] = queue.Queue()
        cancelled = threading.Event()

        def work() -> None:
            try:
                if stream:
                    with contextlib.closing(chain.stream(inputs)) as deltas:  # closing ends the HTTP stream
                        for delta in deltas:
                            if cancelled.is_set():
                                return
                            out.put(("delta", delta))
                else:
                    out.put(("delta", chain.invoke(inputs)))
                out.put(("done", None))
            except BaseException as exc:  # handed to the caller's thread
                out.put(("error", exc))

        threading.Thread(target=work, name="llm-call", daemon=True).start()
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no complete answer within {self.timeout:g}s")
                try:
                    kind, value = out.get(timeout=remaining)
                except queue.Empty:
                    continue
                if kind == "done":
                    return
                if kind == "error":
                    raise value
                if not isinstance(value, str):
                    raise TypeError(f"model output is {type(value).__name__}, not text")
                yield value
        finally:
            cancelled.set()

    # -- answering -----------------------------------------------------------------------------

    def _fallback(self, fallback: Callable[[], Answer], notice: str, reason: str) -> Answer:
        logger.warning(
            "model %s answer replaced by extractive answer: %s", self.model_name, scrub(reason, self._secrets)
        )
        answer = fallback()
        return dataclasses.replace(answer, notice=notice, mode="extractive")

    def _failure(self, fallback: Callable[[], Answer], exc: BaseException) -> Answer:
        notice = NOTICE_TIMEOUT if _is_timeout(exc) else NOTICE_UNAVAILABLE
        return self._fallback(fallback, notice, f"{type(exc).__name__}: {str(exc)[:300]}")

    def _finish(
        self, question: str, passages: Sequence[Passage], raw: str, fallback: Callable[[], Answer]
    ) -> Answer:
        """Turn the model's text into a verified Answer, or the fallback."""
        text = _tidy_markers(raw.strip())
        mode = f"llm:{self.model_name}"
        if text.lstrip("\"'“「 ").startswith(REFUSAL):
            return Answer(text=REFUSAL, refused=True, mode=mode, question=question, passages=tuple(passages))
        texts = {i: f"{p.chunk.section}\n{p.chunk.text}" for i, p in enumerate(passages, 1)}
        problems = _verify(text, texts, computed=find_computed(text)) if text else ["empty answer"]
        used = [n for n in dict.fromkeys(markers(text)) if n in texts]
        if not used and not problems:
            problems = ["no citations 无引用"]
        if problems:
            return self._fallback(fallback, NOTICE_UNVERIFIED, "; ".join(problems[:5]))
        claims = {n: [s for s in sentences(text) if n in markers(s)] for n in used}
        citations = []
        for n in sorted(used):
            chunk = passages[n - 1].chunk
            span = _best_span(chunk.text, claims[n])
            citations.append(Citation(n, chunk.id, chunk.section, chunk.text, span, chunk.start, chunk.end))
        return Answer(
            text=text, citations=tuple(citations), mode=mode, question=question, passages=tuple(passages)
        )

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        fallback: Callable[[], Answer],
        report: Report | None = None,
    ) -> Answer:
        """One model answer (non-streaming), verified; the fallback answer on any failure."""
        if not passages:
            return fallback()
        started = time.monotonic()
        inputs = {"passages": format_passages(passages), "question": question, **report_inputs(report)}
        try:
            raw = "".join(self._chunks(self._answer_chain, inputs, stream=False))
        except Exception as exc:
            return self._failure(fallback, exc)
        answer = self._finish(question, passages, raw, fallback)
        return dataclasses.replace(answer, timings={**answer.timings, "llm": time.monotonic() - started})

    def stream(
        self,
        question: str,
        passages: Sequence[Passage],
        fallback: Callable[[], Answer],
        report: Report | None = None,
    ) -> Iterator[str | Answer]:
        """Yield text deltas as they arrive, then one final Answer (verified, or the fallback)."""
        if not passages:
            yield fallback()
            return
        started = time.monotonic()
        inputs = {"passages": format_passages(passages), "question": question, **report_inputs(report)}
        parts: list[str] = []
        with contextlib.closing(self._chunks(self._answer_chain, inputs, stream=True)) as chunks:
            try:
                for delta in chunks:
                    if delta:
                        parts.append(delta)
                        yield delta
            except Exception as exc:
                yield self._failure(fallback, exc)
                return
        answer = self._finish(question, passages, "".join(parts), fallback)
        yield dataclasses.replace(answer, timings={**answer.timings, "llm": time.monotonic() - started})

    def condense(self, question: str, history: Sequence[tuple[str, str]]) -> str:
        """Rewrite a follow-up as a standalone question using the last turns; the question itself on failure."""
        if not history:
            return question
        lines = []
        for asked, answered in history[-3:]:
            short = MARKER_RE.sub("", answered)
            lines.append(f"用户：{asked}\n助手：{short[:300]}")
        inputs = {"history": "\n".join(lines), "question": question}
        try:
            raw = "".join(self._chunks(self._condense_chain, inputs, stream=False))
        except Exception as exc:
            logger.warning(
                "condense failed, using the question as asked: %s",
                scrub(f"{type(exc).__name__}: {exc}", self._secrets)[:300],
            )
            return question
        line = next((s.strip() for s in raw.splitlines() if s.strip()), "")
        line = re.sub(r"^(独立问题|改写后的问题|问题)[:：]\s*", "", line).strip("\"'“”‘’「」 ")
        if not line or len(line) > max(200, 4 * len(question)) or line.startswith(REFUSAL):
            return question
        return line


def _is_timeout(exc: BaseException) -> bool:
    """Our deadline, or the client's own (openai.APITimeoutError, httpx's timeouts): both mean the
    endpoint was too slow, not that it is down."""
    import httpx
    import openai

    return isinstance(exc, TimeoutError | openai.APITimeoutError | httpx.TimeoutException)
