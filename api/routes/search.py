"""Read-only search routes: passages, filters, glossary, catalogue."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import get_kb
from api.schemas import (
    CatalogueItemOut,
    FacetDates,
    FacetDocument,
    FacetsOut,
    FacetUnit,
    GlossaryEntryOut,
    SearchHitOut,
    SearchResponse,
    error_responses,
    official_filters,
)
from api.throttle import limit_requests
from index.kb import KnowledgeBase
from index.types import SearchMode

router = APIRouter(prefix="/api/v1/kbs/{base}", tags=["search"], responses=error_responses(401, 404))


@router.get("/search", response_model=SearchResponse, dependencies=[Depends(limit_requests)],
            responses=error_responses(429))
def search(
    kb: Annotated[KnowledgeBase, Depends(get_kb)],
    q: Annotated[str, Query(min_length=1, max_length=500, description="Question or keywords")],
    k: Annotated[int, Query(ge=1, le=100)] = 10,
    mode: SearchMode = SearchMode.hybrid,
    doc: Annotated[list[str], Query(description="Document id or id prefix; repeatable")] = [],
    kind: Annotated[list[str], Query(description="File type (pdf, docx, catalogue …); repeatable")] = [],
    section: Annotated[str, Query(max_length=500, description="Section-path prefix, e.g. 清廉村居 > 村务清爽")] = "",
    issuer: Annotated[list[str], Query(description="发文机关 (or part of it); repeatable")] = [],
    issued_from: Annotated[date | None, Query(description="发布日期 on or after (YYYY-MM-DD)")] = None,
    issued_to: Annotated[date | None, Query(description="发布日期 on or before (YYYY-MM-DD)")] = None,
    in_force: Annotated[bool, Query(description="Only documents not known to be repealed, expired or not yet "
                                                "in force today")] = False,
    diversify: Annotated[bool, Query(description="One table's rows or one section's passages fill at most "
                                                 "half the page while close results of other groups exist; "
                                                 "close hits first. false = the plain ranking")] = True,
) -> SearchResponse:
    """Ranked passages with their citations. Each hit says how close it is to the query (`closeness`,
    `close`); `close` false on the response means the base holds nothing close to it."""
    filters = official_filters(issuer, issued_from, issued_to, in_force, doc_ids=tuple(doc), kinds=tuple(kind),
                               section_prefix=section)
    page = kb.search_page(q, k=k, mode=mode, filters=filters, diversify=diversify)
    return SearchResponse(query=q, mode=mode.value, k=k, terms=kb.tokenizer.tokenize(q), close=page.close,
                          diversified=page.diversified,
                          hits=[SearchHitOut.of_page(page, i) for i in range(len(page.hits))])


@router.get("/facets", response_model=FacetsOut)
def facets(kb: Annotated[KnowledgeBase, Depends(get_kb)]) -> FacetsOut:
    """What the search filters can offer: documents, file types, issuing bodies, the range of issue
    dates, catalogue units and categories."""
    documents = kb.documents()
    issuers = sorted({name for d in documents for name in d.official.issuer.split("、") if name})
    dates = sorted(d.official.issued for d in documents if d.official.issued)
    units: dict[str, list[str]] = {}
    for record in kb.catalogue():
        categories = units.setdefault(record.item.unit, [])
        if record.item.category and record.item.category not in categories:
            categories.append(record.item.category)
    return FacetsOut(
        documents=[FacetDocument(id=d.id, title=d.title, kind=d.kind, doc_number=d.official.doc_number)
                   for d in documents],
        kinds=sorted({d.kind for d in documents}),
        issuers=issuers,
        issued=FacetDates(issued_from=dates[0], issued_to=dates[-1]) if dates else None,
        units=[FacetUnit(unit=unit, categories=categories) for unit, categories in units.items()],
    )


@router.get("/glossary", response_model=list[GlossaryEntryOut])
def glossary(
    kb: Annotated[KnowledgeBase, Depends(get_kb)], term: Annotated[str, Query(max_length=100)] = ""
) -> list[GlossaryEntryOut]:
    return [GlossaryEntryOut.of(r) for r in kb.glossary(term)]


@router.get("/catalogue", response_model=list[CatalogueItemOut])
def catalogue(
    kb: Annotated[KnowledgeBase, Depends(get_kb)], unit: Annotated[str, Query(max_length=100)] = ""
) -> list[CatalogueItemOut]:
    return [CatalogueItemOut.of(r) for r in kb.catalogue(unit)]
