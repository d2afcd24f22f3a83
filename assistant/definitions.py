"""What a report defines about itself, read from its chunks when the index is opened.

- abbreviations it spells out: 《…规划纲要（草案）》（以下简称《纲要草案》）, “双高计划”是“…计划”的简称,
  数字经济伙伴关系协定（DEPA）: the short form and the full name each stand for the other;
- the names it uses: quoted names (“四好农村路”) and the indicator names of its tables (地区生产总值,
  城镇调查失业率): a question naming a part of exactly one of them (农村路, 失业率) means that name.

A question is then expanded by one pass over these (longest key first), like the alias table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .keyword import Tokenizer
from .types import TABLE_ROW, Chunk

NAME_CHARS = r"[^“”《》（）()，。；：、\s]"
# the full name right before "（以下简称…）" is a quoted or titled name, or a run of Chinese characters
SHORT_AFTER = re.compile(rf"[（(](?:以下)?简称为?[“《]?({NAME_CHARS}{{1,12}})[”》]?[）)]")
SHORT_IS = re.compile(
    rf"[“《]({NAME_CHARS}{{1,12}})[”》][：:，,\s]*(?:是|即|为)[“《]?({NAME_CHARS}{{2,40}})[”》]?的(?:简称|缩写)"
)
FULL_THEN_SHORT = re.compile(rf"[“《]({NAME_CHARS}{{2,40}})[”》][，,]?简称[“《]({NAME_CHARS}{{1,12}})[”》]")
LETTERS = re.compile(r"([\u4e00-\u9fff]{2,20})[（(]([A-Z][A-Za-z0-9]{1,9})[）)]")
QUOTED_NAME = re.compile(r"“([^“”]{2,12})”")
UNIT = re.compile(r"[（(][^）)]*[）)]")
CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
MAX_FULL = 20  # characters of a full name taken from the text before "（简称…）"
MIN_KEY = 3  # characters of a part of a name that stands for it (失业率, 农村路); 2 (天数) is too loose
FIELD = "｜"


@dataclass(frozen=True)
class Definitions:
    """(key, expansion) pairs, longest key first; a whole name maps to "" (found, not expanded)."""

    pairs: tuple[tuple[str, str], ...]

    @classmethod
    def of(
        cls, chunks: Sequence[Chunk], tokenizer: Tokenizer, postings: Mapping[str, Sequence[int]]
    ) -> Definitions:
        """`postings`: word -> the chunks that use it (the keyword index's)."""
        texts = [c.text for c in chunks]
        abbreviations = dict(abbreviations_in(texts))
        names = set(names_in(chunks))
        pairs: dict[str, str] = {}
        for short, full in abbreviations.items():
            pairs[short.lower()] = full
            pairs.setdefault(full.lower(), short)
        for key, name in name_parts(names, tokenizer, postings).items():
            pairs.setdefault(key.lower(), name)
        for name in names:  # a name in the question is its own thing: neither it nor its parts expand
            pairs.setdefault(name.lower(), "")
        return cls(tuple(sorted(pairs.items(), key=lambda p: (-len(p[0]), p[0]))))

    def matched(self, text: str) -> tuple[tuple[str, str], ...]:
        """(key, expansion) pairs found in a question, longest first, without overlaps; a whole name
        in the question is not expanded (an abbreviation is: to its full name)."""
        low = text.lower()
        found = []
        for key, expansion in self.pairs:
            if key in low and (not key.isascii() or _whole_word(key, low)):
                if expansion:
                    found.append((key, expansion))
                low = low.replace(key, " ")
        return tuple(found)


def abbreviations_in(texts: Iterable[str]) -> Iterable[tuple[str, str]]:
    """(short form, full name) pairs a report spells out."""
    for text in texts:
        for m in SHORT_AFTER.finditer(text):
            full = name_before(text, m.start())
            if full and full != m.group(1):
                yield m.group(1), full
        for m in SHORT_IS.finditer(text):
            yield m.group(1), m.group(2)
        for m in FULL_THEN_SHORT.finditer(text):
            yield m.group(2), m.group(1)
        for m in LETTERS.finditer(text):
            yield m.group(2), m.group(1)[-MAX_FULL:]


def name_before(text: str, end: int) -> str:
    """The name that ends at `end`: a 《title》 or “quoted name”, else the Chinese characters before it."""
    head = text[:end]
    close = {"》": "《", "”": "“"}.get(head[-1:]) if head else None
    if close:
        start = head.rfind(close)
        return head[start + 1 : -1] if start >= 0 and end - start - 2 <= 2 * MAX_FULL else ""
    run = re.search(r"[\u4e00-\u9fff]+$", head)
    return run.group(0)[-MAX_FULL:] if run else ""


def names_in(chunks: Iterable[Chunk]) -> Iterable[str]:
    """Quoted names and the indicator (first) column of table rows, without units in brackets."""
    for c in chunks:
        for m in QUOTED_NAME.finditer(c.text):
            if CJK_RUN.fullmatch(m.group(1)):
                yield m.group(1)
        if c.kind == TABLE_ROW:
            fields = c.text.split(FIELD)
            if len(fields) > 1:
                name = UNIT.sub("", fields[1].partition("：")[2] or fields[1]).replace("其中", "").strip("：")
                if CJK_RUN.fullmatch(name):
                    yield name


def name_parts(
    names: Iterable[str], tokenizer: Tokenizer, postings: Mapping[str, Sequence[int]]
) -> dict[str, str]:
    """Each part of a name (whole words of it, at least MIN_KEY characters) that the report uses only
    where it uses that name (its chunks are among the name's), mapped to the name: in this report
    失业率 is 城镇调查失业率; 老年人, used everywhere, stands for none of the names holding it."""
    out: dict[str, str] = {}
    jieba = tokenizer._jieba  # type: ignore[attr-defined]
    for name in names:
        own = set(postings.get(name.lower(), ()))
        if not own:
            continue
        cuts = {0, len(name)}
        for word, start, end in jieba.tokenize(name, mode="search"):
            if len(word) >= 2:
                cuts.update((start, end))
        bounds = sorted(cuts)
        for i, s in enumerate(bounds):
            for e in bounds[i + 1 :]:
                part = name[s:e].lower()
                used = postings.get(part)
                if e - s >= MIN_KEY and (s, e) != (0, len(name)) and used and set(used) <= own:
                    out.setdefault(part, name)
    return out


def _whole_word(key: str, text: str) -> bool:
    """An ASCII key counts as a whole word only: DEPA, not the "apec" inside "apecs"."""
    return re.search(rf"(?<![a-z0-9]){re.escape(key)}(?![a-z0-9])", text) is not None
