"""What an official document states about itself: 文号, issuing body, dates and validity.

Chinese official documents lay these facts out in fixed places (GB/T 9704-2012, 党政机关公文格式):
the 版头 carries the issuing body's mark (「XX人民政府文件」) and the 发文字号 on a line of its own;
the title reads 「发文机关 + 关于 + 事由 + 文种」; the signature (发文机关署名) stands on short lines
right above the 成文日期; the 版记 ends with 「印发机关 + 日期 + 印发」. Promulgation orders (令)
open with 「XX令 / 第N号」 and end with the signer and the date; laws carry a 题注 under the title
(「（2007年6月29日第十届全国人民代表大会常务委员会第二十八次会议通过）」); normative documents
state when they take effect and for how long (「本办法自2024年9月1日起施行，有效期5年」); web
pages of government sites label the fields (「发文机关：」「成文日期：」「文号：」).

`read_official` reads those places and nothing else: a 文号 quoted in a sentence (「根据《…》
（国办发〔2024〕38号）」) names another document and is not taken, and a field the document does
not state stays empty. 文号 are written in many ways (〔2024〕, [2024], (2020), 【2020], full-width
digits, OCR'd spaces); `normalise_doc_number` gives the one form stored and shown (〔〕, ASCII
digits, no spaces) and `doc_number_key` the form two spellings are compared in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from ingest.chunking import STRUCTURE_PATTERNS, Level, chinese_number, label_number
from ingest.types import OfficialMeta

__all__ = [
    "DOC_NUMBER",
    "ISSUER_MARK",
    "ORDER_NUMBER",
    "doc_number_key",
    "find_doc_numbers",
    "same_doc_number",
    "split_doc_number",
    "normalise_doc_number",
    "parse_date",
    "read_official",
]

_CJK = "\u4e00-\u9fff"
_YEAR_DIGITS = r"((?:19|20)\d{2}|(?:１９|２０)[０-９]{2})"
_OPEN = "〔[【（(［﹝{｛"
_CLOSE = "〕]】）)］﹞}｝"
# 发文字号: 机关代字 + 〔年份〕 + 序号 + 号 (GB/T 9704 7.2.4), in any bracket OCR or typists use.
DOC_NUMBER = re.compile(
    rf"([{_CJK}]{{1,16}})\s*(?:[{re.escape(_OPEN)}]\s*{_YEAR_DIGITS}\s*[{re.escape(_CLOSE)}]?"
    rf"|{_YEAR_DIGITS}\s*[{re.escape(_CLOSE)}])\s*(第?)\s*([0-9０-９]{{1,5}})\s*号"
)
# The number of a promulgation order: 国务院令第535号, 中华人民共和国主席令（第七十三号）.
ORDER_NUMBER = re.compile(
    rf"([{_CJK}]{{2,24}}令)\s*[（(]?\s*第\s*([0-9０-９]{{1,5}}|[一二三四五六七八九十百千零〇两]{{1,8}})\s*号\s*[）)]?"
)
_STATE_PREFIX = "中华人民共和国"

_YEAR = r"(?:(?:19|20)\d{2}|[一二三四五六七八九〇○零Ｏ０-９]{4})"
_MONTH_DAY = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
# 2024年7月29日, 二〇二四年七月二十九日, 2024 年 7 月 29 日, 2023-10-19, 2023/10/19, 2023.10.19
DATE = re.compile(
    rf"({_YEAR})\s*年\s*({_MONTH_DAY})\s*月\s*({_MONTH_DAY})\s*日"
    rf"|((?:19|20)\d{{2}})\s*[-/.．]\s*(\d{{1,2}})\s*[-/.．]\s*(\d{{1,2}})(?!\d)"
)
_DATE_LINE = re.compile(rf"^\s*(?:{DATE.pattern})(?:\s+\d{{1,2}}:\d{{2}}(?::\d{{2}})?)?\s*(印发)?\s*$")

# Labelled fields of web pages and information tables: label -> the field it fills.
_LABELS = {
    "文号": "doc_number", "发文字号": "doc_number", "发文文号": "doc_number",
    "发文机关": "issuer", "发布机构": "issuer", "发文单位": "issuer", "发布单位": "issuer", "制发机关": "issuer",
    "成文日期": "written", "发布日期": "published", "发布时间": "published", "公布日期": "published",
    "印发日期": "published", "施行日期": "effective", "生效日期": "effective", "实施日期": "effective",
    "废止日期": "repealed", "失效日期": "expires", "有效期至": "expires",
    "时效性": "status", "文件状态": "status", "效力状态": "status", "时效状态": "status",
}
_LABEL = re.compile(rf"({'|'.join(sorted(_LABELS, key=len, reverse=True))})\s*[：:]\s*")
_STATUS_WORDS = (("废止", "废止"), ("失效", "失效"), ("有效", "有效"))

# 「自2024年9月1日起施行」, 「自公布之日起施行」: when the document takes effect.
_EFFECTIVE = re.compile(
    rf"自\s*(?P<date>{DATE.pattern}|(?P<relative>(?:文件)?(?:发布|公布|印发|下发|颁布|发文))之日)\s*(?:起\s*)?"
    r"(?:施行|实施|执行|生效|试行)"
)
# 「自2012年2月1日至2017年1月31日施行」: the effective date and the end of the validity in one phrase.
_EFFECTIVE_RANGE = re.compile(
    rf"自\s*(?P<start>{DATE.pattern})\s*(?:起\s*)?至\s*(?P<end>{DATE.pattern})\s*(?:止\s*)?(?:施行|实施|执行|有效)"
)
_VALID_YEARS = re.compile(r"有效期\s*(?:为|是)?\s*([0-9]{1,2}|[一二三四五六七八九十两]{1,3})\s*年")
_VALID_UNTIL = re.compile(rf"有效期\s*(?:至|到)\s*(?:{DATE.pattern})")
_CLAUSE_STOP = re.compile(r"[，,、：:]")
# The document as the subject of a clause: 「本办法」「七、本通知」「第五十四条 本办法」.
_OWN_SUBJECT = re.compile(
    rf"^(?:[（(]?\s*[一二三四五六七八九十百0-9０-９]+\s*[、．.）)]\s*|第[一二三四五六七八九十百千零〇0-9]+条\s*)?"
    rf"本[{_CJK}]{{1,8}}$"
)
_TITLE_MARKS = re.compile(r"《([^《》]{2,80})》")
_SENTENCE_STOP = re.compile(r"[。；！？\n]")
# The 题注 under a law's title: 「（DATE 第十届全国人民代表大会常务委员会第二十八次会议通过 …）」.
_NOTE_LINE = re.compile(r"^[（(].*(?:通过|公布|发布|施行|修正|修订).*[）)]$")
_NOTE_START = re.compile(rf"^\s*(?:{DATE.pattern})")
_NOTE_VERBS = re.compile(r"通过|公布|发布|颁布|施行|实施|修正|修订|批准")
_ANNOUNCEMENT_NUMBER = re.compile(
    r"(?:(?:公告|通告|令)(?:\s*第\s*[0-9一二三四五六七八九十百千零〇]+\s*号)?|第\s*[0-9一二三四五六七八九十百千零〇]+\s*号)$"
)
_PUBLISHED_VERB = re.compile(r"公布|发布|颁布")
_PUBLISHED_IN_FORCE = re.compile(r"(?:公布|发布|颁布)\s*(?:并\s*)?(?:施行|实施|生效)")
_AMENDED = re.compile(r"修正|修订|修改")
_TAKES_EFFECT = re.compile(r"^\s*(?:起\s*)?(?:施行|实施|生效)")
_PUBLISHED_BY = re.compile(rf"^\s*(?:由\s*)?([{_CJK}、，,]{{2,40}}?)\s*(?:联合)?(?:发布|公布|颁布)")
_ADOPTED_BY = re.compile(
    rf"(?:{DATE.pattern})\s*(?:[由经]\s*)?(?:第[一二三四五六七八九十百]+届)?\s*([{_CJK}]{{2,30}}?)\s*第[一二三四五六七八九十百0-9]+次"
)
# What a signature line (发文机关署名) never contains: sentence punctuation, labels, brackets.
_NOT_SIGNATURE = re.compile(r"[，。；：:、？！?!《》“”\"()（）|,]|^附件|^[第（(一二三四五六七八九十0-9]")
_ISSUER_IN_TITLE = re.compile(rf"^(?!关于)(?P<who>[^《》“”]{{2,80}}?)\s*(?:关于|印发|转发|联合印发)")
_SIGNED_BY = re.compile(r"签\s*发\s*人\s*[：:].{0,12}")
_BRACKET_OPEN = ("（", "(", "[", "【", "〔")
_BRACKETED_END = re.compile(r"[）)\]】〕]\s*[。.]?")
_BRACKETED = re.compile(r"[（(][^（）()]{2,80}[）)]")
_HEAD_LINES = 12  # the 版头 and title block: the 文号 line stands within them
_MAX_SIGNATURE_LINES = 10  # a joint document's signature names every issuing body
_EMPHASIS = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")  # group 1 or 2
_LINE_MARKUP = re.compile(r"^(?:#{1,6}\s+|[-*+]\s+)")
# The last character of an organisation's name (部 厅 局 委 会 院 办 …): a 2-3 character signer
# token without one is a person or a post (行长 潘功胜, 总理 温家宝), not an issuing body.
_ORGANISATION_END = set("部厅局委会院办处室府行署司所站队组社校馆台团厂联协盟心")
# The 版头's issuing-body mark (GB/T 9704 7.2.2): 「XX人民政府办公厅文件」, set larger than the title.
ISSUER_MARK = re.compile(r"^\S.{1,40}文件$")


@dataclass(frozen=True)
class _Found:
    """What one reading place gave; later places only fill fields the earlier ones left empty."""

    doc_number: str = ""
    issuer: str = ""
    written: str = ""
    published: str = ""
    promulgated: str = ""  # a date the document says it was published on (公布/发布), for 自公布之日起
    effective: str = ""
    expires: str = ""
    repealed: str = ""
    status: str = ""


def normalise_doc_number(text: str) -> str:
    """The one form a 文号 is stored in: brackets 〔〕, ASCII digits, no spaces, order numbers in digits.

    "教科技 【2020] 2号" -> "教科技〔2020〕2号"; "国务院令 第 535 号" -> "国务院令第535号";
    "主席令（第七十三号）" -> "主席令第73号". Text that is no 文号 comes back stripped of spaces.
    """
    text = "".join(unicodedata.normalize("NFKC", text).split())
    if match := DOC_NUMBER.search(text):
        agency, year, di, number = (match.group(1), match.group(2) or match.group(3), match.group(4),
                                    match.group(5))
        di = "第" if di and agency.endswith("令") else ""  # an order's 〔2022〕第2号 keeps its 第
        return f"{agency}〔{_ascii(year)}〕{di}{int(_ascii(number))}号"
    if match := ORDER_NUMBER.search(text):
        value = chinese_number(_ascii(match.group(2)))
        return f"{match.group(1)}第{value}号" if value is not None else text
    return text


def doc_number_key(text: str) -> str:
    """The form two spellings of a 文号 are compared in: normalised, without 「中华人民共和国」."""
    normalised = normalise_doc_number(text)
    return normalised.removeprefix(_STATE_PREFIX)


def split_doc_number(normalised: str) -> tuple[str, str]:
    """(机关代字, the rest) of a normalised 文号: ("穗府办规", "〔2024〕13号"), ("国务院令", "第535号").

    In running text the agency code cannot be told from the words before it (「根据穗府办规〔2024〕
    13号」), so two 文号 are the same when the rest is equal and one agency code ends the other.
    """
    cut = normalised.find("〔")
    if cut < 0:
        cut = normalised.rfind("令第") + 1 if "令第" in normalised else 0
    return normalised[:cut], normalised[cut:]


def same_doc_number(a: str, b: str) -> bool:
    """Whether two normalised 文号 name the same document (see `split_doc_number`)."""
    agency_a, rest_a = split_doc_number(a)
    agency_b, rest_b = split_doc_number(b)
    shorter = min(len(agency_a), len(agency_b))
    return bool(rest_a) and rest_a == rest_b and shorter >= 2 and (
        agency_a.endswith(agency_b) or agency_b.endswith(agency_a))


def find_doc_numbers(text: str) -> list[tuple[int, int, str]]:
    """Every 文号 written in `text`: (start, end, normalised form), in order."""
    found = []
    for pattern in (DOC_NUMBER, ORDER_NUMBER):
        for match in pattern.finditer(text):
            found.append((match.start(), match.end(), normalise_doc_number(match.group(0))))
    found.sort()
    kept: list[tuple[int, int, str]] = []
    for item in found:
        if not kept or item[0] >= kept[-1][1]:
            kept.append(item)
    return kept


def parse_date(text: str) -> str:
    """The first date in `text` as ISO YYYY-MM-DD ("" when none is valid).

    Reads 2024年7月29日, 二〇二四年七月二十九日 (also with the look-alike ○ or Ｏ), 2023-10-19.
    """
    for match in DATE.finditer(text):
        if value := _date_of(match):
            return value
    return ""


def _date_of(match: re.Match[str]) -> str:
    groups = match.groups()
    year, month, day = groups[0:3] if groups[0] else groups[3:6]
    year_value = _year(year)
    month_value, day_value = chinese_number(_ascii(month)), chinese_number(_ascii(day))
    if year_value is None or month_value is None or day_value is None:
        return ""
    try:
        return date(year_value, month_value, day_value).isoformat()
    except ValueError:
        return ""


def _year(text: str) -> int | None:
    """A year written digit by digit: 2024, 二〇二四, 二○○八."""
    text = _ascii(text).translate(str.maketrans("○Ｏ", "〇〇"))
    if text.isdigit():
        return int(text)
    digits = "".join(str(chinese_number(char)) if chinese_number(char) is not None else "?" for char in text)
    return int(digits) if digits.isdigit() else None


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def read_official(text: str, title: str = "") -> OfficialMeta:
    """The 文号, issuing body, dates and validity `text` states about itself (empty fields otherwise).

    `title` is the document's title as the parser found it; it names the issuer in the
    「发文机关关于…的通知」 form and tells the document's own 《title》 from others it quotes.
    """
    lines = [_plain_line(line) for line in text.splitlines()]
    lines = [line for line in lines if line]
    readings = [
        _labelled(lines),
        _head(lines),
        _order(lines),
        _signature(lines),
        _promulgation_notes(lines),
        _dated_under_title(lines),
        _printed(lines),
    ]
    found = _merge(readings)
    issuer = found.issuer or _order_issuer(found.doc_number) or _issuer_in_title(title or (lines[0] if lines else ""))
    issued = found.written or found.published
    effective, expires = _effective(text, title, found.promulgated, _printed(lines).published)
    return OfficialMeta(
        doc_number=found.doc_number,
        issuer=issuer,
        issued=issued,
        effective=found.effective or effective,
        expires=found.expires or expires,
        repealed=found.repealed,
        status=found.status,
    )


def _plain_line(line: str) -> str:
    """A line without the markup a Markdown or plain-text source may keep: heading marks, list
    bullets, emphasis (**…**, __…__)."""
    line = _EMPHASIS.sub(lambda match: match.group(1) or match.group(2), line.strip())
    return _LINE_MARKUP.sub("", line).strip()


def _merge(readings: Sequence[_Found]) -> _Found:
    """The first non-empty value of each field, in the order the places are trusted."""
    fields = {name: "" for name in _Found.__dataclass_fields__}
    for reading in readings:
        for name in fields:
            fields[name] = fields[name] or getattr(reading, name)
    return _Found(**fields)


def _labelled(lines: Sequence[str]) -> _Found:
    """「发文机关：…」「成文日期：…」「文号：…」 fields, as web pages and information tables show them."""
    fields: dict[str, str] = {}
    for line in lines[: _HEAD_LINES * 3]:
        matches = list(_LABEL.finditer(line))
        for index, match in enumerate(matches):
            end = matches[index + 1].start() if index + 1 < len(matches) else len(line)
            value = line[match.end() : end].strip()
            field = _LABELS[match.group(1)]
            if not value or field in fields:
                continue
            if field == "doc_number":
                numbers = find_doc_numbers(value)
                value = numbers[0][2] if numbers and numbers[0][0] == 0 else ""
            elif field == "issuer":
                value = _organisation(value.split()[0]) if value.split() else ""
            elif field == "status":
                value = next((word for key, word in _STATUS_WORDS if key in value[:6]), "")
            else:
                value = parse_date(value[:24])
            if value:
                fields[field] = value
    if "published" in fields:
        fields["promulgated"] = fields["published"]
    return _Found(**fields)


def _head(lines: Sequence[str]) -> _Found:
    """The 版头 and title block: the issuing body's mark 「XX文件」 and the document's own 发文字号.

    A 文号 is the document's own where it stands alone on a line (beside a 签发人 at most, or
    wrapped in brackets), closes the title line in brackets (「…的通知（银发〔2021〕259号）」, as
    reposts and databases print it), or opens a line whose rest is the bracketed title
    (「中国人民银行令〔2025〕第12号（…管理办法）」). In a sentence it names another document.
    """
    number = issuer = ""
    for index, line in enumerate(lines[:_HEAD_LINES]):
        if not issuer and ISSUER_MARK.match(line) and not _NOT_SIGNATURE.search(line):
            issuer = _organisation(line.removesuffix("文件"))
        if number:
            continue
        for start, end, value in find_doc_numbers(line):
            before, after = line[:start].strip(), line[end:].strip()
            rest = (before + after).strip("（()）[]【】〔〕 \u3000")
            alone = len(rest) <= 2 or bool(_SIGNED_BY.fullmatch(rest))
            closes_title = index <= 1 and _BRACKETED_END.fullmatch(after) and before.endswith(_BRACKET_OPEN)
            opens_line = not before and bool(_BRACKETED.fullmatch(after))
            if alone or closes_title or opens_line:
                number = value
                break
    return _Found(doc_number=number, issuer=issuer)


def _order(lines: Sequence[str]) -> _Found:
    """A promulgation order: 「XX令」 and 「第N号」 at the top, the signer and the date at its end."""
    for index, line in enumerate(lines[:4]):
        compact = "".join(line.split())
        joined = compact + "".join(lines[index + 1].split()) if index + 1 < len(lines) else compact
        match = ORDER_NUMBER.fullmatch(joined) or ORDER_NUMBER.fullmatch(compact)
        if not match and (opening := ORDER_NUMBER.match(compact)) and compact[opening.end():][:1] in "《（(":
            match = opening  # 「国务院令 第737号 《…》已经…通过，现予公布」 on one line
        elif not match or not compact.endswith(("令", "号")):
            continue
        number = normalise_doc_number(match.group(0))
        issuer = _organisation(match.group(1).removesuffix("令"))
        written = ""
        for later in lines[index + 2 : index + 12]:  # the order's few lines end with its date
            if _DATE_LINE.match(later):
                written = parse_date(later)
                break
        return _Found(doc_number=number, issuer=issuer, written=written, promulgated=written)
    return _Found()


def _signature(lines: Sequence[str]) -> _Found:
    """The first 发文机关署名: short organisation lines standing right above a date-only line.

    A covering notice (印发通知) signs before the document it issues, so the first signature
    in the text is the one of the document a reader opens. A date line with no signer above
    counts when it closes a paragraph and is written 年月日 (a seal stands in for the name);
    a bare 2023/3/1 in the middle of a page is a printing stamp. More than two signatures with
    different dates, or signatures after the first article of a compilation, belong to its parts.
    """
    blocks: list[_Found] = []
    first_articles = [i for i, line in enumerate(lines)
                      if STRUCTURE_PATTERNS[Level.ARTICLE].match(line) and label_number(line) == 1]
    # In a compilation (article numbering restarts) only a signature above its first article
    # (a covering notice's) is the whole document's.
    last = first_articles[0] if len(first_articles) > 1 else len(lines)
    for index, line in enumerate(lines[:last]):
        if index < 2 or not _DATE_LINE.match(line) or line.endswith("印发"):
            continue
        signers: list[str] = []
        for above in reversed(lines[max(0, index - _MAX_SIGNATURE_LINES) : index]):
            if not _is_signature_line(above):
                break
            signers.insert(0, above)
        tokens = [name for signer in signers for name in _signer_tokens(signer)]
        names = [_organisation(name) for name in tokens if not _is_person_or_post(name)]
        issuer = "、".join(dict.fromkeys(name for name in names if name))
        signed_by_person = any(_is_person_or_post(name) for name in tokens)
        closes_paragraph = lines[index - 1].endswith(("。", "！", "；")) and "年" in line
        if issuer or signed_by_person or closes_paragraph:
            blocks.append(_Found(issuer=issuer, written=parse_date(line), promulgated=parse_date(line)))
    if not blocks or len({block.written for block in blocks}) > 2:
        return _Found()
    return blocks[0]


def _signer_tokens(line: str) -> list[str]:
    """The names on a signature line; a post spaced out for alignment (「行　长」) is one token."""
    tokens = line.split()
    if tokens and all(len(token) == 1 for token in tokens):
        return ["".join(tokens)]
    return tokens


def _is_person_or_post(token: str) -> bool:
    """A signer token of two or three characters that no organisation name ends like: a person
    (潘功胜) or a post (行长, 总理); an issuing body ends in 部, 局, 院, 行 …"""
    return 1 <= len(token) <= 3 and token[-1] not in _ORGANISATION_END


def _is_signature_line(line: str) -> bool:
    """A line that can be (part of) a 发文机关署名: a short run of names, no punctuation or numbering."""
    plain = unicodedata.normalize("NFKC", line)
    return (
        len(plain) <= 40
        and not _NOT_SIGNATURE.search(plain)
        and not _DATE_LINE.match(plain)
        and not plain[:1].isdigit()
        and "." not in plain
    )


def _promulgation_notes(lines: Sequence[str]) -> _Found:
    """The 题注 under a law's title, and the promulgation lines legal databases print there.

    「（2007年6月29日第十届全国人民代表大会常务委员会第二十八次会议通过 根据…修正）」,
    「1994年2月26日 中华人民共和国国务院令第149号发布」, 「2022年2月15日 施行」: each dated event
    is read by its verb. The first 公布/发布/颁布 gives the issue date, the order or document
    number and the issuing body (the 令's issuer or the name before 发布); without one, the
    first 通过 gives the issue date and the adopting body. 施行/实施 (also 「公布施行」) give the
    effective date; 批准 (approved by a higher body) and 修正/修订 (amendments) are not the
    document's own issue.
    """
    adopted: dict[str, str] = {}
    published: dict[str, str] = {}
    effective = ""
    for line in lines[1:10]:
        noted = _NOTE_LINE.match(line) or (_NOTE_START.match(line) and _NOTE_VERBS.search(line))
        if not noted or len(line) > 240:
            continue
        dates = list(DATE.finditer(line))
        for index, match in enumerate(dates):
            segment = line[match.end() : dates[index + 1].start() if index + 1 < len(dates) else len(line)]
            value = _date_of(match)
            if not value or _AMENDED.search(segment) or "批准" in segment:
                continue
            if _TAKES_EFFECT.match(segment) or _PUBLISHED_IN_FORCE.search(segment):
                effective = effective or value
            if _PUBLISHED_VERB.search(segment) and not published:
                published = {"written": value, "promulgated": value, "issuer": _publisher(segment)}
                if numbers := find_doc_numbers(segment):
                    published["doc_number"] = numbers[0][2]
            elif "通过" in segment and not adopted:
                by = _ADOPTED_BY.search(match.group(0) + segment)
                adopted = {"written": value, "issuer": _organisation(by.group(by.lastindex)) if by else ""}
    found = {**adopted, **{key: value for key, value in published.items() if value}}
    if not found.get("issuer"):
        found["issuer"] = adopted.get("issuer", "")
    return _Found(effective=effective, **{key: value for key, value in found.items() if value})


def _publisher(segment: str) -> str:
    """The body a promulgation segment names: the issuer of its 令, else the name before 发布/公布."""
    if order := ORDER_NUMBER.search("".join(segment.split())):
        return _organisation(order.group(1).removesuffix("令"))
    if named := _PUBLISHED_BY.match(segment):
        body = _ANNOUNCEMENT_NUMBER.sub("", named.group(1))  # 「全国人民代表大会公告第八号公布」
        return "、".join(filter(None, (_organisation(n) for n in re.split(r"[、，,]", body))))
    return ""


def _dated_under_title(lines: Sequence[str]) -> _Found:
    """A web article's date on its own line under the heading (2023-12-14): when it was published."""
    for line in lines[1:4]:
        if _DATE_LINE.match(line):
            return _Found(published=parse_date(line), promulgated=parse_date(line))
    return _Found()


def _printed(lines: Sequence[str]) -> _Found:
    """The 版记's last line: 「印发机关 2024年7月29日印发」, the date the document was printed and issued."""
    for line in reversed(lines[-12:]):
        if line.endswith("印发") and (value := parse_date(line)):
            return _Found(published=value)
    return _Found()


def _order_issuer(number: str) -> str:
    """The body an order's number names: 中国人民银行令〔2024〕第4号 -> 中国人民银行."""
    agency, _ = split_doc_number(number)
    return _organisation(agency.removesuffix("令")) if agency.endswith("令") else ""


def _issuer_in_title(title: str) -> str:
    """The issuing bodies a 「发文机关关于…的通知」 title names, joined with 、 ("" for other titles)."""
    title = title.strip()
    match = _ISSUER_IN_TITLE.match(title)
    if not match:
        return ""
    names = [_organisation(name) for name in match.group("who").split()]
    return "、".join(name for name in names if name)


def _organisation(name: str) -> str:
    """An organisation name as read from a line: at least two CJK characters, no trailing marks."""
    name = name.strip(" 　:：,，。")
    return name if len(re.findall(f"[{_CJK}]", name)) >= 2 else ""


def _effective(text: str, title: str, issued: str, printed: str) -> tuple[str, str]:
    """The date the document takes effect and the end of its stated validity period.

    Only statements about this document count: a sentence naming another 《document》 is
    skipped. Relative dates take the date the document states for that event: 自公布之日起 /
    自发布之日起 the issue date (a 令's date is its 公布 date), 自印发之日起 the 版记's print date
    (「…2024年7月29日印发」), which is days after the signature; without it the date stays unknown. Several different dates mean the text
    holds several documents (a compilation): none is the document's own.
    """
    own = _bare(title)
    candidates: list[tuple[str, str]] = []
    for match in _EFFECTIVE_RANGE.finditer(text):
        if _about_this_document(text, match.start(), own):
            start, end = parse_date(match.group("start")), parse_date(match.group("end"))
            if start:
                candidates.append((start, end))
    for match in _EFFECTIVE.finditer(text):
        if not _about_this_document(text, match.start(), own):
            continue
        stop = _SENTENCE_STOP.search(text, match.end())
        sentence_end = stop.start() if stop else len(text)
        relative = match.group("relative")
        if relative:
            value = issued if relative.endswith(("发布", "公布", "颁布")) else printed
        else:
            value = parse_date(match.group("date"))
        if not value:
            continue
        candidates.append((value, _expiry(value, text[match.end() : sentence_end])))
    if len({value for value, _ in candidates}) != 1:
        return "", ""
    return candidates[-1]


def _about_this_document(text: str, position: int, own: str) -> bool:
    """Whether the 「自…起施行」 at `position` is said of this document.

    It is when its subject is the document itself: 「本办法」「本通知」 (after an item or article
    number), this document's own 《title》, or nothing (「现予公布，自公布之日起施行」, a 题注).
    A sentence naming another 《document》, or with another subject (「涉及国家安全的行政法规，
    可以自公布之日起施行」, a rule about other regulations), is not.
    """
    sentence_start = max((m.end() for m in _SENTENCE_STOP.finditer(text, 0, position)), default=0)
    sentence = text[sentence_start:position]
    named = [_bare(name) for name in _TITLE_MARKS.findall(sentence)]
    if any(name and own and name not in own and own not in name for name in named):
        return False
    clause = _CLAUSE_STOP.split(sentence)[-1].strip()
    return not clause or bool(named) or bool(_OWN_SUBJECT.match(clause))


def _expiry(effective: str, rest: str) -> str:
    """The last day of 「有效期5年」 counted from `effective`, or the date of 「有效期至…」."""
    if match := _VALID_UNTIL.search(rest):
        return parse_date(match.group(0))
    if match := _VALID_YEARS.search(rest):
        years = chinese_number(match.group(1))
        if years:
            start = date.fromisoformat(effective)
            try:
                end = start.replace(year=start.year + years)
            except ValueError:  # 29 February
                end = start.replace(year=start.year + years, day=28)
            return (end - timedelta(days=1)).isoformat()
    return ""


def _bare(title: str) -> str:
    """A title for comparison: no spaces or book-title marks, no 「中华人民共和国」 in front."""
    return re.sub(r"[\s《》〈〉]", "", title).removeprefix(_STATE_PREFIX)
