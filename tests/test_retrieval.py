"""Hybrid retrieval: score fusion by hand, and HybridRetriever over a tiny hand-built index."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.retrievers import BaseRetriever

from assistant.index import ReportIndex
from assistant.keyword import KeywordIndex, Tokenizer, new_words
from assistant.reports import Report
from assistant.retrieval import (
    FusionParams,
    HybridRetriever,
    cross_encoder_reranker,
    fuse,
    labelled,
    minmax,
    normalise,
)
from assistant.types import PLAN, PROSE, REVIEW, Chunk, Passage

pytestmark = pytest.mark.unit

# keyword: chunk 2 absent; dense: all four.
KEYWORD = {0: 10.0, 1: 5.0, 3: 2.5}  # normalised by max -> {0: 1, 1: .5, 3: .25}
DENSE = {0: 0.2, 1: 0.6, 2: 1.0, 3: 0.4}  # min-max -> {0: 0, 1: .5, 2: 1, 3: .25}
SCOPES = [REVIEW, REVIEW, PLAN, PLAN]


def ids(fused: list[tuple[int, float]]) -> list[int]:
    return [i for i, _ in fused]


# -- normalisation -------------------------------------------------------------------------------


def test_normalise_divides_by_the_best_score_and_keeps_low_scores_above_zero() -> None:
    assert normalise(KEYWORD) == pytest.approx({0: 1.0, 1: 0.5, 3: 0.25})
    assert normalise({}) == {}
    assert normalise({4: 0.0}) == {4: 0.0}


def test_minmax_maps_the_range_to_unit_interval() -> None:
    assert minmax(DENSE) == pytest.approx({0: 0.0, 1: 0.5, 2: 1.0, 3: 0.25})
    assert minmax({1: 0.3, 2: 0.3}) == {1: 1.0, 2: 1.0}
    assert minmax({}) == {}


# -- fusion -----------------------------------------------------------------------------------------


def test_default_like_weights_fuse_as_computed_by_hand() -> None:
    fused = fuse(KEYWORD, DENSE, SCOPES, None, FusionParams(0.7, 0.3, 0.15))
    # 0: .7*1 + .3*0 = .7 ; 1: .7*.5 + .3*.5 = .5 ; 2: 0 + .3*1 = .3 ; 3: .7*.25 + .3*.25 = .25
    assert ids(fused) == [0, 1, 2, 3]
    assert dict(fused) == pytest.approx({0: 0.7, 1: 0.5, 2: 0.3, 3: 0.25})


def test_dense_heavy_weights_change_the_order() -> None:
    fused = fuse(KEYWORD, DENSE, SCOPES, None, FusionParams(0.2, 0.8, 0.15))
    # 0: .2 ; 1: .1 + .4 = .5 ; 2: .8 ; 3: .05 + .2 = .25
    assert ids(fused) == [2, 1, 3, 0]
    assert dict(fused) == pytest.approx({0: 0.2, 1: 0.5, 2: 0.8, 3: 0.25})


def test_a_chunk_absent_from_keyword_results_gets_zero_keyword_score() -> None:
    fused = dict(fuse(KEYWORD, DENSE, SCOPES, None, FusionParams(1.0, 0.0, 0.0)))
    assert fused[2] == 0.0  # present only through dense, which weighs nothing here
    assert fused[3] == pytest.approx(0.25)  # the lowest keyword hit is not squashed to 0 (unlike min-max)


def test_preferred_scope_boost_reorders() -> None:
    params = FusionParams(0.7, 0.3, 0.3)
    assert ids(fuse(KEYWORD, DENSE, SCOPES, None, params)) == [0, 1, 2, 3]
    boosted = fuse(KEYWORD, DENSE, SCOPES, PLAN, params)
    # 0: .7 ; 1: .5 ; 2: .3 + .3 = .6 ; 3: .25 + .3 = .55
    assert ids(boosted) == [0, 2, 3, 1]
    assert dict(boosted) == pytest.approx({0: 0.7, 1: 0.5, 2: 0.6, 3: 0.55})


def test_ties_are_broken_by_chunk_position_whatever_the_input_order() -> None:
    params = FusionParams(0.7, 0.3, 0.0)
    a = fuse({3: 1.0, 1: 1.0, 2: 1.0}, {}, SCOPES, None, params)
    b = fuse({1: 1.0, 2: 1.0, 3: 1.0}, {}, SCOPES, None, params)
    assert a == b
    assert ids(a) == [1, 2, 3]


# -- HybridRetriever over a hand-built index ----------------------------------------------------------


def _chunk(i: int, text: str, scope: str, section: str) -> Chunk:
    return Chunk(f"c{i}", text, (section,), scope, PROSE, i * 100, i * 100 + len(text), len(text))


CHUNKS = [
    _chunk(0, "全年地区生产总值增长8.1%。", REVIEW, "执行情况"),
    _chunk(1, "地区生产总值增长7.5%左右。", PLAN, "发展目标"),
    _chunk(2, "粮食总产量达到52万吨。", REVIEW, "农业农村"),
    _chunk(3, "新建公共充电桩500个。", PLAN, "基础设施"),
]
HAND_DENSE = {0: 0.9, 1: 0.5, 2: 0.1, 3: 0.7}  # min-max -> {0: 1, 1: .5, 2: 0, 3: .75}


REPORT = Report("r.txt", "", "某区", "", "", "计划执行情况与计划草案报告", 2023, 2024, "", "")


class FakeIndex(ReportIndex):
    """A report's index with real chunks and KeywordIndex, no vectors; dense() returns hand-made similarities."""

    def __init__(self, chunks: list[Chunk], dense_scores: dict[int, float]) -> None:
        super().__init__(REPORT, chunks, KeywordIndex(chunks, Tokenizer()), np.zeros((len(chunks), 4)))
        self.dense_scores = dense_scores
        self.calls: list[tuple[list[float], int]] = []

    def dense(self, vector: list[float], k: int) -> dict[int, float]:
        self.calls.append((vector, k))
        return dict(self.dense_scores)


@pytest.fixture(scope="module")
def fake_index() -> FakeIndex:
    return FakeIndex(CHUNKS, HAND_DENSE)


@pytest.fixture
def embeddings() -> DeterministicFakeEmbedding:
    return DeterministicFakeEmbedding(size=4)


def retriever(index: FakeIndex, emb: DeterministicFakeEmbedding, **kw: object) -> HybridRetriever:
    return HybridRetriever(index=index, embeddings=emb, params=FusionParams(0.7, 0.3, 0.15), **kw)


QUESTION = "粮食总产量是多少？"  # keyword hits only chunk 2; no year, no plan word -> no preferred scope
# fused: 2: .7*1 + .3*0 = .7 ; 0: .3*1 = .3 ; 3: .3*.75 = .225 ; 1: .3*.5 = .15
FUSED_ORDER = ["c2", "c0", "c3", "c1"]
FUSED_SCORES = [0.7, 0.3, 0.225, 0.15]


def test_keyword_index_hits_only_the_matching_chunk(fake_index: FakeIndex) -> None:
    assert set(fake_index.keyword.search(QUESTION)) == {2}


def test_search_returns_passages_in_fused_order(
    fake_index: FakeIndex, embeddings: DeterministicFakeEmbedding
) -> None:
    r = retriever(fake_index, embeddings, k=4)
    fake_index.calls.clear()
    passages = r.search(r.understand(QUESTION))
    assert all(isinstance(p, Passage) for p in passages)
    assert [p.chunk.id for p in passages] == FUSED_ORDER
    assert [p.score for p in passages] == pytest.approx(FUSED_SCORES)
    # component scores are the raw ones, not normalised
    assert passages[0].keyword_score == pytest.approx(fake_index.keyword.search(QUESTION)[2])
    assert passages[0].dense_score == pytest.approx(0.1)
    assert passages[1].keyword_score == 0.0 and passages[1].dense_score == pytest.approx(0.9)
    # the dense side was queried with the embedded search text
    ((vector, k),) = fake_index.calls
    assert k == FusionParams().dense_candidates
    assert vector == embeddings.embed_query(QUESTION) and len(vector) == 4


def test_search_respects_k(fake_index: FakeIndex, embeddings: DeterministicFakeEmbedding) -> None:
    r = retriever(fake_index, embeddings, k=2)
    assert [p.chunk.id for p in r.search(r.understand(QUESTION))] == FUSED_ORDER[:2]
    assert [p.chunk.id for p in r.search(r.understand(QUESTION), k=3)] == FUSED_ORDER[:3]


def test_question_year_sets_preferred_scope(
    fake_index: FakeIndex, embeddings: DeterministicFakeEmbedding
) -> None:
    r = HybridRetriever(index=fake_index, embeddings=embeddings, params=FusionParams(1.0, 0.0, 0.5), k=4)
    query = r.understand("2024年粮食总产量是多少？")
    assert query.scope == PLAN
    passages = r.search(query)
    # 2: 1.0 ; plan chunks 1 and 3: 0 + .5 (tie -> position) ; 0: 0
    assert [p.chunk.id for p in passages] == ["c2", "c1", "c3", "c0"]
    assert [p.score for p in passages] == pytest.approx([1.0, 0.5, 0.5, 0.0])


def test_invoke_returns_langchain_documents(
    fake_index: FakeIndex, embeddings: DeterministicFakeEmbedding
) -> None:
    lc = retriever(fake_index, embeddings, k=3).as_langchain()
    assert isinstance(lc, BaseRetriever)
    docs = lc.invoke(QUESTION)
    assert all(isinstance(d, LCDocument) for d in docs)
    assert [d.id for d in docs] == FUSED_ORDER[:3]
    by_id = {c.id: c for c in CHUNKS}
    for d, score in zip(docs, FUSED_SCORES, strict=False):
        chunk = by_id[d.id]
        assert d.page_content == chunk.text
        assert d.metadata["section"] == chunk.section
        assert d.metadata["scope"] == chunk.scope
        assert d.metadata["score"] == pytest.approx(score)


def test_reranker_sees_the_deeper_list_and_decides_the_order(
    fake_index: FakeIndex, embeddings: DeterministicFakeEmbedding
) -> None:
    seen: list[tuple[str, list[str]]] = []

    def reverse(question: str, passages: list[Passage]) -> list[Passage]:
        seen.append((question, [p.chunk.id for p in passages]))
        return list(reversed(passages))

    r = retriever(fake_index, embeddings, k=2, reranker=reverse, rerank_depth=20)
    passages = r.search(r.understand(QUESTION))
    assert seen == [(QUESTION, FUSED_ORDER)]  # depth 20 > k: all four candidates, in fused order
    assert [p.chunk.id for p in passages] == ["c1", "c3"]


def test_cross_encoder_reranker_orders_by_model_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[tuple[str, dict[str, object]]] = []
    predicted: list[list[tuple[str, str]]] = []
    scores = {"c0": 0.2, "c1": 0.9, "c2": -1.5}

    class FakeCrossEncoder:
        def __init__(self, model: str, **kw: object) -> None:
            made.append((model, kw))

        def predict(self, pairs: list[tuple[str, str]]) -> list[float]:
            predicted.append(pairs)
            by_text = {c.indexed_text: scores[c.id] for c in CHUNKS if c.id in scores}
            return [by_text[text] for _, text in pairs]

    monkeypatch.setitem(
        sys.modules, "sentence_transformers", types.SimpleNamespace(CrossEncoder=FakeCrossEncoder)
    )
    rerank = cross_encoder_reranker("/models/fake-ce")
    assert made == [("/models/fake-ce", {"device": "cpu", "local_files_only": True})]

    given = [Passage(CHUNKS[i], 1.0 - i / 10, keyword_score=float(i), dense_score=0.5) for i in (0, 1, 2)]
    out = rerank("地区生产总值增长多少？", given)
    assert predicted == [[("地区生产总值增长多少？", CHUNKS[i].indexed_text) for i in (0, 1, 2)]]
    assert [p.chunk.id for p in out] == ["c1", "c0", "c2"]
    assert [p.score for p in out] == pytest.approx([0.9, 0.2, -1.5])
    assert [p.keyword_score for p in out] == [1.0, 0.0, 2.0]  # component scores carried over


@pytest.mark.unit
def test_a_table_row_yields_to_prose_stating_the_same_unless_a_table_is_asked_about() -> None:
    keyword = {0: 1.0, 1: 0.9}  # 0: a table row, 1: the paragraph that states the same figure
    params = FusionParams(1.0, 0.0, 0.0, table_penalty=0.15)
    assert fuse(keyword, {}, ["review"] * 2, None, params, [True, False])[0][0] == 1
    assert fuse(keyword, {}, ["review"] * 2, None, params, ())[0][0] == 0  # no table marks: no penalty


@pytest.mark.unit
def test_a_box_or_table_named_by_number_picks_its_own_chunks() -> None:
    paths = [
        ("三、2029年重点工作", "专栏12  2029年6件重点民生实事"),
        ("一、2028年执行情况", "表2：2028年民生实事完成情况表"),
        ("一、2028年执行情况", "专栏1  重点项目"),
        ("一、2028年执行情况", "（六）民生福祉，表2所列项目全部完成"),  # mentions 表2 but is not it
    ]
    assert labelled("专栏12里一共有几件民生实事？", paths) == {0}  # 专栏12, not 专栏1
    assert labelled("表 2 里老年食堂建了几个？", paths) == {1}
    assert labelled("民生实事有哪些？", paths) == set()


@pytest.mark.unit
def test_a_word_the_dictionary_lacks_and_the_report_repeats_stays_whole() -> None:
    texts = ["全面推广无人网约车，网约车日均订单量居全市前列。", "增长率达到5%。", "新开通智轨线路2条。"]
    found = new_words(texts)
    assert found == {"网约车"}  # written twice; 智轨 once (and two characters)
    tokenizer = Tokenizer((), found)
    assert "网约车" in tokenizer.terms("没人开的网约车是哪家的？")
    assert "网约车" not in Tokenizer().terms("没人开的网约车是哪家的？")  # jieba alone: 网 约 车
    assert tokenizer.terms("增长率达到多少？")[:2] == ["增长率", "达到"]  # a found word is weak
