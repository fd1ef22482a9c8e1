"""Base class of redactors: mask PHI in pixels and write a new DICOM file."""

from __future__ import annotations

from typing import ClassVar

from phibench.plugin import Plugin


class Redactor(Plugin):
    """Masks burned-in text and writes a redacted copy of the input.

    The contract is settled with the redaction issue; the hook exists now so that the
    configuration groups and the plugin listing already have their final shape.
    """

    kind: ClassVar[str] = "redactor"
