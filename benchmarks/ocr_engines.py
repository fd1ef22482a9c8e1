"""OCR engines compared on the same synthetic frames: load time, time per image, text accuracy.

The frames are the first ``--n`` frames of a synthetic dataset (``--n`` files, ``--seed``),
read and rendered exactly as a run does (:func:`phibench.dicom.render_frame`). Each engine is
built and set up once (``load s``), then reads every frame.

    .venv/bin/python benchmarks/ocr_engines.py --n 40 --seed 0 --engines easyocr,tesseract,rapidocr --threads 1

Timing: wall and CPU seconds per image (CPU includes child processes: Tesseract runs as one).
Every engine gets ``--threads`` threads (torch / OpenMP / ONNX Runtime), 1 by default, so the
figures compare engines per core.

Accuracy, per ground-truth text region: the OCR boxes overlapping it (intersection at least half
the smaller box) are put in reading order; the candidate texts are every contiguous run of them
(word-level engines split a region into words) and, for a run longer than the region's text
(line-level engines merge neighbouring regions), its best-aligned window. Character accuracy is
``1 - CER`` with CER the ``rapidfuzz`` Levenshtein normalised distance of whitespace-normalised
upper-case texts, best candidate; 0 when nothing overlaps. A region counts as read at CER <= 0.2.

``--param ENGINE.KEY=VALUE`` (repeatable) overrides an engine parameter, e.g.
``--param tesseract.psm=6``; ``--out FILE`` also writes the results as JSON. No OCR text is ever
printed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from phibench.dicom import read_dataset, render_frame
from phibench.ocr import OcrEngine, TextBox
from phibench.records import GroundTruth, TextRegion
from phibench.registry import default_registry

READ_CER = 0.2
"""A region whose best CER is at most this counts as read."""

THREAD_PARAMS = {"easyocr": "torch_threads", "tesseract": "omp_thread_limit",
                 "rapidocr": "intra_op_threads"}
"""Each engine's parameter for its number of compute threads."""

Frame = tuple[np.ndarray, GroundTruth]


# -- data --------------------------------------------------------------------------------------


def load_frames(n: int, seed: int, folder: Path, limit: int) -> list[Frame]:
    """The first ``limit`` frames of synthetic dataset (n, seed), rendered as a run does."""
    dataset = default_registry().build("dataset", "synthetic",
                                       {"n": n, "seed": seed, "out": str(folder)})
    frames: list[Frame] = []
    for sample, truth in dataset.plan():  # type: ignore[attr-defined]
        if len(frames) >= limit:
            break
        frames.append((render_frame(read_dataset(sample.path), sample.frame), truth))
    return frames


# -- scoring -----------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """NFKC, upper case, runs of whitespace as one space."""
    return " ".join(unicodedata.normalize("NFKC", text).upper().split())


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    ix = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    iy = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return False
    return ix * iy >= 0.5 * min(a[2] * a[3], b[2] * b[3])


def reading_order(boxes: list[TextBox]) -> list[TextBox]:
    """Top to bottom by line (centres closer than half a box height), left to right in a line."""
    lines: list[list[TextBox]] = []
    for b in sorted(boxes, key=lambda b: b.box[1] + b.box[3] / 2):
        cy = b.box[1] + b.box[3] / 2
        last = lines[-1][-1] if lines else None
        if last is not None and abs(cy - (last.box[1] + last.box[3] / 2)) < 0.5 * max(
                b.box[3], last.box[3]):
            lines[-1].append(b)
        else:
            lines.append([b])
    return [b for line in lines for b in sorted(line, key=lambda b: b.box[0])]


def region_accuracy(region: TextRegion, boxes: list[TextBox]) -> float:
    """1 - CER of the best candidate text for ``region`` (see the module docstring)."""
    ref = normalise(region.text)
    if not ref:
        return 1.0
    near = reading_order([b for b in boxes if _overlaps(region.box, b.box)])
    words = [normalise(b.text) for b in near]
    best = 0.0
    for i in range(len(words)):
        for j in range(i + 1, len(words) + 1):
            cand = " ".join(w for w in words[i:j] if w)
            cands = [cand]
            if len(cand) > len(ref):
                span = fuzz.partial_ratio_alignment(ref, cand)
                if span is not None:
                    cands.append(cand[span.dest_start:span.dest_end])
            for c in cands:
                best = max(best, 1.0 - Levenshtein.normalized_distance(ref, c))
    return best


# -- timing ------------------------------------------------------------------------------------


def cpu_seconds() -> float:
    """User + system CPU of this process and its waited-for children (Tesseract's processes)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def bench_engine(name: str, params: dict[str, Any], frames: list[Frame]) -> dict[str, Any]:
    """Load ``name`` once, read every frame, and score the reads against the ground truth."""
    t0 = time.perf_counter()
    engine: OcrEngine = default_registry().build("ocr", name, params)  # type: ignore[assignment]
    engine.setup()
    load_s = time.perf_counter() - t0
    wall: list[float] = []
    cpu: list[float] = []
    phi: list[float] = []
    every: list[float] = []
    for image, truth in frames:
        c0, w0 = cpu_seconds(), time.perf_counter()
        boxes = engine.read(image)
        wall.append(time.perf_counter() - w0)
        cpu.append(cpu_seconds() - c0)
        for region in truth.regions:
            acc = region_accuracy(region, boxes)
            every.append(acc)
            if region.is_phi:
                phi.append(acc)

    def read_rate(accs: list[float]) -> float:
        return sum(a >= 1.0 - READ_CER for a in accs) / len(accs) if accs else float("nan")

    return {
        "engine": name,
        "params": params,
        "describe": {k: str(v) for k, v in engine.describe().items()},
        "images": len(frames),
        "load_s": round(load_s, 2),
        "cpu_s_median": round(statistics.median(cpu), 3),
        "cpu_s_p90": round(percentile(cpu, 90), 3),
        "wall_s_median": round(statistics.median(wall), 3),
        "wall_s_p90": round(percentile(wall, 90), 3),
        "phi_regions": len(phi),
        "all_regions": len(every),
        "char_accuracy_phi": round(statistics.fmean(phi), 3) if phi else None,
        "read_rate_phi": round(read_rate(phi), 3),
        "char_accuracy_all": round(statistics.fmean(every), 3) if every else None,
        "read_rate_all": round(read_rate(every), 3),
    }


# -- command line ------------------------------------------------------------------------------


def parse_overrides(items: list[str]) -> dict[str, dict[str, Any]]:
    """``ENGINE.KEY=VALUE`` strings as ``{engine: {key: value}}`` (values parsed as JSON if they
    can be, else kept as strings)."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        m = re.fullmatch(r"(\w+)\.(\w+)=(.*)", item)
        if not m:
            raise SystemExit(f"--param wants ENGINE.KEY=VALUE, got {item!r}")
        try:
            value: Any = json.loads(m.group(3))
        except json.JSONDecodeError:
            value = m.group(3)
        out.setdefault(m.group(1), {})[m.group(2)] = value
    return out


def table(results: list[dict[str, Any]]) -> str:
    head = ("| engine | load s | CPU s/image median | wall s/image median | wall p90 | "
            "char accuracy PHI regions | PHI region read rate (CER<=0.2) | all regions read rate |")
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(
            f"| {r['engine']} | {r['load_s']:.2f} | {r['cpu_s_median']:.3f} | "
            f"{r['wall_s_median']:.3f} | {r['wall_s_p90']:.3f} | {r['char_accuracy_phi']:.3f} | "
            f"{r['read_rate_phi']:.3f} ({r['phi_regions']}) | {r['read_rate_all']:.3f} "
            f"({r['all_regions']}) |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=40, help="synthetic files, and frames read")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--engines", default="easyocr,tesseract,rapidocr")
    parser.add_argument("--threads", type=int, default=1, help="compute threads per engine")
    parser.add_argument("--param", action="append", default=[], metavar="ENGINE.KEY=VALUE")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args()

    overrides = parse_overrides(args.param)
    with tempfile.TemporaryDirectory() as tmp:
        frames = load_frames(args.n, args.seed, Path(tmp) / "data", args.n)
    results = []
    for name in filter(None, (e.strip() for e in args.engines.split(","))):
        params: dict[str, Any] = {}
        if name in THREAD_PARAMS:
            params[THREAD_PARAMS[name]] = args.threads
        params.update(overrides.get(name, {}))
        results.append(bench_engine(name, params, frames))
        print(f"{name}: done", flush=True)
    report = {"n": args.n, "seed": args.seed, "frames": len(frames), "threads": args.threads,
              "cpu_count": os.cpu_count(), "results": results}
    print(table(results))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
