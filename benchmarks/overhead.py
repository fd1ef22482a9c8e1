"""Framework overhead: a no-op detector through a whole phibench run vs a raw pydicom loop.

Both read and decode every frame of the same synthetic files. The phibench side does everything
a real run does around the detector (plan, per-file read, render with LUT/window, batching,
result rows, Parquet appends, scoring, reports); the detector itself is ``flag_none``.

    .venv/bin/python benchmarks/overhead.py --n 200 --repeats 5

Prints medians and the speed ratio raw_time / phibench_time (goal >= 0.9, issue 14), in wall
time and in CPU time of this process (all its threads), against two raw loops:

* the bare pydicom loop a user would write: pydicom's default decoder order (gdcm first for
  JPEG and JPEG 2000, pylibjpeg for RLE) -- the issue's target;
* ``same_decoders``: the same loop with phibench's decoder choice (Pillow first for 8-bit JPEG,
  ``phibench.dicom.decode._PREFERRED_PLUGIN``), so that ratio is the framework's own cost alone
  (file checks, rendering to uint8 with LUT/window, rows, Parquet, scoring, reports) and a
  faster codec does not hide it.

Both decode one frame per call and convert YBR to RGB. The raw loop does no rendering: that is
framework work here by definition. The codecs may use more than one thread (JPEG 2000 runs
have shown CPU time above wall time), so on a busy machine the wall ratio moves with the free
cores; the CPU ratio is steadier there.
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

from phibench.dicom.decode import _PREFERRED_PLUGIN as PREFERRED
from phibench.registry import default_registry
from phibench.run import execute


def raw_loop(paths: list[Path], plugins: dict[str, str] | None = None) -> int:
    """dcmread + pixel_array per frame: pydicom's default decoder order, or ``plugins`` (transfer
    syntax UID -> decoding plugin) first, with the default order where that plugin fails."""
    frames = 0
    for path in paths:
        ds = pydicom.dcmread(path)
        plugin = (plugins or {}).get(ds.file_meta.TransferSyntaxUID, "")
        for i in range(int(ds.get("NumberOfFrames", 1) or 1)):
            try:
                pixel_array(ds, index=i, decoding_plugin=plugin)
            except Exception:
                if not plugin:
                    raise
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
        raw, ours, raw_cpu, ours_cpu, same, same_cpu = [], [], [], [], [], []
        for r in range(args.repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            raw_loop(paths)
            raw.append(time.perf_counter() - t0)
            raw_cpu.append(time.process_time() - c0)
            t0, c0 = time.perf_counter(), time.process_time()
            raw_loop(paths, PREFERRED)
            same.append(time.perf_counter() - t0)
            same_cpu.append(time.process_time() - c0)
            t0, c0 = time.perf_counter(), time.process_time()
            sc = phibench_run(data, args.n, args.seed, Path(tmp) / f"run{r}")
            ours.append(time.perf_counter() - t0)
            ours_cpu.append(time.process_time() - c0)
            assert sc["samples"] == frames, (sc["samples"], frames)
    raw_med, ours_med = statistics.median(raw), statistics.median(ours)
    raw_cpu_med, ours_cpu_med = statistics.median(raw_cpu), statistics.median(ours_cpu)
    same_med, same_cpu_med = statistics.median(same), statistics.median(same_cpu)
    print(json.dumps({
        "files": len(paths), "frames": frames, "repeats": args.repeats,
        "raw_pydicom_loop_s_median": round(raw_med, 3),
        "phibench_noop_run_s_median": round(ours_med, 3),
        "speed_ratio_raw_over_phibench": round(raw_med / ours_med, 3),
        "raw_pydicom_loop_cpu_s_median": round(raw_cpu_med, 3),
        "phibench_noop_run_cpu_s_median": round(ours_cpu_med, 3),
        "cpu_ratio_raw_over_phibench": round(raw_cpu_med / ours_cpu_med, 3),
        "same_decoders": {
            "plugins_first": {str(k.name): v for k, v in PREFERRED.items()},
            "raw_loop_s_median": round(same_med, 3),
            "speed_ratio_raw_over_phibench": round(same_med / ours_med, 3),
            "raw_loop_cpu_s_median": round(same_cpu_med, 3),
            "cpu_ratio_raw_over_phibench": round(same_cpu_med / ours_cpu_med, 3),
        },
        "goal": ">= 0.9",
    }, indent=2))


if __name__ == "__main__":
    main()
