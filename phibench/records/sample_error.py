"""A per-sample error: which file, which stage, what went wrong. Stored as data, never raised."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

STAGES = ("plan", "read", "decode", "render", "ocr", "detect", "redact", "write", "verify")
"""The stages of the per-sample pipeline, in order."""

MAX_MESSAGE = 300

_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|b'[^'\n]*'")
"""A quoted value inside a library's message: ``invalid literal for int(): 'SMITH^JOHN'``."""

QUOTED_PLACEHOLDER = "'<value>'"


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
        message = scrub_quoted(" ".join(str(exc).split()))[:MAX_MESSAGE] or t.__name__
        return cls(file=file, stage=stage, exc_type=name, message=message)

    def __str__(self) -> str:
        return f"{self.stage}: {self.exc_type}: {self.message}"


def scrub_quoted(message: str) -> str:
    """``message`` with every quoted value replaced by ``'<value>'``, except DICOM element names
    and keywords (``'Photometric Interpretation'``), which say what was wrong without saying
    what the file holds. Libraries quote the values they choke on (``invalid literal for int():
    'SMITH^JOHN'``), and codecs' words reach our own messages too, so this applies to all."""
    return _QUOTED.sub(lambda m: m.group(0) if m.group(0)[1:-1] in _dicom_names() else QUOTED_PLACEHOLDER, message)


@functools.cache
def _dicom_names() -> frozenset[str]:
    from pydicom.datadict import DicomDictionary

    return frozenset(n for entry in DicomDictionary.values() for n in (entry[2], entry[4]) if n)
