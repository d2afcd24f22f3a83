"""The refusal rules that look at what kind of figure a question wants and where it is asked about.

Unit tests use sentences written here; the integration tests ask the synthetic report of tests/data."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from assistant.answering import Sentence, figures_text
from assistant.pipeline import Assistant
from assistant.query import question_clauses
from assistant.refusal import PLACE, Case, initials_named, missing_kind
from assistant.types import TABLE_ROW, Chunk, Passage


@pytest.mark.unit
@pytest.mark.parametrize(
    ("question", "answer", "reason"),
    [
        ("项目总投资是多少亿元？", "启动建设三期工程，完善配套服务设施。", "no sum of money"),
        ("项目总投资是多少钱？", "新建5G基站260个。", "no sum of money"),  # a figure, but not money
        ("进出口增速是多少？", "全区进出口总额完成56.3亿元。", "no percentage"),
        ("进出口同比增长了多少？", "全区进出口总额完成56.3亿元。", "no percentage"),
        ("新增多少个5A级景区？", "创建国家4A级旅游景区。", "no figure"),  # 4A is a grade, not a count
        ("二期项目规划面积有多大？", "启动建设二期项目。", "no figure"),  # 二期 is a phase
        ("自来水普及率要达到多少？", "推动城乡供水一体化建设。", "no percentage"),
        ("GDP在全市排第几名？", "地区生产总值增长6.8%。", "no ranking"),
        ("房子多少钱一平米？", "提供保障性租赁住房2150套，投入860万元。", "no price"),
        ("那个展馆叫什么名字？", "会展业开拓新局，积极引进专业运营团队。", "no name"),
        ("中心设计有多少张床位？", "完成主体工程的80%，新建住院楼1栋。", "no figure in 张"),
        ("占比是多少？", "完成投资5.16亿元。", "no percentage"),
        ("规划面积有多大？", "综合保税区封关运行。", "no figure"),
        ("新增了几家景区？", "推动景区完善基础设施。", "no figure"),
        ("新增多少个景区？", "制定《2028年旅游方案》，推进G318升级改造。", "no figure"),  # a year, a code
        ("一共收发了多少件快递？", "云购居家（澜川）线下体验馆开业运营，新增网点9个。", "no figure in 件"),
        # a sum asked by its measure's name (产值 is counted in 元), answered only with growth rates
        ("去年茶叶产业的产值有多少？", "茶叶、水果两大产业分别同比增长4.2%、6.1%。", "no sum of money"),
        ("营业收入一共是多少？", "规上服务业企业营业收入同比增长12%。", "no sum of money"),
        ("化解了多少笔欠款？", "解决企业反映问题50个。", "no figure in 笔"),  # 笔 counts sums of money
        (
            "医院项目总投资是多少亿元？",
            "争取中央资金6.1亿元，保障医院等17个项目建设。",
            "no 投资",
        ),  # another sum
    ],
)
def test_a_question_for_a_kind_of_figure_the_answer_lacks(question: str, answer: str, reason: str) -> None:
    assert missing_kind(question, answer) == reason


@pytest.mark.unit
@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("项目总投资是多少亿元？", "完成投资5.16亿元。"),
        ("发放了多少钱的补贴？", "发放补贴3620.5万元。"),
        ("增速是多少？", "地区生产总值增长6.8%。"),
        ("比上年提高了多少？", "提高0.5个百分点。"),
        ("新增了几家？", "新增社会办养老机构3所。"),
        ("新建了几所学校？", "新建两所学校。"),
        ("目标是多少？", "力争进出口总额增长一倍。"),
        ("就业人数增长了多少万人？", "城镇新增就业1.6万人。"),
        ("包括哪几个方面？", "防汛抗旱、食品药品安全和社会治理。"),  # 哪几个 asks for names
        ("有什么措施？", "健全最低工资标准调整机制。"),  # asks for no figure at all
        ("计划改建多少公里供水管网？", "改建供水管网60余公里。"),
        ("排名第几？", "综合排名位居全市第3位。"),
        ("自来水多少钱一吨？", "居民用水价格为每吨3.5元。"),
        ("那个展馆叫什么名字？", "全市规模最大的展馆——澜川国际博览中心建成投用。"),
        ("那个品牌叫什么？", "打响“澜川云雾”品牌。"),
        ("茶叶产业的产值有多少？", "茶叶产业总产值达48.6亿元。"),
        ("茶叶产业的产值有多少？", "茶叶产业产值突破50亿。"),  # 亿 of 元, the unit left off
        ("茶叶产业的产值增长了多少？", "茶叶产业产值同比增长4.2%。"),  # a change asked: a percentage
    ],
)
def test_an_answer_holding_the_wanted_kind_of_figure_passes(question: str, answer: str) -> None:
    assert missing_kind(question, answer) is None


@pytest.mark.unit
def test_place_names_need_a_name_before_the_suffix() -> None:
    assert PLACE.match("宁川区") and PLACE.match("云津县")
    assert not PLACE.match("全区") and not PLACE.match("城区")


@pytest.fixture
def assistant(synthetic_assistant: Assistant) -> Assistant:
    return synthetic_assistant


@pytest.mark.integration
@pytest.mark.parametrize(
    "question",
    [
        "2028年宁川区地区生产总值增长多少？",  # another district
        "滨江绿道提档升级要花多少钱？",  # the project is named, its cost is not
        "澜川国际博览中心是哪个月建成的？",  # a month the report does not give
        "澜川国际博览中心在哪里？",  # its sentence says 全市规模最大: the whole city is no location
        "2029年一般公共预算支出预计是多少？",  # stated for 2028 only; the 2029 targets give the 收入
    ],
)
def test_near_misses_are_refused(assistant: Assistant, question: str) -> None:
    assert assistant.ask(question).refused
    assert not assistant.ask("2029年全区固定资产投资增长目标是多少？").refused  # the targets name it


@pytest.mark.integration
@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("2028年全区规上工业总产值是多少？", "986.5亿元"),  # 全区 is the report's own area
        ("澜川文化馆评上了什么级别？", "国家一级文化馆"),  # 级别 frames the question, it is no topic
    ],
)
def test_the_report_s_own_words_around_a_question_do_not_refuse_it(
    assistant: Assistant, question: str, fact: str
) -> None:
    ans = assistant.ask(question)
    assert not ans.refused, ans.text
    assert fact in ans.text


@pytest.mark.integration
def test_a_compound_of_a_report_term_and_a_modifier_is_not_an_unknown_term(assistant: Assistant) -> None:
    policy = assistant.extractive.rules
    assert policy._near_term_in("大面积", "修补破损路面面积1.8万平方米")  # 大 + 面积
    assert policy._near_term_in("体育赛事", "体育场馆开放，举办赛事活动")  # both parts in the passage
    assert not policy._near_term_in("城镇居民", "全体居民人均可支配收入")  # 城镇 is the point
    assert not policy._near_term_in("房顶", "屋顶分布式光伏项目")


@pytest.mark.unit
@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("开电车的人多了，今年要新建几个充电桩？", "今年要新建几个充电桩？"),  # the lead-in sets the scene
        ("买房的人关心，交付率多少，进度如何？", "交付率多少，进度如何？"),
        ("去年GDP增长多少？", "去年GDP增长多少？"),
        ("介绍一下澜川，谢谢", "介绍一下澜川，谢谢"),  # nothing asks: all of it counts
    ],
)
def test_the_clauses_that_ask(question: str, asked: str) -> None:
    assert question_clauses(question) == asked


@pytest.mark.integration
def test_a_word_the_report_never_uses_in_a_lead_in_clause_does_not_refuse(assistant: Assistant) -> None:
    ans = assistant.ask("开电车的人越来越多，2029年要新建多少个公共充电桩？")
    assert not ans.refused, ans.text
    assert "420个" in ans.text


@pytest.mark.integration
def test_going_abroad_is_no_place_name(assistant: Assistant) -> None:
    ans = assistant.ask("2028年澜川和外国做生意，进出口总额是多少？")
    assert not ans.refused, ans.text
    assert "56.3亿元" in ans.text


@pytest.mark.unit
def test_a_table_cell_marked_as_no_figure_gives_no_figure() -> None:
    chunk = Chunk("t1", ROW, ("表1",), "review", TABLE_ROW, 0, len(ROW), 40)
    text = figures_text(Sentence(0, ROW, 0, 1.0, 1.0), [Passage(chunk, 1.0)])
    assert "—" not in text and "亿元" not in text  # the total is "—"; （亿元） is only a header
    assert missing_kind("2028年固定资产投资总额是多少亿元？", text) == "no sum of money"
    assert missing_kind("2028年固定资产投资增长多少？", text) is None


ROW = "表1 主要指标｜主要指标：固定资产投资（亿元）｜预期目标：9%以上｜完成情况-总量：—｜完成情况-增速（%）：10.4"


@pytest.mark.unit
def test_places_named_together_by_their_initials() -> None:
    text = "以桐澜云协同发展示范区建设为抓手"
    assert initials_named(["桐州", "澜川", "云津"], text)
    assert initials_named(["桐乡", "澜川", "云津区"], text)
    assert not initials_named(["云津"], text)  # one place alone is no compound of initials
    assert not initials_named(["桐州", "云津"], text)  # 桐澜云 names a third place too
    assert not initials_named(["宁川", "澜川"], text)


@pytest.mark.integration
def test_other_places_the_report_names_by_initials_do_not_refuse(assistant: Assistant) -> None:
    ans = assistant.ask("桐州、澜川、云津一起推出了多少条精品旅游线路？")  # the report says 桐澜云
    assert not ans.refused, ans.text
    assert "8条" in ans.text
    assert assistant.ask("桐州2028年的地区生产总值增长多少？").refused


@pytest.mark.integration
def test_a_word_the_tagger_takes_for_a_place_is_no_other_place(assistant: Assistant) -> None:
    rules = assistant.extractive.rules
    # jieba tags all of these ns: 新建 is a county but the thesaurus lists it as "to build", 太累 is
    # the tagger's guess at a word its dictionary lacks
    assert rules._names_place("泸州", "ns") and rules._names_place("华中", "ns")
    assert rules._names_place("桐州", "ns")  # unknown, but it ends in a level
    assert not rules._names_place("新建", "ns") and not rules._names_place("太累", "ns")
    ans = assistant.ask("2028年新建的公办幼儿园有几所？")  # the report says 新增
    assert not ans.refused, ans.text
    assert "4所" in ans.text
    assert assistant.ask("2028年泸州新增的公办幼儿园有几所？").refused  # a real other place


@pytest.mark.integration
def test_a_year_in_a_lead_in_clause_does_not_refuse(assistant: Assistant) -> None:
    ans = assistant.ask("孩子明年上小学，2029年要新建多少个公共充电桩？")  # 明年 = 2030 only sets the scene
    assert not ans.refused, ans.text
    assert "420个" in ans.text
    assert assistant.ask("2030年要新建多少个公共充电桩？").refused  # a year the report does not plan


@pytest.mark.integration
def test_an_everyday_word_for_a_term_the_quoted_sentence_uses_does_not_refuse(assistant: Assistant) -> None:
    ans = assistant.ask("2029年城区停车位要新增多少个？")  # 停车位: the report says 泊位
    assert not ans.refused, ans.text
    assert "600个" in ans.text
    policy = assistant.extractive.rules
    assert policy._everyday_for("房顶", "新增屋顶分布式光伏项目备案31个")
    assert not policy._everyday_for("房顶", "全区新增规上工业企业41家")  # the term must be quoted


@pytest.mark.integration
def test_a_name_must_be_of_what_the_question_asks_about(assistant: Assistant) -> None:
    ans = assistant.ask("全市规模最大的那个展馆叫什么名字？")  # 名字 frames the question
    assert not ans.refused, ans.text
    assert "澜川国际博览中心" in ans.text
    # the sentence on the cranes names a festival and an award, but not the cranes
    assert assistant.ask("2028年引进的丹顶鹤叫啥名字？").refused


@pytest.mark.integration
def test_a_table_cell_marked_as_not_given_for_the_column_asked_refuses(assistant: Assistant) -> None:
    assert assistant.ask("2028年固定资产投资完成的总量是多少？").refused  # 表1: 总量 "—"
    ans = assistant.ask("2028年地区生产总值完成的总量是多少？")
    assert not ans.refused, ans.text
    assert "742.6" in ans.text


@pytest.mark.unit
def test_blank_cell_asked() -> None:
    from assistant.answering import blank_cell_asked

    row = "表1｜主要指标：规上工业增加值（亿元）｜完成情况-总量：—｜完成情况-增速（%）：9.6"
    passages = [Passage(Chunk("t1", row, ("表1",), "review", TABLE_ROW, 0, len(row), 40), 1.0)]
    s = Sentence(0, row, 0, 1.0, 1.0)
    assert blank_cell_asked("规上工业增加值的总量是多少？", s, passages)
    assert not blank_cell_asked("规上工业增加值增速是多少？", s, passages)


@pytest.mark.unit
def test_formal_terms_name_what_reports_state_and_everyday_words_are_not_among_them() -> None:
    from assistant.query import formal_terms, is_formal

    assert len(formal_terms()) > 1000  # the list ships with the package
    for word in ("常住人口", "报名费", "区长", "吞吐量", "入境"):  # 入境 is part of 入境游客
        assert is_formal(word), word
    for word in ("房顶", "娃娃", "新装", "家家户户", "女生"):
        assert not is_formal(word), word


@pytest.mark.unit
def test_part_of_a_formal_term_is_formal_in_a_question_that_writes_some_of_the_rest() -> None:
    from assistant.query import is_formal

    assert is_formal("入境", "去年接待入境游客多少人次？")  # 入境游客
    assert is_formal("浓度", "细颗粒物年均浓度是多少？")  # 细颗粒物浓度
    assert not is_formal("购物", "去年发了多少钱的购物优惠券？")  # 购物中心 is not asked
    assert not is_formal("步道", "今年要修多长的环湖步道？")  # nor 健身步道
    assert is_formal("常住人口", "今年常住人口多少？")  # a listed term itself


@pytest.mark.integration
def test_an_everyday_word_the_report_never_uses_does_not_refuse(assistant: Assistant) -> None:
    ans = assistant.ask("2029年街上要新装多少个公共充电桩？")  # 新装: the report says 新建
    assert not ans.refused, ans.text
    assert "420个" in ans.text
    assert assistant.ask("2028年澜川常住人口有多少人？").refused  # a statistic the report never gives


@pytest.mark.integration
def test_an_everyday_word_whose_formal_term_is_not_in_the_passages_still_refuses(
    assistant: Assistant,
) -> None:
    policy = assistant.extractive.rules
    assert policy._names_a_measure("病人", "完成区人民医院新院区主体施工")  # 病人 -> 患者, absent
    assert not policy._names_a_measure("病人", "服务患者8万人次")
    assert not policy._names_a_measure("新装", "完成区人民医院新院区主体施工")  # no formal term at all
    assert policy._names_a_measure("房顶", "完成区人民医院新院区主体施工")  # 房顶 -> 屋顶, absent
    assert policy._names_a_measure("常住人口", "全体居民人均可支配收入")


@pytest.mark.unit
def test_kilowatt_hours_are_a_measure_asked_for() -> None:
    assert missing_kind("全区一共用了多少度电？", "茶叶、水果总产值分别增长2.4%、6.1%。") == "no figure in 度"
    assert missing_kind("全区一共用了多少度电？", "全社会用电量9亿度。") is None


@pytest.mark.parametrize(
    ("question", "where"),
    [
        ("大熊猫在哪里可以看？", True),
        ("项目建在哪？", True),
        ("2030年存在哪些问题和不足？", False),
        ("在哪些方面发力？", False),
    ],
)
def test_which_is_not_where(question: str, where: bool) -> None:
    from assistant.refusal import WHERE_Q

    assert bool(WHERE_Q.search(question)) is where


@pytest.mark.integration
def test_where_needs_the_place_of_what_is_asked_not_of_a_neighbouring_clause(assistant: Assistant) -> None:
    from assistant.types import PROSE

    def passage(text: str) -> Passage:
        return Passage(Chunk("w", text, ("旅游",), "review", PROSE, 0, len(text), 40), 1.0)

    ex = assistant.extractive
    # the place in the sentence (甲溪古镇) is another clause's: where the cranes are is not said
    said = "旅游市场加快复苏，成功引进丹顶鹤6只，甲溪古镇获评旅游休闲街区创新发展案例。"
    ans = ex.answer(assistant.retriever.understand("丹顶鹤在哪里可以看？"), [passage(said)], (2030, 2031))
    assert ans.refused, ans.text
    # the place named with what is asked answers
    here = "旅游市场加快复苏，在乙山湿地公园引进丹顶鹤6只，甲溪古镇获评旅游休闲街区创新发展案例。"
    ans = ex.answer(assistant.retriever.understand("丹顶鹤在哪里可以看？"), [passage(here)], (2030, 2031))
    assert not ans.refused and "乙山" in ans.text, ans.text


@pytest.mark.unit
def test_a_condensed_follow_up_is_checked_for_what_its_own_words_ask() -> None:
    """ "…一共列了几件实事，其中头一件是什么？" asks what the first is: no count in 件 is wanted; "那乙县呢？"
    asks nothing itself, so the previous question's kind still counts."""
    from assistant.query import Query
    from assistant.refusal import kind_text

    def q(text: str, asked: str) -> Query:
        return Query(text, text, text, (), None, "number", False, asked=asked)

    first = q("专栏一共列了几件实事，其中头一件是什么？", "其中头一件是什么？")
    assert kind_text(first) == "其中头一件是什么？"
    assert missing_kind(kind_text(first), "1.更新改造105个老旧小区。") is None
    assert missing_kind(first.text, "1.更新改造105个老旧小区。") == "no figure in 件"  # as before the fix
    again = q("乙县新建多少个站点？", "那乙县呢？")
    assert kind_text(again) == again.text


@pytest.fixture(scope="module")
def work_report(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The assistant over one synthetic 政府工作报告 (桐州, 2029 reviewed, 2030 planned), fake embedder."""
    from assistant.pipeline import build_assistant
    from assistant.settings import Settings
    from tests.webfixtures import SYNTHETIC_REPORT

    corpus = SYNTHETIC_REPORT.parent / "tongzhou-2030-work-report.txt"
    index = tmp_path_factory.mktemp("tongzhou-index")
    return build_assistant(Settings(corpus=corpus, index_dir=index, embedder="fake"))


@pytest.mark.integration
def test_an_indicator_the_report_never_writes_is_refused(work_report: Assistant) -> None:
    """Its main targets name 地区生产总值 and 一般公共预算收入, not 固定资产投资: the targets sentence
    is no answer to the investment target, even though 目标/增长 match it."""
    ans = work_report.ask("2030年固定资产投资增长目标是多少？")
    assert ans.refused and "固定资产投资" in (ans.rule or ""), (ans.text, ans.rule)
    assert not work_report.ask("2030年地区生产总值增长目标是多少？").refused


@pytest.mark.integration
def test_an_indicator_written_without_its_qualifier_is_written(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """云津 writes 全县生产总值: a question on its 地区生产总值 is answered, not refused as unwritten."""
    from assistant.pipeline import build_assistant
    from assistant.settings import Settings
    from tests.webfixtures import SYNTHETIC_REPORT

    corpus = SYNTHETIC_REPORT.parent / "yunjin-2030-work-report.txt"
    county = build_assistant(Settings(corpus=corpus, index_dir=tmp_path / "idx", embedder="fake"))
    ans = county.ask("2029年云津县地区生产总值是多少？")
    assert not ans.refused and "186.2亿元" in ans.text, (ans.text, ans.rule)


@pytest.mark.integration
def test_a_question_on_the_past_years_and_this_year_is_not_refused_for_its_year(assistant: Assistant) -> None:
    """ "这几年建成了几座…今年要建成哪一座" asks the review too: a review sentence may answer it."""
    from assistant.refusal import Case

    def case(question: str) -> Case:
        query = assistant.retriever.understand(question)
        return Case(query, [], 1.0, "建成跨江大桥4座、在建8座。", "", "review", (2028, 2029), frozenset())

    rules = assistant.extractive.rules
    assert rules.other_year_only(case("今年要建成几座跨江大桥？")) == "review"
    assert rules.other_year_only(case("这几年建成了几座跨江大桥？今年要建成的是哪一座？")) is None


@pytest.mark.integration
def test_an_everyday_word_spelled_out_in_the_best_sentence_is_not_unknown(assistant: Assistant) -> None:
    """电车 is in no passage, but its characters are all in the sentence (充电桩, 停车泊位): a paraphrase
    of what it says, not something it lacks; the same word over a sentence without 车 stays unknown."""
    from assistant.refusal import Case

    query = assistant.retriever.understand("今年给开电车的人新建多少个充电桩？")
    passages = assistant.retriever.search(query)
    rules = assistant.extractive.rules

    def unknown(best: str) -> str | None:
        case = Case(query, passages, 0.5, best, best, "plan", (2028, 2029), frozenset())
        return rules._scan(case)[1]

    assert unknown("新建公共充电桩420个，新增城区公共停车泊位600个。") is None
    assert unknown("新建公共充电桩420个。") == "电车"


def _quoted_rule(assistant: Assistant, rule: str) -> Callable[[str, str], str | None]:
    """A second-stage rule of the assistant, applied to a question and the sentence it would quote."""
    from assistant.refusal import Case

    test = getattr(assistant.extractive.rules, rule)

    def run(question: str, quoted: str) -> str | None:
        query = assistant.retriever.understand(question)
        return test(Case(query, [], 1.0, quoted, quoted, "review", (2028, 2029), frozenset(), quoted=quoted))

    return run


@pytest.mark.integration
def test_an_indicator_asked_about_must_be_named_by_the_quoted_sentences(assistant: Assistant) -> None:
    unquoted = _quoted_rule(assistant, "indicator_unquoted")

    assert unquoted("2028年社会消费品零售总额是多少？", "批发业销售额增长16.2%。") == "社会消费品零售总额"
    assert unquoted("2028年一般公共预算支出是多少？", "一般公共预算收入36.9亿元。") == "一般公共预算支出"
    assert unquoted("2028年本外币贷款余额是多少？", "各项贷款余额520亿元。") is None  # 本外币 left off
    assert unquoted("2028年地区生产总值是多少？", "全县生产总值达到186.2亿元。") is None
    assert unquoted("2028年新增就业多少人？", "城镇新增就业3.8万人。") is None


@pytest.mark.integration
def test_a_figure_asked_per_head_or_in_total_must_be_stated_so(assistant: Assistant) -> None:
    """人均 / 累计 make the figure another measure: a sentence stating the plain total does not answer."""
    unquoted = _quoted_rule(assistant, "modifier_unquoted")

    assert unquoted("2028年全县人均地区生产总值是多少元？", "全县地区生产总值达到186.2亿元。") == "人均"
    assert unquoted("2028年全县人均地区生产总值是多少元？", "全县人均地区生产总值8.6万元。") is None
    assert unquoted("到2028年底累计建成多少个5G基站？", "新建5G基站420个。") == "累计"
    assert unquoted("到2028年底累计建成多少个5G基站？", "累计建成5G基站2100个。") is None
    assert unquoted("2028年新建多少个5G基站？", "新建5G基站420个。") is None


@pytest.mark.integration
def test_a_per_head_question_the_report_answers_only_in_total_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """云津 states its 全县生产总值 (186.2亿元), never per head."""
    from assistant.pipeline import build_assistant
    from assistant.settings import Settings
    from tests.webfixtures import SYNTHETIC_REPORT

    corpus = SYNTHETIC_REPORT.parent / "yunjin-2030-work-report.txt"
    county = build_assistant(Settings(corpus=corpus, index_dir=tmp_path / "idx", embedder="fake"))
    ans = county.ask("2029年云津县人均地区生产总值是多少元？")
    assert ans.refused and "modifier-unquoted" in (ans.rule or ""), (ans.text, ans.rule)
    assert not county.ask("2029年云津县地区生产总值是多少？").refused


def test_a_places_level_is_its_last_character() -> None:
    from assistant.reports import place_level

    assert [place_level(p) for p in ("永川区", "江苏省", "北京市", "全国", "")] == [
        "区",
        "省",
        "市",
        "国",
        "",
    ]


@pytest.mark.integration
def test_a_whole_place_of_another_level_must_be_named_by_the_quoted_sentences(assistant: Assistant) -> None:
    """全市 asked of a district's report: its 全区 figure is not the city's; 全国性 is no place."""
    rules = assistant.extractive.rules
    saved, rules.own_level = rules.own_level, "区"
    try:
        unquoted = _quoted_rule(assistant, "level_unquoted")
        assert unquoted("2028年全市地区生产总值增长了多少？", "全区地区生产总值增长6.1%。") == "全市"
        assert unquoted("2028年全市地区生产总值增长了多少？", "全市地区生产总值增长5.2%。") is None
        assert unquoted("2028年全区地区生产总值增长了多少？", "全区地区生产总值增长6.1%。") is None
        assert unquoted("2028年获得了什么全国性荣誉？", "获评省级文明城区。") is None
    finally:
        rules.own_level = saved


@pytest.mark.integration
def test_a_measure_asked_of_one_thing_must_be_stated_of_it(assistant: Assistant) -> None:
    """森林覆盖率 is not answered by a sentence on 公交站点覆盖率: the measure's word is there, the thing's
    is not."""
    unquoted = _quoted_rule(assistant, "qualifier_unquoted")

    assert unquoted("2028年森林覆盖率是多少？", "城区公交站点500米覆盖率达100%。") == "森林覆盖率"
    assert unquoted("2028年茶叶总产值是多少亿元？", "规上工业总产值实现818.5亿元。") == "茶叶总产值"
    assert unquoted("2028年森林覆盖率是多少？", "森林覆盖率达到55.2%。") is None
    assert unquoted("2028年全县社会消费品零售总额增长多少？", "社会消费品零售总额增长6%。") is None
    assert unquoted("2028年新建多少个5G基站？", "新建5G基站420个。") is None  # no measure asked
    # a thing ending in a one-character noun (秸秆 + 气) is the two together
    assert unquoted("2028年秸秆气产值是多少亿元？", "规上工业总产值实现818.5亿元。") == "秸秆气产值"
    # not an indicator, but written after another kind of the thing (Cilin: both schools)
    assert unquoted("2029年新增多少个小学学位？", "新增中学学位2400个。") == "小学学位"
    assert unquoted("2029年新增多少个小学学位？", "新增小学学位2400个。") is None


@pytest.mark.unit
def test_a_word_is_found_inside_a_contraction_of_coordinate_words() -> None:
    """城乡居民 names 城镇居民 (城) and 农村居民 (乡, Cilin's one-character synonym of 农村); 第三产业 is
    no contraction of 第二产业 (第 and 三 are not things of one kind), 中学 no sibling of 小学."""
    from assistant.thesaurus import cilin, contraction_in

    text = "城乡居民人均可支配收入分别增长5.1%、6.7%，第三产业增加值增长4%，新增中学学位3000个。"
    found = {w: contraction_in(w, text, cilin()) for w in ("农村居民", "城镇居民", "第二产业", "小学学位")}
    assert found == {"农村居民": "城乡居民", "城镇居民": "城乡居民", "第二产业": None, "小学学位": None}


@pytest.mark.integration
def test_a_figure_the_report_states_for_town_and_country_together_answers_either(
    work_report, assistant
) -> None:  # type: ignore[no-untyped-def]
    """桐州 writes 城乡居民…分别: a question on its 农村居民 is answered from it; 澜川 states only 全体居民,
    so the same question there is refused."""
    ans = work_report.ask("2029年农村居民人均可支配收入增长多少？")
    assert not ans.refused and "6.7%" in ans.text, (ans.text, ans.rule)
    assert assistant.ask("2028年农村居民人均可支配收入增长多少？").refused


@pytest.mark.integration
def test_a_thing_asked_alone_must_not_be_stated_only_together_with_another(assistant: Assistant) -> None:
    """进出口总额 is the sum of imports and exports: no answer to 出口; 城乡居民 answers 农村居民 only when
    the sentence gives the two one by one (分别)."""
    unquoted = _quoted_rule(assistant, "combined_unquoted")

    assert unquoted("2028年出口总额是多少？", "全区进出口总额56.3亿元。") == "出口"
    assert unquoted("2028年出口额是多少？", "全区进出口总额56.3亿元。") == "出口"
    assert unquoted("2028年进出口总额是多少？", "全区进出口总额56.3亿元。") is None
    assert unquoted("2028年出口总额是多少？", "全区出口总额21.5亿元。") is None
    assert (
        unquoted("2028年农村居民人均可支配收入增长多少？", "城乡居民人均可支配收入增长5.5%。") == "农村居民"
    )
    assert (
        unquoted("2028年农村居民人均可支配收入增长多少？", "城乡居民人均可支配收入分别增长5.1%、6.7%。")
        is None
    )


@pytest.mark.integration
def test_a_thing_the_report_never_names_is_not_answered_by_a_sentence_on_another(
    assistant: Assistant,
) -> None:
    """地铁, a word the report never uses, whose everyday term (轨道交通) a retrieved passage writes: a quoted
    sentence on something else does not answer it; one holding the term does. A scene-setting clause's word
    (方便老人上下楼) does not count."""
    from assistant.refusal import Case
    from assistant.types import PROSE, Chunk, Passage

    text = "推进市域轨道交通规划研究。建成投用城市运行管理服务平台。"
    passage = Passage(Chunk("t", text, ("城市功能",), "plan", PROSE, 0, len(text), 30), 1.0)
    rule = assistant.extractive.rules.unknown_unquoted

    def run(question: str, quoted: str) -> str | None:
        query = assistant.retriever.understand(question)
        return rule(
            Case(query, [passage], 1.0, quoted, text, "plan", (2028, 2029), frozenset(), quoted=quoted)
        )

    assert run("2029年地铁建设计划是什么？", "建成投用城市运行管理服务平台。") == "地铁"
    assert run("2029年地铁建设计划是什么？", "推进市域轨道交通规划研究。") is None
    assert run("2029年要装多少部电梯，方便老人上下楼？", "建成投用城市运行管理服务平台。") is None


@pytest.mark.integration
def test_low_coverage_does_not_refuse_a_passage_close_in_meaning(assistant: Assistant) -> None:
    rules = assistant.extractive.rules
    chunk = Chunk("t1", "推广无人驾驶网约车", ("一",), "plan", "paragraph", 0, 9, 9)

    def case(cosine: float) -> Case:
        query = assistant.retriever.understand("没人开的车有吗？")
        return Case(query, [Passage(chunk, 1.0, 0.0, cosine)], 0.1, "", "", "", (None, None), set())

    assert rules.low_coverage(case(rules.numbers.dense_rescue)) is None  # everyday wording, close
    assert rules.low_coverage(case(0.5)) == "0.10"  # few words shared and far in meaning: refused


@pytest.mark.integration
def test_a_sentence_whose_only_place_is_a_tagger_mistake_does_not_say_where(assistant: Assistant) -> None:
    rules = assistant.extractive.rules
    query = assistant.retriever.understand("社区书房建在哪里？")

    def case(quoted: str) -> Case:
        return Case(query, [], 1.0, quoted, quoted, "", (None, None), set(), quoted=quoted)

    assert rules.no_place_named(case("新建书房5个")) == ""  # 新建 is tagged a place: it is "to build"
    assert rules.no_place_named(case("在泸州新建书房5个")) is None
