"""What every VLM detector shares: concurrency, limits, retries, cache, parsing, cost.

A protocol module (:mod:`.openai_chat`, :mod:`.anthropic_messages`) adds only how to build its
SDK's *async* client, send one image with the prompt, and count image tokens. Requests run on one
event loop per worker process (a background thread), at most ``max_in_flight`` at once: one loop
keeps 64 requests in flight with less overhead than 64 threads handing the GIL to each other
(``benchmarks/README.md``). Per sample:

1. look the sample up in the response cache (``cache=replay``: only there);
2. encode the frame (long side cut to ``image_long_side``, JPEG or PNG): :meth:`_payload`, which
   the OCR-then-LLM detector (``..ocr_llm``) overrides to send the frame's OCR text instead;
3. wait for the worker's rate limiter, send, retry transient failures (:mod:`.retry`);
4. record the complete response in the cache; parse it (:mod:`.parse`).

Any failure becomes that sample's error (stage ``detect``), with the tokens it consumed, how many
requests it took, and which endpoint answered, if one did: never a negative. The API key is read
from the environment variable named by ``api_key_env`` in :meth:`VlmDetector.setup`, in the
worker; it is never part of the parameters, the description, a log line or a file. A key pasted
into ``base_url`` (user info or a query parameter) reaches the SDK client and nothing else: every
endpoint the detector reports is :func:`~.params.endpoint_label`'s, redacted.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import threading
import time
from dataclasses import replace
from typing import Any, ClassVar

from phibench.detector import Detector
from phibench.exceptions import ConfigError, SampleFailure
from phibench.frame import Frame
from phibench.records import Detection, SampleError
from phibench_plugins.detectors.vlm.cache import MODES, ResponseCache, cache_folder, cache_key
from phibench_plugins.detectors.vlm.errors import (
    CacheMiss,
    TransportError,
    parse_retry_after,
    status_error,
)
from phibench_plugins.detectors.vlm.estimator import Estimator
from phibench_plugins.detectors.vlm.image import FORMATS, EncodedImage, encode_image, pixels_sha256
from phibench_plugins.detectors.vlm.limits import RateLimiter, RetryBudget
from phibench_plugins.detectors.vlm.params import (
    SIMULATED_HEADER,
    SIMULATED_SUFFIX,
    Response,
    VlmParams,
    client_url,
    endpoint_label,
)
from phibench_plugins.detectors.vlm.parse import parse_answer
from phibench_plugins.detectors.vlm.pricing import Price, resolve_price, text_tokens
from phibench_plugins.detectors.vlm.prompt import Prompt, load_prompt
from phibench_plugins.detectors.vlm.retry import RetryPolicy, call_with_retries

log = logging.getLogger(__name__)

QUIET_LOGGERS = ("httpx2", "httpcore2", "openai", "anthropic")
"""SDK loggers set to WARNING (unless configured): a line per request is noise in a run's log."""


class VlmDetector(Detector):
    """Base of the VLM detectors; see the module docstring."""

    Params: ClassVar[type] = VlmParams
    fingerprint_exclude: ClassVar[tuple[str, ...]] = (
        "api_key_env", "max_in_flight", "requests_per_minute", "tokens_per_minute", "timeout_s",
        "max_attempts", "backoff_initial_s", "backoff_max_s", "retry_budget_ratio",
        "retry_budget_min", "cache", "cache_root", "expected_output_tokens",
    )
    """How hard and how politely a run asks, and where answers are cached, never what the model
    answers: changing them resumes the same run (replaying a run's cache into its own directory,
    a higher ``max_in_flight`` after a 429 storm)."""
    protocol: ClassVar[str] = ""
    default_base_url: ClassVar[str] = ""
    requires_base_url: ClassVar[bool] = False
    """True for endpoints that have no vendor default (Databricks, vLLM, Ollama, ...)."""
    sends_image: ClassVar[bool] = True
    """False for a detector whose requests carry text instead (:mod:`..ocr_llm`)."""

    def __init__(self, params: VlmParams | None = None) -> None:
        super().__init__(params)
        p: VlmParams = self.params
        self._check(p)
        self.prompt: Prompt = load_prompt(p.prompt)
        self.price: Price = self.price_of(p)
        self.endpoint = endpoint_label(p.base_url or self.default_base_url)
        """The endpoint as every record names it: credentials in the URL redacted."""
        self.limiter = RateLimiter(p.requests_per_minute, p.tokens_per_minute)
        self.budget = RetryBudget(p.retry_budget_ratio, p.retry_budget_min)
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: asyncio.Semaphore | None = None
        self._lock = threading.Lock()
        self._warned: set[str] = set()

    # -- configuration, checked on the driver when the run builds the detector -----------------

    def _check(self, p: VlmParams) -> None:
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
            if self.requires_base_url and not p.base_url:
                problems.append("detector.base_url is required (the endpoint's OpenAI-compatible "
                                "URL, e.g. https://WORKSPACE/serving-endpoints or "
                                "http://localhost:8000/v1)")
            if p.api_key_env and not os.environ.get(p.api_key_env):
                problems.append(f"the environment variable {p.api_key_env} "
                                f"(detector.api_key_env) is not set: export it with your API key, "
                                f"or replay a recorded run offline with detector.cache=replay")
        if problems:
            raise ConfigError(f"VLM detector ({type(self).__name__}): " + "; ".join(problems))

    @classmethod
    def price_of(cls, p: VlmParams) -> Price:
        return resolve_price(p.model, p.price, p.price_input_per_1m, p.price_output_per_1m,
                             p.pricing_file)

    @classmethod
    def estimator(cls, params: VlmParams) -> Estimator:
        """Dry-run estimates (``phibench estimate``): needs no key and sends nothing."""
        return Estimator(cls, params)

    @classmethod
    def image_tokens(cls, params: VlmParams, width: int, height: int) -> int:
        """Input tokens of an image of this size (after the long-side cut): the provider's rule."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        p: VlmParams = self.params
        image = {"long_side": p.image_long_side, "format": p.image_format, **self._image_extras()}
        return {
            "kind": "vlm", "protocol": self.protocol, "model": p.model, "endpoint": self.endpoint,
            "prompt": self.prompt.tag, "prompt_sha256": self.prompt.sha256,
            "temperature": p.temperature, "max_tokens": p.max_tokens, "image": image,
            "max_in_flight": p.max_in_flight, "price": self.price.describe(),
        }

    def cost_usd(self, detection: Detection, price_per_core_hour_usd: float) -> float:
        return self.price.cost(detection.usage)

    def cost_basis(self, price_per_core_hour_usd: float) -> str:
        return self.price.basis()

    @property
    def preferred_batch_size(self) -> int:
        """Frames per ``detect_many`` call that keep ``max_in_flight`` requests busy: each call
        starts with a ramp and ends with a partial round, so more frames per call waste less. The
        pipeline uses it when ``run.batch_size`` is smaller."""
        return 8 * self.params.max_in_flight

    # -- protocol hooks --------------------------------------------------------------------------

    def _make_client(self, api_key: str) -> Any:
        """The SDK's async client (SDK retries off: :mod:`.retry` owns them), built on
        :meth:`_client_url`."""
        raise NotImplementedError

    def _client_url(self) -> tuple[str, dict[str, str]]:
        """The real base URL (query split off) and query parameters the SDK client sends: the
        only place the unredacted ``base_url`` goes."""
        return client_url(self.params.base_url or self.default_base_url)

    async def _send(self, image: EncodedImage) -> Response:
        """One request; raises :class:`~.errors.TransportError` on any failed attempt."""
        raise NotImplementedError

    def _image_extras(self) -> dict[str, Any]:
        return {}

    def _content_id(self, frame: Frame) -> dict[str, Any]:
        """What identifies the frame's content in its cache key: the rendered pixels."""
        return {"pixels": pixels_sha256(frame.image)}

    def _payload(self, frame: Frame) -> Any:
        """What one request carries for ``frame`` (passed to :meth:`_send`): the encoded image."""
        return self.request_image(self.params, frame.image)

    @classmethod
    def request_image(cls, params: VlmParams, image: Any) -> EncodedImage:
        """The image a request with ``params`` carries for a rendered frame: the bytes the
        endpoint receives (the simulated server's ground-truth mode keys on their hash)."""
        return encode_image(image, params.image_long_side, params.image_format,
                            params.jpeg_quality)

    def _key_parts(self) -> dict[str, Any]:
        """What besides the pixels shapes a request (protocol modules add their own)."""
        p: VlmParams = self.params
        return {"protocol": self.protocol, "endpoint": self.endpoint, "model": p.model,
                "prompt": self.prompt.tag, "prompt_sha256": self.prompt.sha256,
                "temperature": p.temperature, "max_tokens": p.max_tokens,
                "image": [p.image_long_side, p.image_format, p.jpeg_quality]}

    async def _create_parsed(self, sdk: Any, create: Any, image: EncodedImage) -> tuple[Any, str]:
        """Send one request with ``create`` (an SDK's ``with_raw_response.create``) and parse it.

        The openai and anthropic SDKs share their error classes' shape, so their failures map to
        :class:`~.errors.TransportError` here, once. Returns ``(parsed response, endpoint label)``.
        """
        import pydantic

        try:
            raw = await create(**self._request(image))
        except sdk.APIStatusError as exc:
            raise status_error(exc.status_code, parse_retry_after(exc.response.headers),
                               self.params.api_key_env) from None
        except sdk.APITimeoutError:
            raise TransportError("timed out", retryable=True) from None
        except sdk.APIConnectionError:
            raise TransportError("connection dropped before a response", retryable=True) from None
        label = self._label(raw.headers)
        try:
            return await self._parsed(raw), label
        except (ValueError, TypeError, pydantic.ValidationError):
            raise TransportError("malformed response body", retryable=True) from None

    def _request(self, image: EncodedImage) -> dict[str, Any]:
        """The SDK call's keyword arguments for one image (protocol modules define it)."""
        raise NotImplementedError

    @staticmethod
    async def _parsed(raw: Any) -> Any:
        """``raw.parse()``, awaited when the SDK's raw response parses asynchronously."""
        result = raw.parse()
        return await result if inspect.isawaitable(result) else result

    def _label(self, headers: Any) -> str:
        """The endpoint that answered, marked when it declared itself a local test server."""
        simulated = str(headers.get(SIMULATED_HEADER) or "") == "1"
        return self.endpoint + (SIMULATED_SUFFIX if simulated else "")

    # -- running, in the worker ------------------------------------------------------------------

    def setup(self) -> None:
        """Start the worker's event loop and build the SDK client, reading the key from the
        environment here, in the worker. Idempotent."""
        with self._lock:
            if self._loop is not None:
                return
            p: VlmParams = self.params
            for name in QUIET_LOGGERS:
                if logging.getLogger(name).level == logging.NOTSET:
                    logging.getLogger(name).setLevel(logging.WARNING)
            if p.cache != "replay":
                key = os.environ.get(p.api_key_env, "") if p.api_key_env else ""
                self._client = self._make_client(key or "no-key")
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="phibench-vlm-loop", daemon=True).start()
            self._slots = asyncio.Semaphore(p.max_in_flight)
            self._loop = loop

    def close(self) -> None:
        """Close the SDK client's connections and stop the loop (``setup`` starts anew)."""
        with self._lock:
            loop, client, self._loop, self._client = self._loop, self._client, None, None
        if loop is None:
            return
        if client is not None:
            try:
                asyncio.run_coroutine_threadsafe(client.close(), loop).result(timeout=10)
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
        loop.call_soon_threadsafe(loop.stop)

    def detect(self, frame: Frame) -> Detection:
        return self.detect_many([frame])[0]

    def detect_many(self, frames: Any) -> list[Detection]:
        """Up to ``max_in_flight`` frames at once; one result per frame, in order; never raises."""
        self.setup()
        assert self._loop is not None
        frames = list(frames)
        if 0 < len(frames) < self.params.max_in_flight:
            self._log_once("batch", logging.INFO, "batches of %d frames keep at most %d of "
                           "detector.max_in_flight=%d requests busy; set run.batch_size=%d",
                           len(frames), len(frames), self.params.max_in_flight,
                           self.preferred_batch_size)
        try:
            cache = self._cache()
        except ConfigError as exc:  # no folder for the cache: every sample fails, saying why
            return [Detection.failed(SampleError.from_exception(f.sample.path, "detect", exc))
                    for f in frames]
        c0 = time.process_time()
        results = asyncio.run_coroutine_threadsafe(self._all(frames, cache), self._loop).result()
        cpu = (time.process_time() - c0) / max(1, len(frames))
        return [replace(d, cpu_s=cpu) for d in results]

    def _cache(self) -> ResponseCache | None:
        p: VlmParams = self.params
        if p.cache == "off":
            return None
        folder = cache_folder(p.cache_root, self.context.run_dir if self.context else None)
        if folder is None:
            raise ConfigError("detector.cache needs a folder: set detector.cache_root, or run "
                              "the detector inside a run (its run directory holds the cache), "
                              "or set detector.cache=off")
        return ResponseCache(folder)

    async def _all(self, frames: list[Frame], cache: ResponseCache | None) -> list[Detection]:
        return list(await asyncio.gather(*(self._one(f, cache) for f in frames)))

    async def _one(self, frame: Frame, cache: ResponseCache | None) -> Detection:
        assert self._slots is not None
        async with self._slots:
            t0 = time.perf_counter()
            try:
                det = await self._answer(frame, cache)
            except SampleFailure as exc:  # no answer came back: no endpoint answered
                det = Detection.failed(SampleError.from_exception(frame.sample.path, "detect", exc),
                                       attempts=getattr(exc, "attempts", 0))
            except Exception as exc:  # noqa: BLE001 - a bug fails the sample; text may hold PHI
                kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
                det = Detection.failed(SampleError(
                    frame.sample.path, "detect", kind,
                    "unexpected error in the VLM detector (message withheld: it may quote PHI)"))
            return replace(det, latency_s=time.perf_counter() - t0)

    async def _answer(self, frame: Frame, cache: ResponseCache | None) -> Detection:
        p: VlmParams = self.params
        key = ""
        if cache is not None:
            key = cache_key({**self._content_id(frame), **self._key_parts()})
            entry = cache.get(key)
            if entry is not None:
                return self._verdict(frame, Response.from_entry(entry), attempts=0)
        if p.cache == "replay":
            self._log_once("miss", logging.WARNING, "cache=replay: some samples have no recorded "
                           "response; they are errors")
            raise CacheMiss("no recorded response for this sample (detector.cache=replay); "
                            "record one with detector.cache=read_write")
        image = self._payload(frame)
        estimate = self._request_tokens(image)

        async def attempt() -> Response:
            await self.limiter.acquire_async(estimate)
            return await self._send(image)

        response, attempts = await call_with_retries(
            attempt, RetryPolicy(p.max_attempts, p.backoff_initial_s, p.backoff_max_s),
            self.budget, self.limiter, p.timeout_s)
        used = response.usage.input_tokens + response.usage.output_tokens
        if used == 0:
            self._log_once("usage", logging.WARNING, "the endpoint reports no token usage: "
                           "cost is not measured")
        else:
            self.limiter.settle(used - estimate)
        if cache is not None:
            cache.put(key, response.entry())
        return self._verdict(frame, response, attempts)

    def _request_tokens(self, image: EncodedImage) -> int:
        """The most tokens one request may use (prompt + image + max_tokens): its rate cost."""
        p: VlmParams = self.params
        prompt = text_tokens(self.prompt.system) + text_tokens(self.prompt.user)
        return prompt + self.image_tokens(p, image.width, image.height) + p.max_tokens

    def _verdict(self, frame: Frame, r: Response, attempts: int) -> Detection:
        common: dict[str, Any] = {"usage": r.usage, "endpoint": r.endpoint, "attempts": attempts}
        try:
            parsed = parse_answer(r.text, r.finish)
        except SampleFailure as exc:
            err = SampleError.from_exception(frame.sample.path, "detect", exc)
            return Detection.failed(err, **common)
        return Detection(parsed.has_phi, parsed.entities, **common)

    def _log_once(self, what: str, level: int, msg: str, *args: Any) -> None:
        """Log ``msg`` once per worker (numbers only: never a value from an image or answer)."""
        if what not in self._warned:
            self._warned.add(what)
            log.log(level, msg, *args)
