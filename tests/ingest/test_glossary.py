"""Numbered slogans and cadences: the seed article, the count check, introducers, spans, dedupe."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.glossary import extract_glossary, glossary_terms
from ingest.types import GlossaryEntry

SEED = Path(__file__).parents[2] / "corpus" / "000_5c55d41fe458c655.txt"
WUQING = ("班子清廉", "村务清爽", "思想清正", "民风清醇", "干群亲清")
CADENCE = ("月提示", "季调度", "半年督导", "年终考评")


def by_term(entries: list[GlossaryEntry]) -> dict[str, list[tuple[str, ...]]]:
    found: dict[str, list[tuple[str, ...]]] = {}
    for entry in entries:
        found.setdefault(entry.term, []).append(entry.items)
    return found


def only(text: str) -> GlossaryEntry:
    entries = extract_glossary(text)
    assert len(entries) == 1, entries
    return entries[0]


# -- the seed article ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> tuple[str, list[GlossaryEntry]]:
    text = SEED.read_text("utf-8")
    return text, extract_glossary(text)


def test_seed_wuqing_expansion_after_a_comma(seed: tuple[str, list[GlossaryEntry]]) -> None:
    # “…核心标准是‘五清’,班子清廉、村务清爽、思想清正、民风清醇、干群亲清,村务清爽又规范…”
    # and later “五清”和“五无” bare: the entry with items supersedes the bare mention.
    _, entries = seed
    assert by_term(entries)["五清"] == [WUQING]


def test_seed_cadence_has_four_items(seed: tuple[str, list[GlossaryEntry]]) -> None:
    _, entries = seed
    cadence = "、".join(CADENCE)  # the quoted run is its own term: nothing invented
    assert by_term(entries)[cadence] == [CADENCE]
    assert len(CADENCE) == 4


def test_seed_bare_terms(seed: tuple[str, list[GlossaryEntry]]) -> None:
    # ‘三公开、五必晒’ -> two terms; “三会”、“五审”、“四制”; ‘六个不得’; “五好”/“四无”; “五无”.
    found = by_term(extract_glossary(seed[0]))
    for term in ("三公开", "五必晒", "六个不得", "五好", "四无", "五无", "三会", "五审", "四制", "三要"):
        assert found[term] == [()], term


def test_seed_full_term_set_has_no_junk(seed: tuple[str, list[GlossaryEntry]]) -> None:
    """Checked by hand against the article. Left out on purpose: “十四五” (a plan number),
    “四梁八柱” and “百花齐放” (idioms), “1+1+7+2” (not a Chinese numeral), and unquoted 一小步,
    一个个, 一体推进, 一目了然, 一是, 两个 … which have no expansion."""
    _, entries = seed
    assert {entry.term: len(entry.items) for entry in entries} == {
        "政治强廉、干部清廉、教师守廉、机制保廉、文化润廉": 5,  # followed by 5大类: kept as a cadence
        "便于记、可操作、能推广、可考核": 4,
        "不愿抓、不会抓、抓不准、抓不好": 4,
        "六个不得": 0,
        "五清": 5,
        "三公开": 0,
        "五必晒": 0,
        "三要": 0,
        "五好": 0,
        "四无": 0,
        "五无": 0,
        "月提示、季调度、半年督导、年终考评": 4,
        "三会": 0,
        "五审": 0,
        "四制": 0,
        "四风": 0,
        "三高四新": 0,
        "三强一化": 0,
    }
    assert len(entries) == 18, "one entry per term in the seed"


def test_seed_spans_and_order(seed: tuple[str, list[GlossaryEntry]]) -> None:
    text, entries = seed
    assert [e.start for e in entries] == sorted(e.start for e in entries)
    for entry in entries:
        span = text[entry.start : entry.end]
        assert span.startswith(entry.term)
        if not entry.items:
            assert span == entry.term
        position = 0
        for item in entry.items:  # every item is in the span, in order
            position = span.index(item, position) + len(item)
    wuqing = next(e for e in entries if e.term == "五清")
    assert text[wuqing.start : wuqing.end] == "五清’,班子清廉、村务清爽、思想清正、民风清醇、干群亲清"


def test_glossary_terms_for_jieba(seed: tuple[str, list[GlossaryEntry]]) -> None:
    _, entries = seed
    terms = glossary_terms(entries)
    assert {"五清", "三公开", "五必晒", "六个不得", "三高四新"} <= terms
    assert not any("、" in term for term in terms), "jieba cuts at 、: cadence phrases are left out"
    assert len(terms) == 18 - 4  # 18 entries, 4 of them cadences


# -- the count check -----------------------------------------------------------------------


def test_four_items_for_five_is_rejected() -> None:
    assert extract_glossary("五好：甲、乙、丙、丁。") == []


def test_six_items_for_five_is_rejected() -> None:
    assert extract_glossary("五好：甲、乙、丙、丁、戊、己。") == []


def test_three_items_for_three_is_accepted() -> None:
    assert only("三要是甲、乙、丙") == GlossaryEntry("三要", ("甲", "乙", "丙"), 0, 8)


def test_rejected_quoted_term_is_still_bare() -> None:
    assert extract_glossary("坚持“五好”：甲、乙、丙、丁。") == [GlossaryEntry("五好", (), 3, 5)]


def test_compound_term_counts_both_numerals() -> None:
    # 三重一大: 3 + 1 = 4 items.
    entry = only("推进“三重一大”：重大决策、重要人事任免、重大项目安排、大额资金使用。")
    assert entry.items == ("重大决策", "重要人事任免", "重大项目安排", "大额资金使用")


# -- separators and introducers ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "三要：听党话、跟党走、感党恩。",  # full-width colon, 、
        "三要:听党话,跟党走,感党恩。",  # ASCII colon, ASCII comma
        "三要即听党话，跟党走，感党恩。",  # 即, full-width comma
        "三要包括听党话；跟党走；感党恩。",  # 包括, full-width semicolon
        "三要包括：听党话;跟党走;感党恩",  # 包括：, ASCII semicolon, no final stop
        "三要是听党话、跟党走、感党恩。",  # 是
        "三要为听党话、跟党走、感党恩。",  # 为
        "三要，就是听党话、跟党走、感党恩。",  # ，就是
        "三要分别是听党话、跟党走和感党恩。",  # 分别是, last pair joined by 和
        "三要是指听党话、跟党走、感党恩等。",  # 是指, trailing 等 dropped
        "三要（听党话、跟党走、感党恩）",  # brackets
        "“三要”：听党话、跟党走、感党恩。",  # double quotes
        "‘三要’即“听党话”、“跟党走”、“感党恩”。",  # single quotes; items quoted one by one
        "「三要」：听党话、跟党走、感党恩。",  # corner brackets
        '"三要"：听党话、跟党走、感党恩。',  # ASCII quotes
        "“三要”，听党话、跟党走、感党恩。",  # quoted term, then the enumeration after a comma
    ],
)
def test_introducers_separators_and_quotes(text: str) -> None:
    entry = only(text)
    assert (entry.term, entry.items) == ("三要", ("听党话", "跟党走", "感党恩"))
    span = text[entry.start : entry.end]
    assert span.startswith("三要") and "感党恩" in span


def test_coarser_separator_ends_the_list() -> None:
    # The first separator (、) sets the level; the comma closes the list after 5 items.
    text = "核心标准是‘五清’,班子清廉、村务清爽、思想清正、民风清醇、干群亲清,村务清爽又规范"
    assert by_term(extract_glossary(text)) == {"五清": [WUQING]}


def test_liang_and_shi() -> None:
    assert only("做到“两个确保”：确保甲、确保乙。").items == ("确保甲", "确保乙")
    ten = ("不准甲", "不准乙", "不准丙", "不准丁", "不准戊", "不准己", "不准庚", "不准辛", "不准壬", "不准癸")
    entry = only("十不准：" + "、".join(ten) + "。")
    assert (entry.term, entry.items) == ("十不准", ten)
    twelve = tuple(f"第{n}项工作" for n in "甲乙丙丁戊己庚辛壬癸子丑")
    assert only("十二要：" + "，".join(twelve) + "。").items == twelve  # 十二 = 12


def test_sentence_continuing_after_a_comma_is_not_a_list() -> None:
    # After a plain 是/为 or a bare comma only a 、-list counts.
    assert extract_glossary("“三会”是基础，要坚持，不能放松。") == [GlossaryEntry("三会", (), 1, 3)]
    assert extract_glossary("以“三会”为抓手，推进甲，落实乙。") == [GlossaryEntry("三会", (), 2, 4)]


# -- spans ---------------------------------------------------------------------------------


def test_span_covers_term_and_items() -> None:
    text = "我们要求：五清即班子清廉、村务清爽、思想清正、民风清醇、干群亲清。其他内容。"
    entry = only(text)
    before, spanned = "我们要求：", "五清即班子清廉、村务清爽、思想清正、民风清醇、干群亲清"
    assert (entry.start, entry.end) == (len(before), len(before) + len(spanned))
    span = text[entry.start : entry.end]
    assert span.startswith("五清") and all(item in span for item in WUQING)


def test_bare_and_cadence_spans_are_exactly_the_term() -> None:
    text = "坚持“月提示、季调度、半年督导、年终考评”，召开“三会”。"
    entries = extract_glossary(text)
    assert [(e.term, e.items) for e in entries] == [("、".join(CADENCE), CADENCE), ("三会", ())]
    assert all(text[e.start : e.end] == e.term for e in entries)


# -- dedupe --------------------------------------------------------------------------------


def test_same_term_same_items_keeps_first_different_items_keeps_both() -> None:
    first = "“五清”是班子清廉、村务清爽、思想清正、民风清醇、干群亲清。"
    second = "“五清”即班子清廉、村务清爽、思想清正、民风清醇、干部亲清。"
    entries = extract_glossary(first + second + first)
    assert [(e.term, e.items, e.start) for e in entries] == [
        ("五清", WUQING, 1),
        ("五清", ("班子清廉", "村务清爽", "思想清正", "民风清醇", "干部亲清"), len(first) + 1),
    ]


def test_entry_with_items_supersedes_bare_mentions() -> None:
    text = "落实“三要”。三要：听党话、跟党走、感党恩。再提“三要”。"
    assert [(e.term, e.items) for e in extract_glossary(text)] == [("三要", ("听党话", "跟党走", "感党恩"))]


def test_quoted_expansion_is_not_repeated_as_a_cadence() -> None:
    entry = only("坚持“三要”：“听党话、跟党走、感党恩”。")
    assert (entry.term, entry.items) == ("三要", ("听党话", "跟党走", "感党恩"))


def test_repeated_quoted_expansion_gives_one_entry() -> None:
    once = "“五清”：“班子清廉、村务清爽、思想清正、民风清醇、干群亲清”。"
    assert [(e.term, e.items, e.start) for e in extract_glossary(once + once)] == [("五清", WUQING, 1)]


def test_quoted_run_of_numbered_terms_splits_into_terms() -> None:
    entries = extract_glossary("执行“三会、五审、四制”。")
    assert [(e.term, e.items) for e in entries] == [("三会", ()), ("五审", ()), ("四制", ())]


# -- what is not a term --------------------------------------------------------------------


def test_text_without_slogans() -> None:
    plain = "这是一篇没有口号的文章，一步一个脚印，两个人，十四五规划，一体推进，一目了然，三级联动。"
    assert extract_glossary(plain) == []
    assert extract_glossary("") == []


@pytest.mark.parametrize(
    "quoted",
    ["十四五", "一把手", "一站式", "百花齐放", "四梁八柱", "三日", "六个月", "二年内", "1+1+7+2", "急难愁盼"],
)
def test_quoted_words_that_are_not_terms(quoted: str) -> None:
    assert extract_glossary(f"奋斗“{quoted}”。") == []


def test_ordinals_and_unintroduced_lists_are_ignored() -> None:
    text = "一是坚持问题导向，二是坚持甲、乙。第三项是甲、乙、丙。三年来，甲、乙、丙都有进步。"
    assert extract_glossary(text) == []


def test_unparallel_quoted_run_is_not_a_cadence() -> None:
    # 、 inside a quoted clause is not a cadence: lengths 6, 2, 2, 4 are not parallel.
    assert extract_glossary("“武装掩护走私、贩卖、运输、制造毒品”") == []
    # Two phrases are too few for a cadence.
    assert extract_glossary("“稳就业、保民生”") == []


# -- speed ---------------------------------------------------------------------------------


def test_linear_on_a_large_text() -> None:
    text = SEED.read_text("utf-8") * 300  # about 1.1M characters
    started = time.perf_counter()
    entries = extract_glossary(text)
    assert time.perf_counter() - started < 5.0
    assert len(entries) == 18, "duplicates across repeats collapse to the first occurrence"
