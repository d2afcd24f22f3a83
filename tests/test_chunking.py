"""Chunking invariants over tricky input, the synthetic report of tests/data and the bundled report (issue #2)."""

from __future__ import annotations

import pytest

from assistant.chunking import ChunkerParams, _budget, chunk_blocks, count_tokens, split_sentences
from assistant.structure import parse_blocks
from assistant.types import PROSE, TABLE_ROW, Block, Chunk, Document

pytestmark = pytest.mark.unit

HEAD = "一、2022年工作回顾\n\n（一）总体情况\n\n"
CJK = "发展经济城市建设改革创新产业项目投资消费就业教育医疗文化生态农业工业交通能源科技人才开放"


def _no_punctuation(n: int) -> str:
    """n CJK characters without any punctuation, not a short repeating pattern."""
    return "".join(CJK[(i * 7 + i // len(CJK)) % len(CJK)] for i in range(n))


def _long_sentence(clauses: int) -> str:
    """One sentence (a single 。) of many clauses separated by ，."""
    return "，".join(f"第{i}项{CJK[i % 40 : i % 40 + 6]}工作有序推进" for i in range(clauses)) + "。"


TABLE = (
    "表3 项目情况表\n\n\t序号\n\t项目\n\t完成情况\n\n"
    "\t1\n\t东湖公园\n\t一期已完工。\n\n"
    + "\n\n".join(f"第{i}段：{_long_sentence(6)}" for i in range(12))
    + "\n\n\t2\n\t西山隧道\n\t贯通。\n\n\t3\n\t南岸码头\n\t已投用。\n\n\n后续工作持续推进。\n"
)

INPUTS = {
    "empty": "",
    "one character": "字",
    "one sentence under a heading": HEAD + "全年地区生产总值增长6.8%。",
    "run-on punctuation": HEAD
    + "".join(f"第{i}项工作推进顺利。真的吗？是的！继续努力；" for i in range(150)),
    "mixed zh/en/numbers": HEAD
    + "".join(
        f"2028年GDP达到742.6亿元, growth 6.8% in Q{i % 4 + 1}; CPI rose 0.{i % 9}%! 新增5G基站{i}个？"
        for i in range(80)
    ),
    "full-width digits": HEAD
    + "".join(f"２０２８年第{i}季度地区生产总值７４２．６亿元，增长６．８％。" for i in range(60)),
    "several short paragraphs": HEAD + "\n\n".join(f"第{i}件事已经办好。" for i in range(40)),
    "long sentence that fits under max_tokens": HEAD + _long_sentence(28) + "其余工作按期完成。",
    "table": HEAD + TABLE,
    "3000 characters, no punctuation": HEAD + _no_punctuation(3000),
    "3000 characters, no punctuation, no heading": _no_punctuation(3000),
}
PARAMS = {
    "default": ChunkerParams(),
    "small": ChunkerParams(target_tokens=80, max_tokens=160, overlap_sentences=1),
    "overlap 2": ChunkerParams(target_tokens=120, max_tokens=200, overlap_sentences=2),
    "no overlap": ChunkerParams(target_tokens=120, max_tokens=200, overlap_sentences=0),
}


def check_invariants(blocks: list[Block], chunks: list[Chunk], params: ChunkerParams) -> None:
    texts = [c.text for c in chunks]
    # no chunk exceeds the hard cap, and token_count tells the truth
    for c in chunks:
        assert count_tokens(c.indexed_text) <= params.max_tokens, (count_tokens(c.indexed_text), c.text[:60])
        assert c.token_count == count_tokens(c.indexed_text)
    # ids: content hashes, unique
    assert len({c.id for c in chunks}) == len(chunks)
    for block in blocks:
        if block.kind == TABLE_ROW:
            whole = f"{' > '.join(block.section_path)}\n{block.text}"
            if count_tokens(whole) <= params.max_tokens:  # a row that fits is never split
                assert texts.count(block.text) == 1, block.text[:60]
            else:  # a row that does not fit is split into parts that keep all of its text
                parts = [
                    c for c in chunks if c.kind == TABLE_ROW and c.start == block.start and c.end == block.end
                ]
                assert len(parts) > 1
                body = "".join(p.text.split("｜", 2)[2].removeprefix("（续）") for p in parts)
                for field in block.text.split("｜")[2:]:
                    assert field.split("：", 1)[-1].replace(" ", "") in body.replace(" ", "")
            continue
        # no sentence is lost: whole if it fits, and the block's text always fully covered
        hard = _budget(block.section_path, params.max_tokens)
        for sentence in split_sentences(block.text):
            if count_tokens(sentence) <= hard:
                assert any(sentence in t for t in texts), sentence[:60]
        if not any(block.text in t for t in texts):
            covered = [False] * len(block.text)
            for c in chunks:
                lo = c.start - block.start
                if (
                    c.section_path == block.section_path
                    and 0 <= lo
                    and block.text[lo : lo + len(c.text)] == c.text
                ):
                    covered[lo : lo + len(c.text)] = [True] * len(c.text)
            assert all(covered), f"text lost from block {block.text[:40]!r}"
        # chunks keep the block's section path and scope
        assert any(c.section_path == block.section_path and c.scope == block.scope for c in chunks)


@pytest.mark.parametrize("pname", list(PARAMS))
@pytest.mark.parametrize("name", list(INPUTS))
def test_invariants_on_tricky_input(name: str, pname: str) -> None:
    params = PARAMS[pname]
    blocks = parse_blocks(INPUTS[name])
    chunks = chunk_blocks(blocks, params)
    check_invariants(blocks, chunks, params)
    assert (len(chunks) == 0) == (name == "empty")
    again = chunk_blocks(parse_blocks(INPUTS[name]), params)
    assert [c.id for c in again] == [c.id for c in chunks]  # deterministic


@pytest.mark.parametrize("pname", ["default", "small", "overlap 2"])
def test_invariants_on_the_report(report_blocks: list[Block], pname: str) -> None:
    params = PARAMS[pname]
    chunks = chunk_blocks(report_blocks, params)
    check_invariants(report_blocks, chunks, params)
    assert [c.id for c in chunk_blocks(report_blocks, params)] == [c.id for c in chunks]


def test_report_table_rows_are_single_chunks(synthetic_doc: Document) -> None:
    blocks = parse_blocks(synthetic_doc.text)
    chunks = chunk_blocks(blocks, ChunkerParams())
    rows = [b for b in blocks if b.kind == TABLE_ROW]
    assert len(rows) == 9  # 表1's six indicators, 表2's three projects
    texts = [c.text for c in chunks]
    for r in rows:
        assert texts.count(r.text) == 1
    gdp = next(c for c in chunks if "742.6" in c.text)
    assert gdp.kind == TABLE_ROW and gdp.text.startswith(
        "表1 2028年主要指标完成情况表｜主要指标：地区生产总值"
    )


LONG_CELL = "\n\n".join(
    f"{k}：完成{k}项目{i}个，涉及居民{i * 120}户，累计投入资金{i * 3}.5亿元，群众满意度持续提升，"
    "后续将加快推进扫尾工作并建立长效管护机制。"
    for i, k in enumerate(
        (
            "燃气改造",
            "供水改造",
            "道路修缮",
            "绿化提升",
            "停车改造",
            "照明改造",
            "管网改造",
            "立面改造",
            "电梯加装",
        ),
        1,
    )
)
LONG_ROW_REPORT = (
    "一、2028年工作回顾\n\n表5 项目完成情况表\n\n\t序号\n\t项目名称\n\t计划任务\n\t完成情况\n\n"
    f"\t1\n\t城镇老旧小区改造\n\t改造老旧小区20个、加装电梯50台。\n\t{LONG_CELL}\n\n"
    "\t2\n\t农贸市场建设\n\t新建农贸市场2个。\n\t已完成。\n\n\n二、2029年工作安排\n\n继续推进。\n"
)
LONG_ROW_HEAD = "表5 项目完成情况表｜项目名称：城镇老旧小区改造｜"


def test_a_row_over_max_tokens_is_split_into_continued_parts() -> None:
    blocks = parse_blocks(LONG_ROW_REPORT)
    assert (
        count_tokens(next(b.text for b in blocks if b.text.startswith(LONG_ROW_HEAD)))
        > ChunkerParams().max_tokens
    )
    chunks = chunk_blocks(blocks, ChunkerParams())
    parts = [c for c in chunks if c.text.startswith(LONG_ROW_HEAD)]
    assert len(parts) == 2
    assert parts[1].text.startswith(LONG_ROW_HEAD + "（续）")
    assert "燃气改造" in parts[0].text and "电梯加装" in parts[1].text
    assert all(count_tokens(c.text) <= ChunkerParams().max_tokens for c in chunks)


def test_a_split_row_keeps_its_field_separators() -> None:
    chunks = chunk_blocks(parse_blocks(LONG_ROW_REPORT), ChunkerParams())
    first = next(c for c in chunks if c.text.startswith(LONG_ROW_HEAD))
    assert "加装电梯50台。｜完成情况：" in first.text


def test_the_long_report_sentences_are_kept_whole() -> None:
    """Sentences longer than target_tokens but under max_tokens are not cut into clauses."""
    long = _long_sentence(24)
    assert ChunkerParams().target_tokens < count_tokens(long) < ChunkerParams().max_tokens
    blocks = parse_blocks(HEAD + "各项工作有序推进。" + long + "其余工作按期完成。")
    chunks = chunk_blocks(blocks, ChunkerParams())
    assert any(long in c.text for c in chunks)


def test_ids_are_content_hashes() -> None:
    text = HEAD + "第一件事已经办好。"
    a = chunk_blocks(parse_blocks(text), ChunkerParams())
    b = chunk_blocks(parse_blocks("\n\n" + text), ChunkerParams())  # other offsets, same content
    c = chunk_blocks(parse_blocks(text.replace("办好", "办完")), ChunkerParams())
    assert [x.id for x in a] == [x.id for x in b]
    assert a[0].id != c[0].id
    same = HEAD + "同一句话。\n\n（二）其他\n\n过渡。\n\n（一）总体情况\n\n同一句话。"
    chunks = chunk_blocks(parse_blocks(same), ChunkerParams())
    assert len({x.id for x in chunks}) == len(chunks) == 3


def _windows(overlap: int) -> tuple[list[str], list[Chunk]]:
    sentences = [f"第{i}项重点工作已经按期完成并通过验收。" for i in range(120)]
    blocks = parse_blocks(HEAD + "".join(sentences))
    assert len(blocks) == 1 and blocks[0].kind == PROSE
    chunks = chunk_blocks(blocks, ChunkerParams(target_tokens=150, max_tokens=300, overlap_sentences=overlap))
    assert len(chunks) > 3
    return sentences, chunks


@pytest.mark.parametrize("overlap", [1, 2])
def test_consecutive_windows_share_sentences(overlap: int) -> None:
    sentences, chunks = _windows(overlap)
    for a, b in zip(chunks, chunks[1:], strict=False):
        tail = split_sentences(a.text)[-overlap:]
        assert split_sentences(b.text)[:overlap] == tail
        assert b.start < a.end  # offsets overlap too
    assert split_sentences(chunks[0].text)[0] == sentences[0]
    assert split_sentences(chunks[-1].text)[-1] == sentences[-1]


def test_no_overlap_means_windows_tile_the_paragraph() -> None:
    sentences, chunks = _windows(0)
    assert "".join(c.text for c in chunks) == "".join(sentences)
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert b.start == a.end


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", []),
        ("一句。", ["一句。"]),
        ("甲。乙！丙？丁；戊", ["甲。", "乙！", "丙？", "丁；", "戊"]),
        ("a!b?c;d", ["a!", "b?", "c;", "d"]),
        ("第一行\n第二行。", ["第一行", "第二行。"]),
        ("增长6.8%。", ["增长6.8%。"]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected
    assert "".join(expected) == text.replace("\n", "")
