"""The OCR-then-LLM baseline (``detector=ocr_llm``): an OCR engine reads the frame, a text model
says which of the text is PHI — the design the literature used before vision-language models.

Per frame:

1. Any registered OCR engine reads the frame (:func:`phibench.ocr.read_frame`: once per frame and
   engine configuration, so a redactor on the same engine does not read it again). Boxes less
   sure than ``min_ocr_confidence`` are dropped; the rest are joined into lines in reading order
   (:func:`.local.build_lines`). An OCR failure is the sample's stage-``ocr`` error.
2. **No text, no request**: a frame in which the OCR reads nothing is answered "no PHI" without
   calling the model (no attempt, no tokens, no endpoint) — for this design a frame with no
   readable text has no readable PHI. (That is the baseline's blind spot, and it is measured:
   PHI the OCR misses counts as a false negative.)
3. Otherwise the lines go, one per line, into the prompt (``vlm/prompts/ocr_text_phi_v1.yaml``,
   where ``{ocr_text}`` stands) and to a chat-completions endpoint. Sending, concurrency, rate
   limits, retries, the response cache, pricing, endpoint labels and the fail-closed parsing of
   the answer are the VLM detectors' own parts, held here as they are by :class:`.vlm.VlmDetector`:
   the chat-completions protocol (:class:`.vlm.protocols.OpenAIChat`) and a
   :class:`.vlm.transport.Transport`. Only what a request carries differs (text instead of an
   image). The cache keys on the OCR text.
4. Each PHI span of the answer is located in the OCR lines with the OCR-noise tolerant matcher
   of the local detector (:func:`.fuzzy.find_approx`, rapidfuzz underneath), so its entities have
   boxes an entity-level redactor can mask. A span found on no line keeps no box.

Cost: the measured tokens at the model's price (the VLM plugin's ``pricing.yaml``) plus the measured CPU
time — the OCR's and the client's — at ``run.price_per_core_hour_usd``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Optional

from phibench import ocr
from phibench.detector import Detector, cpu_time
from phibench.exceptions import ConfigError, SampleFailure
from phibench.frame import Frame
from phibench.ocr import OcrSettings, UsesOcrEngine, ocr_field
from phibench.records import Detection, Entity, SampleError
from phibench_plugins.detectors import fuzzy
from phibench_plugins.detectors.local import Line, build_lines
from phibench_plugins.detectors.vlm.detector import verdict
from phibench_plugins.detectors.vlm.estimator import Estimator
from phibench_plugins.detectors.vlm.params import FINGERPRINT_EXCLUDE, VlmParams, check
from phibench_plugins.detectors.vlm.pricing import Price, price_of
from phibench_plugins.detectors.vlm.prompt import Prompt, load_prompt
from phibench_plugins.detectors.vlm.protocols import OpenAIChat
from phibench_plugins.detectors.vlm.transport import Ask, Transport

PLACEHOLDER = "{ocr_text}"
"""Where the prompt's user text takes the OCR text."""


@dataclass(frozen=True)
class OcrLlmParams(VlmParams):
    """:class:`VlmParams` (the image settings unused) plus the OCR's and the text request's."""

    model: str = "gpt-4o-mini"
    api_key_env: Optional[str] = "OPENAI_API_KEY"  # noqa: UP007 - OmegaConf needs Optional
    """Name of the environment variable holding the key; null: the server takes none."""
    prompt: str = "ocr_text_phi_v1"
    """Prompt file; its user text must hold ``{ocr_text}``."""
    ocr: OcrSettings = ocr_field("easyocr")
    """The OCR engine and its parameters (``detector.ocr.name=rapidocr``,
    ``+detector.ocr.params.mag_ratio=1.5``)."""
    min_ocr_confidence: float = 0.05
    """OCR boxes the engine is less sure of than this are not sent."""
    line_gap: float = 2.5
    """Boxes on one row are joined into a line when the gap is at most this many text heights."""
    json_mode: bool = False
    """Ask for ``response_format: json_object`` (OpenAI, vLLM; not every server has it)."""
    expected_ocr_tokens: int = 50
    """Tokens of a frame's OCR text assumed by `phibench estimate` (the real count is measured)."""


class OcrLlmDetector(UsesOcrEngine, Detector):
    """OCR, then a text model behind an OpenAI-compatible chat-completions endpoint: an OCR
    engine, a protocol and a transport."""

    Params = OcrLlmParams
    fingerprint_exclude: ClassVar[tuple[str, ...]] = FINGERPRINT_EXCLUDE
    sends_image: ClassVar[bool] = False
    """Its requests carry text, not an image (a simulated server cannot key on them by image)."""

    def __init__(self, params: OcrLlmParams | None = None) -> None:
        super().__init__(params)
        p: OcrLlmParams = self.params
        check(p, f"VLM detector ({type(self).__name__})")
        OpenAIChat.check(p)
        self.prompt: Prompt = load_prompt(p.prompt)
        self.price: Price = price_of(p)
        self.protocol = OpenAIChat(p, self.prompt)
        self.transport = Transport(p)
        if PLACEHOLDER not in self.prompt.user:
            raise ConfigError(f"detector.prompt {p.prompt!r}: the ocr_llm detector needs a "
                              f"prompt whose user text holds {PLACEHOLDER} (where the OCR text "
                              f"goes), like the shipped prompt ocr_text_phi_v1")
        if not 0.0 <= p.min_ocr_confidence <= 1.0 or p.line_gap <= 0:
            raise ConfigError("detector.min_ocr_confidence must be in [0, 1] and "
                              "detector.line_gap positive")

    @classmethod
    def estimator(cls, params: OcrLlmParams) -> Estimator:
        """No image is sent: the estimate counts ``expected_ocr_tokens`` of OCR text instead (and
        prices tokens only: the OCR's CPU time is measured in runs, not estimated)."""
        return Estimator(params, lambda w, h: int(params.expected_ocr_tokens))

    @property
    def endpoint(self) -> str:
        return self.protocol.endpoint

    @property
    def preferred_batch_size(self) -> int:
        return self.transport.preferred_batch_size

    def describe(self) -> dict[str, Any]:
        p: OcrLlmParams = self.params
        out = {"kind": "ocr_llm", **self.protocol.identity(), "max_in_flight": p.max_in_flight,
               "price": self.price.describe(), "json_mode": p.json_mode, "ocr": p.ocr.name,
               "min_ocr_confidence": p.min_ocr_confidence, "line_gap": p.line_gap}
        if self._engine is not None:
            out.update({f"ocr_{k}": v for k, v in self._engine.describe().items()})
        return out

    def cost_usd(self, detection: Detection, price_per_core_hour_usd: float) -> float:
        return (self.price.cost(detection.usage)
                + detection.cpu_s / 3600.0 * price_per_core_hour_usd)

    def cost_basis(self, price_per_core_hour_usd: float) -> str:
        return (f"{self.price.basis()} + measured CPU time (OCR and client) x "
                f"${price_per_core_hour_usd:g} per core-hour (run.price_per_core_hour_usd)")

    # -- running, in the worker ------------------------------------------------------------------

    def setup(self) -> None:
        """The OCR engine from the per-process cache (its model loads once per worker), then the
        protocol's client and the transport's event loop."""
        self.engine
        self.transport.start(self.protocol)

    def close(self) -> None:
        self.transport.close()

    def lines(self, frame: Frame) -> list[Line]:
        """The frame's OCR lines in reading order (read once per frame; a failure raises a
        stage-``ocr`` :class:`SampleFailure`)."""
        p: OcrLlmParams = self.params
        boxes = [b for b in ocr.read_frame(self.engine, frame)
                 if b.confidence >= p.min_ocr_confidence]
        return build_lines(boxes, p.line_gap) if boxes else []

    def ocr_text(self, frame: Frame) -> str:
        """What the model is shown: one OCR line per line. PHI: never log it."""
        return "\n".join(line.text for line in self.lines(frame))

    def detect(self, frame: Frame) -> Detection:
        return self.detect_many([frame])[0]

    def detect_many(self, frames: Sequence[Frame]) -> list[Detection]:
        """OCR each frame here, then ask about the frames with text, concurrently, through the
        transport. One result per frame, in order; never raises."""
        self.setup()
        frames = list(frames)
        out: list[Detection | None] = [None] * len(frames)
        spent: dict[int, tuple[float, float]] = {}
        for i, frame in enumerate(frames):
            t0, c0 = time.perf_counter(), cpu_time()
            out[i] = self._read(frame)
            spent[i] = (time.perf_counter() - t0, cpu_time() - c0)
        ask = [i for i, d in enumerate(out) if d is None]
        if ask:
            run_dir = self.context.run_dir if self.context else None
            asked = self.transport.run([frames[i] for i in ask], self._answer, run_dir)
            for i, det in zip(ask, asked, strict=True):
                out[i] = det
        done: list[Detection] = []
        for i, det in enumerate(out):
            assert det is not None
            wall, cpu = spent[i]
            done.append(replace(det, latency_s=det.latency_s + wall, cpu_s=det.cpu_s + cpu))
        return done

    def _read(self, frame: Frame) -> Detection | None:
        """OCR ``frame``: ``None`` when it has text to ask about, else its final detection."""
        try:
            if self.lines(frame):
                return None
        except SampleFailure as exc:  # from read_frame: stage "ocr"
            return Detection.failed(SampleError.from_exception(frame.sample.path, "ocr", exc))
        except Exception as exc:  # noqa: BLE001 - a bug fails the sample; text may hold PHI
            kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
            return Detection.failed(SampleError(
                frame.sample.path, "detect", kind,
                "unexpected error joining OCR lines (message withheld: it may quote PHI)"))
        return Detection(False)  # nothing readable: nothing asked, no tokens, no endpoint

    def key_parts(self, frame: Frame) -> dict[str, Any]:
        """What the cache key of ``frame``'s request is the hash of: the OCR text and everything
        that shapes a text request (no image: its settings shape nothing)."""
        text = self.ocr_text(frame)
        return {"ocr_text_sha256": hashlib.sha256(text.encode()).hexdigest(),
                **self.protocol.key_parts()}

    async def _answer(self, frame: Frame, ask: Ask) -> Detection:
        def prepare() -> tuple[dict[str, Any], int]:
            user = self.prompt.user.replace(PLACEHOLDER, self.ocr_text(frame))
            return self.protocol.request(user), self.protocol.request_tokens(user)

        response, attempts = await ask(lambda: self.key_parts(frame), prepare)
        det = verdict(frame, response, attempts)
        if not det.entities:
            return det
        return replace(det, entities=locate(det.entities, self.lines(frame)))


def locate(entities: Sequence[Entity], lines: Sequence[Line]) -> tuple[Entity, ...]:
    """``entities`` with the boxes of the OCR text they quote.

    A span is searched in every line with :func:`.fuzzy.find_approx` (case, spacing, punctuation
    and OCR look-alikes ignored; a few edits tolerated by length; digit runs not cut); it gets
    the box of its closest occurrence, and one more entity per equally close occurrence on
    other lines (a name printed twice is masked twice). A span found nowhere keeps no box.
    """
    out: list[Entity] = []
    for entity in entities:
        needle = fuzzy.canon(entity.text)
        found = []
        for line in lines if needle else ():
            m = fuzzy.find_approx(needle, line.text)
            if m is not None:
                found.append((m.edits, line.box_of(m.start, m.end)))
        if not found:
            out.append(entity)
            continue
        best = min(edits for edits, _ in found)
        boxes = list(dict.fromkeys(box for edits, box in found if edits == best))
        out += [replace(entity, box=box) for box in boxes]
    return tuple(out)
