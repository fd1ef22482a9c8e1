"""Parameters of the VLM detectors, and the protocol-neutral record of one response."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from phibench.exceptions import ConfigError
from phibench.records import TokenUsage
from phibench import simulated
from phibench.secrets import redact_url
from phibench_plugins.detectors.vlm.cache import MODES
from phibench_plugins.detectors.vlm.image import FORMATS

SIMULATED_HEADER = simulated.HEADER
SIMULATED_SUFFIX = simulated.SUFFIX


@dataclass(frozen=True)
class VlmParams:
    """Parameters shared by every VLM detector (``detector.<name>`` on the command line)."""

    model: str = ""
    """Model (or serving endpoint) name sent with each request."""
    base_url: Optional[str] = None  # noqa: UP007 - OmegaConf needs Optional
    """API base URL; null: the vendor's own."""
    api_key_env: Optional[str] = None  # noqa: UP007
    """Name of the environment variable holding the API key (the key itself is never config)."""
    prompt: str = "phi_json_v1"
    """Prompt file in vlm/prompts/ (or a path)."""
    temperature: Optional[float] = 0.0  # noqa: UP007
    max_tokens: int = 400
    image_long_side: int = 768
    """The image's long side is cut to this many pixels (never upscaled); 0 keeps the size."""
    image_format: str = "jpeg"
    """jpeg or png."""
    jpeg_quality: int = 90
    max_in_flight: int = 16
    """Requests in flight at once per worker process (also bounded by run.batch_size)."""
    requests_per_minute: float = 0.0
    """Client-side limit per worker; 0: none."""
    tokens_per_minute: float = 0.0
    """Client-side limit per worker (estimated before, corrected after each request); 0: none."""
    timeout_s: float = 60.0
    """Per-request timeout."""
    max_attempts: int = 6
    """Attempts per sample, the first included."""
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 60.0
    retry_budget_ratio: float = 0.2
    """Retries allowed per worker: retry_budget_min + this share of first attempts."""
    retry_budget_min: int = 20
    cache: str = "read_write"
    """read_write | replay | off (see the cache module)."""
    cache_root: Optional[str] = None  # noqa: UP007
    """The folder whose ``cache/`` holds the responses (a recorded run's, to replay it); null:
    the run directory of the run the detector works for (``context.run_dir``)."""
    price: Optional[str] = None  # noqa: UP007
    """Entry of vlm/pricing.yaml; null: the model name."""
    price_input_per_1m: Optional[float] = None  # noqa: UP007
    price_output_per_1m: Optional[float] = None  # noqa: UP007
    pricing_file: Optional[str] = None  # noqa: UP007
    """Pricing table; null: vlm/pricing.yaml (shipped)."""
    expected_output_tokens: int = 60
    """Output tokens per image assumed by `phibench estimate`."""


FINGERPRINT_EXCLUDE = (
    "api_key_env", "max_in_flight", "requests_per_minute", "tokens_per_minute", "timeout_s",
    "max_attempts", "backoff_initial_s", "backoff_max_s", "retry_budget_ratio",
    "retry_budget_min", "cache", "cache_root", "expected_output_tokens",
)
"""The detectors' ``fingerprint_exclude``: how hard and how politely a run asks, and where answers
are cached, never what the model answers. Changing them resumes the same run (replaying a run's
cache into its own directory, a higher ``max_in_flight`` after a 429 storm)."""


def check(p: VlmParams, who: str) -> None:
    """Raise one :class:`ConfigError` naming every problem of ``p`` (``who``: the detector), on
    the driver. An endpoint with no vendor default has ``base_url: ???`` (:mod:`.presets`), which
    :func:`phibench.plugin.validate_params` requires before this runs."""
    problems = []
    if not p.model:
        problems.append("detector.model is required")
    if p.image_format not in FORMATS:
        problems.append(f"detector.image_format must be one of {sorted(FORMATS)}")
    if p.cache not in MODES:
        problems.append(f"detector.cache must be one of {', '.join(MODES)}")
    if min(p.max_in_flight, p.max_attempts, p.max_tokens) < 1:
        problems.append("detector.max_in_flight, max_attempts and max_tokens must be >= 1")
    if p.timeout_s <= 0:
        problems.append("detector.timeout_s must be positive")
    if p.cache == "replay" and not p.cache_root:
        problems.append("detector.cache=replay needs detector.cache_root: the directory of the "
                        "recorded run (its cache/ folder holds the responses)")
    if p.cache != "replay":  # a replay needs neither an endpoint nor a key
        if p.api_key_env and not os.environ.get(p.api_key_env):
            problems.append(f"the environment variable {p.api_key_env} "
                            f"(detector.api_key_env) is not set: export it with your API key, "
                            f"or replay a recorded run offline with detector.cache=replay")
    if problems:
        raise ConfigError(f"{who}: " + "; ".join(problems))


@dataclass(frozen=True)
class Response:
    """A complete response, normalised across protocols; what the cache stores."""

    text: str
    finish: str
    usage: TokenUsage
    endpoint: str

    def entry(self) -> dict[str, Any]:
        return {"text": self.text, "finish": self.finish, "endpoint": self.endpoint,
                "usage": {"input": self.usage.input_tokens, "output": self.usage.output_tokens}}

    @classmethod
    def from_entry(cls, e: dict[str, Any]) -> "Response":
        u = e.get("usage") or {}
        usage = TokenUsage(int(u.get("input", 0)), int(u.get("output", 0)))
        return cls(str(e.get("text") or ""), str(e.get("finish") or "stop"), usage,
                   str(e.get("endpoint", "")))


def endpoint_label(url: str) -> str:
    """``url`` as a run records it (scorecard, results, cache keys, logs): user info and secret
    query values redacted by :func:`phibench.secrets.redact_url`, no fragment, no trailing slash.
    A key pasted into the URL (``https://user:KEY@host/v1``, ``...?api-key=KEY``) stays out."""
    parts = _split(url)
    return redact_url(urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"),
                                  parts.query, "")))


def client_url(url: str) -> tuple[str, dict[str, str]]:
    """``url`` for an SDK client: the base URL without its query, and the query's parameters
    for the client's ``default_query``. Both SDKs append the route to the base URL's text, so a
    query left in it would end up inside the path (``/v1?api-key=K/chat/completions``: a 404);
    as ``default_query`` every request carries it. The real values: never record these."""
    parts = _split(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), query


def _split(url: str):  # noqa: ANN202 - urllib's SplitResult
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:  # the message would quote the URL, and with it any key inside
        raise ConfigError("detector.base_url is not a valid URL") from None
    return parts
