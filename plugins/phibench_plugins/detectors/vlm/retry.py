"""The retry policy of one request: tenacity, exponential backoff with full jitter, Retry-After.

Retried: HTTP 408/409/425/429 and 5xx, timeouts, dropped connections, malformed bodies — each a
:class:`~.errors.TransportError` with ``retryable`` set. Not retried: other 4xx (a bad request
or key stays bad). Each retry waits a random time in ``[0, min(backoff_max_s, initial x 2^n)]``,
and at least the server's Retry-After; a Retry-After longer than ``backoff_max_s`` ends the
attempts at once (the sample fails closed) rather than parking a request slot for that long.
Retries also stop after ``max_attempts`` or when the worker's :class:`~.limits.RetryBudget` is
spent. Waiting happens on the event loop, so other requests keep going meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from phibench_plugins.detectors.vlm.errors import RequestFailed, TransportError
from phibench_plugins.detectors.vlm.limits import RateLimiter, RetryBudget

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 60.0


async def call_with_retries(attempt: Callable[[], Awaitable[T]], policy: RetryPolicy,
                            budget: RetryBudget, limiter: RateLimiter,
                            timeout_s: float) -> tuple[T, int]:
    """Await ``attempt()`` until it succeeds or the policy gives up; returns (result, attempts).

    Raises :class:`~.errors.RequestFailed` (PHI-free message, attempt count) when it gives up.
    """
    state = {"attempts": 0, "budget_spent": False, "too_long": False}
    jitter = wait_random_exponential(multiplier=policy.backoff_initial_s, max=policy.backoff_max_s)

    def should_retry(exc: BaseException) -> bool:
        if not isinstance(exc, TransportError) or not exc.retryable:
            return False
        if exc.retry_after is not None and exc.retry_after > policy.backoff_max_s:
            state["too_long"] = True
            return False
        if state["attempts"] >= policy.max_attempts:
            return False
        if not budget.try_spend():
            state["budget_spent"] = True
            return False
        if exc.retry_after:
            limiter.pause_until(time.monotonic() + exc.retry_after)
        return True

    def wait(rs: RetryCallState) -> float:
        exc = rs.outcome.exception() if rs.outcome else None
        after = getattr(exc, "retry_after", None) or 0.0
        return max(after, jitter(rs))

    async def counted() -> T:
        state["attempts"] += 1
        return await attempt()

    budget.record_request()
    retrying = AsyncRetrying(stop=stop_after_attempt(policy.max_attempts), wait=wait,
                             retry=retry_if_exception(should_retry), reraise=True)
    try:
        return await retrying(counted), state["attempts"]
    except TransportError as exc:
        n = state["attempts"]
        what = exc.reason
        if exc.reason == "timed out":
            what = f"request timed out after {timeout_s:g} s (detector.timeout_s)"
        if not exc.retryable:
            why = "not retried"
        elif state["too_long"]:
            why = (f"the server asked to retry after {exc.retry_after:.0f} s, more than "
                   f"detector.backoff_max_s={policy.backoff_max_s:g}")
        elif state["budget_spent"]:
            why = "this worker's retry budget is spent (detector.retry_budget_ratio)"
        else:
            why = f"gave up after {n} attempt{'s' if n != 1 else ''} (detector.max_attempts)"
        raise RequestFailed(f"{what}; {why}", attempts=n) from None
