"""Shared fixtures: the bundled report (loaded and parsed once) and the fast fake embedder."""

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
