"""The result row: what ``results.parquet`` holds for one sample, defined once.

Like inspect_ai's ``EvalSample`` (``log/_log.py``), the record is a frozen dataclass and every
schema is derived from it: :meth:`ResultRow.arrow_schema` is ``phibench.results.SCHEMA``,
:meth:`ResultRow.redaction_columns` is ``phibench.redaction.stage.COLUMNS``, and the Spark
detection columns take their types from it (:mod:`phibench.spark.detect`). Each field says its
Arrow type in its metadata (:func:`column`); the field order is the column order.

A row is typed until it is stored: ``entities`` and ``truth_regions`` hold the records
themselves, and become JSON text only in :meth:`ResultRow.to_record`, the storage boundary, with
the codecs that sit beside those records (:meth:`Entity.list_to_json`,
:meth:`TextRegion.list_to_json`). Readers that get the text back decode it with the same
records' ``list_from_json`` (scoring), or column by column with :meth:`ResultRow.decode` (the
reports' cases). A misspelt column fails where it is written: the constructor and
:meth:`ResultRow.with_redaction` reject unknown names instead of storing a null column.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import pyarrow as pa

from phibench.records.detection import Entity
from phibench.records.ground_truth import TextRegion

REDACTION = "redaction"
"""The group marker of the redaction columns (``column(..., group=REDACTION)``)."""


def column(
    arrow: pa.DataType,
    *,
    nullable: bool = True,
    group: str | None = None,
    encode: Callable[[Any], Any] | None = None,
    decode: Callable[[Any], Any] | None = None,
    **kw: Any,
) -> Any:
    """A :class:`ResultRow` field stored as an Arrow column of type ``arrow``. ``encode`` turns
    the field's value into the stored one (and ``decode`` back); ``group`` names the stage that
    fills it. Other keywords go to :func:`dataclasses.field` (``default``)."""
    meta = {"arrow": arrow, "nullable": nullable, "group": group}
    meta |= {"encode": encode, "decode": decode}
    return field(metadata=meta, **kw)


def _redaction(arrow: pa.DataType) -> Any:
    return column(arrow, group=REDACTION, default=None)


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One sample's row of ``results.parquet``: its identity, its truth, the detector's answer
    (or the error that stopped it), what it cost, and, in a redacting run, what became of it.

    The redaction columns are a group of flat fields marked ``group=REDACTION``, all null by
    default, rather than a nested record: the Parquet file is flat, and the redaction stage fills
    its columns per file in several steps (reason, then state, then verification, then timing)
    into a plain mapping per sample that its callers read by name. The row takes that mapping
    whole through :meth:`with_redaction`, which accepts only names of the group, so a misspelt
    or foreign column fails there. A row of a run without a redactor keeps the defaults.
    """

    sample_id: str = column(pa.string(), nullable=False)
    """Stable id of the sample (file and frame); resume and scoring key on it."""
    path: str = column(pa.string())
    """Absolute path of the DICOM file."""
    frame: int = column(pa.int32())
    """Zero-based frame index within the file."""
    dataset: str = column(pa.string())
    """Name of the dataset plugin that planned the sample."""
    has_phi_true: bool | None = column(pa.bool_())
    """Ground truth: PHI burned into this frame; null when the dataset has no label."""
    has_phi_pred: bool | None = column(pa.bool_())
    """The detector's answer; null exactly when there is none (``error`` says why)."""
    error: str | None = column(pa.string())
    """``stage: type: message`` of the failure that left no answer; null when answered."""
    error_stage: str | None = column(pa.string())
    """Pipeline stage that failed (:data:`phibench.records.sample_error.STAGES`)."""
    error_type: str | None = column(pa.string())
    """Qualified exception type of the failure."""
    confidence: float | None = column(pa.float64())
    """The detector's confidence in its answer, 0..1, when it has one (AUROC uses it)."""
    entities: tuple[Entity, ...] = column(
        pa.string(), encode=Entity.list_to_json, decode=Entity.list_from_json, repr=False
    )
    """PHI the detector found; stored as a JSON array (PHI: never log it)."""
    truth_regions: tuple[TextRegion, ...] = column(
        pa.string(), encode=TextRegion.list_to_json, decode=TextRegion.list_from_json, repr=False
    )
    """Ground-truth text regions; stored as a JSON array (PHI: never log it)."""
    detector: str = column(pa.string())
    """Name of the detector plugin."""
    endpoint: str = column(pa.string())
    """Endpoint that answered (remote models), with secrets redacted; empty for local ones."""
    input_tokens: int = column(pa.int64())
    """Model input tokens spent on the sample."""
    output_tokens: int = column(pa.int64())
    """Model output tokens spent on the sample."""
    latency_s: float = column(pa.float64())
    """Wall time of the detection call, seconds."""
    attempts: int = column(pa.int32())
    """Requests sent, retries included; 0 for local detectors and cache hits."""
    cpu_s: float = column(pa.float64())
    """CPU time of the detection call (all threads), seconds."""
    render_s: float = column(pa.float64())
    """Time to read and render the frame (its share of the file's read), seconds."""
    cost_usd: float = column(pa.float64())
    """What the detection cost, USD (tokens or core time, as the detector prices it)."""
    worker: str = column(pa.string())
    """``host:pid`` of the process that made the row."""
    session_id: str = column(pa.string())
    """Id of the ``phibench run`` invocation (a resumed run has a new one)."""
    session_started_at: float = column(pa.float64())
    """When that invocation started, Unix seconds."""
    finished_at: float = column(pa.float64())
    """When the row was made, Unix seconds; the latest row of a sample wins."""

    # -- redaction (null when the run has no redactor; see phibench.redaction.stage) ----------
    redaction: str | None = _redaction(pa.string())
    """``masked`` (this frame's pixels were changed), ``untouched`` or ``failed``."""
    redaction_reason: str | None = _redaction(pa.string())
    """Why the policy did or did not mask the frame."""
    redacted_path: str | None = _redaction(pa.string())
    """The redacted copy under ``<run dir>/redacted/``; null when none was written."""
    quarantine_path: str | None = _redaction(pa.string())
    """With ``redactor.quarantine=true``, the unchanged copy of an input that could not be
    cleaned, under ``<run dir>/quarantine/``; null otherwise."""
    redaction_boxes: str | None = _redaction(pa.string())
    """JSON array of the padded boxes filled in this frame."""
    pixels_changed: bool | None = _redaction(pa.bool_())
    """Whether this frame's pixels differ from the input's."""
    image_height: int | None = _redaction(pa.int32())
    """Height of the rendered frame, pixels; null when it could not be rendered."""
    image_width: int | None = _redaction(pa.int32())
    """Width of the rendered frame, pixels; null when it could not be rendered."""
    residual_regions: str | None = _redaction(pa.string())
    """JSON array of the indices of ground-truth PHI regions still readable after redaction
    (null: not checked)."""
    redact_error: str | None = _redaction(pa.string())
    """Why redaction (or its verification) failed."""
    redact_error_stage: str | None = _redaction(pa.string())
    """Stage of that failure: ``redact``, ``write`` or ``verify``."""
    redact_s: float | None = _redaction(pa.float64())
    """The frame's share of its file's redaction wall time, seconds."""
    redact_cpu_s: float | None = _redaction(pa.float64())
    """The frame's share of its file's redaction CPU time, seconds."""

    # -- schemas ------------------------------------------------------------------------------

    @classmethod
    def arrow_schema(cls) -> pa.Schema:
        """The Arrow schema of ``results.parquet``: one column per field, in field order."""
        return pa.schema(
            [pa.field(f.name, f.metadata["arrow"], nullable=f.metadata["nullable"])
             for f in fields(cls)]
        )

    @classmethod
    def columns(cls) -> list[str]:
        """Every column name, in order."""
        return [f.name for f in fields(cls)]

    @classmethod
    def redaction_columns(cls) -> tuple[str, ...]:
        """The columns the redaction stage fills, in order."""
        return tuple(f.name for f in fields(cls) if f.metadata["group"] == REDACTION)

    @classmethod
    def arrow_type(cls, name: str) -> pa.DataType:
        """The Arrow type of column ``name``; :class:`KeyError` for an unknown one."""
        for f in fields(cls):
            if f.name == name:
                return f.metadata["arrow"]
        raise KeyError(f"no result column {name!r}")

    # -- reads, updates and the storage boundary -----------------------------------------------

    def __getitem__(self, name: str) -> Any:
        """Read a column by name, as code written for the former dict rows does
        (``row["sample_id"]``); an unknown name is a :class:`KeyError`, never a null. The value
        is the field's (``entities`` as records, not JSON); rows cannot be written this way."""
        if name not in _NAMES:
            raise KeyError(f"no result column {name!r}")
        return getattr(self, name)

    def with_redaction(self, cols: Mapping[str, Any]) -> ResultRow:
        """A copy with the redaction columns ``cols`` set; a name outside the group fails."""
        unknown = set(cols) - set(self.redaction_columns())
        if unknown:
            raise ValueError(f"not redaction columns of a result row: {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **cols)

    def to_record(self) -> dict[str, Any]:
        """The row as stored: column name to value, in column order, with the encoded fields
        (``entities``, ``truth_regions``) as their JSON text."""
        out = {}
        for f in fields(self):
            value, encode = getattr(self, f.name), f.metadata["encode"]
            out[f.name] = encode(value) if encode is not None and value is not None else value
        return out

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ResultRow:
        """A row back from its stored form (:meth:`to_record`, or a pyarrow ``to_pylist`` row);
        an unknown or missing column is a :class:`TypeError`."""
        kw = {}
        for name, value in record.items():
            decode = _DECODERS.get(name)
            kw[name] = decode(value) if decode is not None else value
        return cls(**kw)

    @classmethod
    def decode(cls, name: str, stored: Any) -> Any:
        """Column ``name``'s stored value as the field holds it (``entities`` and
        ``truth_regions`` as records, by their codecs), for readers of a few columns of
        ``results.parquet`` (a pandas row); a value that is not text (null, NaN) decodes as no
        value. An unknown column is a :class:`KeyError`."""
        if name not in _NAMES:
            raise KeyError(f"no result column {name!r}")
        decode = _DECODERS[name]
        if decode is None:
            return stored
        return decode(stored if isinstance(stored, str) else None)


_NAMES = frozenset(f.name for f in fields(ResultRow))
_DECODERS = {f.name: f.metadata["decode"] for f in fields(ResultRow)}
