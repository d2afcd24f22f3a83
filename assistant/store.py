"""The built index: chunks, their vectors in a Chroma collection, and a manifest.

Layout under `index_dir`:
    current -> builds/<build-id>        (a symlink, swapped atomically)
    builds/<build-id>/manifest.json     (written last: a build without it is incomplete)
    builds/<build-id>/chunks.jsonl
    builds/<build-id>/vectors.npy       (the chunks' vectors in chunk order: what queries search)
    builds/<build-id>/chroma/           (embedded persistent Chroma; unused with a Chroma server)
A build is written aside and swapped in whole, so a build killed halfway leaves the old one.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from langchain_core.embeddings import Embeddings

from .chunking import ChunkerParams, chunk_blocks
from .embedcache import CACHE_FILE, EmbeddingCache, embed_cached
from .loading import scan_corpus
from .reports import Report, derive, sidecar_path
from .structure import parse_blocks
from .types import Chunk, CorpusError, Document, IndexUnavailableError

log = logging.getLogger(__name__)
FORMAT_VERSION = 3  # what the parser makes of a report: a changed parser rebuilds (3: a term list item and its explaining paragraph are one block)
BATCH = 32  # texts per embedding call (the embedder splits them into its own engine batches)
ADD_BATCH = 256  # vectors per Chroma add
VECTORS = "vectors.npy"
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class Manifest:
    format_version: int
    build_id: str
    corpus: list[dict[str, str]]  # [{"path", "sha256", "meta"}]: every report's hash and its sidecar's
    chunker: dict[str, object]
    embedder: str
    chunk_count: int
    chunks_sha256: str
    collection: str
    chroma: str  # "embedded" or "http://host:port"
    reports: list[dict[str, object]]  # Report.as_dict() of each report, in corpus order
    skipped: list[dict[str, str]]  # [{"path", "reason"}]: files of the folder left out
    built_at: str
    build_seconds: float
    embedded: int = 0  # chunks embedded by this build (the rest came from the embedding cache)
    vectors_sha256: str = ""  # of vectors.npy; empty for builds made before it was written

    def report_list(self) -> list[Report]:
        return [Report.from_dict(r) for r in self.reports]

    @property
    def corpus_sha256(self) -> str:
        joined = "".join(sorted(c["sha256"] for c in self.corpus))
        return (
            hashlib.sha256(joined.encode()).hexdigest()[:16]
            if len(self.corpus) > 1
            else self.corpus[0]["sha256"]
        )


@dataclass(frozen=True)
class Expected:
    """What an index must have been built from to be used as is."""

    corpus: list[dict[str, str]]
    chunker: dict[str, object]
    embedder: str
    chroma: str

    def mismatch(self, m: Manifest) -> str | None:
        if m.format_version != FORMAT_VERSION:
            return "index format changed"
        if _corpus_key(m.corpus) != _corpus_key(self.corpus):
            return "corpus changed"
        if m.chunker != self.chunker:
            return "chunker settings changed"
        if m.embedder != self.embedder:
            return f"embedder changed ({m.embedder} -> {self.embedder})"
        if m.chroma != self.chroma:
            return "Chroma location changed"
        return None


def _corpus_key(corpus: list[dict[str, str]]) -> list[tuple[str, str]]:
    return sorted((c["sha256"], c.get("meta", "")) for c in corpus)


def corpus_entries(docs: Sequence[Document]) -> list[dict[str, str]]:
    """Each report's hash and its sidecar's (a corrected sidecar is a changed corpus)."""
    out = []
    for d in docs:
        side = sidecar_path(d.path)
        meta = hashlib.sha256(side.read_bytes()).hexdigest() if side.is_file() else ""
        out.append({"path": d.path, "sha256": d.sha256, "meta": meta})
    return out


def chroma_settings():  # type: ignore[no-untyped-def]
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def chroma_client(path: Path | None, host: str = "", port: int = 8000):  # type: ignore[no-untyped-def]
    """An embedded persistent client at `path`, or an HTTP client for a Chroma server."""
    import chromadb

    if host:
        return chromadb.HttpClient(host=host, port=port, settings=chroma_settings())
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings())


def chunks_to_jsonl(chunks: Sequence[Chunk]) -> bytes:
    lines = [
        json.dumps({**asdict(c), "section_path": list(c.section_path)}, ensure_ascii=False) for c in chunks
    ]
    return ("\n".join(lines) + "\n").encode()


def chunks_from_jsonl(data: bytes) -> list[Chunk]:
    out = []
    for line in data.decode().splitlines():
        if line.strip():
            d = json.loads(line)
            d["section_path"] = tuple(d["section_path"])
            out.append(Chunk(**d))
    return out


def vectors_to_npy(matrix: Sequence[Sequence[float]]) -> bytes:
    import numpy as np

    buf = io.BytesIO()
    np.save(buf, np.asarray(matrix, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()


def load_vectors(build: Path, manifest: Manifest):  # type: ignore[no-untyped-def]
    """The chunks' vectors (unit length, chunk order), verified against the manifest; None for a build
    made before they were written (its vectors are only in Chroma)."""
    if not manifest.vectors_sha256:
        return None
    import numpy as np

    try:
        data = (build / VECTORS).read_bytes()
    except OSError as e:
        raise IndexUnavailableError(f"向量文件缺失（vectors file missing）: {build}") from e
    if hashlib.sha256(data).hexdigest() != manifest.vectors_sha256:
        raise IndexUnavailableError(f"向量文件已损坏（vectors file damaged）: {build}")
    matrix = np.load(io.BytesIO(data), allow_pickle=False)
    if matrix.ndim != 2 or matrix.shape[0] != manifest.chunk_count:
        raise IndexUnavailableError(f"向量条目数不符（vector count mismatch）: {build}")
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)  # cosine, as the Chroma collection computes it


def make_chunks(docs: Sequence[Document], params: ChunkerParams) -> tuple[list[Chunk], list[Report]]:
    """Every report's chunks (ids unique across reports) and its metadata."""
    chunks: list[Chunk] = []
    reports = []
    for doc in docs:
        report = derive(doc)
        reports.append(report)
        chunks.extend(chunk_blocks(parse_blocks(doc.text, report.years), params, source=report.file))
    return chunks, reports


def build_index(
    corpus: Path,
    index_dir: Path,
    embeddings: Embeddings,
    embedder_id: str,
    params: ChunkerParams,
    chroma_host: str = "",
    chroma_port: int = 8000,
    progress: Progress | None = None,
) -> Manifest:
    """Build a new index aside and swap it in; the previous index stays until the swap."""
    t0 = time.perf_counter()
    docs, skipped = scan_corpus(corpus)  # raises CorpusError before anything is written
    for path, reason in skipped:
        log.warning("skipped %s: %s", path, reason)
    chunks, reports = make_chunks(docs, params)
    if len({r.file for r in reports}) != len(reports):
        raise CorpusError("语料中有同名报告文件（two report files share a name）")
    if len({c.id for c in chunks}) != len(chunks):  # cannot happen with per-report ids; guard the invariant
        raise CorpusError("分块编号重复（duplicate chunk ids）")
    if not chunks:
        raise CorpusError(f"报告文件 {corpus} 中没有可索引的文本（no indexable text in {corpus}）")
    builds = index_dir / "builds"
    build_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:8]
    try:
        builds.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{build_id}-", dir=builds))
    except OSError as e:
        raise IndexUnavailableError(
            f"无法写入索引目录 {index_dir}（cannot write index directory）: {e}"
        ) from e
    collection_name = f"report-{build_id}"
    try:
        client = chroma_client(tmp / "chroma", chroma_host, chroma_port)
        coll = client.create_collection(collection_name, metadata={"hnsw:space": "cosine"})
        cache = _open_cache(index_dir)
        try:
            vectors, embedded = embed_cached(
                embeddings,
                embedder_id,
                [c.indexed_text for c in chunks],
                cache,
                BATCH,
                (lambda done, total: progress("embedding", done, total)) if progress else None,
            )
        finally:
            if cache:
                cache.close()
        for i in range(0, len(chunks), ADD_BATCH):
            batch = chunks[i : i + ADD_BATCH]
            coll.add(
                ids=[c.id for c in batch],
                embeddings=vectors[i : i + ADD_BATCH],  # type: ignore[arg-type]
                documents=[c.text for c in batch],
                metadatas=[
                    {"section": c.section, "scope": c.scope, "kind": c.kind, "report": c.source}
                    for c in batch
                ],
            )
        data = chunks_to_jsonl(chunks)
        (tmp / "chunks.jsonl").write_bytes(data)
        vectors_data = vectors_to_npy(vectors)
        (tmp / VECTORS).write_bytes(vectors_data)
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            build_id=build_id,
            corpus=corpus_entries(docs),
            chunker=params.as_dict(),
            embedder=embedder_id,
            chunk_count=len(chunks),
            chunks_sha256=hashlib.sha256(data).hexdigest(),
            collection=collection_name,
            chroma=chroma_location(chroma_host, chroma_port),
            reports=[r.as_dict() for r in reports],
            skipped=[{"path": p, "reason": r} for p, r in skipped],
            built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            build_seconds=round(time.perf_counter() - t0, 2),
            embedded=embedded,
            vectors_sha256=hashlib.sha256(vectors_data).hexdigest(),
        )
        release_chroma_cache(client)
        _write_atomic(
            tmp / "manifest.json", json.dumps(asdict(manifest), ensure_ascii=False, indent=1).encode()
        )
        final = builds / build_id
        os.rename(tmp, final)
        _swap_current(index_dir, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remove_old_builds(index_dir, keep=final, chroma_host=chroma_host, chroma_port=chroma_port)
    return manifest


def _open_cache(index_dir: Path) -> EmbeddingCache | None:
    try:
        return EmbeddingCache(index_dir / CACHE_FILE)
    except Exception as e:  # the cache only speeds builds up; never fail a build over it
        log.warning("embedding cache unavailable (%s); embedding everything", e)
        return None


def chroma_location(host: str, port: int) -> str:
    return f"http://{host}:{port}" if host else "embedded"


def current_build(index_dir: Path) -> Path | None:
    link = index_dir / "current"
    if not link.is_symlink() and not link.exists():
        return None
    target = link.resolve()
    return target if target.is_dir() else None


def read_manifest(build: Path) -> Manifest:
    try:
        data = json.loads((build / "manifest.json").read_text())
        if isinstance(data, dict) and data.get("format_version") != FORMAT_VERSION:
            raise IndexUnavailableError(f"索引格式已更新，需要重建（index format changed）: {build}")
        return Manifest(**data)
    except (OSError, ValueError, TypeError) as e:
        raise IndexUnavailableError(f"索引清单损坏或缺失（manifest missing or damaged）: {build}") from e


def load_chunks(build: Path, manifest: Manifest) -> list[Chunk]:
    """Chunks of a build, verified against the manifest's checksum."""
    try:
        data = (build / "chunks.jsonl").read_bytes()
    except OSError as e:
        raise IndexUnavailableError(f"索引文件缺失（chunks file missing）: {build}") from e
    if hashlib.sha256(data).hexdigest() != manifest.chunks_sha256:
        raise IndexUnavailableError(f"索引文件已损坏（chunks file damaged）: {build}")
    chunks = chunks_from_jsonl(data)
    if len(chunks) != manifest.chunk_count:
        raise IndexUnavailableError(f"索引条目数不符（chunk count mismatch）: {build}")
    return chunks


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _swap_current(index_dir: Path, target: Path) -> None:
    tmp_link = index_dir / f".current-{uuid.uuid4().hex[:8]}"
    os.symlink(Path("builds") / target.name, tmp_link)
    os.replace(tmp_link, index_dir / "current")  # atomic on POSIX


def release_chroma_cache(client) -> None:  # type: ignore[no-untyped-def]
    """Drop Chroma's per-path client cache so a swapped-out directory can be removed and reopened."""
    if "chromadb" not in sys.modules:
        return  # never opened in this process: nothing cached (and no 1 s import for nothing)
    try:
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    except Exception:  # pragma: no cover - best effort
        log.debug("could not clear Chroma client cache", exc_info=True)


def _remove_old_builds(index_dir: Path, keep: Path, chroma_host: str, chroma_port: int) -> None:
    for old in (index_dir / "builds").iterdir():
        if old == keep:
            continue
        if chroma_host and (old / "manifest.json").exists():
            try:
                name = read_manifest(old).collection
                chroma_client(None, chroma_host, chroma_port).delete_collection(name)
            except Exception:
                log.warning("could not delete old collection of build %s", old.name)
        shutil.rmtree(old, ignore_errors=True)
