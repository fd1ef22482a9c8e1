"""Helpers for plugin authors' tests: a :class:`~phibench.frame.Frame` from a real DICOM file,
and a check that a detector keeps the contract the core relies on.

::

    from phibench.testing.plugins import check_detector, frame_from_dicom

    def test_my_detector_keeps_the_contract(tmp_path):
        frames = [frame_from_dicom(p) for p in my_dicom_files]
        detections = check_detector(MyDetector(), frames)
        assert detections[0].has_phi

The frame is read and rendered by the same code a run uses (:func:`phibench.dicom.read_dataset`,
:func:`phibench.dicom.render_frame`), so a detector sees in its test what it sees in a run.
"""

from __future__ import annotations

import copy
import hashlib
import pickle
from collections.abc import Sequence
from dataclasses import is_dataclass
from pathlib import Path

import numpy as np

from phibench.detector import Detector
from phibench.dicom import read_dataset, render_frame
from phibench.frame import Frame
from phibench.records import Detection, Sample


class ContractError(AssertionError):
    """A plugin broke the contract; the message says which rule, for which frame."""


def frame_from_dicom(path: str | Path, frame: int = 0, *, header: bool = True) -> Frame:
    """Frame ``frame`` of the DICOM file at ``path``, rendered as in a run (with its header,
    unless ``header=False``: what a detector with ``needs_header = False`` receives)."""
    ds = read_dataset(path)
    sample = Sample(sample_id=f"{Path(path).name}#{frame}", path=str(path), frame=frame, dataset="test")
    return Frame(sample, render_frame(ds, frame), ds if header else None)


def _fail(frame: Frame, rule: str) -> None:
    raise ContractError(f"{frame.sample.sample_id}: {rule}")


def check_detection(det: object, frame: Frame) -> Detection:
    """One answer against the rules the core relies on (see :class:`phibench.records.Detection`)."""
    if not isinstance(det, Detection):
        _fail(frame, f"detect() returned {type(det).__name__}, not a phibench.records.Detection")
    assert isinstance(det, Detection)
    if det.error is None and not isinstance(det.has_phi, bool):
        _fail(frame, "has_phi must be True or False when there is no error (None only with an error)")
    if det.confidence is not None and not 0.0 <= det.confidence <= 1.0:
        _fail(frame, f"confidence {det.confidence} is outside 0..1")
    for e in det.entities:
        if not isinstance(e.category, str) or not e.category:
            _fail(frame, f"entity category {e.category!r} must be a name (phibench.categories has the shared ones)")
        if e.box is not None:
            x, y, w, h = e.box
            rows, cols = frame.image.shape[:2]
            if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > cols + 1 or y + h > rows + 1:
                _fail(frame, f"entity box {e.box} is not inside the {cols}x{rows} frame")
        if e.score is not None and not 0.0 <= e.score <= 1.0:
            _fail(frame, f"entity score {e.score} is outside 0..1")
    if det.latency_s < 0 or det.cpu_s < 0 or det.attempts < 0:
        _fail(frame, "latency_s, cpu_s and attempts cannot be negative")
    return det


def check_detector(detector: Detector, frames: Sequence[Frame]) -> list[Detection]:
    """Run ``detector`` as the core does (``setup()``, then ``detect_many``) and check the
    contract: one valid :class:`Detection` per frame, in order; frames left unmodified; its
    ``Params`` a dataclass that pickles (it crosses to Spark workers); ``detect_many`` never
    raises (a failure is that frame's error). Returns the detections for further assertions."""
    if not is_dataclass(detector.params):
        raise ContractError(f"{type(detector).__name__}.Params must be a dataclass")
    try:
        pickle.loads(pickle.dumps(detector.params))
    except Exception as exc:  # noqa: BLE001 - any failure breaks the contract
        raise ContractError(f"{type(detector).__name__}'s params do not pickle: {exc}") from exc
    digests = [hashlib.sha256(np.ascontiguousarray(f.image).tobytes()).hexdigest() for f in frames]
    sent = [copy.copy(f) for f in frames]
    detector.setup()
    try:
        out = list(detector.detect_many(sent))
    except Exception as exc:  # noqa: BLE001 - any failure breaks the contract
        raise ContractError(f"detect_many raised {type(exc).__name__}: it must return an error "
                            f"Detection for the frame that failed") from exc
    if len(out) != len(frames):
        raise ContractError(f"detect_many returned {len(out)} detections for {len(frames)} frames")
    for f, d, digest in zip(frames, out, digests):
        check_detection(d, f)
        if hashlib.sha256(np.ascontiguousarray(f.image).tobytes()).hexdigest() != digest:
            _fail(f, "the detector modified the frame's pixels (Frame.image is shared by every stage)")
    return out
