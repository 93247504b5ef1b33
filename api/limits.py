"""Checks on uploads made from the request line and headers, before any of the body is read.

FastAPI parses a multipart form (spooling its files to disk) before it runs the route's
dependencies, so without this gate an anonymous client could make the server receive a
gigabyte before learning that it has no key. The gate answers first: no or wrong key,
no Content-Length, or a Content-Length above what the upload limits allow. The per-file
type and size limits are then applied by the route as it copies each part.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from api.bases import BaseRegistry
from api.deps import admin_refusal
from config.settings import Settings

UPLOAD_PATH = re.compile(r"^/api/v1/kbs/([^/]+)/documents/?$")
PART_OVERHEAD_BYTES = 64 * 1024  # multipart boundaries and part headers, generously


def max_upload_body(settings: Settings) -> int:
    """The largest request body an upload may have: every file at the size limit, plus form overhead."""
    per_file = int(settings.max_upload_mb * 1024 * 1024) + PART_OVERHEAD_BYTES
    return settings.max_upload_files * per_file


class UploadGate:
    """ASGI middleware refusing POST /api/v1/kbs/{base}/documents from its headers alone (401/403/411/413)."""

    def __init__(self, app: ASGIApp, settings: Settings, bases: BaseRegistry) -> None:
        self.app = app
        self.settings = settings
        self.bases = bases

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        upload = UPLOAD_PATH.match(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if upload is not None and self.bases.exists(upload.group(1)):  # an unknown base gets the route's 404
            refusal = self._refusal(Headers(scope=scope), upload.group(1))
            if refusal is not None:
                status, message = refusal
                body = {"error": {"status": status, "message": message, "details": None}}
                # Connection: close, since the unread body cannot be skipped on this connection.
                await JSONResponse(body, status, headers={"Connection": "close"})(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, headers: Headers, base: str) -> tuple[int, str] | None:
        refusal = admin_refusal(self.settings, self.bases.access(base), headers.get("x-api-key"))
        if refusal is not None:
            return refusal
        length = headers.get("content-length")
        if length is None:
            return 411, "uploads must state their Content-Length"
        limit = max_upload_body(self.settings)
        if not length.isdigit() or int(length) > limit:
            return 413, (f"the upload is too large ({length} bytes; at most {self.settings.max_upload_files} files "
                         f"of {self.settings.max_upload_mb:g} MB each, {limit:,} bytes in all)")
        return None
