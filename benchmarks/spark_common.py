"""Shared by the Spark benchmarks: synthetic data, one ``phibench run`` as a subprocess, and the
facts a run leaves behind (scorecard, worker records)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from phibench.registry import default_registry

ROOT = Path(__file__).resolve().parent.parent


def synthetic(n: int, seed: int) -> Path:
    """Generate ``n`` synthetic files once into the dataset cache (``$PHIBENCH_DATA_DIR`` or
    ``~/.cache/phibench/datasets``), so every benchmark reuses them; returns the folder."""
    return default_registry().build("dataset", "synthetic", {"n": n, "seed": seed}).make()


def replicated(source: Path, copies: int, out: Path) -> tuple[Path, Path]:
    """A folder dataset of ``copies`` x the synthetic files in ``source`` (hard links, or copies
    across filesystems), with labels. Lets a 5,000-image run reuse 1,000 generated files: every
    copy has its own path, hence its own sample ids."""
    out.mkdir(parents=True, exist_ok=True)
    labels = out / "labels.csv"
    with (source / "manifest.csv").open() as f:
        rows = list(csv.DictReader(f))
    with labels.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "frame", "has_phi", "regions"])
        for k in range(copies):
            for r in rows:
                rel = f"copy{k}/{r['path']}"
                target = out / rel
                if not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    try:
                        os.link(source / r["path"], target)
                    except OSError:
                        shutil.copyfile(source / r["path"], target)
                w.writerow([rel, r["frame"], r["has_phi"], r["regions"]])
    return out, labels


def phibench_run(run_dir: Path, *overrides: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """``phibench run OVERRIDES hydra.run.dir=RUN_DIR`` in a fresh process; wall time included."""
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "phibench", "run", *overrides, f"hydra.run.dir={run_dir}",
         "run.progress=false", "reporters=[json]"],
        cwd=ROOT, env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", **(env or {})},
        capture_output=True, text=True,
    )
    wall = time.perf_counter() - t0
    if out.returncode:
        raise SystemExit(f"phibench run failed:\n{out.stderr[-4000:]}")
    card = json.loads((run_dir / "scorecard.json").read_text())
    return {"wall_s": wall, "scorecard": card, "workers": workers(run_dir)}


def workers(run_dir: Path) -> list[dict[str, Any]]:
    """The worker records (``workers/<host>-<pid>.json``) a Spark run left."""
    return [json.loads(p.read_text()) for p in sorted((run_dir / "workers").glob("*.json"))]


def machine() -> str:
    return f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
