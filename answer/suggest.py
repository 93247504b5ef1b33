"""Questions to offer in an empty chat: built from what the base actually holds, and kept only
when the base answers them."""

from __future__ import annotations

import logging
from weakref import WeakKeyDictionary

from answer.ask import ask
from answer.types import AnswerKind
from index.kb import KnowledgeBase

log = logging.getLogger(__name__)

MAX_TERM_CHARS = 6  # cadence phrases like 月提示、季调度… make awkward questions
# Candidates asked beyond `limit` before giving up: each one that fails costs a full answer.
SPARE_CANDIDATES = 4

# Suggestions per open base, kept while the candidates and the tokenizer's vocabulary (which
# changes with every ingest that adds glossary terms or catalogue names) stay the same, so an
# empty chat opening does not run several answers each time.
_checked: WeakKeyDictionary[KnowledgeBase, tuple[tuple, list[str]]] = WeakKeyDictionary()


def candidate_questions(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """(question, term) pairs: glossary terms the source spells out, then catalogue units and
    categories that have something listed below them.

    The questions presuppose nothing the source does not state: a catalogue's levels are asked
    about as 「…包括哪些内容？」, not as 大类 or 项目, which the documents may not call them.
    """
    # one pass over the glossary (ordered by term), not one query per term
    spelled = dict.fromkeys(r.term for r in kb.glossary() if r.items and len(r.term) <= MAX_TERM_CHARS)
    pairs = [(f"“{term}”是什么？", term) for term in spelled]
    records = kb.catalogue()
    units = dict.fromkeys(r.item.unit for r in records if r.item.category)
    categories = dict.fromkeys(r.item.category for r in records if r.item.category and r.item.item)
    pairs += [(f"{name}包括哪些内容？", name) for name in (*units, *categories)]
    return list(dict.fromkeys(pairs))


def suggested_questions(kb: KnowledgeBase, limit: int = 6) -> list[str]:
    """Up to `limit` candidate questions that `ask` answers (not kind `none`) with the term in
    the answer: a suggestion the base cannot answer is never offered."""
    candidates = candidate_questions(kb)
    key = (tuple(candidates), kb.tokenizer.version, limit)
    cached = _checked.get(kb)
    if cached is not None and cached[0] == key:
        return list(cached[1])
    questions: list[str] = []
    for question, term in candidates[: limit + SPARE_CANDIDATES]:
        try:
            answer = ask(kb, question)
        except ValueError as error:  # a catalogue name longer than a question may be
            log.info("suggestion %r left out: %s", question, error)
            continue
        if answer.kind is not AnswerKind.none and term in answer.text:
            questions.append(question)
            if len(questions) == limit:
                break
        else:
            log.info("suggestion %r left out: answered %s", question, answer.kind.value)
    _checked[kb] = (key, questions)
    return list(questions)
