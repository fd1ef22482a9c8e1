"""Client-side limits shared by every request of one worker: request and token rates, retries.

:class:`RateLimiter` keeps requests per minute and tokens per minute under the configured
figures with two token buckets (each holding at most one second's allowance, so bursts stay
small). A request takes its estimated tokens up front; :meth:`RateLimiter.settle` corrects the
bucket with the tokens the response reports. When a server answers 429 with Retry-After,
:meth:`RateLimiter.pause_until` holds every request of the worker, not only the one that was told.

:class:`RetryBudget` caps retries at a share of first attempts (plus a floor), so an endpoint that
is down is not hammered with ``max_attempts`` times the traffic: once spent, failures are final.
"""

from __future__ import annotations

import asyncio
import threading
import time


class TokenBucket:
    """``rate`` units per second, holding up to ``capacity``; may go into debt for big costs."""

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate, self.capacity = rate, max(capacity, 1.0)
        self.level = self.capacity
        self.stamp = time.monotonic()

    def _refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_time(self, cost: float, now: float) -> float:
        """Seconds until ``cost`` may be taken (0: now). Call under the limiter's lock."""
        self._refill(now)
        need = min(cost, self.capacity)
        return 0.0 if self.level >= need else (need - self.level) / self.rate

    def take(self, cost: float) -> None:
        self.level -= cost


class RateLimiter:
    """Requests and tokens per minute for one worker process; 0 means no limit."""

    def __init__(self, requests_per_minute: float = 0.0, tokens_per_minute: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._requests = TokenBucket(requests_per_minute / 60, requests_per_minute / 60) \
            if requests_per_minute > 0 else None
        self._tokens = TokenBucket(tokens_per_minute / 60, tokens_per_minute / 60) \
            if tokens_per_minute > 0 else None
        self._paused_until = 0.0
        self.waited_s = 0.0
        """Total time requests spent waiting here (for tests and benchmarks)."""

    def reserve(self, tokens: int = 0) -> float:
        """Take one request of about ``tokens`` tokens now and return 0, or return how many
        seconds to wait before asking again (nothing taken)."""
        with self._lock:
            now = time.monotonic()
            wait = max(0.0, self._paused_until - now)
            if self._requests is not None:
                wait = max(wait, self._requests.wait_time(1, now))
            if self._tokens is not None and tokens:
                wait = max(wait, self._tokens.wait_time(tokens, now))
            if wait > 0:
                self.waited_s += wait
                return wait
            if self._requests is not None:
                self._requests.take(1)
            if self._tokens is not None:
                self._tokens.take(tokens)
            return 0.0

    def acquire(self, tokens: int = 0) -> None:
        """Block until one request of about ``tokens`` tokens may go out, then take it."""
        while (wait := self.reserve(tokens)) > 0:
            time.sleep(wait)

    async def acquire_async(self, tokens: int = 0) -> None:
        """:meth:`acquire` for the event loop: waits without blocking other requests."""
        while (wait := self.reserve(tokens)) > 0:
            await asyncio.sleep(wait)

    def settle(self, difference: int) -> None:
        """Correct the token bucket by ``difference`` (actual minus estimated tokens)."""
        if self._tokens is not None and difference:
            with self._lock:
                self._tokens.take(difference)

    def pause_until(self, deadline: float) -> None:
        """Hold every request of this worker until ``deadline`` (``time.monotonic()``)."""
        with self._lock:
            self._paused_until = max(self._paused_until, deadline)


class RetryBudget:
    """Retries allowed: ``floor + ratio x first attempts`` over the worker's life."""

    def __init__(self, ratio: float, floor: int) -> None:
        self.ratio, self.floor = ratio, floor
        self.requests = 0
        self.retries = 0
        self._lock = threading.Lock()

    def record_request(self) -> None:
        with self._lock:
            self.requests += 1

    def try_spend(self) -> bool:
        """Take one retry from the budget; False when it is spent."""
        with self._lock:
            if self.retries < self.floor + self.ratio * self.requests:
                self.retries += 1
                return True
            return False
