"""Whole-slide readers side by side: tiffslide (phibench's choice) and openslide, on one SVS.

The slide is the Aperio-like file ``tests/images/svs.py`` writes with tifffile (tiled JPEG
pyramid of 3 levels, LZW label, JPEG macro, stripped thumbnail), at ``--size``. For each reader
that imports: import time (a fresh interpreter), open, open + each associated image, and one
512 x 512 ``read_region`` at level 0; medians of ``--repeats``. openslide is optional (``pip install
openslide-python openslide-bin`` into a scratch venv to compare); a reader that does not import
is reported as such.

    .venv/bin/python benchmarks/wsi_readers.py --size 8192x6144 --repeats 20
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.images.svs import make_svs  # noqa: E402


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def import_ms(module: str, repeats: int) -> float | None:
    code = f"import time; t=time.perf_counter(); import {module}; print((time.perf_counter()-t)*1000)"
    out = []
    for _ in range(min(repeats, 5)):
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if proc.returncode:
            return None
        out.append(float(proc.stdout.strip()))
    return statistics.median(out)


def tiffslide_ops(path: Path) -> dict[str, Callable[[], object]]:
    import tiffslide

    def assoc(name: str) -> Callable[[], object]:
        return lambda: tiffslide.TiffSlide(path).associated_images[name]

    return {
        "open": lambda: tiffslide.TiffSlide(path),
        "open + label": assoc("label"), "open + macro": assoc("macro"),
        "open + thumbnail": assoc("thumbnail"),
        "read_region 512 L0": lambda: tiffslide.TiffSlide(path).read_region((1024, 1024), 0, (512, 512)),
    }


def openslide_ops(path: Path) -> dict[str, Callable[[], object]]:
    import openslide

    def assoc(name: str) -> Callable[[], object]:
        return lambda: openslide.OpenSlide(str(path)).associated_images[name]

    return {
        "open": lambda: openslide.OpenSlide(str(path)),
        "open + label": assoc("label"), "open + macro": assoc("macro"),
        "open + thumbnail": assoc("thumbnail"),
        "read_region 512 L0": lambda: openslide.OpenSlide(str(path)).read_region((1024, 1024), 0, (512, 512)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="8192x6144")
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "slide.svs"
        make_svs(path, (w, h))
        print(f"slide {w}x{h}, {path.stat().st_size / 2**20:.1f} MiB; medians of {args.repeats} (ms)\n")
        readers = {"tiffslide": ("tiffslide", tiffslide_ops), "openslide": ("openslide", openslide_ops)}
        results: dict[str, dict[str, str]] = {}
        for name, (module, ops) in readers.items():
            imp = import_ms(module, args.repeats)
            if imp is None:
                results[name] = {"import": "not installed"}
                continue
            results[name] = {"import": f"{imp:.0f}"}
            for op, fn in ops(path).items():
                fn()  # warm the page cache
                results[name][op] = f"{median_ms(fn, args.repeats):.2f}"
        ops_names = list(dict.fromkeys(k for r in results.values() for k in r))
        print("| | " + " | ".join(results) + " |")
        print("|---|" + "---|" * len(results))
        for op in ops_names:
            print(f"| {op} | " + " | ".join(r.get(op, "") for r in results.values()) + " |")


if __name__ == "__main__":
    main()
