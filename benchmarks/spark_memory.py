"""Worker peak memory: 1,000 vs 5,000 images through the Spark executor (``flag_none``).

Results stream: a worker holds one file and one batch at a time and appends its rows to
``results.parquet`` as it goes, so its peak memory must not grow with the run. Each run is a fresh
``phibench run`` process (fresh Spark workers); the peak RSS of every Python worker is read from
the run's ``workers/<host>-<pid>.json``. The 5,000-image dataset is the 1,000 synthetic files
linked five times (each copy its own samples).

    .venv/bin/python benchmarks/spark_memory.py --n 1000 --factor 5

Prints each run's largest worker peak and the ratio big/small (goal <= 1.2).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from spark_common import machine, phibench_run, replicated, synthetic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--factor", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    result: dict = {"machine": machine(), "master": args.master}
    with tempfile.TemporaryDirectory() as tmp:
        source = synthetic(args.n, args.seed)
        for copies in (1, args.factor):
            root, labels = replicated(source, copies, Path(tmp) / f"x{copies}")
            r = phibench_run(Path(tmp) / f"run{copies}", "executor=spark", f"executor.master='{args.master}'",
                             "detector=flag_none", "dataset=folder", f"dataset.root={root}",
                             f"dataset.labels={labels}")
            peaks = [w["peak_rss_mb"] for w in r["workers"]]
            result[f"{copies}x"] = {"images": r["scorecard"]["samples"], "wall_s": round(r["wall_s"], 1),
                                    "workers": len(peaks), "worker_peak_rss_mb": peaks,
                                    "max_worker_peak_rss_mb": max(peaks)}
    small, big = result["1x"]["max_worker_peak_rss_mb"], result[f"{args.factor}x"]["max_worker_peak_rss_mb"]
    result["ratio_big_over_small"] = round(big / small, 3)
    result["goal"] = "<= 1.2"
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
