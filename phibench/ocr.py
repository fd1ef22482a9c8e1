"""OCR engines, shared by detectors and redactors, and the per-frame cache of what they read.

A plugin that reads text has a field typed :class:`OcrSettings` (``detector.ocr.name=rapidocr
'+detector.ocr.params.upscale=2'``); the plan finds every such field by its type and checks it
against the engine's own ``Params`` on the driver (:func:`ocr_fields`, :func:`check_settings`).
An engine loads its model once per worker (:func:`engine`, through :mod:`phibench.worker`); a
frame is read once per engine configuration (:func:`read_frame`), however many stages ask.
"""

from __future__ import annotations

import functools
import json
import typing
from dataclasses import FrozenInstanceError, asdict, dataclass, field, fields, is_dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from phibench import extras
from phibench.exceptions import ConfigError, SampleFailure
from phibench.frame import Frame
from phibench.plugin import Plugin
from phibench.records.ground_truth import Box
from phibench.specs import PluginSpec

if TYPE_CHECKING:
    from phibench.registry import Registry


@dataclass(frozen=True, slots=True)
class TextBox:
    """One piece of text an OCR engine read."""

    box: Box
    """(left, top, width, height) in pixels of the frame given to the engine."""

    text: str
    """What was read. May be PHI: never log it."""

    confidence: float
    """The engine's confidence, 0..1."""


class OcrEngine(Plugin):
    """Reads the text in an image. Load the model in ``setup()``; it runs once per worker."""

    kind: ClassVar[str] = "ocr"

    name: str = ""
    """Registered name; set by :func:`engine` (used in messages)."""

    def read(self, image: np.ndarray) -> list[TextBox]:
        """Text boxes in ``image`` (``uint8``, greyscale ``(H, W)`` or RGB ``(H, W, 3)``)."""
        raise NotImplementedError

    @property
    def cache_key(self) -> str:
        """Identifies this engine *and its parameters*: equal keys read a frame identically."""
        params = self.params
        try:
            text = json.dumps(asdict(params), sort_keys=True, default=str)
        except TypeError:
            text = repr(params)
        return f"ocr:{type(self).__module__}.{type(self).__qualname__}:{text}"


@dataclass
class OcrSettings:
    """Which OCR engine a plugin reads text with, and the engine's parameters: the type of a
    ``Params`` field (``ocr: OcrSettings = ocr_field()``), by which the plan finds and checks it.

    The same shape as a :class:`~phibench.specs.PluginSpec` and an ``ocr=ensemble`` member:
    the parameters differ per engine, so they sit under ``params`` rather than beside ``name``.
    Immutable once built. (Not ``frozen=True``: OmegaConf makes a frozen dataclass nested in a
    ``Params`` a read-only node, so ``detector.ocr.name=rapidocr`` could not be merged into it.)
    """

    name: str = "easyocr"
    """Registered OCR engine (``phibench plugins`` lists them): ``easyocr``, ``rapidocr``,
    ``tesseract``, ``ensemble``, or a third party's."""

    params: dict[str, Any] = field(default_factory=dict)
    """Parameters of that engine, checked against its ``Params`` on the driver (e.g.
    ``{upscale: 2, grey: max}`` for EasyOCR). Keep a redactor's equal to the detector's to share
    the detector's reading of each frame."""

    def __setattr__(self, key: str, value: Any) -> None:
        if key in self.__dict__:
            raise FrozenInstanceError(f"cannot assign to field {key!r}")
        object.__setattr__(self, key, value)

    def __delattr__(self, key: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {key!r}")

    __hash__ = None  # type: ignore[assignment]  # holds a dict


OWN_ENGINES = "phibench.ocr.own_engines"
"""Key of an :class:`OcrSettings` field's metadata: engine names the plugin handles itself (not
registered OCR engines, so the plan leaves their checks to the plugin), see :func:`ocr_field`."""


def ocr_field(name: str = "easyocr", *, own: tuple[str, ...] = ()) -> Any:
    """A ``Params`` field of type :class:`OcrSettings` that defaults to engine ``name``. ``own``:
    names the plugin implements itself (Presidio's ``presidio_tesseract``), which the plan does
    not look up among the registered engines."""
    return field(default_factory=lambda: OcrSettings(name), metadata={OWN_ENGINES: tuple(own)})


def ocr_fields(params: Any) -> list[str]:
    """Names of the :class:`OcrSettings`-typed fields of a ``Params`` class or instance, in order."""
    if not is_dataclass(params):
        return []
    return list(_ocr_fields(params if isinstance(params, type) else type(params)))


@functools.cache
def _ocr_fields(schema: type) -> tuple[str, ...]:
    try:  # annotations are strings under ``from __future__ import annotations``
        hints = typing.get_type_hints(schema)
    except Exception:  # an annotation that does not resolve: compare the names as written
        hints = {f.name: f.type for f in fields(schema)}
    return tuple(f.name for f in fields(schema) if hints.get(f.name) in (OcrSettings, "OcrSettings"))


OCR_MOVED = ("{group}.{key}=NAME is now {group}.{key}.name=NAME, and {group}.{key}_params.K=V is "
             "now +{group}.{key}.params.K=V (or '+{group}.{key}={{name: NAME, params: {{K: V}}}}')")
"""What a config that still names the engine the old way is told (``NAME``: the name it gave)."""


def check_spelling(schema: type, given: dict[str, Any], *, group: str, where: str) -> None:
    """A :class:`ConfigError` that says what to write, for a plugin node (before it is validated
    against ``schema``) that spells an :class:`OcrSettings` field the old way, the engine name as
    a string (``ocr=rapidocr``) or its parameters beside it (``ocr_params``), or that puts an
    engine parameter beside ``name`` (``ocr={name: rapidocr, upscale: 2}``)."""
    known = {f.name for f in fields(schema)} if is_dataclass(schema) else set()
    for key in ocr_fields(schema):
        value = given.get(key)
        if isinstance(value, str) or (f"{key}_params" in given and f"{key}_params" not in known):
            moved = OCR_MOVED.format(group=group, key=key)
            raise ConfigError(f"{where}: " + (moved.replace("NAME", value) if isinstance(value, str) else moved))
        if isinstance(value, dict) and (extra := sorted(set(value) - {"name", "params"})):
            raise ConfigError(
                f"{where}: {group}.{key} takes name and params; engine parameters go under params: "
                f"+{group}.{key}.params.{extra[0]}=V (or '+{group}.{key}={{name: NAME, params: "
                f"{{{extra[0]}: V}}}}')")


def check_settings(params: Any, registry: "Registry", *, where: str) -> None:
    """Check every :class:`OcrSettings` field of a validated ``Params`` instance: the engine is
    registered (an unknown name lists the known ones), its parameters fit the engine's
    ``Params``, and the extras it needs are installed."""
    from phibench.plugin import validate_params

    names = ocr_fields(params)
    for f in (f for f in fields(params) if f.name in names):
        settings: OcrSettings = getattr(params, f.name)
        if settings.name in f.metadata.get(OWN_ENGINES, ()):
            continue  # the plugin's own reader (Presidio's Tesseract): the plugin checks it
        entry = registry.get("ocr", settings.name)
        checked = validate_params(entry.cls, dict(settings.params),
                                  where=f"{where}: {f.name}.params of engine {settings.name!r}")
        extras.check(f"{where}: {f.name} {settings.name!r}", entry.cls.extras_needed(checked))


class UsesOcrEngine:
    """For plugins whose ``Params`` have an :class:`OcrSettings` field (found by its type, any
    name): the engine, taken from the per-process cache on first use, so its model loads once
    per worker however many detectors and redactors ask for it. A plugin with two such fields
    calls :func:`engine_of` for the second."""

    params: Any
    _engine: "OcrEngine | None" = None

    @property
    def engine(self) -> "OcrEngine":
        if self._engine is None:
            names = ocr_fields(self.params)
            if not names:
                raise TypeError(f"{type(self).__name__}.Params has no OcrSettings field")
            self._engine = engine_of(getattr(self.params, names[0]))
        return self._engine


def as_grey_or_bgr(image: np.ndarray) -> np.ndarray:
    """Contiguous ``uint8`` in the layout OpenCV-based engines expect: greyscale ``(H, W)``, or
    ``(H, W, 3)`` BGR from RGB. Raises ``ValueError`` for anything else."""
    img = np.asarray(image)
    if img.dtype != np.uint8:
        raise ValueError(f"OCR input must be uint8, got {img.dtype}")
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 3:
        if img.shape[2] == 4:
            img = img[:, :, :3]
        if img.shape[2] != 3:
            raise ValueError(f"OCR input must be (H, W) or (H, W, 3), got {img.shape}")
        img = img[:, :, ::-1]
    elif img.ndim != 2:
        raise ValueError(f"OCR input must be (H, W) or (H, W, 3), got {img.shape}")
    return np.ascontiguousarray(img)


def box_around(points: Any, width: int, height: int) -> Box | None:
    """``(left, top, width, height)`` around a polygon (an engine's quadrilateral), clipped to a
    ``width`` x ``height`` image; ``None`` when nothing is left."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    x0 = int(max(0, np.floor(pts[:, 0].min())))
    y0 = int(max(0, np.floor(pts[:, 1].min())))
    x1 = int(min(width, np.ceil(pts[:, 0].max())))
    y1 = int(min(height, np.ceil(pts[:, 1].max())))
    if x1 <= x0 or y1 <= y0:
        return None
    return (x0, y0, x1 - x0, y1 - y0)


def engine(name: str, params: dict[str, Any] | None = None) -> OcrEngine:
    """The set-up OCR engine ``name`` of this process (built and loaded on first use)."""
    from phibench.worker import instance

    found: OcrEngine = instance(PluginSpec.of("ocr", name, dict(params or {})))
    found.name = name
    return found


def engine_of(settings: OcrSettings) -> OcrEngine:
    """The set-up engine ``settings`` names, with its parameters (see :func:`engine`)."""
    return engine(settings.name, dict(settings.params))


def read_frame(ocr: OcrEngine, frame: Frame) -> list[TextBox]:
    """What ``ocr`` reads in ``frame``, read at most once per frame and engine configuration.

    Any failure of the engine becomes a stage-``ocr`` :class:`SampleFailure` (never "no text").
    The returned list is shared: do not modify it.
    """
    key = ocr.cache_key
    cached = frame.ocr_cache.get(key)
    if cached is not None:
        return cached
    label = ocr.name or type(ocr).__name__
    try:
        boxes = ocr.read(frame.image)
    except SampleFailure:
        raise
    except Exception as exc:
        msg = " ".join(str(exc).split())[:200]
        raise SampleFailure("ocr", f"OCR engine {label!r} failed: {type(exc).__name__}: {msg}") from exc
    if not isinstance(boxes, list) or not all(isinstance(b, TextBox) for b in boxes):
        raise SampleFailure("ocr", f"OCR engine {label!r} returned no TextBox list")
    frame.ocr_cache[key] = boxes
    return boxes
