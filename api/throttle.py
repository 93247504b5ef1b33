"""Limits on the public routes: requests per client, and how many questions are answered at once.

- Rate limits (`limits`, the library under slowapi): a moving window per client address and base,
  one for search, suggestions and feedback (setting rate_limit) and one for ask (ask_rate_limit),
  kept in memory per worker process unless rate_limit_storage names a shared store
  (`redis://…`, `memcached://…`, with that store's driver installed). Past the limit: 429 with
  Retry-After, the seconds until the window lets the client in again. The client address is
  uvicorn's: behind a reverse proxy on the same host uvicorn takes it from X-Forwarded-For
  (FORWARDED_ALLOW_IPS says which proxies are trusted; 127.0.0.1 by default).
- Concurrent asks: answering a question encodes sentences and takes a core for a good part of a
  second, so at most max_concurrent_asks run at once (per worker process). A question that finds
  them all busy waits up to ask_queue_seconds for one, then gets 503 with Retry-After. The wait
  happens on the event loop, not in a thread-pool thread: a burst of queued questions must not
  take the threads that searches run in.
"""

from __future__ import annotations

import asyncio
import math
import os
import threading
import time
from collections.abc import AsyncIterator
from fastapi import HTTPException, Request
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api.deps import BaseName
from config.settings import Settings

QUEUE_POLL_SECONDS = 0.01  # how often a waiting question looks for a free slot


def cpu_cores() -> int:
    """Cores this process may run on (a container's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class RateLimits:
    """The per-client windows of one app (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        self.general = parse(settings.rate_limit) if settings.rate_limit else None
        self.ask = parse(settings.ask_rate_limit) if settings.ask_rate_limit else None
        self.limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage))

    def check(self, item: RateLimitItem | None, *key: str) -> None:
        """Count one request of `key` against `item`; HTTPException 429 when the window is full."""
        if item is None or self.limiter.hit(item, *key):
            return
        reset = self.limiter.get_window_stats(item, *key).reset_time
        wait = max(1, math.ceil(reset - time.time()))
        raise HTTPException(429, f"too many requests from one client to this base: at most {item.amount} per "
                                 f"{_per(item)}; try again in {wait} s", headers={"Retry-After": str(wait)})


def _per(item: RateLimitItem) -> str:
    unit = item.GRANULARITY.name
    return unit if item.multiples == 1 else f"{item.multiples} {unit}s"


def _client(request: Request) -> str:
    return request.client.host if request.client else "-"


def limit_requests(request: Request, base: BaseName) -> None:
    """Dependency of search, suggestions and feedback: the rate_limit window of (client, base)."""
    limits: RateLimits = request.app.state.rate_limits
    limits.check(limits.general, "read", _client(request), base)


def limit_asks(request: Request, base: BaseName) -> None:
    """Dependency of ask: the ask_rate_limit window of (client, base)."""
    limits: RateLimits = request.app.state.rate_limits
    limits.check(limits.ask, "ask", _client(request), base)


class AskSlots:
    """At most `size` questions answered at once; the others wait up to `wait_seconds`.

    A threading semaphore, so a slot can be taken and given back from any thread (the tests hold
    one to fill the server); waiting polls it from the event loop instead of blocking a thread.
    """

    def __init__(self, size: int, wait_seconds: float) -> None:
        self.size = size
        self.wait_seconds = wait_seconds
        self._free = threading.BoundedSemaphore(size)

    def try_take(self) -> bool:
        return self._free.acquire(blocking=False)

    def give_back(self) -> None:
        self._free.release()

    async def take(self) -> bool:
        """A slot within wait_seconds (True), or none (False)."""
        deadline = time.monotonic() + self.wait_seconds
        while not self.try_take():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(QUEUE_POLL_SECONDS)
        return True

    def retry_after(self) -> int:
        return max(1, math.ceil(self.wait_seconds))


def ask_slots(settings: Settings) -> AskSlots:
    return AskSlots(settings.max_concurrent_asks or cpu_cores(), settings.ask_queue_seconds)


async def ask_slot(request: Request) -> AsyncIterator[None]:
    """Dependency of ask: holds one of the AskSlots while the question is answered, else 503."""
    slots: AskSlots = request.app.state.ask_slots
    if not await slots.take():
        raise HTTPException(503, f"the server is answering {slots.size} questions already; "
                                 f"try again in {slots.retry_after()} s",
                            headers={"Retry-After": str(slots.retry_after())})
    try:
        yield
    finally:
        slots.give_back()
