"""The answer policy: every tuned number of retrieval, answering, refusal and routing, in one validated
value. Its defaults are the only defaults (Settings reads its user-facing fields from here), and
`ask --explain` prints it. Each number says what it does and how it was chosen.

Groups follow the flow of a question: fusion (keyword + dense) → metadata boosts → sentence scoring →
pointing at clauses → refusal → routing over several reports.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any


def num(default: float, lo: float = 0.0, hi: float = 1.0, doc: str = "") -> Any:
    """A tuned number with its valid range (checked when the policy is built)."""
    return field(default=default, metadata={"lo": lo, "hi": hi, "doc": doc})


@dataclass(frozen=True)
class Fusion:
    """Joining the keyword and dense rankings (weighted sum of normalised scores)."""

    keyword_weight: float = num(0.7, doc="BM25 share; dev: keyword alone is strong on this genre")
    dense_weight: float = num(0.3, doc="dense share; recall for everyday wording")
    dense_candidates: int = num(40, 1, 1000, "dense neighbours taken into the fusion")


@dataclass(frozen=True)
class Boosts:
    """Metadata boosts applied after fusion (each a rule on the chunk's metadata)."""

    scope: float = num(0.3, doc="the part (review/plan) the question's year implies")
    table: float = num(0.15, doc="off a table row unless the question mentions a table")
    label: float = num(0.3, doc="a box or table the question names by number (专栏11, 表2)")


@dataclass(frozen=True)
class Sentences:
    """Scoring the sentences of the top passages; choosing the ones to quote."""

    own: float = num(0.65, doc="weight of the sentence's own coverage of the question")
    context: float = num(0.25, doc="weight of its passage's coverage")
    fused: float = num(0.1, doc="weight of the passage's retrieval score (relative to the best)")
    rank_step: float = num(0.02, doc="off per retrieval rank")
    no_number: float = num(0.25, doc="off a sentence without a figure for a number question")
    list_enum: float = num(0.1, doc="for an enumeration (、) when a list is asked")
    measure: float = num(0.1, doc="for a count in the measure word asked (几所 -> 5所); dev 0.05-0.2 alike")
    target: float = num(0.1, doc="for a target sentence when a target is asked; dev 0.05-0.2 alike")
    year: float = num(0.05, doc="per year of the question the sentence names")
    other_scope: float = num(0.1, doc="off a sentence of the other part; dev 93.4% -> 94.0%")
    everyday_credit: float = num(
        0.4,
        doc="share given to an everyday word's report term (looser match); dev 0.25-0.35 alike, 0.4 +1, 0.5 +1 -1",
    )
    common_share: float = num(0.2, doc="a word in more than this share of chunks names nothing in particular")
    common_weight: float = num(0.3, doc="weight kept by such a common word")
    unknown_non_noun: float = num(0.2, doc="weight of an unknown word that is not a formal noun (dev)")
    english_alias: float = num(0.5, doc="weight of an English question's expansion terms")
    prefer_asked_year: float = num(0.6, doc="a runner-up this close from the asked year's part leads")
    max_sentences: int = num(2, 1, 10, "sentences quoted at most for a figure asked")
    second_after_row: float = num(0.6, doc="a second sentence scoring this share of a table row's joins it")
    second_number: float = num(0.85, doc="... of the best sentence, for a figure asked")
    second_other: float = num(0.65, doc="... of the best sentence, for other questions")
    max_sentences_open: int = num(3, 1, 10, "... for other questions (what is done, which, what)")
    phrase: float = num(0.05, doc="for the whole term an asked everyday word stands for (breaks ties)")
    place: float = num(0.1, doc="for a sentence naming a place, asked where")
    second_close: float = num(
        0.75, doc="a second quote this close to the first is shown (dev alike 0.75-0.85)"
    )
    adds_min: float = num(0.01, doc="coverage a second quote must add to be shown for a word asked")
    summary_chars: int = num(160, 20, 2000, "how much of a section's opening answers 'what does it say'")
    same_thing: float = num(0.6, doc="a second sentence covers at least this share of the first's coverage")
    kind_runner_up: float = num(0.8, doc="a runner-up this close holding the kind of figure asked answers")
    kind_coverage: float = num(0.6, doc="... covering this share of the best's coverage (1.0 measured worse)")
    point_clauses: int = num(1, 0, 1, "1: lead with the clauses asked (short answers); 0: whole sentences")


@dataclass(frozen=True)
class Comparing:
    """Picking each side's figure for "A比B高多少" (the arithmetic is exact; these only choose figures)."""

    candidates: int = num(15, 1, 100, "ranked sentences searched for the two figures")
    window: int = num(14, 1, 100, "characters before a figure that name it")
    context: float = num(0.3, doc="weight of the side's words anywhere in the figure's section and clause")
    target_match: float = num(0.3, doc="for a figure whose target/result kind is the side's (off if not)")
    scope: float = num(0.3, doc="for a figure from the part (review/plan) the side's year implies")
    sentence: float = num(0.05, doc="weight of the sentence's own score")


@dataclass(frozen=True)
class Refusal:
    """When the report does not answer (the ordered rules are in refusal.py)."""

    threshold: float = num(0.3, doc="coverage below which the question is refused (dev)")
    dense_rescue: float = num(
        0.9,
        0.0,
        1.01,
        "not refused for low coverage if a passage's cosine to the question reaches this "
        "(everyday wording the keywords miss; the bundled e5's scale: another embedder needs its own, 1.01 off)",
    )
    unknown_term_coverage: float = num(0.8, 0.0, 1.01, "a term the report never uses refuses below this")
    rare_place: float = num(0.03, doc="another place: one in fewer than this share of chunks")
    specific_share: float = num(0.2, doc="a word in at most this share of chunks is specific (names)")


@dataclass(frozen=True)
class Routing:
    """Several reports: which answer."""

    own_place_rare_share: float = num(0.03, doc="a report's own place name it writes this rarely is dropped")
    compare_support_ratio: float = num(
        0.9, doc="reports answering this nearly as well as the best all answer"
    )


@dataclass(frozen=True)
class Policy:
    fusion: Fusion = field(default_factory=Fusion)
    boosts: Boosts = field(default_factory=Boosts)
    sentences: Sentences = field(default_factory=Sentences)
    comparing: Comparing = field(default_factory=Comparing)
    refusal: Refusal = field(default_factory=Refusal)
    routing: Routing = field(default_factory=Routing)

    def __post_init__(self) -> None:
        problems = [p for f in fields(self) for p in _check(f.name, getattr(self, f.name))]
        if self.fusion.keyword_weight + self.fusion.dense_weight <= 0:
            problems.append("fusion: keyword_weight + dense_weight must be > 0")
        if problems:
            raise PolicyError("answer policy: " + "; ".join(problems))

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return asdict(self)

    def with_values(self, values: dict[str, dict[str, Any]]) -> Policy:
        """A copy with {"group": {"field": value}} applied; unknown names are errors, not ignored."""
        groups = {f.name for f in fields(self)}
        changed = {}
        for group, items in values.items():
            if group not in groups or not isinstance(items, dict):
                raise PolicyError(f"answer policy: no group {group!r} (groups: {', '.join(sorted(groups))})")
            current = getattr(self, group)
            names = {f.name: f for f in fields(current)}
            for name in items:
                if name not in names:
                    raise PolicyError(f"answer policy: {group} has no {name!r} ({', '.join(names)})")
            changed[group] = replace(current, **{k: _typed(names[k], v, group) for k, v in items.items()})
        return replace(self, **changed)

    @classmethod
    def from_file(cls, path: Path, base: Policy | None = None) -> Policy:
        """Overrides from a JSON file ({"refusal": {"threshold": 0.35}}), applied to `base`."""
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PolicyError(f"answer policy file {path}: {exc}") from exc
        if not isinstance(values, dict):
            raise PolicyError(f"answer policy file {path}: expected an object of groups")
        return (base or cls()).with_values(values)

    def lines(self) -> list[str]:
        """One line per group, for `ask --explain`."""
        return [
            f"{group}: " + ", ".join(f"{k}={v}" for k, v in items.items())
            for group, items in self.as_dict().items()
        ]


class PolicyError(ValueError):
    """A policy value out of range or a misspelt name: the message says which."""


def _typed(f: Any, value: Any, group: str) -> Any:
    kind = type(f.default) if f.default is not MISSING else float
    try:
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise PolicyError(f"answer policy: {group}.{f.name}={value!r} is not a {kind.__name__}") from exc


def _check(group: str, value: Any) -> list[str]:
    out = []
    for f in fields(value):
        v, lo, hi = getattr(value, f.name), f.metadata.get("lo"), f.metadata.get("hi")
        if lo is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi:
            out.append(f"{group}.{f.name}={v!r} must be a number in [{lo}, {hi}]")
    return out


DEFAULT = Policy()
