"""Hybrid retrieval: keyword BM25 and dense vectors fused by weighted, normalised scores."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from .glossary import with_glosses
from .index import ReportIndex
from .policy import DEFAULT as POLICY
from .policy import Policy
from .query import Query, understand
from .types import Passage

if TYPE_CHECKING:
    from langchain_core.retrievers import BaseRetriever

TABLE_Q = re.compile(r"表|table", re.I)
LABEL = re.compile(r"(专栏|表|附件|图)\s*(\d+)")  # a box or table named by its number: 专栏11, 表2


@dataclass(frozen=True)
class FusionParams:
    """The policy's fusion weights and metadata boosts, as retrieval uses them (defaults: the policy's)."""

    keyword_weight: float = POLICY.fusion.keyword_weight
    dense_weight: float = POLICY.fusion.dense_weight
    scope_boost: float = POLICY.boosts.scope
    table_penalty: float = POLICY.boosts.table  # taken off a table row unless the question asks about a table
    label_boost: float = (
        POLICY.boosts.label
    )  # added to the chunks of a box or table the question names (专栏11)
    dense_candidates: int = POLICY.fusion.dense_candidates

    @classmethod
    def of(cls, policy: Policy) -> FusionParams:
        f, b = policy.fusion, policy.boosts
        return cls(f.keyword_weight, f.dense_weight, b.scope, b.table, b.label, f.dense_candidates)


def normalise(scores: dict[int, float]) -> dict[int, float]:
    """Scale to [0, 1] by the best score (keyword) — 0 stays 0, so absent terms stay absent."""
    if not scores:
        return {}
    top = max(scores.values())
    return {i: (s / top if top > 0 else 0.0) for i, s in scores.items()}


def minmax(scores: dict[int, float]) -> dict[int, float]:
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    span = hi - lo
    return {i: ((s - lo) / span if span > 0 else 1.0) for i, s in scores.items()}


def join(keyword: dict[int, float], dense: dict[int, float], params: FusionParams) -> dict[int, float]:
    """The joiner: weighted sum of the normalised keyword and dense scores (no metadata)."""
    k, d = normalise(keyword), minmax(dense)
    return {
        i: params.keyword_weight * k.get(i, 0.0) + params.dense_weight * d.get(i, 0.0)
        for i in set(k) | set(d)
    }


def meta_boosts(
    scopes: Sequence[str],
    preferred_scope: str | None,
    params: FusionParams,
    tables: Sequence[bool] = (),
    named: Collection[int] = (),
) -> tuple[tuple[str, float, Callable[[int], bool]], ...]:
    """The metadata rules for one question, in order: (name, amount added, which chunks)."""
    return (
        ("scope", params.scope_boost, lambda i: bool(preferred_scope) and scopes[i] == preferred_scope),
        ("table", -params.table_penalty, lambda i: bool(tables) and bool(tables[i])),
        ("label", params.label_boost, lambda i: i in named),
    )


def fuse(
    keyword: dict[int, float],
    dense: dict[int, float],
    scopes: Sequence[str],
    preferred_scope: str | None,
    params: FusionParams,
    tables: Sequence[bool] = (),
    named: Collection[int] = (),
) -> list[tuple[int, float]]:
    """Joined scores, then the metadata boosts: the preferred scope up, table rows (when `tables` marks
    them) down so the prose stating the same figure in context ranks first, a named box or table up."""
    rules = meta_boosts(scopes, preferred_scope, params, tables, named)
    out = []
    for i, s in join(keyword, dense, params).items():
        for _, amount, applies in rules:
            if applies(i):
                s += amount
        out.append((i, s))
    out.sort(key=lambda p: (-p[1], p[0]))
    return out


def labelled(question: str, paths: Iterable[Sequence[str]]) -> set[int]:
    """The chunks inside a box or table the question names by number ("专栏11" is not "专栏1")."""
    labels = {(kind, int(n)) for kind, n in LABEL.findall(question)}
    if not labels:
        return set()
    out = set()
    for i, path in enumerate(paths):
        heads = (LABEL.match(part.strip()) for part in path)  # the heading is the box: "专栏11  2024年…"
        if {(m.group(1), int(m.group(2))) for m in heads if m} & labels:
            out.add(i)
    return out


Reranker = Callable[[str, list[Passage]], list[Passage]]


def cross_encoder_reranker(model: str) -> Reranker:
    """Rerank with a sentence-transformers CrossEncoder named by the settings (off by default)."""
    from sentence_transformers import CrossEncoder

    encoder = CrossEncoder(model, device="cpu", local_files_only=True)

    def rerank(question: str, passages: list[Passage]) -> list[Passage]:
        scores = encoder.predict([(question, p.chunk.indexed_text) for p in passages])
        order = sorted(zip(passages, scores, strict=True), key=lambda ps: -float(ps[1]))
        return [Passage(p.chunk, float(s), p.keyword_score, p.dense_score) for p, s in order]

    return rerank


class HybridRetriever:
    """Hybrid retrieval over one report's share of the index; `search` returns scored Passages.

    `as_langchain()` is the same retriever as a LangChain BaseRetriever (`invoke(question)` -> Documents).
    It is built on demand: importing langchain_core.retrievers takes ~0.8 s (LangSmith tracing), which
    the answer path, calling `search` directly, does not need at start-up.
    """

    def __init__(
        self,
        index: ReportIndex,
        embeddings: Embeddings,
        params: FusionParams = FusionParams(),  # noqa: B008 - frozen value
        k: int = 5,
        reranker: Reranker | None = None,
        rerank_depth: int = 20,
        query_cache_size: int = 1024,
    ) -> None:
        self.index = index
        self.embeddings = embeddings
        self.params = params
        self.k = k
        self.reranker = reranker
        self.rerank_depth = rerank_depth
        self.query_cache_size = query_cache_size
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._cache_lock = threading.Lock()

    def embed_query(self, text: str) -> list[float]:
        """The query vector, from a small LRU cache: kiosk visitors ask the same starter questions."""
        if self.query_cache_size <= 0:
            return self.embeddings.embed_query(text)
        with self._cache_lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        vector = self.embeddings.embed_query(text)
        with self._cache_lock:
            self._cache[text] = vector
            while len(self._cache) > self.query_cache_size:
                self._cache.popitem(last=False)
        return vector

    def query_vectors(self, queries: Sequence[Query]) -> list[list[float]]:
        """The vectors of several queries, those not cached embedded together in one engine call."""
        texts = [q.search_text for q in queries]
        with self._cache_lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            batch = getattr(self.embeddings, "embed_queries", None)
            fresh = batch(missing) if callable(batch) else [self.embeddings.embed_query(t) for t in missing]
            known.update(zip(missing, fresh, strict=True))
            if self.query_cache_size > 0:
                with self._cache_lock:
                    for t in missing:
                        self._cache[t] = known[t]
                    while len(self._cache) > self.query_cache_size:
                        self._cache.popitem(last=False)
        return [known[t] for t in texts]

    def share_cache_with(self, other: HybridRetriever) -> None:
        """Use another retriever's query-vector cache (the reports of one corpus share one model)."""
        self._cache, self._cache_lock = other._cache, other._cache_lock

    def understand(self, question: str) -> Query:
        return with_glosses(
            understand(question, self.index.years, lexicon=self.index.lexicon), self.index.keyword
        )

    def search(self, query: Query, k: int | None = None, vector: list[float] | None = None) -> list[Passage]:
        """The k best passages; `vector` is the query's vector if the caller has it already."""
        k = k or self.k
        keyword = self.index.keyword.search(query.search_text)
        if vector is None:
            vector = self.embed_query(query.search_text)
        dense = self.index.dense(vector, self.params.dense_candidates)
        tables = () if TABLE_Q.search(query.text) else self.index.table_rows
        named = labelled(query.text, (c.section_path for c in self.index.chunks))
        fused = fuse(keyword, dense, self.index.scopes, query.scope, self.params, tables, named)
        depth = max(k, self.rerank_depth if self.reranker else k)
        passages = [
            Passage(self.index.chunks[i], s, keyword.get(i, 0.0), dense.get(i, 0.0)) for i, s in fused[:depth]
        ]
        if self.reranker and passages:
            passages = self.reranker(query.text, passages)
        return passages[:k]

    def as_langchain(self) -> BaseRetriever:
        """This retriever behind LangChain's BaseRetriever interface."""
        return _langchain_class()(hybrid=self)


@lru_cache(maxsize=1)
def _langchain_class() -> Any:
    """The BaseRetriever adapter class, defined on first use (see HybridRetriever)."""
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document as LCDocument
    from langchain_core.retrievers import BaseRetriever
    from pydantic import ConfigDict

    class LangChainHybridRetriever(BaseRetriever):
        """LangChain view of a HybridRetriever: Documents with section, scope, kind and fused score."""

        model_config = ConfigDict(arbitrary_types_allowed=True)
        hybrid: Any

        def _get_relevant_documents(
            self, query: str, *, run_manager: CallbackManagerForRetrieverRun
        ) -> list[LCDocument]:
            h = self.hybrid
            return [
                LCDocument(
                    page_content=p.chunk.text,
                    id=p.chunk.id,
                    metadata={
                        "section": p.chunk.section,
                        "scope": p.chunk.scope,
                        "kind": p.chunk.kind,
                        "score": p.score,
                    },
                )
                for p in h.search(h.understand(query))
            ]

    return LangChainHybridRetriever
