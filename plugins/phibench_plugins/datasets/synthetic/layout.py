"""Placing and painting the text of one image: corner blocks, edge markers, strips, free labels.

Each image gets a typographic theme (font, base size, margins); each block a look (plain white,
grey, low contrast, black backing box, dark on a light box, colours on RGB) and sometimes a small
tilt. Text is burned at the modality value that *displays* with the wanted contrast against the
background actually under it (see :class:`~.tone.Tone`). Boxes never overlap, so each ground-truth
box holds the ink of exactly one region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from phibench_plugins.datasets.synthetic.backgrounds import Scene
from phibench_plugins.datasets.synthetic.content import Field, pick
from phibench_plugins.datasets.synthetic.draw import Ink, burn, fill, render_text, ticks

Box = tuple[int, int, int, int]
Cell = tuple[Field, Ink, int]
"""One field of a line: what, its ink, and its x offset within the line."""
FAMILIES = ["mono"] * 6 + ["sans"] * 6 + ["sans_bold"] * 2 + ["mono_bold"] * 2 + \
    ["serif", "serif_bold", "stix", "stix_bold", "sans_oblique", "thin_mono", "thin_sans"]
BANNER_FAMILIES = ["sans", "mono", "thin_mono", "thin_sans", "thin_sans", "sans_bold"]
LOOKS = ["plain"] * 10 + ["grey"] * 4 + ["backing"] * 3 + ["light_box"] * 2 + ["low"] * 2
TINTS = [(1.0, 1.0, 0.35), (0.55, 1.0, 0.55), (0.55, 0.9, 1.0), (1.0, 0.75, 0.3),
         (1.0, 1.0, 0.0), (0.3, 1.0, 0.3), (0.2, 1.0, 1.0), (0.75, 0.75, 0.75)]
"""Colours of overlay text on RGB images: yellows, greens, cyans, orange, grey (times the level:
white text is (1, 1, 1))."""
BANNER_SIZES = (8, 15)
"""Font size range (px, em; upper end excluded) of banner text, small whatever the image size as
on real consoles (capitals 6-10 px tall); one banner in ten goes down to 7 px."""
RIGHT = ("DATE",)
"""Banner fields that sit at the right end of a row (dates, then the times printed beside them)."""
TIME = re.compile(r"^\d{1,2}:\d{2}")


@dataclass(frozen=True)
class Region:
    box: Box
    text: str
    is_phi: bool
    category: str
    frame: int | None
    """The only frame it is on; None: every frame."""


def choose_levels(mode: str, lo: float, hi: float, mean: float, rng: np.random.Generator
                  ) -> tuple[str, float | None, float]:
    """``(mode, box level or None, text level)`` legible over a background spanning ``lo..hi``.

    Levels are display brightness 0..1. Plain text needs 0.38 of contrast against every pixel it
    covers (most of them: 3rd to 97th percentile); where neither white nor black manages that (text
    straddling a bright and a dark area) the line gets a backing box instead.
    """
    if mode == "backing":
        return mode, 0.0, float(rng.uniform(0.85, 1.0))
    if mode == "light_box":
        return mode, float(rng.uniform(0.82, 0.95)), float(rng.uniform(0.0, 0.1))
    if mode == "low" and hi - lo < 0.12:
        delta = float(rng.uniform(0.25, 0.35))
        return mode, None, mean + delta if mean + delta <= 1.0 else mean - delta
    if mode == "grey":
        level = float(rng.uniform(0.6, 0.85))
        if hi <= level - 0.38 or lo >= level + 0.38:
            return mode, None, level
    if hi <= 0.62:
        return "plain", None, 1.0
    if lo >= 0.38:
        return "plain", None, 0.0
    return "backing", 0.0, 1.0


def banner_rank(f: Field) -> int:
    """Left to right in a banner: identifiers, other text, dates, times of day."""
    if f.category in RIGHT:
        return 2
    if TIME.match(f.text):
        return 3
    return 0 if f.is_phi else 1


def _hit(a: Box, b: Box, gap: int = 2) -> bool:
    return not (a[0] + a[2] + gap <= b[0] or b[0] + b[2] + gap <= a[0] or
                a[1] + a[3] + gap <= b[1] or b[1] + b[3] + gap <= a[1])


class Painter:
    """Burns lines into a scene's frames and records their regions."""

    def __init__(self, scene: Scene, rng: np.random.Generator) -> None:
        self.scene, self.rng = scene, rng
        self.h, self.w = scene.shape
        self.family = pick(rng, FAMILIES)
        self.base = float(np.clip(min(self.h, self.w) / 512 * rng.uniform(9, 19), 8, 24))
        self.mx, self.my = int(rng.integers(4, 22)), int(rng.integers(4, 18))
        self.top = int(scene.facts.get("toolbar", 0))
        self.aliased = rng.random() < 0.3
        self.occupied: list[Box] = list(scene.facts.get("reserved", []))
        self.regions: list[Region] = []

    # -- geometry -------------------------------------------------------------------------
    def free(self, box: Box) -> bool:
        l, t, w, h = box
        inside = l >= 1 and t >= 1 and l + w <= self.w - 1 and t + h <= self.h - 1
        return inside and not any(_hit(box, o) for o in self.occupied)

    def look(self) -> tuple[str, float, tuple[float, float, float] | None]:
        rng = self.rng
        mode = pick(rng, LOOKS)
        angle = 0.0 if rng.random() < 0.9 else float(rng.choice([-1, 1]) * rng.uniform(1, 5))
        return mode, angle, self.tint(mode)

    def tint(self, mode: str, share: float = 0.45) -> tuple[float, float, float] | None:
        """A text colour for RGB images (None: white or grey)."""
        rgb = self.scene.tone.kind == "rgb"
        if rgb and mode in ("plain", "grey") and self.rng.random() < share:
            return pick(self.rng, TINTS)
        return None

    def ink(self, f: Field, size_factor: float, angle: float) -> Ink | None:
        cap = 34 if f.scale > 1.3 else 28
        size = int(np.clip(round(self.base * f.scale * size_factor), 7, cap))
        family = "sans_bold" if f.scale > 1.3 else self.family
        return render_text(f.text, family, size, angle, aliased=self.aliased or size <= 10)

    # -- painting ---------------------------------------------------------------------------
    @staticmethod
    def line_box(line: list[Cell], x: int, y: int, pad: int = 0) -> Box:
        """Bounding box of a line's ink with its nominal box at ``(x, y)``, grown by ``pad``."""
        l0 = min(x + dx + i.ox for _, i, dx in line)
        t0 = min(y + i.oy for _, i, _ in line)
        r0 = max(x + dx + i.ox + i.alpha.shape[1] for _, i, dx in line)
        b0 = max(y + i.oy + i.alpha.shape[0] for _, i, _ in line)
        return l0 - pad, t0 - pad, r0 - l0 + 2 * pad, b0 - t0 + 2 * pad

    def paint(self, line: list[Cell], x: int, y: int, mode: str,
              tint: tuple[float, float, float] | None) -> None:
        """Burn one line (fields side by side, or one ink per frame for counters) at ``(x, y)``."""
        tone, frames, rng = self.scene.tone, self.scene.frames, self.rng
        under = []
        for _, ink, dx in line:  # what the reader sees where the ink will be
            bx, by = x + dx + ink.ox, y + ink.oy
            patch = frames[0][by:by + ink.alpha.shape[0], bx:bx + ink.alpha.shape[1]]
            under.append(tone.level(patch)[ink.alpha[: patch.shape[0], : patch.shape[1]] > 0.5])
        seen = np.concatenate(under) if under else np.zeros(1, np.float32)
        lo, hi = (float(v) for v in np.percentile(seen, [3, 97])) if seen.size else (0.0, 0.0)
        if mode == "low" and min(ink.size for _, ink, _ in line) < 13:
            mode = "grey"  # faint and tiny would be unreadable, not just hard
        mean = float(np.mean(seen)) if seen.size else 0.0
        mode, box_level, level = choose_levels(mode, lo, hi, mean, rng)
        pad = 3 if box_level is not None else 0
        outer = self.line_box(line, x, y, pad)
        value = tone.colour(level, tint)
        shown = [range(len(frames)) if f.frame is None else [f.frame] for f, _, _ in line]
        if box_level is not None:
            for k in sorted({k for on in shown for k in on}):
                fill(frames[k], outer, tone.colour(box_level))
        for (f, ink, dx), on in zip(line, shown):
            box = (x + dx + ink.ox, y + ink.oy, ink.alpha.shape[1], ink.alpha.shape[0])
            for k in on:
                self.burn(frames[k], ink.alpha, box, level, value)
            self.regions.append(Region(box, f.text, f.is_phi, f.category, f.frame))
        self.occupied.append(outer)

    def burn(self, frame: np.ndarray, alpha: np.ndarray, box: Box, level: float,
             value: np.ndarray) -> None:
        """Blend text into ``frame``. Greyscale blends *display* levels, then maps back to values:
        blending modality values would push anti-aliased edges (text of 3071 HU over air of
        -1000 HU) outside a narrow window, where they show as background, not as ink."""
        tone = self.scene.tone
        if tone.kind != "grey":
            burn(frame, alpha, box[0], box[1], value)
            return
        left, top, w, h = box
        region = frame[top:top + h, left:left + w]
        a = alpha[: region.shape[0], : region.shape[1]]
        mixed = tone.values(tone.level(region) * (1.0 - a) + level * a)
        region[:] = np.where(a > 0, mixed, region)

    # -- placement strategies ------------------------------------------------------------------
    def banner(self, fields: list[Field]) -> list[Field]:
        """Small text in a row or two along the top edge (name and IDs left, date and time
        right, other fields between, spread out), one look for the whole banner. Returns the
        fields that did not fit."""
        rng = self.rng
        size = 7 if rng.random() < 0.1 else int(rng.integers(*BANNER_SIZES))
        family = pick(rng, BANNER_FAMILIES + [self.family])
        mode = pick(rng, ["plain"] * 6 + ["grey"] * 3 + ["backing"])
        tint = self.tint(mode, share=0.7)
        aliased = self.aliased or size <= 10 or rng.random() < 0.5
        order = sorted(fields, key=banner_rank)
        y = self.top + int(rng.integers(1, 5))
        left_out, queue = [], list(order)
        for _ in range(2):  # rows
            cells: list[tuple[Field, Ink]] = []
            room = self.w - 2 * self.mx
            while queue:
                f = queue[0]
                ink = render_text(f.text, family, size, 0.0, aliased=aliased)
                if ink is None:
                    queue.pop(0)
                    continue
                gap = int(size * 1.5) * len(cells)
                if sum(i.width for _, i in cells) + ink.width + gap > room:
                    break
                cells.append((queue.pop(0), ink))
            if not cells:
                break
            height = max(i.height for _, i in cells)
            spare = room - sum(i.width for _, i in cells)
            step = spare / max(1, len(cells) - 1) if len(cells) > 1 else 0.0
            alone_right = len(cells) == 1 and banner_rank(cells[0][0]) >= 2  # a date or time
            x = float(self.w - self.mx - cells[0][1].width if alone_right else self.mx)
            for f, ink in cells:
                line = [(f, ink, 0)]
                if self.free(self.line_box(line, int(x), y, 1)):
                    self.paint(line, int(x), y, mode, tint)
                else:
                    left_out.append(f)
                x += ink.width + step
            y += int(height * float(rng.uniform(0.95, 1.2)))
        return left_out + queue

    def stack(self, lines: list[list[Cell]], slot: str, mode: str, tint) -> list[Field]:
        """A corner or edge block, line under line; returns the fields that did not fit."""
        pitch_k = float(self.rng.uniform(1.0, 1.3))
        bottom = slot in ("bl", "br", "bc")
        y = self.h - self.my if bottom else self.my + self.top + (4 if self.top else 0)
        left_out: list[Field] = []
        for line in (list(reversed(lines)) if bottom else lines):
            height = max(i.height for _, i, _ in line)
            width = max(dx + i.width for _, i, dx in line)
            step, placed = max(1, int(height * pitch_k)), False
            while 0 < y < self.h and not placed:
                yy = y - height if bottom else y
                x = self.mx if slot[-1] == "l" else self.w - self.mx - width if slot[-1] == "r" \
                    else (self.w - width) // 2
                if self.free(self.line_box(line, x, yy, 3)):
                    self.paint(line, x, yy, mode, tint)
                    placed = True
                y = y - step if bottom else y + step
            if not placed:
                left_out.extend(f for f, _, _ in line)
        return left_out

    def single(self, line: list[Cell], where: str, mode: str, tint) -> bool:
        """Place one line by itself: at a point, at an edge centre, on a side, or anywhere free."""
        rng = self.rng
        f, ink, _ = line[0]
        w, h = max(dx + i.width for _, i, dx in line), max(i.height for _, i, _ in line)
        tries: list[tuple[int, int]] = []
        if where == "at" and f.at is not None:
            tries = [(int(np.clip(f.at[0] - w // 2, 1, self.w - w - 1)),
                      int(np.clip(f.at[1] - h // 2, 1, self.h - h - 1)))]
        elif where == "bar":
            tries = [(int(rng.integers(6, 14)), max(0, (self.top - h) // 2))]
        elif where in ("lm", "rm", "tc", "bc", "vert"):
            for dy in (0, -2 * h, 2 * h, -4 * h, 4 * h, -w // 2, w // 2):
                cy = (self.h - h) // 2 + dy
                if where == "tc":
                    tries.append(((self.w - w) // 2, self.my + self.top + abs(dy)))
                elif where == "bc":
                    tries.append(((self.w - w) // 2, self.h - self.my - h - abs(dy)))
                elif where == "lm":
                    tries.append((self.mx, cy))
                elif where == "rm":
                    tries.append((self.w - self.mx - w, cy))
                else:
                    tries += [(2, cy), (self.w - w - 2, cy)]
        else:
            for _ in range(40):
                tries.append((int(rng.integers(1, max(2, self.w - w - 1))),
                              int(rng.integers(1 + self.top, max(2 + self.top, self.h - h - 1)))))
        for x, y in tries:
            if self.free(self.line_box(line, x, y, 3)):
                self.paint(line, x, y, mode, tint)
                return True
        return False

    def ruler(self, region: Region) -> None:
        """Tick marks above a ``10 cm`` style label, at the image's true pixel spacing."""
        scene = self.scene
        spacing = scene.spacing_mm if scene.facts.get("ruler") else 0.0
        digits = "".join(c for c in region.text if c.isdigit())
        if not spacing or not digits:
            return
        length = int(int(digits) * (1 if "mm" in region.text else 10) / spacing)
        left, top, width, _ = region.box
        if left + length >= self.w - 2:  # right-aligned label: the ruler ends where it ends
            left = left + width - length - 1
        box = (left, top - 14, length + 1, 9)
        if length < 20 or not self.free(box):
            return
        under = scene.tone.level(scene.frames[0][box[1]:box[1] + 9, box[0]:box[0] + length])
        value = scene.tone.colour(1.0 if float(np.mean(under)) < 0.55 else 0.0)
        for frame in scene.frames:
            ticks(frame, box[0], box[1] + 8, length, length / 10.0, vertical=False, value=value)
        self.occupied.append(box)
