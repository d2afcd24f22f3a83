"""Chinese numerals in a question, written as the report writes figures: 百分之五 -> 5%, 三千万 -> 3000万,
一百二十个 -> 120个, 七点五 -> 7.5 (the `cn2an` package reads the numerals).

Only a numeral that states a quantity is rewritten: one followed by a counter or unit, by 万/亿, or
written as a percentage. Words that contain numerals (一带一路, 十四五, 第一, 三农, 一些) stay as they are.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .vocab import CN_DIGITS, COUNTERS, UNITS, alternation

DIGIT = f"[{CN_DIGITS}]"
NUMERAL = f"(?:[{CN_DIGITS}十百千]+(?:点{DIGIT}+)?)"
PERCENT = re.compile(rf"百分之({NUMERAL})")
# a quantity: a numeral, then 万/亿 and/or a counter or unit; not an ordinal (第一) or a word (一些)
QUANTITY = re.compile(
    rf"(?<![第{CN_DIGITS}十百千万亿])({NUMERAL})(?=[万亿]|{alternation((*COUNTERS, *UNITS, '年'))})"
)
# numerals that are words rather than figures when followed by one of these (一个人: a person)
WORDLIKE = frozenset(
    "一个 一次 一条 一件 一家 一项 一批 一场 一人 一名 一口 一只 一张 一座 一处 一所 一类 一年".split()
)
# a rate per so many people or households, written as reports write it: 每一千个人 / 每1000人 -> 每千人
PER = re.compile(r"每(?:一|1)?([百千万])(?:个|名|位)?(?=[人户口])|每1(0{2,4})(?:个|名|位)?(?=[人户口])")
PER_DIGITS = {"00": "百", "000": "千", "0000": "万"}
# ... and per head: 平均每人 / 每人平均 -> 人均 (户均, 亩均)
PER_HEAD = re.compile(r"平均每([人户亩])|每([人户亩])平均")
# ... and each one of a period or a head: 每个月 / 每一年 -> 每月 / 每年 (每人每月2375元)
EACH = re.compile(r"每(?:一个|一|个)(?=[月年天日周人户])")


def per_rate(text: str) -> str:
    """每一千个人 -> 每千人, 每10000人 -> 每万人, 平均每人 -> 人均, 每个月 -> 每月 (the per-head and
    per-period rates of a report's indicators)."""
    text = EACH.sub("每", text)
    text = PER_HEAD.sub(lambda m: (m.group(1) or m.group(2)) + "均", text)
    return PER.sub(lambda m: "每" + (m.group(1) or PER_DIGITS[m.group(2)]), text)


@lru_cache(maxsize=1)
def _cn2an():  # type: ignore[no-untyped-def]
    import cn2an  # pure Python, ~0.1 s: loaded on the first question holding a Chinese numeral

    return cn2an


def numeral_value(numeral: str) -> str | None:
    try:
        value = _cn2an().cn2an(numeral, "smart")
    except (ValueError, KeyError, TypeError):
        return None
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text


def arabic_figures(text: str) -> str:
    """`text` with the Chinese numerals that state a quantity written in digits."""
    text = per_rate(text)
    if not re.search(f"[{CN_DIGITS}十百千]", text):
        return text

    def percent(m: re.Match[str]) -> str:
        value = numeral_value(m.group(1))
        return f"{value}%" if value is not None else m.group(0)

    def quantity(m: re.Match[str]) -> str:
        numeral = m.group(1)
        after = text[m.end() : m.end() + 1]
        if numeral + after in WORDLIKE or len(numeral) == 1 and after == "年":
            return numeral  # 一个, 一年: a word; 五年 (a span, not a quantity to match)
        value = numeral_value(numeral)
        return value if value is not None else numeral

    text = PERCENT.sub(percent, text)
    return QUANTITY.sub(quantity, text)
