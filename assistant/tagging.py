"""Part-of-speech tagging of questions and report sentences (jieba's HMM tagger over the report's own
tokenizer), each text tagged once."""

from __future__ import annotations

from functools import lru_cache

from .keyword import KeywordIndex

POS_CACHE = 4096  # tagged texts kept per index


class Tagger:
    def __init__(self, keyword: KeywordIndex) -> None:
        # jieba.posseg reads its part-of-speech table when imported (~0.5 s): imported here, when an
        # index is opened, not when this module is. Its table is reused with our tokenizer (which knows
        # the report's own terms) instead of being read a second time.
        import jieba.posseg as pseg

        self.pos = pseg.POSTokenizer.__new__(pseg.POSTokenizer)
        self.pos.tokenizer = keyword.tokenizer._jieba  # type: ignore[attr-defined]
        self.pos.word_tag_tab = pseg.dt.word_tag_tab
        # tagging is pure-Python HMM work (~1 ms a question); a question is tagged by several checks,
        # and the report's own sentences recur across questions: each text is tagged once
        self.tags = lru_cache(maxsize=POS_CACHE)(self._tags)

    def _tags(self, text: str) -> tuple[tuple[str, str], ...]:
        """(word, part-of-speech flag) pairs of a text."""
        return tuple((p.word, p.flag) for p in self.pos.cut(text))

    def __call__(self, text: str) -> tuple[tuple[str, str], ...]:
        return self.tags(text)
