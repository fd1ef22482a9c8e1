"""The VLM detector: a wire protocol and a transport, held, not inherited.

One class serves every vision-language model. What differs between ``gpt4o``, ``claude`` and
``llama4_maverick`` is data: the wire protocol (:mod:`.protocols`) and the parameters' defaults,
registered by :mod:`.presets`: :class:`OpenAIChatDetector` or :class:`AnthropicMessagesDetector`
under a name with its defaults (a registered instance, not a subclass). Per sample:

1. the cache key: the rendered pixels' hash with everything that shapes the request
   (:meth:`VlmDetector.key_parts`);
2. on a cache miss, the request: the frame encoded (long side cut to ``image_long_side``, JPEG or
   PNG) with the prompt's user text, in the protocol's form;
3. the transport (:mod:`.transport`) answers it from the cache or sends it, with limits and
   retries; the answer is parsed fail-closed (:mod:`.parse`) by :func:`verdict`.

The API key is read from the environment variable named by ``api_key_env`` in the worker, when
the protocol connects; it is never part of the parameters, the description, a log line or a file.
A key pasted into ``base_url`` (user info or a query parameter) reaches the SDK client and nothing
else: every endpoint the detector reports is :func:`~.params.endpoint_label`'s, redacted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar

from phibench.detector import Detector
from phibench.exceptions import SampleFailure
from phibench.frame import Frame
from phibench.records import Detection, SampleError
from phibench_plugins.detectors.vlm.estimator import Estimator
from phibench_plugins.detectors.vlm.image import EncodedImage, encode_image, pixels_sha256
from phibench_plugins.detectors.vlm.params import FINGERPRINT_EXCLUDE, Response, VlmParams, check
from phibench_plugins.detectors.vlm.parse import parse_answer
from phibench_plugins.detectors.vlm.pricing import Price, price_of
from phibench_plugins.detectors.vlm.prompt import Prompt, load_prompt
from phibench_plugins.detectors.vlm.protocols import AnthropicMessages, OpenAIChat
from phibench_plugins.detectors.vlm.protocols.base import WireProtocol
from phibench_plugins.detectors.vlm.transport import Ask, Transport


class VlmDetector(Detector):
    """A vision-language model behind a wire protocol; see the module docstring. The registered
    detectors are the two protocols' classes below under names with their own defaults
    (:mod:`.presets`)."""

    Params: ClassVar[type] = VlmParams
    fingerprint_exclude: ClassVar[tuple[str, ...]] = FINGERPRINT_EXCLUDE
    wire: ClassVar[type[WireProtocol]] = WireProtocol
    """The wire protocol's class; each detector holds one instance (:attr:`protocol`)."""
    sends_image: ClassVar[bool] = True
    streams: ClassVar[bool] = True

    def __init__(self, params: VlmParams | None = None) -> None:
        super().__init__(params)
        p: VlmParams = self.params
        check(p, f"VLM detector ({self.wire.name}, model {p.model or '(none)'})")
        self.wire.check(p)
        self.prompt: Prompt = load_prompt(p.prompt)
        self.price: Price = price_of(p)
        self.protocol: WireProtocol = self.wire(p, self.prompt)
        self.transport = Transport(p)

    @classmethod
    def estimator(cls, params: VlmParams) -> Estimator:
        """Dry-run estimates (``phibench estimate``): needs no key and sends nothing."""
        return Estimator(params, lambda w, h: cls.wire.image_tokens(params, w, h))

    @classmethod
    def request_image(cls, params: VlmParams, image: Any) -> EncodedImage:
        """The image a request with ``params`` carries for a rendered frame: the bytes the
        endpoint receives (the simulated server's ground-truth mode keys on their hash)."""
        return encode_image(image, params.image_long_side, params.image_format,
                            params.jpeg_quality)

    @property
    def endpoint(self) -> str:
        return self.protocol.endpoint

    def describe(self) -> dict[str, Any]:
        p: VlmParams = self.params
        image = {"long_side": p.image_long_side, "format": p.image_format,
                 **self.protocol.image_options()}
        return {"kind": "vlm", **self.protocol.identity(), "image": image,
                "max_in_flight": p.max_in_flight, "price": self.price.describe()}

    def cost_usd(self, detection: Detection, price_per_core_hour_usd: float) -> float:
        return self.price.cost(detection.usage)

    def cost_basis(self, price_per_core_hour_usd: float) -> str:
        return self.price.basis()

    @property
    def preferred_batch_size(self) -> int:
        """Frames per ``detect_many`` call that keep ``max_in_flight`` requests busy; the
        pipeline uses it when ``run.batch_size`` is smaller."""
        return self.transport.preferred_batch_size

    def key_parts(self, frame: Frame) -> dict[str, Any]:
        """What the cache key of ``frame``'s request is the hash of: the rendered pixels and
        everything that shapes the request."""
        p: VlmParams = self.params
        return {"pixels": pixels_sha256(frame.image), **self.protocol.key_parts(),
                "image": [p.image_long_side, p.image_format, p.jpeg_quality],
                **self.protocol.image_options()}

    # -- running, in the worker ------------------------------------------------------------------

    def setup(self) -> None:
        """Connect the protocol (the key is read here, in the worker) and start the transport's
        event loop. Idempotent."""
        self.transport.start(self.protocol)

    def close(self) -> None:
        self.transport.close()

    def detect(self, frame: Frame) -> Detection:
        return self.detect_many([frame])[0]

    def detect_many(self, frames: Sequence[Frame]) -> list[Detection]:
        """Up to ``max_in_flight`` frames at once; one result per frame, in order; never raises."""
        self.setup()
        run_dir = self.context.run_dir if self.context else None
        return self.transport.run(frames, self._answer, run_dir)

    def detect_stream(self, frames: Iterable[Frame], batch_size: int = 1) -> Iterator[tuple[Frame, Detection]]:
        """Frames as they are rendered, ``max_in_flight`` requests busy throughout (no batch
        barrier; ``batch_size`` does not apply); answers in the order they return."""
        self.setup()
        run_dir = self.context.run_dir if self.context else None
        return self.transport.stream(frames, self._answer, run_dir)

    async def _answer(self, frame: Frame, ask: Ask) -> Detection:
        def prepare() -> tuple[dict[str, Any], int]:
            image = self.request_image(self.params, frame.image)
            user = self.prompt.user
            return self.protocol.request(user, image), self.protocol.request_tokens(user, image)

        response, attempts = await ask(lambda: self.key_parts(frame), prepare)
        return verdict(frame, response, attempts)


def verdict(frame: Frame, r: Response, attempts: int) -> Detection:
    """The detection a complete response gives: its verdict, or its error (stage ``detect``),
    with the tokens it used, which endpoint answered and how many requests it took."""
    common: dict[str, Any] = {"usage": r.usage, "endpoint": r.endpoint, "attempts": attempts}
    try:
        parsed = parse_answer(r.text, r.finish)
    except SampleFailure as exc:
        return Detection.failed(SampleError.from_exception(frame.sample.path, "detect", exc),
                                **common)
    return Detection(parsed.has_phi, parsed.entities, **common)


class OpenAIChatDetector(VlmDetector):
    """A VLM behind the OpenAI chat completions API (OpenAI, Databricks, vLLM, Ollama, ...)."""

    Params: ClassVar[type] = OpenAIChat.Params
    wire: ClassVar[type[WireProtocol]] = OpenAIChat


class AnthropicMessagesDetector(VlmDetector):
    """A VLM behind the Anthropic messages API."""

    Params: ClassVar[type] = AnthropicMessages.Params
    wire: ClassVar[type[WireProtocol]] = AnthropicMessages
