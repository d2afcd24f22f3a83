"""Routing a question to the reports it is about, on synthetic report metadata."""

from __future__ import annotations

import pytest

from assistant.reports import Report
from assistant.routing import own_place_out, rare_own_names, route, switched_place, with_place, without_places

pytestmark = pytest.mark.unit


def rep(file: str, place: str, review: int, plan: int, parent: str = "") -> Report:
    return Report(file, "", place, parent, "", "政府工作报告", review, plan, "", "")


A = rep("a.txt", "河南省", 2030, 2031)
B = rep("b.txt", "湖北省", 2030, 2031)
C = rep("c.txt", "乙县", 2027, 2028, parent="重庆市")
ALL = [A, B, C]


def test_a_named_place_picks_its_report_in_the_order_named() -> None:
    assert route("湖北和河南今年粮食产量分别是多少？", ALL).reports == ("b.txt", "a.txt")
    assert route("河南省的粮食产量是多少？", ALL).reports == ("a.txt",)
    assert route("乙县去年引进了多少项目？", ALL).rule == "named"


def test_a_provincial_place_no_report_covers_is_uncovered() -> None:
    r = route("浙江今年粮食产量目标是多少？", ALL)
    assert r.rule == "uncovered" and r.reports == () and r.uncovered == ("浙江省",)


def test_the_unit_above_a_report_routes_to_it_but_is_not_uncovered() -> None:
    r = route("重庆今年要建哪些项目？", ALL)
    assert (r.rule, r.reports) == ("parent", ("c.txt",))


def test_a_year_only_one_report_covers_picks_it_and_no_name_asks_all() -> None:
    assert route("2027年引进了多少项目？", ALL).reports == ("c.txt",)
    assert route("今年地区生产总值增长目标是多少？", ALL).rule == "all"


def test_a_selected_report_wins_and_a_single_report_is_always_asked() -> None:
    assert route("河南今年的目标？", ALL, selected="b.txt").reports == ("b.txt",)
    assert route("浙江今年的目标？", [A]).reports == ("a.txt",)


def test_each_report_is_asked_only_about_itself() -> None:
    assert (
        without_places("江苏和广东今年粮食产量目标分别是多少？", ["江苏", "广东"])
        == "今年粮食产量目标分别是多少？"
    )
    assert "2031" not in without_places("乙县2028年和河南省2031年的目标分别是多少？", ["河南省"])


def test_a_follow_up_switches_report_and_year() -> None:
    assert switched_place("那湖北呢？", ALL) == B
    assert switched_place("湖北的城镇新增就业呢", ALL) is None  # a whole question, not an ellipsis
    names = ["河南省", "河南", "湖北省", "湖北"]
    assert with_place("河南今年粮食产量是多少？", "那湖北呢？", B, names) == "湖北今年粮食产量是多少？"
    assert (
        with_place("河南2030年粮食产量是多少？", "乙县2027年呢？", C, names) == "乙县2027年粮食产量是多少？"
    )


def test_a_place_name_the_report_rarely_writes_is_taken_out() -> None:
    texts = ["全省粮食产量增长。"] * 50 + ["河南省人民政府。"]
    rare = rare_own_names(A, texts, 0.03)
    assert "河南省" in rare
    assert own_place_out("河南省今年粮食产量是多少？", rare) == "今年粮食产量是多少？"
