"""The eval workbench over real HTTP: runs, bad input, exports, comparison, kiosk, modes and reports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.api import create_app
from assistant.evalbench import available_reports, eval_modes
from assistant.evalfile import parse_eval_bytes
from assistant.metrics import classify, score_group
from assistant.settings import Settings
from tests.evalfixtures import ALWAYS_FAILS, HOSTILE, XSS, fake_pipeline, small_eval, wait_done
from tests.fake_assistant import FakeAssistant
from tests.webfixtures import live_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("evalpage") / "runs.sqlite"


@pytest.fixture(scope="module")
def client(store: Path) -> Iterator[httpx.Client]:
    settings = Settings(eval_store=str(store))
    with live_server(create_app(fake_pipeline(), settings)) as url:
        with httpx.Client(base_url=url, timeout=60) as c:
            yield c


def _upload(
    client: httpx.Client, rows: list[dict], name: str = "mine.jsonl", **params: object
) -> httpx.Response:
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    return client.post("/api/eval/runs", params={"name": name, **params}, content=body)


def _run(client: httpx.Client, rows: list[dict], **params: object) -> int:
    r = _upload(client, rows, **params)
    assert r.status_code == 201, r.text
    run_id = r.json()["id"]
    assert wait_done(client, run_id)["status"] == "done"
    return run_id


def _exported(client: httpx.Client, run_id: int) -> list[dict]:
    r = client.get(f"/api/eval/runs/{run_id}/export.jsonl")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    return [json.loads(line) for line in r.text.splitlines()]


def test_page_is_served_with_a_strict_policy(client: httpx.Client) -> None:
    r = client.get("/eval")
    assert r.status_code == 200 and "评测工作台" in r.text
    policy = r.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert client.get("/eval/static/eval.js").status_code == 200
    assert client.get("/eval/static/..%2Fevalpage.py").status_code == 404
    options = client.get("/api/eval/options").json()
    assert "questions.jsonl" in options["files"] and not any(
        f.startswith("results") for f in options["files"]
    )
    assert options["modes"] == [{"id": "extractive", "label": "摘录模式"}]
    assert options["max_mb"] == 2.0


def test_a_run_scores_every_item_and_the_views_agree(client: httpx.Client) -> None:
    rows = small_eval()
    run_id = _run(client, rows, label="基线")
    view = client.get(f"/api/eval/runs/{run_id}").json()
    assert view["run"]["label"] == "基线" and view["run"]["done"] == len(rows)
    assert [i["id"] for i in view["items"]] == [r["id"] for r in rows]
    # The summary is the metrics of the exported records, recomputed here.
    exported = _exported(client, run_id)
    expected = score_group([(e["answers"], e["evidence"], e["result"]) for e in exported])
    shown = {m["key"]: m["value"] for m in view["metrics"]}
    assert shown["answer_accuracy"] == pytest.approx(expected.answer_accuracy)
    assert shown["hit_at_5"] == pytest.approx(expected.hit_at_5)
    assert shown["total_p95_ms"] == pytest.approx(expected.total_p95_ms)
    # Each outcome is the classification of its record; the counts add up.
    for e, item in zip(exported, view["items"], strict=True):
        assert item["outcome"] == e["outcome"] == classify(e["answers"], e["evidence"], e["result"])
    counts = {o["outcome"]: o["count"] for o in view["outcomes"]}
    assert sum(counts.values()) == len(rows)
    assert counts["passed"] == sum(i["passed"] for i in view["items"])
    fixture = next(i for i in view["items"] if i["id"] == ALWAYS_FAILS["id"])
    assert not fixture["passed"] and fixture["outcome"] != "passed"
    # The follow-up's role/content history reached the assistant as a [question, answer] pair.
    follow = next(e for e in exported if e["history"])
    assert follow["history"] == [list(p) for p in follow["history"]] and len(follow["history"][0]) == 2
    # The categories table has one row per category; the chart is an SVG with one bar pair each.
    names = [r["name"] for r in view["categories"]["rows"]]
    assert sorted(names) == sorted({r["category"] for r in rows})
    svg = client.get(f"/api/eval/runs/{run_id}/chart.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.count('class="bar"') == 2 * len(names)


def test_detail_locates_the_evidence_in_the_passages(client: httpx.Client) -> None:
    run_id = _run(client, [ALWAYS_FAILS])
    d = client.get(f"/api/eval/runs/{run_id}/items/0").json()
    assert d["facts"] == [{"fact": ALWAYS_FAILS["answers"][0], "found": False}]
    holding = [p for p in d["retrieved"] if p["spans"]]
    assert holding, d["retrieved"]
    start, end = holding[0]["spans"][0]
    assert holding[0]["text"][start:end] == ALWAYS_FAILS["evidence"][0]
    assert d["outcome_label"] and d["outcome_hint"]
    assert client.get(f"/api/eval/runs/{run_id}/items/5").status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (
            b'{"id": "a", "question": "q", "answers": [], "evidence": [], "category": "c"}\n{oops\n',
            400,
            "第 2 行",
        ),
        (
            b'{"id": "a", "question": "q", "answers": ["1"], "evidence": [], "category": "c"}\n',
            400,
            "第 1 行",
        ),
        (b"x" * 2_000_001, 413, "2 MB"),
        (b"", 400, "请选择"),
    ],
)
def test_bad_input_is_reported_and_nothing_runs(
    client: httpx.Client, body: bytes, status: int, message: str
) -> None:
    before = len(client.get("/api/eval/runs").json())
    r = client.post("/api/eval/runs", params={"name": "bad.jsonl"}, content=body)
    assert r.status_code == status and message in r.json()["error"], r.text
    assert len(client.get("/api/eval/runs").json()) == before


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"source": "../README.md"}, "没有名为"),
        ({"source": "results.jsonl"}, "没有名为"),
        ({"source": "sample3.jsonl", "mode": "llm:gpt"}, "未知的模式"),
        ({"source": "sample3.jsonl", "reports": "other.txt"}, "未知的报告"),
        ({"source": "sample3.jsonl", "split": "heldout", "limit": 0}, "请求格式不正确"),
    ],
)
def test_bad_choices_are_refused(client: httpx.Client, params: dict, message: str) -> None:
    r = client.post("/api/eval/runs", params=params)
    assert r.status_code in (400, 422) and message in r.json()["error"], r.text


def test_a_bundled_file_runs_by_name_with_split_and_limit(client: httpx.Client) -> None:
    r = client.post("/api/eval/runs", params={"source": "sample3.jsonl", "split": "dev", "limit": 1})
    assert r.status_code == 201
    run_id = r.json()["id"]
    wait_done(client, run_id)
    view = client.get(f"/api/eval/runs/{run_id}").json()
    assert [i["split"] for i in view["items"]] == ["dev"] and view["run"]["source"] == "sample3.jsonl"
    assert view["run"]["options"]["split"] == "dev"


def test_exports_escape_what_was_uploaded(client: httpx.Client) -> None:
    formula = {**ALWAYS_FAILS, "id": "fixture-formula", "question": '=HYPERLINK("http://x")地区生产总值？'}
    run_id = _run(client, [HOSTILE, ALWAYS_FAILS, formula])
    page = client.get(f"/api/eval/runs/{run_id}/export.html")
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    assert XSS not in text and "<script>alert" not in text and "<b>粗体</b>" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text and "&lt;b&gt;粗体&lt;/b&gt;" in text
    assert "<script" not in text and "default-src 'none'" in text
    rows = list(
        csv.reader(io.StringIO(client.get(f"/api/eval/runs/{run_id}/export.csv").text.lstrip("\ufeff")))
    )
    assert rows[0][:5] == ["id", "question", "answers", "evidence", "category"]
    assert rows[3][1].startswith("'=HYPERLINK")  # a spreadsheet shows it, never runs it
    assert client.get(f"/api/eval/runs/{run_id}/export.exe").status_code == 404
    # The exported JSONL and CSV are eval files again.
    jsonl = client.get(f"/api/eval/runs/{run_id}/export.jsonl").content
    again = [i.question for i in parse_eval_bytes(jsonl, "again.jsonl")]
    assert again == [HOSTILE["question"], ALWAYS_FAILS["question"], formula["question"]]
    csv_items = parse_eval_bytes(client.get(f"/api/eval/runs/{run_id}/export.csv").content, "again.csv")
    assert [i.answers for i in csv_items] == [
        tuple(HOSTILE["answers"]),
        tuple(ALWAYS_FAILS["answers"]),
        tuple(ALWAYS_FAILS["answers"]),
    ]


def test_stop_and_delete(store: Path) -> None:
    class Slow(FakeAssistant):
        def ask(self, question, history=()):  # type: ignore[no-untyped-def]
            import time

            time.sleep(0.1)
            return super().ask(question, history)

    settings = Settings(eval_store=str(store))
    with live_server(create_app(Slow(), settings)) as url, httpx.Client(base_url=url, timeout=30) as c:
        r = _upload(c, [{**ALWAYS_FAILS, "id": f"a{i}"} for i in range(100)])
        run_id = r.json()["id"]
        assert c.delete(f"/api/eval/runs/{run_id}").status_code == 409  # still running
        assert c.post(f"/api/eval/runs/{run_id}/stop").json() == {"stopping": True}
        status = wait_done(c, run_id)
        assert status["status"] == "stopped" and status["done"] < 100
        assert c.delete(f"/api/eval/runs/{run_id}").json() == {"deleted": True}
        assert c.get(f"/api/eval/runs/{run_id}").status_code == 404


def test_compare_lists_the_items_whose_outcome_changed(client: httpx.Client, store: Path) -> None:
    rows = small_eval()
    a = _run(client, rows, label="A")
    strict = Settings(eval_store=str(store), refusal_threshold=0.99)
    with live_server(create_app(fake_pipeline(refusal_threshold=0.99), strict)) as url:
        with httpx.Client(base_url=url, timeout=60) as other:
            b = _run(other, rows, label="B")
            run_b = other.get(f"/api/eval/runs/{b}").json()["run"]
    assert run_b["settings"]["refusal_threshold"] == 0.99
    c = client.get("/api/eval/compare", params={"a": a, "b": b}).json()
    outcome_a = {e["id"]: e["outcome"] for e in _exported(client, a)}
    outcome_b = {e["id"]: e["outcome"] for e in _exported(client, b)}
    expected = sorted(i for i in outcome_a if outcome_a[i] != outcome_b[i])
    assert expected, "a threshold of 0.99 should change some outcome"
    assert sorted(x["id"] for x in c["changed"]) == expected
    for x in c["changed"]:
        assert (x["a"]["outcome"], x["b"]["outcome"]) == (outcome_a[x["id"]], outcome_b[x["id"]])
    refused = next(m for m in c["metrics"] if m["key"] == "answerable_refused")
    assert refused["direction"] in ("worse", "same") and c["common"] == len(rows)
    assert client.get("/api/eval/compare", params={"a": a, "b": 9999}).status_code == 404


def test_kiosk_serves_no_workbench(store: Path) -> None:
    settings = Settings(kiosk=True, eval_store=str(store))
    with live_server(create_app(FakeAssistant(), settings)) as url, httpx.Client(base_url=url) as c:
        assert "评测工作台" not in c.get("/eval").text
        assert c.get("/api/eval/runs").status_code == 404
        assert c.post("/api/eval/runs", params={"source": "sample3.jsonl"}).status_code in (404, 405)


class Multi(FakeAssistant):
    """A fake multi-report assistant: ask() narrows by report= and citations name their report."""

    def __init__(self) -> None:
        super().__init__()
        self.reports_asked: list[str | None] = []

    def ask(self, question, history=(), report=None):  # type: ignore[no-untyped-def]
        self.reports_asked.append(report)
        answer = super().ask(question, history)
        return answer

    def health(self) -> dict:
        return {**super().health(), "reports": [{"report": "a.txt"}, {"report": "b.txt"}]}


def test_reports_and_narrowing_reach_the_assistant(store: Path) -> None:
    multi = Multi()
    assert list(available_reports(multi)) == ["a.txt", "b.txt"]
    rows = [
        {**ALWAYS_FAILS, "id": "in-a", "reports": ["a.txt"]},
        {**ALWAYS_FAILS, "id": "in-b", "reports": ["b.txt"]},
        {**ALWAYS_FAILS, "id": "nowhere"},
    ]
    with (
        live_server(create_app(multi, Settings(eval_store=str(store)))) as url,
        httpx.Client(base_url=url) as c,
    ):
        assert c.get("/api/eval/options").json()["narrow"] is True
        only_b = _run(c, rows, reports="b.txt", narrow="true")
        assert [i["id"] for i in c.get(f"/api/eval/runs/{only_b}").json()["items"]] == ["in-b"]
        assert multi.reports_asked == ["b.txt"]
        multi.reports_asked.clear()
        _run(c, rows)  # all reports, no narrowing
        assert multi.reports_asked == [None, None, None]


def test_modes_offer_extractive_next_to_the_configured_model() -> None:
    class WithModel(FakeAssistant):
        def extractive_only(self) -> FakeAssistant:
            return FakeAssistant()

    modes = eval_modes(WithModel(mode="llm:qwen"))
    assert list(modes) == ["llm:qwen", "extractive"]
    assert modes["llm:qwen"][0] == "语言模型（qwen）" and modes["extractive"][1].mode == "extractive"
    assert list(eval_modes(FakeAssistant())) == ["extractive"]


def test_right_report_metric_in_a_run(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Citation records that name their report (the multi-report contract) are scored against the item's."""
    import assistant.evaluation

    plain = assistant.evaluation.answer_record

    def naming_report(answer, retrieved=True):  # type: ignore[no-untyped-def]
        record = plain(answer, retrieved)
        for c in record["citations"]:
            c["report"], c["report_name"] = "a.txt", "甲报告"
        return record

    monkeypatch.setattr(assistant.evaluation, "answer_record", naming_report)
    item = {
        "question": "2023年地区生产总值增长多少？",
        "answers": ["8.1%"],
        "evidence": ["增长8.1%"],
        "category": "c",
    }
    rows = [{**item, "id": "right", "reports": ["a.txt"]}, {**item, "id": "wrong", "reports": ["b.txt"]}]
    with live_server(create_app(FakeAssistant(), Settings(eval_store=str(store)))) as url:
        with httpx.Client(base_url=url) as c:
            run_id = _run(c, rows)
            view = c.get(f"/api/eval/runs/{run_id}").json()
            detail = c.get(f"/api/eval/runs/{run_id}/items/1").json()
    right = next(m for m in view["metrics"] if m["key"] == "right_report")
    assert right["value"] == 0.5 and right["text"] == "50.0%"
    assert [i["wrong_report"] for i in view["items"]] == [False, True]
    assert detail["citations"][0]["report_name"] == "甲报告"


def test_another_site_cannot_start_stop_or_delete_runs(client: httpx.Client) -> None:
    evil = {"origin": "http://evil.example"}
    r = client.post("/api/eval/runs", params={"source": "sample3.jsonl"}, headers=evil)
    assert r.status_code == 403 and "评测工作台" in r.json()["error"]
    assert client.post("/api/eval/runs/1/stop", headers=evil).status_code == 403
    assert client.delete("/api/eval/runs/1", headers=evil).status_code == 403
    own = {"origin": str(client.base_url).rstrip("/")}
    assert (
        client.post("/api/eval/runs", params={"source": "sample3.jsonl", "limit": 1}, headers=own).status_code
        == 201
    )
