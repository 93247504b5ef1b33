"""HTTP load: N concurrent clients against a running policykb server, latency per route.

Each client is a closed loop (send, wait for the answer, send the next), the way a busy
portal's users behave; the mix says how often each route is picked. A 429 (rate limit) or
503 (every slot for questions busy) is the server refusing on purpose and is counted as
refused; everything else that is not a 2xx answer, and every transport failure or timeout,
counts as an error and a few are kept as samples. Latency percentiles are over the served
(2xx) requests; a refused client pauses for the Retry-After it was given, at most 1 s,
before its next request, as a page would rather than retrying at once. The clients run in this process on the same machine as the server on
loopback, so they take some of its CPU: the figures are an upper bound.

All clients come from 127.0.0.1, one address to the server's per-client rate limits; with
`distinct_clients` each sends X-Forwarded-For 10.0.x.y of its own, which uvicorn believes
from a proxy on loopback (its FORWARDED_ALLOW_IPS default), as a portal's users look behind
a reverse proxy on the server's host.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

ROUTES = ("search", "ask", "glossary")
REFUSALS = (429, 503)  # rate limit, queue full: answers the server gives on purpose, with Retry-After


@dataclass(frozen=True)
class LoadPlan:
    url: str
    queries: tuple[str, ...]
    clients: int = 8
    seconds: float = 30.0
    mix: dict[str, float] = field(default_factory=lambda: {"search": 1.0})
    k: int = 10
    timeout: float = 30.0
    seed: int = 7
    upload: tuple[Path, ...] = ()  # files posted to the admin upload route when the load starts
    api_key: str = ""
    base: str = "default"  # the knowledge base the routes go to (/api/v1/kbs/BASE/…)
    distinct_clients: bool = False  # each client its own address, through X-Forwarded-For

    @property
    def prefix(self) -> str:
        return f"/api/v1/kbs/{self.base}"

    def __post_init__(self) -> None:
        if not self.queries:
            raise ValueError("no queries to send")
        unknown = set(self.mix) - set(ROUTES)
        if unknown or not any(w > 0 for w in self.mix.values()):
            raise ValueError(f"the mix must give a positive weight to some of {ROUTES}; got {self.mix}")
        if self.clients < 1 or self.seconds <= 0:
            raise ValueError("clients must be at least 1 and seconds positive")
        if self.upload and not self.api_key:
            raise ValueError("uploading during the load needs the server's admin key (POLICYKB_API_KEY)")
        missing = [str(p) for p in self.upload if not p.is_file()]
        if missing:
            raise ValueError(f"files to upload not found: {', '.join(missing)}")


@dataclass(frozen=True)
class RouteStats:
    route: str
    requests: int
    errors: int
    p50_ms: float  # p50 … max: over the served (2xx) requests
    p95_ms: float
    p99_ms: float
    max_ms: float
    refused: int = 0  # 429 or 503


@dataclass(frozen=True)
class IngestDuringLoad:
    """The upload job that ran while the clients were busy."""

    job_id: str
    status: str  # done | failed | running (still running when the load ended) | refused
    files: int
    failed_files: int
    seconds: float  # from the upload until the job ended (or until the load ended)


@dataclass(frozen=True)
class LoadReport:
    url: str
    clients: int
    seconds: float
    requests: int
    errors: int
    per_second: float
    routes: tuple[RouteStats, ...]
    error_samples: tuple[str, ...]
    ingest: IngestDuringLoad | None = None
    refused: int = 0  # 429 (rate limit) and 503 (queue full); neither served nor errors

    def as_dict(self) -> dict:
        return asdict(self)


def parse_mix(spec: str) -> dict[str, float]:
    """`search=3,ask=1,glossary=1` -> weights."""
    mix = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, eq, value = part.partition("=")
        try:
            mix[name.strip()] = float(value) if eq else 1.0
        except ValueError:
            raise ValueError(f"mix entry {part!r}: the weight must be a number") from None
    return mix


def _glossary_term(query: str) -> str:
    return query[:4]


def _address(number: int) -> str:
    return f"10.0.{number // 250}.{number % 250 + 1}"


async def _client(
    client, plan: LoadPlan, number: int, deadline: float, samples: dict[str, list[tuple[str, float]]],
    failures: list[str], tick: Callable[[], None],
) -> None:
    rng = random.Random(plan.seed + number)
    headers = {"X-Forwarded-For": _address(number)} if plan.distinct_clients else {}
    routes = [r for r in ROUTES if plan.mix.get(r, 0) > 0]
    weights = [plan.mix[r] for r in routes]
    position = number
    while time.perf_counter() < deadline:
        route = rng.choices(routes, weights)[0]
        query = plan.queries[position % len(plan.queries)]
        position += plan.clients
        started = time.perf_counter()
        try:
            if route == "search":
                response = await client.get(f"{plan.prefix}/search", params={"q": query, "k": plan.k},
                                            headers=headers)
            elif route == "ask":
                response = await client.post(f"{plan.prefix}/ask", json={"question": query}, headers=headers)
            else:
                response = await client.get(f"{plan.prefix}/glossary", params={"term": _glossary_term(query)},
                                            headers=headers)
            status = response.status_code
            outcome = "ok" if 200 <= status < 300 else "refused" if status in REFUSALS else "error"
            problem = f"{route}: HTTP {status} {response.text[:200]}" if outcome == "error" else ""
        except Exception as error:  # noqa: BLE001 - every transport failure is an error to report
            outcome, problem = "error", f"{route}: {type(error).__name__}: {error}"
        elapsed = (time.perf_counter() - started) * 1000
        samples.setdefault(route, []).append((outcome, elapsed))
        if problem and len(failures) < 1000:
            failures.append(problem)
        if outcome == "refused":  # a refused client waits a little, as a browser would, instead of spinning
            await asyncio.sleep(min(float(response.headers.get("Retry-After", "1") or 1), 1.0))
        tick()


async def _ingest_during(client, plan: LoadPlan, deadline: float) -> IngestDuringLoad:
    """Post `plan.upload` to the admin route, then follow the job until it ends (or the load does)."""
    headers = {"X-API-Key": plan.api_key}
    started = time.perf_counter()
    files = [("files", (path.name, path.read_bytes(), "application/octet-stream")) for path in plan.upload]
    response = await client.post(f"{plan.prefix}/documents", files=files, headers=headers)
    if response.status_code != 202:
        return IngestDuringLoad("", f"refused: HTTP {response.status_code} {response.text[:200]}", len(files), 0,
                                round(time.perf_counter() - started, 1))
    job = response.json()
    while job["status"] in ("queued", "running") and time.perf_counter() < deadline + plan.timeout:
        await asyncio.sleep(0.5)
        job = (await client.get(f"{plan.prefix}/jobs/{job['id']}", headers=headers)).json()
    failed = sum(1 for r in job["results"] if r["status"] == "failed")
    return IngestDuringLoad(job["id"], job["status"], len(files), failed, round(time.perf_counter() - started, 1))


def run_load(plan: LoadPlan, tick: Callable[[], None] | None = None) -> LoadReport:
    """Drive the server at `plan.url` for `plan.seconds`; latency percentiles per route."""
    import httpx

    samples: dict[str, list[tuple[str, float]]] = {}
    failures: list[str] = []

    async def main() -> tuple[float, IngestDuringLoad | None]:
        # Idle connections are dropped after 2 s, before uvicorn closes them (5 s): a client must
        # never send on a connection the server is closing at that moment (HTTP/1.1 keep-alive race).
        limits = httpx.Limits(max_connections=plan.clients, max_keepalive_connections=plan.clients,
                              keepalive_expiry=2.0)
        async with httpx.AsyncClient(base_url=plan.url, timeout=plan.timeout, limits=limits) as client:
            probe = await client.get(f"{plan.prefix}/search", params={"q": plan.queries[0], "k": 1})  # warm-up + reachability
            if probe.status_code not in (200, 429):  # 429: this address's window is full from an earlier run
                raise ValueError(f"{plan.url} answered HTTP {probe.status_code} to a search; is it policykb?")
            started = time.perf_counter()
            deadline = started + plan.seconds
            ingest = None
            if plan.upload:  # its own connection, so the clients' pool stays theirs
                async with httpx.AsyncClient(base_url=plan.url, timeout=max(plan.timeout, 120)) as admin:
                    ingest_task = asyncio.create_task(_ingest_during(admin, plan, deadline))
                    await _run_clients(client, plan, deadline, samples, failures, tick)
                    ingest = await ingest_task
            else:
                await _run_clients(client, plan, deadline, samples, failures, tick)
            return time.perf_counter() - started, ingest

    try:
        elapsed, ingest = asyncio.run(main())
    except httpx.TransportError as error:
        raise ValueError(f"cannot reach {plan.url}: {error}") from None
    routes = tuple(_stats(route, values) for route, values in sorted(samples.items()))
    total = sum(r.requests for r in routes)
    errors = sum(r.errors for r in routes)
    return LoadReport(plan.url, plan.clients, round(elapsed, 1), total, errors, round(total / elapsed, 1), routes,
                      tuple(dict.fromkeys(failures))[:10], ingest, sum(r.refused for r in routes))


async def _run_clients(client, plan: LoadPlan, deadline: float, samples: dict[str, list[tuple[str, float]]],
                       failures: list[str], tick: Callable[[], None] | None) -> None:
    await asyncio.gather(*(
        _client(client, plan, n, deadline, samples, failures, tick or (lambda: None)) for n in range(plan.clients)
    ))


def _stats(route: str, values: Sequence[tuple[str, float]]) -> RouteStats:
    """Percentiles over the served requests; refusals and errors counted apart."""
    good = np.array([ms for outcome, ms in values if outcome == "ok"])
    errors = sum(1 for outcome, _ in values if outcome == "error")
    refused = sum(1 for outcome, _ in values if outcome == "refused")

    def pct(q: float) -> float:
        return round(float(np.percentile(good, q)), 1) if len(good) else float("nan")

    return RouteStats(route, len(values), errors, pct(50), pct(95), pct(99),
                      round(float(good.max()), 1) if len(good) else float("nan"), refused)
