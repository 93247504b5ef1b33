"""What kind of fact a question asks for, and whether a piece of text holds one.

Answer-type matching as in classic factoid QA (Moldovan et al. 2000, "The structure and
performance of an open-domain question answering system"): the interrogative of a question
(多少钱, 几天内, 哪个部门, 什么时候) names the kind of value its answer must contain. The
patterns below are written from the shape of Chinese questions and of the way policy texts
state values (amounts in 元, deadlines in 日/工作日, rates in % or 百分之), not from any one
question or document.

A *strict* type is a value a reader can check (a date, an amount, a duration, a rate, a
count in a stated measure word): when no passage holds one, the base does not state it, and
`ask` says so instead of quoting the nearest sentence. The other types only raise a
sentence's score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGITS = r"[0-9０-９]+(?:[.,，][0-9０-９]+)*"
_CHINESE = r"[一二三四五六七八九十百千万两零〇半]+"
_NUMBER = rf"(?:{_DIGITS}|{_CHINESE})"


@dataclass(frozen=True)
class FactType:
    name: str
    asks: re.Pattern[str]  # a question asking for this kind of fact
    holds: re.Pattern[str]  # text stating one
    missing: str  # what the base does not state, for 「…但没有写明{missing}」
    strict: bool  # refuse when no passage holds one


FACT_TYPES: tuple[FactType, ...] = (
    FactType(
        "date",
        re.compile(r"哪天|哪一天|哪年|哪一年|什么时候|何时|几月|几号|什么时间|哪个时间|日期|起止时间|截止时间"),
        # PDFs space out their dates (「2017 年 9 月 1 日」); 「自印发之日起」 is a date too
        re.compile(rf"{_NUMBER}\s*年\s*{_NUMBER}\s*月|{_NUMBER}\s*月\s*{_NUMBER}\s*[日号]|[0-9０-９]{{4}}\s*年"
                   rf"|[今去前明]年|{_NUMBER}\s*月(?:份|底|初|中旬|上旬|下旬)?|之日"
                   r"|(?<![0-9])[0-9]{1,2}/[0-9]{1,2}(?![0-9/])|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"),
        "具体日期",
        True,
    ),
    FactType(
        "duration",
        re.compile(r"多久|多长时间|多少天|几天|多少日|几日|几个月|多少个月|几年|多少年|几个工作日|多少个工作日"
                   r"|期限是|时限|有效期"),
        # not the year, month or day of a date (「2020年1月1日」 states no duration)
        re.compile(rf"(?<![年月0-9０-９一二三四五六七八九十百千两零〇])(?![0-9０-９]{{4}}\s*年){_NUMBER}\s*(?:个)?\s*"
                   r"(?:工作日|自然日|日|天|周|星期|月|年|小时|季度)(?![0-9０-９])|当日|当天|即时|即办"
                   # a frequency answers 「多久一次」 (每月、每季度、每半年、每两年)
                   rf"|每\s*(?:{_NUMBER}\s*个?\s*)?(?:工作日|周|星期|月|季度|季|年|学期)"),
        "具体期限",
        True,
    ),
    FactType(
        "amount",
        re.compile(r"多少钱|多少元|几元|多少万|金额|补贴多少|补助多少|资助多少|奖励多少|费用多少|收费多少|多少补贴"
                   r"|标准是多少|标准为多少|什么标准发|缴费标准|领多少|拿多少|给多少|发多少"),
        re.compile(rf"{_NUMBER}\s*(?:万|千|百)?\s*元|元\s*/|免费|不收费|{_NUMBER}\s*倍|百分之|[%％]"),
        "具体金额或标准",
        True,
    ),
    FactType(
        "rate",
        re.compile(r"比例|百分之几|百分比|几成|比率|费率|报销多少"),
        re.compile(r"[%％]|百分之|[一二三四五六七八九]成|倍"),
        "具体比例",
        True,
    ),
    FactType(
        "count",
        # a measure word after 多少/几 names the unit the answer is counted in (多少个学位 → 个)
        re.compile(r"(?:多少|(?<!哪)几)\s*(个|名|人|项|家|所|条|种|类|次|套|间|班|分|岁|位|户|批|期|级|本|张|件|场|门)"),
        re.compile(rf"{_NUMBER}\s*(?:个|名|人|项|家|所|条|种|类|次|套|间|班|分|岁|位|户|批|期|级|本|张|件|场|门)"),
        "具体数量",
        True,
    ),
    FactType(
        "department",
        re.compile(r"哪个部门|什么部门|哪些部门|哪个单位|什么单位|哪个机构|什么机构|哪个机关|由谁|谁负责|谁来|归谁"
                   r"|牵头部门|主管部门|责任部门|负责部门|受理部门|负责单位"),
        re.compile(r"(?:部|局|委|厅|办|中心|机关|机构|政府|处|科|站|所|院|委员会|公司|银行|小组)(?:牵头|负责|主管|受理|审核|"
                   r"审批|征收|办理|组织|实施|会同|核定|发放)|由\S{2,20}(?:负责|牵头|主管|受理|办理|审核|征收)"),
        "负责的部门",
        False,
    ),
    FactType(
        "definition",
        re.compile(r"是指|指什么|什么是|什么叫|是什么意思|什么意思|含义|定义|所称"),
        re.compile(r"是指|指的是|系指|所称|是.{0,40}的(?:总称|统称|制度|行为|人员|单位|活动|方式)"),
        "定义",
        False,
    ),
    FactType(
        "list",
        re.compile(r"哪些|哪几|包括什么|包含什么|有什么|分为|分哪|种类|类别"),
        re.compile(r"[：:]\s*$|包括|包含|分为|如下|下列|以下|[^、]{1,12}、[^、]{1,12}、"),
        "具体内容",
        False,
    ),
    FactType(
        "procedure",
        re.compile(r"怎么办|怎么(?:办理|申请|操作|处理|弄|交|缴|报名|登记|备案)|如何|流程|步骤|程序|手续|去哪|在哪"),
        re.compile(r"步骤|流程|程序|手续|登录|填写|提交|提出申请|办理|申报|前往|携带|通过.{1,20}(?:小程序|APP|平台|系统|网站)"),
        "办理方式",
        False,
    ),
    FactType(
        "condition",
        re.compile(r"条件|要求|什么情况|哪些情况|什么情形|哪些情形|资格|能不能|能否|可不可以|是否可以|可以.{0,20}吗|能.{0,20}吗"),
        re.compile(r"条件|符合|具备|资格|情形|要求|下列|以下|之一"),
        "条件",
        False,
    ),
)

_COUNT = next(t for t in FACT_TYPES if t.name == "count")
_STRICT = tuple(t for t in FACT_TYPES if t.strict)
_CONTENT = tuple(t for t in FACT_TYPES if t.name in ("definition", "list"))
# A question asking what something consists of, besides the definition and list interrogatives:
# 「五无是什么」「具体是哪五个」「分别指」「主要内容」.
_ASKS_CONTENT = re.compile(r"是什么(?!时候|时间)|是哪|有哪|指的是|分别|内容|具体")
# A count the question itself states: 「那10个子项目」「17项问题」「五大类」.
STATED_COUNT = re.compile(rf"({_NUMBER})\s*(?:个|项|类|条|种|大类)")


def asks_for_value(question: str) -> bool:
    """The question asks for a checkable value (a date, an amount, a count …: a strict type)."""
    return any(t.asks.search(question) for t in _STRICT) or bool(re.search(r"多少|(?<!哪)几(?!乎)", question))


def asks_for_content(question: str) -> bool:
    """The question asks what a term means or consists of (a definition or a list)."""
    return any(t.asks.search(question) for t in _CONTENT) or bool(_ASKS_CONTENT.search(question))


def asks_for(name: str, question: str) -> bool:
    """The question asks for a fact of the FACT_TYPES kind `name`."""
    return any(t.name == name and t.asks.search(question) for t in FACT_TYPES)


def asked_types(question: str) -> tuple[FactType, ...]:
    """The kinds of fact the question asks for, in the order of FACT_TYPES (several for
    「多少钱，评奖比例是多少」)."""
    return tuple(t for t in FACT_TYPES if t.asks.search(question))


def holds(fact: FactType, question: str, text: str) -> bool:
    """True when `text` states a fact of this kind; a count must be in the measure word the
    question asks in (「多少个学位」 is not answered by 「150分」)."""
    if fact is _COUNT:
        words = {m.group(1) for m in fact.asks.finditer(question)}
        return any(re.search(rf"{_NUMBER}\s*{re.escape(word)}", text) for word in words)
    return bool(fact.holds.search(text))


def held_share(types: tuple[FactType, ...], question: str, text: str) -> float:
    """Share of the asked kinds of fact `text` states (0 when the question asks for none)."""
    if not types:
        return 0.0
    return sum(holds(t, question, text) for t in types) / len(types)


def defines(term: str, text: str) -> bool:
    """`text` spells out what `term` stands for: 「（以下简称“三支一扶”）」「“五清”即…」「X是指…」
    「所称申诉，是指…」「X：…」 — not a mere mention (「“五无”负面清单」)."""
    quoted = rf"[“\"'‘]?{re.escape(term)}[”\"'’]?"
    return bool(re.search(rf"简称\s*{quoted}|{quoted}\s*(?:[，,]\s*)?(?:是指|指的是|系指|即)|{quoted}\s*[:：]", text))
