"""GET /metrics: the Prometheus text format (api.observe). Public, like /healthz: it names no
private base and holds no document text; restrict it at the proxy if the counts are not for all."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"description": "Prometheus text exposition format",
                     "content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(request: Request) -> Response:
    """Requests and latency per route template, ingested files per status, sizes of the open public bases."""
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
