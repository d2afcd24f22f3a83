"""One answer from several reports' answers: each named report answered and labelled, or the best one.

A question naming no report, over several, is asked of each; the reports whose answers are nearly as
well supported as the best (`ratio`) all answer, each under its name, so differing figures are shown
side by side rather than one picked silently.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from .reports import Report
from .types import Answer

MARK = re.compile(r"\[(\d+)\]")
EACH = ("named", "selected")  # rules whose reports the user named: every one is answered


def label_citations(answer: Answer, report: Report) -> Answer:
    """Every citation names its report."""
    cites = tuple(
        dataclasses.replace(c, report=report.file, report_name=report.short_name) for c in answer.citations
    )
    return dataclasses.replace(answer, citations=cites, reports=(report.file,))


def _renumber(answer: Answer, offset: int) -> tuple[str, tuple]:
    text = MARK.sub(lambda m: f"[{int(m.group(1)) + offset}]", answer.text)
    cites = tuple(dataclasses.replace(c, n=c.n + offset) for c in answer.citations)
    return text, cites


def _through(answers: Sequence[Answer]) -> tuple[list[str], tuple, tuple]:
    """The answers' texts, citations and passages, citations numbered through."""
    texts, cites, passages = [], [], []
    for answer in answers:
        text, renumbered = _renumber(answer, len(cites))
        texts.append(text)
        cites.extend(renumbered)
        passages.extend(answer.passages)
    return texts, tuple(cites), tuple(passages)


def labelled(parts: Sequence[tuple[Report, Answer]]) -> Answer:
    """Each report's answer under its short name, citations numbered through."""
    texts, cites, passages = _through([a for _, a in parts])
    return dataclasses.replace(
        parts[0][1],
        text="\n".join(f"【{r.short_name}】{t}" for (r, _), t in zip(parts, texts, strict=True)),
        citations=cites,
        passages=passages,
        reports=tuple(r.file for r, _ in parts),
    )


def with_parts(whole: Answer, parts: Sequence[Answer]) -> Answer:
    """The answer to a question of several asks: the whole question's answer, then what each later
    part's own answer quotes that it does not already say, citations numbered through."""
    said, kept = MARK.sub("", whole.text), [whole]
    for part in parts:
        if part.refused or all(s.strip("；;，, ") in said for s in MARK.split(part.text)[::2]):
            continue
        kept.append(part)
        said += MARK.sub("", part.text)
    texts, cites, passages = _through(kept)
    return dataclasses.replace(whole, text="\n".join(texts), citations=cites, passages=passages)


def combine(
    parts: Sequence[tuple[Report, Answer, float]], rule: str, several: bool, ratio: float = 0.9
) -> Answer:
    """The answer to show; `parts` are (report, its answer, its support) in routing order."""
    if not several:
        return parts[0][1]
    answered = [(r, a, s) for r, a, s in parts if not a.refused]
    if not answered:
        refused = parts[0][1]
        passages = tuple(p for _, a, _ in parts for p in a.passages)
        return dataclasses.replace(refused, passages=passages, reports=tuple(r.file for r, _, _ in parts))
    if rule not in EACH:
        best = max(s for _, _, s in answered)
        answered = sorted((x for x in answered if x[2] >= best * ratio), key=lambda x: -x[2])
        seen: set[str] = set()
        distinct = []
        for r, a, s in answered:  # the same sentence in two reports is said once
            key = MARK.sub("", a.text)
            if key not in seen:
                seen.add(key)
                distinct.append((r, a, s))
        answered = distinct
    rest = tuple(p for _, a, _ in parts if a.refused for p in a.passages)
    out = labelled([(r, a) for r, a, _ in answered])
    return dataclasses.replace(out, passages=out.passages + rest)


def uncovered_refusal(
    question: str, standalone: str, places: Sequence[str], reports: Sequence[Report]
) -> Answer:
    """A place no report is about: say so, and what the corpus holds."""
    held = "、".join(r.short_name for r in reports)
    return Answer(
        text=f"抱歉，目前收录的报告中没有关于{'、'.join(places)}的报告，无法回答。现有报告：{held}。",
        refused=True,
        question=question,
        standalone_question=standalone,
        route="uncovered",
        rule="refused: a place no report covers",
    )
