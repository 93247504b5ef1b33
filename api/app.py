"""The FastAPI application: the named knowledge bases of one data folder, under /api/v1/kbs/{base}.

Each worker process opens the bases it is asked for and keeps them open; a watcher thread
loads what other processes (a CLI ingest, another worker) commit to a base's store, so every
worker answers from the same source of truth.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from api.bases import BaseRegistry
from api.docs_ui import install_docs
from api.jobs import JobRegistry
from api.limits import UploadGate
from api.observe import Metrics, Observe
from api.openapi import operation_name, published_schema
from api.routes import admin, ask, bases, export, metrics, pages, search
from api.routes.pages import STATIC
from api.schemas import HealthOut, error_responses
from config.settings import Settings
from api.throttle import RateLimits, ask_slots
from index.kb import KnowledgeBase

log = logging.getLogger(__name__)


def _error(status: int, message: str, details: list | None = None, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message, "details": details}}, status_code=status,
                        headers=headers)


PRUNE_EVERY_SECONDS = 3600  # finished jobs are pruned at start-up and then hourly


class _Watcher(threading.Thread):
    """Every reload_interval seconds, loads into the open bases what other processes committed;
    every hour, prunes the finished jobs past job_keep_days."""

    def __init__(self, app: FastAPI, interval: float) -> None:
        super().__init__(name="policykb-reload", daemon=True)
        self.app, self.interval = app, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        pruned = time.monotonic()
        while not self.stopped.wait(self.interval):
            self.app.state.bases.refresh()
            if time.monotonic() - pruned >= PRUNE_EVERY_SECONDS:
                pruned = time.monotonic()
                _prune_jobs(self.app)


def _job_stores(app: FastAPI):
    """(base, its job store) for every base that has jobs."""
    registry: BaseRegistry = app.state.bases
    for name in registry.names():
        if (registry.folder(name) / "uploads" / "jobs.sqlite").is_file():
            yield registry.get(name), app.state.jobs.of(registry, name)


def _prune_jobs(app: FastAPI) -> None:
    for kb, store in _job_stores(app):
        try:
            store.prune(kb)
        except Exception:  # pruning must never stop the watcher
            log.exception("pruning the jobs of %s failed", kb.dir)


def _resume_jobs(app: FastAPI) -> None:
    """Jobs a stopped process left unfinished run again; finished ones past their time are pruned."""
    _prune_jobs(app)
    for kb, store in _job_stores(app):
        store.resume(kb)


def create_app(settings: Settings, kb: KnowledgeBase | None = None) -> FastAPI:
    """Build the app over the bases of settings.data_dir (and settings.kb_dir as settings.kb_name).

    Pass `kb` to serve an already open base as settings.kb_name (tests); bases the app opens
    itself are closed at shutdown.
    """
    registry = BaseRegistry(settings, kb)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        registry.get(registry.default).warm_up()  # requests are accepted once the model is loaded
        watcher = _Watcher(app, settings.reload_interval)
        watcher.start()
        resuming = threading.Thread(target=_resume_jobs, args=(app,), name="policykb-resume", daemon=True)
        resuming.start()
        try:
            yield
        finally:
            watcher.stopped.set()
            resuming.join(timeout=5)
            app.state.jobs.close()
            registry.close()

    app = FastAPI(
        title="policykb",
        summary="Search and question answering over Chinese policy texts, with citations.",
        version="0.1.0",
        lifespan=lifespan,
        responses=error_responses(422, 500),
        generate_unique_id_function=operation_name,  # operation ids are the route functions' names
        docs_url=None,  # /docs and /redoc: api.docs_ui, with no CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.bases = registry
    app.state.metrics = Metrics(registry)
    app.state.jobs = JobRegistry(settings.job_keep_days, on_file=app.state.metrics.count_file)
    app.state.rate_limits = RateLimits(settings)
    app.state.ask_slots = ask_slots(settings)
    app.add_middleware(UploadGate, settings=settings, bases=registry)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key"],
            expose_headers=["Retry-After", "X-Request-ID"],  # the widget reads how long to wait
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        return _error(error.status_code, str(error.detail), headers=error.headers)  # Retry-After of 429/503

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

    @app.get("/healthz", response_model=HealthOut, tags=["health"], operation_id="health")
    def healthz(request: Request) -> HealthOut:
        """Liveness, with the size of the default base."""
        stats = request.app.state.bases.get(request.app.state.bases.default).stats()
        return HealthOut(status="ok", documents=stats["documents"], chunks=stats["chunks"], model=stats["model"])

    routers = (bases.router, search.router, ask.router, export.router, admin.router, pages.router, metrics.router)
    for router in routers:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
    install_docs(app)
    app.openapi = lambda: published_schema(app, settings, routers)
    # Added last, so it is the outermost: requests the other middleware refuse are logged and counted too.
    app.add_middleware(Observe, metrics=app.state.metrics, log_requests=settings.access_log)
    return app


def app_from_environment() -> FastAPI:
    """The app of one worker process (`policykb serve --workers N`, or `uvicorn --factory`): the
    settings come from POLICYKB_* variables and .env."""
    return create_app(Settings())
