"""Spark executor vs inline executor with the no-op detector (``flag_none``): overhead per image.

Both run the same per-sample pipeline over the same synthetic files. Spark's fixed start-up (JVM,
session, first job) is reported apart from the per-image cost: each executor runs once to warm up
and then ``--repeats`` times, timed. ``local[1]`` is the like-for-like comparison with inline (one
Python process does the work); ``local[*]`` shows what the cores buy. Besides wall time, the CPU
time of this process and all its descendants (driver, JVM, Python workers; from ``/proc``) is
measured, which other work on a shared machine hardly disturbs.

    .venv/bin/python benchmarks/spark_overhead.py --n 1000 --repeats 3

Prints per-image milliseconds (wall and CPU) and the overhead per image of Spark local[1] over
inline.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from spark_common import machine, synthetic

from phibench.run import execute


def tree_cpu_s() -> float:
    """CPU seconds used so far by this process and its live descendants (Linux ``/proc``)."""
    children: dict[int, list[int]] = defaultdict(list)
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children[int(fields[1])].append(int(entry))
        ticks[int(entry)] = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    total, todo = 0, [os.getpid()]
    while todo:
        pid = todo.pop()
        total += ticks.get(pid, 0)
        todo += children.get(pid, [])
    return total / os.sysconf("SC_CLK_TCK")


def timed(executor: dict, n: int, seed: int, out: Path) -> tuple[float, float, int]:
    cfg = {
        "detector": {"name": "flag_none"},
        "dataset": {"name": "synthetic", "n": n, "seed": seed},
        "executor": executor,
        "reporters": ["json"],
        "run": {"progress": False},
    }
    t0, c0 = time.perf_counter(), tree_cpu_s()
    card = execute(cfg, out)
    return time.perf_counter() - t0, tree_cpu_s() - c0, card["samples"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    executors = {
        "inline": {"name": "inline"},
        "spark local[1]": {"name": "spark", "master": "local[1]"},
        "spark local[*]": {"name": "spark", "master": "local[*]"},
    }
    result: dict = {"machine": machine(), "load_avg_1min_start": round(os.getloadavg()[0], 2)}
    synthetic(args.n, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        for label, executor in executors.items():
            first, _, samples = timed(executor, args.n, args.seed, Path(tmp) / f"{label}-first")
            runs = [timed(executor, args.n, args.seed, Path(tmp) / f"{label}-{r}") for r in range(args.repeats)]
            wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
            result[label] = {
                "first_run_s": round(first, 2),
                "warm_run_s_median": round(wall, 2),
                "wall_ms_per_image": round(1000 * wall / samples, 3),
                "cpu_ms_per_image": round(1000 * cpu / samples, 3),
            }
        result["images"] = samples
    inline, one = result["inline"], result["spark local[1]"]
    result["overhead_local1_vs_inline_ms_per_image"] = {
        "wall": round(one["wall_ms_per_image"] - inline["wall_ms_per_image"], 3),
        "cpu": round(one["cpu_ms_per_image"] - inline["cpu_ms_per_image"], 3),
    }
    result["spark_startup_s_local1"] = round(one["first_run_s"] - one["warm_run_s_median"], 2)
    result["load_avg_1min_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
