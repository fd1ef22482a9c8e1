"""Ground truth for a simulated server started from a shell: the PHI of each image a detector sends.

The server sees only the image of a request. A dataset plugin plans the samples (with their
ground truth), each frame is rendered as the pipeline renders it and encoded with the detector's
own :meth:`request_image` (the bytes it will send), and the table maps the SHA-256 of those bytes
to the PHI burned in. The match is exact, never approximate: an image that is not in the table —
another dataset, or other image settings than the ones given — is answered with an error (the run
shows an error row) rather than with a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from phibench.exceptions import ConfigError
from phibench.registry import Registry, default_registry
from phibench.testing.rules import Entities, truth_by_image

IMAGE_SETTINGS = ("image_long_side", "image_format", "jpeg_quality")
"""The detector parameters that shape the bytes of a request's image."""


def parse_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``"synthetic:n=24,seed=0"`` → ``("synthetic", {"n": 24, "seed": 0})`` (values as YAML)."""
    name, _, rest = spec.partition(":")
    params: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--truth-from {spec!r}: {item!r} is not KEY=VALUE")
        params[key.strip()] = yaml.safe_load(value) if value.strip() else None
    if not name.strip():
        raise ConfigError(f"--truth-from {spec!r}: name a dataset, e.g. synthetic:n=24,seed=0")
    return name.strip(), params


def image_encoder(detector: str, settings: dict[str, Any], registry: Registry | None = None):
    """``(encode(image) -> bytes, params)`` of the registered VLM detector ``detector`` with the
    image ``settings`` given (the rest at its defaults): exactly what its requests carry."""
    registry = registry or default_registry()
    entry = registry.get("detector", detector)
    cls: Any = entry.cls
    if not getattr(cls, "sends_image", False) or not hasattr(cls, "request_image"):
        raise ConfigError(f"--detector {detector}: its requests carry no image, so the server "
                          f"cannot tell them apart by image (choose a VLM detector, e.g. gpt4o)")
    params = entry.validate(settings, where=f"--detector {detector}")
    return (lambda image: cls.request_image(params, image).data), params


def truth_table(spec: str, encode: Callable[[Any], bytes],
                registry: Registry | None = None) -> dict[str, list[tuple[str, str]]]:
    """Image hash → PHI for every planned sample of the dataset ``spec``, encoded with ``encode``
    (from :func:`image_encoder`). Samples that do not render are left out: no request carries
    them."""
    registry = registry or default_registry()
    name, params = parse_spec(spec)
    dataset: Any = registry.build("dataset", name, params)
    return truth_by_image(dataset.plan(), encode, skip_unreadable=True)


def summary(table: dict[str, Entities]) -> str:
    """``"24 images, 12 with PHI"``: numbers only (the table holds PHI)."""
    with_phi = sum(1 for phi in table.values() if phi)
    return f"{len(table)} images, {with_phi} with PHI"
