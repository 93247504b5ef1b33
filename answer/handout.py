"""Study handouts from a trainer's selection: passages, glossary terms, catalogue items, self-test.

No language model is involved. Every question is read off stored data — a glossary term's
items or a catalogue row's place and fields — so its answer is exactly what the source says,
and each question names the source it comes from. Blanks are chosen by a checksum of the
term, so the same selection always yields the same handout.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from index.kb import KnowledgeBase
from index.types import CatalogueRecord, GlossaryRecord

__all__ = ["BLANK", "Handout", "HandoutItem", "Question", "build_handout", "to_docx", "to_markdown"]

DEFAULT_TITLE = "学习材料"
MAX_SELECTED = 200  # passages + terms + catalogue items in one handout
BLANK = "____"
CATALOGUE_FIELDS = (("standard", "标准内容"), ("problem", "问题描述"), ("department", "牵头部门"))
ItemKind = Literal["passage", "glossary", "catalogue"]

# Characters XML 1.0 forbids; python-docx refuses them and PDF extraction can leave them behind.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class HandoutItem:
    """One block of study material and where it comes from (`Citation.label()`)."""

    kind: ItemKind
    title: str
    body: str
    citation_label: str


@dataclass(frozen=True)
class Question:
    """A self-test question whose answer is stated verbatim by the source it names."""

    prompt: str
    answer: str
    source_label: str


@dataclass(frozen=True)
class Handout:
    title: str
    items: tuple[HandoutItem, ...]
    questions: tuple[Question, ...]


# -- building ------------------------------------------------------------------------------


def build_handout(
    kb: KnowledgeBase,
    title: str,
    passage_ids: Sequence[int] = (),
    terms: Sequence[str] = (),
    catalogue_ids: Sequence[int] = (),
) -> Handout:
    """Collect the selected passages (chunk ids), glossary terms and catalogue rows (chunk ids).

    Items keep the order given, passages first, then terms, then catalogue rows; repeats are
    dropped. Raises ValueError when nothing is selected or when ids or terms are unknown
    (all unknown ones are named in the message).
    """
    title = " ".join((title or "").split()) or DEFAULT_TITLE
    passage_ids = list(dict.fromkeys(int(i) for i in passage_ids))
    terms = list(dict.fromkeys(t.strip() for t in terms if t and t.strip()))
    catalogue_ids = list(dict.fromkeys(int(i) for i in catalogue_ids))
    selected = len(passage_ids) + len(terms) + len(catalogue_ids)
    if not selected:
        raise ValueError("nothing is selected: choose at least one passage, glossary term or catalogue item")
    if selected > MAX_SELECTED:
        raise ValueError(f"a handout holds at most {MAX_SELECTED} selections, got {selected}")

    found = kb.store.chunks(passage_ids)
    glossary = {term: kb.glossary(term) for term in terms}
    catalogue = kb.catalogue()
    by_chunk = {record.chunk_id: record for record in catalogue}
    unknown = []
    if missing := [i for i in passage_ids if i not in found]:
        unknown.append(f"passage ids {_names(missing)}")
    if missing := [t for t in terms if not glossary[t]]:
        unknown.append(f"glossary terms {_names(missing)}")
    if missing := [i for i in catalogue_ids if i not in by_chunk]:
        unknown.append(f"catalogue ids {_names(missing)}")
    if unknown:
        raise ValueError("unknown " + "; ".join(unknown))

    items: list[HandoutItem] = []
    questions: list[Question] = []
    all_glossary = kb.glossary() if passage_ids else []
    for chunk_id in passage_ids:
        chunk, citation = found[chunk_id]
        heading = citation.section_path[-1] if citation.section_path else citation.title
        items.append(HandoutItem("passage", f"原文摘录：{heading}", chunk.text.strip(), citation.label()))
        # Slogans spelled out inside the passage make good questions about it.
        inside = [r for r in all_glossary if r.items and r.citation.doc_id == chunk.doc_id
                  and chunk.start <= r.citation.start and r.citation.end <= chunk.end]
        questions.extend(q for r in inside for q in glossary_questions(r))
    for term in terms:
        for record in glossary[term]:
            items.append(_glossary_item(record))
            questions.extend(glossary_questions(record))
    for chunk_id in catalogue_ids:
        record = by_chunk[chunk_id]
        items.append(_catalogue_item(record, catalogue))
        questions.extend(catalogue_questions(record, catalogue))
    first_of_each = {}
    for question in questions:  # a term both selected and spelled out in a passage is asked once
        first_of_each.setdefault(question.prompt, question)
    return Handout(title, tuple(items), tuple(first_of_each.values()))


def _names(values: Iterable[object]) -> str:
    return ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values)


def _is_cadence(term: str) -> bool:
    """A cadence's term is its run of phrases as written (月提示、季调度、…), not a name."""
    return "、" in term


def _glossary_item(record: GlossaryRecord) -> HandoutItem:
    term, items = record.term, record.items
    if _is_cadence(term):
        title = f"提法：{term}"
        body = f"原文提法“{term}”，共{len(items)}项。" if items else f"原文提法“{term}”。"
    else:
        title = f"术语：{term}"
        if items:
            body = f"“{term}”指：{'、'.join(items)}（共{len(items)}项）。"
        else:
            body = f"原文提到“{term}”，但没有列出它具体包括哪些内容。"
    return HandoutItem("glossary", title, body, record.citation.label())


def _catalogue_item(record: CatalogueRecord, catalogue: Sequence[CatalogueRecord]) -> HandoutItem:
    item = record.item
    lines = [f"{label}：{getattr(item, field)}" for field, label in CATALOGUE_FIELDS if getattr(item, field)]
    children, kind = _children(record, catalogue)
    if children:
        lines.append(f"下列{kind}：{'、'.join(children)}")
    lines.extend(f"{key}：{value}" for key, value in item.extra if value)
    if not lines:
        lines.append("目录只列出了名称，没有写明标准内容、问题描述或牵头部门。")
    return HandoutItem("catalogue", f"标准目录：{' > '.join(item.path)}", "\n".join(lines), record.citation.label())


def _children(record: CatalogueRecord, catalogue: Sequence[CatalogueRecord]) -> tuple[list[str], str]:
    """Names the catalogue lists one level below a unit or category row, with their level's name."""
    item = record.item
    if item.item:
        return [], ""
    if item.category:
        names = [r.item.item for r in catalogue if r.item.unit == item.unit and r.item.category == item.category]
        return list(dict.fromkeys(n for n in names if n)), "项目"
    names = [r.item.category for r in catalogue if r.item.unit == item.unit]
    return list(dict.fromkeys(n for n in names if n)), "大类"


# -- questions -----------------------------------------------------------------------------


def blanked_positions(term: str, count: int) -> list[int]:
    """Which items of a term to blank: one for up to four items, two from five on.

    Positions come from a CRC-32 of the term, so they are stable across runs and machines
    but differ from term to term.
    """
    if count < 2:
        return []
    seed = zlib.crc32(term.encode("utf-8"))
    first = seed % count
    if count < 5:
        return [first]
    second = (first + 1 + (seed >> 8) % (count - 1)) % count  # never equal to first
    return sorted({first, second})


def glossary_questions(record: GlossaryRecord) -> list[Question]:
    """Fill-in-the-blank over a term's items, and "how many" for a named term; none without items."""
    term, items = record.term, record.items
    if len(items) < 2:
        return []
    label = record.citation.label()
    blanks = blanked_positions(term, len(items))
    shown = "、".join(BLANK if i in blanks else value for i, value in enumerate(items))
    answer = "、".join(items[i] for i in blanks)
    if _is_cadence(term):
        questions = [Question(f"补全原文提法：“{shown}”。", answer, label)]
    else:
        questions = [Question(f"“{term}”指：{shown}。", answer, label),
                     Question(f"“{term}”共包括几项？", f"{len(items)}项：{'、'.join(items)}", label)]
    return questions


def catalogue_questions(record: CatalogueRecord, catalogue: Sequence[CatalogueRecord]) -> list[Question]:
    """Where a row sits in the catalogue, what it lists below it, and its filled-in fields."""
    item, label = record.item, record.citation.label()
    questions = []
    unit_level = "清廉单元" if item.unit.startswith("清廉") else "一级单元"
    if item.item:
        parents = [" > ".join(r.item.path[:-1]) for r in catalogue if r.item.item == item.item and r.item.category]
        answer = "；".join(dict.fromkeys(parents))
        questions.append(Question(f"“{item.item}”属于哪个{unit_level}的哪一大类？", answer, label))
    elif item.category:
        units = "；".join(dict.fromkeys(r.item.unit for r in catalogue if r.item.category == item.category))
        questions.append(Question(f"“{item.category}”属于哪个{unit_level}？", units, label))
    children, kind = _children(record, catalogue)
    if len(children) >= 2:
        name = item.category or item.unit
        questions.append(Question(f"标准目录中“{name}”下列出了哪些{kind}？",
                                  f"{'、'.join(children)}（共{len(children)}个）", label))
    name = item.path[-1]
    for field, field_label in CATALOGUE_FIELDS:
        value = getattr(item, field)
        if value:
            questions.append(Question(f"标准目录中“{name}”的{field_label}是什么？", value, label))
    return questions


# -- output --------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<])")
_MD_BLOCK_MARK = re.compile(r"^(\s*)([#>+\-])", re.MULTILINE)  # heading, quote, bullet
_MD_ORDERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)  # "1." starts a numbered list


def _md(text: str) -> str:
    """Escape Markdown syntax so source text shows as written."""
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_ORDERED.sub(r"\1\\\2", _MD_BLOCK_MARK.sub(r"\1\\\2", text))


def to_markdown(handout: Handout) -> str:
    """The handout as Markdown: material with sources, then questions, then the answer key."""
    lines = [f"# {_md(handout.title)}", "", f"共 {len(handout.items)} 条学习材料，{len(handout.questions)} 道自测题。", "",
             "## 学习材料", ""]
    for number, item in enumerate(handout.items, 1):
        lines += [f"### {number}. {_md(item.title)}", ""]
        for paragraph in _paragraphs(item.body):
            lines += [_md(paragraph), ""]
        lines += [f"*出处：{_md(item.citation_label)}*", ""]
    if handout.questions:
        lines += ["## 自测题", ""]
        lines += [f"{n}. {_md(q.prompt)}" for n, q in enumerate(handout.questions, 1)]
        lines += ["", "## 参考答案", ""]
        lines += [f"{n}. {_md(q.answer)}（出处：{_md(q.source_label)}）" for n, q in enumerate(handout.questions, 1)]
        lines.append("")
    return "\n".join(lines)


def _without_illegal_xml(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in _without_illegal_xml(text).splitlines() if p.strip()]


def to_docx(handout: Handout) -> bytes:
    """The handout as a Word document (same sections as `to_markdown`)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    clean = _without_illegal_xml
    document = Document()
    document.core_properties.title = clean(handout.title)
    document.core_properties.subject = "学习材料与自测题"
    _set_cjk_fonts(document)

    heading = document.add_heading(clean(handout.title), level=0)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    summary = document.add_paragraph(f"共 {len(handout.items)} 条学习材料，{len(handout.questions)} 道自测题。")
    summary.alignment = WD_ALIGN_PARAGRAPH.CENTER

    document.add_heading("学习材料", level=1)
    for number, item in enumerate(handout.items, 1):
        document.add_heading(f"{number}. {clean(item.title)}", level=2)
        for paragraph in _paragraphs(item.body):
            document.add_paragraph(paragraph)
        source = document.add_paragraph().add_run(f"出处：{clean(item.citation_label)}")
        source.italic = True
        source.font.size = Pt(9)
        source.font.color.rgb = RGBColor(0x55, 0x5F, 0x6D)

    if handout.questions:
        document.add_heading("自测题", level=1)
        for number, question in enumerate(handout.questions, 1):
            document.add_paragraph(f"{number}. {clean(question.prompt)}")
        document.add_page_break()
        document.add_heading("参考答案", level=1)
        for number, question in enumerate(handout.questions, 1):
            paragraph = document.add_paragraph(f"{number}. {clean(question.answer)}")
            source = paragraph.add_run(f"（出处：{clean(question.source_label)}）")
            source.font.size = Pt(9)
            source.font.color.rgb = RGBColor(0x55, 0x5F, 0x6D)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _set_cjk_fonts(document) -> None:
    """Give the body and headings East Asian fonts; python-docx's template names Latin fonts only."""
    from docx.oxml.ns import qn

    for name, font in (("Normal", "宋体"), ("Title", "黑体"), ("Heading 1", "黑体"), ("Heading 2", "黑体")):
        style = document.styles[name]
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), font)
