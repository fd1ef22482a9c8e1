"""The local detector on real DICOM files (``../shared/realdev``): image-level recall, specificity.

Frame 0 of each file (rendered as a run does) goes through :class:`LocalDetector` with the
header read from the same file; ``--no-header`` hides the header, to show what the pixels alone
give. The same figures come from a whole run (``phibench run detector=local dataset=folder
dataset.root=../shared/realdev dataset.labels=../shared/realdev/labels.csv
dataset.expand_frames=false executor=inline``); this script is the quick loop over a subset.

    .venv/bin/python benchmarks/realdev_detector.py --subset text --threads 1
    .venv/bin/python benchmarks/realdev_detector.py --ocr easyocr --ocr-params '{"det_scale": 0.5}'

Prints counts, rates with 95% Wilson intervals and CPU s/image; never any text read.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ocr_engines import THREAD_PARAMS, cpu_seconds  # noqa: E402
from realdev_ocr import REALDEV, load_realdev  # noqa: E402

from phibench.dicom import read_dataset  # noqa: E402
from phibench.frame import Frame  # noqa: E402
from phibench.records import Sample  # noqa: E402
from phibench.registry import default_registry  # noqa: E402
from phibench.scoring.intervals import wilson  # noqa: E402


def fmt(rate: object) -> str:
    r = rate.as_dict()  # type: ignore[attr-defined]
    if r["value"] is None:
        return "n/a"
    return f"{r['value']:.3f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}] ({r['k']}/{r['n']})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=REALDEV)
    parser.add_argument("--subset", choices=("phi", "text", "all"), default="all")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-header", action="store_true")
    parser.add_argument("--ocr", default=None,
                        help="detector.ocr.name (default: the detector's own default engine)")
    parser.add_argument("--ocr-params", default="{}", help="JSON object for detector.ocr.params")
    args = parser.parse_args()
    if not (args.root / "labels.csv").is_file():
        raise SystemExit(f"realdev set not found at {args.root} (expected labels.csv there)")
    from phibench_plugins.detectors.local import LocalParams

    name = args.ocr or LocalParams().ocr.name
    threads = THREAD_PARAMS.get(name)
    ocr_params = {**({threads: args.threads} if threads else {}), **json.loads(args.ocr_params)}
    det = default_registry().build("detector", "local",
                                   {"ocr": {"name": name, "params": ocr_params}})
    print(f"local detector, OCR engine {name} {ocr_params}")
    det.setup()
    tp = fn = tn = fp = 0
    cpu: list[float] = []
    for f in load_realdev(args.root, args.subset):
        header = None if args.no_header else read_dataset(args.root / f.name)
        frame = Frame(Sample(f.name, str(args.root / f.name)), f.image, header)
        c0 = cpu_seconds()
        got = det.detect(frame)  # type: ignore[attr-defined]
        cpu.append(cpu_seconds() - c0)
        if f.has_phi:
            tp += bool(got.has_phi)
            fn += not got.has_phi
        else:
            fp += bool(got.has_phi)
            tn += not got.has_phi
            if got.has_phi:
                print(f"false positive: {f.name} ({sorted({e.category for e in got.entities})})")
        if f.has_phi and not got.has_phi:
            print(f"missed: {f.name}")
    print(f"recall      {fmt(wilson(tp, tp + fn))}")
    print(f"specificity {fmt(wilson(tn, tn + fp))}")
    print(f"CPU s/image mean {statistics.fmean(cpu):.2f}, median {statistics.median(cpu):.2f}")


if __name__ == "__main__":
    main()
