"""The realism gap: the same detectors on ``synthetic``, ``overlay`` and realdev, side by side.

``synthetic`` draws its backgrounds; ``overlay`` burns the same kind of text (the synthetic
generator's fields, fonts and layouts) into real, text-free frames (pydicom's bundled test
files by default); realdev is real text on real images. If a detector scores alike on
``synthetic`` and ``overlay`` but not on realdev, the gap is in the text (what it says, how
scanners draw it); if ``overlay`` already falls, the backgrounds matter. Nothing here is tuned on
realdev: it is only read, at run time, from the path given.

Each (detector, dataset) is one ordinary ``phibench run`` (``executor=inline``) into
``--out/DETECTOR-DATASET``; a run folder that already holds a scorecard is reused (``--force``
runs again). The table prints image-level recall and specificity with 95% Wilson intervals (and
counts), precision and wall images/s -- counts only, never any text read.

    .venv/bin/python benchmarks/overlay_realism.py --realdev ../shared/realdev \
        --detectors presidio,local --overlay-n 24 --synthetic-n 24

Keep runs small on a shared machine: Presidio costs ~0.2-0.5 s an image, ``local`` (EasyOCR)
~6 s of CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def datasets(args: argparse.Namespace) -> dict[str, list[str]]:
    out = {
        "synthetic": ["dataset=synthetic", f"dataset.n={args.synthetic_n}",
                      f"dataset.seed={args.seed}"],
        "overlay": ["dataset=overlay", f"dataset.n={args.overlay_n}",
                    f"dataset.seed={args.seed}"],
    }
    if args.realdev:
        rd = Path(args.realdev).expanduser().resolve()
        out["realdev"] = ["dataset=folder", f"dataset.root={rd}",
                          f"dataset.labels={rd / 'labels.csv'}", "dataset.expand_frames=false"]
    return out


def run(detector: str, name: str, overrides: list[str], out: Path, force: bool) -> dict:
    folder = out / f"{detector}-{name}"
    card = folder / "scorecard.json"
    if force or not card.is_file():
        cmd = [sys.executable, "-m", "phibench", "run", f"detector={detector}", *overrides,
               "executor=inline", f"hydra.run.dir={folder}"]
        if force:
            cmd.append("--force-new")
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"})
        if done.returncode != 0:
            raise SystemExit(f"{detector} on {name} failed (exit {done.returncode}); see {folder}")
    return json.loads(card.read_text(encoding="utf-8"))


def rate(m: dict) -> str:
    return f"{m['value']:.3f} [{m['ci_low']:.2f}, {m['ci_high']:.2f}] ({m['k']}/{m['n']})"


def row(detector: str, name: str, card: dict) -> str:
    m = card["metrics"]
    precision = m.get("precision", {}).get("value")
    p = f"{precision:.3f}" if precision is not None else "-"
    speed = card.get("throughput_images_per_s")
    s = f"{speed:.2f}" if speed else "-"
    return f"| `{detector}` | {name} | {rate(m['recall'])} | {rate(m['specificity'])} | {p} | {s} |"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--detectors", default="presidio", help="comma-separated (default presidio)")
    ap.add_argument("--realdev", help="realdev folder (with labels.csv); left out without it")
    ap.add_argument("--overlay-n", type=int, default=24)
    ap.add_argument("--synthetic-n", type=int, default=24)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="/tmp/bench/overlay_realism")
    ap.add_argument("--force", action="store_true", help="run again even where a scorecard is")
    args = ap.parse_args(argv)
    out = Path(args.out)
    lines = ["| detector | dataset | recall [95% Wilson] | specificity [95% Wilson] | precision | "
             "images/s (wall) |", "|---|---|---|---|---|---|"]
    for detector in filter(None, (d.strip() for d in args.detectors.split(","))):
        for name, overrides in datasets(args).items():
            card = run(detector, name, overrides, out, args.force)
            lines.append(row(detector, name, card))
            print(lines[-1], file=sys.stderr, flush=True)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
