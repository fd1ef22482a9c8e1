"""The redaction stage of the pipeline: one file in, one redacted file out, per-frame facts back.

Runs after every planned frame of a file has its detection. The redactor chooses boxes; this
module applies the policy, pads and clips, masks every frame of the object (frames the dataset did
not plan are masked like the file's flagged ones), writes the file through
:func:`phibench.dicom.write_redacted`, and re-OCRs what it masked (:mod:`.verify`).

Failure is closed: if boxes cannot be chosen for a frame that must be redacted, no file is
written and each of the file's rows says why; with ``verify``, a written file that does not re-open and
decode is deleted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from phibench import ocr, worker
from phibench.detector import cpu_time
from phibench.dicom import frame_count, read_dataset, read_header, render_frame, write_redacted
from phibench.exceptions import SampleFailure
from phibench.frame import Frame
from phibench.records import Detection, GroundTruth, Sample, SampleError
from phibench.records.ground_truth import Box
from phibench.redaction import geometry, policy, verify
from phibench.redactor import Redactor, RedactorParams
from phibench.specs import PluginSpec

log = logging.getLogger(__name__)

VERIFY_ENGINE = "easyocr"
"""OCR engine that re-reads masked frames when the redactor names none of its own."""


@dataclass(frozen=True)
class RedactionSpec:
    """What a worker needs to redact: the redactor and where redacted files go."""

    redactor: PluginSpec
    out_dir: str
    """Absolute path of ``<run dir>/redacted``; on a cluster, storage every worker sees."""


@dataclass
class Item:
    """One planned frame of the file being redacted."""

    sample: Sample
    truth: GroundTruth
    frame: Frame | None
    """The rendered frame; ``None`` when reading or rendering it failed."""
    detection: Detection


def output_path(out_dir: str, path: str) -> Path:
    """``<out_dir>/<stem>_<10 hex of the input path's hash>.dcm``: readable, never colliding."""
    digest = hashlib.sha1(os.path.abspath(path).encode("utf-8")).hexdigest()[:10]
    return Path(out_dir) / f"{Path(path).stem}_{digest}.dcm"


def empty_columns() -> dict[str, Any]:
    """The redaction columns of a row when no redactor is configured."""
    return dict.fromkeys(COLUMNS)


COLUMNS = (
    "redaction",
    "redaction_reason",
    "redacted_path",
    "redaction_boxes",
    "pixels_changed",
    "image_height",
    "image_width",
    "residual_regions",
    "redact_error",
    "redact_error_stage",
    "redact_s",
    "redact_cpu_s",
)


class FileRedaction:
    """Redacts whole files with one redactor (built once per worker)."""

    def __init__(self, spec: RedactionSpec) -> None:
        self.redactor: Redactor = worker.instance(spec.redactor)
        self.params: RedactorParams = self.redactor.params
        self.out_dir = spec.out_dir

    def run(self, path: str, items: list[Item]) -> dict[str, dict[str, Any]]:
        """Redact ``path``; the redaction columns of each item's row, by sample id."""
        t0, c0 = time.perf_counter(), cpu_time()
        cols = {it.sample.sample_id: empty_columns() for it in items}
        decisions = {it.sample.sample_id: policy.decide(it.detection, self.params) for it in items}
        for it in items:
            c = cols[it.sample.sample_id]
            c["redaction_reason"] = decisions[it.sample.sample_id][1]
            if it.frame is not None:
                c["image_height"], c["image_width"] = (int(v) for v in it.frame.image.shape[:2])
        dst = output_path(self.out_dir, path)
        try:
            masks = self._masks(path, items, decisions)
            result = write_redacted(
                path,
                dst,
                masks,
                fill=self.params.fill,
                transfer_syntax=self.params.transfer_syntax,
                new_sop_instance_uid=self.params.new_sop_instance_uid,
            )
        except Exception as exc:  # noqa: BLE001 - recorded on each of the file's rows
            err = SampleError.from_exception(path, "redact", exc)
            for c in cols.values():
                c.update(redaction="failed", redact_error=str(err), redact_error_stage=err.stage)
            return self._timed(cols, t0, c0)
        changed = set(result.changed_frames)
        for it in items:
            c = cols[it.sample.sample_id]
            masked = it.sample.frame in changed
            c.update(
                redaction="masked" if masked else "untouched",
                redacted_path=result.path,
                redaction_boxes=json.dumps([list(b) for b in masks.get(it.sample.frame, [])]),
                pixels_changed=masked,
            )
            if decisions[it.sample.sample_id][0] and it.frame is None:
                c.update(
                    redaction="failed",
                    redact_error=f"redact: frame {it.sample.frame} could not be rendered, so its text "
                    "could not be located; it was not masked",
                    redact_error_stage="redact",
                )
        if self.params.verify and changed:
            self._verify(result.path, items, changed, cols)
        return self._timed(cols, t0, c0)

    # -- masks -------------------------------------------------------------------------------

    def _masks(
        self, path: str, items: list[Item], decisions: dict[str, tuple[bool, str]]
    ) -> dict[int, list[Box]]:
        """Padded boxes to fill per frame index, for planned and unplanned frames."""
        masks: dict[int, list[Box]] = {}
        flagged: Detection | None = None
        for it in items:
            do, _ = decisions[it.sample.sample_id]
            if not do or it.frame is None:
                continue
            masks[it.sample.frame] = self._frame_boxes(it.frame, it.detection)
            if flagged is None or it.detection.error is not None or it.detection.entities:
                flagged = it.detection
        planned = {it.sample.frame for it in items}
        if flagged is not None or self.params.redact_even_if_undetected:
            held = next((it.frame.header for it in items if it.frame and it.frame.header is not None), None)
            others = [i for i in range(frame_count(held or read_header(path))) if i not in planned]
            ds = (held or read_dataset(path)) if others else None
            for index in others:
                # Not planned by the dataset: masked like the file's flagged frames (fail closed).
                sample = Sample(f"{path}#{index}", path, index)
                frame = Frame(sample, render_frame(ds, index), ds)
                masks[index] = self._frame_boxes(frame, flagged or Detection(True))
        return masks

    def _frame_boxes(self, frame: Frame, detection: Detection) -> list[Box]:
        h, w = frame.image.shape[:2]
        try:
            chosen = self.redactor.boxes(frame, detection)
        except SampleFailure:
            raise
        except Exception as exc:
            msg = " ".join(str(exc).split())[:200]
            raise SampleFailure("redact", f"redactor failed on frame {frame.sample.frame}: "
                                f"{type(exc).__name__}: {msg}") from exc
        out: list[Box] = []
        for box in chosen:
            padded = geometry.pad(tuple(int(v) for v in box), self.params.padding, w, h)  # type: ignore[arg-type]
            if padded is not None:
                out.append(padded)
        return out

    # -- verification ------------------------------------------------------------------------

    def _verify(self, path: str, items: list[Item], changed: set[int], cols: dict[str, dict[str, Any]]) -> None:
        todo = {
            it.sample.frame: (it.sample, it.truth.regions)
            for it in items
            if it.sample.frame in changed and any(r.is_phi for r in it.truth.regions)
        }
        try:
            engine = self.redactor.verify_engine() or ocr.engine(VERIFY_ENGINE)
            found = verify.residual_regions(path, todo, engine)  # type: ignore[arg-type]
        except SampleFailure as exc:
            if exc.stage in ("read", "decode", "render"):
                # The written file does not re-open: it is no redacted copy. Remove it, fail closed.
                Path(path).unlink(missing_ok=True)
                err = SampleError.from_exception(path, "write", exc)
                for c in cols.values():
                    c.update(redaction="failed", redacted_path=None, pixels_changed=None,
                             redact_error=f"written file does not decode: {err}", redact_error_stage="write")
                return
            self._verify_failed(path, items, todo, cols, exc)
            return
        except Exception as exc:  # noqa: BLE001 - the file stays; its check is recorded as failed
            self._verify_failed(path, items, todo, cols, exc)
            return
        for it in items:
            if it.sample.frame in found:
                cols[it.sample.sample_id]["residual_regions"] = json.dumps(found[it.sample.frame])

    @staticmethod
    def _verify_failed(path: str, items: list[Item], todo: dict[int, Any], cols: dict[str, dict[str, Any]],
                       exc: BaseException) -> None:
        err = SampleError.from_exception(path, "verify", exc)
        for it in items:
            if it.sample.frame in todo:
                cols[it.sample.sample_id].update(redact_error=str(err), redact_error_stage="verify")

    @staticmethod
    def _timed(cols: dict[str, dict[str, Any]], t0: float, c0: float) -> dict[str, dict[str, Any]]:
        n = max(1, len(cols))
        wall, cpu = (time.perf_counter() - t0) / n, (cpu_time() - c0) / n
        for c in cols.values():
            c.update(redact_s=wall, redact_cpu_s=cpu)
        return cols
