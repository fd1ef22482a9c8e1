"""Detector + redactor vs detector alone on the same images: what does redaction add?

Both sides run ``detector=local`` (EasyOCR) through ``phibench run`` (inline executor, one
process) over the same synthetic files. The redacting side adds ``redactor=easyocr`` with the
detector's OCR engine and parameters, so each frame is OCR'd once and the redactor reuses it; what
remains is choosing boxes, masking in stored values and writing every file. Re-OCR verification
(``redactor.verify``) is a separate, optional quality check and is off here; its cost is reported
on its own with ``--with-verify``; ``--unshared`` times a redactor that cannot reuse the
detector's reading (what sharing saves).

    .venv/bin/python benchmarks/redaction_overhead.py --n 40 --repeats 3

Prints medians and the ratio redacting / detecting (goal <= 1.15). Runs alternate to spread any
drift of the machine over both sides.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from phibench.registry import default_registry
from phibench.run import execute


def one_run(data: Path, n: int, seed: int, out: Path, redactor: dict | None) -> dict:
    cfg = {
        "detector": {"name": "local"},
        "dataset": {"name": "synthetic", "n": n, "seed": seed, "out": str(data)},
        "executor": {"name": "inline"},
        "reporters": ["json"],
        "run": {"progress": False},
    }
    if redactor:
        cfg["redactor"] = redactor
    return execute(cfg, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--with-verify", action="store_true", help="also time redactor.verify=true")
    parser.add_argument("--unshared", action="store_true",
                        help="also time a redactor whose OCR parameters differ from the detector's "
                             "(canvas_size 1601 vs 1600: the same reading, but not shared)")
    args = parser.parse_args()

    registry = default_registry()
    sides = {
        "detector_only": None,
        "detector_plus_redactor": {"name": "easyocr", "verify": False},
    }
    if args.with_verify:
        sides["detector_plus_redactor_verified"] = {"name": "easyocr", "verify": True}
    if args.unshared:
        sides["detector_plus_redactor_unshared"] = {
            "name": "easyocr", "verify": False, "ocr": {"params": {"canvas_size": 1601}}}
    times: dict[str, list[float]] = {k: [] for k in sides}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        registry.build("dataset", "synthetic", {"n": args.n, "seed": args.seed, "out": str(data)}).make()
        one_run(data, args.n, args.seed, Path(tmp) / "warm", None)  # load models, warm caches
        frames = masked = 0
        for r in range(args.repeats):
            for name, redactor in sides.items():
                t0 = time.perf_counter()
                sc = one_run(data, args.n, args.seed, Path(tmp) / f"{name}{r}", redactor)
                times[name].append(time.perf_counter() - t0)
                frames = sc["samples"]
                if sc.get("redaction"):
                    masked = sc["redaction"]["frames"].get("masked", 0)
    med = {k: statistics.median(v) for k, v in times.items()}
    out = {
        "files": args.n, "frames": frames, "frames_masked": masked, "repeats": args.repeats,
        "cpu_count": os.cpu_count(),
        **{f"{k}_s_median": round(v, 2) for k, v in med.items()},
        "ratio_redacting_over_detecting": round(med["detector_plus_redactor"] / med["detector_only"], 3),
        "goal": "<= 1.15",
    }
    if args.with_verify:
        out["ratio_verified_over_detecting"] = round(
            med["detector_plus_redactor_verified"] / med["detector_only"], 3)
    if args.unshared:
        out["ratio_unshared_over_detecting"] = round(
            med["detector_plus_redactor_unshared"] / med["detector_only"], 3)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
