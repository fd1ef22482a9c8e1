"""VLM detector throughput against a local server with a fixed latency per request.

The OpenAI-protocol test server (``python -m phibench.testing openai``) runs in its own process
with ``--latency`` seconds per request; the ``gpt4o`` detector talks to it through the real
OpenAI SDK, with the response cache off. For each in-flight limit L the ideal throughput is
L / latency images per second; the figure is achieved / ideal (goal >= 0.8 at L = 16 and 64).
L = 1 with one frame per call is the Pixels-style baseline (one request at a time per partition).

Two measurements per limit:

* **detector** — ``detect_many`` over N frames rendered beforehand, in batches of
  ``run.batch_size`` = ``--batch-factor`` x L (1 for the baseline), as the per-sample pipeline
  hands them over: the concurrency, rate-limit, retry and parsing machinery alone.
* **end to end** — ``phibench.run.execute`` over the whole synthetic dataset: DICOM read and
  render, detection, result rows, Parquet, scoring. The detector streams: frames are rendered
  ahead on a thread while its requests are in flight. ``--executor spark`` runs it on
  ``local[--workers]`` with the in-flight limit split between the workers (the endpoint sees L at
  once either way), after one warm-up run that starts the Spark session.

    .venv/bin/python benchmarks/vlm_throughput.py --n 400 --latency 0.25 --limits 16,64 --repeats 3
    .venv/bin/python benchmarks/vlm_throughput.py --executor spark --workers 2 --limits 16,64
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from phibench.dicom import read_dataset, render_frame
from phibench.frame import Frame
from phibench.registry import default_registry
from phibench.run import execute

KEY_ENV = "PHIBENCH_BENCH_KEY"


def start_server(latency: float) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, "-m", "phibench.testing", "openai", "--latency", str(latency)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


def detector_params(url: str, limit: int) -> dict:
    return {"model": "gpt-4o", "base_url": url, "api_key_env": KEY_ENV, "cache": "off",
            "max_in_flight": limit, "timeout_s": 30.0, "detail": "low"}


def detector_stage(frames: list[Frame], url: str, limit: int, batch: int) -> tuple[float, int]:
    det = default_registry().build("detector", "gpt4o", detector_params(url, limit))
    det.setup()
    det.detect_many(frames[:limit])  # warm: connections, SDK import
    t0 = time.perf_counter()
    errors = 0
    for i in range(0, len(frames), batch):
        errors += sum(d.error is not None for d in det.detect_many(frames[i:i + batch]))
    wall = time.perf_counter() - t0
    det.close()
    return wall, errors


def end_to_end(data: Path, n_files: int, url: str, limit: int, batch: int, out: Path,
               executor: str = "inline", workers: int = 2) -> dict:
    """One run; on Spark each of ``workers`` gets ``limit / workers`` requests in flight, so the
    endpoint sees ``limit`` at once, as inline."""
    per_worker = max(1, limit // workers) if executor == "spark" else limit
    cfg = {
        "detector": {"name": "gpt4o", **detector_params(url, per_worker)},
        "dataset": {"name": "synthetic", "n": n_files, "seed": 0, "out": str(data)},
        "executor": {"name": "spark", "workers": workers} if executor == "spark" else {"name": "inline"},
        "reporters": ["json"],
        "run": {"progress": False, "batch_size": batch, "flush_rows": 10_000},
    }
    return execute(cfg, out)


def measure(args: argparse.Namespace, case: tuple[int, int, int, str], frames: list[Frame],
            url: str, data: Path, tmp: Path) -> dict:
    limit, batch, repeats, label = case
    ideal = limit / args.latency
    walls, errors = zip(*(detector_stage(frames, url, limit, batch) for _ in range(repeats)))
    wall = statistics.median(walls)
    row = {"case": label, "max_in_flight": limit, "batch_size": batch, "frames": len(frames),
           "repeats": repeats, "ideal_images_per_s": round(ideal, 2),
           "detector_wall_s": round(wall, 3), "detector_walls_s": [round(w, 3) for w in walls],
           "detector_images_per_s": round(len(frames) / wall, 2),
           "detector_ratio": round(len(frames) / wall / ideal, 3), "errors": sum(errors)}
    if not args.no_end_to_end:
        tps = []
        if args.executor == "spark":  # warm: the Spark session starts once per process, then is reused
            end_to_end(data, args.files, url, limit, batch, tmp / f"warm-{label}", "spark", args.workers)
        for r in range(repeats):
            sc = end_to_end(data, args.files, url, limit, batch, tmp / f"run-{label}-{r}",
                            args.executor, args.workers)
            assert sc["confusion"]["errors"] == 0 and sc["simulated"], sc["confusion"]
            tps.append(sc["throughput_images_per_s"])
        tp = statistics.median(tps)
        row |= {"e2e_samples": sc["samples"], "e2e_images_per_s": round(tp, 2),
                "e2e_ratio": round(tp / ideal, 3)}
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=400, help="frames of the detector stage")
    parser.add_argument("--files", type=int, default=300, help="synthetic files, end to end")
    parser.add_argument("--latency", type=float, default=0.25)
    parser.add_argument("--limits", default="16,64")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline-repeats", type=int, default=1, help="0: skip the baseline")
    parser.add_argument("--batch-factor", type=int, default=8, help="batch_size = factor x limit")
    parser.add_argument("--no-end-to-end", action="store_true")
    parser.add_argument("--executor", choices=("inline", "spark"), default="inline",
                        help="end to end through this executor (spark: local[--workers], the "
                             "in-flight limit split between the workers)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.environ[KEY_ENV] = "benchmark"
    cases = [(1, 1, args.baseline_repeats, "pixels_style_baseline")]
    cases = cases if args.baseline_repeats else []
    for limit in (int(x) for x in args.limits.split(",")):
        cases.append((limit, args.batch_factor * limit, args.repeats, f"limit_{limit}"))

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        params = {"n": max(args.files, args.n), "seed": 0, "out": str(data)}
        samples = [s for s, _ in default_registry().build("dataset", "synthetic", params).plan()]
        t0 = time.perf_counter()
        frames = [Frame(s, render_frame(read_dataset(s.path), s.frame)) for s in samples[: args.n]]
        render_s = (time.perf_counter() - t0) / len(frames)
        proc, url = start_server(args.latency)
        results = []
        try:
            for case in cases:
                results.append(measure(args, case, frames, url, data, Path(tmp)))
                print(json.dumps(results[-1]), flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            served = proc.stderr.read().strip()
    base = results[0]["detector_images_per_s"] if args.baseline_repeats else float("nan")
    print(json.dumps({
        "latency_s": args.latency, "render_s_per_frame": round(render_s, 4), "server": served,
        "executor": args.executor if args.executor == "inline" else f"spark local[{args.workers}]",
        "cpu_cores": os.cpu_count(),
        "ratios": {r["case"]: {"detector": r["detector_ratio"], "end_to_end": r.get("e2e_ratio")}
                   for r in results},
        "speedup_over_baseline": {r["case"]: round(r["detector_images_per_s"] / base, 1)
                                  for r in results if r["max_in_flight"] > 1},
        "end_to_end_speedup_over_baseline": {
            r["case"]: round(r["e2e_images_per_s"] / results[0]["e2e_images_per_s"], 1)
            for r in results if r["max_in_flight"] > 1 and "e2e_images_per_s" in r
            and args.baseline_repeats and "e2e_images_per_s" in results[0]},
        "goal": "detector ratio >= 0.8 at limits 16 and 64",
    }, indent=2))


if __name__ == "__main__":
    main()
