"""Checks on the hand-written evaluation set evals/questions.jsonl."""

import json
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "evals" / "questions.jsonl"
REPORT = ROOT / "corpus" / "yongchuan-2023-execution-2024-plan.txt"

FIELDS = {"id", "question", "answers", "evidence", "category", "history", "split"}
CATEGORIES = {
    "target",
    "result",
    "table",
    "project",
    "policy",
    "system",
    "list",
    "comparison",
    "paraphrase",
    "followup",
    "english",
    "unanswerable",
}
SPLITS = {"dev", "heldout"}


def _load() -> list[dict]:
    rows = []
    for n, line in enumerate(QUESTIONS.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:  # pragma: no cover - reported by the assertion
            pytest.fail(f"line {n} is not valid JSON: {e}")
    return rows


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return _load()


@pytest.fixture(scope="module")
def report_lines() -> list[str]:
    if not REPORT.exists():
        pytest.skip(f"report not present at {REPORT}")
    return REPORT.read_text(encoding="utf-8").splitlines()


def _is_str_list(x) -> bool:
    return isinstance(x, list) and all(isinstance(s, str) and s for s in x)


def test_fields_and_types(rows):
    for r in rows:
        assert set(r) == FIELDS, r.get("id")
        assert isinstance(r["id"], str) and r["id"], r
        assert isinstance(r["question"], str) and r["question"].strip(), r["id"]
        assert _is_str_list(r["answers"]), r["id"]
        assert _is_str_list(r["evidence"]), r["id"]
        assert isinstance(r["category"], str), r["id"]
        assert isinstance(r["split"], str), r["id"]
        assert isinstance(r["history"], list), r["id"]
        for turn in r["history"]:
            assert isinstance(turn, list) and len(turn) == 2, r["id"]
            assert all(isinstance(s, str) and s for s in turn), r["id"]


def test_ids_unique(rows):
    ids = [r["id"] for r in rows]
    dup = [i for i, c in Counter(ids).items() if c > 1]
    assert not dup, dup


def test_enough_questions(rows):
    assert len(rows) >= 150


def test_categories_and_splits(rows):
    for r in rows:
        assert r["category"] in CATEGORIES, (r["id"], r["category"])
        assert r["split"] in SPLITS, (r["id"], r["split"])


def test_heldout_share(rows):
    share = sum(r["split"] == "heldout" for r in rows) / len(rows)
    assert 0.15 <= share <= 0.25, share


def test_unanswerable_iff_empty(rows):
    for r in rows:
        if r["category"] == "unanswerable":
            assert r["answers"] == [] and r["evidence"] == [], r["id"]
        else:
            assert r["answers"] and r["evidence"], r["id"]


def test_followup_iff_history(rows):
    for r in rows:
        assert (r["category"] == "followup") == bool(r["history"]), r["id"]


def test_evidence_verbatim(rows, report_lines):
    text = "\n".join(report_lines)
    for r in rows:
        for quote in r["evidence"]:
            assert quote in text, (r["id"], quote)


def test_evidence_within_one_line(rows, report_lines):
    for r in rows:
        for quote in r["evidence"]:
            assert "\n" not in quote, (r["id"], quote)
            assert any(quote in line for line in report_lines), (r["id"], quote)


REPORT_SETS = ("provinces.jsonl", "provinces2.jsonl", "multi.jsonl", "fresh13.jsonl")


def _report_text(name: str) -> str:
    for folder in (ROOT / "evals" / "reports", ROOT / "corpus"):
        if (folder / name).exists():
            return (folder / name).read_text(encoding="utf-8")
    raise AssertionError(f"no report file {name}")


@pytest.mark.parametrize("name", REPORT_SETS)
def test_every_quote_of_the_report_sets_is_in_its_reports(name: str) -> None:
    rows = [
        json.loads(line) for line in (ROOT / "evals" / name).read_text(encoding="utf-8").splitlines() if line
    ]
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        assert r["split"] in SPLITS and r["category"], r["id"]
        texts = [_report_text(f) for f in r["reports"]] or [_report_text(REPORT.name)]
        for quote in [*r["evidence"], *r["answers"]]:
            assert any(quote in t for t in texts), (r["id"], quote)
        if name.startswith(("provinces", "fresh13")):
            assert r["category"] in CATEGORIES, r["id"]
            assert bool(r["answers"]) == (r["category"] != "unanswerable"), r["id"]
