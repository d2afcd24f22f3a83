"""Pure evaluation metrics: text matching, retrieval ranks, answer/citation/refusal scores, percentiles.

Conventions:
- Aggregate metrics return ``None`` when their denominator is zero (undefined, shown as "n/a").
- Matching is done on a canonical form (see ``normalize_for_match``) and respects number
  boundaries (see ``contains``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Extractor = Callable[[str], list[str]]
Checker = Callable[[str, Sequence[str]], bool]

_DIGITS = "0123456789"
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_WHITESPACE = re.compile(r"\s+")
_CITATION_MARK = re.compile(r"\[\d+\]")
_SIMPLE_NUMBER = re.compile(r"\d+(?:\.\d+)?%?")
_ZERO_DECIMALS = re.compile(r"(?<=\d)\.0+(?!\d)")  # 11.0% is 11%


def _whitespace_replacement(m: re.Match[str]) -> str:
    """One space for a whitespace run between two digits, nothing elsewhere."""
    s, i, j = m.string, m.start(), m.end()
    return " " if i > 0 and j < len(s) and s[i - 1] in _DIGITS and s[j] in _DIGITS else ""


def normalize_for_match(s: str) -> str:
    """Canonical form for fact matching (rules below, applied in this order).

    1. ASCII thousands separators inside numbers are removed: "1,281.4" -> "1281.4". Only an
       ASCII comma between a digit and exactly three digits counts, and this runs *before*
       NFKC so that the Chinese clause comma "，" (NFKC -> ",") is never mistaken for one.
    2. NFKC: full-width letters, digits, punctuation and "％" become half-width ("８．１％" -> "8.1%",
       "（" -> "(").
    3. ASCII is lower-cased.
    4. Whitespace is removed (table cells split by tabs/newlines join up), except that a run of
       whitespace between two digits becomes one space, so adjacent number cells such as
       "1281.4\n\t8.1" do not fuse into one number.
    5. "个百分点" and "百分点" become "%". Percentage points and percent are deliberately conflated,
       so "1.1个百分点" matches both "1.1个百分点" and "1.1%" (in either direction).
    6. Zero decimals are dropped: "11.0%" -> "11%" (a table's 11.0% is the text's 11%).
    """
    s = _THOUSANDS.sub("", s)
    s = unicodedata.normalize("NFKC", s).lower()
    s = _WHITESPACE.sub(_whitespace_replacement, s)
    return _ZERO_DECIMALS.sub("", s.replace("个百分点", "%").replace("百分点", "%"))


def _digit_before(h: str, i: int) -> bool:
    """Whether a number continues leftwards into position i-1 of h (a digit, or '.' after a digit)."""
    if i <= 0:
        return False
    if h[i - 1] in _DIGITS:
        return True
    return h[i - 1] == "." and i >= 2 and h[i - 2] in _DIGITS


def _digit_after(h: str, j: int) -> bool:
    """Whether a number continues rightwards from position j of h (a digit, or '.' before a digit)."""
    if j >= len(h):
        return False
    if h[j] in _DIGITS:
        return True
    return h[j] == "." and j + 1 < len(h) and h[j + 1] in _DIGITS


def contains(haystack: str, needle: str) -> bool:
    """Whether normalised needle occurs in normalised haystack without splitting a number.

    A needle that starts (ends) with a digit must not be glued to more digits on that side, so
    "8.1%" is not found in "18.1%" and "1281.4" is not found in "1281.45". An empty needle
    (after normalisation) never matches.
    """
    h, n = normalize_for_match(haystack), normalize_for_match(needle)
    if not n:
        return False
    check_left, check_right = n[0] in _DIGITS, n[-1] in _DIGITS
    start = h.find(n)
    while start != -1:
        end = start + len(n)
        left_ok = not (check_left and _digit_before(h, start))
        right_ok = not (check_right and _digit_after(h, end))
        if left_ok and right_ok:
            return True
        start = h.find(n, start + 1)
    return False


_PERCENT_POINT = re.compile("个?百分点")
Span = tuple[int, int]


def _normalize_with_offsets(s: str) -> tuple[str, list[Span]]:
    """``normalize_for_match(s)`` and, for each of its characters, the [start, end) it came from in s."""
    dropped = {m.start() for m in _THOUSANDS.finditer(s)}
    chars: list[str] = []
    origin: list[Span] = []
    for i, ch in enumerate(s):
        if i in dropped:
            continue
        for c in unicodedata.normalize("NFKC", ch).lower():
            chars.append(c)
            origin.append((i, i + 1))
    text = "".join(chars)
    for pattern, repl in (
        (_WHITESPACE, _whitespace_replacement),
        (_PERCENT_POINT, lambda _m: "%"),
        (_ZERO_DECIMALS, lambda _m: ""),
    ):
        out: list[str] = []
        mapped: list[Span] = []
        last = 0
        for m in pattern.finditer(text):
            out.append(text[last : m.start()])
            mapped.extend(origin[last : m.start()])
            r = repl(m)
            out.append(r)
            mapped.extend([(origin[m.start()][0], origin[m.end() - 1][1])] * len(r))
            last = m.end()
        out.append(text[last:])
        mapped.extend(origin[last:])
        text, origin = "".join(out), mapped
    return text, origin


def evidence_spans(text: str, quotes: Sequence[str]) -> list[Span]:
    """Where in `text` (raw offsets, merged, sorted) the quotes occur, by the rules of ``contains``.

    Used to highlight evidence in a passage. Empty when no quote occurs, and also in the rare case
    where normalising character by character differs from normalising the whole text (combining marks).
    """
    h, origin = _normalize_with_offsets(text)
    if h != normalize_for_match(text):
        return []
    found: list[Span] = []
    for quote in quotes:
        n = normalize_for_match(quote)
        if not n:
            continue
        check_left, check_right = n[0] in _DIGITS, n[-1] in _DIGITS
        start = h.find(n)
        while start != -1:
            end = start + len(n)
            if not (check_left and _digit_before(h, start)) and not (check_right and _digit_after(h, end)):
                found.append((origin[start][0], origin[end - 1][1]))
            start = h.find(n, start + 1)
    merged: list[Span] = []
    for a, b in sorted(found):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def retrieval_hit_rank(retrieved_texts: Sequence[str], evidence: Sequence[str]) -> int | None:
    """1-based rank of the first retrieved text containing any evidence quote; None if none does."""
    for rank, text in enumerate(retrieved_texts, start=1):
        if any(contains(text, quote) for quote in evidence):
            return rank
    return None


def hit_at_k(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of ranks that are not None and <= k; None for an empty list."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if not ranks:
        return None
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mrr(ranks: Sequence[int | None]) -> float | None:
    """Mean reciprocal rank (a miss counts 0); None for an empty list."""
    if not ranks:
        return None
    return sum(1.0 / r for r in ranks if r is not None) / len(ranks)


def answer_correct(answer_text: str, key_facts: Sequence[str], refused: bool) -> bool:
    """Answerable: not refused and every key fact contained. Unanswerable (no facts): refused."""
    if not key_facts:
        return refused
    return not refused and all(contains(answer_text, fact) for fact in key_facts)


def citation_correct(cited_texts: Sequence[str], evidence: Sequence[str]) -> bool:
    """Whether some cited passage contains some evidence quote."""
    return any(contains(text, quote) for text in cited_texts for quote in evidence)


def refusal_precision_recall(
    pairs: Iterable[tuple[bool, bool]],
) -> tuple[float | None, float | None]:
    """(precision, recall) of refusing, from (should_refuse, refused) pairs; None when undefined."""
    tp = refused_n = should_n = 0
    for should_refuse, refused in pairs:
        refused_n += bool(refused)
        should_n += bool(should_refuse)
        tp += bool(should_refuse and refused)
    precision = tp / refused_n if refused_n else None
    recall = tp / should_n if should_n else None
    return precision, recall


def _simple_extract(text: str) -> list[str]:
    """Fallback number extractor: decimal numbers with an optional trailing '%'."""
    return _SIMPLE_NUMBER.findall(normalize_for_match(text))


def _simple_supported(num: str, passage_texts: Sequence[str]) -> bool:
    """Fallback number check: the number occurs (boundary-aware) in some passage."""
    return any(contains(text, num) for text in passage_texts)


def _default_number_tools(answer_text: str = "") -> tuple[Extractor, Checker]:
    """assistant.verification's extractor/checker if importable now, else the simple fallbacks.

    A number the answer computes with its formula written out ("8.1% − 7% = 1.1个百分点", arithmetic
    checked) counts as supported; its operands must still be in the cited passages.
    """
    try:
        from assistant.verification import extract_numbers, find_computed, number_supported
    except ImportError:
        return _simple_extract, _simple_supported
    computed = find_computed(answer_text)
    return extract_numbers, lambda num, passages: number_supported(num, passages, computed)


def numbers_all_cited(
    answer_text: str,
    cited_texts: Sequence[str],
    extract: Extractor | None = None,
    supported: Checker | None = None,
) -> bool:
    """Whether every number in the answer (citation markers like "[1]" removed) is in a cited passage."""
    if extract is None or supported is None:
        default_extract, default_supported = _default_number_tools(answer_text)
        extract = extract or default_extract
        supported = supported or default_supported
    numbers = extract(_CITATION_MARK.sub("", answer_text))
    passages = list(cited_texts)
    return all(supported(num, passages) for num in numbers)


def percentile(values: Sequence[float], p: float) -> float | None:
    """p-th percentile (0..100) with linear interpolation between closest ranks; None if empty."""
    if not 0 <= p <= 100:
        raise ValueError(f"p must be in [0, 100], got {p}")
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


@dataclass(frozen=True)
class GroupMetrics:
    """Scores over one group of questions (all, one split, or one category); None = undefined."""

    n: int
    n_answerable: int
    hit_at_1: float | None
    hit_at_3: float | None
    hit_at_5: float | None
    mrr: float | None
    answer_accuracy: float | None  # over all questions (unanswerable: correct iff refused)
    citation_accuracy: float | None  # over answerable, not refused
    refusal_precision: float | None  # should refuse = no key facts
    refusal_recall: float | None
    answerable_refused: float | None  # share of answerable questions refused
    numbers_cited: float | None  # share of non-refused answers whose every number is cited
    retrieval_p50_ms: float | None
    retrieval_p95_ms: float | None
    total_p50_ms: float | None
    total_p95_ms: float | None
    # share of answered answerable questions that name their reports whose every citation is from one
    right_report: float | None = None
    answer_chars_p50: float | None = None  # median length of the answers given (citation marks excluded)
    first_sentence_facts: float | None = None  # correct answers whose first sentence holds every key fact


def _share(flags: Sequence[bool]) -> float | None:
    """Fraction of True values; None for an empty list."""
    return sum(flags) / len(flags) if flags else None


Row = tuple[Sequence[str], Sequence[str], Mapping[str, Any]]  # (key facts, evidence, out-file record)


def answer_chars(answer_text: str) -> int:
    """An answer's length in characters, citation markers like "[1]" excluded."""
    return len(_CITATION_MARK.sub("", answer_text).strip())


def first_sentence_holds(answer_text: str, key_facts: Sequence[str]) -> bool:
    """Whether the answer's first sentence (up to 。！？ or a line end) already holds every key fact."""
    text = _CITATION_MARK.sub("", answer_text).strip()
    first = re.split(r"(?<=[。！？!?])|\n", text, maxsplit=1)[0]
    return all(contains(first, f) for f in key_facts)


def from_right_report(citations: Sequence[Mapping[str, Any]], reports: Sequence[str]) -> bool:
    """Whether every citation's "report" (file name) is one of the reports the evidence lives in."""
    return all(c.get("report") in reports for c in citations)


def score_group(
    rows: Sequence[Row], extract: Extractor | None = None, supported: Checker | None = None
) -> GroupMetrics:
    """Score (key facts, evidence, out-file record) rows; records use the eval out-file keys."""
    answerable = [(ev, r) for facts, ev, r in rows if facts]
    ranks = [retrieval_hit_rank([p["text"] for p in r["retrieved"]], ev) for ev, r in answerable]
    cited = [
        citation_correct([c["text"] for c in r["citations"]], ev) for ev, r in answerable if not r["refused"]
    ]
    numbers = [
        numbers_all_cited(
            r["answer"],
            [f"{c.get('report_name', '')}\n{c.get('section', '')}\n{c['text']}" for c in r["citations"]],
            extract,
            supported,
        )
        for _, _, r in rows
        if not r["refused"]
    ]
    precision, recall = refusal_precision_recall([(not facts, r["refused"]) for facts, _, r in rows])
    right = [
        from_right_report(r["citations"], r["expected_reports"])
        for facts, _, r in rows
        if facts and not r["refused"] and r.get("expected_reports")
    ]
    retrieval = [r["retrieval_ms"] for _, _, r in rows if r["retrieval_ms"] is not None]
    total = [r["latency_ms"] for _, _, r in rows]
    return GroupMetrics(
        n=len(rows),
        n_answerable=len(answerable),
        hit_at_1=hit_at_k(ranks, 1),
        hit_at_3=hit_at_k(ranks, 3),
        hit_at_5=hit_at_k(ranks, 5),
        mrr=mrr(ranks),
        answer_accuracy=_share([answer_correct(r["answer"], facts, r["refused"]) for facts, _, r in rows]),
        citation_accuracy=_share(cited),
        refusal_precision=precision,
        refusal_recall=recall,
        answerable_refused=_share([r["refused"] for _, r in answerable]),
        numbers_cited=_share(numbers),
        retrieval_p50_ms=percentile(retrieval, 50),
        retrieval_p95_ms=percentile(retrieval, 95),
        total_p50_ms=percentile(total, 50),
        total_p95_ms=percentile(total, 95),
        right_report=_share(right),
        answer_chars_p50=percentile([answer_chars(r["answer"]) for _, _, r in rows if not r["refused"]], 50),
        first_sentence_facts=_share(
            [
                first_sentence_holds(r["answer"], facts)
                for facts, _, r in rows
                if facts and not r["refused"] and answer_correct(r["answer"], facts, r["refused"])
            ]
        ),
    )


# Outcomes of one question: passed, or the first failure below that explains it.
PASSED = "passed"
NOT_RETRIEVED = "not_retrieved"  # no top-5 passage holds an evidence quote
NOT_CITED = "retrieved_not_cited"  # a top-5 passage holds it, the citations do not
WRONG_FACT = "wrong_fact"  # the cited passages hold the evidence, the answer misses a key fact
WRONGLY_REFUSED = "wrongly_refused"  # answerable, refused
SHOULD_REFUSE = "should_have_refused"  # unanswerable, answered
OUTCOMES = (PASSED, NOT_RETRIEVED, NOT_CITED, WRONG_FACT, WRONGLY_REFUSED, SHOULD_REFUSE)
RETRIEVAL_DEPTH = 5


def classify(facts: Sequence[str], evidence: Sequence[str], record: Mapping[str, Any]) -> str:
    """One question's outcome. Passing an answerable question needs every key fact and a cited evidence quote."""
    if not facts:
        return PASSED if record["refused"] else SHOULD_REFUSE
    if record["refused"]:
        return WRONGLY_REFUSED
    cited = citation_correct([c["text"] for c in record["citations"]], evidence)
    if cited:
        return PASSED if answer_correct(record["answer"], facts, False) else WRONG_FACT
    top = [p["text"] for p in record["retrieved"][:RETRIEVAL_DEPTH]]
    return NOT_CITED if retrieval_hit_rank(top, evidence) is not None else NOT_RETRIEVED
