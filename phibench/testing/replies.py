"""What a local server received and what it answers: :class:`Request`, :class:`Reply`."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reply:
    """What the server does with one request. Build one with the class methods."""

    kind: str = "answer"
    """answer | refusal | truncated | status | hang | drop | malformed"""
    text: str = ""
    status: int = 200
    retry_after: float | None = None
    delay_s: float | None = None
    """Seconds from the request's arrival to the reply; ``None``: the server's ``latency_s``."""

    @classmethod
    def answer(cls, text: str, delay_s: float | None = None) -> "Reply":
        return cls("answer", text, delay_s=delay_s)

    @classmethod
    def empty(cls) -> "Reply":
        return cls("answer", "")

    @classmethod
    def refusal(cls, text: str = "I'm sorry, but I can't help with that request.") -> "Reply":
        return cls("refusal", text)

    @classmethod
    def truncated(cls, text: str = '{"text": ["PATIENT') -> "Reply":
        return cls("truncated", text)

    @classmethod
    def rate_limited(cls, retry_after: float | None = 1.0) -> "Reply":
        return cls("status", status=429, retry_after=retry_after, delay_s=0.0)

    @classmethod
    def error(cls, status: int = 500, retry_after: float | None = None) -> "Reply":
        return cls("status", status=status, retry_after=retry_after, delay_s=0.0)

    @classmethod
    def hang(cls) -> "Reply":
        """Never answer (until the server's ``hang_s``): the client's timeout fires."""
        return cls("hang")

    @classmethod
    def drop(cls) -> "Reply":
        """Close the connection without a response."""
        return cls("drop", delay_s=0.0)

    @classmethod
    def malformed(cls) -> "Reply":
        """HTTP 200 with a JSON body cut in the middle."""
        return cls("malformed")


@dataclass
class Request:
    """One request as the server received it."""

    n: int
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    model: str
    prompt: str
    image: bytes
    image_key: str
    """SHA-256 (hex) of the image bytes: how rules recognise an image. A request without an
    image (a text model's) is keyed by its prompt text instead."""
    attempt: int
    """1 for the first request carrying this image (or text), 2 for the next, ..."""
    started: float
    ended: float | None = None
    reply: Reply | None = None


Behaviour = Callable[[Request], Reply]


def image_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_data(data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=False)
    except (ValueError, TypeError):
        return b""


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of an encoded image (0, 0 when it cannot be read)."""
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.size
    except Exception:  # noqa: BLE001 - a test may send anything
        return 0, 0
