"""Open the built index, rebuilding it when it is missing, stale or damaged."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from .chunking import ChunkerParams
from .keyword import KeywordIndex, Tokenizer, user_terms
from .loading import load_corpus
from .store import (
    Expected,
    Manifest,
    Progress,
    build_index,
    chroma_client,
    chroma_location,
    current_build,
    load_chunks,
    load_vectors,
    read_manifest,
    release_chroma_cache,
)
from .structure import ReportYears
from .types import TABLE_ROW, Chunk, IndexUnavailableError

log = logging.getLogger(__name__)


@dataclass
class OpenIndex:
    """Everything retrieval needs, loaded once: chunks, keyword index, the chunks' vectors (in memory
    when the build has vectors.npy) and the Chroma collection (opened at once, or by check_store())."""

    manifest: Manifest
    chunks: list[Chunk]
    keyword: KeywordIndex
    collection: object
    build_dir: Path
    read_only_copy: Path | None = None
    vectors: Any = None  # numpy (chunks x dim), unit rows; None: dense search asks Chroma
    host: str = ""
    port: int = 8000

    @cached_property
    def scopes(self) -> list[str]:
        return [c.scope for c in self.chunks]

    @cached_property
    def table_rows(self) -> list[bool]:
        return [c.kind == TABLE_ROW for c in self.chunks]

    @property
    def years(self) -> ReportYears:
        return ReportYears(self.manifest.review_year, self.manifest.plan_year)

    def position(self, chunk_id: str) -> int | None:
        return self._positions.get(chunk_id)

    def __post_init__(self) -> None:
        self._positions = {c.id: i for i, c in enumerate(self.chunks)}

    def dense(self, vector: list[float], k: int) -> dict[int, float]:
        """Cosine similarity by chunk position for the k nearest chunks."""
        if self.vectors is not None:
            return nearest(self.vectors, vector, min(k, len(self.chunks)))
        if self.collection is None:
            self.check_store()
        res = self.collection.query(  # type: ignore[attr-defined]  # type: ignore[attr-defined]
            query_embeddings=[vector], n_results=min(k, len(self.chunks)), include=["distances"]
        )
        out = {}
        for cid, dist in zip(res["ids"][0], res["distances"][0], strict=False):
            pos = self._positions.get(cid)
            if pos is not None:
                out[pos] = 1.0 - float(dist)
        return out

    def check_store(self) -> None:
        """Open the Chroma collection and check it holds this build's vectors (IndexUnavailableError
        if not). Done at open unless deferred (open_build(check_store=False))."""
        if self.collection is None:
            self.collection, self.read_only_copy = open_store(
                self.build_dir, self.manifest, self.chunks, self.host, self.port
            )

    def close(self) -> None:
        release_chroma_cache(None)
        if self.read_only_copy:
            shutil.rmtree(self.read_only_copy, ignore_errors=True)


def expected_for(corpus: Path, embedder_id: str, params: ChunkerParams, host: str, port: int) -> Expected:
    docs = load_corpus(corpus)
    return Expected(
        corpus=[{"path": d.path, "sha256": d.sha256} for d in docs],
        chunker=params.as_dict(),
        embedder=embedder_id,
        chroma=chroma_location(host, port),
    )


def nearest(vectors: Any, vector: Sequence[float], k: int) -> dict[int, float]:
    """Exact cosine similarity of the k nearest rows of a unit-row matrix, by row."""
    import numpy as np

    q = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(q))
    sims = vectors @ (q / norm if norm > 0 else q)
    if k <= 0:
        return {}
    top = np.argpartition(-sims, k - 1)[:k] if k < len(sims) else np.arange(len(sims))
    return {int(i): float(sims[i]) for i in top}


def open_build(
    build: Path, manifest: Manifest, host: str = "", port: int = 8000, check_store: bool = True
) -> OpenIndex:
    """Open one build; raises IndexUnavailableError if any part is missing or damaged.

    check_store=False leaves the Chroma store to OpenIndex.check_store() when the build's vectors are
    in vectors.npy (importing chromadb alone takes ~1 s of start-up)."""
    chunks = load_chunks(build, manifest)
    vectors = load_vectors(build, manifest)
    coll, copy = None, None
    if check_store or vectors is None:
        coll, copy = open_store(build, manifest, chunks, host, port)
    keyword = KeywordIndex(chunks, Tokenizer(user_terms(chunks)))
    return OpenIndex(manifest, chunks, keyword, coll, build, copy, vectors, host, port)


def open_store(build: Path, manifest: Manifest, chunks: Sequence[Chunk], host: str = "", port: int = 8000):  # type: ignore[no-untyped-def]
    """The build's Chroma collection, checked (count, one probe query), and the private copy made of a
    read-only store (or None)."""
    copy = None
    chroma_dir = build / "chroma"
    if not host:
        if not (chroma_dir / "chroma.sqlite3").is_file():
            raise IndexUnavailableError(f"向量库文件缺失（vector store missing）: {chroma_dir}")
        if not os.access(chroma_dir, os.W_OK) or not os.access(chroma_dir / "chroma.sqlite3", os.W_OK):
            # Chroma's embedded store opens its files for writing; serve a private copy instead.
            copy = Path(tempfile.mkdtemp(prefix="assistant-ro-index-"))
            shutil.copytree(chroma_dir, copy / "chroma")
            for p in (copy / "chroma", *(copy / "chroma").rglob("*")):  # copytree kept the read-only modes
                os.chmod(p, 0o700 if p.is_dir() else 0o600)
            chroma_dir = copy / "chroma"
            log.info("index directory is read-only; serving from a private copy")
    try:
        client = chroma_client(chroma_dir, host, port)
        coll = client.get_collection(manifest.collection)
        count = coll.count()
        if count != manifest.chunk_count:
            raise IndexUnavailableError(f"向量库条目数不符（vector count {count} != {manifest.chunk_count}）")
        probe = coll.get(ids=[chunks[0].id], include=["embeddings"])
        coll.query(query_embeddings=[list(probe["embeddings"][0])], n_results=1, include=["distances"])
    except IndexUnavailableError:
        raise
    except Exception as e:  # Chroma raises many kinds on damaged files
        if copy:
            shutil.rmtree(copy, ignore_errors=True)
        raise IndexUnavailableError(f"向量库已损坏（vector store damaged）: {type(e).__name__}: {e}") from e
    return coll, copy


def ensure_index(
    corpus: Path,
    index_dir: Path,
    embeddings: Embeddings,
    embedder_id: str,
    params: ChunkerParams,
    host: str = "",
    port: int = 8000,
    progress: Progress | None = None,
    rebuild: bool = True,
    check_store: bool = True,
) -> OpenIndex:
    """Open the current index if it matches the corpus and settings; otherwise rebuild it and say why.
    check_store=False: see open_build."""
    expected = expected_for(corpus, embedder_id, params, host, port)
    build = current_build(index_dir)
    reason = "no index yet"
    if build is not None:
        try:
            manifest = read_manifest(build)
            reason = expected.mismatch(manifest) or ""
            if not reason:
                return open_build(build, manifest, host, port, check_store)
        except IndexUnavailableError as e:
            reason = str(e)
            log.warning("index at %s is damaged: %s", build, reason)
    if not rebuild:
        raise IndexUnavailableError(f"索引不可用，需要重建（index unusable: {reason}）")
    log.warning("building the index (%s)", reason)
    manifest = build_index(corpus, index_dir, embeddings, embedder_id, params, host, port, progress)
    new = current_build(index_dir)
    assert new is not None
    return open_build(new, manifest, host, port)
