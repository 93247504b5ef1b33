"""POST /api/export: a trainer's selection as a Word or Markdown handout to download."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from answer.handout import build_handout, to_docx, to_markdown
from api.deps import get_kb
from api.schemas import ErrorResponse, ExportRequest, error_responses
from index.kb import KnowledgeBase

router = APIRouter(prefix="/api/v1/kbs/{base}", tags=["export"], responses=error_responses(401, 404))

MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "md": "text/markdown; charset=utf-8",
}
FALLBACK_NAME = "handout"
MAX_NAME_CHARS = 80
# Characters no file system or header should see in a file name.
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|;]+')


@router.post(
    "/export",
    response_class=Response,
    responses={
        200: {
            "description": "The handout file, as an attachment",
            "content": {MEDIA_TYPES["docx"]: {"schema": {"type": "string", "format": "binary"}},
                        "text/markdown": {"schema": {"type": "string"}}},
        },
        422: {"model": ErrorResponse, "description": "Nothing selected, or unknown ids or terms"},
    },
)
def export_handout(body: ExportRequest, kb: Annotated[KnowledgeBase, Depends(get_kb)]) -> Response:
    """Build a handout (material with sources, self-test questions, answer key) from the selection."""
    handout = build_handout(kb, body.title, body.passages, body.terms, body.catalogue)
    content = to_docx(handout) if body.format == "docx" else to_markdown(handout).encode("utf-8")
    return Response(
        content,
        media_type=MEDIA_TYPES[body.format],
        headers={"Content-Disposition": content_disposition(handout.title, body.format)},
    )


def content_disposition(title: str, extension: str) -> str:
    """`attachment` with an ASCII file name for old clients and the UTF-8 one (RFC 6266, RFC 5987)."""
    name = _UNSAFE_NAME.sub("_", title).strip(" ._")[:MAX_NAME_CHARS] or FALLBACK_NAME
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or FALLBACK_NAME
    if not re.search(r"[A-Za-z0-9]", ascii_name):
        ascii_name = FALLBACK_NAME
    return f"attachment; filename=\"{ascii_name}.{extension}\"; filename*=UTF-8''{quote(f'{name}.{extension}', safe='')}"
