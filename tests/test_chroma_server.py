"""A real Chroma server on loopback: the index is built into it, and a replica reuses it without rebuilding."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.pipeline import build_assistant
from assistant.settings import Settings
from assistant.store import current_build, read_manifest
from assistant.verification import verify_answer

pytestmark = pytest.mark.integration

CHROMA = Path(sys.executable).with_name("chroma")
GDP_QUESTION = "2023年地区生产总值增长多少？"
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate the server (its own process group), then kill it if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """`chroma run` on 127.0.0.1 with a temporary data directory, up once its heartbeat answers."""
    if not CHROMA.exists():
        pytest.skip(f"chroma CLI not installed at {CHROMA}")
    port = free_port()
    log_path = tmp_path / "chroma.log"
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            [
                str(CHROMA),
                "run",
                "--path",
                str(tmp_path / "chroma-data"),
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"chroma server exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"chroma server did not answer its heartbeat within {START_TIMEOUT:g}s")
            time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        stop(proc)


def test_builds_into_server_and_replica_reuses_it(
    chroma_server: tuple[str, int], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    host, port = chroma_server
    settings = Settings(chroma_host=host, chroma_port=port, index_dir=tmp_path / "index", embedder="fake")

    with caplog.at_level(logging.WARNING, logger="assistant"):
        first = build_assistant(settings)
    assert any("building the index" in r.getMessage() for r in caplog.records)
    manifest = first.index.manifest
    assert manifest.chroma == f"http://{host}:{port}"
    # the vectors live in the server, not in an embedded store under the index directory
    build = current_build(settings.index_dir)
    assert build is not None and not (build / "chroma").exists()
    import chromadb

    server = chromadb.HttpClient(host=host, port=port)
    assert server.get_collection(manifest.collection).count() == manifest.chunk_count

    answer = first.ask(GDP_QUESTION)
    assert not answer.refused
    assert answer.citations
    assert verify_answer(answer.text, {c.n: f"{c.section}\n{c.text}" for c in answer.citations}) == []

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="assistant"):
        replica = build_assistant(settings, rebuild=False)  # would raise if it needed a rebuild
    assert not any("building the index" in r.getMessage() for r in caplog.records)
    assert replica.index.manifest.build_id == manifest.build_id
    assert read_manifest(current_build(settings.index_dir)).build_id == manifest.build_id  # type: ignore[arg-type]
    assert [c.id for c in replica.index.chunks] == [c.id for c in first.index.chunks]
    again = replica.ask(GDP_QUESTION)
    assert again.text == answer.text
    assert [c.chunk_id for c in again.citations] == [c.chunk_id for c in answer.citations]
    # still one collection on the server
    assert [c.name for c in server.list_collections()] == [manifest.collection]
