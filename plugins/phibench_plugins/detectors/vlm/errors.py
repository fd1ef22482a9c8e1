"""Why a VLM detector has no answer for a sample. Every message here is PHI-free.

::

    SampleFailure (phibench.exceptions)    one sample failed; recorded as its error row
    └── VlmFailure                 stage ``detect``
        ├── RequestFailed          HTTP error, timeout or dropped connection, after retries
        ├── CacheMiss              ``cache=replay`` and no recorded response for the sample
        └── AnswerError            the model answered, but not with a usable answer
            ├── AnswerRefused      a refusal (refusal field, stop reason or refusal text)
            ├── AnswerTruncated    cut off at ``max_tokens`` (raise ``detector.max_tokens``)
            ├── AnswerEmpty        no text at all
            └── AnswerUnparsable   neither the JSON form nor "No PHI" / a pipe-separated list

Messages never quote the model's answer or an SDK's exception text (either can carry PHI): they
say what happened in the detector's own words, with numbers only.

:class:`TransportError` is internal: one failed attempt, which the retry policy may retry.
"""

from __future__ import annotations

from phibench.exceptions import SampleFailure


class VlmFailure(SampleFailure):
    """A VLM detector could not answer for one sample (stage ``detect``)."""

    def __init__(self, message: str, *, attempts: int = 0) -> None:
        super().__init__("detect", message)
        self.attempts = attempts


class RequestFailed(VlmFailure):
    """The endpoint gave no answer: HTTP error, timeout, dropped connection, after any retries."""


class CacheMiss(VlmFailure):
    """``detector.cache=replay`` and the cache holds no response for this sample."""


class AnswerError(VlmFailure):
    """The model answered, but the answer cannot be used; never read as "no PHI"."""


class AnswerRefused(AnswerError):
    pass


class AnswerTruncated(AnswerError):
    pass


class AnswerEmpty(AnswerError):
    pass


class AnswerUnparsable(AnswerError):
    pass


class TransportError(Exception):
    """One attempt failed before an answer arrived. Raised by the protocol modules, never stored.

    ``reason`` is PHI-free (a status code, "timed out", ...); ``retry_after`` is the server's
    Retry-After in seconds, when it sent one.
    """

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None,
                 status: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retryable = reason, retryable
        self.retry_after, self.status = retry_after, status


RETRYABLE_STATUS = frozenset({408, 409, 425, 429})
"""HTTP statuses retried besides every 5xx (529 is Anthropic's "overloaded")."""


def status_error(status: int, retry_after: float | None, key_env: str | None) -> TransportError:
    """The :class:`TransportError` of an HTTP error status, with a message saying what to do."""
    retryable = status in RETRYABLE_STATUS or status >= 500
    if status == 429:
        reason = "HTTP 429 (rate limited)"
    elif status in (401, 403):
        where = f"${key_env}" if key_env else "detector.api_key_env"
        reason = f"HTTP {status} (not authorised: check the key in {where})"
    elif status == 404:
        reason = "HTTP 404 (no such endpoint or model: check detector.base_url and detector.model)"
    elif status >= 500:
        reason = f"HTTP {status} (server error)"
    else:
        reason = f"HTTP {status} (request rejected)"
    return TransportError(reason, retryable=retryable, retry_after=retry_after, status=status)


def parse_retry_after(headers: object) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date), if any."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    ms = get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils
    import time

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
