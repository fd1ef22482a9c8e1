"""Behaviours for the local servers: scripts, per-image faults, and answers from ground truth.

* :class:`Script` — replies in order of arrival, then a fallback.
* :class:`FirstAttempts` — for a deterministic share of the images (chosen by hash, so the same
  images whatever the request order), the first requests get the given faults, later ones the
  fallback: "every image is rate limited once, then answered".
* :class:`GroundTruthRule` — answers what is really in each image, from a table of image hash →
  PHI built with :func:`truth_by_image`, wrong on a chosen share of images (``error_rate``), in
  the JSON form of the default prompt or Pixels' pipe form.
* :class:`TextRule` — plays a *text* model (the OCR-then-LLM detector's): answers with the PHI
  that a finder picks out of the text the request carries, decided from the request alone.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from phibench.testing.replies import Behaviour, Reply, Request, image_key

Entities = Sequence[tuple[str, str]]
"""PHI of one image as (text, category) pairs; empty: no PHI."""


def pick(key: str, share: float, seed: int = 0) -> bool:
    """Whether the image ``key`` is in the ``share`` chosen by ``seed`` (deterministic)."""
    if share <= 0:
        return False
    if share >= 1:
        return True
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def _behaviour(then: Behaviour | Reply) -> Behaviour:
    return (lambda request: then) if isinstance(then, Reply) else then


class Script:
    """``replies[0]`` to the first request, ``replies[1]`` to the second, ..., then ``then``."""

    def __init__(self, replies: Sequence[Reply], then: Behaviour | Reply | None = None) -> None:
        self.replies = list(replies)
        self.then = _behaviour(then or Reply.answer('{"phi": [], "has_phi": false}'))
        self._n = 0
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Reply:
        with self._lock:
            i, self._n = self._n, self._n + 1
        return self.replies[i] if i < len(self.replies) else self.then(request)


class FirstAttempts:
    """For the chosen images, request k (1-based) gets ``faults[k-1]``; then ``then``."""

    def __init__(self, faults: Sequence[Reply], then: Behaviour | Reply, *, share: float = 1.0,
                 seed: int = 0) -> None:
        self.faults, self.then, self.share, self.seed = list(faults), _behaviour(then), share, seed

    def chosen(self, key: str) -> bool:
        return pick(key, self.share, self.seed)

    def __call__(self, request: Request) -> Reply:
        if self.chosen(request.image_key) and request.attempt <= len(self.faults):
            return self.faults[request.attempt - 1]
        return self.then(request)


class GroundTruthRule:
    """Answers each image's real PHI, looked up by the image's hash; wrong on ``error_rate``."""

    def __init__(self, truth: Mapping[str, Entities], *, error_rate: float = 0.0, seed: int = 0,
                 style: str = "json", unknown: Reply | None = None) -> None:
        if style not in ("json", "pipes"):
            raise ValueError("style is json or pipes")
        self.truth, self.error_rate, self.seed, self.style = dict(truth), error_rate, seed, style
        self.unknown = unknown or Reply.error(400)

    def wrong(self, key: str) -> bool:
        """Whether the rule answers this image wrongly."""
        return pick(key, self.error_rate, self.seed + 7919)

    def says_phi(self, key: str) -> bool:
        """The verdict the rule gives for this image."""
        return bool(self.truth[key]) != self.wrong(key)

    def answer(self, key: str) -> str:
        phi = list(self.truth[key])
        if self.wrong(key):
            phi = [] if phi else [("DOE^SIMULATED", "NAME")]
        if self.style == "pipes":
            return " | ".join(text for text, _ in phi) or "No PHI"
        return json.dumps({"text": [t for t, _ in phi], "has_phi": bool(phi),
                           "phi": [{"text": t, "category": c} for t, c in phi]})

    def __call__(self, request: Request) -> Reply:
        if request.image_key not in self.truth:
            return self.unknown
        return Reply.answer(self.answer(request.image_key))


class TextRule:
    """Answers a text-only request from the text it carries, as a text model would.

    ``find(text) -> [(span, category), ...]`` plays the model on the block between the last
    ``start`` marker of the request's text and the next ``end`` marker (the OCR text an
    OCR-then-LLM prompt embeds); the answer is the prompts' JSON form. A request without the
    block gets ``missing`` (HTTP 400 unless given).
    """

    def __init__(self, find: Callable[[str], Entities], *, start: str = "<ocr_text>",
                 end: str = "</ocr_text>", missing: Reply | None = None) -> None:
        self.find, self.start, self.end = find, start, end
        self.missing = missing or Reply.error(400)

    def block(self, request: Request) -> str | None:
        """The text the rule reads in ``request``; ``None`` when it has no such block."""
        _, found, rest = request.prompt.rpartition(self.start)
        return rest.partition(self.end)[0].strip("\n") if found else None

    def __call__(self, request: Request) -> Reply:
        text = self.block(request)
        if text is None:
            return self.missing
        phi = list(self.find(text))
        return Reply.answer(json.dumps({"phi": [{"text": t, "category": c} for t, c in phi],
                                        "has_phi": bool(phi)}))


def truth_by_image(samples: Iterable[tuple[Any, Any]],
                   encode: Callable[[np.ndarray], bytes], *,
                   skip_unreadable: bool = False) -> dict[str, list[tuple[str, str]]]:
    """Image hash → PHI of each planned sample, for :class:`GroundTruthRule`.

    ``samples`` are a dataset's ``(Sample, GroundTruth)`` pairs; each frame is rendered as the
    pipeline renders it and encoded with ``encode`` — the detector's own encoding — so the hash
    matches the bytes the server will receive. ``skip_unreadable``: a sample that does not
    render is left out (the pipeline fails it before any request) instead of raising.
    """
    from phibench.dicom import read_dataset, render_frame

    table: dict[str, list[tuple[str, str]]] = {}
    for sample, truth in samples:
        try:
            image = render_frame(read_dataset(sample.path), sample.frame)
        except Exception:  # noqa: BLE001 - any unreadable file is the pipeline's error row
            if not skip_unreadable:
                raise
            continue
        phi = [(r.text, r.category) for r in truth.regions if r.is_phi]
        if truth.has_phi and not phi:
            phi = [("UNLOCATED PHI", "OTHER")]
        table[image_key(encode(image))] = phi
    return table
