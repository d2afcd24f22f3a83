"""Report metadata from a report's own title block, headings and an optional sidecar."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from assistant.reports import (
    BUDGET_REPORT,
    NATIONAL,
    OTHER,
    PLAN_REPORT,
    WORK_REPORT,
    derive,
    place_names,
    problems,
)
from assistant.types import CorpusError, Document

pytestmark = pytest.mark.unit


def doc(text: str, name: str = "r.txt", folder: Path | None = None) -> Document:
    path = str((folder or Path("/nonexistent")) / name)
    return Document(path, text, hashlib.sha256(text.encode()).hexdigest())


WORK = """2031年某某省政府工作报告

——2031年1月20日在某某省第十五届人民代表大会第一次会议上

某某省人民政府省长 张三

各位代表：

一、2030年工作回顾

去年地区生产总值增长5%。

二、2031年重点工作

今年地区生产总值增长5%左右。
"""

PLAN = """关于甲市乙县2030年国民经济和社会

发展计划执行情况及2031年计划草案的报告

甲市乙县发展和改革委员会

各位代表：

一、2030年国民经济和社会发展计划执行情况

全年地区生产总值增长6%。

二、2031年国民经济和社会发展计划

地区生产总值增长6%左右。
"""


def test_a_work_report_names_its_place_genre_years_and_date() -> None:
    r = derive(doc(WORK))
    assert (r.place, r.genre, r.review_year, r.plan_year, r.date) == (
        "某某省",
        WORK_REPORT,
        2030,
        2031,
        "2031-01-20",
    )
    assert r.issuer == "某某省人民政府"
    assert r.short_name == "某某省2031年政府工作报告"


def test_a_plan_report_rejoins_its_broken_title_and_keeps_the_unit_above() -> None:
    r = derive(doc(PLAN))
    assert r.title == "关于甲市乙县2030年国民经济和社会发展计划执行情况及2031年计划草案的报告"
    assert (r.place, r.parent, r.genre) == ("乙县", "甲市", PLAN_REPORT)
    assert (r.review_year, r.plan_year) == (2030, 2031)
    assert r.issuer == "甲市乙县发展和改革委员会"
    assert r.short_name == "乙县2031年计划"


def test_a_provincial_name_from_the_gazetteer_wins_over_a_suffix_guess() -> None:
    r = derive(doc(WORK.replace("某某省", "河南省")))
    assert r.place == "河南省" and r.parent == ""
    assert set(place_names("河南省")) >= {"河南省", "河南"}


def test_the_state_council_is_the_national_report() -> None:
    text = "2031年政府工作报告\n\n——2031年3月5日在第十五届全国人民代表大会第一次会议上\n\n国务院总理 李四\n\n各位代表：\n\n一、2030年工作回顾\n\n正文。\n"
    r = derive(doc(text))
    assert r.place == NATIONAL and r.genre == WORK_REPORT and r.plan_year == 2031


@pytest.mark.parametrize(
    ("title", "genre"),
    [("关于某市2030年预算执行情况和2031年预算草案的报告", BUDGET_REPORT), ("某市发展观察", OTHER)],
)
def test_genres_by_title(title: str, genre: str) -> None:
    assert derive(doc(f"{title}\n\n各位代表：\n\n一、正文\n\n内容。\n")).genre == genre


def test_a_report_without_years_says_so_and_a_sidecar_fixes_it(tmp_path: Path) -> None:
    text = "某市发展观察\n\n一、总体情况\n\n内容。\n"
    r = derive(doc(text, "obs.txt", tmp_path))
    assert r.review_year is None and r.plan_year is None
    assert any("obs.txt" in p and "years" in p for p in problems(r))
    (tmp_path / "obs.txt.meta.json").write_text(
        json.dumps({"plan_year": 2031, "place": "某市"}), encoding="utf-8"
    )
    fixed = derive(doc(text, "obs.txt", tmp_path))
    assert (fixed.plan_year, fixed.place) == (2031, "某市")
    assert not [p for p in problems(fixed) if "years" in p]


@pytest.mark.parametrize(
    "content", ["{not json", json.dumps({"colour": "red"}), json.dumps({"plan_year": "明年"})]
)
def test_a_bad_sidecar_names_itself(tmp_path: Path, content: str) -> None:
    (tmp_path / "r.txt.meta.json").write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError, match=r"r\.txt\.meta\.json"):
        derive(doc(WORK, "r.txt", tmp_path))
