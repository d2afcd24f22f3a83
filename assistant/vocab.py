"""The genre's vocabulary: each concept of Chinese planning reports and of questions about them defined
once (like spaCy's `lang/zh/stop_words.py` and `lex_attrs.py`). Rule modules build their patterns
from these names; none of them spells a year, a measure word or a target word of its own.

Nothing here is about one report: these are words of the language and of the genre.
"""

from __future__ import annotations

import re

# -- years ---------------------------------------------------------------------------------------
YEAR_DIGITS = r"(?:19|20)\d{2}"  # a four-digit year of this era
YEAR = re.compile(YEAR_DIGITS)
YEAR_NIAN = re.compile(YEAR_DIGITS + "年")  # 2023年
YEAR_NIAN_OPT = re.compile(YEAR_DIGITS + "年?")  # 2023年 or a bare 2023
YEAR_NIANDU = re.compile(YEAR_DIGITS + "年度?")  # 2023年, 2023年度
# relative years: (pattern, base year — the report's review or plan year —, offset)
RELATIVE_YEARS = (
    (re.compile(r"前年"), "review", -1),
    # 比上年/较上年/同上年 is the year before the one asked about, not the report's: left as it is
    (re.compile(r"去年|(?<![比较同与])(?:上一?年|上年度)"), "review", 0),
    (re.compile(r"今年|本年度|本年|当年"), "plan", 0),
    (re.compile(r"明年|下一?年"), "plan", 1),
    (re.compile(r"\blast year\b", re.I), "review", 0),
    (re.compile(r"\bthis year\b", re.I), "plan", 0),
    (re.compile(r"\bnext year\b", re.I), "plan", 1),
)

# -- script ---------------------------------------------------------------------------------------
CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")  # one Chinese character (the CJK Unified Ideographs block)
LATIN_LETTER = re.compile(r"[A-Za-z]")


def is_english(text: str) -> bool:
    """Whether a text is written in English: more Latin letters than Chinese characters."""
    return len(LATIN_LETTER.findall(text)) > len(CJK_CHAR.findall(text))


# -- numerals ------------------------------------------------------------------------------------
CN_DIGITS = "零〇一二两三四五六七八九"
CN_MAGNITUDES = "十百千万亿"
CN_NUMERAL = CN_DIGITS + CN_MAGNITUDES  # characters of a Chinese numeral (五, 三千万, 一百二十)
CN_ORDINAL_DIGITS = "一二三四五六七八九十"  # section numbers: 一、 （二） 专栏三

# the levels of a place, by the character its name ends in (全国, 江苏省, 北京市, 永川区, 泸县)
PLACE_LEVELS = "国省市区县"
PLACE_ENDINGS = "省市区县镇乡州"  # what a named place ends in (江津区, 泸县, 朱沱镇, 泸州), not 全国

# -- what is counted and measured ----------------------------------------------------------------
# words that make a figure another measure: per head, per household, per mu, in total to date
MEASURE_MODIFIERS = ("人均", "户均", "亩均", "累计")
# classifiers that count things (5所学校, 12个项目); the loose ones count almost anything. Not 期/部/份:
# after a numeral they mostly name (二期项目, 一部分, 一份)
COUNTERS = tuple("个 项 家 座 户 人 名 所 处 件 条 口 次 场 套 批 辆 台 张 类 宗 栋 只 株 艘 架 笔".split())
COUNTER_CHARS = "".join(COUNTERS) + "天"  # the same as a character class, with 天 (几天) for a count asked
# a question asking for a figure: 多少, 几 + a magnitude or counter (not 哪几), 多大/多长…
ASKS_FIGURE = re.compile(
    r"多少|(?<!哪)几(?:[万亿千百]|"
    + "|".join(COUNTERS)
    + r")|多大|多长|多高|多宽|多重|多远|how (?:many|much)",
    re.I,
)
LOOSE_COUNTERS = frozenset("个 家 人 名".split())
# classifiers of physical objects (3张床, 2座桥): a count asked in one is stated in it
OBJECT_COUNTERS = tuple("张 辆 台 座 条 件 只 株 艘 架 栋 笔".split())
# units of physical measure (3.6公里, 70万平方米, 12亿度)
PHYSICAL_UNITS = tuple("平方公里 平方米 立方米 千瓦时 公里 千米 米 公顷 亩 吨 度 千瓦".split())
UNITS = (*PHYSICAL_UNITS, "人次", "万人", "元", "美元")
MONEY_UNITS = ("元", "美元")
# what a sum of money is: an indicator head measured in 元 (产值 of 工业总产值, 收入, 投资)
MONEY_HEADS = ("产值", "总额", "营业额", "销售额", "收入", "支出", "投资", "经费", "资金", "贷款", "存款")
# words that ask how a figure changed (增长多少 asks a percentage, not the sum itself)
CHANGE_WORDS = ("增长", "增速", "增幅", "增加", "涨", "提高", "下降", "减少", "降低", "同比", "比")
SHARE_MARKS = ("%", "％", "百分点", "百分之", "倍")


def alternation(words: tuple[str, ...] | frozenset[str]) -> str:
    """A regex alternation of words, longest first (平方米 before 米)."""
    return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))


# -- comparing -----------------------------------------------------------------------------------
# 比 as the pivot of a comparison (A比B高), not inside a noun (占比, 比重, 比例, 比率) or 同比/环比
COMPARE_BI = r"(?<![同环占相对])比(?![重例率如方较])"  # not 同比/占比/比重/比例, 比如/比方 ("for example"),
# nor the 比 of "A和B相比"/对比/比较, which COMPARED_WITH reads
# 比以前/较过去: a change since an unnamed time, asked as one figure (增长15%), not two sides compared
UNNAMED_PAST = ("以前", "之前", "过去", "往年", "从前")
# "A和/与/同/跟B相比…": the two sides around the last conjunction before 相比 (A may hold 和 itself)
COMPARED_WITH = r"(?P<a>.+)(?:和|与|同|跟)(?P<b>[^，,？?]+?)(?:相比|对比|比较)"
# "与B相比，A高多少": the standard first
COMPARED_WITH_FIRST = r"^(?:和|与|同|跟)(?P<b>[^，,？?]+?)(?:相比|对比|比较)[，,]?(?P<a>.+)"

# -- targets and results -------------------------------------------------------------------------
# what an indicator's name ends in: the measured quantity (地区生产总值, 城镇调查失业率, 固定资产投资)
INDICATOR_HEADS = (
    "值",
    "额",
    "率",
    "收入",
    "支出",
    "投资",
    "价格",
    "指数",
    "产量",
    "天数",
    "经费",
    "贷款",
    "存款",
    "外资",
    "就业",
    "游客",
)
# a statement about several years: "年均增长6%", "五年来", "过去五年" (not 年均浓度, an annual mean,
# nor "30年来首次", this year's news) — a work report reviews its five-year plan beside the year
SPAN = re.compile(
    r"年均(?:实际)?(?:增长|增速|提高|下降)|过去[一二三四五六七八九十几\d]+年|[一二三四五六七八九十几\d多]+年来(?!首)"
)
# ... and a question asking about several years, or up to now ("这几年", "十四五", "累计")
PERIOD = re.compile(SPAN.pattern + r"|这几年|近几年|这些年|十[一二三四五六]五|以来|累计")
TARGET_WORDS = ("目标", "预期", "计划", "力争", "预计", "打算", "准备", "安排")  # what is planned
TARGET_MARKS = ("目标", "预期")  # a sentence holding one states a target, not a result
RESULT_WORDS = ("实际", "完成", "实现", "达到", "取得", "成效")  # what was achieved

# -- question words ------------------------------------------------------------------------------
# words that ask (a clause holding one asks something; the clauses before it only set the scene)
ASKING_WORDS = (
    "多少",
    "几",
    "哪",
    "什么",
    "啥",
    "吗",
    "呢",
    "如何",
    "怎么",
    "咋",
    "是否",
    "有没有",
    "好多",
    "多大",
    "多长",
)
# question words taken out before the question's own words are looked up in the report
QUESTION_WORDS = (
    "哪些",
    "哪个",
    "哪几个",
    "哪几",
    "哪类",
    "哪项",
    "什么",
    "多少",
    "是谁",
    "怎么样",
    "如何",
    "报告",
)

# -- asking verbs ------------------------------------------------------------------------------
# verbs that only ask about a figure or an outcome: they name no topic of their own ("增长了多少？")
ASKING_VERBS = frozenset(
    "增长 增加 提高 提升 下降 降低 减少 完成 达到 实现 超过 突破 新增 累计 同比 比上年 增速 总量 "
    "是 有 要 办 做 搞 弄 干 花 用 占 达 变 涨 降 升 多 少 怎么 怎样 如何 解决 进行 开展 推进 落实 "
    "安排 计划 打算 准备 预计 预期 完成了 实现了 达到了 增长了".split()
)

# -- function words ------------------------------------------------------------------------------
# never indexed: particles, conjunctions, question words and punctuation (keyword search)
STOP_WORDS = frozenset(
    "的 了 和 与 及 在 是 为 等 中 对 将 把 以 于 并 或 其 之 个 年 有 要 多少 什么 哪些 哪个 几 吗 呢 啊 吧 "
    "怎么 怎样 如何 是否 请问 一下 报告 情况 方面 主要 那 那么 还有 其中 分别 一共 共 "
    "， 。 、 ； ： ？ ！ （ ） “ ” 《 》 — - ｜ |".split()
)
# say nothing about a question's topic: they frame it (answer scoring and refusal skip them)
FUNCTION_WORDS = frozenset(
    "比 多 少 高 低 实际 指 指的是 叫 叫做 里 做 成 让 各 方式 提出 指出 包括 包含 哪几 几个 哪几个 哪类 哪项 哪个 "
    "什么样 怎么样 怎样 得 存在 举 例子 方向 领域 分别 一共 总共 大概 大约 目前 现在 已经 能 会 需要 应该 可以 "
    "打算 定 定的 到底 具体 相关 有关 关于 主要 重点 情况 方面 问题 内容 如何 多大 多高 多长 拿到 到手 涨 涨了 "
    "安排 力争 目标 计划 预期 预计 准备 要 将 还 又 再 也 都 就 呢 吗 吧 啊 的话 这个 那个 这些 那些 其中 "
    # the year before the one asked about (比上年增长多少): a frame, as a resolved year would be
    "上年 上一年 "
    # nouns that frame a question rather than name its topic (范围覆盖了多少, 评上了什么级别)
    "范围 比例 级别 等级 档次 水平 程度 数量 数目 大家 人们 名称 命名 名字 "
    # nouns that ask "how" (有啥办法, 采取什么措施): the question's topic is what they are for
    "办法 措施 举措 对策 途径 手段 思路 招数".split()
)
