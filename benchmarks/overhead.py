"""Framework overhead: a no-op detector through a whole phibench run vs a raw pydicom loop.

Both read and decode every frame of the same synthetic files. The phibench side does everything
a real run does around the detector (plan, per-file read, render with LUT/window, batching,
result rows, Parquet appends, scoring, reports); the detector itself is ``flag_none``.

    .venv/bin/python benchmarks/overhead.py --n 200 --repeats 5

Prints medians and the speed ratio raw_time / phibench_time (goal >= 0.8). Both sides use
pydicom's default decoder order, so the difference is the framework's own cost (rendering,
rows, Parquet, scoring).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import pydicom
from pydicom.pixels import pixel_array

from phibench.registry import default_registry
from phibench.run import execute


def raw_loop(paths: list[Path]) -> int:
    """dcmread + pixel_array per frame, pydicom's defaults (the same decoders phibench uses)."""
    frames = 0
    for path in paths:
        ds = pydicom.dcmread(path)
        for i in range(int(ds.get("NumberOfFrames", 1) or 1)):
            pixel_array(ds, index=i)
            frames += 1
    return frames


def phibench_run(data: Path, n: int, seed: int, out: Path) -> dict:
    cfg = {
        "detector": {"name": "flag_none"},
        "dataset": {"name": "synthetic", "n": n, "seed": seed, "out": str(data)},
        "executor": {"name": "inline"},
        "reporters": ["json", "markdown"],
        "run": {"progress": False},
    }
    return execute(cfg, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    registry = default_registry()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        registry.build("dataset", "synthetic", {"n": args.n, "seed": args.seed, "out": str(data)}).make()
        paths = sorted(p for p in data.rglob("*.dcm"))
        frames = raw_loop(paths)  # warm the page cache and imports
        raw, ours = [], []
        for r in range(args.repeats):
            t0 = time.perf_counter()
            raw_loop(paths)
            raw.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            sc = phibench_run(data, args.n, args.seed, Path(tmp) / f"run{r}")
            ours.append(time.perf_counter() - t0)
            assert sc["samples"] == frames, (sc["samples"], frames)
    raw_med, ours_med = statistics.median(raw), statistics.median(ours)
    print(json.dumps({
        "files": len(paths), "frames": frames, "repeats": args.repeats,
        "raw_pydicom_loop_s_median": round(raw_med, 3),
        "phibench_noop_run_s_median": round(ours_med, 3),
        "speed_ratio_raw_over_phibench": round(raw_med / ours_med, 3),
        "goal": ">= 0.8",
    }, indent=2))


if __name__ == "__main__":
    main()
