"""The redaction stage of the pipeline: one file in, one redacted file out, per-frame facts back.

Runs after every planned frame of a file has its detection. The redactor chooses boxes; this
module applies the policy, pads and clips, masks every frame of the object (frames the dataset did
not plan are masked like the file's flagged ones), writes the file through
:func:`phibench.dicom.write_redacted`, and re-OCRs what it masked (:mod:`.verify`).

Failure is closed. Nothing under ``redacted/`` ever holds pixels that were not cleaned: if any
frame that must be masked (by the policy, including unplanned frames masked like the flagged ones)
has no mask -- it could not be rendered, so its text could not be located, or the redactor raised
-- no file is written, and every row of the file says ``redaction=failed``, which frame and why,
with ``redacted_path`` null. A copy of the same input left under ``redacted/`` by an earlier
attempt is removed when this attempt fails; with ``verify``, a written file that does not re-open
and decode is deleted the same way. ``redactor.quarantine=true`` copies such an input, unchanged,
to ``<run dir>/quarantine/`` instead (column ``quarantine_path``). Output files are owner-only
(0600) and so are the two folders (0700).
"""

from __future__ import annotations

import contextlib
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
from phibench.dicom import write_redacted
from phibench.dicom.write import DIR_MODE, copy_file
from phibench.exceptions import SampleFailure
from phibench.frame import Frame
from phibench.images import SUFFIXES, sniff, write_redacted_image
from phibench.records import Detection, GroundTruth, ResultRow, Sample, SampleError
from phibench.records.ground_truth import Box
from phibench.redaction import geometry, policy, verify
from phibench.redactor import Redactor, RedactorParams
from phibench.sources import DicomSource, count_frames, open_source
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
    quarantine_dir: str | None = None
    """Where ``redactor.quarantine=true`` copies files that could not be cleaned; ``None``:
    ``quarantine/`` beside ``out_dir`` (``<run dir>/quarantine``)."""


@dataclass
class Item:
    """One planned frame of the file being redacted."""

    sample: Sample
    truth: GroundTruth
    frame: Frame | None
    """The rendered frame; ``None`` when reading or rendering it failed."""
    detection: Detection


def output_path(out_dir: str, path: str) -> Path:
    """``<out_dir>/<stem>_<10 hex of the input path's hash>.dcm``: readable, never colliding.
    A non-DICOM input keeps its format, so its copy's suffix is its kind's (``.png``, ``.jpg``,
    ``.tif``, ``.svs``: :data:`phibench.images.SUFFIXES`, by content)."""
    digest = hashlib.sha1(os.path.abspath(path).encode("utf-8")).hexdigest()[:10]
    kind = sniff(path)
    return Path(out_dir) / f"{Path(path).stem}_{digest}{SUFFIXES[kind] if kind else '.dcm'}"


def empty_columns() -> dict[str, Any]:
    """The redaction columns of a row when no redactor is configured (all null: the defaults
    of :class:`~phibench.records.ResultRow`); the stage starts each row's columns from it."""
    return dict.fromkeys(COLUMNS)


def abandoned_columns(spec: RedactionSpec, path: str, message: str) -> dict[str, Any]:
    """The redaction columns of a row whose file was never redacted to the end (e.g. its worker
    died): ``failed``, and no copy of ``path`` left under ``redacted/`` (an earlier attempt's, or
    one written just before the worker died, is removed: nothing vouches for it)."""
    cols = empty_columns()
    try:
        output_path(spec.out_dir, path).unlink(missing_ok=True)
    except OSError as exc:
        message = f"{message}; a copy from an earlier attempt could not be removed ({exc.strerror})"
    cols.update(redaction="failed", redact_error=message, redact_error_stage="redact")
    return cols


COLUMNS = ResultRow.redaction_columns()
"""The redaction columns of a result row, in column order (the fields of
:class:`~phibench.records.ResultRow` marked ``group=REDACTION``, each documented there).
``quarantine_path`` (null unless ``redactor.quarantine=true`` and the file could not be cleaned)
is the unchanged input's copy under ``<run dir>/quarantine/``."""


class Unmaskable(SampleFailure):
    """Frames that must be masked have no mask: the file gets no redacted copy."""

    def __init__(self, reasons: dict[str, list[int]], note: str = "") -> None:
        parts, n = [], 0
        for reason, frames in reasons.items():
            n += len(frames)
            which = f"frame {frames[0]}" if len(frames) == 1 else "frames " + ", ".join(map(str, frames))
            parts.append(f"{which}{note} could not be rendered ({reason})")
        its = "its text" if n == 1 else "their text"
        super().__init__("redact", f"{'; '.join(parts)}: {its} could not be located, so it could not be masked")


def _private_dir(path: Path) -> None:
    """Make ``path`` (``redacted/`` or ``quarantine/``) and keep it owner-only; a folder that
    cannot be made private gets no file (stage ``write``)."""
    try:
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        if path.stat().st_mode & 0o777 != DIR_MODE:
            path.chmod(DIR_MODE)
    except OSError as exc:  # str(exc) would carry the path; strerror does not
        raise SampleFailure("write", f"cannot make the {path.name}/ folder owner-only: "
                            f"{exc.strerror or type(exc).__name__}") from exc


class FileRedaction:
    """Redacts whole files with one redactor (built once per worker)."""

    def __init__(self, spec: RedactionSpec) -> None:
        self.redactor: Redactor = worker.instance(spec.redactor)
        self.params: RedactorParams = self.redactor.params
        self.out_dir = spec.out_dir
        self.quarantine_dir = spec.quarantine_dir or str(Path(spec.out_dir).parent / "quarantine")

    def run(self, path: str, items: list[Item]) -> dict[str, dict[str, Any]]:
        """Redact ``path``; the redaction columns of each item's row, by sample id. Never raises."""
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
            _private_dir(Path(self.out_dir))
            write = write_redacted_image if sniff(path) is not None else write_redacted
            result = write(
                path,
                dst,
                masks,
                fill=self.params.fill,
                transfer_syntax=self.params.transfer_syntax,
                new_sop_instance_uid=self.params.new_sop_instance_uid,
            )
            changed = set(result.changed_frames)
            for it in items:
                masked = it.sample.frame in changed
                cols[it.sample.sample_id].update(
                    redaction="masked" if masked else "untouched",
                    redacted_path=result.path,
                    redaction_boxes=json.dumps([list(b) for b in masks.get(it.sample.frame, [])]),
                    pixels_changed=masked,
                )
            with contextlib.suppress(OSError):  # an earlier attempt's quarantined input is superseded
                output_path(self.quarantine_dir, path).unlink(missing_ok=True)
            if self.params.verify and changed:
                self._verify(result.path, items, changed, cols)
        except Exception as exc:  # noqa: BLE001 - recorded on each of the file's rows
            err = SampleError.from_exception(path, "redact", exc)
            self._fail(path, cols, f"redact: {exc}" if isinstance(exc, Unmaskable) else str(err), err.stage)
        return self._timed(cols, t0, c0)

    def _fail(self, path: str, cols: dict[str, dict[str, Any]], message: str, stage: str) -> None:
        """No redacted copy of ``path``: remove any (an earlier attempt's too), quarantine the
        input if asked, and mark every row of the file failed."""
        notes = [message, "no redacted copy of the file was written"]
        try:
            output_path(self.out_dir, path).unlink(missing_ok=True)
        except OSError as exc:
            notes.append(f"a copy from an earlier attempt could not be removed ({exc.strerror})")
        quarantined = None
        if self.params.quarantine:
            target = output_path(self.quarantine_dir, path)
            try:
                _private_dir(target.parent)
                copy_file(path, target)
                quarantined = str(target)
            except Exception as exc:  # noqa: BLE001 - the failure is recorded, the file is not
                notes.append(f"could not be quarantined ({' '.join(str(exc).split())[:120]})")
        for c in cols.values():
            c.update(redaction="failed", redacted_path=None, redaction_boxes=None, pixels_changed=None,
                     residual_regions=None, redact_error="; ".join(notes), redact_error_stage=stage)
            c["quarantine_path"] = quarantined

    # -- masks -------------------------------------------------------------------------------

    def _masks(
        self, path: str, items: list[Item], decisions: dict[str, tuple[bool, str]]
    ) -> dict[int, list[Box]]:
        """Padded boxes to fill per frame index, for planned and unplanned frames. Raises
        :class:`Unmaskable` when a frame that must be masked cannot be rendered."""
        unrendered: dict[str, list[int]] = {}
        for it in items:
            if decisions[it.sample.sample_id][0] and it.frame is None:
                err = it.detection.error
                reason = f"{err.stage}: {err.message}" if err is not None else "no image"
                unrendered.setdefault(reason, []).append(it.sample.frame)
        if unrendered:
            raise Unmaskable(unrendered)
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
            source = DicomSource(path, header=held) if held is not None else None
            count = source.count() if source else count_frames(path)
            others = [i for i in range(count) if i not in planned]
            if others and source is None:
                source = open_source(path)
            for index in others:
                # Not planned by the dataset: masked like the file's flagged frames (fail closed).
                assert source is not None
                try:
                    image = source.render(index)
                except Exception as exc:  # noqa: BLE001 - collected, then the file fails
                    err = SampleError.from_exception(path, "decode", exc)
                    unrendered.setdefault(f"{err.stage}: {err.message}", []).append(index)
                    continue
                frame = Frame(Sample(f"{path}#{index}", path, index), image, source.header, source.kind)
                masks[index] = self._frame_boxes(frame, flagged or Detection(True))
        if unrendered:
            raise Unmaskable(unrendered, " (not planned; masked like the flagged frames)")
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
                err = SampleError.from_exception(path, "write", exc)
                self._fail(items[0].sample.path, cols, f"the written file does not decode, so it "
                           f"was deleted: {err}", "write")
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
