"""The language-model mode: chains, verification, fallback, and a real HTTP server on loopback."""

from __future__ import annotations

import logging
import socket
import time

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.llm import (
    NOTICE_TIMEOUT,
    NOTICE_UNAVAILABLE,
    NOTICE_UNVERIFIED,
    REFUSAL,
    LLMAnswerer,
    format_passages,
    make_chat_model,
    scrub,
)
from assistant.settings import Secret, Settings
from assistant.types import Answer, Chunk, Citation, Passage
from tests.openai_stub import Behaviour, OpenAIStub, openai_stub_fixture  # noqa: F401 - fixture "openai_stub"

KEY = "test-KEY-7f3a9c1e55"
MODEL = "stub-model"
GDP_REVIEW = "全年地区生产总值增长6.8%；规上工业增加值增长9.6%；固定资产投资增长10.4%。"
TABLE_ROW = "地区生产总值（亿元）：预期目标6.5%以上；完成情况总量742.6，增速6.8。"
PASSAGES = (
    Passage(
        Chunk(
            "c-gdp",
            GDP_REVIEW,
            ("一、2028年国民经济和社会发展计划执行情况",),
            "review",
            "prose",
            100,
            140,
            30,
        ),
        0.9,
    ),
    Passage(
        Chunk("c-table", TABLE_ROW, ("表1  2028年主要指标完成情况表",), "review", "table_row", 300, 336, 25),
        0.8,
    ),
)
GOOD = "2028年全区地区生产总值742.6亿元[2]，比上年增长6.8%[1]。"


def extractive() -> Answer:
    """The fallback the pipeline would pass: an extractive answer from passage 1."""
    return Answer(
        text="全年地区生产总值增长6.8%[1]。",
        citations=(Citation(1, "c-gdp", PASSAGES[0].chunk.section, GDP_REVIEW, (0, 14), 100, 140),),
        mode="extractive",
    )


def fake(*responses: str) -> LLMAnswerer:
    return LLMAnswerer(FakeListChatModel(responses=list(responses)), timeout=5.0, model_name="fake")


def stub_answerer(base_url: str, timeout: float = 2.0) -> LLMAnswerer:
    settings = Settings(llm_base_url=base_url, llm_model=MODEL, llm_api_key=Secret(KEY), llm_timeout=timeout)
    return LLMAnswerer.from_settings(settings)


def assert_fell_back(answer: Answer, notice: str) -> None:
    assert answer.mode == "extractive"
    assert answer.notice == notice
    assert answer.text == extractive().text


# -- unit: no network ------------------------------------------------------------------------


@pytest.mark.unit
def test_format_passages() -> None:
    assert format_passages(PASSAGES) == (
        "[1] 〔一、2028年国民经济和社会发展计划执行情况〕\n"
        + GDP_REVIEW
        + "\n\n[2] 〔表1  2028年主要指标完成情况表〕\n"
        + TABLE_ROW
    )


@pytest.mark.unit
def test_make_chat_model_settings() -> None:
    model = make_chat_model(
        Settings(
            llm_base_url="http://127.0.0.1:9/v1", llm_model="m", llm_api_key=Secret(KEY), llm_timeout=3.5
        )
    )
    assert model.openai_api_base == "http://127.0.0.1:9/v1"
    assert model.model_name == "m"
    assert model.max_retries == 0
    assert model.request_timeout == 3.5
    assert model.openai_api_key.get_secret_value() == KEY
    assert KEY not in repr(model)


@pytest.mark.unit
def test_valid_answer_cites_only_used_passages() -> None:
    answer = fake("地区生产总值增长6.8%［1］。").answer("2028年GDP增长多少？", PASSAGES, extractive)
    assert answer.mode == "llm:fake"
    assert answer.notice == ""
    assert answer.text == "地区生产总值增长6.8%[1]。"  # full-width marker tidied
    assert [c.n for c in answer.citations] == [1]
    cite = answer.citations[0]
    assert (cite.chunk_id, cite.text, cite.start, cite.end) == ("c-gdp", GDP_REVIEW, 100, 140)
    assert cite.text[cite.span[0] : cite.span[1]] == "全年地区生产总值增长6.8%；"
    assert answer.passages == PASSAGES and answer.question == "2028年GDP增长多少？"


@pytest.mark.unit
def test_numbers_from_table_and_computed_difference_pass() -> None:
    text = GOOD + "增速比预期目标高0.3个百分点（6.8%-6.5%=0.3个百分点）[2]。"
    answer = fake(text).answer("q", PASSAGES, extractive)
    assert answer.mode == "llm:fake", answer.notice
    assert [c.n for c in answer.citations] == [1, 2]


@pytest.mark.unit
@pytest.mark.parametrize(
    "text",
    [
        "地区生产总值增长9.1%[1]。",  # number in no passage
        "地区生产总值增长6.8%[9]。",  # made-up citation
        "地区生产总值增长6.8%。",  # number without a marker
        "经济稳步回升。",  # no citation at all
        "",  # empty
        "增速比目标高0.4个百分点（6.8%-6.5%=0.4个百分点）[2]。",  # wrong arithmetic is not "computed"
    ],
)
def test_unverified_answers_fall_back(text: str) -> None:
    assert_fell_back(fake(text).answer("q", PASSAGES, extractive), NOTICE_UNVERIFIED)


@pytest.mark.unit
@pytest.mark.parametrize("text", [REFUSAL, REFUSAL + "。", "“报告未涉及该问题”"])
def test_refusal(text: str) -> None:
    answer = fake(text).answer("澜川的GDP在2031年是多少？", PASSAGES, extractive)
    assert answer.refused and answer.text == REFUSAL and answer.mode == "llm:fake"
    assert answer.citations == ()


@pytest.mark.unit
def test_stream_with_fake_model_yields_deltas_then_answer() -> None:
    out = list(fake(GOOD).stream("q", PASSAGES, extractive))
    *deltas, final = out
    assert len(deltas) > 3 and all(isinstance(d, str) for d in deltas)
    assert "".join(deltas) == GOOD
    assert isinstance(final, Answer) and final.mode == "llm:fake" and final.text == GOOD


@pytest.mark.unit
def test_no_passages_returns_fallback_untouched() -> None:
    assert fake("x").answer("q", (), extractive) == extractive()


@pytest.mark.unit
def test_condense() -> None:
    model = FakeListChatModel(responses=["独立问题：2029年地区生产总值增长目标是多少？\n"])
    answerer = LLMAnswerer(model, timeout=5.0, model_name="fake")
    history = [("2028年地区生产总值增长多少？", "增长6.8%[1]。")]
    assert answerer.condense("那2029年呢？", history) == "2029年地区生产总值增长目标是多少？"
    assert answerer.condense("那2029年呢？", []) == "那2029年呢？"  # no history: no call


class _Broken(FakeListChatModel):
    def _call(self, *args: object, **kwargs: object) -> str:
        raise RuntimeError(f"upstream rejected key {KEY}")


@pytest.mark.unit
def test_failures_keep_question_and_scrub_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    answerer = LLMAnswerer(_Broken(responses=["x"]), timeout=5.0, model_name="fake", secrets=[KEY])
    assert answerer.condense("那2029年呢？", [("问", "答")]) == "那2029年呢？"
    answer = answerer.answer("q", PASSAGES, extractive)
    assert_fell_back(answer, NOTICE_UNAVAILABLE)
    assert "rejected key ***" in caplog.text
    assert KEY not in caplog.text


@pytest.mark.unit
def test_scrub() -> None:
    text = f"Authorization: Bearer abc.def-123 key={KEY} other sk-proj-ABCDEF123456"
    clean = scrub(text, [KEY])
    assert "abc.def-123" not in clean and KEY not in clean and "ABCDEF123456" not in clean
    assert clean == "Authorization: Bearer *** key=*** other sk-***"


# -- integration: a real HTTP server on loopback -----------------------------------------------


@pytest.mark.integration
def test_good_answer_over_http(openai_stub: OpenAIStub) -> None:
    openai_stub.behaviour = Behaviour(content=GOOD)
    answer = stub_answerer(openai_stub.base_url).answer("2028年地区生产总值是多少？", PASSAGES, extractive)
    assert answer.mode == f"llm:{MODEL}" and answer.notice == ""
    assert answer.text == GOOD and [c.n for c in answer.citations] == [1, 2]
    (request,) = openai_stub.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body["model"] == MODEL and not request.body.get("stream")
    system, user = request.body["messages"]
    assert system["role"] == "system" and "报告未涉及该问题" in system["content"]
    assert user["role"] == "user"
    assert user["content"] == f"资料：\n\n{format_passages(PASSAGES)}\n\n问题：2028年地区生产总值是多少？"


@pytest.mark.integration
def test_stream_over_http(openai_stub: OpenAIStub) -> None:
    pieces = ["2028年全区地区生产总值", "742.6亿元[2]，", "比上年增长", "6.8%[1]。"]
    openai_stub.behaviour = Behaviour(content=pieces)
    out = list(stub_answerer(openai_stub.base_url).stream("q", PASSAGES, extractive))
    assert out[:-1] == pieces
    final = out[-1]
    assert isinstance(final, Answer) and final.mode == f"llm:{MODEL}" and final.text == GOOD
    assert openai_stub.requests[0].body["stream"] is True


@pytest.mark.integration
@pytest.mark.parametrize("streaming", [False, True])
@pytest.mark.parametrize(
    ("behaviour", "notice"),
    [
        (Behaviour(content="地区生产总值增长9.9%[1]。"), NOTICE_UNVERIFIED),
        (Behaviour(content="地区生产总值增长6.8%[9]。"), NOTICE_UNVERIFIED),
        (Behaviour(garbage=True), NOTICE_UNAVAILABLE),
        (Behaviour(status=500), NOTICE_UNAVAILABLE),
    ],
    ids=["unsupported-number", "made-up-citation", "garbage", "http-500"],
)
def test_bad_responses_fall_back(
    openai_stub: OpenAIStub, behaviour: Behaviour, notice: str, streaming: bool
) -> None:
    openai_stub.behaviour = behaviour
    answerer = stub_answerer(openai_stub.base_url)
    if streaming:
        final = list(answerer.stream("q", PASSAGES, extractive))[-1]
        assert isinstance(final, Answer)
    else:
        final = answerer.answer("q", PASSAGES, extractive)
    assert_fell_back(final, notice)


@pytest.mark.integration
@pytest.mark.parametrize("streaming", [False, True])
def test_hang_falls_back_within_the_timeout(openai_stub: OpenAIStub, streaming: bool) -> None:
    timeout = 0.5
    openai_stub.behaviour = Behaviour(content=GOOD, hang=8.0)
    answerer = stub_answerer(openai_stub.base_url, timeout=timeout)
    started = time.monotonic()
    if streaming:
        final = list(answerer.stream("q", PASSAGES, extractive))[-1]
    else:
        final = answerer.answer("q", PASSAGES, extractive)
    assert time.monotonic() - started < 10 * timeout
    assert isinstance(final, Answer)
    assert_fell_back(final, NOTICE_TIMEOUT)


@pytest.mark.integration
def test_trickling_server_hits_the_overall_deadline(openai_stub: OpenAIStub) -> None:
    timeout = 0.6
    openai_stub.behaviour = Behaviour(content=list(GOOD), delay=0.2)  # ~5 s in all, 0.2 s per chunk
    started = time.monotonic()
    out = list(stub_answerer(openai_stub.base_url, timeout=timeout).stream("q", PASSAGES, extractive))
    assert time.monotonic() - started < 10 * timeout
    assert all(isinstance(d, str) for d in out[:-1])
    assert_fell_back(out[-1], NOTICE_TIMEOUT)  # type: ignore[arg-type]


@pytest.mark.integration
def test_key_never_logged_or_shown(openai_stub: OpenAIStub, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    openai_stub.behaviour = Behaviour(status=401, echo_key=True)
    answerer = stub_answerer(openai_stub.base_url)
    answers = [
        answerer.answer("q", PASSAGES, extractive),
        list(answerer.stream("q", PASSAGES, extractive))[-1],
    ]
    assert answerer.condense("那2029年呢？", [("问", "答")]) == "那2029年呢？"
    assert openai_stub.requests[0].headers["authorization"] == f"Bearer {KEY}"  # the key was sent...
    assert "invalid api key ***" in caplog.text  # ...echoed back, and scrubbed
    assert KEY not in caplog.text
    for answer in answers:
        assert isinstance(answer, Answer)
        assert_fell_back(answer, NOTICE_UNAVAILABLE)
        assert KEY not in answer.notice and KEY not in repr(answer)


@pytest.mark.integration
def test_connection_refused_falls_back() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    answerer = stub_answerer(f"http://127.0.0.1:{port}/v1")
    assert_fell_back(answerer.answer("q", PASSAGES, extractive), NOTICE_UNAVAILABLE)
    final = list(answerer.stream("q", PASSAGES, extractive))[-1]
    assert isinstance(final, Answer)
    assert_fell_back(final, NOTICE_UNAVAILABLE)


@pytest.mark.integration
def test_condense_over_http(openai_stub: OpenAIStub) -> None:
    openai_stub.behaviour = Behaviour(content="2029年地区生产总值增长目标是多少？")
    answerer = stub_answerer(openai_stub.base_url)
    history = [("2028年地区生产总值增长多少？", "全年地区生产总值增长6.8%[1]。")]
    assert answerer.condense("那2029年呢？", history) == "2029年地区生产总值增长目标是多少？"
    user = openai_stub.requests[0].body["messages"][1]["content"]
    assert (
        user
        == "对话历史：\n用户：2028年地区生产总值增长多少？\n助手：全年地区生产总值增长6.8%。\n\n最新追问：那2029年呢？"
    )
