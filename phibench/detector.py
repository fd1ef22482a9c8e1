"""Base class of detectors: given a rendered frame, is PHI burned in?"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import ClassVar

from phibench.exceptions import PluginError
from phibench.frame import Frame
from phibench.plugin import Plugin
from phibench.records import Detection, SampleError


def cpu_time() -> float:
    """CPU seconds of this process *and* its finished child processes (Tesseract runs as one;
    ``time.process_time`` alone would price a Tesseract-based detector at nearly nothing)."""
    t = os.times()
    return time.process_time() + t.children_user + t.children_system


class Detector(Plugin):
    """Answers, per frame, ``has_phi`` with the entities found, or an error.

    Subclasses implement :meth:`detect`. Remote detectors that want concurrency override
    :meth:`detect_many`, and :meth:`detect_stream` with ``streams = True`` to take frames as they
    are rendered. Raising from ``detect`` is fine: the core records the exception as a per-sample
    error (stage ``detect``), which is never scored as "no PHI".
    """

    kind: ClassVar[str] = "detector"

    needs_header: ClassVar[bool] = False
    """Whether this detector reads the DICOM header (``Frame.header``)."""

    preferred_batch_size: int = 0
    """Frames per :meth:`detect_many` call this detector needs to work well (concurrent remote
    detectors want several times their in-flight limit); the pipeline uses the larger of this and
    ``run.batch_size``. 0: no preference."""

    streams: ClassVar[bool] = False
    """True for a detector whose :meth:`detect_stream` takes frames one by one as they come and
    keeps its own concurrency busy (a remote model: a new request as soon as one returns). The
    pipeline then renders frames ahead on a thread while it waits (:mod:`phibench.pipeline`)."""

    def detect(self, frame: Frame) -> Detection:
        raise NotImplementedError

    def detect_many(self, frames: Sequence[Frame]) -> list[Detection]:
        """Detect on several frames; one result per frame, in order. Never raises.

        The default calls :meth:`detect` one frame at a time and measures wall and CPU time
        (child processes included, :func:`cpu_time`).
        """
        out: list[Detection] = []
        for frame in frames:
            t0, c0 = time.perf_counter(), cpu_time()
            try:
                det = self.detect(frame)
                if not isinstance(det, Detection):
                    raise PluginError(f"{type(self).__name__}.detect returned {type(det).__name__}, "
                                      f"not a phibench.records.Detection")
            except Exception as exc:  # noqa: BLE001 - any failure is that sample's error
                det = Detection.failed(SampleError.from_exception(frame.sample.path, "detect", exc))
            out.append(det.timed(time.perf_counter() - t0, cpu_time() - c0))
        return out

    def cost_usd(self, detection: Detection, price_per_core_hour_usd: float) -> float:
        """What this detection cost. Default: measured CPU time at the configured core-hour price.

        Remote detectors override this to price their token usage.
        """
        return detection.cpu_s / 3600.0 * price_per_core_hour_usd

    def cost_basis(self, price_per_core_hour_usd: float) -> str:
        """How :meth:`cost_usd` prices a detection, in words, for the scorecard."""
        return f"measured CPU time x ${price_per_core_hour_usd:g} per core-hour (run.price_per_core_hour_usd)"

    def detect_stream(self, frames: Iterable[Frame], batch_size: int = 1) -> Iterator[tuple[Frame, Detection]]:
        """``(frame, detection)`` for each of ``frames``, in any order, taking frames only as it
        needs them. The default hands ``batch_size`` frames at a time to :meth:`detect_many`,
        in order; a detector with ``streams = True`` overrides it (no batch barrier)."""
        it = iter(frames)
        while batch := list(islice(it, max(1, batch_size))):
            yield from zip(batch, self.detect_many(batch), strict=True)
