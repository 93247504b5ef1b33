"""What operators watch: a request id and an access-log line per request, and Prometheus metrics.

`Observe` is plain ASGI middleware, not Starlette's BaseHTTPMiddleware (which buffers streaming
responses and runs background tasks inside the request's own time). It sits outermost, so a
request refused by another middleware (the upload gate, CORS) is logged and counted too.

- Request id: the caller's `X-Request-ID` when it is a plain token (letters, digits, `._:-`, at
  most 128 characters; anything else could forge log lines), else a new one. It is returned in
  the `X-Request-ID` response header, and JSON log lines of records made while the request runs
  carry it, so an error in the server log can be matched to the caller's report.
- Access log: one INFO record on the logger `policykb.access` when the response has been sent
  (method, path, status, duration_ms, client, request_id as record attributes). The query string
  is left out: it holds the users' questions. Library code only logs; `policykb serve` chooses the
  handler and `LogFormatter` writes text or JSON lines.
- Metrics: requests and latency per route *template* (`/api/v1/kbs/{base}/search`, never the raw
  path, which would make a series per base name and per document id), ingested files per status,
  and the size of every open public base, read at scrape time. With PROMETHEUS_MULTIPROC_DIR set
  (`policykb serve --workers N` sets one up) the counters of all worker processes are summed,
  through prometheus-client's multiprocess mode.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime, timezone

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from index.types import FileResult

ACCESS_LOGGER = "policykb.access"
REQUEST_ID_HEADER = "X-Request-ID"
_PLAIN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Seconds; the ask route under a saturated closed loop reaches tens of seconds (docs/reliability.md).
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
UNMATCHED = "<unmatched>"  # requests no route answered (404s of unknown paths)

access_log = logging.getLogger(ACCESS_LOGGER)
current_request_id: ContextVar[str] = ContextVar("policykb_request_id", default="")


def request_id_of(headers: Headers) -> str:
    """The caller's request id when it is a plain token, else a new one."""
    given = headers.get("x-request-id", "")
    return given if _PLAIN_ID.match(given) else uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The path template of the route that answered (`/api/v1/kbs/{base}/jobs/{job_id}`), the mount
    point of a mounted app (`/static`), or UNMATCHED."""
    route = scope.get("route")
    if route is not None and getattr(route, "path_format", None):
        return route.path_format
    return scope.get("root_path") or UNMATCHED


def multiprocess_dir() -> str:
    """PROMETHEUS_MULTIPROC_DIR, the variable prometheus-client itself reads ("" = one process)."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


class BaseSizes(Collector):
    """Documents and chunks of every open public base, read when /metrics is scraped.

    Private bases are left out: their names are for the server key (GET /api/v1/kbs), and
    /metrics is public like /healthz.
    """

    def __init__(self, bases) -> None:
        self.bases = bases

    def collect(self) -> Iterator[GaugeMetricFamily]:
        documents = GaugeMetricFamily("policykb_base_documents", "Documents in an open public base", labels=["base"])
        chunks = GaugeMetricFamily("policykb_base_chunks", "Chunks (passages) in an open public base",
                                   labels=["base"])
        names = {self.bases.folder(name).resolve(): name for name in self.bases.names()}
        for kb in self.bases.opened():
            name = names.get(kb.dir.resolve())
            if name is None or not self.bases.access(name).public:
                continue
            stats = kb.stats()
            documents.add_metric([name], float(stats["documents"]))
            chunks.add_metric([name], float(stats["chunks"]))
        yield documents
        yield chunks


class Metrics:
    """The metrics of one app. Each app has its own registry, so several apps in one process (the
    tests) never collide; in multiprocess mode the values live in the shared folder's files."""

    def __init__(self, bases) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("policykb_http_requests", "HTTP requests answered", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("policykb_http_request_duration_seconds",
                                 "Time from the request until its response was sent", ["method", "route"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.ingested = Counter("policykb_ingest_files", "Files of upload jobs, by their ingest result", ["status"],
                                registry=self.registry)
        self.sizes = BaseSizes(bases)
        self.registry.register(self.sizes)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def count_file(self, result: FileResult) -> None:
        self.ingested.labels(result.status.value).inc()

    def exposition(self) -> bytes:
        """The Prometheus text format; with PROMETHEUS_MULTIPROC_DIR the sums over every worker process."""
        if not multiprocess_dir():
            return generate_latest(self.registry)
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(self.sizes)  # the sizes this worker sees: every worker reads the same stores
        return generate_latest(registry)


class Observe:
    """ASGI middleware: request id, access log and request metrics (see the module docstring)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, log_requests: bool = True) -> None:
        self.app = app
        self.metrics = metrics
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(Headers(scope=scope))
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        status = 500  # when the app fails before it answers
        finished = False

        async def send_observed(message: Message) -> None:
            nonlocal status, finished
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            elif message["type"] == "http.response.body" and not message.get("more_body", False) and not finished:
                # The last part of the body: the response is complete (background tasks that run after
                # it are not its time). Recorded before it is handed on, so the line is in the log by
                # the time the client has the answer.
                finished = True
                self._record(scope, status, time.perf_counter() - started, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            if not finished:  # the app raised, or the client went away before the body was sent
                finished = True
                self._record(scope, status, time.perf_counter() - started, request_id)
            current_request_id.reset(token)

    def _record(self, scope: Scope, status: int, seconds: float, request_id: str) -> None:
        method, path = scope["method"], scope["path"]
        self.metrics.observe_request(method, route_template(scope), status, seconds)
        if self.log_requests:
            client = scope.get("client")
            host = client[0] if client else "-"
            duration_ms = round(seconds * 1000, 1)
            access_log.info("%s %s %d %.1f ms client=%s id=%s", method, path, status, duration_ms, host, request_id,
                            extra={"method": method, "path": path, "status": status, "duration_ms": duration_ms,
                                   "client": host, "request_id": request_id})


ACCESS_FIELDS = ("method", "path", "status", "duration_ms", "client", "request_id")


class LogFormatter(logging.Formatter):
    """One line per record: readable text, or one JSON object (`as_json=True`) with time, level,
    logger, message and, on access lines, the request's fields."""

    def __init__(self, as_json: bool = False) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        if not self.as_json:
            return super().format(record)
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,  # which worker of `serve --workers N`
        }
        for name in ACCESS_FIELDS:
            value = getattr(record, name, None)
            if value not in (None, ""):
                entry[name] = value
        if "request_id" not in entry and current_request_id.get():  # a record made while a request runs
            entry["request_id"] = current_request_id.get()
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
