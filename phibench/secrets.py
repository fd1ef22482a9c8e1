"""Keeping credentials out of everything phibench writes: config dumps, run metadata, scorecards.

API keys belong in the environment (``detector.api_key_env``), but users paste them into URLs too:
``https://user:KEY@host/v1`` or ``https://host/v1?api-key=KEY``. :func:`redact_url` removes both,
and :func:`scrub` applies it to every string of a nested structure and blanks the values of keys
that name a secret, so a dump of the resolved config can be shared.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "***"

_SECRET_KEY = re.compile(r"(api[-_]?key|apikey|token|secret|password|passwd|signature|sig|auth|credential|key)$", re.I)
"""Names (of config keys and URL query parameters) whose values are secrets. ``api_key_env`` is
not: it names an environment variable, not its value."""

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.I)


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_KEY.search(name.replace(".", "_")))


def redact_url(url: str) -> str:
    """``url`` without user info (``user:pass@``) and with secret query values replaced."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, REDACTED if is_secret_name(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """Every URL inside ``text`` passed through :func:`redact_url`."""
    return _URL.sub(lambda m: redact_url(m.group(0)), text)


def scrub(value: Any) -> Any:
    """A copy of ``value`` (dicts, lists, strings) safe to write: URLs redacted, values of
    secret-named keys replaced by ``***``."""
    if isinstance(value, dict):
        return {
            k: (REDACTED if isinstance(k, str) and is_secret_name(k) and v not in (None, "") else scrub(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(scrub(v) for v in value)
    if isinstance(value, str) and "://" in value:
        return redact_text(value)
    return value
