"""Wire the parts once: `build_assistant(settings)` returns the Assistant the app and CLI call."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator, Sequence

from .answering import ExtractiveAnswerer
from .batching import BatchingEmbeddings
from .chunking import ChunkerParams
from .combine import combine, label_citations, uncovered_refusal, with_parts
from .embeddings import embedder_id, make_embeddings
from .followup import carried, condense
from .index import OpenIndex, ReportIndex, ensure_index
from .query import asked_parts, normal_text
from .reports import Report, place_level
from .retrieval import FusionParams, HybridRetriever, cross_encoder_reranker
from .routing import (
    Route,
    own_names,
    own_place_out,
    rare_own_names,
    route,
    switched_place,
    with_place,
    without_places,
)
from .settings import Settings
from .starters import starter_questions
from .store import Progress
from .structure import ReportYears
from .types import Answer, QuestionError
from .vocab import ASKING_VERBS, FUNCTION_WORDS, TARGET_WORDS, YEAR_NIAN, alternation
from .vocab import YEAR_NIAN_OPT as YEAR

History = Sequence[tuple[str, str]]
HOW_Q = re.compile(r"怎么|怎样|如何|为什么|为啥|咋|啥办法|什么办法")
# part-of-speech flags that name a thing as nouns do: idioms and set phrases (粮食产量, 停车难),
# abbreviations, attributives that only modify a noun (公共充电桩 = 公共/b 充电/v 桩/q)
NOUN_LIKE = frozenset({"l", "i", "j", "b", "vn", "an"})
ENGLISH_FOLLOW = {"and", "what", "about", "how", "the", "then", "that", "this", "year", "last", "next"}


@dataclasses.dataclass
class Shelf:
    """One report's retriever and answerer over its share of the index."""

    view: ReportIndex
    retriever: HybridRetriever
    extractive: ExtractiveAnswerer
    rare_names: tuple[str, ...] = ()  # its own place names it rarely writes (routing.own_place_out)

    @property
    def report(self) -> Report:
        return self.view.report


@dataclasses.dataclass
class Asked:
    """One report's part of answering a question: its query and passages."""

    shelf: Shelf
    query: object
    passages: list


class Assistant:
    """Answers questions about the indexed report; one instance serves all sessions (stateless per call)."""

    def __init__(
        self,
        settings: Settings,
        index: OpenIndex,
        shelves: dict[str, Shelf],
        llm=None,
    ) -> None:  # type: ignore[no-untyped-def]
        self.settings = settings
        self.policy = settings.policy
        self.index = index
        self.shelves = shelves
        self.llm = llm
        self._starters: dict[str, dict[str, list[str]]] = {}

    @property
    def reports(self) -> list[Report]:
        return [s.report for s in self.shelves.values()]

    @property
    def first(self) -> Shelf:
        return next(iter(self.shelves.values()))

    # single-report compatibility: the first (or only) report's parts
    @property
    def retriever(self) -> HybridRetriever:
        return self.first.retriever

    @property
    def extractive(self) -> ExtractiveAnswerer:
        return self.first.extractive

    def report_named(self, report: str | None) -> str | None:
        """A report file from a file name or short name (UI/API/CLI); None for all; ValueError if unknown."""
        if not report or report in ("全部", "all"):
            return None
        for r in self.reports:
            if report in (r.file, r.short_name, r.place):
                return r.file
        names = "、".join(r.short_name for r in self.reports)
        raise QuestionError(f"没有名为“{report}”的报告。现有报告：{names}")

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
        if len(self.reports) > 1:
            switched = switched_place(question, self.reports)
            if switched is not None:  # "那上海呢？": the previous question, asked of the other report
                previous = history[-1][0]
                names = [n for r in self.reports for n in own_names(r)]
                return with_place(previous, question, switched, names)
        if self.llm:
            return self.llm.condense(question, history)
        from .query import resolve_years

        years = self.first.view.years if len(self.reports) == 1 else ReportYears(None, None)
        resolved = resolve_years(question, years)
        prior = [(resolve_years(q, years), a) for q, a in history]
        return condense(resolved, prior, own_topic=self._names_topic)

    def _names_topic(self, text: str) -> bool:
        """True if the text names something of its own: a noun, one of the report's terms, a content
        verb (停车难怎么解决) rather than one that only asks about a figure (增长了多少), or an English
        question of its own (a follow-up is condensed only when it cannot stand alone)."""
        ascii_words = [w for w in re.findall(r"[A-Za-z]{3,}", text) if w.lower() not in ENGLISH_FOLLOW]
        if len(ascii_words) >= 3:
            return True
        how = HOW_Q.search(text) is not None  # "停车难怎么解决": a problem of its own, asked how to solve
        for word, flag in self.extractive.tagger(YEAR.sub(" ", text)):
            if len(word) < 2 or word in FUNCTION_WORDS or word in ASKING_VERBS:
                continue
            if (
                flag.startswith("n")
                or flag in NOUN_LIKE
                or flag == "eng"
                and word.isupper()  # an abbreviation (GDP, CPI) names a statistic
                or how
                and flag[:1] in ("v", "a")
                and not word.isascii()
            ):
                return True
            if (
                flag == "x"
                and not word.isascii()
                and any(s.view.keyword.idf(word) is not None for s in self.shelves.values())
            ):
                return True
        return False

    def route(self, text: str, report: str | None = None) -> Route:
        return route(text, self.reports, self.report_named(report))

    def _prepare(self, question: object, history: History, report: str | None = None):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        q = self.validate(question)
        standalone = self.standalone(q, history)
        plan = self.route(standalone, report)
        asked = []
        for file in plan.reports:
            shelf = self.shelves[file]
            # each report is asked only about itself: the other places named are taken out
            others = [m for m in plan.mentions if m not in own_names(shelf.report)]
            text = without_places(standalone, others) if others else standalone
            text = own_place_out(text, shelf.rare_names) if shelf.rare_names else text
            retriever = shelf.retriever
            query = retriever.understand(text)
            if standalone != q:  # a condensed follow-up: what its own words ask for (kind_text)
                query = dataclasses.replace(query, asked=normal_text(q, shelf.view.years))
            sides = self._compare_sides(retriever, query) if query.kind == "compare" else []
            # a comparison searches for each side too: all its query vectors in one engine call
            vectors = retriever.query_vectors([query, *sides]) if sides else [None]
            passages = retriever.search(query, vector=vectors[0])
            if sides:
                passages = self._compare_passages(retriever, passages, sides, vectors[1:])
            asked.append(Asked(shelf, query, passages))
        t1 = time.perf_counter()
        return q, standalone, plan, asked, {"retrieval_ms": (t1 - t0) * 1000}, t0

    def _compare_sides(self, retriever, query):  # type: ignore[no-untyped-def]
        """The two sides of a comparison ("2023年…比2024年…高多少"), each as a query of its own."""
        from .comparison import sides

        split = sides(query.text)
        if not split:
            return []
        left, right = split
        subject = re.sub(YEAR_NIAN.pattern + "|实际|" + alternation(TARGET_WORDS), "", left)
        return [retriever.understand(side) for side in (left, subject + right)]

    def _compare_passages(self, retriever, passages, sides, vectors):  # type: ignore[no-untyped-def]
        """Each side of a comparison retrieved on its own, so both figures are among the passages."""
        merged = {p.chunk.id: p for p in passages[:3]}
        for side, vector in zip(sides, vectors, strict=True):
            for p in retriever.search(side, k=3, vector=vector):
                merged.setdefault(p.chunk.id, p)
        return sorted(merged.values(), key=lambda p: -p.score)[: self.settings.top_k + 3]

    def _extractive(self, q: str, standalone: str, plan: Route, asked: list[Asked]) -> Answer:
        if not asked:  # a place no report is about
            return uncovered_refusal(q, standalone, plan.uncovered, self.reports)
        parts = []
        for a in asked:
            y = a.shelf.view.years
            ans = a.shelf.extractive.answer(a.query, a.passages, (y.review, y.plan))
            support = a.shelf.extractive.support(a.query, a.passages) if len(asked) > 1 else 1.0
            parts.append((a.shelf.report, label_citations(ans, a.shelf.report), support))
        answer = combine(parts, plan.rule, len(self.reports) > 1, self.policy.routing.compare_support_ratio)
        return dataclasses.replace(answer, question=q, standalone_question=standalone, route=plan.rule)

    def _named(self, answer: Answer, report: Report) -> Answer:
        """A model answer over several reports says which one it is from, as extractive answers do."""
        if len(self.reports) < 2 or answer.refused or answer.text.startswith("【"):
            return answer
        return dataclasses.replace(answer, text=f"【{report.short_name}】{answer.text}")

    def _llm_ok(self, asked: list[Asked], extractive: Answer) -> bool:
        return bool(self.llm) and not extractive.refused and len(asked) == 1

    def _later_parts(self, whole: Answer, history: History, report: str | None) -> Answer:
        """A question that asks several things in turn ("…改造了多少个老旧小区？今年又要新开工改造多少
        个？"): each part is also asked on its own, a later one with the time the part before it names
        and, if it names no thing of its own, its things (`carried`); what their answers quote beyond
        the whole answer is added. A whole refused is answered by its parts only if each answers."""
        parts = asked_parts(whole.question)
        if len(parts) < 2:
            return whole
        texts = [self.standalone(parts[0], history)]
        for part in parts[1:]:
            things = [] if self._names_topic(part) else self._things(texts[-1])  # its own topic
            texts.append(carried(texts[-1], part, things))
        answers = []
        for text in texts:
            q, standalone, plan, asked, _, _ = self._prepare(text, (), report)
            answers.append(self._extractive(q, standalone, plan, asked))
        if whole.refused:  # refused as a whole (one part's kind looked for in another's sentences)
            if any(a.refused for a in answers):
                return whole
            joined = with_parts(answers[0], answers[1:])
            return dataclasses.replace(
                joined, question=whole.question, standalone_question=whole.standalone_question
            )
        return with_parts(whole, answers)

    def _things(self, text: str) -> list[str]:
        """The nouns a question names (过江通道, 老旧小区), not its years or question words."""
        return [
            w
            for w, flag in self.extractive.tagger(YEAR.sub(" ", text))
            if len(w) >= 2 and w not in FUNCTION_WORDS and (flag.startswith("n") or flag == "vn")
        ]

    def ask(self, question: str, history: History = (), report: str | None = None) -> Answer:
        """A verified, cited answer (or a refusal). Raises QuestionError for unusable questions."""
        q, standalone, plan, asked, timings, t0 = self._prepare(question, history, report)
        extractive = self._later_parts(self._extractive(q, standalone, plan, asked), history, report)
        answer = extractive
        if self._llm_ok(asked, extractive):
            a = asked[0]
            answer = self.llm.answer(a.query.text, a.passages, lambda: extractive, a.shelf.report)
            answer = dataclasses.replace(
                self._named(label_citations(answer, a.shelf.report), a.shelf.report),
                question=q,
                standalone_question=standalone,
                suggestions=answer.suggestions or extractive.suggestions,
                reports=extractive.reports,
                route=plan.rule,
            )
        timings["total_ms"] = (time.perf_counter() - t0) * 1000
        return dataclasses.replace(answer, timings={**answer.timings, **timings})

    def stream(
        self, question: str, history: History = (), report: str | None = None
    ) -> Iterator[str | Answer]:
        """Text deltas as they are produced, then the final Answer."""
        q, standalone, plan, asked, timings, t0 = self._prepare(question, history, report)
        extractive = self._later_parts(self._extractive(q, standalone, plan, asked), history, report)
        if not self._llm_ok(asked, extractive):
            timings["total_ms"] = (time.perf_counter() - t0) * 1000
            yield dataclasses.replace(extractive, timings=timings)
            return
        a = asked[0]
        for item in self.llm.stream(a.query.text, a.passages, lambda: extractive, a.shelf.report):
            if isinstance(item, Answer):
                timings["total_ms"] = (time.perf_counter() - t0) * 1000
                yield dataclasses.replace(
                    self._named(label_citations(item, a.shelf.report), a.shelf.report),
                    question=q,
                    standalone_question=standalone,
                    timings={**item.timings, **timings},
                    reports=extractive.reports,
                    route=plan.rule,
                )
            else:
                yield item

    def extractive_only(self) -> Assistant:
        """The same assistant without the language model (shares the index and the reports' parts)."""
        return Assistant(self.settings, self.index, self.shelves, None)

    def starter_questions(self, report: str | None = None) -> dict[str, list[str]]:
        """Starter questions by group, for one report (the first if none is named)."""
        file = self.report_named(report) or self.first.report.file
        if file not in self._starters:
            view = self.shelves[file].view
            self._starters[file] = starter_questions(view.chunks, view.years)
        return self._starters[file]

    def close_engines(self) -> None:
        """Stop the embedding engines' threads (the e5 pool); queued texts are finished first."""
        seen: set[int] = set()
        for shelf in self.shelves.values():
            emb = shelf.retriever.embeddings
            close = getattr(emb, "close", None)
            if id(emb) not in seen and callable(close):
                seen.add(id(emb))
                close()

    def health(self) -> dict[str, object]:
        m = self.index.manifest
        return {
            "status": "ok",
            "chunks": m.chunk_count,
            "embedder": m.embedder,
            "corpus_sha256": m.corpus_sha256,
            "reports": [r.short_name for r in self.reports],
            "mode": self.mode,
            "built_at": m.built_at,
        }

    def report_records(self) -> list[dict[str, object]]:
        """`GET /api/reports`: each report's metadata and chunk count."""
        return [{**s.report.as_dict(), "chunks": len(s.view.chunks)} for s in self.shelves.values()]

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
        from .loading import scan_corpus

        if not hasattr(self, "_texts"):
            self._texts = {d.path.rsplit("/", 1)[-1]: d.text for d in scan_corpus(self.settings.corpus)[0]}
        return self._texts.get(source, "")


def build_assistant(
    settings: Settings,
    progress: Progress | None = None,
    rebuild: bool | None = None,
    check_store: bool = True,
) -> Assistant:
    """Load (or build) the index and wire retrieval and answering from the settings.

    check_store=False opens the Chroma store later (OpenIndex.check_store), when the build keeps its
    vectors beside the chunks: the server answers a second sooner and checks the store afterwards."""
    embeddings = make_embeddings(
        settings.embedder, settings.embed_workers, settings.embed_threads, settings.embed_queue
    )
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
        check_store,
    )
    reranker = cross_encoder_reranker(settings.reranker) if settings.reranker else None
    policy = settings.policy
    params = FusionParams.of(policy)
    queries = embeddings  # one micro-batcher for every report's questions
    if settings.embed_batch > 0 and not getattr(embeddings, "pooled", False):
        queries = BatchingEmbeddings(
            embeddings, settings.embed_batch, settings.embed_window_ms / 1000, settings.embed_queue
        )
    shelves = {}
    for file, view in index.reports.items():
        retriever = HybridRetriever(
            index=view,
            embeddings=queries,
            k=settings.top_k,
            reranker=reranker,
            query_cache_size=settings.query_cache_size,
            params=params,
        )
        extractive = ExtractiveAnswerer(view.keyword, policy)
        extractive.rules.own_places = own_names(view.report)
        extractive.rules.own_level = place_level(view.report.place)
        rare = rare_own_names(view.report, [c.text for c in view.chunks], policy.routing.own_place_rare_share)
        shelves[file] = Shelf(view, retriever, extractive, rare)
    _share_query_cache(list(shelves.values()))
    llm = None
    if settings.llm_enabled:
        from .llm import LLMAnswerer

        llm = LLMAnswerer.from_settings(settings)
    return Assistant(settings, index, shelves, llm)


def _share_query_cache(shelves: list[Shelf]) -> None:
    """One query-vector cache for all reports: a question asked of several is embedded once."""
    first = shelves[0].retriever
    for s in shelves[1:]:
        s.retriever.share_cache_with(first)
