"""Test-only detectors for the streaming pipeline (``PHIBENCH_EXTRA_PLUGINS=tests.pipeline.plugin``).

``pixel_oracle`` answers from the pixels alone (a deterministic function of the frame), the way
a detector that takes batches does; ``pixel_oracle_stream`` gives the same answers as a
streaming detector (``streams = True``): it takes frames one by one, holds up to ``window`` of
them and answers them out of order, as a remote model's replies return. A share of frames
(``fail``, by a hash of the sample id) raise, so errors take part too. ``delay_s`` slows each
answer, so that a renderer running ahead fills its queue; ``live`` records the most frames alive
in the process at once (``Frame`` instances, counted with :mod:`gc`).
"""

from __future__ import annotations

import gc
import hashlib
import time
from dataclasses import dataclass

import numpy as np

from phibench import hookimpl
from phibench.detector import Detector
from phibench.frame import Frame
from phibench.records import Detection, SampleError

PEAK = {"live": 0, "checks": 0}


def _share(sample_id: str) -> float:
    return int(hashlib.sha256(sample_id.encode()).hexdigest()[:8], 16) / 2**32


def answer(frame: Frame, fail: float) -> Detection:
    if _share(frame.sample.sample_id) < fail:
        raise TimeoutError("no answer")
    image = np.asarray(frame.image)
    digest = int(hashlib.sha256(image.tobytes()).hexdigest()[:8], 16)
    return Detection(has_phi=digest % 3 == 0, confidence=0.5 + (digest % 100) / 200)


class PixelOracle(Detector):
    @dataclass
    class Params:
        fail: float = 0.1
        delay_s: float = 0.0
        window: int = 4
        count_live: bool = False

    def detect(self, frame):
        time.sleep(self.params.delay_s)
        return answer(frame, self.params.fail)


class PixelOracleStream(PixelOracle):
    streams = True

    def detect_stream(self, frames, batch_size=1):
        held = []
        for n, frame in enumerate(frames):
            held.append(frame)
            if self.params.count_live and n % 5 == 0:
                PEAK["live"] = max(PEAK["live"], sum(isinstance(o, Frame) for o in gc.get_objects()))
                PEAK["checks"] += 1
            if len(held) >= self.params.window:
                yield from self._answer_all(held)
                held = []
        yield from self._answer_all(held)

    def _answer_all(self, held):
        for frame in reversed(held):  # out of order, as answers return
            time.sleep(self.params.delay_s)
            try:
                det = answer(frame, self.params.fail)
            except Exception as exc:  # noqa: BLE001 - the sample's error, as detect_many records it
                det = Detection.failed(SampleError.from_exception(frame.sample.path, "detect", exc))
            yield frame, det


class DropsFrames(PixelOracleStream):
    """Answers every other frame only, then raises: the frames it held must fail, closed."""

    def detect_stream(self, frames, batch_size=1):
        for n, frame in enumerate(frames):
            if n == 7:
                raise RuntimeError("the detector's connection broke")
            if n % 2 == 0:
                yield frame, answer(frame, 0.0)


@hookimpl
def phibench_register_detectors(register):
    register.add("pixel_oracle", PixelOracle)
    register.add("pixel_oracle_stream", PixelOracleStream)
    register.add("drops_frames", DropsFrames)
