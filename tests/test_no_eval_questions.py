"""Guard: no test is written around an eval question. Tests specify behaviour on synthetic passages and
reports (tests/data); the eval sets measure, and a test holding one of their questions word for word
special-cases it (issue #12)."""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
# the eval sets that measure the assistant (sample3.jsonl is the runner's own three-line fixture)
EVAL_SETS = (
    "questions.jsonl",
    "provinces.jsonl",
    "provinces2.jsonl",
    "provinces3.jsonl",
    "multi.jsonl",
    "fresh12.jsonl",
    "fresh13.jsonl",
)
SENTINEL = "这一句只在守卫测试里出现，用来确认字面量都被读到了？"
SPACE_AND_MARKS = re.compile(r"[\s?？]+")


def normalise(text: str) -> str:
    """Spaces and question marks do not make a question another one."""
    return SPACE_AND_MARKS.sub("", text)


@cache
def eval_questions() -> dict[str, str]:
    """Each eval question (normalised) and where it is, e.g. "questions.jsonl:q001"."""
    out: dict[str, str] = {}
    for name in EVAL_SETS:
        for line in (ROOT / "evals" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                out.setdefault(normalise(item["question"]), f"{name}:{item['id']}")
    return out


def string_literals(path: Path) -> list[tuple[int, str]]:
    """Every string constant in a Python file (f-string parts included), with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_the_guard_reads_the_eval_sets_and_the_literals_of_the_tests() -> None:
    assert len(eval_questions()) > 1000
    assert SENTINEL in {text for _, text in string_literals(Path(__file__))}
    assert len(list(TESTS.rglob("*.py"))) > 30


@pytest.mark.parametrize("path", sorted(TESTS.rglob("*.py")), ids=lambda p: str(p.relative_to(TESTS)))
def test_no_string_literal_in_the_tests_is_an_eval_question(path: Path) -> None:
    questions = eval_questions()
    found = [
        f"{path.name}:{line} {text!r} is {questions[normalise(text)]}"
        for line, text in string_literals(path)
        if normalise(text) and normalise(text) in questions
    ]
    assert not found, "write a synthetic question instead:\n" + "\n".join(found)
