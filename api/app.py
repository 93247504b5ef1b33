"""The FastAPI application: one knowledge base per process, opened at start-up."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from api.docs_ui import install_docs
from api.jobs import JobRegistry
from api.limits import UploadGate
from api.routes import admin, ask, export, pages, search
from api.routes.pages import STATIC
from api.schemas import ErrorResponse, HealthOut
from api.settings import Settings
from index.kb import KnowledgeBase

log = logging.getLogger(__name__)


def _error(status: int, message: str, details: list | None = None) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message, "details": details}}, status_code=status)


def create_app(settings: Settings, kb: KnowledgeBase | None = None) -> FastAPI:
    """Build the app. Pass `kb` to serve an already open base (tests); otherwise it is opened
    from `settings` at start-up and closed at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.kb = kb or KnowledgeBase(settings)
        app.state.kb.warm_up()  # the server accepts requests only once the model is loaded
        try:
            yield
        finally:
            if kb is None:
                app.state.kb.close()

    app = FastAPI(
        title="policykb",
        summary="Search and question answering over Chinese policy texts, with citations.",
        version="0.1.0",
        lifespan=lifespan,
        responses={422: {"model": ErrorResponse}},
        docs_url=None,  # /docs and /redoc: api.docs_ui, with no CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.jobs = JobRegistry()
    app.add_middleware(UploadGate, settings=settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        return _error(error.status_code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in error.errors()]
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(part) for part in first["loc"][1:]) or "request"
        return _error(422, f"{where}: {first['msg']}", details)

    @app.exception_handler(ValueError)
    async def value_error(request: Request, error: ValueError) -> JSONResponse:
        return _error(422, str(error))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error(500, "internal error; the server log has the details")

    @app.get("/healthz", response_model=HealthOut, tags=["health"])
    def healthz(request: Request) -> HealthOut:
        stats = request.app.state.kb.stats()
        return HealthOut(status="ok", documents=stats["documents"], chunks=stats["chunks"], model=stats["model"])

    for router in (search.router, ask.router, export.router, admin.router, pages.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
    install_docs(app)
    return app
