"""OCR engines and settings on real DICOM files (``../shared/realdev``): PHI regions read, CPU.

Frame 0 of each file of the realdev set is read and rendered exactly as a run does
(:func:`phibench.dicom.read_dataset` + :func:`phibench.dicom.render_frame`); each engine
configuration is built and set up once, then reads every frame. Per configuration:

* **PHI regions read**: ground-truth PHI regions whose OCR text (the boxes overlapping the region,
  best contiguous run, see :func:`ocr_engines.region_accuracy`) has CER <= 0.2;
* **all regions read**: the same over every region whose label is a transcription (labels that
  only *describe* a region, such as ``"(depth scale)"``, are left out; ``" / "`` in a label joins
  lines and is read as a space);
* **CPU s/image**: process CPU time (children included), one compute thread per engine.

    .venv/bin/python benchmarks/realdev_ocr.py --subset text --threads 1
    .venv/bin/python benchmarks/realdev_ocr.py --subset text \\
        --config base=easyocr:'{"upscale_min_height": 0}' --config new=easyocr:'{}'

``--config LABEL=ENGINE[:JSON]`` (repeatable) names one engine configuration; without it, the
three engines run with their defaults. ``--subset`` is ``phi`` (PHI files), ``text`` (every file
with text) or ``all``. No OCR text is ever printed; ``--out FILE`` writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ocr_engines import READ_CER, THREAD_PARAMS, cpu_seconds, region_accuracy  # noqa: E402

from phibench.dicom import read_dataset, render_frame  # noqa: E402
from phibench.ocr import OcrEngine  # noqa: E402
from phibench.records import TextRegion  # noqa: E402
from phibench.registry import default_registry  # noqa: E402

REALDEV = Path(__file__).resolve().parents[1].parent / "shared" / "realdev"
"""``../shared/realdev`` from the repository root."""


@dataclass
class RealFrame:
    name: str
    image: np.ndarray
    has_phi: bool
    regions: list[TextRegion]


def transcription(text: str) -> str:
    """The label's text as it is printed: descriptions in parentheses dropped, ``/`` lines
    joined; ``""`` when the label only describes the region."""
    text = re.sub(r"\([^)]*\)", " ", text)
    text = text.replace(" / ", " ")
    return " ".join(text.split())


def load_realdev(root: Path, subset: str) -> list[RealFrame]:
    """Frame 0 of the realdev files of ``subset`` (``phi``, ``text`` or ``all``), rendered."""
    frames: list[RealFrame] = []
    with open(root / "labels.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            has_phi = row["has_phi"] == "1"
            has_text = row.get("has_text", "0") == "1" or has_phi
            if subset == "phi" and not has_phi or subset == "text" and not has_text:
                continue
            regions = [
                TextRegion(box=tuple(r["box"]), text=r["text"], is_phi=bool(r["is_phi"]),
                           category=r.get("category"))
                for r in json.loads(row["regions"] or "[]")
            ]
            image = render_frame(read_dataset(root / row["path"]), int(row.get("frame") or 0))
            frames.append(RealFrame(row["path"], image, has_phi, regions))
    return frames


def bench(label: str, name: str, params: dict[str, Any], frames: list[RealFrame]) -> dict[str, Any]:
    """Build ``name`` with ``params`` once, read every frame, score the reads."""
    engine: OcrEngine = default_registry().build("ocr", name, params)  # type: ignore[assignment]
    engine.setup()
    cpu: list[float] = []
    phi_read = phi_n = all_read = all_n = 0
    per_cat: dict[str, list[int]] = {}
    for f in frames:
        c0 = cpu_seconds()
        boxes = engine.read(f.image)
        cpu.append(cpu_seconds() - c0)
        for region in f.regions:
            text = transcription(region.text)
            if not text:
                continue
            ok = region_accuracy(TextRegion(region.box, text, region.is_phi, region.category),
                                 boxes) >= 1.0 - READ_CER
            all_n += 1
            all_read += ok
            if region.is_phi:
                phi_n += 1
                phi_read += ok
                cat = per_cat.setdefault(str(region.category), [0, 0])
                cat[0] += ok
                cat[1] += 1
    return {
        "label": label, "engine": name, "params": params, "images": len(frames),
        "phi_read": phi_read, "phi_regions": phi_n, "all_read": all_read, "all_regions": all_n,
        "per_category": per_cat,
        "cpu_s_mean": round(statistics.fmean(cpu), 3), "cpu_s_median": round(statistics.median(cpu), 3),
        "cpu_s_max": round(max(cpu), 3),
    }


def parse_config(item: str) -> tuple[str, str, dict[str, Any]]:
    m = re.fullmatch(r"([\w.+\-]+)=(\w+)(?::(.*))?", item, re.DOTALL)
    if not m:
        raise SystemExit(f"--config wants LABEL=ENGINE[:JSON], got {item!r}")
    params = json.loads(m.group(3)) if m.group(3) else {}
    if not isinstance(params, dict):
        raise SystemExit(f"--config {item!r}: the JSON must be an object")
    return m.group(1), m.group(2), params


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| setting | engine | PHI regions read (CER<=0.2) | all regions read | "
             "CPU s/image mean | median | max |", "|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(
            f"| {r['label']} | {r['engine']} | {r['phi_read']}/{r['phi_regions']} | "
            f"{r['all_read']}/{r['all_regions']} | {r['cpu_s_mean']:.2f} | "
            f"{r['cpu_s_median']:.2f} | {r['cpu_s_max']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=REALDEV)
    parser.add_argument("--subset", choices=("phi", "text", "all"), default="text")
    parser.add_argument("--threads", type=int, default=1, help="compute threads per engine")
    parser.add_argument("--config", action="append", default=[], metavar="LABEL=ENGINE[:JSON]")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if not (args.root / "labels.csv").is_file():
        raise SystemExit(f"realdev set not found at {args.root} (expected labels.csv there)")
    configs = [parse_config(c) for c in args.config] or [
        (n, n, {}) for n in ("easyocr", "tesseract", "rapidocr")]
    frames = load_realdev(args.root, args.subset)
    results = []
    for label, name, params in configs:
        full = {THREAD_PARAMS[name]: args.threads} if name in THREAD_PARAMS else {}
        full.update(params)
        t0 = time.perf_counter()
        results.append(bench(label, name, full, frames))
        print(f"{label}: done in {time.perf_counter() - t0:.0f} s", flush=True)
    print(table(results))
    if args.out:
        args.out.write_text(json.dumps({"subset": args.subset, "threads": args.threads,
                                        "cpu_count": os.cpu_count(), "results": results},
                                       indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
