"""Starter questions generated from the report's own structure (table rows, boxes, headings)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .structure import ReportYears
from .types import BOX, PLAN, PROSE, REVIEW, TABLE_ROW, Chunk

PAREN = re.compile(r"[（(][^）)]*[）)]")


def _indicators(chunks: Sequence[Chunk]) -> list[str]:
    """Indicator names from the first data column of review-year tables."""
    out = []
    for c in chunks:
        if c.kind == TABLE_ROW and c.scope == REVIEW:
            fields = c.text.split("｜")
            if len(fields) > 1:
                name = PAREN.sub("", fields[1].partition("：")[2]).replace("其中：", "").strip()
                if 2 <= len(name) <= 16 and name not in out:
                    out.append(name)
    return out


def starter_questions(
    chunks: Sequence[Chunk], years: ReportYears, per_group: int = 3
) -> dict[str, list[str]]:
    review = f"{years.review}年" if years.review else "去年"
    plan = f"{years.plan}年" if years.plan else "今年"
    groups: dict[str, list[str]] = {"目标": [], "完成情况": [], "重点项目": [], "民生实事": [], "政策": []}
    indicators = _indicators(chunks)
    for name in indicators[:per_group]:
        groups["目标"].append(f"{plan}{name}的增长目标是多少？")
        groups["完成情况"].append(f"{review}{name}增长了多少？")
    for c in chunks:
        last = c.section_path[-1] if c.section_path else ""
        if "重点项目" in c.section and c.scope == PLAN and len(groups["重点项目"]) < 1:
            groups["重点项目"].append(f"{plan}安排了多少个重点项目？总投资多少？")
        if c.kind == BOX and "民生" in last and not any("民生实事有哪些" in q for q in groups["民生实事"]):
            groups["民生实事"].append(f"{plan}的重点民生实事有哪些？")
        if c.kind == TABLE_ROW and "民生" in last and c.scope == REVIEW and len(groups["民生实事"]) < 3:
            item = c.text.split("｜")[1].partition("：")[2] if "｜" in c.text else ""
            item = item[1:-1] if item.startswith("“") and item.endswith("”") else item
            if item and len(item) <= 16 and not any(item in q for q in groups["民生实事"]):
                groups["民生实事"].append(
                    f"{review}{item}完成得怎么样？" if "“" in item else f"{review}“{item}”完成得怎么样？"
                )
        if (
            c.kind == PROSE
            and c.scope == PLAN
            and len(c.section_path) >= 3
            and len(groups["政策"]) < per_group
        ):
            topic = c.section_path[-1]
            if 2 <= len(topic) <= 10 and not any(topic in q for q in groups["政策"]):
                groups["政策"].append(f"{plan}在{topic}方面有哪些举措？")
    for c in chunks:
        if (
            c.scope == PLAN
            and "项目" in c.text
            and "重点项目" not in c.section
            and len(groups["重点项目"]) < per_group
        ):
            m = re.search(r"(?:开工建设|建成投用|加快建设)([^，。；、]{4,18}(?:项目|工程))", c.text)
            if m and "等" not in m.group(1) and not any(m.group(1) in q for q in groups["重点项目"]):
                groups["重点项目"].append(f"{m.group(1)}有什么安排？")
    return {k: v[:per_group] for k, v in groups.items() if v}
