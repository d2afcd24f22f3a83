"""Structure of the report: section paths, scopes, table records, boxes and offsets (issue #2)."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from assistant.chunking import chunk_blocks
from assistant.loading import load_document, normalize_text
from assistant.structure import ReportYears, lead_in, parse_blocks, report_years
from assistant.types import BOX, GENERAL, LIST_ITEM, PLAN, PROSE, REVIEW, TABLE_ROW, Block, Chunk, Document

pytestmark = pytest.mark.unit

H1_REVIEW = "一、2028年国民经济和社会发展计划执行情况"
T1 = "表1 2028年主要指标完成情况表"
T2 = "表2：2028年民生实事完成情况表"
T1_ROWS = [
    f"{T1}｜主要指标：地区生产总值（亿元）｜预期目标：6.5%以上｜完成情况-总量：742.6｜完成情况-增速（%）：6.8",
    f"{T1}｜主要指标：规上工业增加值（亿元）｜预期目标：8%以上｜完成情况-总量：—｜完成情况-增速（%）：9.6",
    f"{T1}｜主要指标：固定资产投资（亿元）｜预期目标：9%以上｜完成情况-总量：—｜完成情况-增速（%）：10.4",
    f"{T1}｜主要指标：社会消费品零售总额（亿元）｜预期目标：6%以上｜完成情况-总量：318.7｜完成情况-增速（%）：7.2",
    f"{T1}｜主要指标：一般公共预算收入（亿元）｜预期目标：5%以上｜完成情况-总量：36.9｜完成情况-增速（%）：12.0",
    f"{T1}｜主要指标：其中：税收收入（亿元）｜预期目标：—｜完成情况-总量：24.1｜完成情况-增速（%）：7.0",
]
T2_PROJECTS = ["老旧小区改造", "“菜篮子”工程", "居家适老化改造"]


@pytest.fixture(scope="module")
def blocks(synthetic_doc: Document) -> list[Block]:
    return parse_blocks(synthetic_doc.text)


@pytest.fixture(scope="module")
def chunks(blocks: list[Block]) -> list[Chunk]:
    from assistant.chunking import ChunkerParams

    return chunk_blocks(blocks, ChunkerParams())


@pytest.fixture(scope="module", params=["synthetic", "bundled"])
def any_report(request: pytest.FixtureRequest) -> tuple[Document, list[Block], list[Chunk]]:
    """The synthetic report and the bundled one, for invariants that hold of any report."""
    from assistant.chunking import ChunkerParams

    doc = request.getfixturevalue("synthetic_doc" if request.param == "synthetic" else "report_doc")
    parsed = parse_blocks(doc.text)
    return doc, parsed, chunk_blocks(parsed, ChunkerParams())


def _one(items, needle: str):  # type: ignore[no-untyped-def]
    found = [x for x in items if needle in x.text]
    assert len(found) == 1, f"{needle!r} found in {len(found)} items"
    return found[0]


def _rows(blocks: list[Block], title: str) -> list[Block]:
    return [b for b in blocks if b.kind == TABLE_ROW and b.section_path[-1] == title]


# ── invariants of any report (the synthetic one and the bundled one) ──────────────────────────────


def test_every_block_and_chunk_has_section_and_scope(
    any_report: tuple[Document, list[Block], list[Chunk]],
) -> None:
    _, parsed, chunked = any_report
    assert len(parsed) > 30
    for item in [*parsed, *chunked]:
        assert item.section_path and all(p.strip() for p in item.section_path), item
        assert item.scope in {REVIEW, PLAN, GENERAL}, item


def test_scope_follows_the_top_level_heading(any_report: tuple[Document, list[Block], list[Chunk]]) -> None:
    doc, _, chunked = any_report
    years = report_years(doc.text)
    assert years.review and years.plan and years.review < years.plan
    tops = {c.section_path[0] for c in chunked}
    assert any(t.startswith(f"一、{years.review}年") for t in tops)
    assert any(t.startswith(f"二、{years.plan}年") for t in tops) and any(
        t.startswith(f"三、{years.plan}年") for t in tops
    )
    for c in chunked:
        top = c.section_path[0]
        if top.startswith("一、"):
            assert c.scope == REVIEW, c
        elif top.startswith(("二、", "三、")):
            assert c.scope == PLAN, c
        else:
            assert top == "引言" and c.scope == GENERAL, c


def test_table_rows_point_at_their_source_lines(
    any_report: tuple[Document, list[Block], list[Chunk]],
) -> None:
    doc, parsed, _ = any_report
    rows = [b for b in parsed if b.kind == TABLE_ROW]
    assert rows
    for row in rows:
        span = doc.text[row.start : row.end]
        # every cell value of the record is inside the row's source span
        for field in row.text.split("｜")[1:]:
            value = field.split("：", 1)[-1] if "：" in field else field
            for para in value.split(" "):
                assert para in span, (para, span)


def test_offsets_of_non_table_blocks(any_report: tuple[Document, list[Block], list[Chunk]]) -> None:
    doc, parsed, _ = any_report
    others = [b for b in parsed if b.kind != TABLE_ROW]
    assert others
    for b in others:
        assert doc.text[b.start : b.end] == b.text, b
    starts = [b.start for b in parsed]
    assert starts == sorted(starts)


# ── the synthetic report of tests/data: sections, tables, boxes and lists in the genre's layout ──────


def test_report_years(synthetic_doc: Document) -> None:
    assert report_years(synthetic_doc.text) == ReportYears(2028, 2029)


@pytest.mark.parametrize(
    "passage, scope, top",
    [
        ("全年地区生产总值增长6.8%", REVIEW, "一、"),
        ("全区规上工业总产值实现986.5亿元", REVIEW, "一、"),
        ("完成情况-总量：742.6", REVIEW, "一、"),
        ("地区生产总值增长6%左右", PLAN, "二、"),
        ("新建公共充电桩420个", PLAN, "三、"),
        ("改造老旧小区30个", PLAN, "三、"),
        ("受区人民政府委托", GENERAL, "引言"),
    ],
)
def test_known_passages_scope(chunks: list[Chunk], passage: str, scope: str, top: str) -> None:
    chunk = _one(chunks, passage)
    assert chunk.scope == scope
    assert chunk.section_path[0].startswith(top)


def test_section_path_of_a_lead_in_paragraph(blocks: list[Block], chunks: list[Chunk]) -> None:
    for item in (
        _one(blocks, "全区规上工业总产值实现986.5亿元"),
        _one(chunks, "全区规上工业总产值实现986.5亿元"),
    ):
        assert item.section_path == (
            H1_REVIEW,
            "（二）着力壮大实体经济，产业体系加快升级",
            "工业经济稳中提质",
        )


def test_table1_rows_are_one_record_each(blocks: list[Block]) -> None:
    rows = _rows(blocks, T1)
    assert [r.text for r in rows] == T1_ROWS
    for r in rows:
        assert r.section_path == (H1_REVIEW, T1)
        assert r.scope == REVIEW
        assert "序号" not in r.text


def test_table2_rows_are_one_record_each(blocks: list[Block]) -> None:
    rows = _rows(blocks, T2)
    assert len(rows) == len(T2_PROJECTS)
    for project, row in zip(T2_PROJECTS, rows, strict=True):
        assert row.text.startswith(f"{T2}｜项目名称：{project}｜计划任务："), row.text
        assert row.text.count("｜完成情况：") == 1 and "序号" not in row.text
        assert row.section_path == (H1_REVIEW, "（四）着力保障和改善民生，群众获得感不断增强", T2)
        assert row.scope == REVIEW
    first = rows[0].text
    # the multi-paragraph 完成情况 cell stays in its row's record, in order
    for part in ("小区改造：", "加装电梯："):
        assert part in first
    assert first.index("小区改造") < first.index("加装电梯：")
    assert rows[-1].text.endswith("｜完成情况：已完成。")


def test_text_after_table2_is_prose_again(blocks: list[Block]) -> None:
    after = _one(blocks, "全区民生支出占一般公共预算支出的比重")
    assert after.kind == PROSE and T2 not in after.section_path


def test_box_items(blocks: list[Block]) -> None:
    box2 = [b for b in blocks if b.section_path[-1] == "专栏2 2029年4件重点民生实事"]
    assert [b.kind for b in box2] == [BOX] * 4
    assert box2[0].text == "1.改造老旧小区30个。"
    assert box2[-1].text == "4.建设口袋公园8个。"
    assert all(b.scope == PLAN for b in box2)
    box3 = [b for b in blocks if b.section_path[-1] == "专栏3 2029年安全稳定重点事项"]
    assert [b.kind for b in box3] == [BOX] * 3
    # the box ends at the next heading
    tail = _one(blocks, "深化营商环境创新试点")
    assert tail.kind == PROSE and tail.section_path[-1] == "（四）持续深化改革开放"
    assert {b.section_path[-1] for b in blocks if b.kind == BOX} == {
        box2[0].section_path[-1],
        box3[0].section_path[-1],
    }


def test_list_items_under_their_lead_in(blocks: list[Block]) -> None:
    items = [b for b in blocks if b.kind == LIST_ITEM]
    # the heading line of each list ("两大支柱产业集群：") is kept with its items
    assert [b.section_path[-1] for b in items] == ["两大支柱产业集群"] * 3 + ["三个新兴产业集群"] * 4
    assert items[0].text == "两大支柱产业集群：" and items[3].text == "三个新兴产业集群："


@pytest.mark.parametrize(
    "paragraph, phrase",
    [
        ("工业经济稳中提质。全区规上工业总产值实现986.5亿元。", "工业经济稳中提质"),
        ("要素保障有力：出台《用地保障办法》。", "要素保障有力"),
        ("两大支柱产业集群：", "两大支柱产业集群"),
        ("全区规上工业总产值实现986.5亿元，同比增长9.1%。", None),
        ("各项工作稳步推进。", None),
        ("这是一个非常非常非常非常非常长的开头短语而且没有任何标点。后文。", None),
    ],
)
def test_lead_in(paragraph: str, phrase: str | None) -> None:
    assert lead_in(paragraph) == phrase


# ── general tables (not this report's words) ──────────────────────────────────────────────────

TWO_YEARS = "一、2022年工作回顾\n\n{body}\n二、2023年工作安排\n\n明年继续努力。\n"

TABLES = {
    "spanning header and sub-header": (
        "表3 水果价格表\n\n\t品种\n\t价格（元/斤）\n\n\t\n\t零售\n\t批发\n\n"
        "\t苹果\n\t6.5\n\t4.2\n\n\t香蕉\n\t3.8\n\t2.1\n\n\n本年水果价格总体平稳。\n",
        [
            "表3 水果价格表｜品种：苹果｜价格（元/斤）-零售：6.5｜价格（元/斤）-批发：4.2",
            "表3 水果价格表｜品种：香蕉｜价格（元/斤）-零售：3.8｜价格（元/斤）-批发：2.1",
        ],
        ["本年水果价格总体平稳。"],
    ),
    "multi-paragraph last cell": (
        "表4 项目进展表\n\n\t序号\n\t项目\n\t进展\n\n\t1\n\t东湖公园\n\t一期已完工。\n\n二期开工建设。\n\n三期完成设计。\n\n"
        "\t2\n\t西山隧道\n\t贯通。\n\n\n隧道贯通后通行时间缩短一半。\n",
        [
            "表4 项目进展表｜项目：东湖公园｜进展：一期已完工。 二期开工建设。 三期完成设计。",
            "表4 项目进展表｜项目：西山隧道｜进展：贯通。",
        ],
        ["隧道贯通后通行时间缩短一半。"],
    ),
    "multi-paragraph middle cell (docx export layout)": (
        "表6 项目进展表\n\n\t项目\n\t进展\n\t负责单位\n\n\t东湖公园\n\t一期已完工。\n\n二期开工建设。\n\t区住建委\n\n"
        "\t西山隧道\n\t贯通。\n\t区交通局\n\n\n两个项目均按期推进。\n",
        [
            "表6 项目进展表｜项目：东湖公园｜进展：一期已完工。 二期开工建设。｜负责单位：区住建委",
            "表6 项目进展表｜项目：西山隧道｜进展：贯通。｜负责单位：区交通局",
        ],
        ["两个项目均按期推进。"],
    ),
    "no serial column, text first column, title right above": (
        "表5 学校情况\n\t学校\n\t学生数\n\t教师数\n\n\t第一中学\n\t1200\n\t90\n\n\t第二中学\n\t800\n\t61\n\n\n"
        "两所学校均已达标。\n",
        [
            "表5 学校情况｜学校：第一中学｜学生数：1200｜教师数：90",
            "表5 学校情况｜学校：第二中学｜学生数：800｜教师数：61",
        ],
        ["两所学校均已达标。"],
    ),
    "no serial column, small numbers in the first column": (
        "各月降水量\n\n\t月份\n\t降水量（毫米）\n\n\t1\n\t12.5\n\n\t2\n\t20.1\n\n\t3\n\t35.0\n\n\n春季降水偏多。\n",
        [
            "各月降水量｜月份：1｜降水量（毫米）：12.5",
            "各月降水量｜月份：2｜降水量（毫米）：20.1",
            "各月降水量｜月份：3｜降水量（毫米）：35.0",
        ],
        ["春季降水偏多。"],
    ),
    "empty cells and an unnumbered sub-row": (
        "表7 收入情况\n\n\t序号\n\t指标\n\t数值\n\n\t1\n\t一般公共预算收入\n\t50.1\n\n\t\n\t其中：税收\n\t33.8\n\n"
        "\t2\n\t基金收入\n\t\n\n\n收入结构持续优化。\n",
        [
            "表7 收入情况｜指标：一般公共预算收入｜数值：50.1",
            "表7 收入情况｜指标：其中：税收｜数值：33.8",
            "表7 收入情况｜指标：基金收入",
        ],
        ["收入结构持续优化。"],
    ),
}


@pytest.mark.parametrize("name", list(TABLES))
def test_general_tables(name: str) -> None:
    body, records, after = TABLES[name]
    text = normalize_text(TWO_YEARS.format(body=body))
    blocks = parse_blocks(text)
    rows = [b for b in blocks if b.kind == TABLE_ROW]
    assert [r.text for r in rows] == records
    title = records[0].split("｜", 1)[0]
    for r in rows:
        assert r.section_path == ("一、2022年工作回顾", title)
        assert r.scope == REVIEW
    prose = [b for b in blocks if b.kind == PROSE]
    # the paragraph after two blank lines is not swallowed into the last cell
    assert [b.text for b in prose] == [*after, "明年继续努力。"]
    assert all(title not in b.section_path for b in prose)
    assert prose[-1].scope == PLAN
    for b in prose:
        assert text[b.start : b.end] == b.text


def test_docx_table_with_a_multi_paragraph_middle_cell(tmp_path: Path) -> None:
    d = docx.Document()
    d.add_paragraph("一、2022年工作回顾")
    d.add_paragraph("表6 项目进展表")
    t = d.add_table(rows=3, cols=3)
    for j, h in enumerate(["项目", "进展", "负责单位"]):
        t.cell(0, j).text = h
    t.cell(1, 0).text, t.cell(1, 1).text, t.cell(1, 2).text = "东湖公园", "一期已完工。", "区住建委"
    t.cell(1, 1).add_paragraph("二期开工建设。")
    t.cell(2, 0).text, t.cell(2, 1).text, t.cell(2, 2).text = "西山隧道", "贯通。", "区交通局"
    d.add_paragraph("隧道贯通后通行时间缩短一半。")
    d.add_paragraph("二、2023年工作安排")
    path = tmp_path / "report.docx"
    d.save(str(path))
    blocks = parse_blocks(load_document(path).text)
    assert [(b.kind, b.text) for b in blocks] == [
        (TABLE_ROW, "表6 项目进展表｜项目：东湖公园｜进展：一期已完工。 二期开工建设。｜负责单位：区住建委"),
        (TABLE_ROW, "表6 项目进展表｜项目：西山隧道｜进展：贯通。｜负责单位：区交通局"),
        (PROSE, "隧道贯通后通行时间缩短一半。"),
    ]


def test_one_blank_line_continues_the_last_cell() -> None:
    """The layout's rule: a paragraph after a single blank line is another paragraph of the last cell."""
    text = "表8 进度\n\n\t项目\n\t进展\n\n\t东湖公园\n\t一期已完工。\n\n二期开工建设。\n"
    rows = [b.text for b in parse_blocks(text) if b.kind == TABLE_ROW]
    assert rows == ["表8 进度｜项目：东湖公园｜进展：一期已完工。 二期开工建设。"]


def test_a_heading_ends_a_table() -> None:
    text = "一、2022年工作回顾\n\n表9 进度\n\n\t项目\n\t进展\n\n\t东湖公园\n\t已完工。\n\n（一）其他工作\n\n各项工作有序推进。\n"
    blocks = parse_blocks(text)
    assert [b.kind for b in blocks] == [TABLE_ROW, PROSE]
    assert blocks[1].section_path == ("一、2022年工作回顾", "（一）其他工作")


def test_short_paragraph_before_a_box_title_is_not_a_table_title() -> None:
    text = normalize_text(
        "一、2022年工作回顾\n\n二、2023年工作安排\n\n（一）民生\n\n主要安排如下：\n\t专栏3  重点项目\n\n1.建设学校。\n\n2.建设医院。\n"
    )
    blocks = parse_blocks(text)
    assert [(b.kind, b.text) for b in blocks] == [
        (PROSE, "主要安排如下："),
        (BOX, "1.建设学校。"),
        (BOX, "2.建设医院。"),
    ]
    assert blocks[1].section_path == ("二、2023年工作安排", "（一）民生", "专栏3 重点项目")
    assert all(b.scope == PLAN for b in blocks)


@pytest.mark.parametrize("text", ["", "\n\n\n", "\t", "一、2023年工作回顾\n\n（一）总体情况\n"])
def test_nothing_to_parse(text: str) -> None:
    assert parse_blocks(text) == []


def test_a_term_item_on_a_line_of_its_own_and_its_explanation_are_one_block() -> None:
    # the annex of a work report: "名词解释" items name a term, the paragraph after says what it means
    text = (
        "一、2030年工作安排\n\n推进各项工作。\n\n名词解释\n\n1.“三好道路”：\n\n指建好、管好、护好道路。\n\n"
        "2.甲乙“两网融合”：\n\n指甲网和乙网的融合。\n\n3.“四新”：指新技术、新产业。\n\n4.“五有”：\n\n5.“六无”：\n"
    )
    blocks = parse_blocks(text, ReportYears(2029, 2030))
    items = [b for b in blocks if b.kind == LIST_ITEM]
    assert [b.text.replace("\n", "") for b in items] == [
        "1.“三好道路”：指建好、管好、护好道路。",
        "2.甲乙“两网融合”：指甲网和乙网的融合。",
        "3.“四新”：指新技术、新产业。",
        "4.“五有”：",  # followed by another item: nothing to join
        "5.“六无”：",
    ]
    assert all(text[b.start : b.end] == b.text for b in blocks)
    assert all(b.section_path == ("名词解释",) for b in items)  # the annex is a section of its own


def test_the_text_run_in_after_a_short_numbered_heading_is_kept() -> None:
    """（一）稳定农业生产。新建…: the heading is its first sentence, the rest of the line is its text (it was
    lost when the whole line was taken for a heading)."""
    text = "二、2030年重点工作安排\n\n（一）稳定农业生产。新建高标准农田10万亩，建设粮食烘干中心6个。\n\n（二）扩大对外开放\n\n推进港口三期工程建设。\n"
    blocks = parse_blocks(text)
    first = next(b for b in blocks if "高标准农田" in b.text)
    assert first.text == "新建高标准农田10万亩，建设粮食烘干中心6个。"
    assert first.section_path[-1] == "（一）稳定农业生产"
    assert text[first.start : first.end] == first.text
    assert next(b for b in blocks if "港口" in b.text).section_path[-1] == "（二）扩大对外开放"
