"""Typed request and response bodies of the HTTP API (they make the OpenAPI schema).

Errors are always {"error": {"status": <int>, "message": <str>, "details": <list|null>}}.
Source paths are reduced to file names: the server's directory layout is not exposed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from answer.types import Answer, Evidence
from index.kb import SearchPage, result_type
from index.types import CatalogueRecord, Citation, DocumentRecord, FileResult, Filters, GlossaryRecord, Hit


class ErrorBody(BaseModel):
    status: int
    message: str
    details: list | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


ERROR_MEANINGS = {
    401: "No key, or a wrong one (admin routes; reading a base that is not public)",
    403: "Admin routes are disabled: the server has no key configured",
    404: "No such knowledge base, document or job",
    409: "The base exists already, or it is the server's default base",
    411: "An upload without Content-Length",
    413: "Too many files, or the upload is larger than the limits",
    422: "The request does not validate; `details` says where",
    429: "Too many requests from this client; Retry-After says when to come back",
    500: "Unexpected server error; the server log has the details",
    503: "Every slot for questions is busy; Retry-After says when to come back",
}


def error_responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI `responses=` for the errors a route can answer, each with the error body's model."""
    return {status: {"model": ErrorResponse, "description": ERROR_MEANINGS[status]} for status in statuses}


class CitationOut(BaseModel):
    doc_id: str
    title: str
    source: str = Field(description="File name of the source document")
    kind: str
    section_path: list[str]
    section: str
    page: int | None = Field(None, description="The PDF page (1-based index) the passage starts on")
    page_end: int | None = Field(None, description="The PDF page the passage ends on")
    page_label: str = Field("", description="The printed page number or range a reader finds (\"76\", \"79–80\")")
    row: int | None = None
    start: int
    end: int
    ocr: bool = Field(False, description="The text was recognised from a scan and may differ from the original")
    doc_number: str = Field("", description="The document's 文号 (normalised: 穗府办规〔2024〕13号)")
    article: int | None = Field(None, description="The number of the article (第N条) the passage belongs to")
    label: str = Field(description="title（文号） · section · 第N页, ready to show")

    @classmethod
    def of(cls, citation: Citation) -> CitationOut:
        return cls(
            doc_id=citation.doc_id, title=citation.title, source=Path(citation.source).name, kind=citation.kind,
            section_path=list(citation.section_path), section=citation.section, page=citation.page,
            page_end=citation.page_end, page_label=citation.pages_shown, row=citation.row, start=citation.start,
            end=citation.end, ocr=citation.ocr, doc_number=citation.doc_number, article=citation.article,
            label=citation.label(),
        )


class HitOut(BaseModel):
    chunk_id: int
    rank: int
    score: float
    mode: str
    text: str
    citation: CitationOut

    @classmethod
    def of(cls, hit: Hit) -> HitOut:
        return cls(chunk_id=hit.chunk.id, rank=hit.rank, score=hit.score, mode=hit.mode.value,
                   text=hit.chunk.text, citation=CitationOut.of(hit.citation))


class SearchHitOut(HitOut):
    result_type: Literal["passage", "entry"] = Field(
        description="entry: a row of a catalogue or register; passage: running text")
    closeness: float = Field(description="Cosine plus weighted term coverage, comparable across queries")
    close: bool = Field(description="closeness reaches the base's search_min_closeness")

    @classmethod
    def of_page(cls, page: SearchPage, position: int) -> SearchHitOut:
        hit = page.hits[position]
        return cls(**HitOut.of(hit).model_dump(), result_type=result_type(hit),
                   closeness=round(page.closeness[position], 4), close=page.is_close(position))


class SearchResponse(BaseModel):
    query: str
    mode: str
    k: int
    terms: list[str] = Field(description="The query's search terms, for highlighting")
    close: bool = Field(description="Some hit is close to the query; false: the base holds nothing close, "
                                    "and the hits are only the least distant text")
    diversified: bool = Field(description="One table or section does not fill the page while close results "
                                          "of other groups exist; close hits come first")
    hits: list[SearchHitOut]


class OfficialFilters(BaseModel):
    """Restrict answers to documents by what they state about themselves (empty fields do not filter)."""

    issuer: list[str] = Field([], description="发文机关: documents whose issuing body contains one of these names")
    issued_from: date | None = Field(None, description="发布日期 on or after this day")
    issued_to: date | None = Field(None, description="发布日期 on or before this day")
    in_force: bool = Field(False, description="Leave out documents known to be repealed, expired or not yet "
                                              "in force today")

    def filters(self, today: date | None = None) -> Filters:
        return official_filters(self.issuer, self.issued_from, self.issued_to, self.in_force, today)


def official_filters(issuer: list[str], issued_from: date | None, issued_to: date | None, in_force: bool,
                     today: date | None = None, **other: object) -> Filters:
    """The search filters for the official-document fields of a request (`other`: doc_ids, kinds …)."""
    return Filters(
        issuers=tuple(name.strip() for name in issuer if name.strip()),
        issued_from=issued_from.isoformat() if issued_from else "",
        issued_to=issued_to.isoformat() if issued_to else "",
        in_force_on=(today or date.today()).isoformat() if in_force else "",
        **other,
    )


class AskRequest(OfficialFilters):
    # The longest question is the setting max_question_chars: the ask route checks it and the
    # published schema states it as maxLength (api.openapi), so the model has no fixed bound.
    question: str = Field(min_length=1, description="The question in plain Chinese")


class EvidenceOut(BaseModel):
    """A citation with the passage around the supporting sentence, for "expand and highlight"."""

    citation: CitationOut
    sentence: str
    start: int = Field(description="Sentence offsets in the document text")
    end: int
    passage: str = Field(description="The passage holding the sentence")
    highlight_start: int = Field(description="passage[highlight_start:highlight_end] == sentence")
    highlight_end: int


class AskResponse(BaseModel):
    answer_id: str = Field(description="Quote it when sending feedback")
    question: str
    text: str
    kind: Literal["glossary", "catalogue", "article", "passage", "none"]
    citations: list[EvidenceOut]
    passages: list[HitOut]


class GlossaryEntryOut(BaseModel):
    term: str
    items: list[str] = Field(description="Empty when the source names the term without spelling it out")
    count: int
    citation: CitationOut

    @classmethod
    def of(cls, record: GlossaryRecord) -> GlossaryEntryOut:
        return cls(term=record.term, items=list(record.items), count=len(record.items),
                   citation=CitationOut.of(record.citation))


class CatalogueItemOut(BaseModel):
    chunk_id: int
    unit: str
    category: str
    item: str
    path: list[str]
    standard: str
    problem: str
    department: str
    row: int
    extra: dict[str, str]
    citation: CitationOut

    @classmethod
    def of(cls, record: CatalogueRecord) -> CatalogueItemOut:
        item = record.item
        return cls(chunk_id=record.chunk_id, unit=item.unit, category=item.category, item=item.item,
                   path=list(item.path), standard=item.standard, problem=item.problem,
                   department=item.department, row=item.row, extra=dict(item.extra),
                   citation=CitationOut.of(record.citation))


class DocumentOut(BaseModel):
    id: str
    title: str
    source: str
    kind: str
    chunks: int
    chars: int
    ingested_at: str
    doc_number: str = Field("", description="文号, normalised (穗府办规〔2024〕13号); empty when the document states none")
    issuer: str = Field("", description="发文机关 (several joined with 、)")
    issued: str = Field("", description="发布日期 (成文日期 when signed), YYYY-MM-DD")
    effective: str = Field("", description="施行日期, YYYY-MM-DD")
    expires: str = Field("", description="The last day of a stated validity period (有效期), YYYY-MM-DD")
    repealed: str = Field("", description="废止日期, YYYY-MM-DD")
    status: str = Field("", description="Validity today: 有效, 已失效, 已废止, 尚未施行; empty when nothing is stated")

    @classmethod
    def of(cls, record: DocumentRecord, today: date | None = None) -> DocumentOut:
        official = record.official
        return cls(id=record.id, title=record.title, source=Path(record.source).name, kind=record.kind,
                   chunks=record.chunks, chars=record.chars, ingested_at=record.ingested_at,
                   doc_number=official.doc_number, issuer=official.issuer, issued=official.issued,
                   effective=official.effective, expires=official.expires, repealed=official.repealed,
                   status=official.status_on((today or date.today()).isoformat()))


class FileResultOut(BaseModel):
    file: str
    status: Literal["added", "updated", "unchanged", "duplicate", "failed"]
    doc_id: str
    title: str
    chunks: int
    message: str

    @classmethod
    def of(cls, result: FileResult) -> FileResultOut:
        return cls(file=Path(result.path).name, status=result.status.value, doc_id=result.doc_id,
                   title=result.title, chunks=result.chunks, message=result.message)


class JobOut(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "failed"]
    files_total: int
    files_done: int
    results: list[FileResultOut]
    error: str = ""


class DeletedOut(BaseModel):
    id: str
    title: str
    chunks: int


class FeedbackRequest(BaseModel):
    answer_id: str = Field(min_length=1, max_length=64)
    question: str = Field(min_length=1, max_length=2000)
    helpful: bool
    comment: str = Field("", max_length=2000)


class FeedbackResponse(BaseModel):
    id: int


class FacetDocument(BaseModel):
    id: str
    title: str
    kind: str
    doc_number: str = Field(description="文号, \"\" when the document states none")


class FacetDates(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    issued_from: str = Field(alias="from", description="Earliest 发布日期 (YYYY-MM-DD)")
    issued_to: str = Field(alias="to", description="Latest 发布日期 (YYYY-MM-DD)")


class FacetUnit(BaseModel):
    unit: str
    categories: list[str]


class FacetsOut(BaseModel):
    """What the search filters can offer."""

    documents: list[FacetDocument]
    kinds: list[str] = Field(description="File types (pdf, docx, catalogue …)")
    issuers: list[str] = Field(description="发文机关 named by the documents")
    issued: FacetDates | None = Field(description="The range of issue dates; null when no document states one")
    units: list[FacetUnit] = Field(description="Catalogue units and their categories")


class SuggestionsOut(BaseModel):
    questions: list[str]


# Chunk ids are SQLite rowids: positive 64-bit integers.
ChunkId = Annotated[int, Field(ge=1, le=2**63 - 1)]
MAX_EXPORT_ITEMS = 500  # one handout; bounds the work a single request can ask for


class ExportRequest(BaseModel):
    """What a trainer selected for a handout."""

    title: str = Field("学习材料", max_length=200)
    passages: list[ChunkId] = Field(default_factory=list, max_length=MAX_EXPORT_ITEMS,
                                    description="Chunk ids of selected passages")
    terms: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=MAX_EXPORT_ITEMS,
                                                              description="Glossary terms")
    catalogue: list[ChunkId] = Field(default_factory=list, max_length=MAX_EXPORT_ITEMS,
                                     description="Chunk ids of catalogue items")
    format: Literal["docx", "md"] = "docx"


class HealthOut(BaseModel):
    status: Literal["ok"]
    documents: int
    chunks: int
    model: str


def answer_out(answer_id: str, answer: Answer, evidence: list[EvidenceOut]) -> AskResponse:
    return AskResponse(answer_id=answer_id, question=answer.question, text=answer.text, kind=answer.kind.value,
                       citations=evidence, passages=[HitOut.of(h) for h in answer.passages])


def evidence_out(evidence: Evidence, passage: str, passage_start: int) -> EvidenceOut:
    """`passage` is document.text[passage_start:...] and holds the sentence."""
    start = max(evidence.start - passage_start, 0)
    return EvidenceOut(citation=CitationOut.of(evidence.citation), sentence=evidence.sentence,
                       start=evidence.start, end=evidence.end, passage=passage,
                       highlight_start=start, highlight_end=min(start + len(evidence.sentence), len(passage)))


class KbOut(BaseModel):
    name: str
    public: bool = Field(description="Whether reading (search, ask, …) needs no key")
    has_key: bool = Field(description="Whether the base has its own key (else only the server key opens it)")
    documents: int
    chunks: int
    default: bool = Field(description="The server's default base (the widget's when data-kb is absent)")


class KbCreate(BaseModel):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Folder and URL name of the base")
    public: bool = Field(True, description="false = reading needs the base's key or the server key")


class KbCreated(KbOut):
    key: str = Field(description="The base's own key: shown this once, only its hash is kept")


class KbChange(BaseModel):
    public: bool | None = Field(None, description="Make reading public (true) or key-protected (false)")
    new_key: bool = Field(False, description="Replace the base's key with a new one, returned once")


class KbChanged(KbOut):
    key: str | None = Field(None, description="The new key when new_key was asked for")


class DeletedBaseOut(BaseModel):
    name: str
    deleted: bool = True
