"""Request-scoped access to the shared objects, and the admin-key check."""

from __future__ import annotations

import secrets

from fastapi import Header, HTTPException, Request

from api.jobs import JobRegistry
from api.settings import Settings
from index.kb import KnowledgeBase


def get_kb(request: Request) -> KnowledgeBase:
    return request.app.state.kb


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_jobs(request: Request) -> JobRegistry:
    return request.app.state.jobs


def require_admin(request: Request, x_api_key: str | None = Header(None)) -> None:
    """Admin routes need the configured key in X-API-Key; with no key configured they are off."""
    configured = request.app.state.settings.api_key
    if configured is None or not configured.get_secret_value():
        raise HTTPException(403, "admin routes are disabled: set POLICYKB_API_KEY to enable them")
    if x_api_key is None:
        raise HTTPException(401, "missing X-API-Key header")
    # compare_digest takes the same time wherever the strings differ
    if not secrets.compare_digest(x_api_key.encode(), configured.get_secret_value().encode()):
        raise HTTPException(401, "wrong API key")
