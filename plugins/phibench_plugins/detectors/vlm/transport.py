"""How one worker sends a detector's requests: event loop, in-flight slots, limits, retries, cache.

A :class:`Transport` knows nothing of any provider: a wire protocol (:mod:`.protocols`) connects
and gives it an async ``send(request) -> Response``; a detector gives it its frames and, per
frame, an async ``answer(frame, ask)`` that builds what identifies the request and the request
itself and calls ``ask`` (:meth:`Transport.exchange`). Requests run on one event loop per worker
process (a background thread), at most ``max_in_flight`` at once: one loop keeps 64 requests in
flight with less overhead than 64 threads handing the GIL to each other
(``benchmarks/README.md``). Per request:

1. look it up in the response cache (``cache=replay``: only there), keyed by content
   (:mod:`.cache`);
2. build it (only now: a cached answer costs no encoding), wait for the worker's rate limiter,
   send, retry transient failures (:mod:`.retry`, within the worker's retry budget);
3. correct the token bucket with the usage the response reports; record the complete response in
   the cache.

Any failure becomes that sample's error (stage ``detect``), with how many requests it took, never
a negative; an unexpected exception's text is withheld (it may quote PHI).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any, Protocol

from phibench.exceptions import ConfigError, SampleFailure
from phibench.frame import Frame
from phibench.records import Detection, SampleError
from phibench_plugins.detectors.vlm.cache import ResponseCache, cache_folder, cache_key
from phibench_plugins.detectors.vlm.errors import CacheMiss
from phibench_plugins.detectors.vlm.limits import RateLimiter, RetryBudget
from phibench_plugins.detectors.vlm.params import Response, VlmParams
from phibench_plugins.detectors.vlm.retry import RetryPolicy, call_with_retries

log = logging.getLogger(__name__)

QUIET_LOGGERS = ("httpx2", "httpcore2", "openai", "anthropic")
"""SDK loggers set to WARNING (unless configured): a line per request is noise in a run's log."""


class Wire(Protocol):
    """What the transport needs of a wire protocol (:class:`~.protocols.base.WireProtocol`)."""

    def connect(self) -> None: ...
    async def send(self, request: Any) -> Response: ...
    async def aclose(self) -> None: ...


Ask = Callable[[Callable[[], dict[str, Any]], Callable[[], tuple[Any, int]]],
               Awaitable[tuple[Response, int]]]
"""``await ask(key_parts, prepare)``: the response to one request and the attempts it took.
``key_parts()`` is what identifies the request (its cache key's parts); ``prepare()`` gives the
request and its most tokens, called only when the request has to be sent."""
Answer = Callable[[Frame, Ask], Awaitable[Detection]]


class Transport:
    """One detector's requests in one worker process; see the module docstring."""

    def __init__(self, p: VlmParams) -> None:
        self.max_in_flight = p.max_in_flight
        self.mode, self.cache_root = p.cache, p.cache_root
        self.timeout_s = p.timeout_s
        self.policy = RetryPolicy(p.max_attempts, p.backoff_initial_s, p.backoff_max_s)
        self.limiter = RateLimiter(p.requests_per_minute, p.tokens_per_minute)
        self.budget = RetryBudget(p.retry_budget_ratio, p.retry_budget_min)
        self._wire: Wire | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread_id: int | None = None
        self._slots: asyncio.Semaphore | None = None
        self._lock = threading.Lock()
        self._warned: set[str] = set()

    @property
    def preferred_batch_size(self) -> int:
        """Frames per batch that keep ``max_in_flight`` requests busy: each batch starts with a
        ramp and ends with a partial round, so more frames per batch waste less."""
        return 8 * self.max_in_flight

    # -- life, in the worker ---------------------------------------------------------------------

    def start(self, wire: Wire) -> None:
        """Connect ``wire`` (not for a replay: it sends nothing) and start the event loop.
        Idempotent."""
        with self._lock:
            if self._loop is not None:
                return
            for name in QUIET_LOGGERS:
                if logging.getLogger(name).level == logging.NOTSET:
                    logging.getLogger(name).setLevel(logging.WARNING)
            if self.mode != "replay":
                wire.connect()
                self._wire = wire
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="phibench-vlm-loop", daemon=True)
            thread.start()
            self._thread_id = thread.ident
            self._slots = asyncio.Semaphore(self.max_in_flight)
            self._loop = loop

    def close(self) -> None:
        """Close the wire's connections and stop the loop (:meth:`start` starts anew)."""
        with self._lock:
            loop, wire, self._loop, self._wire = self._loop, self._wire, None, None
        if loop is None:
            return
        if wire is not None:
            try:
                asyncio.run_coroutine_threadsafe(wire.aclose(), loop).result(timeout=10)
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
        loop.call_soon_threadsafe(loop.stop)

    # -- running ---------------------------------------------------------------------------------

    def run(self, frames: Sequence[Frame], answer: Answer, run_dir: str | None) -> list[Detection]:
        """``answer`` every frame, up to ``max_in_flight`` at once; one result per frame, in
        order, with its latency and a share of the batch's CPU time; never raises."""
        assert self._loop is not None, "Transport.start first"
        frames = list(frames)
        if 0 < len(frames) < self.max_in_flight:
            self._log_once("batch", logging.INFO, "batches of %d frames keep at most %d of "
                           "detector.max_in_flight=%d requests busy; set run.batch_size=%d",
                           len(frames), len(frames), self.max_in_flight, self.preferred_batch_size)
        try:
            cache = self.cache(run_dir)
        except ConfigError as exc:  # no folder for the cache: every sample fails, saying why
            return [Detection.failed(SampleError.from_exception(f.sample.path, "detect", exc))
                    for f in frames]
        c0 = time.process_time()
        results = asyncio.run_coroutine_threadsafe(self._all(frames, answer, cache),
                                                   self._loop).result()
        cpu = (time.process_time() - c0) / max(1, len(frames))
        return [replace(d, cpu_s=cpu) for d in results]

    def stream(self, frames: Iterable[Frame], answer: Answer,
               run_dir: str | None) -> Iterator[tuple[Frame, Detection]]:
        """``answer`` frames as they come, with no batch barrier: a frame is taken as soon as
        fewer than ``2 x max_in_flight`` are in the loop's hands (``max_in_flight`` sending, the
        rest ready to go the moment a slot frees). Yields ``(frame, detection)`` as answers
        return, one per frame, each with its latency and a share of the loop thread's CPU time
        (the renderer's, on another thread, is not the detector's); never raises for a sample."""
        assert self._loop is not None, "Transport.start first"
        try:
            cache = self.cache(run_dir)
        except ConfigError as exc:  # no folder for the cache: every sample fails, saying why
            for f in frames:
                yield f, Detection.failed(SampleError.from_exception(f.sample.path, "detect", exc))
            return
        window = 2 * self.max_in_flight
        pending: dict[concurrent.futures.Future[Detection], Frame] = {}
        it, more = iter(frames), True
        clock = self._loop_clock()
        while more or pending:
            while more and len(pending) < window:
                frame = next(it, None)
                if frame is None:
                    more = False
                    break
                pending[asyncio.run_coroutine_threadsafe(self._one(frame, answer, cache), self._loop)] = frame
            if not pending:
                break
            done, _ = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            cpu = clock() / len(done)
            for fut in done:
                yield pending.pop(fut), replace(fut.result(), cpu_s=cpu)

    def _loop_clock(self) -> Callable[[], float]:
        """CPU seconds the loop thread used since the last call (the process's where a thread's
        clock is not available)."""
        try:
            clock_id = time.pthread_getcpuclockid(self._thread_id)
            read: Callable[[], float] = lambda: time.clock_gettime(clock_id)  # noqa: E731
            read()
        except (AttributeError, OSError, TypeError):
            read = time.process_time
        last = [read()]

        def take() -> float:
            now = read()
            spent, last[0] = now - last[0], now
            return spent

        return take

    def cache(self, run_dir: str | None) -> ResponseCache | None:
        """The response cache (``None`` when off); ``run_dir``: the run's, when ``cache_root`` is
        null. Raises :class:`ConfigError` when neither says where."""
        if self.mode == "off":
            return None
        folder = cache_folder(self.cache_root, run_dir)
        if folder is None:
            raise ConfigError("detector.cache needs a folder: set detector.cache_root, or run "
                              "the detector inside a run (its run directory holds the cache), "
                              "or set detector.cache=off")
        return ResponseCache(folder)

    async def _all(self, frames: list[Frame], answer: Answer,
                   cache: ResponseCache | None) -> list[Detection]:
        return list(await asyncio.gather(*(self._one(f, answer, cache) for f in frames)))

    async def _one(self, frame: Frame, answer: Answer, cache: ResponseCache | None) -> Detection:
        assert self._slots is not None
        async with self._slots:
            t0 = time.perf_counter()
            try:
                det = await answer(frame, functools.partial(self.exchange, cache))
            except SampleFailure as exc:  # no answer came back: no endpoint answered
                det = Detection.failed(SampleError.from_exception(frame.sample.path, "detect", exc),
                                       attempts=getattr(exc, "attempts", 0))
            except Exception as exc:  # noqa: BLE001 - a bug fails the sample; text may hold PHI
                kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
                det = Detection.failed(SampleError(
                    frame.sample.path, "detect", kind,
                    "unexpected error in the VLM detector (message withheld: it may quote PHI)"))
            return replace(det, latency_s=time.perf_counter() - t0)

    async def exchange(self, cache: ResponseCache | None, key_parts: Callable[[], dict[str, Any]],
                       prepare: Callable[[], tuple[Any, int]]) -> tuple[Response, int]:
        """The response to one request, from the cache or sent, and the attempts it took (0 for
        a cached one). Raises :class:`~.errors.CacheMiss` or :class:`~.errors.RequestFailed`."""
        key = ""
        if cache is not None:
            key = cache_key(key_parts())
            entry = cache.get(key)
            if entry is not None:
                return Response.from_entry(entry), 0
        if self.mode == "replay":
            self._log_once("miss", logging.WARNING, "cache=replay: some samples have no recorded "
                           "response; they are errors")
            raise CacheMiss("no recorded response for this sample (detector.cache=replay); "
                            "record one with detector.cache=read_write")
        assert self._wire is not None
        request, estimate = prepare()
        wire = self._wire

        async def attempt() -> Response:
            await self.limiter.acquire_async(estimate)
            return await wire.send(request)

        response, attempts = await call_with_retries(
            attempt, self.policy, self.budget, self.limiter, self.timeout_s)
        used = response.usage.input_tokens + response.usage.output_tokens
        if used == 0:
            self._log_once("usage", logging.WARNING, "the endpoint reports no token usage: "
                           "cost is not measured")
        else:
            self.limiter.settle(used - estimate)
        if cache is not None:
            cache.put(key, response.entry())
        return response, attempts

    def _log_once(self, what: str, level: int, msg: str, *args: Any) -> None:
        """Log ``msg`` once per worker (numbers only: never a value from an image or answer)."""
        if what not in self._warned:
            self._warned.add(what)
            log.log(level, msg, *args)

