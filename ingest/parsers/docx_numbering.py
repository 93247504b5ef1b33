"""Word automatic numbering (word/numbering.xml) and outline levels, resolved as Word shows them.

Chinese rules and regulations often get their article and item numbers (第一条, （一）, 1.)
from Word's list numbering: the text of the paragraph holds only "为了规范……", the label is
computed when the page is drawn. Without it the chunker finds no articles. This module
computes the labels (ECMA-376 Part 1, §17.9 "Numbering"):

    paragraph w:numPr (direct, or from its paragraph style and the style's basedOn chain)
      -> w:num (numId): w:abstractNumId, w:lvlOverride (w:startOverride, a replacement w:lvl)
      -> w:abstractNum (through w:numStyleLink -> numbering style -> its w:num, when linked)
      -> w:lvl (ilvl): w:start, w:numFmt, w:lvlText ("第%1条", "（%1）", "%1.%2"),
         w:lvlRestart, w:isLgl, w:suff

Counters belong to the abstract definition, not to the w:num: several w:num sharing one
w:abstractNum continue one sequence, and a w:num with a w:startOverride restarts the shared
counter of that level the first time it is used (how Word's "Restart numbering" and "Set
numbering value" are stored; a replacement w:lvl alone changes the format, not the count).
Using a level resets the deeper levels, unless a w:lvlRestart says otherwise. A style's
w:numPr without w:ilvl numbers at level 0.

Labels are computed once for all paragraphs of the body in document order, table cells
included, so they do not depend on the order a caller reads the paragraphs in. Paragraphs
of text boxes are not counted (the parser does not read them either).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from docx.document import Document as WordDocument
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from lxml import etree

log = logging.getLogger(__name__)

__all__ = ["BODY_TEXT_OUTLINE", "Level", "Numbering", "Styles", "format_number", "outline_level"]

LEVELS = 9  # w:ilvl 0..8
BODY_TEXT_OUTLINE = 9  # w:outlineLvl 9 is "body text", 0..8 are heading levels 1..9
_MAX_STYLE_DEPTH = 10  # guards against a cycle of base styles or style links in a damaged file
_PLACEHOLDER = re.compile(r"%([1-9])")
# What follows the label: Word draws a tab (or a space, or nothing); plain text gets one space.
_SUFFIXES = {"tab": " ", "space": " ", "nothing": ""}


# --- number formats (ECMA-376 Part 1, §17.18.59 ST_NumberFormat) -----------------------------

_CN_DIGITS = "〇一二三四五六七八九"
_CN_LEGAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_HEAVENLY_STEMS = "甲乙丙丁戊己庚辛壬癸"
_EARTHLY_BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
_FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
# Past these the repeating forms grow without bound (a damaged w:start); decimals are written.
_MAX_LETTERS = 26 * 30
_MAX_ROMAN = 3999
_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def _myriad(
    value: int, digits: str, units: str, zero: str, *, elide_one: bool = False, bare_ten: bool = True
) -> str:
    """A number read out in the Chinese way: 一千零一, 一百一十, 十一.

    `units` are the characters for 10, 100, 1000 and 10 000; `zero` fills a gap (零) or is
    empty (Japanese counting writes none). `elide_one` drops 一 before every unit (Japanese
    百十一); `bare_ten` drops it only before a leading 十 (十一, but 一百一十), which the
    legal digits do not (壹拾壹).
    """
    if value >= 10_000:
        high, low = divmod(value, 10_000)
        head = _myriad(high, digits, units, zero, elide_one=elide_one, bare_ten=bare_ten) + units[3]
        if low == 0:
            return head
        tail = _myriad(low, digits, units, zero, elide_one=elide_one, bare_ten=False)
        return head + (zero if low < 1000 else "") + tail
    out: list[str] = []
    pending_zero = False
    for power in (3, 2, 1, 0):
        digit = value // 10**power % 10
        if digit == 0:
            pending_zero = pending_zero or bool(out)
            continue
        if pending_zero:
            out.append(zero)
            pending_zero = False
        unit = units[power - 1] if power else ""
        if unit and digit == 1 and (elide_one or (bare_ten and power == 1 and not out)):
            out.append(unit)
        else:
            out.append(digits[digit] + unit)
    return "".join(out)


def _chinese_counting(value: int) -> str:
    """chineseCounting: 一 … 十, 十一 … 九十九, 一百, 一百零一 …

    Some renderers write the hundreds digit by digit (一〇〇); LibreOffice, the reference the
    parser is measured against, writes 一百, which is also how a law's 第一百条 is cited and
    searched, so that form is used.
    """
    return _myriad(value, _CN_DIGITS, "十百千万", "零")


def _cycle(symbols: str) -> Callable[[int], str]:
    """A fixed set of symbols (甲乙丙…), numbers past its end written as decimals."""
    return lambda value: symbols[value - 1] if 1 <= value <= len(symbols) else str(value)


def _letters(value: int) -> str:
    """a … z, aa … zz, aaa …: the letter repeated once per round of the alphabet."""
    if value > _MAX_LETTERS:
        return str(value)
    return chr(ord("a") + (value - 1) % 26) * ((value - 1) // 26 + 1)


def _roman(value: int) -> str:
    if value > _MAX_ROMAN:
        return str(value)
    out: list[str] = []
    for amount, numeral in _ROMAN:
        count, value = divmod(value, amount)
        out.append(numeral * count)
    return "".join(out)


_FORMATS: dict[str, Callable[[int], str]] = {
    "decimal": str,
    "decimalZero": lambda value: f"{value:02d}",
    "decimalFullWidth": lambda value: str(value).translate(_FULL_WIDTH_DIGITS),
    "decimalFullWidth2": lambda value: str(value).translate(_FULL_WIDTH_DIGITS),
    "decimalEnclosedCircle": lambda value: chr(0x2460 + value - 1) if 1 <= value <= 20 else str(value),
    "decimalEnclosedCircleChinese": lambda value: chr(0x2460 + value - 1) if 1 <= value <= 20 else str(value),
    "decimalEnclosedParen": lambda value: chr(0x2474 + value - 1) if 1 <= value <= 20 else str(value),
    "decimalEnclosedFullstop": lambda value: chr(0x2488 + value - 1) if 1 <= value <= 20 else str(value),
    "chineseCounting": _chinese_counting,
    "chineseCountingThousand": lambda value: _myriad(value, _CN_DIGITS, "十百千万", "零"),
    "chineseLegalSimplified": lambda value: _myriad(value, _CN_LEGAL_DIGITS, "拾佰仟万", "零", bare_ten=False),
    "ideographDigital": lambda value: "".join(_CN_DIGITS[int(digit)] for digit in str(value)),
    "japaneseCounting": lambda value: _myriad(value, _CN_DIGITS, "十百千万", "", elide_one=True),
    "ideographTraditional": _cycle(_HEAVENLY_STEMS),
    "ideographZodiac": _cycle(_EARTHLY_BRANCHES),
    "lowerLetter": _letters,
    "upperLetter": lambda value: _letters(value).upper(),
    "lowerRoman": lambda value: _roman(value).lower(),
    "upperRoman": _roman,
    "none": lambda value: "",
}


def format_number(value: int, fmt: str) -> str:
    """`value` written in the w:numFmt `fmt`; formats without a rule here fall back to decimal."""
    if fmt in ("none", "bullet"):
        return ""
    if value <= 0:  # the counting systems start at one; Word writes a zero start as 0
        return str(value)
    rule = _FORMATS.get(fmt)
    if rule is None:
        log.debug("numbering format %r written as decimal", fmt)
        return str(value)
    return rule(value)


# --- styles -----------------------------------------------------------------------------------


def _val(element: etree._Element | None, tag: str) -> str | None:
    """The w:val of the child `tag` of `element`, or None."""
    if element is None:
        return None
    child = element.find(qn(tag))
    return None if child is None else child.get(qn("w:val"))


def _int(text: str | None) -> int | None:
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


def _is_on(value: str | None) -> bool:
    """A w:ST_OnOff value; a toggle element without w:val is on."""
    return value not in ("false", "0", "off")


def outline_level(ppr: etree._Element | None) -> int | None:
    """The w:outlineLvl of a w:pPr (0 = heading 1 … 8, 9 = body text), or None when unset."""
    return _int(_val(ppr, "w:outlineLvl"))


@dataclass(frozen=True)
class _NumPr:
    num_id: str | None
    ilvl: int | None


def _num_pr(ppr: etree._Element | None) -> _NumPr | None:
    if ppr is None:
        return None
    num_pr = ppr.find(qn("w:numPr"))
    if num_pr is None:
        return None
    return _NumPr(_val(num_pr, "w:numId"), _int(_val(num_pr, "w:ilvl")))


class Styles:
    """The paragraph styles of styles.xml, for what a paragraph inherits through w:basedOn."""

    def __init__(self, root: etree._Element | None) -> None:
        self._styles: dict[str, etree._Element] = {}
        self._default: str | None = None
        if root is None:
            return
        for style in root.iterfind(qn("w:style")):
            style_id = style.get(qn("w:styleId"))
            if style_id is None:
                continue
            self._styles.setdefault(style_id, style)
            default = style.get(qn("w:default"))
            is_default = default is not None and _is_on(default)
            if style.get(qn("w:type"), "paragraph") == "paragraph" and is_default and self._default is None:
                self._default = style_id

    @classmethod
    def from_document(cls, word: WordDocument) -> Styles:
        """The styles part of a python-docx document (none in a damaged package: no styles)."""
        try:
            root = word.part.part_related_by(RT.STYLES).element
        except KeyError:
            root = None
        return cls(root)

    def style(self, style_id: str) -> etree._Element | None:
        return self._styles.get(style_id)

    def style_id(self, paragraph: etree._Element) -> str | None:
        """The paragraph's w:pStyle, else the default paragraph style."""
        return _val(paragraph.find(qn("w:pPr")), "w:pStyle") or self._default

    def chain(self, style_id: str | None) -> Iterator[etree._Element]:
        """The style and its base styles, nearest first."""
        seen: set[str] = set()
        while style_id and style_id not in seen and len(seen) < _MAX_STYLE_DEPTH:
            seen.add(style_id)
            style = self._styles.get(style_id)
            if style is None:
                return
            yield style
            style_id = _val(style, "w:basedOn")



# --- numbering definitions --------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    """One w:lvl: how the number of this level is counted and written."""

    start: int = 1
    fmt: str = "decimal"
    text: str = ""  # w:lvlText, "%1" standing for the counter of level 0 …
    # w:lvlRestart: restart when this 1-based level or a higher one is used; 0 never; None: any higher level
    restart: int | None = None
    legal: bool = False  # w:isLgl: every number of the label written as a decimal
    suffix: str = "tab"


def _level(element: etree._Element, base: Level | None = None) -> Level:
    """A w:lvl element; what it leaves out comes from `base` (the level a w:lvlOverride replaces)."""
    base = base or Level()
    start = _int(_val(element, "w:start"))
    text = element.find(qn("w:lvlText"))
    legal = element.find(qn("w:isLgl"))
    return Level(
        start=base.start if start is None else start,
        fmt=_val(element, "w:numFmt") or base.fmt,
        text=base.text if text is None else text.get(qn("w:val"), ""),
        restart=_int(_val(element, "w:lvlRestart")),
        legal=legal is not None and _is_on(legal.get(qn("w:val"))),
        suffix=_val(element, "w:suff") or "tab",
    )


@dataclass(frozen=True)
class _List:
    """One w:num resolved: the counter it shares, its levels, and the levels it restarts."""

    key: str  # the abstract definition whose counters it uses
    levels: dict[int, Level]
    restarts: dict[int, int]  # ilvl -> the value a w:startOverride restarts that level at

    def level(self, ilvl: int) -> Level | None:
        return self.levels.get(ilvl)


class Numbering:
    """The labels Word draws in front of numbered paragraphs ("第一条 ", "（一）", "1. ").

    Build it once per document (`from_document`), then ask `label(paragraph)` for each
    paragraph element; a paragraph without numbering, with a bullet, or unknown gets "".
    """

    def __init__(self, root: etree._Element | None, styles: Styles) -> None:
        self._styles = styles
        self._abstracts: dict[str, etree._Element] = {}
        self._nums: dict[str, etree._Element] = {}
        self._lists: dict[str, _List | None] = {}
        self._labels: dict[etree._Element, str] = {}
        if root is not None:
            for abstract in root.iterfind(qn("w:abstractNum")):
                self._abstracts.setdefault(abstract.get(qn("w:abstractNumId"), ""), abstract)
            for num in root.iterfind(qn("w:num")):
                self._nums.setdefault(num.get(qn("w:numId"), ""), num)

    @classmethod
    def from_document(cls, word: WordDocument) -> Numbering:
        """The numbering of a python-docx document, labels computed for its whole body."""
        try:
            root = word.part.part_related_by(RT.NUMBERING).element
        except KeyError:  # no numbering part: nothing is numbered
            root = None
        numbering = cls(root, Styles.from_document(word))
        numbering._count(word.element.body)
        return numbering

    @property
    def styles(self) -> Styles:
        return self._styles

    def label(self, paragraph: etree._Element) -> str:
        """The label and its suffix for a paragraph element of the counted body, else ""."""
        return self._labels.get(paragraph, "")

    def _count(self, body: etree._Element) -> None:
        """Number every paragraph of `body` in document order."""
        counters: dict[str, list[int | None]] = {}
        entered: set[tuple[str, int]] = set()  # (numId, ilvl) whose restart has been applied
        for paragraph in _body_paragraphs(body):
            found = self._resolve(paragraph)
            if found is None:
                continue
            num_id, ilvl, numbered = found
            level = numbered.level(ilvl)
            if level is None:
                continue
            values = counters.setdefault(numbered.key, [None] * LEVELS)
            current = values[ilvl]
            if ilvl in numbered.restarts and (num_id, ilvl) not in entered:
                entered.add((num_id, ilvl))
                values[ilvl] = numbered.restarts[ilvl]
            else:
                values[ilvl] = level.start if current is None else current + 1
            for deeper in range(ilvl + 1, LEVELS):
                deeper_level = numbered.level(deeper)
                restart = deeper_level.restart if deeper_level is not None else None
                threshold = deeper if restart is None else restart  # 1-based: the levels above it
                if ilvl < threshold:
                    values[deeper] = None
            text = self._render(numbered, ilvl, values)
            if text:
                self._labels[paragraph] = text + _SUFFIXES.get(level.suffix, " ")

    def _render(self, numbered: _List, ilvl: int, values: list[int | None]) -> str:
        level = numbered.level(ilvl)
        if level is None or level.fmt == "bullet":
            return ""  # a bullet is not a number

        def placeholder(match: re.Match[str]) -> str:
            index = int(match.group(1)) - 1
            referenced = numbered.level(index) or Level()
            value = values[index]
            if value is None:  # a level above that was never used shows its start
                value = referenced.start
            fmt = "decimal" if level.legal and referenced.fmt not in ("none", "bullet") else referenced.fmt
            return format_number(value, fmt)

        return _PLACEHOLDER.sub(placeholder, level.text).strip()

    def _resolve(self, paragraph: etree._Element) -> tuple[str, int, _List] | None:
        """(numId, ilvl, list) of a numbered paragraph, following its style chain; else None."""
        direct = _num_pr(paragraph.find(qn("w:pPr")))
        num_id = direct.num_id if direct else None
        ilvl = direct.ilvl if direct else None
        if num_id is None:
            for style in self._styles.chain(self._styles.style_id(paragraph)):
                inherited = _num_pr(style.find(qn("w:pPr")))
                if inherited is None or inherited.num_id is None:
                    continue
                num_id = inherited.num_id
                ilvl = ilvl if ilvl is not None else inherited.ilvl
                break
        if num_id is None or num_id == "0":  # numId 0 switches numbering off
            return None
        numbered = self._list(num_id)
        if numbered is None:
            return None
        ilvl = 0 if ilvl is None else ilvl
        if not 0 <= ilvl < LEVELS:
            return None
        return num_id, ilvl, numbered

    def _list(self, num_id: str) -> _List | None:
        if num_id not in self._lists:
            self._lists[num_id] = self._build(num_id)
        return self._lists[num_id]

    def _build(self, num_id: str) -> _List | None:
        num = self._nums.get(num_id)
        if num is None:
            log.debug("numbered paragraph refers to missing w:num %s", num_id)
            return None
        abstract_id = _val(num, "w:abstractNumId")
        abstract = self._linked_abstract(abstract_id)
        if abstract is None:
            log.debug("w:num %s refers to missing w:abstractNum %s", num_id, abstract_id)
            return None
        levels: dict[int, Level] = {}
        for element in abstract.iterfind(qn("w:lvl")):
            ilvl = _int(element.get(qn("w:ilvl")))
            if ilvl is not None and 0 <= ilvl < LEVELS:
                levels.setdefault(ilvl, _level(element))
        restarts: dict[int, int] = {}
        for override in num.iterfind(qn("w:lvlOverride")):
            ilvl = _int(override.get(qn("w:ilvl")))
            if ilvl is None or not 0 <= ilvl < LEVELS:
                continue
            replacement = override.find(qn("w:lvl"))
            if replacement is not None:
                levels[ilvl] = _level(replacement, levels.get(ilvl))
            start = _int(_val(override, "w:startOverride"))
            if start is not None:
                restarts[ilvl] = start
                if ilvl in levels:
                    levels[ilvl] = replace(levels[ilvl], start=start)
        key = abstract.get(qn("w:abstractNumId"), abstract_id or "")
        return _List(key=key, levels=levels, restarts=restarts)

    def _linked_abstract(self, abstract_id: str | None) -> etree._Element | None:
        """The abstract definition holding the levels, through w:numStyleLink indirections.

        A list style (w:style of type "numbering") is stored as an abstractNum with only a
        w:numStyleLink; the style's numPr names the w:num whose abstractNum has the levels.
        """
        abstract = self._abstracts.get(abstract_id or "")
        for _ in range(_MAX_STYLE_DEPTH):
            if abstract is None:
                return None
            link = _val(abstract, "w:numStyleLink")
            if link is None:
                return abstract
            style = self._styles.style(link)
            linked = _num_pr(style.find(qn("w:pPr"))) if style is not None else None
            num = self._nums.get(linked.num_id or "") if linked else None
            if num is None:
                return None
            abstract = self._abstracts.get(_val(num, "w:abstractNumId") or "")
        return None


def _body_paragraphs(body: etree._Element) -> Iterator[etree._Element]:
    """The w:p of the body in document order, tables included, text boxes left out."""
    textbox = qn("w:txbxContent")
    for paragraph in body.iter(qn("w:p")):
        if any(ancestor.tag == textbox for ancestor in paragraph.iterancestors()):
            continue
        yield paragraph
