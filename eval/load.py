"""HTTP load: N concurrent clients against a running policykb server, latency per route.

Each client is a closed loop (send, wait for the answer, send the next), the way a busy
portal's users behave; the mix says how often each route is picked. Everything that is
not a 2xx answer, and every transport failure or timeout, counts as an error and a few
are kept as samples. The clients run in this process on the same machine as the server
on loopback, so they take some of its CPU: the figures are an upper bound.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

ROUTES = ("search", "ask", "glossary")


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

    def __post_init__(self) -> None:
        if not self.queries:
            raise ValueError("no queries to send")
        unknown = set(self.mix) - set(ROUTES)
        if unknown or not any(w > 0 for w in self.mix.values()):
            raise ValueError(f"the mix must give a positive weight to some of {ROUTES}; got {self.mix}")
        if self.clients < 1 or self.seconds <= 0:
            raise ValueError("clients must be at least 1 and seconds positive")


@dataclass(frozen=True)
class RouteStats:
    route: str
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


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


async def _client(
    client, plan: LoadPlan, number: int, deadline: float, samples: dict[str, list[float]],
    failures: list[str], tick: Callable[[], None],
) -> None:
    rng = random.Random(plan.seed + number)
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
                response = await client.get("/api/search", params={"q": query, "k": plan.k})
            elif route == "ask":
                response = await client.post("/api/ask", json={"question": query})
            else:
                response = await client.get("/api/glossary", params={"term": _glossary_term(query)})
            ok = 200 <= response.status_code < 300
            problem = "" if ok else f"{route}: HTTP {response.status_code} {response.text[:200]}"
        except Exception as error:  # noqa: BLE001 - every transport failure is an error to report
            problem = f"{route}: {type(error).__name__}: {error}"
        elapsed = (time.perf_counter() - started) * 1000
        samples.setdefault(route, []).append(elapsed if not problem else -elapsed)
        if problem and len(failures) < 1000:
            failures.append(problem)
        tick()


def run_load(plan: LoadPlan, tick: Callable[[], None] | None = None) -> LoadReport:
    """Drive the server at `plan.url` for `plan.seconds`; latency percentiles per route."""
    import httpx

    samples: dict[str, list[float]] = {}
    failures: list[str] = []

    async def main() -> float:
        limits = httpx.Limits(max_connections=plan.clients, max_keepalive_connections=plan.clients)
        async with httpx.AsyncClient(base_url=plan.url, timeout=plan.timeout, limits=limits) as client:
            probe = await client.get("/api/search", params={"q": plan.queries[0], "k": 1})  # warm-up + reachability
            if probe.status_code != 200:
                raise ValueError(f"{plan.url} answered HTTP {probe.status_code} to a search; is it policykb?")
            started = time.perf_counter()
            deadline = started + plan.seconds
            await asyncio.gather(*(
                _client(client, plan, n, deadline, samples, failures, tick or (lambda: None))
                for n in range(plan.clients)
            ))
            return time.perf_counter() - started

    try:
        elapsed = asyncio.run(main())
    except httpx.TransportError as error:
        raise ValueError(f"cannot reach {plan.url}: {error}") from None
    routes = tuple(_stats(route, values) for route, values in sorted(samples.items()))
    total = sum(r.requests for r in routes)
    errors = sum(r.errors for r in routes)
    return LoadReport(plan.url, plan.clients, round(elapsed, 1), total, errors, round(total / elapsed, 1), routes,
                      tuple(dict.fromkeys(failures))[:10])


def _stats(route: str, values: Sequence[float]) -> RouteStats:
    """Percentiles over successful requests (negative entries mark failures)."""
    good = np.array([v for v in values if v >= 0]) if values else np.zeros(0)
    errors = sum(1 for v in values if v < 0)

    def pct(q: float) -> float:
        return round(float(np.percentile(good, q)), 1) if len(good) else float("nan")

    return RouteStats(route, len(values), errors, pct(50), pct(95), pct(99),
                      round(float(good.max()), 1) if len(good) else float("nan"))
