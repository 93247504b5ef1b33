"""Numbered slogans and their expansions: 五清 -> (班子清廉, 村务清爽, 思想清正, 民风清醇, 干群亲清).

Chinese policy writing packs lists into numbered abbreviations (五清, 三公开, 六个不得) and
quoted cadences (“月提示、季调度、半年督导、年终考评”). `extract_glossary` returns three kinds of
`GlossaryEntry`, in document order:

* Term with items. A numbered term -- a Chinese numeral (一..十, 两, 百, compounds such as 十二)
  plus 1-4 Han characters -- followed by its expansion: after an introducer (： : 是 即 为
  包括 是指 就是 分别是 …), inside brackets （…）, or, for a quoted term only, after a plain comma
  (‘五清’,班子清廉、村务清爽…). Items are split on 、 ， , ； ; -- the first separator sets the
  level and a different one ends the list, as do 。！？ a colon, a bracket or a line end, and an
  item that is implausibly long. After a plain 是/为 or a bare comma only a 、-list counts
  (a comma there usually continues the sentence). The entry is kept only when the number of
  items equals the numeral; for a compound like 三重一大 the count is the sum (3 + 1).
* Bare term, items == (). A quoted numbered term whose expansion this text does not state
  (“三会”, ‘六个不得’, ‘三公开、五必晒’ -> 三公开 and 五必晒). The count check does not apply.
  A term found with items anywhere in the same text drops its bare mentions.
* Cadence. A quoted run of 3-12 parallel short Han phrases (2-8 characters, lengths within 2
  of each other) joined only by 、, which the text does not name. Its term is the run itself
  as written ("月提示、季调度、半年督导、年终考评"), so nothing is invented; the items are the
  phrases. A quoted run that is the expansion of a named term is not repeated as a cadence.
  An Arabic count after a run (“政治强廉、…、文化润廉”5大类) is not read: the run is recorded
  as a cadence and "5大类" is not a term.

Conservative on purpose, since a false term pollutes the glossary and the tokenizer:
unquoted numbered words (一步, 两个, 十四五, 三级) become entries only with an introducer and
a matching item count. A quoted numbered word is a bare term only when its body is not all
numerals (“十四五” is a plan number) nor a unit (“三日”, “六个月” are quantities), its count
is 2-99 (“一把手” is not a list, though 一村一品 = 1 + 1 is; 百-led quotes are idioms such as
“百花齐放”), and it is not a common numeral idiom (“四梁八柱”).

Per document: same (term, items) twice keeps the first; one term with different items keeps
both (sources may disagree). text[start:end] covers the term and its items; for a bare term
or a cadence it is exactly the term. The scan is linear: a few regex passes, each candidate
looking at a bounded window.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter

from ingest.types import GlossaryEntry

__all__ = ["extract_glossary", "glossary_terms"]

DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "两": 2}
NUMERAL_CHARS = "一二三四五六七八九十两百千万零〇"
HAN = r"\u4e00-\u9fff"

MIN_COUNT = 2  # a one-item "list" is not a list
MAX_COUNT = 30  # longest enumeration checked against its numeral
MAX_BARE_COUNT = 99  # 百-led quoted words are idioms, not numbered lists
MAX_BODY_CHARS = 4  # 五清 .. 六个不得: numeral + 1-4 characters
MAX_ITEM_CHARS = 12  # an item after an explicit introducer
STRICT_MAX_ITEM_CHARS = 8  # an item after a bare comma, or of a cadence
MIN_CADENCE_ITEMS = 3
MAX_CADENCE_ITEMS = 12
MAX_QUOTED_CHARS = 120  # longest quoted run read as a cadence
MAX_CADENCE_SPREAD = 2  # 月提示 (3) .. 半年督导 (4): parallel phrases have similar lengths
CADENCE_STOP_CHARS = frozenset("的或")  # a phrase holding these is prose, not a slogan

# 十二, 二十, 三十五, 五, 两, 百, 一百 -- one number, not a run like 三四 ("three or four").
NUMERAL = r"(?:[一二三四五六七八九]?十[一二三四五六七八九]?|[一二三四五六七八九两]|一?百)"
# A numeral that starts a word: not inside a longer number and not an ordinal (第三).
NUMERAL_START_RE = re.compile(rf"(?<![{NUMERAL_CHARS}第0-9]){NUMERAL}(?=[{HAN}])")
TERM_RE = re.compile(rf"(?P<numeral>{NUMERAL})(?P<body>[{HAN}]{{1,{MAX_BODY_CHARS}}})")
# 三重一大, 三高四新, 两学一做: two numbered halves; the expansion lists both.
COMPOUND_RE = re.compile(rf"({NUMERAL})([^{NUMERAL_CHARS}]{{1,2}})({NUMERAL})([^{NUMERAL_CHARS}]{{1,2}})")
# Four-character idioms that start with a numeral. Quoted in policy prose they are figures of
# speech (搭建了“四梁八柱”), not numbered lists, and have the same shape as 三高四新.
NUMERAL_IDIOMS = frozenset(
    {
        "四梁八柱", "四面八方", "四平八稳", "五湖四海", "五花八门", "五光十色", "三令五申", "三番五次",
        "三心二意", "三五成群", "七上八下", "七嘴八舌", "十全十美", "十拿九稳", "九牛一毛", "一五一十",
        "一清二楚", "一干二净", "一穷二白", "一举两得", "一石二鸟", "两全其美", "八仙过海", "六神无主",
        "一心一意", "一朝一夕", "一草一木", "一点一滴", "一言一行", "一举一动",
    }
)
# Characters that make a body a phrase rather than an abbreviation (一是…, 三年为…, 两者…).
NOT_IN_BODY = frozenset("是为即指的了和与及在对把被从向者或")
NOT_A_BODY_RE = re.compile(r"以上|以下|以内")
# A number with a unit (“三日”, “六个月”, “二年内”, “二级”) is a quantity that laws define,
# not a slogan; such quoted words are not kept as bare terms.
QUANTITY_BODY_RE = re.compile(
    r"个?(?:工作)?(?:日|天|年|月|周|旬|季度?|小时|分钟|秒|岁|倍|次|元|人|名|位|公里|千米|米|吨|公斤|千克|克|亩|户|级)"
    r"(?:内|之内|以内|以上|以下|后|前|间|期)?"
)

INTRO_RE = re.compile(
    r"\s*(?:[，,]\s*)?"
    r"(?P<word>也就是|指的是|主要包括|具体包括|主要是|具体是|具体为|分别是|分别为|是指|就是|即是|即为|包括"
    r"|包含|即|是|为|[：:])"
    r"(?:\s*[：:])?\s*"
)
# After a plain 是/为 a comma more often goes on with the sentence (“三会”是基础，要坚持，…)
# than lists items, so these introducers only take a 、-list.
VERB_INTROS = frozenset("是为")
BRACKET_RE = re.compile(r"\s*[（(]\s*")
BRACKET_CLOSE_RE = re.compile(r"\s*[）)]")
COMMA_RE = re.compile(r"\s*[，,]\s*")

SEPARATOR_RE = re.compile(r"[、，,；;]")
SEPARATOR_LEVEL = {"、": 0, "，": 1, ",": 1, "；": 2, ";": 2}
LIST_END_RE = re.compile(r"[。！？!?\n：:（）()【】《》]")
QUOTES = "“”‘’「」『』\"'"
# A closing 等 (and a short tail: 鳖腮腺炎病等常见多发 -> 鳖腮腺炎病), but not the 等 of 平等,
# 高等, 等级, 等同 ….
TRAILING_ETC_RE = re.compile(
    rf"(?<![平同高中初对均相上下一二三特头优劣])等(?![级同待于候])等?[{HAN}]{{0,4}}$"
)
ITEM_RE = re.compile(rf"[{HAN}A-Za-z0-9]+")
HAN_ITEM_RE = re.compile(rf"[{HAN}]+")
# The last item "乙和丙" of a 、-list one short of its count: 甲、乙和丙.
LAST_PAIR_RE = re.compile(rf"([{HAN}]{{2,}}?)(?:以及|及|和)([{HAN}]{{2,}})")

QUOTE_PAIRS = (("“", "”"), ("‘", "’"), ("「", "」"), ("『", "』"), ('"', '"'), ("'", "'"))
QUOTED_RES = tuple(
    re.compile(rf"{re.escape(left)}(?P<content>[^{re.escape(left + right)}\n]{{1,{MAX_QUOTED_CHARS}}})"
               rf"{re.escape(right)}")
    for left, right in QUOTE_PAIRS
)


@dataclass(frozen=True)
class _ItemRules:
    """How strict an enumeration must be: loose after an introducer, strict after a bare comma."""

    min_chars: int
    max_chars: int
    pattern: re.Pattern[str]
    any_separator: bool = True  # False: items must be joined by 、 only


LOOSE = _ItemRules(1, MAX_ITEM_CHARS, ITEM_RE)
LOOSE_DUN = _ItemRules(1, MAX_ITEM_CHARS, ITEM_RE, any_separator=False)
STRICT = _ItemRules(2, STRICT_MAX_ITEM_CHARS, HAN_ITEM_RE, any_separator=False)


def _rules_after(intro: re.Match[str]) -> _ItemRules:
    return LOOSE_DUN if intro.groupdict().get("word") in VERB_INTROS else LOOSE


def extract_glossary(text: str) -> list[GlossaryEntry]:
    """Numbered terms with their items, bare quoted terms (items == ()) and quoted cadences.

    See the module docstring for what counts as each; entries are in document order.
    """
    with_items: list[GlossaryEntry] = []
    bare: list[GlossaryEntry] = []
    cadences: list[GlossaryEntry] = []
    _scan_unquoted(text, with_items)
    for quoted_re in QUOTED_RES:
        for match in quoted_re.finditer(text):
            _read_quoted(text, match, with_items, bare, cadences)
    return _merge(with_items, bare, cadences)


def glossary_terms(entries: Iterable[GlossaryEntry]) -> set[str]:
    """Terms for the jieba user dictionary.

    Cadence terms are left out: jieba cuts text at 、 so a phrase holding one can never be a token.
    """
    return {entry.term for entry in entries if not SEPARATOR_RE.search(entry.term)}


# -- numbered terms ------------------------------------------------------------------------


def _numeral_value(numeral: str) -> int:
    if numeral.endswith("百"):
        return 100 * DIGITS.get(numeral[:-1], 1)
    if "十" in numeral:
        tens, _, ones = numeral.partition("十")
        return DIGITS.get(tens, 1) * 10 + DIGITS.get(ones, 0)
    return DIGITS[numeral]


def _term_count(term: str) -> int | None:
    """The number of items `term` stands for, or None when it is not a numbered term."""
    match = TERM_RE.fullmatch(term)
    if match is None or term in NUMERAL_IDIOMS:
        return None
    body = match["body"]
    if (
        all(ch in NUMERAL_CHARS for ch in body)
        or any(ch in NOT_IN_BODY for ch in body)
        or NOT_A_BODY_RE.search(body)
    ):
        return None
    compound = COMPOUND_RE.fullmatch(term)
    if compound is not None:
        return _numeral_value(compound[1]) + _numeral_value(compound[3])
    return _numeral_value(match["numeral"])


def _scan_unquoted(text: str, found: list[GlossaryEntry]) -> None:
    """Numbered terms in running text, kept only with an introducer and a matching count."""
    for numeral in NUMERAL_START_RE.finditer(text):
        body_start = numeral.end()
        for length in range(1, MAX_BODY_CHARS + 1):
            body = text[body_start : body_start + length]
            if len(body) < length or not HAN_ITEM_RE.fullmatch(body) or body[-1] in NOT_IN_BODY:
                break
            count = _term_count(numeral.group() + body)
            if count is None or not MIN_COUNT <= count <= MAX_COUNT:
                continue
            listed = _expansion_at(text, body_start + length, count, after_quote=False)
            if listed is not None:
                items, end = listed
                found.append(GlossaryEntry(numeral.group() + body, items, numeral.start(), end))
                break


def _read_quoted(
    text: str,
    match: re.Match[str],
    with_items: list[GlossaryEntry],
    bare: list[GlossaryEntry],
    cadences: list[GlossaryEntry],
) -> None:
    """Classify one quoted run: a numbered term (with or without expansion), or a cadence."""
    parts = _split_spans(text, match.start("content"), match.end("content"), "、")
    if len(parts) == 1:
        start, end = parts[0]
        term = text[start:end]
        count = _term_count(term)
        if count is None or not MIN_COUNT <= count <= MAX_BARE_COUNT:
            return
        listed = _expansion_at(text, match.end(), count, after_quote=True) if count <= MAX_COUNT else None
        if listed is not None:
            items, list_end = listed
            with_items.append(GlossaryEntry(term, items, start, list_end))
        elif _is_bare_term(term, count):
            bare.append(GlossaryEntry(term, (), start, end))
        return
    # ‘三公开、五必晒’: each numbered part is a term of its own.
    numbered = 0
    for start, end in parts:
        term = text[start:end]
        count = _term_count(term)
        if count is not None and _is_bare_term(term, count):
            bare.append(GlossaryEntry(term, (), start, end))
            numbered += 1
    phrases = tuple(text[start:end] for start, end in parts)
    if numbered < len(parts) and _is_cadence(phrases):
        start, end = parts[0][0], parts[-1][1]
        cadences.append(GlossaryEntry(text[start:end], phrases, start, end))


def _is_bare_term(term: str, count: int) -> bool:
    """A quoted numbered word worth keeping without its expansion: a count, not a quantity."""
    match = TERM_RE.fullmatch(term)
    body = match["body"] if match else term
    return MIN_COUNT <= count <= MAX_BARE_COUNT and QUANTITY_BODY_RE.fullmatch(body) is None


def _is_cadence(phrases: tuple[str, ...]) -> bool:
    """Parallel short phrases: 3-12 of them, Han only, lengths within 2 of each other.

    The length rule keeps out quoted clauses that merely contain 、, such as a crime's name
    “武装掩护走私、贩卖、运输、制造毒品”.
    """
    lengths = [len(phrase) for phrase in phrases]
    return (
        MIN_CADENCE_ITEMS <= len(phrases) <= MAX_CADENCE_ITEMS
        and all(_item_ok(phrase, STRICT) for phrase in phrases)
        and max(lengths) - min(lengths) <= MAX_CADENCE_SPREAD
        and not any(ch in CADENCE_STOP_CHARS for phrase in phrases for ch in phrase)
    )


def _expansion_at(
    text: str, pos: int, count: int, *, after_quote: bool
) -> tuple[tuple[str, ...], int] | None:
    """The items right after a term: after an introducer, in brackets, or (quoted term) after a comma."""
    intro = INTRO_RE.match(text, pos)
    if intro is not None:
        return _read_items(text, intro.end(), count, _rules_after(intro))
    bracket = BRACKET_RE.match(text, pos)
    if bracket is not None:
        # Only a bracket holding nothing but the list: not 两侧边沟（截水沟、坡脚护坡道，下同）.
        listed = _read_items(text, bracket.end(), count, LOOSE)
        return listed if listed is not None and BRACKET_CLOSE_RE.match(text, listed[1]) else None
    if after_quote:
        comma = COMMA_RE.match(text, pos)
        if comma is not None:
            return _read_items(text, comma.end(), count, STRICT)
    return None


# -- enumerations --------------------------------------------------------------------------


def _read_items(text: str, pos: int, count: int, rules: _ItemRules) -> tuple[tuple[str, ...], int] | None:
    """Read an enumeration of exactly `count` items from `pos`; (items, end offset) or None.

    Looks at a window of at most `count` full-length items, so the work per call is bounded.
    """
    window_end = min(len(text), pos + count * (rules.max_chars + 4) + 8)
    stop = LIST_END_RE.search(text, pos, window_end)
    segment_end = stop.start() if stop else window_end
    # A list cut by the window rather than by punctuation has an untrustworthy last piece.
    last_complete = stop is not None or window_end == len(text)

    pieces: list[tuple[int, int]] = []
    level: int | None = None
    cursor = pos
    for separator in SEPARATOR_RE.finditer(text, pos, segment_end):
        sep_level = SEPARATOR_LEVEL[separator.group()]
        if level is None:
            level = sep_level
        pieces.append((cursor, separator.start()))
        if sep_level != level or len(pieces) > count:
            break  # a coarser separator closes the list; too many pieces fail the count anyway
        cursor = separator.end()
    else:
        if last_complete:
            pieces.append((cursor, segment_end))

    if level not in (None, 0) and not rules.any_separator:
        return None
    items: list[str] = []
    end = pos
    for start, stop_at in pieces:
        item, item_end = _clean_item(text, start, stop_at)
        if not _item_ok(item, rules):
            break  # an implausible item ends the enumeration
        items.append(item)
        end = item_end
    if len(items) == count - 1 == len(pieces) and level in (None, 0):
        pair = LAST_PAIR_RE.fullmatch(items[-1])
        if pair is not None and all(_item_ok(part, rules) for part in pair.groups()):
            items[-1:] = pair.groups()
    if len(items) != count:
        return None
    return tuple(items), end


def _clean_item(text: str, start: int, end: int) -> tuple[str, int]:
    """The item in text[start:end] without spaces, quotes or a trailing 等; and where its raw text ends."""
    raw = text[start:end]
    raw_end = start + len(raw.rstrip())
    item = raw.strip().strip(QUOTES).strip()
    stripped = TRAILING_ETC_RE.sub("", item)
    if len(stripped) >= 2:
        item = stripped
    return item, raw_end


def _item_ok(item: str, rules: _ItemRules) -> bool:
    return rules.min_chars <= len(item) <= rules.max_chars and rules.pattern.fullmatch(item) is not None


def _split_spans(text: str, start: int, end: int, separator: str) -> list[tuple[int, int]]:
    """Spans of text[start:end] split on `separator`, each trimmed of spaces and quotes."""
    spans = []
    cursor = start
    while True:
        cut = text.find(separator, cursor, end)
        piece_end = end if cut < 0 else cut
        left, right = cursor, piece_end
        while left < right and (text[left].isspace() or text[left] in QUOTES):
            left += 1
        while right > left and (text[right - 1].isspace() or text[right - 1] in QUOTES):
            right -= 1
        spans.append((left, right))
        if cut < 0:
            return spans
        cursor = cut + len(separator)


# -- merging -------------------------------------------------------------------------------


def _merge(
    with_items: list[GlossaryEntry], bare: list[GlossaryEntry], cadences: list[GlossaryEntry]
) -> list[GlossaryEntry]:
    """Apply the per-document dedupe rules and return entries in document order."""
    order = attrgetter("start", "end")
    kept: list[GlossaryEntry] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for entry in sorted(with_items, key=order):
        if (entry.term, entry.items) not in seen:
            seen.add((entry.term, entry.items))
            kept.append(entry)

    # A cadence lying inside a named term's span (kept or a dropped repeat) is that term's
    # expansion, not a new entry. reach[i]: the furthest end among the first i + 1 spans.
    spans = sorted((entry.start, entry.end) for entry in with_items)
    starts = [start for start, _ in spans]
    reach: list[int] = []
    for _, end in spans:
        reach.append(max(end, reach[-1]) if reach else end)
    for entry in sorted(cadences, key=order):
        index = bisect.bisect_right(starts, entry.start) - 1
        inside = index >= 0 and reach[index] >= entry.end
        if not inside and (entry.term, entry.items) not in seen:
            seen.add((entry.term, entry.items))
            kept.append(entry)

    named = {entry.term for entry in kept}
    for entry in sorted(bare, key=order):
        if entry.term not in named:
            named.add(entry.term)
            kept.append(entry)
    return sorted(kept, key=order)
