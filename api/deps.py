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


def admin_refusal(settings: Settings, key: str | None) -> tuple[int, str] | None:
    """Why a request with X-API-Key `key` may not use the admin routes (status, message), or None."""
    configured = settings.api_key
    if configured is None or not configured.get_secret_value():
        return 403, "admin routes are disabled: set POLICYKB_API_KEY to enable them"
    if key is None:
        return 401, "missing X-API-Key header"
    # compare_digest takes the same time wherever the strings differ
    if not secrets.compare_digest(key.encode(), configured.get_secret_value().encode()):
        return 401, "wrong API key"
    return None


def require_admin(request: Request, x_api_key: str | None = Header(None)) -> None:
    """Admin routes need the configured key in X-API-Key; with no key configured they are off."""
    refusal = admin_refusal(request.app.state.settings, x_api_key)
    if refusal is not None:
        raise HTTPException(*refusal)
