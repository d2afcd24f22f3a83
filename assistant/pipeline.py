"""Wire the parts once: `build_assistant(settings)` returns the Assistant the app and CLI call."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator, Sequence

from .answering import ExtractiveAnswerer
from .chunking import ChunkerParams
from .embeddings import embedder_id, make_embeddings
from .followup import condense
from .index import OpenIndex, ensure_index
from .retrieval import FusionParams, HybridRetriever, cross_encoder_reranker
from .settings import Settings
from .starters import starter_questions
from .store import Progress
from .types import Answer, QuestionError

History = Sequence[tuple[str, str]]
YEAR = re.compile(r"(?:19|20)\d{2}年?")


class Assistant:
    """Answers questions about the indexed report; one instance serves all sessions (stateless per call)."""

    def __init__(
        self,
        settings: Settings,
        index: OpenIndex,
        retriever: HybridRetriever,
        extractive: ExtractiveAnswerer,
        llm=None,
    ) -> None:  # type: ignore[no-untyped-def]
        self.settings = settings
        self.index = index
        self.retriever = retriever
        self.extractive = extractive
        self.llm = llm
        self._starters: dict[str, list[str]] | None = None

    @property
    def mode(self) -> str:
        return f"llm:{self.settings.llm_model}" if self.llm else "extractive"

    def validate(self, question: object) -> str:
        if not isinstance(question, str) or not question.strip():
            raise QuestionError("请输入一个问题。")
        q = question.strip()
        if len(q) > self.settings.max_question_chars:
            raise QuestionError(
                f"问题太长了（{len(q)} 字），请精简到 {self.settings.max_question_chars} 字以内。"
            )
        if any("\ud800" <= ch <= "\udfff" for ch in q):  # lone surrogates (JSON "\ud800") cannot be encoded
            raise QuestionError("问题中含有无法识别的字符，请检查后重新输入。")
        return q

    def standalone(self, question: str, history: History) -> str:
        def ok(t: object) -> str:  # lone surrogates (e.g. from JSON "\ud800") cannot be encoded
            return str(t).encode("utf-8", "replace").decode()

        cap = self.settings.max_question_chars  # as asked questions were; bounds the standalone question
        history = [(ok(q)[:cap], ok(a)) for q, a in history if str(q).strip()][-4:]
        if not history:
            return question
        if self.llm:
            return self.llm.condense(question, history)
        from .query import resolve_years

        years = self.index.years
        resolved = resolve_years(question, years)
        prior = [(resolve_years(q, years), a) for q, a in history]
        return condense(resolved, prior, own_topic=self._names_topic)

    def _names_topic(self, text: str) -> bool:
        """True if the text names something of its own (a noun, or one of the report's terms)."""
        from .answering import FUNCTION_WORDS

        kw = self.index.keyword
        for word, flag in self.extractive.policy.pos.cut(YEAR.sub(" ", text)):
            if len(word) < 2 or word in FUNCTION_WORDS:
                continue
            if flag.startswith("n") or flag == "x" and kw.idf(word) is not None and not word.isascii():
                return True
        return False

    def _prepare(self, question: object, history: History):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        q = self.validate(question)
        standalone = self.standalone(q, history)
        query = self.retriever.understand(standalone)
        passages = self.retriever.search(query)
        if query.kind == "compare":
            passages = self._compare_passages(query, passages)
        t1 = time.perf_counter()
        return q, query, passages, {"retrieval_ms": (t1 - t0) * 1000}, t0

    def _compare_passages(self, query, passages):  # type: ignore[no-untyped-def]
        """Each side of a comparison retrieved on its own, so both figures are among the passages."""
        from .comparison import PIVOT

        m = PIVOT.search(query.text)
        if not m:
            return passages
        left, right = query.text[: m.start()], query.text[m.end() :]
        subject = re.sub(r"(?:19|20)\d{2}年|目标|计划|实际|预期", "", left)
        merged = {p.chunk.id: p for p in passages[:3]}
        for side in (left, subject + right):
            for p in self.retriever.search(self.retriever.understand(side), k=3):
                merged.setdefault(p.chunk.id, p)
        return sorted(merged.values(), key=lambda p: -p.score)[: self.settings.top_k + 3]

    def _extractive(self, q: str, query, passages) -> Answer:  # type: ignore[no-untyped-def]
        y = self.index.years
        ans = self.extractive.answer(query, passages, (y.review, y.plan))
        return dataclasses.replace(ans, question=q, standalone_question=query.text)

    def ask(self, question: str, history: History = ()) -> Answer:
        """A verified, cited answer (or a refusal). Raises QuestionError for unusable questions."""
        q, query, passages, timings, t0 = self._prepare(question, history)
        extractive = self._extractive(q, query, passages)
        answer = extractive
        if self.llm and not extractive.refused:
            answer = self.llm.answer(query.text, passages, lambda: extractive)
            answer = dataclasses.replace(
                answer,
                question=q,
                standalone_question=query.text,
                suggestions=answer.suggestions or extractive.suggestions,
            )
        timings["total_ms"] = (time.perf_counter() - t0) * 1000
        return dataclasses.replace(answer, timings={**answer.timings, **timings})

    def stream(self, question: str, history: History = ()) -> Iterator[str | Answer]:
        """Text deltas as they are produced, then the final Answer."""
        q, query, passages, timings, t0 = self._prepare(question, history)
        extractive = self._extractive(q, query, passages)
        if not self.llm or extractive.refused:
            timings["total_ms"] = (time.perf_counter() - t0) * 1000
            yield dataclasses.replace(extractive, timings=timings)
            return
        for item in self.llm.stream(query.text, passages, lambda: extractive):
            if isinstance(item, Answer):
                timings["total_ms"] = (time.perf_counter() - t0) * 1000
                yield dataclasses.replace(
                    item, question=q, standalone_question=query.text, timings={**item.timings, **timings}
                )
            else:
                yield item

    def extractive_only(self) -> Assistant:
        """The same assistant without the language model (shares the index and retriever)."""
        return Assistant(self.settings, self.index, self.retriever, self.extractive, None)

    def starter_questions(self) -> dict[str, list[str]]:
        if self._starters is None:
            self._starters = starter_questions(self.index.chunks, self.index.years)
        return self._starters

    def health(self) -> dict[str, object]:
        m = self.index.manifest
        return {
            "status": "ok",
            "chunks": m.chunk_count,
            "embedder": m.embedder,
            "corpus_sha256": m.corpus_sha256,
            "mode": self.mode,
            "built_at": m.built_at,
        }

    def context(self, chunk_id: str, chars: int = 240) -> tuple[str, str, str]:
        """The passage with the report text around it, for "show in context"."""
        pos = self.index.position(chunk_id)
        if pos is None:
            return "", "", ""
        chunk = self.index.chunks[pos]
        text = self._source_text(chunk.source)
        if not text:
            return "", chunk.text, ""
        return (
            text[max(0, chunk.start - chars) : chunk.start],
            text[chunk.start : chunk.end],
            text[chunk.end : chunk.end + chars],
        )

    def _source_text(self, source: str) -> str:
        from .loading import load_corpus

        if not hasattr(self, "_texts"):
            self._texts = {d.path.rsplit("/", 1)[-1]: d.text for d in load_corpus(self.settings.corpus)}
        return self._texts.get(source, "")


def build_assistant(
    settings: Settings, progress: Progress | None = None, rebuild: bool | None = None
) -> Assistant:
    """Load (or build) the index and wire retrieval and answering from the settings."""
    embeddings = make_embeddings(settings.embedder)
    params = ChunkerParams(target_tokens=settings.chunk_tokens, overlap_sentences=settings.chunk_overlap)
    index = ensure_index(
        settings.corpus,
        settings.index_dir,
        embeddings,
        embedder_id(embeddings),
        params,
        settings.chroma_host,
        settings.chroma_port,
        progress,
        settings.rebuild_index if rebuild is None else rebuild,
    )
    reranker = cross_encoder_reranker(settings.reranker) if settings.reranker else None
    retriever = HybridRetriever(
        index=index,
        embeddings=embeddings,
        k=settings.top_k,
        reranker=reranker,
        query_cache_size=settings.query_cache_size,
        params=FusionParams(
            settings.keyword_weight, settings.dense_weight, settings.scope_boost, settings.table_penalty
        ),
    )
    extractive = ExtractiveAnswerer(
        index.keyword, settings.refusal_threshold, unknown_term_coverage=settings.unknown_term_coverage
    )
    llm = None
    if settings.llm_enabled:
        from .llm import LLMAnswerer

        llm = LLMAnswerer.from_settings(settings)
    return Assistant(settings, index, retriever, extractive, llm)
