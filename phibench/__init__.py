"""phibench: measure how well PHI burned into medical images is found and removed.

Everything a plugin author needs is importable from here; the contract itself, with a short
tutorial per plugin kind, is :mod:`phibench.hookspecs`::

    from phibench import Detection, Detector, hookimpl

Names other than :data:`hookimpl` and ``__version__`` are loaded on first use (PEP 562), so
``import phibench`` stays cheap in every worker process.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from phibench.hookspecs import hookimpl

try:
    __version__ = version("phibench")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

_API: dict[str, str] = {
    # the base class of each plugin kind, and what they share
    "Plugin": "phibench.plugin", "Detector": "phibench.detector", "Redactor": "phibench.redactor",
    "RedactorParams": "phibench.redactor", "Dataset": "phibench.dataset", "Executor": "phibench.executor",
    "Reporter": "phibench.reporter", "OcrEngine": "phibench.ocr", "TextBox": "phibench.ocr",
    # what flows through a run
    "Frame": "phibench.frame", "Detection": "phibench.records", "Entity": "phibench.records",
    "Sample": "phibench.records", "GroundTruth": "phibench.records", "TextRegion": "phibench.records",
    "SampleError": "phibench.records", "TokenUsage": "phibench.records",
    "OcrSettings": "phibench.ocr",
    # what reporters read
    "Scorecard": "phibench.records",
    # registering, and failing well
    "Register": "phibench.registry", "SampleFailure": "phibench.exceptions",
    "ConfigError": "phibench.exceptions", "PluginError": "phibench.exceptions",
    "PhibenchError": "phibench.exceptions",
}


def __getattr__(name: str) -> Any:
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'phibench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])


__all__ = ["__version__", "hookimpl", *_API]
