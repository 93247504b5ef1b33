"""ask(question) -> Answer: glossary expansion, catalogue fields, best cited sentences, or "no answer"."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import replace

from answer.abstain import NO_ANSWER, is_answerable
from answer.extract import WHOLE_SECTION_CHARS, ScoredSentence, score_sentences, unit_span
from answer.qtypes import FACT_TYPES, STATED_COUNT, asked_types, asks_for, asks_for_content, asks_for_value, defines, holds
from answer.types import Answer, AnswerKind, Evidence
from index.kb import KnowledgeBase, name_forms
from index.types import CatalogueRecord, Citation, Filters, GlossaryRecord, Hit
from ingest.chunking import SENTENCE_END, bare_title, chinese_number
from ingest.parsers.catalogue import FIELD_LABELS, HEADER_ALIASES

log = logging.getLogger(__name__)


def ask(kb: KnowledgeBase, question: str, filters: Filters | None = None) -> Answer:
    """Answer a question from the base, citing the sentences the answer comes from.

    Order of preference: an article of a named law (「劳动合同法第四十二条」: that article, found
    by structure), a numbered slogan named in the question (its expansion), a catalogue
    unit/category/item named in it (its fields), else the best sentences of the top
    hybrid-search passages — unless they are not relevant enough, then kind `none`.
    `filters` restrict the passages and articles answers are read from (issuing body, dates,
    in force …).
    """
    settings = kb.settings
    question = " ".join(question.split()) if isinstance(question, str) else ""
    if not question:
        raise ValueError("the question is empty")
    if len(question) > settings.max_question_chars:
        raise ValueError(f"the question is longer than {settings.max_question_chars} characters")
    filters = _documents_numbered(kb, question, filters)
    vector = kb.embedder.encode_queries([question])[0]  # once, for the search and for scoring sentences
    passages = tuple(kb.search(question, k=settings.answer_passages, vector=vector, filters=filters))
    unknown = kb.unknown_names(question)
    if unknown:  # a city or a body the base never mentions: say which, quote nothing
        named = "”“".join(unknown)
        return Answer(question, f"知识库中没有关于“{named}”的内容。", AnswerKind.none, (), passages)
    for scope in (_about_named, _about_years):
        about = scope(kb, question, passages, vector, filters)
        if isinstance(about, Answer):
            return about
        passages = about
    answer = (
        _article_answer(kb, question, passages, filters)
        or _glossary_answer(kb, question, passages, vector, filters)
        or _catalogue_answer(kb, question, passages)
        or _passage_answer(kb, question, passages, vector, filters)
    )
    return replace(answer, citations=merge_evidence(kb, answer.citations))


def _about_named(kb: KnowledgeBase, question: str, passages: tuple[Hit, ...], vector,
                 filters: Filters | None) -> tuple[Hit, ...] | Answer:
    """The passages about the places and bodies the question names, or a refusal.

    A passage is about a name when its text, section path or document title mentions it; when
    some passages are, the others are dropped (「海珠区…」 is not answered from a 天河区 passage
    beside one that names 海珠区). When none is, the passages are about something else (the
    rows of the 天河区 guide): the search runs again, deeper, over the documents holding the
    names, and keeps the passages mentioning them; when none does, the answer says so by name.
    """
    names = kb.question_names(question)
    if not passages or not names:
        return passages
    about = tuple(h for h in passages if all(_mentions(h, n) for n in names))
    if about:
        return about
    names = [n for n in names if not any(_mentions(h, n) for h in passages)] or names
    holding: list[str] | None = list(filters.doc_ids) if filters and filters.doc_ids else None
    for name in names:
        holding = kb.documents_naming(name, holding)
    found: list[Hit] = []
    if holding:
        narrowed = replace(filters or Filters(), doc_ids=tuple(holding))
        depth = NAMED_DEPTH * kb.settings.answer_passages
        found = [h for h in kb.search(question, k=depth, vector=vector, filters=narrowed)
                 if all(_mentions(h, n) for n in names)]
    if found:
        return tuple(found[: kb.settings.answer_passages])
    named = "”“".join(names)
    return Answer(question, f"知识库中与这个问题相近的内容都不是关于“{named}”的。", AnswerKind.none, (), passages)


# A question's place the first passages do not mention is looked for this many times deeper.
NAMED_DEPTH = 4

# A year a question asks about (「2027年」「2026年度」), not an age or a span (「3年内」 has no 4 digits).
_YEAR = re.compile(r"(?<![0-9０-９])((?:19|20)[0-9]{2})\s*年(?![龄纪级])")


def question_years(question: str) -> list[str]:
    """The years the question names, in order: 「2027年天河区公办初中…」 -> ["2027"]."""
    return list(dict.fromkeys(_YEAR.findall(question)))


def year_forms(year: str) -> list[str]:
    """How a document writes a year: 2027年, 2027 年 (PDF text), 2027-05-07 and 2027.05 (dates)."""
    return [f"{year}年", f"{year} 年", f"{year}-", f"{year}."]


def _year_scope(kb: KnowledgeBase, question: str):
    """Whether a passage is about every year the question names (`_about_years`); always true
    for a question naming none."""
    years = question_years(question)
    issued = {year: set(kb.store.allowed_ids(Filters(issued_from=f"{year}-01-01", issued_to=f"{year}-12-31")).tolist())
              for year in years}

    def about(hit: Hit) -> bool:
        where = " ".join((hit.chunk.text, hit.citation.title, *hit.citation.section_path))
        return all(hit.chunk.id in issued[year] or any(form in where for form in year_forms(year)) for year in years)

    return about


def _about_years(kb: KnowledgeBase, question: str, passages: tuple[Hit, ...], vector,
                 filters: Filters | None) -> tuple[Hit, ...] | Answer:
    """The passages about the years the question names, or a refusal.

    A year is a constraint of the question as much as a place: 「2027年…新增多少个班」 is not
    answered by the 2026 figure. A passage is about a year when its text, section path or
    title writes it, or its document was issued that year (「5月7日至11日网上报名」 in a 2026
    notice). When none is, the answer says so by year: unlike a place, a year is not looked
    for deeper, where the passages of that year are about something else (「2026年度入户指标」
    is not answered by the 2026 school-place figures).
    """
    years = question_years(question)
    if not passages or not years:
        return passages
    about = _year_scope(kb, question)
    kept = tuple(h for h in passages if about(h))
    if kept:
        return kept
    named = "”“".join(f"{year}年" for year in years)
    if any(kb.store.documents_mentioning(year_forms(year), filters.doc_ids if filters and filters.doc_ids else None)
           for year in years):
        return Answer(question, f"知识库中与这个问题相近的内容都不是关于“{named}”的。", AnswerKind.none, (), passages)
    return Answer(question, f"知识库中没有关于“{named}”的内容。", AnswerKind.none, (), passages)


def _mentions(hit: Hit, name: str) -> bool:
    where = " ".join((hit.chunk.text, hit.citation.title, *hit.citation.section_path))
    return any(form in where for form in name_forms(name))


def merge_evidence(kb: KnowledgeBase, evidence: Sequence[Evidence]) -> tuple[Evidence, ...]:
    """One citation per passage: sentences cited from the same chunk become one span (a reader
    never sees the same label twice), in the order their first sentence was cited."""
    groups: dict[tuple[str, int, int], list[Evidence]] = {}
    for item in evidence:
        groups.setdefault((item.citation.doc_id, item.citation.start, item.citation.end), []).append(item)
    merged = []
    for (doc_id, _, _), items in groups.items():
        if len(items) == 1:
            merged.append(items[0])
            continue
        start, end = min(i.start for i in items), max(i.end for i in items)
        text = kb.store.document(doc_id).text
        merged.append(Evidence(items[0].citation, text[start:end], start, end))
    return tuple(merged)


def _documents_numbered(kb: KnowledgeBase, question: str, filters: Filters | None) -> Filters | None:
    """A question naming a stored document by its 文号 (in any bracket) is answered from that document."""
    if filters is not None and filters.doc_ids:
        return filters
    ids = tuple(kb.numbered_documents(question))
    return replace(filters or Filters(), doc_ids=ids) if ids else filters


# -- articles ----------------------------------------------------------------------------

# 「第四十二条」「第42条」 named in a question (not 第42条之一, a different article).
_NAMED_ARTICLE = re.compile(r"[第笫]\s*([0-9０-９]{1,4}|[一二三四五六七八九十百千零〇两]{1,8})\s*条(?!\s*之)")
_MAX_ARTICLES = 3


def _article_answer(
    kb: KnowledgeBase, question: str, passages: tuple[Hit, ...], filters: Filters | None
) -> Answer | None:
    """The text of each article the question names, of the law it names (kb.article), cited.

    When the question names a law of the base that has no such article, the answer says so
    instead of quoting a similar passage. None when the question names no article, or no
    document of the base by its title (then the search answers, where BM25 matches 第39条
    and 第三十九条 alike).
    """
    written: dict[int, str] = {}  # number -> the label as the question writes it (第五条 or 第5条)
    for match in _NAMED_ARTICLE.finditer(question):
        if (number := chinese_number(_ascii(match.group(1)))) and len(written) < _MAX_ARTICLES:
            written.setdefault(number, "".join(match.group(0).split()))
    numbers = list(written)
    if not numbers:
        return None
    evidence: list[Evidence] = []
    texts: list[str] = []
    missing: list[int] = []
    for number in numbers:
        hits = kb.article(question, number, filters)
        if not hits:
            missing.append(number)
            continue
        by_doc: dict[str, list[Hit]] = {}
        for hit in hits:
            by_doc.setdefault(hit.chunk.doc_id, []).append(hit)
        for position, (doc_id, group) in enumerate(by_doc.items()):
            text = kb.store.document(doc_id).text
            start, end = min(h.chunk.start for h in group), max(h.chunk.end for h in group)
            evidence.append(Evidence(group[0].citation, text[start:end].strip(), start, end))
            if position == 0:  # the same law stored twice (PDF and Word) is quoted once
                texts.append(text[start:end].strip())
    if not evidence:
        asked = "、".join(written[n] for n in missing)
        named = kb.named_documents(question)
        if named:
            return Answer(question, f"知识库中的《{named[0][1]}》没有{asked}。", AnswerKind.none, (), passages)
        bare, laws = bare_title(question), kb.law_names()
        held = max((name for name in laws if len(name) >= 2 and name in bare), key=len, default="")
        if held:  # a regulation inside a compilation
            return Answer(question, f"知识库中的《{held}》没有{asked}。", AnswerKind.none, (), passages)
        law = _named_law(kb, question)
        if not law:
            return None
        fuller = sorted((name for name in laws if law in name), key=len) or sorted(
            (name for name in laws if _short_form(kb, law, name)), key=lambda name: (-_in_order_share(law, name), len(name)))
        if fuller:  # a short form of a stored name (创业实施办法, 天河港澳青年创新创业实施办法): asked of that one
            match = _NAMED_ARTICLE.search(question)
            answer = _article_answer(kb, fuller[0] + question[match.start():], passages, filters)
            return replace(answer, question=question) if answer else None
        if any(_in_order_share(law, name) >= SHORT_FORM_SHARE for name in laws):
            return None  # maybe a short form of a stored name (天河港澳青年创新创业实施办法): search
        return Answer(question, f"知识库中没有《{law}》。", AnswerKind.none, (), passages)
    if missing:
        texts.append(f"（没有找到{'、'.join(written[n] for n in missing)}。）")
    return Answer(question, "\n".join(texts), AnswerKind.article, tuple(evidence), passages)


# The last word of a law's or regulation's name (立法法's kinds of names and the usual ones below them).
_LAW_WORD = re.compile(r"(?:法|条例|规定|办法|细则|规则|章程)$")
_QUOTED_NAME = re.compile(r"《([^《》]{2,40})》")


def _named_law(kb: KnowledgeBase, question: str) -> str:
    """The law a question asks an article of (「公司法第五条」, 「《劳动法》第四十四条」): the 《》 name
    before the article, else the nouns just before it when the last ends in a law's last word
    (「请问中华人民共和国公司法第五条」 -> 公司法). "" when it names none."""
    match = _NAMED_ARTICLE.search(question)
    before = question[: match.start()].rstrip("》的中里 ") if match else ""
    quoted = _QUOTED_NAME.findall(before)
    if quoted:
        return bare_title(quoted[-1])
    words = kb.tokenizer.tagged_words(before) if before else []
    if not words or not _LAW_WORD.search(words[-1][0]):
        return ""
    start = len(words) - 1
    while start > 0 and words[start - 1][1].startswith(_NAME_PARTS):
        start -= 1
    name = bare_title("".join(word for word, _ in words[start:]))
    return name if len(name) > len(_LAW_WORD.search(name).group(0)) else ""


# A law name whose characters occur in this share, in order, in a stored name may be a short form of it.
SHORT_FORM_SHARE = 0.75


def _in_order_share(short: str, name: str) -> float:
    """Share of `short`'s characters that occur in `name` in the same order (longest common subsequence)."""
    row = [0] * (len(name) + 1)
    for char in short:
        previous = 0
        for j, other in enumerate(name, 1):
            previous, row[j] = row[j], previous + 1 if char == other else max(row[j], row[j - 1])
    return row[-1] / len(short) if short else 0.0


def _short_form(kb: KnowledgeBase, short: str, name: str) -> bool:
    """`short` abbreviates the stored name `name`: most of its characters occur in it in order
    and each of its words is written in it (天河港澳青年创新创业实施办法 for 广州市天河区深化支持
    港澳青年创新创业高质量发展实施办法; not 劳动法 for 劳动合同法, a different law)."""
    if _in_order_share(short, name) < SHORT_FORM_SHARE:
        return False
    return all(word in name for word, _ in kb.tokenizer.tagged_words(short))


# Parts of speech that can make up a law's name: nouns of any kind, verbal nouns (管理, 劳动).
_NAME_PARTS = ("n", "vn")


def _ascii(text: str) -> str:
    return text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))


# -- glossary ----------------------------------------------------------------------------


def _glossary_answer(kb: KnowledgeBase, question: str, passages: tuple[Hit, ...], vector=None,
                     filters: Filters | None = None) -> Answer | None:
    """The expansion of the numbered terms the question names (「五清」 -> its five items). A term
    the glossary holds without items is answered from the passages when they explain it in
    prose (「“三支一扶”…到基层从事支教、支农、支医和帮扶乡村振兴等服务」); else the answer says the
    base mentions it without spelling it out, and cites where."""
    terms = [t for t in kb.store.glossary_terms() if t in question]
    if not terms:
        return None
    # Several terms in one question (「五清和五好分别指什么」) are each answered.
    distinct = sorted((t for t in terms if not any(t != other and t in other for other in terms)), key=question.find)
    if len(distinct) >= 2:  # each is answered, also when the base spells out none of them
        lines, evidence, any_spelled = [], [], False
        for name in distinct:
            records = kb.glossary(name)
            spelled = [r for r in records if r.items]
            any_spelled = any_spelled or bool(spelled)
            lines.append(_reading(name, spelled) if spelled else f"知识库中提到了“{name}”，但没有说明它具体包括哪些内容。")
            evidence.extend(_glossary_evidence(kb, spelled or records))
        kind = AnswerKind.glossary if any_spelled else AnswerKind.none
        return Answer(question, "\n".join(lines), kind, tuple(evidence), passages)
    term = max(terms, key=len)
    records = kb.glossary(term)
    spelled = [r for r in records if r.items]
    if spelled:
        return Answer(question, _reading(term, spelled), AnswerKind.glossary, _glossary_evidence(kb, spelled),
                      passages)
    if asks_for_content(question):
        if vector is not None:
            prose = _passage_answer(kb, question, passages, vector, filters)
            if prose.kind is AnswerKind.passage and defines(term, prose.text):
                return prose
        text = f"知识库中提到了“{term}”，但没有说明它具体包括哪些内容。"
        return Answer(question, text, AnswerKind.none, _glossary_evidence(kb, records), passages)
    return None


def _reading(term: str, spelled: Sequence[GlossaryRecord]) -> str:
    """「“五清”指：班子清廉、…。」, or each source's reading when the sources disagree."""
    expansions = list(dict.fromkeys(r.items for r in spelled))
    if len(expansions) == 1:
        return f"“{term}”指：{'、'.join(expansions[0])}。"
    readings = "；".join(f"（{i}）{'、'.join(items)}" for i, items in enumerate(expansions, 1))
    return f"“{term}”在不同来源中的说法：{readings}。"


def _glossary_evidence(kb: KnowledgeBase, records: Sequence[GlossaryRecord]) -> tuple[Evidence, ...]:
    return tuple(_sentence_evidence(kb, r.citation) for r in records)


def _sentence_evidence(kb: KnowledgeBase, citation: Citation) -> Evidence:
    """Widen a span to the sentence(s) around it in the document text."""
    text = kb.store.document(citation.doc_id).text
    start, end = sentence_bounds(text, citation.start, citation.end)
    return Evidence(citation, text[start:end], start, end)


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The smallest run of whole sentences (or lines) of `text` covering text[start:end]."""
    left = start
    while left > 0 and text[left - 1] != "\n" and not SENTENCE_END.match(text, left - 1):
        left -= 1
    match = SENTENCE_END.search(text, max(end - 1, start))
    line_end = text.find("\n", end)
    right = min(match.end() if match else len(text), line_end if line_end >= 0 else len(text))
    right = max(right, end)
    while left < right and text[left].isspace():
        left += 1
    return left, right


# -- catalogue ---------------------------------------------------------------------------


def _catalogue_answer(kb: KnowledgeBase, question: str, passages: tuple[Hit, ...]) -> Answer | None:
    records = kb.catalogue()
    if not records or asks_for_value(question):
        return None  # totals come from the documents, not from a catalogue that may be partial
    # The most specific name the question mentions: an item, then a category, then a unit.
    for level in ("item", "category", "unit"):
        named = {getattr(r.item, level) for r in records if getattr(r.item, level)}
        mentioned = [name for name in named if _names_entry(name, named, question)]
        if mentioned:
            name = max(mentioned, key=len)
            break
    else:
        return None
    matched = [r for r in records if getattr(r.item, level) == name]
    evidence = tuple(_catalogue_evidence(r) for r in matched[:10])
    words = set(kb.tokenizer.tokenize(question))
    # a unit holds many rows: one field of the few that fill it would hide the rest, so a
    # unit is described whole unless the question asks who leads it
    for field in _DESCRIBED if level != "unit" else ("department",):
        if _names_field(field, question, words):
            return _field_answer(question, name, field, matched, evidence, passages)
    if level != "item" and _names_field("item", question, words):
        items = list(dict.fromkeys(r.item.item for r in matched if r.item.item))
        if not items:
            return Answer(question, f"目录中没有列出“{name}”下的具体项目。", AnswerKind.none, evidence, passages)
    lines, listed = _describe(level, name, matched)
    if not lines:
        return None
    stated = STATED_COUNT.search(question)
    if stated and listed and _numeral(stated.group(1)) not in (None, len(listed)):
        text = f"目录中“{name}”下只列出了{len(listed)}项（{'、'.join(listed)}），没有完整列出问题中的{stated.group(0)}。"
        return Answer(question, text, AnswerKind.none, evidence, passages)
    return Answer(question, "\n".join(lines), AnswerKind.catalogue, evidence, passages)


def _names_entry(name: str, names: set[str], question: str) -> bool:
    """The question names a catalogue entry: it writes it, or writes both the part its name
    shares with the other entries of its level and the part that sets it apart, in any order
    (「医院的清廉建设」 for 清廉医院 among 清廉机关, 清廉学校 …)."""
    if name in question:
        return True
    shared = os.path.commonprefix(sorted(names)) if len(names) >= 2 else ""
    own = name[len(shared):]
    return len(shared) >= 2 and len(own) >= 2 and shared in question and own in question


_DESCRIBED = ("department", "standard", "problem")  # the fields of a catalogue item, as asked for


def _names_field(field: str, question: str, words: set[str]) -> bool:
    """The question asks for one field of catalogue rows: it writes one of the column names
    the catalogue format knows for it (`HEADER_ALIASES`: 牵头部门, 标准, 问题描述, 项目 …) as a
    word (「标准化」 is not 「标准」), or, for the department, asks 「哪个部门」「由谁负责」."""
    aliases = [a for a in HEADER_ALIASES[field] if len(a) >= 2 and not a.isascii()]
    if any(a in words or (len(a) >= 4 and a in question) for a in aliases):
        return True
    return field == "department" and asks_for("department", question)


def _numeral(text: str) -> int | None:
    """The value of an Arabic or simple Chinese numeral (up to 99)."""
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if text.isdigit():
        return int(text)
    digits = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
    if "十" in text:
        tens, _, ones = text.partition("十")
        return digits.get(tens, 1 if not tens else 0) * 10 + digits.get(ones, 0)
    return digits.get(text)


def _describe(level: str, name: str, matched: Sequence[CatalogueRecord]) -> tuple[list[str], list[str]]:
    """Lines describing what the catalogue says about `name` (empty when it only names it),
    and the names listed below it."""
    lines = []
    for record in matched:
        fields = [
            (FIELD_LABELS[field], getattr(record.item, field))
            for field in ("standard", "problem", "department")  # the order of a catalogue row
            if getattr(record.item, field)
        ]
        if fields:
            lines.append(" > ".join(record.item.path) + "：" + "；".join(f"{k}：{v}" for k, v in fields))
    below = "category" if level == "unit" else "item"
    children = list(dict.fromkeys(getattr(r.item, below) for r in matched if getattr(r.item, below)))
    if level != "item" and children:
        # Only what the catalogue lists: no count and no 大类/项目 the source may not use for them
        # (a category listing one item can stand for many problem descriptions).
        lines.insert(0, f"目录中“{name}”下列有：{'、'.join(children)}。")
    return lines, children


def _field_answer(
    question: str,
    name: str,
    field: str,
    matched: Sequence[CatalogueRecord],
    evidence: tuple[Evidence, ...],
    passages: tuple[Hit, ...],
) -> Answer:
    """The one field the question asks for, or "not stated" when the catalogue leaves it empty."""
    label = FIELD_LABELS[field]
    filled = [r for r in matched if getattr(r.item, field)]
    if not filled:
        return Answer(question, f"目录中没有写明“{name}”的{label}。", AnswerKind.none, evidence, passages)
    lines = [f"{' > '.join(r.item.path)}：{label}：{getattr(r.item, field)}" for r in filled]
    return Answer(question, "\n".join(lines), AnswerKind.catalogue,
                  tuple(_catalogue_evidence(r) for r in filled[:10]), passages)


def _catalogue_evidence(record: CatalogueRecord) -> Evidence:
    citation = record.citation
    block = f"{' > '.join(record.item.path)}"
    return Evidence(citation, block, citation.start, citation.end)


# -- passages ----------------------------------------------------------------------------


def _passage_answer(kb: KnowledgeBase, question: str, passages: tuple[Hit, ...], vector,
                    filters: Filters | None = None) -> Answer:
    """The best answer unit of the passages (`_answer_from`). When they talk around a value the
    question asks for (a date, an amount …) without stating it, or it asks what a term means
    and none defines it, the passages of the document they are about that do are looked for
    deeper first (「申请时间是什么时候」 is answered by 「五、申请时间」, 「“申诉”是什么意思」 by
    「本规定所称的申诉，是指…」, even when the search ranked the document's other sections above)."""
    answer = _answer_from(kb, question, passages, vector)
    if not answer.citations:
        return answer
    doc_id = answer.citations[0].citation.doc_id
    strict = [t for t in asked_types(question) if t.strict]
    if strict and answer.kind is AnswerKind.none:
        extra = _stating_passages(kb, question, doc_id, passages, vector, filters, strict)
        again = _answer_from(kb, question, passages + extra, vector) if extra else answer
        return again if again.kind is AnswerKind.passage else answer
    if answer.kind is AnswerKind.passage and asks_for("definition", question) and not _held(question, answer, DEFINITION):
        words = [w for w in dict.fromkeys(kb.tokenizer.tokenize(question)) if len(w) >= 2]
        defining = [h for h in _stating_passages(kb, question, doc_id, passages, vector, filters, DEFINITION)
                    if any(defines(w, h.chunk.text) for w in words)]
        again = _answer_from(kb, question, tuple(defining), vector) if defining else answer
        return again if _held(question, again, DEFINITION) else answer
    return answer


DEFINITION = tuple(t for t in FACT_TYPES if t.name == "definition")


def _held(question: str, answer: Answer, types: Sequence) -> int:
    """How many of the kinds of fact `types` a passage answer states (0 for a refusal)."""
    if answer.kind is not AnswerKind.passage:
        return 0
    return sum(any(holds(t, question, e.sentence) for e in answer.citations) for t in types)


def _stating_passages(kb: KnowledgeBase, question: str, doc_id: str, passages: tuple[Hit, ...], vector,
                      filters: Filters | None, strict: Sequence) -> tuple[Hit, ...]:
    """Passages of document `doc_id` (the one the best passage talks about), found NAMED_DEPTH
    times deeper, that state a value of each strict kind the question asks for and are about
    the years the question names."""
    narrowed = replace(filters or Filters(), doc_ids=(doc_id,))
    seen = {h.chunk.id for h in passages}
    about = _year_scope(kb, question)
    found = [h for h in kb.search(question, k=NAMED_DEPTH * kb.settings.answer_passages, vector=vector,
                                  filters=narrowed)
             if h.chunk.id not in seen and about(h) and all(holds(t, question, h.chunk.text) for t in strict)]
    return tuple(found[: kb.settings.answer_passages])


def _answer_from(kb: KnowledgeBase, question: str, passages: tuple[Hit, ...], vector) -> Answer:
    """The answer unit (answer.extract.unit_span) around the best sentence of the passages, plus
    the unit of the best sentence stating each kind of value the question asks for that the
    first does not; 「…但没有写明…」 when none of the passages states such a value."""
    settings = kb.settings
    weight = settings.answer_overlap_weight
    limit = settings.answer_encoded_sentences or None
    chars = settings.answer_encoded_chars or None
    ranked = sorted(score_sentences(question, passages, kb.embedder, kb.tokenizer, vector, weight, limit, chars),
                    key=lambda s: -s.score(weight))
    if not ranked:
        return Answer(question, NO_ANSWER, AnswerKind.none, (), passages)
    top = ranked[0]
    if asks_for("list", question) and is_answerable(top, settings.abstain_min_similarity, settings.abstain_min_coverage) \
            and (outline := _outline(kb, top)):
        return Answer(question, "\n".join(e.sentence for e in outline), AnswerKind.passage, outline, passages,
                      similarity=top.similarity, coverage=top.coverage)
    best = _primary(kb, ranked, weight)
    signals = {"similarity": best.similarity, "coverage": best.coverage}
    if not is_answerable(best, settings.abstain_min_similarity, settings.abstain_min_coverage):
        return Answer(question, NO_ANSWER, AnswerKind.none, (), passages, **signals)
    evidence = [_unit(kb, best, ranked, weight)]
    # a value is looked for near the best sentence of the text, not near a title line that won
    reference = next((s for s in ranked if not _is_title(kb, s)), best).score(weight)
    missing = []
    for fact in asked_types(question):
        if not fact.strict or any(holds(fact, question, e.sentence) for e in evidence):
            continue
        stating = next((s for s in ranked if holds(fact, question, s.text)
                        and s.score(weight) >= reference - TYPE_MARGIN), None)
        if stating is None:
            missing.append(fact)
        elif not any(e.citation.doc_id == stating.hit.chunk.doc_id and e.start <= stating.start < e.end
                     for e in evidence):
            evidence.append(_unit(kb, stating, ranked, weight))
    strict = [t for t in asked_types(question) if t.strict]
    if strict and len(missing) == len(strict):  # the passages talk around the value but never state it
        topic = _mentioned_terms(kb, question, evidence[0].sentence)
        what = "、".join(dict.fromkeys(t.missing for t in missing))
        text = f"知识库提到了{topic}，但没有写明{what}。" if topic else f"知识库中没有写明{what}。"
        return Answer(question, text, AnswerKind.none, tuple(evidence), passages, **signals)
    text = "\n".join(e.sentence for e in evidence)
    if missing:
        text += f"\n（来源没有写明{'、'.join(dict.fromkeys(t.missing for t in missing))}。）"
    return Answer(question, text, AnswerKind.passage, tuple(evidence), passages, **signals)


# A register row (a derived summary of other documents) answers only when no primary document
# says about as much: its best sentence must beat theirs by more than this.
REGISTER_MARGIN = 0.2
# A sentence stating the value a question asks for is added to the answer when it scores
# within this of the best sentence that is no title line.
TYPE_MARGIN = 0.15


# A section with this many subsections or more answers a list question by their headings.
MIN_OUTLINE = 2
MAX_OUTLINE = 20


def _outline(kb: KnowledgeBase, best: ScoredSentence) -> tuple[Evidence, ...]:
    """The headings of the subsections of the title or heading `best` won on, each cited: a
    list question (「创业补贴有哪几类」) matched by a page's title is answered by what the page is
    divided into (1、一次性创业资助 2、优秀创业项目资助 …). Empty when `best` is neither, or its
    section has fewer than MIN_OUTLINE subsections."""
    chunk = best.hit.chunk
    section = kb.store.section_span(chunk.doc_id, best.hit.citation.section, chunk.start)
    path = best.hit.citation.section_path
    if _is_title(kb, best):  # the title's own level: the chunk may sit under a heading grouped with it
        title = _compact(best.hit.citation.title)
        depth = next((i + 1 for i, entry in enumerate(path) if _compact(entry) == title), 0)
        path = path[:depth]
    elif not _is_heading(best, section[0]):
        return ()
    children = kb.store.subsections(chunk.doc_id, path)
    if not MIN_OUTLINE <= len(children) <= MAX_OUTLINE:
        return ()
    text = kb.store.document(chunk.doc_id).text
    evidence = []
    for child, citation in kb.store.chunks(children).values():
        # the heading line may sit inside the chunk or close the one before (the chunker groups short units)
        entry = child.section_path[len(path)]
        start = text.find(entry, child.start, child.end)
        start = text.rfind(entry, 0, child.start + len(entry)) if start < 0 else start
        start = child.start if start < 0 else start
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        evidence.append(Evidence(citation, text[start:end].strip(), start, end))
    return tuple(sorted(evidence, key=lambda e: e.start))


def _primary(kb: KnowledgeBase, ranked: Sequence[ScoredSentence], weight: float) -> ScoredSentence:
    """The best sentence to build the answer on: never a document's title line (it names the
    topic, not an answer) while another sentence is left; a register row only when no primary
    document's sentence comes within REGISTER_MARGIN of it."""
    candidates = [s for s in ranked if not _is_title(kb, s) or _in_short_section(kb, s)] or list(ranked)
    best = candidates[0]
    if best.hit.citation.kind != "register":
        return best
    floor = best.score(weight) - REGISTER_MARGIN
    return next((s for s in candidates if s.hit.citation.kind != "register" and s.score(weight) >= floor), best)


def _compact(text: str) -> str:
    return "".join(text.split()).rstrip("？?。：:")


def _is_title(kb: KnowledgeBase, sentence: ScoredSentence) -> bool:
    """The sentence is the document's title line or a sentence of it (「无需个人垫付！」/「广州异地
    就医备案，上“穗好办”快速办理！」)."""
    line, title = _compact(sentence.text), _compact(sentence.hit.citation.title)
    return bool(line) and (line == title or (len(line) >= MIN_TITLE_PART and line in title))


MIN_TITLE_PART = 6  # a shorter sentence inside the title may as well be body text


def _in_short_section(kb: KnowledgeBase, sentence: ScoredSentence) -> bool:
    """The sentence's whole section is short enough to be the answer (unit_span)."""
    start, end = kb.store.section_span(sentence.hit.chunk.doc_id, sentence.hit.citation.section,
                                       sentence.hit.chunk.start)
    return end - start <= WHOLE_SECTION_CHARS


def _is_heading(sentence: ScoredSentence, section_start: int) -> bool:
    """The sentence is the line opening its section, and that section is named after it."""
    path = sentence.hit.citation.section_path
    if not path or sentence.start != section_start:
        return False
    line, entry = _compact(sentence.text), _compact(path[-1])
    return bool(entry) and (line == entry or (len(entry) >= 8 and line.startswith(entry)))


def _mentioned_terms(kb: KnowledgeBase, question: str, text: str, limit: int = 3) -> str:
    """「“积分制入户”“指标”」: the longest content words of the question the passage mentions."""
    words = [w for w in dict.fromkeys(kb.tokenizer.tokenize(question)) if len(w) >= 2 and w in text]
    words = [w for w in words if not any(w != other and w in other for other in words)]  # 天河区, not 天河/河区
    words = sorted(sorted(words, key=len, reverse=True)[:limit], key=question.find)
    return "".join(f"“{w}”" for w in words)


def _unit(kb: KnowledgeBase, sentence: ScoredSentence, ranked: Sequence[ScoredSentence], weight: float) -> Evidence:
    """The chosen sentence as an answer unit (answer.extract.unit_span): its whole article or
    section when that is short, else the sentence with the list items it introduces and the
    sentences of its passage that score nearly as well."""
    chunk = sentence.hit.chunk
    text = kb.store.document(chunk.doc_id).text
    section = kb.store.section_span(chunk.doc_id, sentence.hit.citation.section, chunk.start)
    neighbours = [(s.start, s.end) for s in ranked
                  if s.hit.chunk.id == chunk.id and s.score(weight) >= 0.9 * sentence.score(weight)]
    start, end = unit_span(text, (sentence.start, sentence.end), section, neighbours,
                           heading=_is_heading(sentence, section[0]))
    end = _past_heading(kb, chunk.doc_id, text, start, end)
    return Evidence(sentence.hit.citation, text[start:end], start, end)


def _past_heading(kb: KnowledgeBase, doc_id: str, text: str, start: int, end: int) -> int:
    """Where a unit ends whose last line is the heading of the next section: at the end of that
    heading's own answer (the paragraph and list below it), never on a bare heading. A notice's
    「现就有关事项通告如下：」 is answered with 「一、参保范围」 and the people it lists."""
    line = text.rfind("\n", start, max(start, end - 1)) + 1
    if line <= start:
        return end
    below = kb.store.chunk_around(doc_id, line, end)
    if below is None or below.start != line or not below.section_path:
        return end
    if _compact(text[line:end]) != _compact(below.section_path[-1]):
        return end
    section = kb.store.section_span(doc_id, " > ".join(below.section_path), below.start)
    return max(end, unit_span(text, (line, end), section, heading=True)[1])
