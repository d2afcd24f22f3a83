"""Rule-based follow-up condensing: a question that cannot stand alone gets the previous one's subject.

A question stands alone when it names a topic of its own and carries no mark of ellipsis; it is then
never merged with the previous one ("停车难怎么解决？" after an income question, an English question
after a Chinese one). Otherwise the rules below decide, first match wins (`Condensed.rule` says which):

0. `same time`    - a time that points back ("同一时期…"): the previous question's time in its place;
1. `time switch`  - only a time of its own ("那2024年呢？", "今年计划增长多少？", "What about 2024?"):
                    the previous question with its time replaced;
2. `part`         - "其中…" asks for a part of the previous subject: the subject, then the part;
3. `anaphor`      - "它们/这个/该…" points back: its subject in place of the pointer, unless the
                    rest names a topic of its own (then only the time frame carries over);
4. `item switch`  - "那X呢？/X呢？" asks the same of another item: X in place of the parallel term
                    ("市场主导类的呢"), else (那) the time frame with X, else the subject with X;
5. `own topic`    - a whole question opened by a connective (那/另外/还有): unchanged, asked in the
                    previous time frame if it asks for a figure and names no time;
6. `subjectless`  - asks only about a figure or an outcome ("实际完成了多少？", "完成了吗？"): the
                    previous subject, then this question.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .vocab import ASKS_FIGURE, COUNTER_CHARS, YEAR_DIGITS, is_english
from .vocab import YEAR_NIANDU as YEAR

# a time of its own: a year, a relative year, a plan period, a part of a year
TIME = re.compile(
    rf"{YEAR_DIGITS}年度?|(?<![A-Za-z]){YEAR_DIGITS}(?![\d年])"
    r"|[“\"]十[一二三四五六七八九]?五[”\"](?:时期|期间)?|十[一二三四五六七八九]?五(?:时期|期间)"
    r"|(?<![比较])(?:今|去|明|前|上一?|下一?|本|当)年度?|[上下]半年|(?:第?[一二三四])季度|(?:过去|近)[一二三四五六七八九十]年"
)
# a time that points back ("同一时期改造了多少个老旧小区？"): the previous question's time
SAME_TIME = re.compile(r"同一(?:时期|时间|阶段|年)|这一时期|这期间|此期间|那一年")
CONNECTIVE = re.compile(
    r"^(?:那么|那(?![些个里边样])|另外|还有|此外|同时|再问一下|and|also|then|so)[，,\s]*", re.I
)
PART = re.compile(r"^其中[，,]?")
ANAPHOR = re.compile(
    r"^(?:它们|它|其(?![他它次余实])|该(?!怎)|这个|这些|这项|这一|此项|上述|那些|那个|前者|后者)"
)
ANAPHOR_EN = re.compile(r"\b(?:it|its|they|their|them|that|those|these)\b", re.I)
ELLIPSIS_END = re.compile(r"(?:的)?呢[？?]?$")
ENGLISH_ELLIPSIS = re.compile(r"^(?:what|how) about\b|^and\b", re.I)
# a question verb done with no subject (完成了, 帮了) has dropped its subject: it is the previous one's
SUBJECTLESS = re.compile(r"^(?!为了|除了|到了)[\u4e00-\u9fff]{1,2}了(?!解)")
QUESTION_TAIL = re.compile(
    rf"(是)?(多少|几[{COUNTER_CHARS}]?|什么|哪些|哪几个?|如何|怎么样?)[{COUNTER_CHARS}万亿元%]*[？?。]*$"
)
# what is left of a question once its time is out, when it asks nothing new ("的目标", "实际完成了多少")
FRAME_ONLY = re.compile(
    r"^[的呢吗了，,？?\s]*(?:(?:的|是|要|将|能|预计|预期|目标|计划|打算|实际|完成|实现|达到|增长|增速|同比|"
    r"情况|怎么样|如何|多少|几|呢|吗|了|\s)*)[？?]*$"
)
ASKS = re.compile(r"多少|几|什么|啥|哪|吗|如何|怎么|怎样|咋|是否|有没有")


@dataclass(frozen=True)
class Condensed:
    text: str
    rule: str  # which rule decided it (module docstring); "standalone" when nothing was carried over


def is_follow_up(question: str) -> bool:
    """Marked as a follow-up: an ellipsis (…呢), a part (其中), a pointer (它/这个) or a connective (那,
    另外), a verb done with no subject (完成了…). 吗 asks yes or no; it marks nothing."""
    q = question.strip()
    body = CONNECTIVE.sub("", q)
    return bool(
        body != q
        or ELLIPSIS_END.search(q)
        or PART.match(body)
        or ANAPHOR.match(_untimed(body))
        or SUBJECTLESS.match(body)
        or ENGLISH_ELLIPSIS.match(q)
    )


def carried(before: str, part: str, topic: Sequence[str]) -> str:
    """A later part of one question ("…建成了几座？今年要建成的是哪一座？") as a question of its own:
    the things the part before it names and it does not ("过江通道今年要建成的是哪一座？"), and that
    part's time if it names none ("2023年项目正式合同额多少？")."""
    time = TIME.search(before) if not TIME.search(part) else None
    things = "".join(w for w in dict.fromkeys(topic) if w not in part)
    return f"{time.group(0) if time else ''}{things}{part}"


def condense(
    question: str,
    history: Sequence[tuple[str, str]],
    own_topic: Callable[[str], bool] = lambda text: len(text) > 14,
) -> str:
    """A standalone question: unchanged if it needs no context, else built from the previous question.

    `own_topic(text)` says whether a text names a topic of its own (a noun, a term of the report);
    without a vocabulary to judge by, longer texts are taken to.
    """
    return condense_rule(question, history, own_topic).text


def condense_rule(
    question: str,
    history: Sequence[tuple[str, str]],
    own_topic: Callable[[str], bool] = lambda text: len(text) > 14,
) -> Condensed:
    """`condense` with the rule that decided it."""
    q = question.strip()
    if not history:
        return Condensed(q, "standalone")
    prev = history[-1][0].strip()
    if is_english(q):
        return _english(q, prev, own_topic)
    same, their = SAME_TIME.search(q), TIME.search(prev)
    if same and their:  # "同一时期…" after "“十四五”期间…": asked of the same time
        return Condensed(q[: same.start()] + their.group(0) + q[same.end() :], "same time")
    asked = [part for part in re.split(r"[？?]", q) if part.strip()]
    if len(asked) > 1 and ASKS.search(asked[0]) and own_topic(asked[0]) and not is_follow_up(asked[0]):
        # "今年要新建多少个5G基站？充电桩呢？": the part after a question of its own refers back to it
        return Condensed(q, "standalone")
    body = CONNECTIVE.sub("", q)
    connective = body != q
    ellipsis = bool(ELLIPSIS_END.search(body))
    rest = ELLIPSIS_END.sub("", body).strip("，,？? ")
    times = TIME.findall(rest)
    if times and FRAME_ONLY.match(TIME.sub("", rest)):
        return Condensed(_switch_time(prev, times[0], TIME.sub("", rest, count=1)), "time switch")
    subject = _subject(prev)
    if PART.match(rest):
        part = PART.sub("", rest)
        return Condensed(f"{_framed(subject, part)}，其中{_untimed(part)}{_tail(part, prev)}", "part")
    pointer = ANAPHOR.match(_untimed(rest))
    if pointer:
        after = _untimed(rest)[pointer.end() :].lstrip("的")
        if own_topic(after) and not ellipsis and after[:POINTED_CHARS] not in prev:
            # "该区今年的粮食产量目标是多少？" points at nothing the previous question asked about
            return Condensed(_in_frame(rest.replace(pointer.group(0), "", 1), prev, times), "anaphor")
        if own_topic(after) and not ellipsis:  # "那些游客…" after a question about 游客: its subject too
            return Condensed(f"{_framed(subject, rest)}，{after}{_tail(after, prev)}", "anaphor")
        return Condensed(f"{_framed(subject, rest)}{after}{_tail(after, prev)}", "anaphor")
    if ellipsis and not QUESTION_TAIL.search(rest + "？"):
        item = _untimed(rest).removesuffix("的")
        swapped = swap_parallel(prev, item) if own_topic(item) or item else None
        if swapped:
            return Condensed(_switch_time(swapped, times[0], "") if times else swapped, "item switch")
        if connective and own_topic(item):
            frame = times[0] if times else "".join(TIME.findall(prev)[:1])
            return Condensed(f"{frame}{'，' if frame else ''}{item}{_tail(item, prev)}", "item switch")
        return Condensed(f"{_framed(subject, rest)}，{_untimed(rest)}{_tail(rest, prev)}", "item switch")
    if own_topic(rest) and not SUBJECTLESS.match(rest):
        if connective:
            return Condensed(_in_frame(rest, prev, times), "own topic")
        return Condensed(q, "standalone")
    return Condensed(f"{_framed(subject, rest)}，{_untimed(rest)}{_tail(rest, prev)}", "subjectless")


def _english(q: str, prev: str, own_topic: Callable[[str], bool]) -> Condensed:
    """An English follow-up: "What about 2024?" is the previous question in 2024; a question with
    content words of its own ("How many pandas…") stands alone."""
    rest = ENGLISH_ELLIPSIS.sub("", q).strip(" ?？.")
    times = TIME.findall(rest)
    if times and not re.sub(r"\b(?:in|for|the|year|of)\b|[\s,]", "", TIME.sub("", rest), flags=re.I):
        year = times[0] if times[0].endswith(("年", "年度")) or is_english(prev) else f"{times[0]}年"
        return Condensed(_switch_time(prev, year, ""), "time switch")
    if not ENGLISH_ELLIPSIS.match(q) and not ANAPHOR_EN.search(q) or own_topic(rest) and "?" in q[-2:]:
        return Condensed(q, "standalone")
    return Condensed(f"{prev.rstrip('?？ ')}; {rest}?", "subjectless")


def _untimed(text: str) -> str:
    return TIME.sub("", text).lstrip("的，, ")


def _subject(prev: str) -> str:
    """What the previous question was about: it without its question words."""
    return QUESTION_TAIL.sub("", prev).rstrip("，,？?。 了")


def _framed(subject: str, rest: str) -> str:
    """The subject in the follow-up's own time, if it names one (the old one is dropped)."""
    times = TIME.findall(rest)
    return times[0] + TIME.sub("", subject) if times else subject


def _tail(rest: str, prev: str) -> str:
    """How the follow-up ends: its own question words, else the previous question's kind of ask."""
    if QUESTION_TAIL.search(rest + "？") or ASKS.search(rest) or rest.endswith(("吗", "？", "?")):
        return "" if rest.endswith(("？", "?")) else "？"
    return "是多少？" if re.search(r"多少|几", prev) else "是什么？"


def _in_frame(rest: str, prev: str, times: list[str]) -> str:
    """A question of its own asked in the previous one's time, when it asks for a figure and names no
    time: "那家庭养老床位要新增多少张？" after a 2026 question is about 2026."""
    text = rest if rest.endswith(("？", "?")) else f"{rest}？"
    old = TIME.findall(prev)
    if times or not old or not ASKS_FIGURE.search(rest):
        return text
    return f"{old[0]}{text}"


def _switch_time(prev: str, time: str, rest: str) -> str:
    """The previous question in another time ("2023年…增长多少？" + "2024年" -> "2024年…增长多少？"),
    with what the follow-up adds (目标, 计划) before its question words."""
    old = TIME.search(prev)
    english = is_english(prev)
    time = re.sub(r"年度?$", "", time) if english else time
    if old:
        out = prev[: old.start()] + time + prev[old.end() :]
    else:
        out = f"{prev.rstrip('?？ ')} in {time}?" if english else f"{time}{prev}"
    extra = FRAME_EXTRA.findall(rest)
    if extra and not english:
        out = f"{_subject(out)}{''.join(dict.fromkeys(extra))}{_tail('', out)}"
    return out


POINTED_CHARS = 2  # a pointer's noun ("那些游客") is the previous subject's if it opens with a word of it
SWAP_SLACK = 2  # characters a parallel term may be longer than the item that replaces it
# words a time switch adds to the previous question ("那2024年的目标呢？" asks for the target)
FRAME_EXTRA = re.compile(r"目标|计划|预期|实际")


def swap_parallel(prev: str, item: str) -> str | None:
    """ "市场主导类的呢？" after "政府主导类项目有多少个？": the previous question about the parallel item.

    The item shares a head of two or more characters (…主导类, …企业) with a term of the previous
    question; the term is the run of characters before that head back to a time, a place-like
    boundary or punctuation, of about the item's length, and is swapped for the item.
    """
    if not 2 <= len(item) <= 12 or YEAR.search(item):
        return None
    for k in range(len(item) - 1, 1, -1):
        head = item[-k:]
        at = prev.find(head)
        if at <= 0:
            continue
        lead = item[: len(item) - k]
        # the term ends at the head and starts after a time, a digit or punctuation, if that is about
        # the item's length ("新能源摩托车产业" for "高端装备产业"); else it is as long as the item
        stop = max((m.end() for m in re.finditer(r"[\d年，,、：:“”]", prev[:at])), default=0)
        start = stop if at - stop <= len(lead) + SWAP_SLACK else max(stop, at - len(lead))
        if prev[start:at] != lead:
            return prev[:start] + item + prev[at + k :]
    return None
