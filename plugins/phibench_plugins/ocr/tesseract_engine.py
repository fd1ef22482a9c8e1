"""Tesseract through ``pytesseract``: the Debian binary, word boxes from ``image_to_data``.

Install the binary and the English model with
``apt-get install -y tesseract-ocr tesseract-ocr-eng`` (Tesseract 5.3 on Debian 12). Each
:meth:`TesseractEngine.read` is one ``tesseract`` process: there is no model to hold in memory,
so :meth:`TesseractEngine.setup` only checks that the binary runs and has the language.

Defaults were measured on synthetic overlays with ``benchmarks/ocr_engines.py`` (see
``benchmarks/README.md``). Page segmentation mode 6 (one uniform block) read the most PHI regions
(CER <= 0.2) on both sets tried: 40 frames of seed 0 -- psm 6: 0.75, psm 11: 0.75, psm 3: 0.65 --
and 120 frames of seed 1 -- psm 6: 0.80, psm 11: 0.67, psm 3: 0.71 (all regions: 0.68 / 0.63 /
0.54). Overlay fonts of 7-14 px need upsampling: ``scale`` 2 lifts psm 6 from 0.60 to 0.80 (seed
1) for twice the CPU; 3 adds one point more for another +50 %.

``pytesseract`` keeps the binary's path and the child's environment in module globals; this
engine sets both for each call under a lock, so engines with different ``tesseract_cmd`` or
``omp_thread_limit`` can live in one process, and ``OMP_THREAD_LIMIT`` never leaks into this
process's own environment (where it would cap torch's OpenMP threads). Reads from several
threads of one process therefore run one at a time; phibench's workers are processes.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from phibench import extras
from phibench.versions import distribution_version
from phibench.exceptions import ConfigError
from phibench.ocr import OcrEngine, TextBox

log = logging.getLogger(__name__)

INSTALL = "apt-get install -y tesseract-ocr tesseract-ocr-eng"
"""How to get the binary and the English model on Debian/Ubuntu."""

_CALL_LOCK = threading.Lock()
"""Guards pytesseract's module globals (``tesseract_cmd``, ``environ``) during a call."""


@dataclass(frozen=True)
class TesseractParams:
    """Parameters of :class:`TesseractEngine`."""

    lang: str = "eng"
    """Tesseract language(s), ``+``-joined (``eng+deu``); each needs its ``tesseract-ocr-LANG``."""

    psm: int = 6
    """Page segmentation mode. 6 (one uniform block of text) read the most overlay text in our
    measurements, ahead of 11 (sparse text) and 3 (automatic layout); see the module docstring.
    Its slowest images (noisy backgrounds) take about twice as long as with 11."""

    oem: int = 3
    """OCR engine mode: 3 = default (LSTM where the model has it), 1 = LSTM only, 0 = legacy."""

    min_confidence: float = 0.0
    """Words Tesseract is less sure of than this (0..1) are dropped."""

    tesseract_cmd: Optional[str] = None
    """Path of the ``tesseract`` binary; ``None``: the one on ``PATH``."""

    scale: float = 2.0
    """Upsample the image by this factor before reading (boxes are mapped back). Tesseract's LSTM
    model wants text about 20-30 px high; overlay fonts are often 7-14 px."""

    invert: bool = False
    """Give Tesseract the negative image (dark text on light). Tesseract 5 already retries
    inverted lines it cannot read, so this is rarely needed."""

    omp_thread_limit: int = 1
    """``OMP_THREAD_LIMIT`` of the ``tesseract`` process; 1 keeps one core per worker (Tesseract's
    own OpenMP threads fight the executor's workers). 0 leaves it unset."""

    timeout_s: float = 60.0
    """Kill a ``tesseract`` run that takes longer than this (0: no limit); the frame then fails
    at stage ``ocr``."""

    extra_config: str = ""
    """More command-line options, e.g. ``-c tessedit_char_blacklist=|``."""


class TesseractEngine(OcrEngine):
    """One ``tesseract`` process per image, word boxes with Tesseract's confidence / 100."""

    requires = extras.needs("tesseract")

    Params = TesseractParams

    def __init__(self, params: TesseractParams | None = None) -> None:
        super().__init__(params)
        self._cmd: str | None = None
        self._version = ""

    # -- lifecycle ---------------------------------------------------------------------------

    def setup(self) -> None:
        if self._cmd is not None:
            return
        p: TesseractParams = self.params
        if p.scale <= 0:
            raise ConfigError(f"OCR engine 'tesseract': scale must be > 0, got {p.scale}")
        try:
            import pytesseract  # noqa: F401
        except ImportError:  # pragma: no cover - declared dependency
            raise ConfigError("the tesseract OCR engine needs the package pytesseract") from None
        cmd = _find_binary(p.tesseract_cmd)
        self._version = _run(cmd, "--version").splitlines()[0].replace("tesseract", "").strip()
        have = {line.strip() for line in _run(cmd, "--list-langs").splitlines()[1:]} - {""}
        missing = [lang for lang in p.lang.split("+") if lang not in have]
        if missing:
            raise ConfigError(
                f"Tesseract at {cmd} has no model for language(s) {', '.join(missing)} (it has: "
                f"{', '.join(sorted(have)) or 'none'}). Install them, e.g. apt-get install -y "
                + " ".join(f"tesseract-ocr-{m}" for m in missing)
            )
        self._cmd = cmd
        log.debug("tesseract %s ready (lang=%s, psm=%d)", self._version, p.lang, p.psm)

    # -- reading -----------------------------------------------------------------------------

    def read(self, image: np.ndarray) -> list[TextBox]:
        if self._cmd is None:
            self.setup()
        p: TesseractParams = self.params
        pil = _as_pil(image, p.scale, p.invert)
        h, w = image.shape[:2]
        data = self._image_to_data(pil)
        out: list[TextBox] = []
        for i, text in enumerate(data["text"]):
            conf = float(data["conf"][i])
            text = str(text).strip()
            if conf < 0 or not text:  # -1: a page/block/line entry, not a word
                continue
            conf = min(1.0, conf / 100.0)
            if conf < p.min_confidence:
                continue
            box = _unscaled_box(data["left"][i], data["top"][i], data["width"][i],
                                data["height"][i], p.scale, w, h)
            if box is not None:
                out.append(TextBox(box=box, text=text, confidence=conf))
        log.debug("tesseract read %d words from a %dx%d image", len(out), w, h)
        return out

    def _image_to_data(self, pil: Any) -> dict[str, list[Any]]:
        import pytesseract
        from pytesseract import pytesseract as module

        p: TesseractParams = self.params
        config = f"--psm {p.psm} --oem {p.oem} {p.extra_config}".strip()
        env = dict(os.environ)
        if p.omp_thread_limit > 0:
            env["OMP_THREAD_LIMIT"] = str(p.omp_thread_limit)
        with _CALL_LOCK:
            module.tesseract_cmd = self._cmd
            saved, module.environ = module.environ, env
            try:
                return pytesseract.image_to_data(
                    pil, lang=p.lang, config=config, output_type=pytesseract.Output.DICT,
                    timeout=p.timeout_s,
                )
            finally:
                module.environ = saved

    def describe(self) -> dict[str, Any]:
        p: TesseractParams = self.params
        return {
            "engine": "tesseract",
            "version": self._version or "(set up to know)",
            "pytesseract": distribution_version("pytesseract"),
            "lang": p.lang,
            "psm": p.psm,
            "oem": p.oem,
            "scale": p.scale,
            "device": "cpu",
        }


def _find_binary(configured: str | None) -> str:
    """The path of a runnable ``tesseract``, or a ConfigError saying how to install one."""
    if configured:
        path = os.path.expanduser(configured)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
        found = shutil.which(path)
        if found:
            return found
        raise ConfigError(
            f"OCR engine 'tesseract': tesseract_cmd {configured!r} is not an executable file. Install "
            f"Tesseract ({INSTALL}) or point tesseract_cmd at the binary."
        )
    found = shutil.which("tesseract")
    if not found:
        raise ConfigError(
            f"OCR engine 'tesseract': the tesseract binary is not on PATH. Install it ({INSTALL}) or set "
            f"the OCR parameter tesseract_cmd to its path."
        )
    return found


def _run(cmd: str, flag: str) -> str:
    """``cmd flag``'s stdout (Tesseract 5 prints both flags' answers there)."""
    try:
        done = subprocess.run([cmd, flag], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigError(
            f"OCR engine 'tesseract': {cmd} {flag} failed ({type(exc).__name__}); is it a working "
            f"Tesseract? Install it with: {INSTALL}"
        ) from None
    return done.stdout or done.stderr


def _as_pil(image: np.ndarray, scale: float, invert: bool) -> Any:
    """A PIL image Tesseract reads correctly: mode ``L`` or ``RGB``, never odd channel counts."""
    from PIL import Image, ImageOps

    img = np.asarray(image)
    if img.dtype != np.uint8:
        raise ValueError(f"OCR input must be uint8, got {img.dtype}")
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 3 and img.shape[2] == 4:
        img = img[:, :, :3]
    if not (img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 3)):
        raise ValueError(f"OCR input must be (H, W) or (H, W, 3), got {img.shape}")
    pil = Image.fromarray(np.ascontiguousarray(img))
    if scale != 1.0:
        size = (max(1, round(pil.width * scale)), max(1, round(pil.height * scale)))
        pil = pil.resize(size, Image.Resampling.BICUBIC)
    if invert:
        pil = ImageOps.invert(pil)
    return pil


def _unscaled_box(left: int, top: int, width: int, height: int, scale: float, img_w: int,
                  img_h: int) -> tuple[int, int, int, int] | None:
    """A box of the scaled image in pixels of the original, clipped to it; ``None`` if empty."""
    x0 = max(0, int(np.floor(int(left) / scale)))
    y0 = max(0, int(np.floor(int(top) / scale)))
    x1 = min(img_w, int(np.ceil((int(left) + int(width)) / scale)))
    y1 = min(img_h, int(np.ceil((int(top) + int(height)) / scale)))
    if x1 <= x0 or y1 <= y0:
        return None
    return (x0, y0, x1 - x0, y1 - y0)
