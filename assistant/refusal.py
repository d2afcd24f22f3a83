"""Decide when the report does not answer a question. General signals, calibrated on the dev split.

1. coverage: the IDF-weighted share of the question's content words found in the best passage;
2. a specific noun the report never uses (商品房, 门票), unless an alias maps it to report words;
3. a place name (…区/县/市/镇) that the passage of the best sentence does not mention;
4. a question about a time the report does not resolve (几月几号, 第一季度, 哪一年) whose best
   sentence holds no such time, or a year the report neither reviews nor plans;
5. "who" questions whose best sentence names no person.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import jieba.posseg as pseg

from .keyword import KeywordIndex
from .query import Query, load_aliases
from .types import GENERAL, Passage

PLACE = re.compile(r"^[\u4e00-\u9fff]{1,6}(区|县|市|省|镇|乡|州)$")
TIME_Q = re.compile(
    r"几月|几号|哪天|哪一天|什么时候|何时|哪一年|哪年|季度|上半年|下半年|\d{1,2}月|when", re.I
)
TIME_A = re.compile(r"\d{1,2}月|\d{1,2}日|季度|上半年|下半年|(?:19|20)\d{2}年")
WHO_Q = re.compile(r"谁|\bwho\b", re.I)
YEAR_IN_TEXT = re.compile(r"(?:19|20)\d{2}年?")
QUESTION_WORDS = re.compile(r"哪些|哪个|哪几个?|哪类|哪项|什么|多少|是谁|怎么样|如何|报告")


class RefusalPolicy:
    def __init__(self, keyword: KeywordIndex, threshold: float, unknown_threshold: float = 1.01) -> None:
        self.keyword = keyword
        self.threshold = threshold
        self.unknown_threshold = unknown_threshold  # an unknown term refuses below this coverage
        # jieba.posseg already read the part-of-speech table when imported (~1 s); reuse it with our
        # tokenizer (which knows the report's own terms) instead of reading it a second time.
        self.pos = pseg.POSTokenizer.__new__(pseg.POSTokenizer)
        self.pos.tokenizer = keyword.tokenizer._jieba  # type: ignore[attr-defined]
        self.pos.word_tag_tab = pseg.dt.word_tag_tab
        self.n = max(len(keyword.chunks), 1)

    def _df(self, word: str) -> int:
        return len(self.keyword.words.postings.get(word.lower(), ()))

    def _alias_covered(self, word: str, query: Query) -> bool:
        low = query.text.lower()
        return any(a in low and (word.lower() in a or a in word.lower()) for a, _ in load_aliases())

    def reason(
        self,
        query: Query,
        passages: Sequence[Passage],
        coverage: float,
        best_sentence: str,
        best_context: str,
        years: tuple[int | None, int | None],
        function_words: set[str],
        best_scope: str = GENERAL,
    ) -> str | None:
        """Why the report cannot answer, or None if it can."""
        hard, unknown = self.signals(
            query, passages, best_sentence, best_context, years, function_words, best_scope
        )
        if hard:
            return hard
        if unknown and coverage < self.unknown_threshold:
            return f"unknown term {unknown} (coverage {coverage:.2f})"
        if coverage < self.threshold:
            return f"coverage {coverage:.2f}"
        return None

    def signals(
        self,
        query: Query,
        passages: Sequence[Passage],
        best_sentence: str,
        best_context: str,
        years: tuple[int | None, int | None],
        function_words: set[str],
        best_scope: str = GENERAL,
    ) -> tuple[str | None, str | None]:
        """(a reason that alone decides, a term the report never uses) — either may be None."""
        if not passages:
            return "no passage", None
        top = " ".join(p.chunk.indexed_text for p in passages[:3]).lower()
        other = [y for y in query.years if y not in years]
        if other and not any(str(y) in p.chunk.text for p in passages[:3] for y in other):
            return f"year {other[0]} not covered", None
        if TIME_Q.search(query.text):
            report_years = {f"{y}年" for y in years if y}
            if not [t for t in TIME_A.findall(best_sentence) if t not in report_years]:
                return "time not stated", None
        if WHO_Q.search(query.text) and not any(f == "nr" for _, f in self.pos.cut(best_sentence)):
            return "no person named", None
        if (
            query.years  # the scope comes from a year the question names, not from words like 目标
            and query.scope
            and best_scope not in (query.scope, GENERAL)
            and not any(str(y) in best_sentence for y in query.years)
        ):
            return "only the other year is covered", None
        text = QUESTION_WORDS.sub(" ", YEAR_IN_TEXT.sub(" ", query.text))
        if query.english:
            text = query.search_text[len(query.text) :]
        unknown = None
        for word, flag in self.pos.cut(text):
            if len(word) < 2 or word in function_words or not flag.startswith("n"):
                continue
            place = flag == "ns" or bool(PLACE.match(word))
            if self._alias_covered(word, query) or word.lower() in (best_context.lower() if place else top):
                continue
            if place and self._df(word) < 0.2 * self.n:
                return f"place {word} not in passages", None
            # a real word (not a segmentation artefact) the report never uses
            if unknown is None and self._df(word) == 0 and self._jieba_knows(word):
                unknown = word
        return None, unknown

    def _jieba_knows(self, word: str) -> bool:
        return self.keyword.tokenizer._jieba.FREQ.get(word, 0) > 0  # type: ignore[attr-defined]
