"""The answer policy: one validated value, its defaults the only defaults, reachable from Settings."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from assistant.policy import DEFAULT, Policy, PolicyError
from assistant.refusal import PASSAGES, QUOTED, RULES, Case, RefusalRules
from assistant.retrieval import FusionParams
from assistant.settings import POLICY_FIELDS, Settings


def test_settings_policy_fields_default_from_the_policy() -> None:
    s = Settings()
    for name, (group, key) in POLICY_FIELDS.items():
        assert getattr(s, name) == getattr(getattr(DEFAULT, group), key), name
    assert s.policy == DEFAULT


def test_retrieval_defaults_are_the_policy_s() -> None:
    assert FusionParams() == FusionParams.of(DEFAULT)


def test_a_settings_field_reaches_the_policy() -> None:
    p = Settings(refusal_threshold=0.45, scope_boost=0.2).policy
    assert p.refusal.threshold == 0.45 and p.boosts.scope == 0.2
    assert p.sentences == DEFAULT.sentences


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"refusal": {"threshold": 1.5}}, "refusal.threshold=1.5"),
        ({"sentences": {"max_sentences": 0}}, "sentences.max_sentences=0"),
        ({"fusion": {"keyword_weight": 0.0, "dense_weight": 0.0}}, "keyword_weight + dense_weight"),
        ({"refusal": {"treshold": 0.2}}, "no 'treshold'"),
        ({"scoring": {"own": 0.2}}, "no group 'scoring'"),
        ({"sentences": {"own": "high"}}, "is not a float"),
    ],
)
def test_bad_policy_values_are_refused_naming_them(values: dict, message: str) -> None:
    with pytest.raises(PolicyError, match=re.escape(message)):
        DEFAULT.with_values(values)


def test_a_policy_file_overrides_and_fields_at_their_default_leave_it(tmp_path: Path) -> None:
    f = tmp_path / "policy.json"
    f.write_text(json.dumps({"refusal": {"threshold": 0.4}, "sentences": {"own": 0.6}}), encoding="utf-8")
    p = Settings(policy_file=str(f)).policy
    assert p.refusal.threshold == 0.4 and p.sentences.own == 0.6
    assert Settings(policy_file=str(f), refusal_threshold=0.5).policy.refusal.threshold == 0.5
    f.write_text("{not json", encoding="utf-8")
    with pytest.raises(PolicyError, match="policy.json"):
        _ = Settings(policy_file=str(f)).policy


def test_policy_lines_name_every_group() -> None:
    lines = DEFAULT.lines()
    assert [line.split(":")[0] for line in lines] == [f.name for f in dataclasses.fields(Policy)]
    assert "threshold=0.3" in next(line for line in lines if line.startswith("refusal"))


def test_refusal_rules_are_ordered_named_and_unique() -> None:
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))
    stages = [r.stage for r in RULES]
    assert stages == sorted(stages, key=[PASSAGES, QUOTED].index)  # every first-stage rule comes first
    assert all(r.means for r in RULES)


class _Rules(RefusalRules):
    """The rule machinery without an index: every rule's test is replaced by a fixed verdict."""

    def __init__(self, verdicts: dict[str, str | None]) -> None:  # noqa: D107 - no index needed
        self.verdicts = verdicts


def test_the_first_rule_that_fires_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    fired: list[str] = []

    def rule_test(name: str):  # type: ignore[no-untyped-def]
        def test(rules: _Rules, case: Case) -> str | None:
            fired.append(name)
            return rules.verdicts.get(name)

        return test

    patched = tuple(dataclasses.replace(r, test=rule_test(r.name)) for r in RULES)
    monkeypatch.setattr("assistant.refusal.RULES", patched)
    later = [r.name for r in RULES if r.stage == PASSAGES][-1]
    first = [r.name for r in RULES if r.stage == PASSAGES][2]
    rules = _Rules({later: "x", first: "because"})
    decision = rules.decide(None, PASSAGES)  # type: ignore[arg-type]
    assert decision is not None and decision.rule.name == first
    assert str(decision) == f"refused: {first} (because)"
    assert later not in fired  # rules after the one that fired are not run
    fired.clear()
    assert _Rules({}).decide(None, QUOTED) is None  # type: ignore[arg-type]
    assert fired == [r.name for r in RULES if r.stage == QUOTED]


def test_explain_shows_the_rule_its_meaning_and_the_policy() -> None:
    from assistant.cli import explain
    from assistant.types import Answer

    rule = next(r for r in RULES if r.name == "other-place")
    answer = Answer(
        question="q", text="抱歉", citations=[], refused=True, rule="refused: other-place (江津区)"
    )
    text = explain(answer, Settings(refusal_threshold=0.35))
    assert f"refused: other-place (江津区) — {rule.means}" in text
    assert " > ".join(r.name for r in RULES) in text
    assert "threshold=0.35" in text and "sentences: own=0.65" in text
