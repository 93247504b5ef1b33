"""The published OpenAPI schema, made to generate a usable client.

- Operation ids are the route functions' names (`search`, `upload_documents`), not FastAPI's
  `search_api_v1_kbs__base__search_get`; `test_ops` checks that they are unique.
- The key header is a security scheme (api.deps.api_key_header). FastAPI marks every operation
  that reads it as requiring it; only the admin operations do. The reading routes of a base
  take it for bases that are not public, so there the requirement is optional (`{}` or the key).
- Limits that are settings are published as the server runs them: AskRequest.question's
  maxLength is max_question_chars (the ask route checks the same setting).
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.deps import require_admin, require_server_admin
from config.settings import Settings

ADMIN_CHECKS = (require_admin, require_server_admin)
OPTIONAL_KEY = [{}, {"APIKeyHeader": []}]


def operation_name(route: APIRoute) -> str:
    return route.name


def _needs_admin(dependant: Dependant) -> bool:
    return any(d.call in ADMIN_CHECKS or _needs_admin(d) for d in dependant.dependencies)


def published_schema(app: FastAPI, settings: Settings, routers: Sequence[APIRouter]) -> dict:
    """FastAPI's schema (which it builds once and keeps) with the changes above; `routers` are the
    app's routers, whose routes say which operations need the admin key."""
    schema = FastAPI.openapi(app)
    admin = {route.operation_id or route.name for router in routers for route in router.routes
             if isinstance(route, APIRoute) and _needs_admin(route.dependant)}
    for item in schema["paths"].values():
        for operation in item.values():
            if operation.get("security") and operation["operationId"] not in admin:
                operation["security"] = OPTIONAL_KEY
    question = schema["components"]["schemas"]["AskRequest"]["properties"]["question"]
    question["maxLength"] = settings.max_question_chars
    return schema
