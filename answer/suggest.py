"""Questions to offer in an empty chat: built from what the base actually holds."""

from __future__ import annotations

from index.kb import KnowledgeBase

MAX_TERM_CHARS = 6  # cadence phrases like 月提示、季调度… make awkward questions


def suggested_questions(kb: KnowledgeBase, limit: int = 6) -> list[str]:
    """Glossary terms that have items, then catalogue units and categories that have children."""
    # one pass over the glossary (ordered by term), not one query per term
    spelled = dict.fromkeys(r.term for r in kb.glossary() if r.items and len(r.term) <= MAX_TERM_CHARS)
    questions = [f"“{term}”是什么？" for term in spelled]
    records = kb.catalogue()
    units = dict.fromkeys(r.item.unit for r in records if r.item.category)
    questions += [f"{unit}包括哪些大类？" for unit in units]
    categories = dict.fromkeys(r.item.category for r in records if r.item.category and r.item.item)
    questions += [f"{category}包括哪些项目？" for category in categories]
    return list(dict.fromkeys(questions))[:limit]
