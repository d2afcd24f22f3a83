"""Shared fixtures: the bundled report (loaded and parsed once), the synthetic report of tests/data and
the assistants built on it once per session, and the fast fake embedder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.chunking import ChunkerParams
from assistant.embeddings import HashingEmbeddings
from assistant.loading import load_document
from assistant.settings import DEFAULT_CORPUS
from assistant.structure import parse_blocks
from assistant.types import Block, Document
from tests.webfixtures import SYNTHETIC_REPORT


@pytest.fixture(scope="session")
def report_doc() -> Document:
    return load_document(DEFAULT_CORPUS)


@pytest.fixture(scope="session")
def report_blocks(report_doc: Document) -> list[Block]:
    return parse_blocks(report_doc.text)


@pytest.fixture
def report_copy(tmp_path: Path) -> Path:
    """A private copy of the bundled report, safe to modify."""
    path = tmp_path / "corpus" / DEFAULT_CORPUS.name
    path.parent.mkdir()
    shutil.copyfile(DEFAULT_CORPUS, path)
    return path


@pytest.fixture
def fake_embedder() -> HashingEmbeddings:
    return HashingEmbeddings()


@pytest.fixture
def chunker_params() -> ChunkerParams:
    return ChunkerParams()


# -- a small synthetic report (made-up place and figures) and assistants built on it once per session --


@pytest.fixture(scope="session")
def synthetic_doc() -> Document:
    return load_document(SYNTHETIC_REPORT)


@pytest.fixture(scope="session")
def synthetic_assistant(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The assistant over the synthetic report with the hashing embedder (fast, no models)."""
    from assistant.pipeline import build_assistant
    from assistant.settings import Settings

    index = tmp_path_factory.mktemp("synthetic-fake-index")
    return build_assistant(Settings(corpus=SYNTHETIC_REPORT, index_dir=index, embedder="fake"))


@pytest.fixture(scope="session")
def synthetic_real_assistant():  # type: ignore[no-untyped-def]
    """The assistant over the synthetic report with the bundled e5 embedder and a real Chroma store
    (the same one the API tests serve: built once per session)."""
    from tests.webfixtures import real_assistant

    return real_assistant(SYNTHETIC_REPORT)
