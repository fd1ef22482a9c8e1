"""RapidOCR (PaddleOCR's PP-OCRv4 models on ONNX Runtime) on the CPU: nothing is ever downloaded.

``rapidocr_onnxruntime`` 1.4.4 ships its three models inside the wheel
(``rapidocr_onnxruntime/models``: the PP-OCRv4 detector, the PP-OCRv4 Chinese+English
recogniser and the mobile v2.0 angle classifier); this engine passes their paths explicitly, or
the files in ``model_dir`` when it is set, and checks they are there before building anything.
``rapidocr_onnxruntime`` and ``onnxruntime`` are imported in ``setup()`` only.

The recogniser's alphabet is Chinese + English, so it may answer full-width punctuation
(``：`` for ``:``); ``nfkc`` folds those to ASCII.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

import numpy as np

from phibench import extras
from phibench.exceptions import ConfigError
from phibench.ocr import OcrEngine, TextBox, as_grey_or_bgr, box_around
from phibench.versions import distribution_version

log = logging.getLogger(__name__)

PACKAGE = "rapidocr-onnxruntime"
"""The distribution that ships the engine and its models (import name ``rapidocr_onnxruntime``)."""


@dataclass(frozen=True)
class RapidOcrParams:
    """Parameters of :class:`RapidOcrEngine`; most are passed through to RapidOCR."""

    model_dir: Optional[str] = None
    """Folder holding the ``.onnx`` files; ``None``: the models inside the installed wheel."""

    det_model: str = "ch_PP-OCRv4_det_infer.onnx"
    """Text detector (DB) file in ``model_dir``."""

    rec_model: str = "ch_PP-OCRv4_rec_infer.onnx"
    """Text recogniser (CTC) file in ``model_dir``; its alphabet is read from the model."""

    cls_model: str = "ch_ppocr_mobile_v2.0_cls_infer.onnx"
    """Angle classifier file in ``model_dir`` (used when ``use_cls``)."""

    use_cls: bool = False
    """Run the angle classifier, which turns lines it takes for upside down by 180 degrees before
    recognition. Off by default: burned-in text is drawn upright by the modality, so the
    classifier can only mis-turn a short upright line (a digit, ``R``), and it costs a network
    call per six lines. ``benchmarks/README.md`` ("OCR cost") measures it."""

    min_confidence: float = 0.5
    """RapidOCR's ``text_score``: recognised lines less sure than this are dropped."""

    det_thresh: float = 0.3
    """Pixel threshold of the detector's probability map."""

    det_box_thresh: float = 0.5
    """Detected boxes whose mean probability is under this are dropped."""

    det_unclip_ratio: float = 1.6
    """How far a detected text kernel is grown into a box (bigger: looser boxes)."""

    det_limit_side_len: int = 736
    """With ``det_limit_type="min"`` the detector sees the image resized so its shorter side is at
    least this; with ``"max"`` so its longer side is at most this."""

    det_limit_type: str = "min"
    """``min`` (RapidOCR's default: enlarge small images) or ``max`` (shrink big ones)."""

    det_scale: float = 1.0
    """With a value in (0, 1]: the detector sees the frame shrunk by this factor (1, the default:
    at its own size), replacing ``det_limit_side_len`` / ``det_limit_type`` (whose ``min``
    default enlarges a 640 x 480 ultrasound frame to 981 x 736 for detection); boxes come back in
    frame coordinates and the recogniser reads full-resolution crops. 0: RapidOCR's own limits
    (and ``det_max_side`` unused). ``benchmarks/README.md`` ("OCR cost") measures it: at native
    scale RapidOCR reads as much as at RapidOCR's enlargement, on real and synthetic frames, for
    a third less CPU."""

    det_max_side: int = 1024
    """With ``det_scale`` set: the detector's input is at most this long on its longer side
    (large CR/DX/MG frames, whose text is large too); 0: no bound beyond ``det_scale``."""

    max_side_len: int = 2000
    """Images with a longer side are shrunk to it first (bounds the time on large CR/MG)."""

    rec_batch_num: int = 1
    """Text lines per recogniser call (RapidOCR's ``rec_batch_num``, 6 there). A batch is one
    tensor, every line in it zero-padded to its widest line, and the recogniser's cost grows with
    that width; with 1 each line is read at its own width, so its reading depends on no other
    line of the frame. The per-call overhead is small next to the padding it saves."""

    rec_min_width: int = 0
    """Pad every recogniser input to at least this width (pixels at the model's 48 px line
    height). RapidOCR and PaddleOCR pad to 320 (the training width, a 6.7:1 line), so a date or a
    label (2-4:1) costs as much as a long line; 0: each batch only as wide as its widest line."""

    intra_op_threads: int = 1
    """ONNX Runtime intra-op threads per session; 1 keeps one core per worker. Values outside
    1..cpu count (e.g. -1) leave ONNX Runtime's default: all cores."""

    inter_op_threads: int = 1
    """ONNX Runtime inter-op threads per session."""

    allow_spinning: bool = False
    """Let ONNX Runtime's idle pool threads spin-wait for work (its default) instead of sleeping:
    lower latency with several threads, but CPU burnt that a worker sharing cores pays for."""

    cpu_mem_arena: bool = True
    """ONNX Runtime's CPU memory arena (its default; RapidOCR turns it off): buffers are kept and
    reused between calls instead of being allocated, page-faulted and freed on every call. The
    arena holds the largest frame's working set (bounded by ``max_side_len`` / ``det_max_side``)."""

    nfkc: bool = True
    """Fold full-width and compatibility characters to their plain forms (NFKC)."""

    def __post_init__(self) -> None:
        # checked where the plan validates the engine's parameters, on the driver
        if not 0.0 <= self.det_scale <= 1.0:
            raise ConfigError(f"OCR engine 'rapidocr': det_scale must be 0 (off) or in (0, 1], "
                              f"got {self.det_scale}")
        if self.det_max_side < 0:
            raise ConfigError(f"OCR engine 'rapidocr': det_max_side ({self.det_max_side}) must be "
                              f">= 0 (0: no bound)")
        if self.rec_batch_num < 1:
            raise ConfigError(f"OCR engine 'rapidocr': rec_batch_num must be >= 1, got "
                              f"{self.rec_batch_num}")
        if self.rec_min_width < 0:
            raise ConfigError(f"OCR engine 'rapidocr': rec_min_width must be >= 0, got "
                              f"{self.rec_min_width}")


class RapidOcrEngine(OcrEngine):
    """RapidOCR's detector + classifier + recogniser, built once per worker in :meth:`setup`."""

    requires = extras.needs("rapidocr")

    Params = RapidOcrParams

    def __init__(self, params: RapidOcrParams | None = None) -> None:
        super().__init__(params)
        self._ocr: Any = None

    # -- lifecycle ---------------------------------------------------------------------------

    def setup(self) -> None:
        if self._ocr is not None:
            return
        p: RapidOcrParams = self.params
        if p.det_limit_type not in ("min", "max"):
            raise ConfigError(f"OCR engine 'rapidocr': det_limit_type must be min or max, got "
                              f"{p.det_limit_type!r}")
        paths = self._model_paths()
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:  # pragma: no cover - declared dependency
            raise ConfigError(
                f"the rapidocr OCR engine needs the package {PACKAGE} ({exc}); "
                f"pip install {PACKAGE}"
            ) from None
        with session_options(p):
            self._ocr = RapidOCR(
                det_model_path=str(paths["det"]),
                rec_model_path=str(paths["rec"]),
                cls_model_path=str(paths["cls"]),
                use_cls=p.use_cls,
                text_score=p.min_confidence,
                max_side_len=p.max_side_len,
                det_thresh=p.det_thresh,
                det_box_thresh=p.det_box_thresh,
                det_unclip_ratio=p.det_unclip_ratio,
                det_limit_side_len=p.det_limit_side_len,
                det_limit_type=p.det_limit_type,
                intra_op_num_threads=p.intra_op_threads,
                inter_op_num_threads=p.inter_op_threads,
                rec_batch_num=p.rec_batch_num,
                print_verbose=False,
            )
        if p.det_scale > 0:
            fixed_detector_scale(self._ocr.text_det, p.det_scale, p.det_max_side)
        float32_detector_input(self._ocr.text_det)
        channels, height, _ = self._ocr.text_rec.rec_image_shape
        # the recogniser pads a batch to max(width / height of this shape, its lines' ratios)
        self._ocr.text_rec.rec_image_shape = [channels, height, p.rec_min_width]
        log.debug("rapidocr ready (threads=%d)", p.intra_op_threads)

    def _model_dir(self) -> Path:
        if self.params.model_dir:
            return Path(self.params.model_dir).expanduser()
        spec = importlib.util.find_spec("rapidocr_onnxruntime")
        if spec is None or not spec.submodule_search_locations:
            raise ConfigError(
                f"the rapidocr OCR engine needs the package {PACKAGE} (pip install {PACKAGE}), "
                f"which ships its models; phibench never downloads models."
            )
        return Path(list(spec.submodule_search_locations)[0]) / "models"

    def _model_paths(self) -> dict[str, Path]:
        p: RapidOcrParams = self.params
        folder = self._model_dir()
        paths = {"det": folder / p.det_model, "rec": folder / p.rec_model,
                 "cls": folder / p.cls_model}
        missing = [f.name for f in paths.values() if not f.is_file()]
        if missing:
            raise ConfigError(
                f"RapidOCR models missing in {folder}: {', '.join(missing)}. Reinstall "
                f"{PACKAGE} (its wheel ships them) or set the OCR parameter model_dir to a "
                f"folder holding them; phibench never downloads models."
            )
        return paths

    # -- reading -----------------------------------------------------------------------------

    def read(self, image: np.ndarray) -> list[TextBox]:
        if self._ocr is None:
            self.setup()
        p: RapidOcrParams = self.params
        img = as_grey_or_bgr(image)
        h, w = img.shape[:2]
        results, _ = self._ocr(img, box_thresh=p.det_box_thresh, unclip_ratio=p.det_unclip_ratio,
                               text_score=p.min_confidence)
        out: list[TextBox] = []
        for quad, text, score in results or []:
            text = unicodedata.normalize("NFKC", str(text)) if p.nfkc else str(text)
            conf = float(score)
            if not text.strip() or conf < p.min_confidence:
                continue
            box = box_around(quad, w, h)
            if box is not None:
                out.append(TextBox(box=box, text=text.strip(), confidence=max(0.0, min(1.0, conf))))
        log.debug("rapidocr read %d boxes from a %dx%d image", len(out), w, h)
        return out

    def describe(self) -> dict[str, Any]:
        p: RapidOcrParams = self.params
        return {
            "engine": "rapidocr",
            "version": distribution_version(PACKAGE),
            "onnxruntime": distribution_version("onnxruntime"),
            "detector_model": p.det_model,
            "recognizer_model": p.rec_model,
            "classifier_model": p.cls_model if p.use_cls else "(off)",
            "device": "cpu",
            "intra_op_threads": p.intra_op_threads,
            "det_scale": p.det_scale,
            "det_max_side": p.det_max_side,
            "rec_batch_num": p.rec_batch_num,
            "rec_min_width": p.rec_min_width,
        }


def fixed_detector_scale(detector: Any, scale: float, max_side: int = 0) -> None:
    """Make RapidOCR's text detector resize its input by ``scale`` (never enlarging it, and to at
    most ``max_side`` on its longer side when that is above 0) instead of to its side-length
    limits. Its post-processing maps the boxes back to the size of the image it was given, so
    nothing else changes."""
    from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

    def get_preprocess(max_wh: int) -> Any:
        # "max" with a limit below the longer side: resized to the limit, never enlarged
        limit = max_wh * scale
        if max_side > 0:
            limit = min(limit, max_side)
        return DetPreProcess(max(32, int(round(limit))), "max", detector.mean, detector.std)

    detector.get_preprocess = get_preprocess


_SESSION_LOCK = threading.Lock()


@contextmanager
def session_options(params: RapidOcrParams) -> Iterator[None]:
    """While RapidOCR builds its three ONNX Runtime sessions, give them this engine's session
    options on top of RapidOCR's own (``allow_spinning``, ``cpu_mem_arena``): RapidOCR has no
    parameter for them and builds the options in ``OrtInferSession._init_sess_opts``."""
    from rapidocr_onnxruntime.utils.infer_engine import OrtInferSession

    original = OrtInferSession.__dict__["_init_sess_opts"]
    build = original.__func__ if isinstance(original, staticmethod) else original

    def with_ours(config: dict[str, Any]) -> Any:
        opts = build(config)
        opts.enable_cpu_mem_arena = params.cpu_mem_arena
        spin = "1" if params.allow_spinning else "0"
        opts.add_session_config_entry("session.intra_op.allow_spinning", spin)
        opts.add_session_config_entry("session.inter_op.allow_spinning", spin)
        return opts

    with _SESSION_LOCK:
        OrtInferSession._init_sess_opts = staticmethod(with_ours)
        try:
            yield
        finally:
            OrtInferSession._init_sess_opts = original


def float32_detector_input(detector: Any) -> None:
    """Normalise the detector's input in one float32 pass. RapidOCR's ``DetPreProcess`` computes
    ``(x / 255 - mean) / std`` with float64 mean and std arrays, i.e. in float64 over the whole
    3-channel frame, then casts to float32; the values are the same to float32 rounding."""
    make = detector.get_preprocess

    def get_preprocess(max_wh: int) -> Any:
        op = make(max_wh)
        mean = np.asarray(op.mean, dtype=np.float64)
        std = np.asarray(op.std, dtype=np.float64)
        scale = (op.scale / std).astype(np.float32)
        shift = (mean / std).astype(np.float32)

        def normalize(img: np.ndarray) -> np.ndarray:
            out = img.astype(np.float32)
            out *= scale
            out -= shift
            return out

        op.normalize = normalize
        return op

    detector.get_preprocess = get_preprocess
