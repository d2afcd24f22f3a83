"""Faults at the app level: a killed rebuild, damaged index files, a missing corpus, a failing language
model and a read-only index directory. Real report, fake embedder, real embedded Chroma."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.index import OpenIndex
from assistant.llm import NOTICE_TIMEOUT, NOTICE_UNAVAILABLE
from assistant.pipeline import Assistant, build_assistant
from assistant.settings import DEFAULT_CORPUS, ROOT, Secret, Settings
from assistant.store import current_build, read_manifest
from assistant.types import Answer, CorpusError, IndexUnavailableError
from assistant.verification import verify_answer
from tests.openai_stub import Behaviour, OpenAIStub, openai_stub_fixture  # noqa: F401 - fixture "openai_stub"

pytestmark = pytest.mark.integration

# asked of the bundled report; what it answers is measured by evals/, here only that it answers from
# its passages (a figure, cited, every figure of the answer in the passage it cites)
GDP_QUESTION = "2023年地区生产总值增长多少？"
KEY = "sk-faults-SECRET-5e1d0c"


def settings_for(index_dir: Path, **overrides: object) -> Settings:
    return Settings(index_dir=index_dir, embedder="fake", **overrides)  # type: ignore[arg-type]


def assert_cited(answer: Answer) -> None:
    """An answer with a figure, every marker cited and every figure in the passage it cites."""
    assert not answer.refused and answer.citations, answer.text
    assert re.search(r"\d+(\.\d+)?%", answer.text), answer.text
    assert verify_answer(answer.text, {c.n: f"{c.section}\n{c.text}" for c in answer.citations}) == []


def assert_answers(assistant: Assistant) -> Answer:
    answer = assistant.ask(GDP_QUESTION)
    assert_cited(answer)
    return answer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the real report, built once; tests work on copies of it."""
    index_dir = tmp_path_factory.mktemp("template") / "index"
    assistant = build_assistant(settings_for(index_dir))
    assistant.index.close()
    return index_dir


@pytest.fixture
def index_copy(template: Path, tmp_path: Path) -> Path:
    """A private copy of the template index (the `current` symlink stays relative)."""
    dest = tmp_path / "index"
    shutil.copytree(template, dest, symlinks=True)
    return dest


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Every entry under `root`: type, mode, size, mtime, link target or content hash."""
    out: dict[str, tuple[object, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            p = Path(dirpath) / name
            st = p.lstat()
            if stat.S_ISLNK(st.st_mode):
                extra: object = os.readlink(p)
            elif stat.S_ISREG(st.st_mode):
                extra = hashlib.sha256(p.read_bytes()).hexdigest()
            else:
                extra = None
            out[str(p.relative_to(root))] = (
                stat.S_IFMT(st.st_mode),
                stat.S_IMODE(st.st_mode),
                st.st_size,
                st.st_mtime_ns,
                extra,
            )
    return out


# -- a rebuild killed halfway ----------------------------------------------------------------------

KILLED_BUILD = """
import sys, time
from pathlib import Path
from assistant.pipeline import build_assistant
from assistant.settings import Settings

def progress(stage, done, total):
    print(f"PROGRESS {stage} {done}/{total}", flush=True)
    if stage == "embedding":
        time.sleep(120)  # stall mid-build, vectors partly written, so the kill lands inside the build

build_assistant(Settings(corpus=Path(sys.argv[1]), index_dir=Path(sys.argv[2]), embedder="fake"),
                progress=progress)
print("FINISHED", flush=True)
"""


def wait_for_line(proc: subprocess.Popen[str], prefix: str, timeout: float) -> str:
    """The first stdout line starting with `prefix`, read with a deadline."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        line = proc.stdout.readline()
        if not line:
            break  # the process ended
        seen.append(line)
        if line.startswith(prefix):
            return line
    raise AssertionError(f"no {prefix!r} line within {timeout:g}s; output: {''.join(seen)[-2000:]}")


def test_sigkill_during_rebuild_leaves_previous_index_serving(
    index_copy: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old_build = current_build(index_copy)
    assert old_build is not None
    old_id = read_manifest(old_build).build_id
    report = DEFAULT_CORPUS.read_text(encoding="utf-8")
    larger = tmp_path / "larger-report.txt"
    larger.write_text(report + "\n" + report.replace("永川", "江津") + "\n" + report, encoding="utf-8")

    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_BUILD, str(larger), str(index_copy)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        wait_for_line(proc, "PROGRESS embedding", timeout=90)
        partial = [p for p in (index_copy / "builds").iterdir() if p.name.startswith(".")]
        assert partial, "the killed build should be in progress under builds/"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()

    # the swap never happened: `current` still points at the old, complete build
    assert current_build(index_copy) == old_build
    assert read_manifest(old_build).build_id == old_id
    with caplog.at_level(logging.INFO, logger="assistant"):
        assistant = build_assistant(settings_for(index_copy), rebuild=False)
    assert assistant.index.manifest.build_id == old_id
    assert not any("building the index" in r.getMessage() for r in caplog.records)
    assert_answers(assistant)
    assistant.index.close()

    # and the larger corpus can still be built afterwards; the killed build's leftovers are cleared
    bigger = build_assistant(settings_for(index_copy, corpus=larger))
    assert bigger.index.manifest.chunk_count > assistant.index.manifest.chunk_count
    assert [p.name for p in (index_copy / "builds").iterdir()] == [bigger.index.manifest.build_id]
    bigger.index.close()


# -- damaged index files ----------------------------------------------------------------------------


def damage(path: Path, how: str) -> None:
    if how == "missing":
        path.unlink()
    elif how == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif how == "zeroed":
        path.write_bytes(b"\0" * path.stat().st_size)
    else:  # pragma: no cover
        raise ValueError(how)


@pytest.mark.parametrize(
    ("name", "how"),
    [
        ("manifest.json", "missing"),
        ("manifest.json", "truncated"),
        ("chunks.jsonl", "truncated"),
        ("chunks.jsonl", "zeroed"),
        ("chunks.jsonl", "missing"),
        ("chroma/chroma.sqlite3", "missing"),
        ("chroma/chroma.sqlite3", "truncated"),
        ("chroma/chroma.sqlite3", "zeroed"),
    ],
)
def test_damaged_index_is_detected_and_rebuilt(
    index_copy: Path, name: str, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    build = current_build(index_copy)
    assert build is not None
    old_id = read_manifest(build).build_id
    damage(build / name, how)

    with pytest.raises(IndexUnavailableError):  # without permission to rebuild: a clear error
        build_assistant(settings_for(index_copy), rebuild=False)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="assistant"):
        assistant = build_assistant(settings_for(index_copy))
    messages = [r.getMessage() for r in caplog.records]
    assert any("is damaged" in m and str(build) in m for m in messages), messages
    assert any(m.startswith("building the index") for m in messages), messages
    assert assistant.index.manifest.build_id != old_id
    assert_answers(assistant)
    assistant.index.close()


def test_dangling_current_link_rebuilds(index_copy: Path, caplog: pytest.LogCaptureFixture) -> None:
    build = current_build(index_copy)
    assert build is not None
    shutil.rmtree(build)  # `current` now points nowhere
    with caplog.at_level(logging.WARNING, logger="assistant"):
        assistant = build_assistant(settings_for(index_copy))
    assert any("building the index (no index yet)" in r.getMessage() for r in caplog.records)
    assert_answers(assistant)
    assistant.index.close()


@pytest.mark.parametrize("how", ["missing", "truncated", "zeroed"])
def test_damaged_hnsw_segment_is_recovered_by_chroma(index_copy: Path, how: str) -> None:
    """Chroma keeps every vector in its sqlite log and rebuilds the HNSW files from it on open,
    so damage to them needs no rebuild of ours: same build, same nearest neighbours."""
    reference = build_assistant(settings_for(index_copy), rebuild=False)
    probe = reference.retriever.embeddings.embed_query(GDP_QUESTION)
    expected = reference.index.first.dense(probe, 10)
    reference.index.close()
    build = current_build(index_copy)
    assert build is not None
    segment = next((build / "chroma").glob("*/data_level0.bin"))
    damage(segment, how)

    assistant = build_assistant(settings_for(index_copy), rebuild=False)
    assert assistant.index.first.dense(probe, 10) == pytest.approx(expected)
    assert_answers(assistant)
    assistant.index.close()


# -- the corpus missing at start --------------------------------------------------------------------


@pytest.mark.parametrize("with_index", [False, True])
def test_missing_corpus_is_a_clear_error(index_copy: Path, tmp_path: Path, with_index: bool) -> None:
    missing = tmp_path / "no-such-dir" / "report.txt"
    index_dir = index_copy if with_index else tmp_path / "empty-index"
    before = snapshot(index_dir) if with_index else {}
    with pytest.raises(CorpusError) as info:
        build_assistant(settings_for(index_dir, corpus=missing))
    assert str(missing) in str(info.value)
    assert "不存在" in str(info.value) or "not found" in str(info.value)
    if with_index:
        assert snapshot(index_dir) == before  # the existing index is left alone
    else:
        assert not (index_dir / "current").exists()


# -- the language model failing ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def served_index(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("served") / "index"
    shutil.copytree(template, dest, symlinks=True)
    return dest


def llm_assistant(index_dir: Path, base_url: str, timeout: float) -> Assistant:
    return build_assistant(
        settings_for(
            index_dir,
            llm_base_url=base_url,
            llm_model="stub-model",
            llm_api_key=Secret(KEY),
            llm_timeout=timeout,
        ),
        rebuild=False,
    )


def final(items: Iterator[str | Answer]) -> Answer:
    out = [i for i in items if isinstance(i, Answer)]
    assert len(out) == 1
    return out[0]


def assert_degraded(answer: Answer, notice: str | None) -> None:
    assert answer.mode == "extractive"
    assert answer.notice if notice is None else answer.notice == notice
    assert_cited(answer)
    assert KEY not in answer.text + answer.notice


def test_llm_endpoint_down(served_index: Path, caplog: pytest.LogCaptureFixture) -> None:
    assistant = llm_assistant(served_index, f"http://127.0.0.1:{free_port()}/v1", timeout=3.0)
    assert assistant.mode == "llm:stub-model"
    with caplog.at_level(logging.WARNING):
        t0 = time.monotonic()
        answer = assistant.ask(GDP_QUESTION)
        assert time.monotonic() - t0 < 3.0 + 2
        streamed = final(assistant.stream(GDP_QUESTION))
    assert_degraded(answer, NOTICE_UNAVAILABLE)
    assert_degraded(streamed, NOTICE_UNAVAILABLE)
    assert KEY not in caplog.text


def test_llm_endpoint_slow(served_index: Path, openai_stub: OpenAIStub) -> None:
    openai_stub.behaviour = Behaviour(hang=30.0)
    timeout = 1.5
    assistant = llm_assistant(served_index, openai_stub.base_url, timeout=timeout)
    for call in (lambda: assistant.ask(GDP_QUESTION), lambda: final(assistant.stream(GDP_QUESTION))):
        t0 = time.monotonic()
        answer = call()
        elapsed = time.monotonic() - t0
        assert timeout <= elapsed < timeout + 2, elapsed
        assert_degraded(answer, NOTICE_TIMEOUT)
    assert openai_stub.requests, "the model was asked"


def test_llm_endpoint_returns_garbage(served_index: Path, openai_stub: OpenAIStub) -> None:
    openai_stub.behaviour = Behaviour(garbage=True)
    assistant = llm_assistant(served_index, openai_stub.base_url, timeout=5.0)
    t0 = time.monotonic()
    assert_degraded(assistant.ask(GDP_QUESTION), None)
    assert_degraded(final(assistant.stream(GDP_QUESTION)), None)
    assert time.monotonic() - t0 < 2 * 5.0
    assert len(openai_stub.requests) == 2


# -- a read-only index directory --------------------------------------------------------------------


def chmod_read_only(root: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            p = Path(dirpath) / name
            if not p.is_symlink():
                p.chmod(stat.S_IMODE(p.lstat().st_mode) & ~0o222)
    root.chmod(stat.S_IMODE(root.stat().st_mode) & ~0o222)


def make_writable(root: Path) -> None:
    root.chmod(0o755)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            p = Path(dirpath) / name
            if not p.is_symlink():
                p.chmod(stat.S_IMODE(p.lstat().st_mode) | 0o200)


@pytest.fixture
def read_only_index(index_copy: Path) -> Iterator[Path]:
    chmod_read_only(index_copy)
    try:
        yield index_copy
    finally:
        make_writable(index_copy)


def test_read_only_index_dir_is_served_from_a_copy(
    read_only_index: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """In-process. The directory is chmod -R a-w; when that has no effect (root bypasses file modes),
    os.access is also made to report it unwritable, as it would for any other user."""
    root = read_only_index.resolve()
    if os.access(root / "builds", os.W_OK):  # running as root: simulate
        real_access = os.access

        def access(path: object, mode: int, *args: object, **kwargs: object) -> bool:
            p = Path(os.fsdecode(path)).resolve()  # type: ignore[arg-type]
            if mode & os.W_OK and (p == root or root in p.parents):
                return False
            return real_access(path, mode, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "access", access)
    before = snapshot(read_only_index)
    with caplog.at_level(logging.INFO, logger="assistant"):
        assistant = build_assistant(settings_for(read_only_index))
    index: OpenIndex = assistant.index
    assert any("read-only" in r.getMessage() for r in caplog.records)
    assert not any("building the index" in r.getMessage() for r in caplog.records)
    assert index.read_only_copy is not None and root not in index.read_only_copy.resolve().parents
    assert_answers(assistant)
    assert snapshot(read_only_index) == before
    copy = index.read_only_copy
    index.close()
    assert not copy.exists()
    assert snapshot(read_only_index) == before


READ_ONLY_CHILD = """
import json, os, sys
from pathlib import Path
from assistant.pipeline import build_assistant
from assistant.settings import Settings

root = Path(sys.argv[1])
try:
    open(root / "probe", "w")
    print(json.dumps({"writable": True}))
    sys.exit(0)
except PermissionError:
    pass
a = build_assistant(Settings(index_dir=root, embedder="fake"))
ans = a.ask("2023年地区生产总值增长多少？")
copy = str(a.index.read_only_copy)
a.index.close()
print(json.dumps({"writable": False, "answer": ans.text, "citations": len(ans.citations), "copy": copy,
                  "copy_left": os.path.exists(copy)}, ensure_ascii=False))
"""


def test_read_only_index_dir_enforced_by_the_kernel(read_only_index: Path) -> None:
    """The same, with file modes really enforced: a child process without CAP_DAC_OVERRIDE (so even
    root cannot write the chmod a-w files)."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() == 0 and not setpriv:
        pytest.skip("running as root without setpriv: cannot drop CAP_DAC_OVERRIDE")
    prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    before = snapshot(read_only_index)
    proc = subprocess.run(
        [*prefix, sys.executable, "-c", READ_ONLY_CHILD, str(read_only_index)],  # type: ignore[list-item]
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0 and "setpriv" in proc.stderr:
        pytest.skip(f"cannot drop capabilities here: {proc.stderr.strip()[:200]}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if result["writable"]:
        pytest.skip("file modes are not enforced for this process")
    assert re.search(r"\d+(\.\d+)?%\[1\]", result["answer"]) and result["citations"], result
    assert not result["copy_left"]
    assert "building the index" not in proc.stderr
    assert snapshot(read_only_index) == before


@pytest.mark.integration
def test_rebuild_into_an_unwritable_index_dir_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build that cannot create its temporary folder gives a clear error, not a raw PermissionError."""
    from assistant import store
    from assistant.chunking import ChunkerParams
    from assistant.embeddings import HashingEmbeddings
    from assistant.settings import DEFAULT_CORPUS
    from assistant.types import IndexUnavailableError

    def refuse(*args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(store.tempfile, "mkdtemp", refuse)
    with pytest.raises(IndexUnavailableError, match="无法写入索引目录"):
        store.build_index(
            DEFAULT_CORPUS, tmp_path / "idx", HashingEmbeddings(), "hashing-64", ChunkerParams()
        )
