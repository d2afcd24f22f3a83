"""Extractive answers: the report's own sentences that answer the question, each with its citation."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from functools import lru_cache

from .comparison import compare
from .glossary import gloss_terms
from .keyword import KeywordIndex
from .numerals import numeral_value
from .pointing import (
    CLAUSE,
    ENUM,
    FIGURE,
    TARGET,
    Asks,
    asks_count,
    coverage,
    point,
)
from .policy import DEFAULT as DEFAULT_POLICY
from .policy import Policy
from .query import COLLOQUIAL_FILE, Query, is_formal, load_aliases, matched_aliases
from .refusal import (
    NOT_A_FIGURE,
    PASSAGES,
    QUOTED,
    WANTS_NAME,
    WHERE_Q,
    Case,
    Decision,
    RefusalRules,
    kind_text,
    missing_kind,
)
from .sentences import Sentence, sentences_of
from .sentences import when as _when
from .structure import LIST_ITEM_RE
from .tables import UNIT_IN_NAME, readable_record
from .tagging import Tagger
from .types import BOX, GENERAL, LIST_ITEM, PLAN, REVIEW, TABLE_ROW, Answer, Citation, Passage
from .vocab import CJK_CHAR, CN_DIGITS, FUNCTION_WORDS
from .vocab import YEAR as YEAR_TOKEN

REFUSAL = "抱歉，这份报告没有涉及这个问题，无法根据报告回答。"
NUM = re.compile(r"\d+(?:\.\d+)?")
NO_FIGURE = {"—", "－", "-", "―", "/", "无"}
FIGURE_KINDS = ("number", "compare")  # questions asking for a figure
# an item asked by its number (第一件, 第3项) and the numbered items of a list ("1.更新改造…。 2.…")
ORDINAL_ASKED = re.compile(rf"第([{CN_DIGITS}十]+|\d+)(?:件|项|个|条|点|类|批)")
NUMBERED = re.compile(r"(?:^|(?<=\s))(\d{1,2})[.．、](?!\d)[^\n]+?(?=\s+\d{1,2}[.．、](?!\d)|\n|$)")
ORDINAL_PASSAGES = 3  # top passages searched for it
MIN_COMPOUND = 3  # a word this long the report never writes may be read as the words it is made of


def _starts(word: str, part: str) -> list[int]:
    return [i for i in range(len(word) - len(part) + 1) if word.startswith(part, i)]


@lru_cache(maxsize=1024)
def everyday_pairs(text: str) -> tuple[tuple[str, str], ...]:
    """(everyday word, report terms) pairs in a question: they count towards coverage, not ranking."""
    return matched_aliases(text, load_aliases(COLLOQUIAL_FILE))


def asked_phrases(query: Query) -> set[str]:
    """The report terms the question's words stand for, whole ("老百姓收入" -> 全体居民人均可支配收入)."""
    return {e for _, e in query.aliases + everyday_pairs(query.text) if " " not in e and len(e) > 2}


class ExtractiveAnswerer:
    """Pick the sentences that best answer the question from the top passages."""

    def __init__(
        self,
        keyword: KeywordIndex,
        policy: Policy = DEFAULT_POLICY,
    ) -> None:
        self.keyword = keyword
        self.tokenizer = keyword.tokenizer
        self.policy = policy
        self.weights = policy.sentences
        self.max_idf = max(keyword.words.idf.values(), default=1.0)
        self._terms = lru_cache(maxsize=512)(self._query_terms)
        self.tagger = Tagger(keyword)
        self.rules = RefusalRules(keyword, self.tagger, policy.refusal)

    # -- scoring ---------------------------------------------------------------------------------
    def query_terms(self, query: Query, everyday: bool = False) -> dict[tuple[str, ...], float]:
        """Content words of the question with their alternatives and weights (computed once per query)."""
        return self._terms(query, everyday)

    def _query_terms(self, query: Query, everyday: bool = False) -> dict[tuple[str, ...], float]:
        """Content words of the question, each with its alias alternatives, weighted by IDF.

        A group counts as present if any alternative is: "GDP" is found as 地区生产总值, 增速 as 增长.
        Words the report never uses (and no alias explains) weigh most. Years are checked apart.
        """
        terms: dict[tuple[str, ...], float] = {}
        n = len(self.keyword.chunks) or 1
        nouns = {w for w, flag in self.tagger(query.text) if flag.startswith("n") or flag == "eng"}
        words, glued = self._glued(self.tokenizer.terms(query.text))
        pairs = query.aliases + (everyday_pairs(query.text) if everyday else ())
        related = dict(query.related) if everyday else {}
        for w in words:
            if w in FUNCTION_WORDS or YEAR_TOKEN.fullmatch(w) or len(w) == 1 and not w.isdigit():
                continue
            if query.english and not CJK_CHAR.search(w):
                continue  # English words are matched through their Chinese alias expansions
            alts = [w]
            for alias, expansion in pairs:
                if w in alias or alias in w:
                    alts += [t for t in self.tokenizer.words(expansion) if t not in FUNCTION_WORDS]
            idfs = [self._idf(a, glued) for a in alts]
            known = [k for k in idfs if k is not None]
            formal = w in nouns and is_formal(w)  # 常住人口: names something the report may not cover
            parts = self._parts(w) if not known and len(alts) == 1 and not formal else []
            if parts:  # 文体活动, a word the report never writes, is 文体 and 活动, which it does
                for part in parts:
                    terms.setdefault((part,), (self.keyword.idf(part) or 0.0) / len(parts))
                continue
            if not known and len(alts) == 1:
                # a word the report never uses: a formal noun (常住人口) names something it may not cover
                # (weighs most); an everyday noun (房顶, 娃娃) or verb (加起来, 做买卖) only phrases it
                idf = self.max_idf if formal else self.weights.unknown_non_noun * self.max_idf
            elif not known:
                continue
            else:
                idf = max(k for k in known if k is not None)
            df = min((len(self.keyword.words.postings.get(a, ())) for a in alts), default=0)
            if w in related:  # a thesaurus synonym lets the word be found; it does not make it weigh more
                alts += related[w].split()
            common = df > self.weights.common_share * n
            terms[tuple(dict.fromkeys(alts))] = idf * (self.weights.common_weight if common else 1.0)
        for alias, expansion in pairs:  # an alias the tokenizer split (社零 -> 社/零) is still a term
            if (
                query.english
                or alias not in query.text
                or any(len(w) > 1 and (alias in w or w in alias) for w in words)
            ):
                continue
            alts = [alias, *(t for t in self.tokenizer.words(expansion) if t not in FUNCTION_WORDS)]
            known = [k for k in (self._idf(a, glued) for a in alts) if k is not None]
            if known:
                terms[tuple(dict.fromkeys(alts))] = max(known)
        if query.english:
            for _, expansion in query.aliases:
                for w in self.tokenizer.words(expansion):
                    if self.keyword.idf(w) is not None and w not in FUNCTION_WORDS:
                        terms.setdefault((w,), self.weights.english_alias * (self.keyword.idf(w) or 0.0))
            idf = lambda w: self.keyword.idf(w) or self.keyword.phrase_idf(w)  # noqa: E731
            for alts, weight in gloss_terms(query, idf, self.max_idf).items():
                terms.setdefault(alts, weight)
        return terms

    def _parts(self, word: str) -> list[str]:
        """The words a compound the report never writes is made of, when the report writes each of
        them and together they spell it, or all of it but a last character saying what about it
        (文体活动 = 文体 + 活动, 停车难 = 停车 + 难; not 城里人 = 城里 + 里人)."""
        if len(word) < MIN_COMPOUND:
            return []
        parts = [
            p
            for p in self.tokenizer.words(word)
            if p != word and len(p) >= 2 and self.keyword.idf(p) is not None
        ]
        covered = {i for p in parts for at in _starts(word, p) for i in range(at, at + len(p))}
        # all of it, or all but a last character that says what about it (停车难 = 停车 + 难)
        return parts if covered >= set(range(len(word) - 1)) else []

    def _idf(self, word: str, glued: set[str]) -> float | None:
        idf = self.keyword.idf(word)
        return self.keyword.phrase_idf(word) if idf is None and word in glued else idf

    def _glued(self, words: list[str]) -> tuple[list[str], set[str]]:
        """A lone character joined to the word before it when the report uses the joined form: jieba
        splits 消费券 into 消费/券, and 券 alone would be dropped. (Not to the word after it: 修+改造.)
        Returns the words and which of them were joined."""
        out: list[str] = []
        glued: set[str] = set()
        i = 0
        while i < len(words):
            w = words[i]
            nxt = words[i + 1] if i + 1 < len(words) else ""
            if len(nxt) == 1 and CJK_CHAR.match(nxt) and len(w) > 1 and self.keyword.phrase_idf(w + nxt):
                glued.add(w + nxt)
                out.append(w + nxt)
                i += 2
                continue
            out.append(w)
            i += 1
        return out, glued

    def coverage(self, terms: dict[tuple[str, ...], float], text: str) -> float:
        return coverage(terms, text)

    def _score(
        self,
        query: Query,
        terms: dict[str, float],
        sent: str,
        context: str,
        rank: int,
        fused: float,
        asks: Asks,
        everyday: dict[tuple[str, ...], float] | None = None,
    ) -> float:
        w = self.weights
        own = self.coverage(terms, sent)
        ctx = self.coverage(terms, context)
        if everyday is not None:  # an everyday word's report term counts a little (a looser match)
            own = (1 - w.everyday_credit) * own + w.everyday_credit * self.coverage(everyday, sent)
            ctx = (1 - w.everyday_credit) * ctx + w.everyday_credit * self.coverage(everyday, context)
        s = w.own * own + w.context * ctx + w.fused * fused - w.rank_step * rank
        has_num = bool(NUM.search(NOT_A_FIGURE.sub(" ", sent)))  # a year or a title counts nothing
        if query.kind in ("number", "compare") and not has_num:
            s -= w.no_number
        if query.kind == "list" and ENUM.search(sent):
            s += w.list_enum
        if asks.counted and asks.counted.search(sent):
            s += w.measure  # "几所幼儿园": a sentence counting in 所
        if asks.target and TARGET.search(sent):
            s += w.target  # "目标是多少" after a result: the target it was measured against
        for y in query.years:
            if str(y) in sent:
                s += w.year
        return s

    def rank_sentences(self, query: Query, passages: Sequence[Passage]) -> list[Sentence]:
        terms = self.query_terms(query)
        everyday = self.query_terms(query, everyday=True) if self.weights.everyday_credit else None
        everyday = everyday if everyday != terms else None
        asks = Asks.of(query.text)
        top = passages[0].score if passages else 1.0
        phrases = asked_phrases(query)
        out = []
        for i, p in enumerate(passages):
            context = p.chunk.indexed_text
            units = sentences_of(p)
            if query.kind == "list" and p.chunk.kind in (BOX, LIST_ITEM) and len(units) > 1:
                units = [*units, (p.chunk.text, 0)]  # the list as a whole may answer "包括哪些"
            for text, start in units:
                fused = p.score / top if top else 0.0
                whole = text == p.chunk.text and len(units) > 1
                own = f"{p.chunk.section_path[-1]}\n{text}" if whole else text
                score = self._score(query, terms, own, context, i, fused, asks, everyday)
                score += self._asked_bonus(query, text, phrases)
                if query.scope and p.chunk.scope not in (query.scope, GENERAL):
                    score -= self.weights.other_scope  # a 2024 target does not answer a 2023 question
                cov = self.coverage(terms, f"{p.chunk.section} {text}")
                out.append(Sentence(i, text, start, score, cov))
        out.sort(key=lambda s: -s.score)
        return out

    def _asked_bonus(self, query: Query, text: str, phrases: set[str]) -> float:
        """Rank by what is asked: a sentence naming the whole term a question's everyday word stands for
        (居民人均可支配收入 for 老百姓收入, not 一般公共预算收入 sharing 收入), or a place for "在哪里"."""
        bonus = self.weights.phrase if any(p in text for p in phrases) else 0.0
        if WHERE_Q.search(kind_text(query)) and any(f == "ns" for _, f in self.tagger(text)):
            bonus += self.weights.place
        return bonus

    # -- answering -------------------------------------------------------------------------------
    def support(self, query: Query, passages: Sequence[Passage]) -> float:
        """How well the best of the top passages covers the question's content words (0..1)."""
        terms = self.query_terms(query, everyday=True)
        return max((self.coverage(terms, p.chunk.indexed_text) for p in passages[:3]), default=0.0)

    def _section_opening(self, query: Query, passages: Sequence[Passage]) -> list[Sentence]:
        """ "What does section X say": the opening sentences of the passage whose heading best matches."""
        terms = self.query_terms(query)
        i = max(range(len(passages)), key=lambda k: (self.coverage(terms, passages[k].chunk.section), -k))
        chunk = passages[i].chunk
        units = sentences_of(passages[i])
        out, used = [], 0
        for text, start in units:
            if text.strip().rstrip("。：:") == chunk.section_path[-1]:
                continue  # the heading itself says nothing more
            if out and used + len(text) > self.weights.summary_chars:
                break
            out.append(Sentence(i, text, start, 1.0, 1.0))
            used += len(text)
        return out or [Sentence(i, chunk.text, 0, 1.0, 1.0)]

    def _prefer_asked_year(
        self, query: Query, passages: Sequence[Passage], ranked: list[Sentence]
    ) -> list[Sentence]:
        """If the question names a year and a close runner-up comes from that year's part, lead with it."""
        if not (ranked and query.years and query.scope):
            return ranked
        if passages[ranked[0].passage].chunk.scope in (query.scope, GENERAL):
            return ranked
        for i, s in enumerate(ranked[1:], 1):
            if s.score < ranked[0].score * self.weights.prefer_asked_year:
                break
            if passages[s.passage].chunk.scope == query.scope:
                return [s, *ranked[:i], *ranked[i + 1 :]]
        return ranked

    def case(
        self,
        query: Query,
        passages: Sequence[Passage],
        ranked: Sequence[Sentence],
        years: tuple[int | None, int | None],
    ) -> Case:
        """What the refusal rules look at: the question, the passages and the best sentence."""
        chunk = passages[ranked[0].passage].chunk if ranked else None
        return Case(
            query,
            passages,
            self.support(query, passages),
            ranked[0].text if ranked else "",
            chunk.indexed_text if chunk else "",
            chunk.scope if chunk else GENERAL,
            years,
            FUNCTION_WORDS,
        )

    def refusal_reason(
        self,
        query: Query,
        passages: Sequence[Passage],
        ranked: Sequence[Sentence],
        years: tuple[int | None, int | None],
    ) -> Decision | None:
        """The first-stage refusal rule that fires, if any."""
        return self.rules.decide(self.case(query, passages, ranked, years), PASSAGES)

    def answer(
        self, query: Query, passages: Sequence[Passage], years: tuple[int | None, int | None]
    ) -> Answer:
        ranked = self.rank_sentences(query, passages) if passages else []
        ranked = self._prefer_asked_year(query, passages, ranked)
        case = self.case(query, passages, ranked, years)
        decision = self.rules.decide(case, PASSAGES)
        if decision:
            # sections are suggested only if the question shares something with them at all
            return _ruled(refusal(query, passages, suggest=case.coverage > 0), str(decision))
        item = ordinal_item(query, passages)
        if item is not None:  # "其中第一件是什么？" after a list was asked about: its item 1
            return _ruled(compose(query, [item], passages, years), "list: the item asked by its number")
        if query.kind == "summary":
            return _ruled(
                compose(query, self._section_opening(query, passages), passages, years),
                "summary: section opening",
            )
        if query.kind == "compare":
            compared = compare(query, ranked, passages, self.tokenizer, years, self.policy.comparing)
            if compared:
                return _ruled(compared, "comparison: both figures and the arithmetic")
        best = ranked[0]
        p0 = passages[best.passage]
        if p0.chunk.kind in (BOX, LIST_ITEM) and best.text.strip().endswith(("：", ":")):
            item = explained_item(best, p0)
            if item is not None:  # a numbered term ("6.轨道交通“四网融合”：") is answered by what it says
                return _ruled(compose(query, [item], passages, years), "list: the item and its explanation")
            # the best match is the label that opens a list ("两大主导产业集群："): the list answers
            return _ruled(
                compose(query, list_units(best, passages), passages, years), "list: the items under its label"
            )
        if query.kind == "list":
            parallel = parallel_units(best, passages)
            if parallel:
                return _ruled(compose(query, parallel, passages, years), "list: sentences opening alike")
        if query.kind == "list" and p0.chunk.kind in (BOX, LIST_ITEM) and best.text == p0.chunk.text:
            # the question is about the list itself (its heading), not one item in it
            heading = self.coverage(self.query_terms(query), p0.chunk.section_path[-1])
            item = max(
                (s.coverage for s in ranked if s.passage == best.passage and s.text != best.text), default=0.0
            )
            named = ITEM_NAME.match(p0.chunk.text.strip())  # "5.生物医药及大健康产业：…" is asked by name
            if named and p0.chunk.kind == LIST_ITEM:
                item = max(item, self.coverage(self.query_terms(query), named.group(1)))
            if heading >= item:
                return _ruled(
                    compose(query, list_units(best, passages), passages, years),
                    "list: the list asked about by its heading",
                )
            parts = [s for s in ranked if s.passage == best.passage and s.text != best.text]
            if parts:  # answer with the item's own sentences rather than the whole list item
                ranked = [s for s in ranked if not (s.passage == best.passage and s.text == best.text)]
                best, p0 = ranked[0], passages[ranked[0].passage]
        chosen = [best]
        table_first = p0.chunk.kind == TABLE_ROW and query.kind == "number"
        # a table row's number reads better next to the sentence that states it with its unit;
        # other questions take a second sentence more readily (their key facts spread further)
        w = self.weights
        bar = (
            w.second_after_row
            if table_first
            else w.second_number
            if query.kind == "number"
            else w.second_other
        )
        # a figure is stated in a sentence or two; what is done about something spreads further
        most = w.max_sentences if query.kind in FIGURE_KINDS else w.max_sentences_open
        for s in ranked[1:]:
            if len(chosen) >= most:
                break
            if s.text in {c.text for c in chosen} or s.score < ranked[0].score * bar:
                continue
            if s.coverage < best.coverage * self.weights.same_thing:
                continue  # a second sentence must be about the same thing
            if query.scope and passages[s.passage].chunk.scope not in (query.scope, GENERAL):
                continue  # ... and the same year (a 2024 target does not add to a 2023 result)
            # (a second sentence of the same passage when the question asks two things: "几个…？几个…？")
            if (
                query.kind in ("list", "compare", "other", "define")
                or s.passage != chosen[0].passage
                or asks_count(query) > 1
            ):
                chosen.append(s)
        explained = [_explained(c, passages) for c in chosen]  # a glossary term quoted says what it is
        whole = {i for i, (a, b) in enumerate(zip(chosen, explained, strict=True)) if a is not b}
        chosen = explained
        decision = self._quoted_decision(query, case, chosen, passages)
        if decision and decision.rule.name == "missing-kind":
            # a runner-up about the same thing that holds the kind asked for answers instead
            for s in ranked[1:]:
                if s.score < ranked[0].score * self.weights.kind_runner_up:
                    break
                other_part = query.scope and passages[s.passage].chunk.scope not in (query.scope, GENERAL)
                if (
                    s.coverage >= best.coverage * self.weights.kind_coverage
                    and s.text != best.text
                    and not other_part
                ):
                    if not self._quoted_decision(query, case, [s], passages):
                        best, chosen, decision = s, [s], None
                        break
        if decision:  # "总投资是多少" over a passage that only names the project
            return _ruled(refusal(query, passages), str(decision))
        if self.weights.point_clauses:
            terms = self.query_terms(query, everyday=True)  # everyday words point at the clause they mean
            pointed_at = [
                c if i in whole else point(query, terms, c, passages, self.tagger)
                for i, c in enumerate(chosen)
            ]
            chosen = self._adding(query, terms, pointed_at, passages)
        pointed = any(c.pointed for c in chosen)
        return _ruled(
            compose(query, chosen, passages, years),
            "answer: the clauses asked about" if pointed else "answer: best sentences",
        )

    def _quoted_decision(
        self, query: Query, case: Case, chosen: Sequence[Sentence], passages: Sequence[Passage]
    ) -> Decision | None:
        """The second-stage refusal rules over the sentences the answer would quote."""
        held = " ".join(figures_text(c, passages) for c in chosen)
        if WANTS_NAME.search(kind_text(query)) or WHERE_Q.search(kind_text(query)):
            held = self._clauses_about(query, held)  # the name or place must be of what is asked about
        case.quoted, case.blank_cell = held, blank_cell_asked(query.text, chosen[0], passages)
        return self.rules.decide(case, QUOTED)

    def _adding(
        self,
        query: Query,
        terms: dict[tuple[str, ...], float],
        chosen: list[Sentence],
        passages: Sequence[Passage],
    ) -> list[Sentence]:
        """The first quote, and a further one only if it adds what was asked: a word of the question
        the quotes so far lack, the kind of figure asked for (the other half of "总量和增速"), a figure
        where there is none, the target asked after a result, the rest of a table row, the other year of a question naming two, the words that state a table
        row's figure; or a sentence (not another table row, which is another indicator) the ranking
        cannot tell from the first."""
        out = [chosen[0]]
        for s in chosen[1:]:
            held = "".join(c.text for c in out)
            if s.text.strip().rstrip("。；，") in held:
                continue  # no sentence or label twice
            if self._adds(query, terms, out, s, passages, chosen[0]):
                out.append(s)
        return out

    def _adds(
        self,
        query: Query,
        terms: dict[tuple[str, ...], float],
        held: list[Sentence],
        s: Sentence,
        passages: Sequence[Passage],
        first: Sentence,
    ) -> str | None:
        """What a further quote adds that was asked (the first reason that holds), or None."""
        text = "".join(c.text for c in held)
        kind = passages[s.passage].chunk.kind
        reasons = (
            (
                "a word asked",
                lambda: (
                    self.coverage(terms, text + s.text) > self.coverage(terms, text) + self.weights.adds_min
                ),
            ),
            (
                "the kind of figure asked",
                lambda: (
                    missing_kind(kind_text(query), text) is not None
                    and missing_kind(kind_text(query), text + s.text) is None
                ),
            ),
            (
                "a figure",
                lambda: len(FIGURE.findall(text)) < max(1, asks_count(query)) and bool(FIGURE.search(s.text)),
            ),
            (
                "the target asked",
                lambda: (
                    Asks.of(query.text).target and not TARGET.search(text) and bool(TARGET.search(s.text))
                ),
            ),
            (
                "the other year",
                lambda: (
                    len(set(query.years)) > 1
                    and passages[s.passage].chunk.scope not in {passages[c.passage].chunk.scope for c in held}
                ),
            ),
            (
                "the rest of the row",  # a long table row is indexed in parts: "项目名称：…，（续）…"
                lambda: (
                    kind == TABLE_ROW
                    and any(_row_name(c.text) == _row_name(s.text) for c in held if "｜" in c.text)
                ),
            ),
            (
                "the words of a table row's figure",
                lambda: {passages[c.passage].chunk.kind for c in held} == {TABLE_ROW} and kind != TABLE_ROW,
            ),
            (
                "a close second",
                lambda: (
                    s.score >= first.score * self.weights.second_close
                    and kind != TABLE_ROW  # another row is another indicator
                ),
            ),
        )
        return next((name for name, holds in reasons if holds()), None)

    def _clauses_about(self, query: Query, text: str) -> str:
        """The clauses of `text` holding one of the question's specific words (not one on every page,
        like the district's own name): "举办第十届…旅游节" names a festival, not the pandas asked about."""
        n = len(self.keyword.chunks) or 1
        specific = []
        for alts in self.query_terms(query, everyday=True):
            dfs = [len(self.keyword.words.postings.get(a, ())) for a in alts]
            if (
                0 < max(dfs) and min(dfs) <= self.policy.refusal.specific_share * n
            ):  # a report word, not on every page
                specific.append(alts)
        if not specific:
            return text
        clauses = re.split(r"[，；。]", text)
        return "，".join(c for c in clauses if any(a in c for alts in specific for a in alts))


def _row_name(record: str) -> str:
    """A table row's name (its first cell), which every part of a long row repeats."""
    return record.split("｜")[1] if "｜" in record else ""


def _ruled(answer: Answer, rule: str) -> Answer:
    """The answer, recording the rule that decided it (shown by `ask --explain` and the eval workbench)."""
    return dataclasses.replace(answer, rule=rule)


def figures_text(s: Sentence, passages: Sequence[Passage]) -> str:
    """The figures a sentence states, for the wanted-figure check: a table row with each value carrying
    its header's unit, and neither the bare header units nor the cells marked "—" (no figure given)."""
    if passages[s.passage].chunk.kind != TABLE_ROW:
        return s.text
    fields = readable_record(s.text).split("，")
    kept = [f for f in fields if not (f.partition("：")[1] and f.partition("：")[2].strip() in NO_FIGURE)]
    return UNIT_IN_NAME.sub("", "，".join(kept))


def blank_cell_asked(question: str, s: Sentence, passages: Sequence[Passage]) -> bool:
    """Whether the question names a column ("总量") whose cell in this table row is "—" (not given)."""
    if passages[s.passage].chunk.kind != TABLE_ROW:
        return False
    for field in s.text.split("｜")[1:]:
        name, sep, value = field.partition("：")
        column = UNIT_IN_NAME.sub("", name).rpartition("-")[2].strip()
        if sep and value.strip() in NO_FIGURE and len(column) >= 2 and column in question:
            return True
    return False


NEXT_ITEM = re.compile(r"\n\s*" + LIST_ITEM_RE.pattern.removeprefix("^"))  # a line opening the next item
ITEM_NAME = re.compile(r"^((?:\d{1,2}[.．、])?[^，。；：:]{2,24})[：:]")


def _explained(s: Sentence, passages: Sequence[Passage]) -> Sentence:
    """A term-only item ("10.金融“五篇大文章”：") with the explanation after it, else the sentence."""
    p = passages[s.passage]
    if p.chunk.kind in (BOX, LIST_ITEM) and s.text.strip().endswith(("：", ":")):
        return explained_item(s, p) or s
    return s


def explained_item(best: Sentence, p: Passage) -> Sentence | None:
    """A numbered item that is only a term and a colon, with its explanation on the lines after it (the
    annex of a work report: "6.轨道交通“四网融合”：\n\n指干线铁路……的融合。"), up to the next item."""
    text = p.chunk.text
    if not LIST_ITEM_RE.match(best.text.strip()):
        return None
    nxt = NEXT_ITEM.search(text, best.start + len(best.text))
    body = text[best.start : nxt.start() if nxt else len(text)].rstrip()
    explained = re.sub(r"\s*\n\s*", "", body)
    if explained == best.text.strip():
        return None  # no explanation follows: the label opens a list
    return dataclasses.replace(best, text=body, display=explained)


def list_units(best: Sentence, passages: Sequence[Passage]) -> list[Sentence]:
    """A list or box answers "包括哪些" as a whole: its items by name, across its retrieved parts."""
    p0 = passages[best.passage].chunk
    parts = sorted(
        (
            i
            for i, p in enumerate(passages)
            if p.chunk.section_path == p0.section_path and p.chunk.kind == p0.kind
        ),
        key=lambda i: passages[i].chunk.start,
    )
    units = []
    lines = {i: [x.strip() for x in passages[i].chunk.text.split("\n") if x.strip()] for i in parts}
    items = sum(1 for i in parts for line in lines[i] if not line.endswith(("：", ":")))
    for i in parts:
        pieces = []
        for line in lines[i]:
            if line.endswith(("：", ":")):
                pieces.append(line)  # the list's own heading
                continue
            m = ITEM_NAME.match(line) if items > 1 else None  # a lone item is answered in full
            pieces.append((m.group(1) if m else line.rstrip("。；;")) + "；")
        units.append(Sentence(i, "".join(pieces).rstrip("；"), 0, best.score, best.coverage))
    return units


def ordinal_item(query: Query, passages: Sequence[Passage]) -> Sentence | None:
    """The numbered item a question asks for by its number (其中第一件是什么 -> "1.更新改造105个老旧小区。"),
    from the first of the top passages that is a numbered list holding it; None otherwise."""
    m = ORDINAL_ASKED.search(kind_text(query))
    number = numeral_value(m.group(1)) if m else None
    if number is None:
        return None
    for i, p in enumerate(passages[:ORDINAL_PASSAGES]):
        if p.chunk.kind not in (BOX, LIST_ITEM):
            continue
        for item in NUMBERED.finditer(p.chunk.text):
            if item.group(1) == str(number):
                return Sentence(i, item.group(0).strip(), item.start(), p.score, 1.0)
    return None


def parallel_units(best: Sentence, passages: Sequence[Passage]) -> list[Sentence]:
    """Sentences of the best one's section that open as it does ("紧盯“蓝天”保卫战…。紧盯“碧水”攻坚战…"),
    each by its first clause, in the report's order: together they are the list asked for (empty
    unless there are at least three, across the retrieved parts of that section)."""
    p0 = passages[best.passage].chunk
    label = re.compile(r"^\s*[^，。；：:]{1,12}[：:]")  # "污染防治：" before the first sentence

    def body(text: str, start: int) -> tuple[str, int]:
        m = label.match(text)
        if m:
            return text[m.end() :], start + m.end()
        return text.lstrip(), start + len(text) - len(text.lstrip())

    first_clause = CLAUSE.match(body(best.text, best.start)[0])
    head = first_clause.group(0)[:2] if first_clause else ""
    if len(head) < 2 or not CJK_CHAR.match(head) or best.text == p0.text or ENUM.search(best.text):
        return []  # a list inside the sentence ("A、B、C") is answered by the sentence itself
    parts = sorted(
        (i for i, p in enumerate(passages) if p.chunk.section_path == p0.section_path),
        key=lambda i: passages[i].chunk.start,
    )

    def opening(head: str, units) -> list[Sentence]:  # type: ignore[no-untyped-def]
        out: list[Sentence] = []
        for i, text, start in units:
            rest, at = body(text, start)
            clause = CLAUSE.match(rest)
            first = clause.group(0).rstrip("，；：") if clause else rest
            if rest.startswith(head) and first not in {s.text for s in out}:  # parts of a section overlap
                out.append(Sentence(i, first, at, best.score, best.coverage))
        return out if len(out) >= 3 else []

    found = opening(head, [(i, t, st) for i in parts for t, st in sentences_of(passages[i])])
    if found or FIGURE.search(best.text) or len(CLAUSE.findall(best.text.rstrip("。；"))) > 1:
        return found
    # a one-clause topic sentence ("加快培育壮大新型专门经济形态。") whose next sentences open alike
    # ("发展总部经济，…。发展平台经济，…"): they are its items
    at = p0.start + best.start
    after = [
        (i, t, st) for i in parts for t, st in sentences_of(passages[i]) if passages[i].chunk.start + st > at
    ]
    if not after or p0.kind == TABLE_ROW:
        return []
    lead = CLAUSE.match(body(after[0][1], after[0][2])[0])
    head = lead.group(0)[:2] if lead else ""
    return opening(head, after) if len(head) == 2 and CJK_CHAR.match(head) else []


def scope_label(scope: str, years: tuple[int | None, int | None]) -> str:
    review, plan = years
    if scope == REVIEW and review:
        return f"{review}年计划执行情况"
    if scope == PLAN and plan:
        return f"{plan}年计划安排"
    return "报告"


def compose(
    query: Query,
    chosen: Sequence[Sentence],
    passages: Sequence[Passage],
    years: tuple[int | None, int | None] = (None, None),
) -> Answer:
    """Answer text in the report's words with [n] markers, one citation per passage used."""
    order: list[int] = []
    for s in chosen:
        if s.passage not in order:
            order.append(s.passage)
    citations = []
    parts = []
    said = ""  # the year the previous part opened with: "2026年，A[1]；B[1]", not "…；2026年，B[1]"
    for s in chosen:
        n = order.index(s.passage) + 1
        p = passages[s.passage]
        text = (s.text if s.pointed else s.display or s.text).strip()  # the clauses asked about
        if p.chunk.kind == TABLE_ROW:
            text, said = readable_record(text), ""  # its title names the year
        elif not query.english:
            dated = _when(text, p.chunk.scope, years, s.display or s.text)
            year = dated[: len(dated) - len(text)]
            text, said = (text if year and year == said else dated), year
        parts.append(f"{text.rstrip('。；;，,')}[{n}]")
    for n, pi in enumerate(order, 1):
        p = passages[pi]
        spans = [_span(p.chunk.text, s) for s in chosen if s.passage == pi]
        citations.append(
            Citation(n, p.chunk.id, p.chunk.section, p.chunk.text, spans[0], p.chunk.start, p.chunk.end)
        )
    # the section a quote comes from is on its citation card; an English answer says what it quotes
    lead = _lead(passages[order[0]], years, english=True) if query.english else ""
    body = "；".join(parts) + "。"
    return Answer(
        text=f"{lead}{body}",
        citations=tuple(citations),
        refused=False,
        mode="extractive",
        question=query.original,
        standalone_question=query.text,
        passages=tuple(passages),
    )


def _span(passage: str, s: Sentence) -> tuple[int, int]:
    """Where the quoted sentence sits in its passage (the whole passage for a summarised list)."""
    end = s.start + len(s.text)
    if passage[s.start : end] == s.text:
        return (s.start, end)
    if s.pointed:  # a table row's asked cells, or a run of clauses after its sentence's label
        pieces = s.text.split("｜")[2:] if "｜" in s.text else [s.text.partition("：")[2] or s.text]
        found = [(at, at + len(x)) for x in pieces if x and (at := passage.find(x, s.start)) >= 0]
        if found:
            return (min(a for a, _ in found), max(b for _, b in found))
    return (0, len(passage))


def _lead(p: Passage, years: tuple[int | None, int | None], english: bool = False) -> str:
    """Say what the figures are: which part of the report (review year's results or plan year's targets)."""
    where = p.chunk.section_path[-1]
    if english:
        review, plan = years
        part = {REVIEW: f"the {review} plan execution", PLAN: f"the {plan} plan"}.get(
            p.chunk.scope, "the report"
        )
        return f"According to the report ({part}, “{where}”): "
    return f"据报告{scope_label(p.chunk.scope, years)}部分“{where}”："


def refusal(query: Query, passages: Sequence[Passage], suggest: bool = True) -> Answer:
    """The fixed polite refusal, with up to three sections worth a look (if any are related at all)."""
    seen: list[str] = []
    for p in passages[:5] if suggest else ():
        if p.chunk.section not in seen:
            seen.append(p.chunk.section)
    return Answer(
        text=REFUSAL,
        refused=True,
        mode="extractive",
        question=query.original,
        standalone_question=query.text,
        suggestions=tuple(seen[:3]),
        passages=tuple(passages),
    )
