"""Tests for assistant.evaluation: eval-file loading, the runner's out file and report, the CLI entry."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant import evaluation
from assistant.evaluation import EvalFileError, EvalItem, format_report, load_eval_file, main, run_eval
from assistant.metrics import contains
from assistant.settings import DEFAULT_CORPUS
from assistant.types import Answer, Chunk, Citation, Passage

pytestmark = pytest.mark.unit

SAMPLE = Path(__file__).resolve().parents[1] / "evals" / "sample3.jsonl"
Q_TABLE = "2023年永川区地区生产总值总量是多少亿元？"
Q_FOLLOW = "比上年增长了多少？"
Q_NONE = "2023年末永川区常住人口是多少万人？"

OUT_KEYS = {
    "id": str, "question": str, "answer": str, "refused": bool, "citations": list, "retrieved": list,
    "latency_ms": float, "standalone_question": str, "mode": str, "category": str, "split": str,
    "retrieval_ms": float, "expected_reports": list, "reports": list, "route": str,
}  # fmt: skip


def _chunk(cid: str, text: str) -> Chunk:
    return Chunk(cid, text, ("一、2023年执行情况", "表1"), "review", "table_row", 0, len(text), 10)


TABLE_ROW = _chunk("c-table", "地区生产总值（亿元）：预期目标 7%以上；总量 1281.4；增速 8.1")
SUMMARY = _chunk("c-summary", "全年地区生产总值增长8.1%；规上工业增加值增长11.2%")
OTHER = _chunk("c-other", "新增公办学位1550个，普惠率提高6.5个百分点")


def _answer(text: str, passages: list[Chunk], cited: list[Chunk], refused: bool, ms: float) -> Answer:
    cits = tuple(Citation(i, c.id, c.section, c.text, (0, 2)) for i, c in enumerate(cited, start=1))
    pas = tuple(Passage(c, 1.0 / i) for i, c in enumerate(passages, start=1))
    timings = {"retrieval_ms": ms / 10, "total_ms": ms}
    return Answer(text, cits, refused, question="q", standalone_question="sq", passages=pas, timings=timings)


class FakeAssistant:
    """Canned answers: table question right (hit at rank 2), follow-up wrong (rank 1), refusal right."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[tuple[str, str]]]] = []

    def ask(self, question: str, history: list[tuple[str, str]]) -> Answer:
        self.calls.append((question, history))
        if question == Q_TABLE:
            return _answer("地区生产总值为1281.4亿元[1]。", [OTHER, TABLE_ROW], [TABLE_ROW], False, 100.0)
        if question == Q_FOLLOW:
            return _answer("比上年增长7.5%[1]。", [SUMMARY, OTHER], [SUMMARY], False, 200.0)
        return _answer("报告中没有找到相关信息。", [OTHER], [], True, 300.0)


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", text)


def _in_some(num: str, passages: list[str]) -> bool:
    return any(num in p for p in passages)


def test_sample3_loads_and_its_evidence_is_verbatim_in_the_report() -> None:
    items = load_eval_file(SAMPLE)
    assert [it.category for it in items] == ["table", "follow_up", "unanswerable"]
    assert items[1].history and items[1].history[0][0] == Q_TABLE
    assert not items[2].answerable and items[2].evidence == () and items[2].split == "heldout"
    report = DEFAULT_CORPUS.read_text(encoding="utf-8")
    for it in items:
        assert all(contains(report, quote) for quote in it.evidence)


def test_run_eval_out_file_has_one_line_per_question_with_documented_keys(tmp_path: Path) -> None:
    fake = FakeAssistant()
    out = tmp_path / "sub" / "results.jsonl"
    run_eval(fake, load_eval_file(SAMPLE), out, extract_numbers=_numbers, number_supported=_in_some)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    records = [json.loads(line) for line in lines]
    for rec in records:
        assert set(rec) == set(OUT_KEYS)
        for key, typ in OUT_KEYS.items():
            assert type(rec[key]) is typ, key
        for cit in rec["citations"]:
            assert set(cit) == {"n", "chunk_id", "section", "text", "quote", "report", "report_name"}
            assert isinstance(cit["n"], int)
        for pas in rec["retrieved"]:
            assert set(pas) == {"chunk_id", "section", "text", "score", "report"} and isinstance(
                pas["score"], float
            )
    first = records[0]
    assert first["retrieved"][1] == {
        "chunk_id": "c-table", "section": "一、2023年执行情况 > 表1", "text": TABLE_ROW.text, "score": 0.5,
        "report": "",
    }  # fmt: skip
    assert [r["latency_ms"] for r in records] == [100.0, 200.0, 300.0]
    assert [r["split"] for r in records] == ["dev", "dev", "heldout"]
    assert fake.calls[1] == (Q_FOLLOW, [(Q_TABLE, "2023年永川区地区生产总值为1281.4亿元[1]。")])
    assert fake.calls[0][1] == []
    assert [p.name for p in out.parent.iterdir()] == ["results.jsonl"]  # no temp file left behind


def test_run_eval_report_numbers_by_hand(tmp_path: Path) -> None:
    items = load_eval_file(SAMPLE)
    rep = run_eval(
        FakeAssistant(), items, tmp_path / "r.jsonl", extract_numbers=_numbers, number_supported=_in_some
    )
    g = rep.overall
    assert (g.n, g.n_answerable) == (3, 2)
    # ranks: table question 2, follow-up 1
    assert (g.hit_at_1, g.hit_at_3, g.hit_at_5, g.mrr) == (0.5, 1.0, 1.0, 0.75)
    assert g.answer_accuracy == pytest.approx(2 / 3)  # table right, follow-up wrong (7.5%), refusal right
    assert g.citation_accuracy == 1.0
    assert (g.refusal_precision, g.refusal_recall, g.answerable_refused) == (1.0, 1.0, 0.0)
    assert g.numbers_cited == 0.5  # 1281.4 is cited; 7.5 is not
    assert (g.retrieval_p50_ms, g.total_p50_ms) == (20.0, 200.0)
    assert g.retrieval_p95_ms == pytest.approx(29.0) and g.total_p95_ms == pytest.approx(290.0)

    assert set(rep.by_split) == {"dev", "heldout"}
    dev, held = rep.by_split["dev"], rep.by_split["heldout"]
    assert (dev.n, dev.hit_at_1, dev.mrr, dev.answer_accuracy) == (2, 0.5, 0.75, 0.5)
    assert (dev.refusal_precision, dev.refusal_recall, dev.answerable_refused) == (None, None, 0.0)
    assert (held.n, held.n_answerable, held.hit_at_1, held.mrr) == (1, 0, None, None)
    assert (held.answer_accuracy, held.citation_accuracy, held.numbers_cited) == (1.0, None, None)
    assert (held.refusal_precision, held.refusal_recall, held.total_p95_ms) == (1.0, 1.0, 300.0)

    assert set(rep.by_category) == {"table", "follow_up", "unanswerable"}
    table, follow = rep.by_category["table"], rep.by_category["follow_up"]
    assert (table.hit_at_1, table.hit_at_3, table.mrr, table.answer_accuracy) == (0.0, 1.0, 0.5, 1.0)
    assert (follow.hit_at_1, follow.answer_accuracy, follow.numbers_cited) == (1.0, 0.0, 0.0)


def test_format_report_is_pipe_tables(tmp_path: Path) -> None:
    rep = run_eval(FakeAssistant(), load_eval_file(SAMPLE), tmp_path / "r.jsonl")
    text = format_report(rep)
    for label in (
        "| all |",
        "| split=dev |",
        "| split=heldout |",
        "| category=table |",
        "| category=unanswerable |",
    ):
        assert label in text
    assert "| 50.0% | 100.0% | 100.0% | 0.750 |" in text  # overall hit@1, hit@3, hit@5, MRR
    assert "n/a" in text
    table_lines = [line for line in text.splitlines() if line.startswith("|")]
    blocks: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("|"):
            if not blocks or not blocks[-1]:
                blocks.append([])
            blocks[-1].append(line)
        elif blocks and blocks[-1]:
            blocks.append([])
    for block in (b for b in blocks if b):
        assert len({row.count("|") for row in block}) == 1  # every row has the header's column count
    assert len(table_lines) == 2 * (2 + 3) + 2 * (2 + 3)


def test_run_eval_failure_keeps_previous_out_file(tmp_path: Path) -> None:
    class Broken(FakeAssistant):
        def ask(self, question: str, history: list[tuple[str, str]]) -> Answer:
            if question == Q_NONE:
                raise RuntimeError("model down")
            return super().ask(question, history)

    out = tmp_path / "r.jsonl"
    out.write_text("previous\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="s3-unanswerable-population"):
        run_eval(Broken(), load_eval_file(SAMPLE), out)
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["r.jsonl"]


def _good(**over: object) -> str:
    obj = {"id": "x", "question": "问?", "answers": ["1"], "evidence": ["1"], "category": "c", "history": []}
    obj.update(over)
    return json.dumps(obj, ensure_ascii=False)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "不是有效的 JSON"),
        ("[1, 2]", "应为一个 JSON 对象"),
        (_good(id="b", question=""), "'question'"),
        (_good(id="b", answers="8.1%"), "'answers'"),
        (_good(id="b", evidence=[]), "证据原文"),
        (_good(id="b", history=[["only question"]]), "'history'"),
        (_good(id="b", history=[{"role": "assistant", "content": "答"}]), "交替"),
        (_good(id="b", history=[{"role": "user"}]), "role"),
        (_good(id="b", split="test"), "'split'"),
        (_good(id="b", reports="a.txt"), "'reports'"),
        (_good(), "id 'x' 重复（首次出现在第 1 行）"),
    ],
)
def test_bad_eval_line_names_the_line(tmp_path: Path, bad: str, message: str) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(_good() + "\n\n" + bad + "\n", encoding="utf-8")  # blank line 2, bad line 3
    with pytest.raises(EvalFileError, match="第 3 行") as err:
        load_eval_file(path)
    assert message in str(err.value) and str(path) in str(err.value)


def test_load_defaults_split_and_history(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    obj = {"id": "u", "question": "问?", "answers": [], "evidence": [], "category": "unanswerable"}
    path.write_text(json.dumps(obj, ensure_ascii=False) + "\n", encoding="utf-8")
    assert load_eval_file(path) == [EvalItem("u", "问?", (), (), "unanswerable", (), "dev")]


def test_main_runs_with_split_and_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.jsonl"
    argv = ["--eval-file", str(SAMPLE), "--out", str(out), "--split", "dev", "--limit", "1"]
    assert main(argv, build=FakeAssistant) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1
    assert "| all | 1 | 1 |" in capsys.readouterr().out


def test_main_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n", encoding="utf-8")
    assert main(["--eval-file", str(bad), "--out", str(tmp_path / "r.jsonl")], build=FakeAssistant) == 2
    assert "第 1 行" in capsys.readouterr().err
    assert main(["--eval-file", str(SAMPLE)]) == 2
    assert not (tmp_path / "r.jsonl").exists()


def test_defaults_point_into_repo_evals() -> None:
    root = Path(__file__).resolve().parents[1]
    assert evaluation.DEFAULT_EVAL_FILE == root / "evals" / "questions.jsonl"
    assert evaluation.DEFAULT_OUT == root / "evals" / "results.jsonl"


def test_main_stores_the_run_and_writes_the_html_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.evalstore import EvalStore

    store, html = tmp_path / "runs.sqlite", tmp_path / "report.html"
    argv = ["--eval-file", str(SAMPLE), "--out", str(tmp_path / "r.jsonl"), "--store", str(store)]
    assert main([*argv, "--html", str(html), "--label", "基线"], build=FakeAssistant) == 0
    [info] = EvalStore(store).runs()
    assert (info.status, info.done, info.total, info.meta.label, info.meta.source) == (
        "done", 3, 3, "基线", "sample3.jsonl",
    )  # fmt: skip
    outcomes = [r.outcome for r in EvalStore(store).results(info.id)]
    assert outcomes == ["passed", "wrong_fact", "passed"]  # FakeAssistant's follow-up answer is 7.5%
    page = html.read_text(encoding="utf-8")
    assert "<svg" in page and "<script" not in page and "评测报告：基线" in page
    assert page.count('<section class="fail">') == 1 and "s3-followup-gdp-growth" in page
    assert "run #1 stored in" in capsys.readouterr().err


def test_main_compares_two_stored_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    class Refuses(FakeAssistant):
        def ask(self, question: str, history: list[tuple[str, str]]) -> Answer:
            return _answer("报告中没有找到相关信息。", [OTHER], [], True, 10.0)

    store = tmp_path / "runs.sqlite"
    argv = ["--eval-file", str(SAMPLE), "--out", str(tmp_path / "r.jsonl"), "--store", str(store)]
    assert main(argv, build=FakeAssistant) == 0
    assert main(argv, build=Refuses) == 0
    capsys.readouterr()
    html = tmp_path / "compare.html"
    assert main(["--compare", "1", "2", "--store", str(store), "--html", str(html)]) == 0
    out = capsys.readouterr().out
    assert "| 答案准确率 | 66.7% | 33.3% | -33.3 个百分点 |" in out
    assert "[变为失败] s3-table-gdp-total" in out and "[失败原因变化] s3-followup-gdp-growth" in out
    assert "s3-unanswerable-population" not in out  # refused both times
    assert html.read_text(encoding="utf-8").count("<tr><td>s3-") == 2
    assert main(["--compare", "1", "9", "--store", str(store)]) == 2
    assert "no run 9" in capsys.readouterr().err
    assert main(["--compare", "1", "2", "--no-store"]) == 2


def test_main_without_a_store_still_writes_html(tmp_path: Path) -> None:
    html = tmp_path / "sub" / "report.html"
    argv = ["--eval-file", str(SAMPLE), "--out", str(tmp_path / "r.jsonl"), "--no-store", "--html", str(html)]
    assert main(argv, build=FakeAssistant) == 0
    assert "评测报告：sample3.jsonl" in html.read_text(encoding="utf-8")
    assert not (tmp_path / "runs.sqlite").exists()
