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

import numpy as np
from langchain_core.embeddings import Embeddings

from .chunking import ChunkerParams
from .keyword import KeywordIndex, Tokenizer, new_words, user_terms
from .lexicon import Lexicon
from .loading import scan_corpus
from .reports import Report
from .store import (
    Expected,
    Manifest,
    Progress,
    build_index,
    chroma_client,
    chroma_location,
    corpus_entries,
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
class ReportIndex:
    """One report's share of the index: its chunks, its keyword index, its metadata and its vectors."""

    report: Report
    chunks: list[Chunk]
    keyword: KeywordIndex
    vectors: np.ndarray  # unit-length rows, in chunk order

    @cached_property
    def scopes(self) -> list[str]:
        return [c.scope for c in self.chunks]

    @cached_property
    def table_rows(self) -> list[bool]:
        return [c.kind == TABLE_ROW for c in self.chunks]

    @cached_property
    def lexicon(self) -> Lexicon:
        """The report's question vocabulary (its own definitions, thesaurus synonyms), built on first use."""
        return Lexicon.build(self.chunks, self.keyword)

    @property
    def years(self) -> ReportYears:
        return self.report.years

    def dense(self, vector: list[float], k: int) -> dict[int, float]:
        """Cosine similarity by chunk position for the k nearest chunks (exact, over this report)."""
        q = np.asarray(vector, dtype=np.float32)
        norm = float(np.linalg.norm(q))
        sims = self.vectors @ (q / norm if norm else q)
        k = min(k, len(self.chunks))
        top = np.argpartition(-sims, k - 1)[:k] if k < len(sims) else np.arange(len(sims))
        return {int(i): float(sims[i]) for i in top}


@dataclass
class OpenIndex:
    """Everything retrieval needs, loaded once: every report's chunks, keyword index and vectors.

    The vectors come from the build's vectors.npy when it has one, else from the Chroma collection;
    the collection is opened at once or, with open_build(check_store=False), by check_store()."""

    manifest: Manifest
    chunks: list[Chunk]
    reports: dict[str, ReportIndex]  # by report file name, in corpus order
    collection: object
    build_dir: Path
    read_only_copy: Path | None = None
    host: str = ""
    port: int = 8000

    def __post_init__(self) -> None:
        self._positions = {c.id: i for i, c in enumerate(self.chunks)}

    def position(self, chunk_id: str) -> int | None:
        return self._positions.get(chunk_id)

    @property
    def first(self) -> ReportIndex:
        return next(iter(self.reports.values()))

    def check_store(self) -> None:
        """Open the Chroma collection and check it holds this build's chunks (IndexUnavailableError if
        not); a no-op once open."""
        if self.collection is None:
            self.collection, self.read_only_copy, _ = open_store(
                self.build_dir, self.manifest, self.chunks, self.host, self.port
            )

    def close(self) -> None:
        release_chroma_cache(None)
        if self.read_only_copy:
            shutil.rmtree(self.read_only_copy, ignore_errors=True)


def expected_for(corpus: Path, embedder_id: str, params: ChunkerParams, host: str, port: int) -> Expected:
    docs, _ = scan_corpus(corpus)
    return Expected(
        corpus=corpus_entries(docs),
        chunker=params.as_dict(),
        embedder=embedder_id,
        chroma=chroma_location(host, port),
    )


def _unit_rows(vectors: list[list[float]]) -> np.ndarray:
    m = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms == 0, 1.0, norms)


def split_by_report(
    chunks: list[Chunk], reports: list[Report], vectors: np.ndarray
) -> dict[str, ReportIndex]:
    """Each report's chunks with their own keyword statistics (IDF, rare words are per report) and their
    own tokenizer: the terms a report defines (headings, table cells, quoted names) segment its text and
    the questions asked of it, never another report's, so a report answers in a folder as it does alone."""
    out = {}
    for report in reports:
        rows = [i for i, c in enumerate(chunks) if c.source == report.file]
        own = [chunks[i] for i in rows]
        out[report.file] = ReportIndex(
            report,
            own,
            KeywordIndex(own, Tokenizer(user_terms(own), new_words(c.text for c in own))),
            vectors[rows],
        )
    return out


def open_build(
    build: Path, manifest: Manifest, host: str = "", port: int = 8000, check_store: bool = True
) -> OpenIndex:
    """Open one build; raises IndexUnavailableError if any part is missing or damaged.

    check_store=False leaves the Chroma store to OpenIndex.check_store() when the build keeps its
    vectors in vectors.npy: importing chromadb alone takes ~1 s of a server's start."""
    chunks = load_chunks(build, manifest)
    vectors = load_vectors(build, manifest)
    coll, copy = None, None
    if check_store or vectors is None:
        coll, copy, stored = open_store(build, manifest, chunks, host, port)
        if vectors is None:  # a build made before vectors.npy: its vectors are only in Chroma
            vectors = _unit_rows(stored)
    reports = manifest.report_list()
    if {c.source for c in chunks} - {r.file for r in reports}:
        raise IndexUnavailableError(f"索引清单与分块不符（manifest does not list every report）: {build}")
    views = split_by_report(chunks, reports, vectors)
    return OpenIndex(manifest, chunks, views, coll, build, copy, host, port)


def open_store(build: Path, manifest: Manifest, chunks: Sequence[Chunk], host: str = "", port: int = 8000):  # type: ignore[no-untyped-def]
    """The build's Chroma collection, checked (count, ids), the private copy made of a read-only store
    (or None), and the stored vectors in chunk order."""
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
        stored = coll.get(include=["embeddings"])
        by_id = dict(zip(stored["ids"], stored["embeddings"], strict=True))
        if set(by_id) != {c.id for c in chunks}:
            raise IndexUnavailableError("向量库与分块不符（vector ids do not match the chunks）")
        vectors = [list(by_id[c.id]) for c in chunks]
    except IndexUnavailableError:
        raise
    except Exception as e:  # Chroma raises many kinds on damaged files
        if copy:
            shutil.rmtree(copy, ignore_errors=True)
        raise IndexUnavailableError(f"向量库已损坏（vector store damaged）: {type(e).__name__}: {e}") from e
    return coll, copy, vectors


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
