"""A small deterministic stand-in for the real assistant, for fast web/API tests."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from assistant.types import Answer, Citation, QuestionError

GDP_2023 = (
    "全年地区生产总值增长8.1%；规上工业增加值增长11.2%；固定资产投资增长11%；"
    "社会消费品零售总额增长9.3%；一般公共预算收入增长19%，其中税收收入增长9%。"
)
GDP_2024 = (
    "2024年全区经济社会发展的主要目标是：地区生产总值增长7.5%左右，规上工业增加值增长9.5%，"
    "固定资产投资增长7%，其中工业投资增长9%。"
)
GDP_TABLE_ROW = (
    "表1 2023年主要指标完成情况表｜主要指标：地区生产总值（亿元）｜预期目标：7%以上｜"
    "完成情况-总量：1281.4｜完成情况-增速（%）：8.1"
)
# A table row as the report file has it: one tab-indented cell per line, a blank line between rows.
TABLE_HEAD = "表1  2023年主要指标完成情况表\n\n\t序号\n\t主要指标\n\t预期目标\n\t完成情况\n\n\t\n\t\n\t\n\t总量\n\t增速（%）\n\n"
TABLE_ROW_RAW = "\t1\n\t地区生产总值（亿元）\n\t7%以上\n\t1281.4\n\t8.1"
TABLE_TAIL = "\n\n\t2\n\t规上工业增加值（亿元）\n\t9%以上\n\t—\n\t11.2\n\n"
# chunk_id -> (section, text, quoted part, context before, context after[, the passage as in the file])
PASSAGES: dict[str, tuple[str, ...]] = {
    "c-gdp-2023": (
        "一、2023年国民经济和社会发展计划执行情况",
        GDP_2023,
        "全年地区生产总值增长8.1%",
        "全年经济稳步回升，高质量发展的态势不断向好。",
        "表1  2023年主要指标完成情况表",
    ),
    "c-gdp-2024": (
        "二、2024年经济社会发展的主要目标",
        GDP_2024,
        "地区生产总值增长7.5%左右",
        "综合考虑各方面因素，",
        "社会消费品零售总额增长8%，进出口总值增长5%。",
    ),
    "c-gdp-table": (
        "一、2023年国民经济和社会发展计划执行情况 > 表1 2023年主要指标完成情况表",
        GDP_TABLE_ROW,
        GDP_TABLE_ROW,
        TABLE_HEAD,
        TABLE_TAIL,
        TABLE_ROW_RAW,
    ),
}
STARTERS: dict[str, list[str]] = {
    "完成情况": ["2023年地区生产总值增长多少？"],
    "目标": ["2024年地区生产总值增长目标是多少？"],
    "民生实事": ["2024年有哪些民生实事？"],
}
REFUSAL = "抱歉，报告中没有找到可以回答这个问题的内容。"


class FakeAssistant:
    """Answers GDP questions (growth 2023/2024, the 2023 total from table 1, follow-ups) with citations.

    Refuses everything else, suggesting one section.
    """

    def __init__(self, max_question_chars: int = 500, delay: float = 0.0, mode: str = "extractive") -> None:
        self.max_question_chars = max_question_chars
        self.delay = delay  # seconds between streamed deltas
        self.mode = mode
        self.calls: list[tuple[str, tuple[tuple[str, str], ...]]] = []

    def _check(self, question: str) -> str:
        q = question.strip()
        if not q:
            raise QuestionError("请输入问题。")
        if len(q) > self.max_question_chars:
            raise QuestionError(f"问题太长了（{len(q)} 字），请控制在 {self.max_question_chars} 字以内。")
        return q

    def _standalone(self, q: str, history: Sequence[tuple[str, str]]) -> str:
        if history and q.startswith(("那", "那么")) and "2024" in q:
            return "2024年地区生产总值增长目标是多少？"
        return q

    def ask(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Answer:
        """Answer one question."""
        q = self._check(question)
        self.calls.append((q, tuple(tuple(h) for h in history)))  # type: ignore[misc]
        standalone = self._standalone(q, history)
        if "慢" in q:
            time.sleep(3)
        if "地区生产总值" in standalone and "总量" in standalone:
            section, text = PASSAGES["c-gdp-table"][:2]
            cit = Citation(1, "c-gdp-table", section, text, (0, len(text)))
            body = "2023年地区生产总值总量为1281.4亿元，增长8.1%[1]。"
            return Answer(body, (cit,), False, self.mode, q, standalone)
        if "地区生产总值" in standalone or "GDP" in standalone.upper():
            cid = "c-gdp-2024" if "2024" in standalone else "c-gdp-2023"
            section, text, quote = PASSAGES[cid][:3]
            start = text.index(quote)
            cit = Citation(1, cid, section, text, (start, start + len(quote)))
            figure = "7.5%左右" if cid == "c-gdp-2024" else "8.1%"
            body = f"{'2024年目标为' if cid == 'c-gdp-2024' else '2023年'}地区生产总值增长{figure}[1]。"
            notice = "语言模型暂不可用，已改用报告原文摘录。" if "备用" in q else ""
            return Answer(body, (cit,), False, self.mode, q, standalone, notice)
        return Answer(
            REFUSAL, (), True, self.mode, q, standalone, suggestions=("二、2024年经济社会发展的主要目标",)
        )

    def stream(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Iterator[str | Answer]:
        """Yield the answer text in small deltas, then the final Answer."""
        answer = self.ask(question, history)
        text = answer.text
        for i in range(0, len(text), 4):
            if self.delay:
                time.sleep(self.delay)
            yield text[i : i + 4]
        yield answer

    def starter_questions(self) -> dict[str, list[str]]:
        """Grouped starter questions."""
        return {k: list(v) for k, v in STARTERS.items()}

    def health(self) -> dict:
        """Status of the (fake) index."""
        return {
            "status": "ok",
            "chunks": len(PASSAGES),
            "embedder": "fake",
            "corpus_sha256": "0" * 64,
            "mode": self.mode,
        }

    def context(self, chunk_id: str) -> tuple[str, str, str]:
        """Text around a passage."""
        _, text, _, before, after, *raw = PASSAGES[chunk_id]
        return before, (raw[0] if raw else text), after
