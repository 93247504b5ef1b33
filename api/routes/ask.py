"""Questions, suggested questions and feedback."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.exceptions import RequestValidationError

from answer.ask import ask as answer_question
from answer.suggest import suggested_questions
from answer.types import Evidence
from api.deps import get_kb, get_settings
from api.schemas import (
    AskRequest,
    AskResponse,
    EvidenceOut,
    FeedbackRequest,
    FeedbackResponse,
    SuggestionsOut,
    answer_out,
    error_responses,
    evidence_out,
)
from config.settings import Settings
from api.throttle import ask_slot, limit_asks, limit_requests
from index.kb import KnowledgeBase

router = APIRouter(prefix="/api/v1/kbs/{base}", tags=["ask"], responses=error_responses(401, 404, 429))


def question_within_limit(body: AskRequest, settings: Annotated[Settings, Depends(get_settings)]) -> None:
    """The setting max_question_chars, answered like the model's own bounds (the schema states it too)."""
    limit = settings.max_question_chars
    if len(body.question) > limit:
        raise RequestValidationError([{"type": "string_too_long", "loc": ("body", "question"),
                                       "msg": f"longer than {limit} characters",
                                       "input": body.question, "ctx": {"max_length": limit}}])


@router.post("/ask", response_model=AskResponse, responses=error_responses(503),
             dependencies=[Depends(question_within_limit), Depends(limit_asks), Depends(ask_slot)])
def ask(body: AskRequest, kb: Annotated[KnowledgeBase, Depends(get_kb)]) -> AskResponse:
    answer = answer_question(kb, body.question, body.filters())
    answer_id = uuid.uuid4().hex
    # Kept with the answer so feedback can grade passages later (`policykb eval import-feedback`):
    # the chunks holding the cited sentences, else the passages the answer was read from.
    cited = [c.id for e in answer.citations if (c := kb.store.chunk_around(e.citation.doc_id, e.start, e.end))]
    kb.store.record_answer(answer_id, answer.question, answer.kind.value, answer.text,
                           list(dict.fromkeys(cited)) or [h.chunk.id for h in answer.passages])
    return answer_out(answer_id, answer, [_with_passage(kb, e) for e in answer.citations])


def _with_passage(kb: KnowledgeBase, evidence: Evidence) -> EvidenceOut:
    """The passage around a supporting sentence, for the widget's "expand and highlight"."""
    chunk = kb.store.chunk_around(evidence.citation.doc_id, evidence.start, evidence.end)
    if chunk is None or not (chunk.start <= evidence.start and evidence.end <= chunk.end):
        return evidence_out(evidence, evidence.sentence, evidence.start)
    return evidence_out(evidence, chunk.text, chunk.start)


@router.get("/suggestions", response_model=SuggestionsOut, dependencies=[Depends(limit_requests)])
def suggestions(kb: Annotated[KnowledgeBase, Depends(get_kb)]) -> SuggestionsOut:
    return SuggestionsOut(questions=suggested_questions(kb))


@router.post("/feedback", response_model=FeedbackResponse, status_code=201, dependencies=[Depends(limit_requests)])
def feedback(body: FeedbackRequest, kb: Annotated[KnowledgeBase, Depends(get_kb)]) -> FeedbackResponse:
    return FeedbackResponse(id=kb.store.add_feedback(body.answer_id, body.question, body.helpful, body.comment))
