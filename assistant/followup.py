"""Rule-based follow-up condensing: carry the previous question's subject into a short follow-up."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .vocab import YEAR_NIANDU as YEAR

FOLLOW_START = re.compile(
    r"^(那么?|那个|其中|另外|还有|此外|同时|它们?|这些?|该|其|同比|相比|and |what about |how about )", re.I
)
FOLLOW_END = re.compile(r"(呢|吗)[？?]?$")
# a question that opens on a verb done (完成了, 帮了) has dropped its subject: it is the previous one's
SUBJECTLESS = re.compile(r"^(?!为了|除了|到了)[\u4e00-\u9fff]{1,2}了(?!解)")
QUESTION_TAIL = re.compile(
    r"(是)?(多少|几[个项家座户人天所处件条口次]?|什么|哪些|哪几个?|如何|怎么样?)[个项家座户人天所处件条口次万亿元%]*[？?。]*$"
)


def is_follow_up(question: str) -> bool:
    """Marked as a follow-up: starts with 那/其中/它… or a verb done with no subject, or ends with 呢/吗."""
    q = question.strip()
    return bool(FOLLOW_START.search(q) or FOLLOW_END.search(q) or SUBJECTLESS.search(q))


def condense(
    question: str,
    history: Sequence[tuple[str, str]],
    own_topic: Callable[[str], bool] = lambda text: len(text) > 14,
) -> str:
    """A standalone question: unchanged if it needs no context, else the previous subject + this question.

    `own_topic(text)` says whether a text names a topic of its own: a question that does and is not
    marked as a follow-up stands alone; "那公共充电桩呢？" keeps only the previous time frame. Without
    a vocabulary to judge by, longer questions are taken as standalone.
    """
    q = question.strip()
    if not history:
        return q
    if not is_follow_up(q) and own_topic(q):
        return q  # names its own topic: a new question, not a follow-up

    prev = history[-1][0].strip()
    subject = QUESTION_TAIL.sub("", prev).rstrip("，,？?。 了")
    rest = FOLLOW_START.sub("", q)
    rest = FOLLOW_END.sub("", rest).strip("，,？? ")
    if FOLLOW_END.search(q) and not q.startswith("其中"):  # 其中 asks for a part, not a parallel item
        swapped = swap_parallel(prev, rest.removesuffix("的"))
        if swapped:
            return swapped
    years = YEAR.findall(rest)
    # "那 + topic + 呢" switches topic: keep only the time frame of the previous question
    if q.startswith("那") and FOLLOW_END.search(q) and own_topic(rest):
        subject = "".join(YEAR.findall(subject)[:1])
    if years:
        subject = YEAR.sub("", subject)  # the follow-up's own year replaces the old one
        rest = YEAR.sub("", rest, count=1).lstrip("的")
        subject = years[0] + subject
    if not QUESTION_TAIL.search(rest + "？"):
        tail = "是多少？" if re.search(r"多少|几", prev) else "是什么？"
        return f"{subject}{'，' if rest else ''}{rest}{tail}"
    return f"{subject}，{rest}？"


def swap_parallel(prev: str, item: str) -> str | None:
    """ "市场主导类的呢？" after "政府主导类项目有多少个？": the previous question about the parallel item.

    The item shares a head of two or more characters (…主导类, …居民) with a term of the previous
    question; that term, of the item's length, is swapped for the item.
    """
    if not 3 <= len(item) <= 8 or YEAR.search(item):
        return None
    for k in range(len(item) - 1, 1, -1):
        head = item[-k:]
        at = prev.find(head)
        start = at - (len(item) - k)
        if at > 0 and start >= 0 and prev[start:at] != item[: len(item) - k]:
            return prev[:start] + item + prev[at + k :]
    return None
