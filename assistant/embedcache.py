"""A persistent cache of chunk vectors keyed by the embedder and the exact text embedded.

Rebuilding an unchanged corpus embeds nothing; adding a report embeds only its chunks. One SQLite
file beside the builds (`<index_dir>/embeddings.sqlite3`); it only ever speeds a build up, so a
damaged cache is set aside and the build goes on without it.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from array import array
from collections.abc import Callable, Sequence
from pathlib import Path

from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)
CACHE_FILE = "embeddings.sqlite3"


def cache_key(embedder_id: str, text: str) -> str:
    return hashlib.sha256(f"{embedder_id}\n{text}".encode()).hexdigest()


class EmbeddingCache:
    """key -> float32 vector, in one SQLite table."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._db = self._open(path)
        except sqlite3.DatabaseError:
            log.warning("embedding cache %s is damaged; starting a new one", path)
            path.replace(path.with_name(path.name + ".damaged"))
            self._db = self._open(path)

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, check_same_thread=False)
        db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
        db.execute("SELECT count(*) FROM vectors").fetchone()
        return db

    def get_many(self, keys: Sequence[str]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        for i in range(0, len(keys), 500):
            part = list(keys[i : i + 500])
            marks = ",".join("?" * len(part))
            for key, blob in self._db.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", part):
                out[key] = array("f", blob).tolist()
        return out

    def put_many(self, items: Sequence[tuple[str, Sequence[float]]]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)",
                [(k, array("f", v).tobytes()) for k, v in items],
            )

    def close(self) -> None:
        self._db.close()


def embed_cached(
    embeddings: Embeddings,
    embedder_id: str,
    texts: Sequence[str],
    cache: EmbeddingCache | None,
    batch: int,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[list[float]], int]:
    """Vectors for `texts` (cached ones read, the rest embedded in batches and stored); and how many
    were embedded."""
    keys = [cache_key(embedder_id, t) for t in texts]
    found = cache.get_many(keys) if cache else {}
    todo = [i for i, k in enumerate(keys) if k not in found]
    vectors: dict[int, list[float]] = {i: found[k] for i, k in enumerate(keys) if k in found}
    done = len(texts) - len(todo)
    if progress:
        progress(done, len(texts))
    for start in range(0, len(todo), batch):
        part = todo[start : start + batch]
        new = embeddings.embed_documents([texts[i] for i in part])
        for i, v in zip(part, new, strict=True):
            vectors[i] = list(v)
        if cache:
            cache.put_many([(keys[i], vectors[i]) for i in part])
        done += len(part)
        if progress:
            progress(done, len(texts))
    return [vectors[i] for i in range(len(texts))], len(todo)
