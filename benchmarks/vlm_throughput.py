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

Where the CPU goes: every row also gives CPU seconds per frame of this process (client: read,
render, JPEG encode, SDK, HTTP, rows) and of the server process (``/proc/PID/stat``), and the
**CPU ceiling**: the ratio no client could pass on this machine, ``cores / (client + server CPU
per frame) / ideal``. With ``--decompressed`` the end-to-end runs read copies of the synthetic
files stored uncompressed (Explicit VR Little Endian, same pixels, ``dataset=folder``): the
same pipeline without JPEG 2000 / JPEG decoding, which is what separates codec cost from the
framework's.
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


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def decompressed_copy(data: Path, out: Path) -> Path:
    """Every synthetic file under ``data`` rewritten uncompressed under ``out`` (same relative
    paths, same pixels), with a labels CSV: ``dataset=folder`` over it plans the same samples."""
    import pydicom

    rows = ["path,has_phi"]
    for src in sorted(data.rglob("*.dcm")):
        rel = src.relative_to(data)
        ds = pydicom.dcmread(src)
        if ds.file_meta.TransferSyntaxUID.is_compressed:
            ds.decompress(generate_instance_uid=False)
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        ds.save_as(out / rel, enforce_file_format=True)
        rows.append(f"{rel},true")
    (out / "labels.csv").write_text("\n".join(rows) + "\n")
    return out


def start_server(latency: float) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, "-m", "phibench.testing", "openai", "--latency", str(latency)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


def detector_params(url: str, limit: int) -> dict:
    return {"model": "gpt-4o", "base_url": url, "api_key_env": KEY_ENV, "cache": "off",
            "max_in_flight": limit, "timeout_s": 30.0, "detail": "low"}


def detector_stage(frames: list[Frame], url: str, limit: int, batch: int,
                   server_pid: int) -> tuple[float, int, float, float]:
    """Wall seconds, errors, client and server CPU seconds of ``detect_many`` over ``frames``."""
    det = default_registry().build("detector", "gpt4o", detector_params(url, limit))
    det.setup()
    det.detect_many(frames[:limit])  # warm: connections, SDK import
    t0, c0, s0 = time.perf_counter(), time.process_time(), proc_cpu_s(server_pid)
    errors = 0
    for i in range(0, len(frames), batch):
        errors += sum(d.error is not None for d in det.detect_many(frames[i:i + batch]))
    wall, cpu, server = time.perf_counter() - t0, time.process_time() - c0, proc_cpu_s(server_pid) - s0
    det.close()
    return wall, errors, cpu, server


def end_to_end(data: Path, n_files: int, url: str, limit: int, batch: int, out: Path,
               executor: str = "inline", workers: int = 2, folder: Path | None = None) -> dict:
    """One run; on Spark each of ``workers`` gets ``limit / workers`` requests in flight, so the
    endpoint sees ``limit`` at once, as inline."""
    per_worker = max(1, limit // workers) if executor == "spark" else limit
    cfg = {
        "detector": {"name": "gpt4o", **detector_params(url, per_worker)},
        "dataset": ({"name": "synthetic", "n": n_files, "seed": 0, "out": str(data)} if folder is None
                    else {"name": "folder", "root": str(folder), "labels": str(folder / "labels.csv")}),
        "executor": {"name": "spark", "workers": workers} if executor == "spark" else {"name": "inline"},
        "reporters": ["json"],
        "run": {"progress": False, "batch_size": batch, "flush_rows": 10_000},
    }
    return execute(cfg, out)


def measure(args: argparse.Namespace, case: tuple[int, int, int, str], frames: list[Frame],
            url: str, data: Path, tmp: Path, server_pid: int, render_cpu: float,
            folder: Path | None) -> dict:
    limit, batch, repeats, label = case
    ideal = limit / args.latency
    cores = os.cpu_count() or 1
    walls, errors, cpus, servers = zip(*(detector_stage(frames, url, limit, batch, server_pid)
                                         for _ in range(repeats)))
    wall = statistics.median(walls)
    n = len(frames)
    client_cpu, server_cpu = statistics.median(cpus) / n, statistics.median(servers) / n
    row = {"case": label, "max_in_flight": limit, "batch_size": batch, "frames": len(frames),
           "repeats": repeats, "ideal_images_per_s": round(ideal, 2),
           "detector_wall_s": round(wall, 3), "detector_walls_s": [round(w, 3) for w in walls],
           "detector_images_per_s": round(len(frames) / wall, 2),
           "detector_ratio": round(len(frames) / wall / ideal, 3), "errors": sum(errors),
           "cpu_ms_per_frame": {"read_render": round(render_cpu * 1000, 2),
                                "client_detect": round(client_cpu * 1000, 2),
                                "server": round(server_cpu * 1000, 2)},
           "detector_cpu_ceiling": round(min(1.0, cores / (client_cpu + server_cpu) / ideal), 3),
           "e2e_cpu_ceiling": round(min(1.0, cores / (render_cpu + client_cpu + server_cpu) / ideal), 3)}
    if not args.no_end_to_end:
        tps = []
        if args.executor == "spark":  # warm: the Spark session starts once per process, then is reused
            end_to_end(data, args.files, url, limit, batch, tmp / f"warm-{label}", "spark", args.workers,
                       folder)
        for r in range(repeats):
            sc = end_to_end(data, args.files, url, limit, batch, tmp / f"run-{label}-{r}",
                            args.executor, args.workers, folder)
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
    parser.add_argument("--decompressed", action="store_true",
                        help="end to end over uncompressed copies of the synthetic files")
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
        folder = decompressed_copy(data, Path(tmp) / "raw") if args.decompressed else None
        t0, c0 = time.perf_counter(), time.process_time()
        frames = [Frame(s, render_frame(read_dataset(s.path), s.frame)) for s in samples[: args.n]]
        render_s = (time.perf_counter() - t0) / len(frames)
        render_cpu = (time.process_time() - c0) / len(frames)
        if folder is not None:  # what the end-to-end runs read: the uncompressed copies
            c0 = time.process_time()
            for s in samples[: args.n]:
                render_frame(read_dataset(folder / Path(s.path).relative_to(data)), s.frame)
            render_cpu = (time.process_time() - c0) / len(frames)
        proc, url = start_server(args.latency)
        results = []
        try:
            for case in cases:
                results.append(measure(args, case, frames, url, data, Path(tmp), proc.pid, render_cpu,
                                       folder))
                print(json.dumps(results[-1]), flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            served = proc.stderr.read().strip()
    base = results[0]["detector_images_per_s"] if args.baseline_repeats else float("nan")
    print(json.dumps({
        "latency_s": args.latency, "render_s_per_frame": round(render_s, 4), "server": served,
        "end_to_end_input": "uncompressed copies" if args.decompressed else "synthetic (as generated)",
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
