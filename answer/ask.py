"""ask(question) -> Answer: glossary expansion, catalogue fields, best cited sentences, or "no answer"."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from answer.abstain import ASKS_FOR_CONTENT, ASKS_FOR_DEPARTMENT, NO_ANSWER, is_answerable
from answer.extract import best_sentences, score_sentences
from answer.types import Answer, AnswerKind, Evidence
from index.kb import KnowledgeBase
from index.types import CatalogueRecord, Citation, GlossaryRecord, Hit
from ingest.chunking import SENTENCE_END

log = logging.getLogger(__name__)


def ask(kb: KnowledgeBase, question: str) -> Answer:
    """Answer a question from the base, citing the sentences the answer comes from.

    Order of preference: a numbered slogan named in the question (its expansion), a
    catalogue unit/category/item named in it (its fields), else the best sentences of the
    top hybrid-search passages — unless they are not relevant enough, then kind `none`.
    """
    settings = kb.settings
    question = " ".join(question.split()) if isinstance(question, str) else ""
    if not question:
        raise ValueError("the question is empty")
    if len(question) > settings.max_question_chars:
        raise ValueError(f"the question is longer than {settings.max_question_chars} characters")
    passages = tuple(kb.search(question, k=settings.answer_passages))
    return (
        _glossary_answer(kb, question, passages)
        or _catalogue_answer(kb, question, passages)
        or _passage_answer(kb, question, passages)
    )


# -- glossary ----------------------------------------------------------------------------


def _glossary_answer(kb: KnowledgeBase, question: str, passages: tuple[Hit, ...]) -> Answer | None:
    terms = [t for t in kb.store.glossary_terms() if t in question]
    if not terms:
        return None
    term = max(terms, key=len)
    records = kb.glossary(term)
    spelled = [r for r in records if r.items]
    if spelled:
        expansions = list(dict.fromkeys(r.items for r in spelled))
        if len(expansions) == 1:
            text = f"“{term}”指：{'、'.join(expansions[0])}。"
        else:  # sources disagree: show each reading with its number
            readings = "；".join(f"（{i}）{'、'.join(items)}" for i, items in enumerate(expansions, 1))
            text = f"“{term}”在不同来源中的说法：{readings}。"
        return Answer(question, text, AnswerKind.glossary, _glossary_evidence(kb, spelled), passages)
    if ASKS_FOR_CONTENT.search(question):
        text = f"知识库中提到了“{term}”，但没有说明它具体包括哪些内容。"
        return Answer(question, text, AnswerKind.none, _glossary_evidence(kb, records), passages)
    return None


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
    if not records:
        return None
    # The most specific name the question mentions: an item, then a category, then a unit.
    for level in ("item", "category", "unit"):
        named = {getattr(r.item, level) for r in records if getattr(r.item, level)}
        mentioned = [name for name in named if name in question]
        if mentioned:
            name = max(mentioned, key=len)
            break
    else:
        return None
    if level == "item":
        matched = [r for r in records if r.item.item == name]
    elif level == "category":
        matched = [r for r in records if r.item.category == name]
    else:
        matched = [r for r in records if r.item.unit == name]
    if ASKS_FOR_DEPARTMENT.search(question):
        return _department_answer(kb, question, name, matched, passages)
    lines = _describe(level, name, matched)
    if not lines:
        return None
    evidence = tuple(_catalogue_evidence(r) for r in matched[:10])
    return Answer(question, "\n".join(lines), AnswerKind.catalogue, evidence, passages)


def _describe(level: str, name: str, matched: Sequence[CatalogueRecord]) -> list[str]:
    """Lines describing what the catalogue says about `name`; empty when it only names it."""
    lines = []
    for record in matched:
        fields = [
            (label, value)
            for label, value in (("标准内容", record.item.standard), ("问题描述", record.item.problem),
                                 ("牵头部门", record.item.department))
            if value
        ]
        if fields and (level == "item" or not record.item.item or level == "category"):
            lines.append(" > ".join(record.item.path) + "：" + "；".join(f"{k}：{v}" for k, v in fields))
    below = "category" if level == "unit" else "item"
    children = list(dict.fromkeys(getattr(r.item, below) for r in matched if getattr(r.item, below)))
    if level != "item" and children:
        kind = "大类" if below == "category" else "项目"
        lines.insert(0, f"{name}包括{len(children)}个{kind}：{'、'.join(children)}。")
    return lines


def _department_answer(
    kb: KnowledgeBase, question: str, name: str, matched: Sequence[CatalogueRecord], passages: tuple[Hit, ...]
) -> Answer:
    with_department = [r for r in matched if r.item.department]
    evidence = tuple(_catalogue_evidence(r) for r in (with_department or matched)[:10])
    if not with_department:
        text = f"目录中没有写明“{name}”的牵头部门。"
        return Answer(question, text, AnswerKind.none, evidence, passages)
    lines = [f"{' > '.join(r.item.path)}：牵头部门：{r.item.department}" for r in with_department]
    return Answer(question, "\n".join(lines), AnswerKind.catalogue, evidence, passages)


def _catalogue_evidence(record: CatalogueRecord) -> Evidence:
    citation = record.citation
    block = f"{' > '.join(record.item.path)}"
    return Evidence(citation, block, citation.start, citation.end)


# -- passages ----------------------------------------------------------------------------


def _passage_answer(kb: KnowledgeBase, question: str, passages: tuple[Hit, ...]) -> Answer:
    settings = kb.settings
    weight = settings.answer_overlap_weight
    chosen = best_sentences(score_sentences(question, passages, kb.embedder, kb.tokenizer), weight)
    if not chosen:
        return Answer(question, NO_ANSWER, AnswerKind.none, (), passages)
    best = max(chosen, key=lambda s: s.score(weight))
    signals = {"similarity": best.similarity, "coverage": best.coverage}
    if not is_answerable(best, settings.abstain_min_similarity, settings.abstain_min_coverage):
        return Answer(question, NO_ANSWER, AnswerKind.none, (), passages, **signals)
    evidence = tuple(Evidence(s.hit.citation, s.text, s.start, s.end) for s in chosen)
    return Answer(question, "".join(s.text for s in chosen), AnswerKind.passage, evidence, passages, **signals)
