"""Value types that flow through the pipeline: document -> blocks -> chunks -> passages -> answer."""

from __future__ import annotations

from dataclasses import dataclass, field

# Block / chunk kinds.
PROSE = "prose"
TABLE_ROW = "table_row"
BOX = "box"
LIST_ITEM = "list_item"
HEADING = "heading"
KINDS = (PROSE, TABLE_ROW, BOX, LIST_ITEM)

# Scopes: which part of an annual plan report a block belongs to.
REVIEW = "review"  # execution of the reviewed year's plan (e.g. 2023 完成情况)
PLAN = "plan"  # the coming year's plan (e.g. 2024 目标、重点工作)
GENERAL = "general"  # preamble and anything outside the two


class CorpusError(Exception):
    """A report file cannot be used; the message names the file and the reason."""


class IndexUnavailableError(Exception):
    """The index is missing, damaged or cannot be built; the message says why."""


@dataclass(frozen=True)
class Document:
    """A loaded report: normalised text plus where it came from."""

    path: str
    text: str
    sha256: str  # of the raw file bytes


@dataclass(frozen=True)
class Block:
    """A structural unit of the report: one paragraph, table row, box item or list item."""

    kind: str
    text: str  # shown text (for a table row: the rebuilt record)
    section_path: tuple[str, ...]
    scope: str
    start: int  # character offsets into Document.text
    end: int


@dataclass(frozen=True)
class Chunk:
    """A unit of retrieval. `id` is a content hash, so rebuilds are idempotent."""

    id: str
    text: str  # shown to the user
    section_path: tuple[str, ...]
    scope: str
    kind: str
    start: int
    end: int
    token_count: int
    source: str = ""

    @property
    def section(self) -> str:
        return " > ".join(self.section_path)

    @property
    def indexed_text(self) -> str:
        """What is embedded and keyword-indexed: the section path, then the text."""
        return f"{self.section}\n{self.text}" if self.section_path else self.text


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its fused score and the component scores behind it."""

    chunk: Chunk
    score: float
    keyword_score: float = 0.0
    dense_score: float = 0.0


@dataclass(frozen=True)
class Citation:
    n: int
    chunk_id: str
    section: str
    text: str  # the whole passage
    span: tuple[int, int]  # the quoted part inside `text`
    start: int = 0  # passage offsets in the source document
    end: int = 0
    report: str = ""  # the report's file name
    report_name: str = ""  # its short name: "永川区2024年计划"


@dataclass(frozen=True)
class Answer:
    text: str  # with inline [n] markers
    citations: tuple[Citation, ...] = ()
    refused: bool = False
    mode: str = "extractive"
    question: str = ""
    standalone_question: str = ""
    notice: str = ""  # e.g. why a model answer was replaced
    suggestions: tuple[str, ...] = ()  # closest sections, on refusal
    passages: tuple[Passage, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    reports: tuple[str, ...] = ()  # report files the answer is from (or, refused, that were searched)
    route: str = ""  # the routing rule that chose them (routing.py)
    rule: str = ""  # the answering or refusal rule that decided the answer


class QuestionError(ValueError):
    """A question that cannot be asked (empty, too long); the message is shown to the user."""
