"""Request-scoped access to the shared objects: the base a route names, its jobs, the key checks."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, Security
from fastapi.security import APIKeyHeader

from api.bases import Access, BaseRegistry
from api.jobs import JobRegistry
from config.settings import Settings
from index.kb import KnowledgeBase

# The admin key as an OpenAPI security scheme, so generated clients know where it goes.
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="The server's key (POLICYKB_API_KEY) or the base's own key")

BaseName = Annotated[str, Path(description="Name of the knowledge base", pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_bases(request: Request) -> BaseRegistry:
    return request.app.state.bases


def _server_key_opens(settings: Settings, key: str | None) -> bool:
    configured = settings.api_key.get_secret_value() if settings.api_key else ""
    # compare_digest takes the same time wherever the strings differ
    return bool(configured and key and secrets.compare_digest(key.encode(), configured.encode()))


def admin_refusal(settings: Settings, access: Access | None, key: str | None) -> tuple[int, str] | None:
    """Why a request with X-API-Key `key` may not change a base (status, message), or None.

    `access` is the base's (None for the routes that manage bases, which only the server key opens).
    """
    has_base_key = access is not None and bool(access.key_sha256)
    if not settings.api_key or not settings.api_key.get_secret_value():
        if not has_base_key:
            return 403, "admin routes are disabled: set POLICYKB_API_KEY to enable them"
    if key is None:
        return 401, "missing X-API-Key header"
    if _server_key_opens(settings, key) or (access is not None and access.opens(key)):
        return None
    return 401, "wrong API key"


def read_refusal(settings: Settings, access: Access, key: str | None) -> tuple[int, str] | None:
    """Why a request may not read a base: only bases whose access is not public need a key."""
    if access.public or _server_key_opens(settings, key) or access.opens(key):
        return None
    return 401, ("this knowledge base is not public: send its key in X-API-Key" if key is None
                 else "wrong API key for this knowledge base")


def _known(bases: BaseRegistry, name: str) -> None:
    if not bases.exists(name):
        raise HTTPException(404, f"no knowledge base named {name!r}; GET /api/v1/kbs lists them")


def get_kb(
    base: BaseName,
    bases: Annotated[BaseRegistry, Depends(get_bases)],
    settings: Annotated[Settings, Depends(get_settings)],
    key: Annotated[str | None, Security(api_key_header)] = None,
) -> KnowledgeBase:
    """The base named in the path, when the request may read it."""
    _known(bases, base)
    refusal = read_refusal(settings, bases.access(base), key)
    if refusal is not None:
        raise HTTPException(*refusal)
    return bases.get(base)


def require_admin(
    base: BaseName,
    bases: Annotated[BaseRegistry, Depends(get_bases)],
    settings: Annotated[Settings, Depends(get_settings)],
    key: Annotated[str | None, Security(api_key_header)] = None,
) -> None:
    """Admin routes of a base need the server's key or the base's own key."""
    _known(bases, base)
    refusal = admin_refusal(settings, bases.access(base), key)
    if refusal is not None:
        raise HTTPException(*refusal)


def require_server_admin(
    settings: Annotated[Settings, Depends(get_settings)],
    key: Annotated[str | None, Security(api_key_header)] = None,
) -> None:
    """Creating, listing and deleting bases needs the server's key."""
    refusal = admin_refusal(settings, None, key)
    if refusal is not None:
        raise HTTPException(*refusal)


def get_jobs(base: BaseName, request: Request) -> JobRegistry:
    return request.app.state.jobs.of(request.app.state.bases, base)
