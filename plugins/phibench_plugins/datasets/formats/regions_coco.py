"""A COCO-style regions file (what CVAT, Label Studio and most annotation tools export).

``images``: ``{"id", "file_name"[, "frame"][, "has_phi"]}``, file names relative to the root;
``annotations``: ``{"image_id", "bbox": [x, y, width, height], "category_id"[, "text"]
[, "is_phi"][, "attributes": {"text", "is_phi"}]}`` (CVAT puts its attributes under
``attributes``); ``categories``: ``{"id", "name"[, "is_phi"]}``.

COCO boxes are floats; a region's box is the smallest pixel box holding it (left and top
rounded down, right and bottom up). ``is_phi`` is the annotation's, else its category's, else
false for a harmless phibench category name (``LATERALITY``, ``TECHNIQUE``, ...) and true for any
other (fail closed). An image's ``has_phi``, when not given, is whether a PHI region is boxed; an
image without annotations is a labelled negative. An image without ``frame`` stands for every
frame of its file.
"""

from __future__ import annotations

import math
from typing import Any

from phibench.exceptions import DatasetError
from phibench.records import TextRegion
from phibench_plugins.datasets.formats.common import (
    DERIVE,
    Collector,
    is_phi_by_category,
    parse_frame,
    parse_label,
)
from phibench_plugins.datasets.formats.json_lines import Document, Member


def read_coco(doc: Document, collector: Collector) -> None:
    """Collect every image and annotation of ``doc`` (a parsed COCO file)."""
    path = doc.path
    if not isinstance(doc.value, dict) or not isinstance(doc.value.get("images"), list):
        raise DatasetError(f"regions file {path} must be a COCO object with an images list "
                           f"(and annotations, categories)")
    sections = {m.key: m for m in doc.members()}
    categories = _categories(doc, sections.get("categories"))
    images: dict[Any, tuple[tuple[str, int | None], int]] = {}
    for image in doc.members(sections["images"].offset):
        where = f"line {image.line}"
        d = _object(image, path, "an image")
        if "id" not in d or isinstance(d["id"], (dict, list)) or d["id"] is None:
            raise DatasetError(f"regions file {path} {where}: an image needs an id")
        if d["id"] in images:
            raise DatasetError(f"regions file {path} lines {images[d['id']][1]} and "
                               f"{image.line}: two images have the same id")
        label = parse_label(d.get("has_phi"), f"regions file {path} {where}")
        key = collector.add(d.get("file_name"), parse_frame(d.get("frame"), f"regions file {path} {where}"),
                            where, label=DERIVE if label is None else label)
        images[d["id"]] = (key, image.line)
    annotations = sections.get("annotations")
    if annotations is None:
        return
    if not isinstance(annotations.value, list):
        raise DatasetError(f"regions file {path} line {annotations.line}: annotations must be a list")
    for ann in doc.members(annotations.offset):
        d = _object(ann, path, "an annotation")
        where = f"regions file {path} line {ann.line}"
        if d.get("image_id") not in images or isinstance(d.get("image_id"), (dict, list)):
            raise DatasetError(f"{where}: image_id names no image of the file")
        collector.extend(images[d["image_id"]][0], [_region(d, categories, where)])


def _categories(doc: Document, section: Member | None) -> dict[Any, tuple[str, bool | None]]:
    out: dict[Any, tuple[str, bool | None]] = {}
    if section is None:
        return out
    if not isinstance(section.value, list):
        raise DatasetError(f"regions file {doc.path} line {section.line}: categories must be a list")
    for cat in doc.members(section.offset):
        d = _object(cat, doc.path, "a category")
        where = f"regions file {doc.path} line {cat.line}"
        name = d.get("name")
        if not isinstance(name, str) or "id" not in d or isinstance(d["id"], (dict, list)):
            raise DatasetError(f"{where}: a category needs an id and a name")
        out[d["id"]] = (name, parse_label(d.get("is_phi"), where, "is_phi"))
    return out


def _region(d: dict[str, Any], categories: dict[Any, tuple[str, bool | None]], where: str) -> TextRegion:
    attributes = d.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise DatasetError(f"{where}: attributes must be an object")
    category, category_is_phi = "", None
    if d.get("category_id") is not None:
        if isinstance(d["category_id"], (dict, list)) or d["category_id"] not in categories:
            raise DatasetError(f"{where}: category_id names no category of the file")
        category, category_is_phi = categories[d["category_id"]]
    is_phi = parse_label(attributes.get("is_phi", d.get("is_phi")), where, "is_phi")
    if is_phi is None:
        is_phi = category_is_phi if category_is_phi is not None else is_phi_by_category(category)
    text = attributes.get("text", d.get("text")) or ""
    try:
        return TextRegion.from_dict({"box": pixel_box(d.get("bbox")), "text": text,
                                     "category": category, "is_phi": is_phi})
    except ValueError as exc:
        raise DatasetError(f"{where}: {exc}") from None


def pixel_box(bbox: object) -> list[int]:
    """The smallest whole-pixel ``[left, top, width, height]`` holding a COCO float box."""
    if not isinstance(bbox, (list, tuple)) or len(bbox) != 4:
        raise ValueError("bbox must be 4 numbers [x, y, width, height]")
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)
           for v in bbox):
        raise ValueError("bbox must be 4 finite numbers [x, y, width, height]")
    x, y, w, h = bbox
    if w < 0 or h < 0:
        raise ValueError("bbox width and height must be at least 0")
    left, top = math.floor(x), math.floor(y)
    return [left, top, math.ceil(x + w) - left, math.ceil(y + h) - top]


def _object(member: Member, path: object, what: str) -> dict[str, Any]:
    if not isinstance(member.value, dict):
        raise DatasetError(f"regions file {path} line {member.line}: {what} must be an object")
    return member.value
