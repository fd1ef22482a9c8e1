"""A per-sample error: which file, which stage, what went wrong. Stored as data, never raised."""

from __future__ import annotations

from dataclasses import dataclass

STAGES = ("plan", "read", "decode", "render", "ocr", "detect", "redact", "write", "verify")
"""The stages of the per-sample pipeline, in order."""

MAX_MESSAGE = 300


@dataclass(frozen=True, slots=True)
class SampleError:
    """Why one sample has no answer. Holds no PHI: the message is the exception's, cut short."""

    file: str
    """Path of the file that failed."""

    stage: str
    """Pipeline stage that failed, one of :data:`STAGES`."""

    exc_type: str
    """Qualified name of the exception type, e.g. ``pydicom.errors.InvalidDicomError``."""

    message: str
    """What is wrong, from the exception; cut to 300 characters. Must not carry PHI."""

    @classmethod
    def from_exception(cls, file: str, stage: str, exc: BaseException) -> "SampleError":
        t = type(exc)
        name = t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
        stage = getattr(exc, "stage", None) or stage
        message = " ".join(str(exc).split())[:MAX_MESSAGE] or t.__name__
        return cls(file=file, stage=stage, exc_type=name, message=message)

    def __str__(self) -> str:
        return f"{self.stage}: {self.exc_type}: {self.message}"
