"""Check that an answer's numbers and [n] markers are backed by the passages it cites."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from .vocab import CJK_CHAR

# Base units, as written after a number. A multiplier (万, 亿 ...) may precede any of them.
UNITS = (
    "个百分点 百分点 % ‰ 元 亩 公顷 公里 平方公里 平方米 立方米 米 吨 千克 公斤 方 千瓦时 千瓦 标准箱 标箱 "
    "人次 户次 车次 架次 人 个 家 座 户 台 天 所 处 项 件 口 席 名 次 年 月 日 小时 分钟 岁 倍 辆 条 "
    "张 套 栋 幢 批 场 期 届 位 份 床 间 株 头 只 篇 部 支 类 种 级 星 门 块 段 根 列 班 趟 艘 棵 吨标煤 "
    "伏 伏安 美元 袋 组 宗 笔 号 场次 学时"
).split()
MULTIPLIERS = {"万亿": Decimal(10) ** 12, "亿": Decimal(10) ** 8, "万": Decimal(10) ** 4, "千": Decimal(1000)}
PERCENT_UNITS = {"%", "个百分点", "百分点"}

_FULLWIDTH = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)}, "％": "%", "．": "."})
# "30余场", "1万余人", "200多公里": 余/多 (approximately) may follow the number or its multiplier.
_SUFFIXES = sorted(
    {
        *(a + u for a in ("", "余", "多") for u in UNITS),
        *(m + a for m in MULTIPLIERS for a in ("", "余", "多")),
        *(m + a + u for m in MULTIPLIERS for a in ("", "余", "多") for u in UNITS),
    },
    key=len,
    reverse=True,
)
_NUMBER_RE = re.compile(
    r"(?<![0-9.])(?P<digits>[0-9]+(?:,[0-9]{3}(?![0-9]))*(?:\.[0-9]+)?)(?P<suffix>"
    + "|".join(re.escape(s) for s in _SUFFIXES)
    + ")?"
)
MARKER_RE = re.compile(r"[\[［]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]］]")
# A sentence runs to its end punctuation, plus any markers written right after it.
_SENTENCE_RE = re.compile(
    r"[^。！？!?\n]+(?:[。！？!?]+)?(?:\s*" + MARKER_RE.pattern + r")*|[^。！？!?\n]*[。！？!?]+"
)
_OPERAND = _NUMBER_RE.pattern.replace("?P<digits>", "?:").replace("?P<suffix>", "?:")
_FORMULA_RE = re.compile(
    rf"(?P<a>{_OPERAND})\s*(?P<op>[-−－–+＋×*÷/])\s*(?P<b>{_OPERAND})\s*[=＝≈]\s*(?P<c>{_OPERAND})"
)


class Number(NamedTuple):
    """A parsed number: its raw value, multiplier, base unit and the text it came from."""

    raw: Decimal
    multiplier: Decimal
    unit: str
    text: str

    @property
    def value(self) -> Decimal:
        return self.raw * self.multiplier

    @property
    def bare(self) -> bool:
        return self.multiplier == 1 and not self.unit


def normalize(text: str) -> str:
    """Full-width digits, ％ and ． to ASCII; nothing else changes (offsets are kept)."""
    return text.translate(_FULLWIDTH)


def strip_markers(text: str) -> str:
    """Blank out citation markers so their digits are not read as numbers."""
    return MARKER_RE.sub(lambda m: " " * len(m.group(0)), text)


def markers(text: str) -> list[int]:
    """The citation numbers in `text`, in order of appearance (`[1,2]` gives 1 and 2)."""
    found: list[int] = []
    for m in MARKER_RE.finditer(normalize(text)):
        found.extend(int(x) for x in re.findall(r"\d+", m.group(1)))
    return found


def _parse(match: re.Match[str]) -> Number | None:
    digits, suffix = match.group("digits"), match.group("suffix") or ""
    try:
        raw = Decimal(digits.replace(",", ""))
    except InvalidOperation:
        return None
    suffix = suffix.replace("余", "").replace("多", "")
    mult, unit = Decimal(1), suffix
    if suffix not in UNITS:
        for name, factor in MULTIPLIERS.items():
            if suffix.startswith(name) and (suffix[len(name) :] in UNITS or suffix == name):
                mult, unit = factor, suffix[len(name) :]
                break
    return Number(raw, mult, "%" if unit in PERCENT_UNITS else unit, match.group(0))


def parse_numbers(text: str) -> list[Number]:
    """All numbers in `text` (markers ignored), parsed."""
    found = (_parse(m) for m in _NUMBER_RE.finditer(strip_markers(normalize(text))))
    return [n for n in found if n is not None]


def extract_numbers(text: str) -> list[str]:
    """Numbers as written, with their unit where present, e.g. ["2024年", "1,281.4亿元", "8.1%"]."""
    return [n.text for n in parse_numbers(text)]


def _matches(claim: Number, source: Number) -> bool:
    if claim.value == source.value and (claim.unit == source.unit or not claim.unit or not source.unit):
        return True
    # A bare number in the source (unit in a table header) or in the claim: compare raw values.
    return (source.bare or claim.bare) and claim.raw == source.raw


def number_supported(num: str, passage_texts: Iterable[str], computed: Collection[str] = frozenset()) -> bool:
    """True if `num` is marked computed or its value appears in a passage with a compatible unit."""
    parsed = parse_numbers(num)
    if not parsed:
        return False
    claim = parsed[0]
    if claim.text in {normalize(c).strip() for c in computed}:
        return True
    return any(_matches(claim, source) for text in passage_texts for source in parse_numbers(text))


def sentences(text: str) -> list[str]:
    """Split on 。！？ and newlines, keeping markers written after the end punctuation."""
    return [s for s in (m.group(0).strip() for m in _SENTENCE_RE.finditer(text)) if s]


def find_computed(text: str) -> set[str]:
    """Results of formulas written out in `text` (e.g. "8.1%-7%=1.1个百分点") whose arithmetic holds."""
    found: set[str] = set()
    for m in _FORMULA_RE.finditer(strip_markers(normalize(text))):
        a, b, c = (parse_numbers(m.group(k)) for k in "abc")
        if not (a and b and c):
            continue
        x, y, z = a[0].raw, b[0].raw, c[0].raw
        op = m.group("op")
        try:
            result = x - y if op in "-−－–" else x + y if op in "+＋" else x * y if op in "×*" else x / y
        except (InvalidOperation, ZeroDivisionError):
            continue
        exponent = z.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if abs(result - z) <= Decimal(5) / Decimal(10) ** (places + 1) + Decimal("1e-9"):
            found.add(c[0].text)
    return found


MIN_GROUNDING = 0.3


def grounding(sentence: str, passages: Iterable[str]) -> float:
    """Share of the sentence's Chinese character bigrams found in its cited passages (0..1).

    A cited sentence must restate its passage, not say something else and borrow a marker
    (e.g. a model echoing its instructions with "[1]" appended).
    """
    chars = "".join(CJK_CHAR.findall(strip_markers(sentence)))
    grams = {chars[i : i + 2] for i in range(len(chars) - 1)}
    if len(grams) < 4:
        return 1.0
    source = "".join(passages)
    return sum(1 for g in grams if g in source) / len(grams)


def verify_answer(
    text: str, citations: Mapping[int, str], computed: Collection[str] = frozenset()
) -> list[str]:
    """Problems with an answer's markers and numbers; an empty list means it checks out."""
    problems: list[str] = []
    used = markers(text)
    for n in dict.fromkeys(used):
        if n not in citations:
            problems.append(f"unknown citation [{n}] 引用不存在")
    cited = [citations[n] for n in dict.fromkeys(used) if n in citations]
    has_numbers = bool(parse_numbers(text))
    if has_numbers and not cited:
        problems.append("numbers but no citations 有数字但无引用")
        return problems
    for sentence in sentences(normalize(text)):
        own = [citations[n] for n in dict.fromkeys(markers(sentence)) if n in citations]
        if own and grounding(sentence, own) < MIN_GROUNDING:
            problems.append(f"claim not in its cited passage 引文不支持该句: {sentence[:40]}")
        nums = parse_numbers(sentence)
        if not nums:
            continue
        if not markers(sentence):
            problems.append(f"sentence with numbers but no marker 句子缺少引用: {sentence[:40]}")
        sources = own or cited
        for num in nums:
            if not number_supported(num.text, sources, computed):
                problems.append(f"unsupported number {num.text} 数字无出处: {sentence[:40]}")
    return problems
