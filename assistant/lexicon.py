"""One report's question vocabulary: how a question's wording reaches the words the report uses.

Built once per report when its index is opened (ReportIndex.lexicon), from two general sources:
the thesaurus (a question word the report never uses -> its synonyms the report does use: 溜冰 -> 滑冰)
and the report's own definitions (its spelled-out abbreviations and names). A question then costs one
segmentation and a few dictionary look-ups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .definitions import Definitions
from .keyword import KeywordIndex, Tokenizer
from .thesaurus import Thesaurus, cilin, contraction_in
from .types import Chunk

Pairs = tuple[tuple[str, str], ...]
COMMON_SHARE = 0.2  # a synonym in more of the report's chunks (工作, 计划, 实际) names nothing in particular


@dataclass(frozen=True)
class Lexicon:
    tokenizer: Tokenizer
    synonyms: Mapping[str, tuple[str, ...]]  # a word the report never uses -> report words it means
    definitions: Definitions
    text: str = ""  # the report's text, where a contraction of a question's word is looked for
    thesaurus: Thesaurus | None = None

    @classmethod
    def build(
        cls, chunks: Sequence[Chunk], keyword: KeywordIndex, thesaurus: Thesaurus | None = None
    ) -> Lexicon:
        vocabulary = {w: len(ids) for w, ids in keyword.words.postings.items()}
        most = max(1, int(COMMON_SHARE * len(keyword.chunks)))  # one chunk is never "everywhere"
        thesaurus = thesaurus or cilin()
        synonyms = thesaurus.onto(vocabulary, most)
        definitions = Definitions.of(chunks, keyword.tokenizer, keyword.words.postings)
        text = "\n".join(c.text for c in chunks)
        return cls(keyword.tokenizer, synonyms, definitions, text, thesaurus)

    def related(self, text: str) -> Pairs:
        """(question word, its synonyms the report uses) for the question's words the report never
        uses: a looser match than an alias, counted towards coverage like an everyday word. A word the
        report writes only inside a contraction (农村居民 as 城乡居民) is related to it so."""
        out = []
        for w in dict.fromkeys(self.tokenizer.terms(text)):
            found = self.synonyms.get(w)
            if found:
                out.append((w, " ".join(found)))
        return tuple(out) + self.contracted(text)

    def defined(self, text: str) -> Pairs:
        """(part of the question, what the report defines it as): as strong as an alias."""
        return self.definitions.matched(text)

    def contracted(self, text: str) -> Pairs:
        """(question word, the contraction the report writes it in) for words the report never writes."""
        if self.thesaurus is None:
            return ()
        out = []
        for w in dict.fromkeys(self.tokenizer.terms(text)):
            if w not in self.text:
                found = contraction_in(w, self.text, self.thesaurus) or self._one_character(w, text)
                if found:
                    out.append((w, found))
        return tuple(out)

    def _one_character(self, word: str, text: str) -> str | None:
        """The report's phrase that says `word` by a one-character synonym before the question's next
        words (乡镇卫生院 written 镇卫生院), or None."""
        at = text.find(word)
        after = text[at + len(word) : at + len(word) + 2] if at >= 0 else ""
        if len(after) < 2 or not all("\u4e00" <= ch <= "\u9fff" for ch in after):
            return None
        assert self.thesaurus is not None
        return next(
            (c + after for c in sorted(self.thesaurus.characters.get(word, ())) if c + after in self.text),
            None,
        )


def related_in(word: str, related: Pairs, text: str) -> bool:
    """Whether `text` uses a synonym of `word` (a question word the report never uses)."""
    return any(w == word and any(s in text for s in found.split()) for w, found in related)
