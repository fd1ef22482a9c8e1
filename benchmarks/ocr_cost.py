"""Where the OCR's CPU goes on real frames, and what each OCR setting gives the local detector.

Frame 0 of every realdev file (``../shared/realdev``, rendered as a run does: see
``realdev_ocr.py``) is read by each engine configuration, one compute thread (torch
``set_num_threads(1)``, ONNX Runtime one intra- and one inter-op thread, as a Spark worker runs
them). Per frame it records CPU seconds (``time.process_time``: the machine is shared, so wall time
says little) of

* **detection**: EasyOCR's ``Reader.detect`` (CRAFT), RapidOCR's ``text_det`` (DB);
* **recognition**: EasyOCR's ``Reader.recognize``, RapidOCR's ``text_cls`` + ``text_rec``;
* the whole ``engine.read`` (the rest: colour conversion, resizing, box mapping);

the stages are timed by wrapping the engine's own library objects on the instance, so the engine
runs its normal code. The frame's size and whether it has text come with each row. Then the
**real local detector** (:class:`LocalDetector`, rules and header as a run uses them; also with
the header hidden) decides on the same reading (the boxes are put in the frame's OCR cache, as
:func:`phibench.ocr.read_frame` would), giving image-level recall and specificity, and the PHI
regions are scored as *read* (CER <= 0.2, ``realdev_ocr.py``) and *covered* (the OCR boxes,
grown by the redactor's 2 px padding, cover >= 0.9 of the region: what the box redactor's
``mode=all_text`` mask would hide). ``--presidio`` adds the Presidio detector's CPU per image on
the same frames (Tesseract's child processes included).

    .venv/bin/python benchmarks/ocr_cost.py                     # the default configurations
    .venv/bin/python benchmarks/ocr_cost.py --config half=easyocr:'{"det_scale": 0.5}' --presidio

``--config LABEL=ENGINE[:JSON]`` as in ``realdev_ocr.py``. ``--repeats N`` reads every frame N
times per configuration (the configurations, and Presidio, take turns in each round, so a burst
of load on a shared machine hits them alike); a frame's CPU is then its median over the rounds,
and each round's mean per image is printed too. Prints counts, boxes' counts and CPU only, never any text read or header value; ``--out FILE`` writes every figure (and the per-frame
rows: file name, size, stage CPU, box count) as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ocr_engines import READ_CER, cpu_seconds, region_accuracy  # noqa: E402
from realdev_ocr import REALDEV, RealFrame, load_realdev, parse_config, transcription  # noqa: E402

from phibench.dicom import read_dataset  # noqa: E402
from phibench.frame import Frame  # noqa: E402
from phibench.ocr import OcrEngine, TextBox  # noqa: E402
from phibench.records import Sample, TextRegion  # noqa: E402
from phibench.registry import default_registry  # noqa: E402

ONE_THREAD = {"easyocr": {"torch_threads": 1},
              "rapidocr": {"intra_op_threads": 1, "inter_op_threads": 1},
              "tesseract": {"omp_thread_limit": 1}}
"""Each engine's parameters for one compute thread."""

DEFAULT_CONFIGS = [
    ("easyocr", "easyocr", {}),
    ("easyocr_det0.5", "easyocr", {"det_scale": 0.5}),
    ("rapidocr", "rapidocr", {}),
    ("rapidocr_det1", "rapidocr", {"det_scale": 1.0}),
    ("rapidocr_det0.75", "rapidocr", {"det_scale": 0.75}),
]

SIZE_BINS = [(0.0, 0.1, "<= 0.1 MP"), (0.1, 0.35, "0.1-0.35 MP"), (0.35, 1.0, "0.35-1 MP"),
             (1.0, 1e9, "> 1 MP")]
"""Frame sizes (megapixels) the per-resolution table groups by."""

PADDING = 2
"""The box redactor's default padding, for the *covered* measure."""


class Stopwatch:
    """CPU seconds spent in wrapped calls, per stage, since the last :meth:`take`."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[stage] += time.process_time() - t0
                self.calls[stage] += 1
        return timed

    def take(self) -> dict[str, float]:
        out = {"det": self.spent["det"], "rec": self.spent["rec"]}
        self.spent.clear()
        return out


class _Timed:
    """A RapidOCR stage object (``text_det`` ...) whose calls are timed; attributes pass through."""

    def __init__(self, inner: Any, timed: Callable[..., Any]) -> None:
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "_timed", timed)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._inner, name, value)


def instrument(engine: OcrEngine, watch: Stopwatch) -> None:
    """Time the detection and recognition stages of ``engine`` (an ensemble: of each member)."""
    members = getattr(engine, "_members", None)
    if members is not None:
        for member in members:
            instrument(member, watch)
        return
    reader = getattr(engine, "_reader", None)
    if reader is not None:  # EasyOCR
        if not hasattr(reader, "_phibench_timed"):
            reader.detect = watch.wrap("det", reader.detect)
            reader.recognize = watch.wrap("rec", reader.recognize)
            reader._phibench_timed = True
        return
    rapid = getattr(engine, "_ocr", None)
    if rapid is not None:  # RapidOCR
        if not isinstance(rapid.text_det, _Timed):
            rapid.text_det = _Timed(rapid.text_det, watch.wrap("det", rapid.text_det))
            rapid.text_cls = _Timed(rapid.text_cls, watch.wrap("rec", rapid.text_cls))
            rapid.text_rec = _Timed(rapid.text_rec, watch.wrap("rec", rapid.text_rec))
        return
    # any other engine: only its total is measured


def covered(region: tuple[int, int, int, int], boxes: list[TextBox], h: int, w: int) -> float:
    """Share of ``region`` under the union of ``boxes`` grown by :data:`PADDING`."""
    mask = np.zeros((h, w), dtype=bool)
    for b in boxes:
        x, y, bw, bh = b.box
        mask[max(0, y - PADDING):y + bh + PADDING, max(0, x - PADDING):x + bw + PADDING] = True
    x, y, rw, rh = region
    part = mask[max(0, y):y + rh, max(0, x):x + rw]
    return float(part.mean()) if part.size else 0.0


def with_threads(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with one compute thread for ``name`` (and for each member of an ensemble)."""
    out = {**ONE_THREAD.get(name, {}), **params}
    if name == "ensemble":
        members = out.get("engines") or [{"name": "easyocr"}, {"name": "rapidocr"}]
        out["engines"] = [{"name": m["name"], "params": with_threads(m["name"], m.get("params") or {})}
                          for m in members]
    return out


def bench(label: str, name: str, params: dict[str, Any], frames: list[RealFrame],
          headers: dict[str, Any]) -> dict[str, Any]:
    from phibench_plugins.detectors.local import LocalDetector

    engine: OcrEngine = default_registry().build("ocr", name, params)  # type: ignore[assignment]
    engine.setup()
    watch = Stopwatch()
    instrument(engine, watch)
    detector = LocalDetector.with_engine(engine)
    rows: list[dict[str, Any]] = []
    counts = defaultdict(int)
    for f in frames:
        watch.take()
        c0, p0 = cpu_seconds(), time.process_time()
        boxes = engine.read(f.image)
        total = time.process_time() - p0
        stages = watch.take()
        ocr_cpu = cpu_seconds() - c0
        decided = {}
        rules_cpu = 0.0
        for mode in ("header", "pixels"):
            frame = Frame(Sample(f.name, f.name), f.image, headers[f.name] if mode == "header" else None)
            frame.ocr_cache[engine.cache_key] = boxes
            r0 = time.process_time()
            got = detector.detect(frame)
            rules_cpu += (time.process_time() - r0) if mode == "header" else 0.0
            decided[mode] = bool(got.has_phi) and got.error is None
        h, w = f.image.shape[:2]
        for mode, flagged in decided.items():
            key = ("tp" if flagged else "fn") if f.has_phi else ("fp" if flagged else "tn")
            counts[f"{mode}_{key}"] += 1
        for region in f.regions:
            if not region.is_phi:
                continue
            counts["phi_regions"] += 1
            counts["phi_covered"] += covered(tuple(region.box), boxes, h, w) >= 0.9
            text = transcription(region.text)
            if text:
                counts["phi_read"] += region_accuracy(
                    TextRegion(region.box, text, region.is_phi, region.category), boxes) >= 1 - READ_CER
        rows.append({"file": f.name, "width": w, "height": h, "has_text": bool(f.regions),
                     "has_phi": f.has_phi, "boxes": len(boxes), "det_s": round(stages["det"], 4),
                     "rec_s": round(stages["rec"], 4), "read_s": round(total, 4),
                     "ocr_cpu_s": round(ocr_cpu, 4), "rules_s": round(rules_cpu, 4)})
    return {"label": label, "engine": name, "params": params, "rows": rows, **counts}


TIMED = ("det_s", "rec_s", "read_s", "ocr_cpu_s", "rules_s")
"""The per-frame CPU figures of a :func:`bench` row."""


def round_mean(result: dict[str, Any]) -> float:
    """CPU s/image (OCR + rules) of one round, mean over its frames."""
    return statistics.fmean(x["ocr_cpu_s"] + x["rules_s"] for x in result["rows"])


def merge_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One result from repeated rounds of one configuration: each frame's CPU figures are their
    median over the rounds (the reading, and so every count, is the same in each round)."""
    out = {**rounds[0], "rows": [dict(r) for r in rounds[0]["rows"]],
           "round_means": [round(round_mean(r), 4) for r in rounds]}
    for i, row in enumerate(out["rows"]):
        for key in TIMED:
            row[key] = round(statistics.median(r["rows"][i][key] for r in rounds), 4)
    return out


def merge_presidio(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    out = {**rounds[0], "round_means": [round(statistics.fmean(r["cpu"]), 4) for r in rounds]}
    out["cpu"] = [statistics.median(r["cpu"][i] for r in rounds) for i in range(len(rounds[0]["cpu"]))]
    return out


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def rate(k: int, n: int) -> str:
    return f"{k / n:.3f} ({k}/{n})" if n else "n/a"


def summary_table(results: list[dict[str, Any]], presidio: dict[str, Any] | None) -> str:
    lines = ["| setting | CPU s/image mean | median | text frames median (det + rec) | "
             "no-text frames median (det) | recall (header / pixels only) | "
             "specificity (header / pixels only) | PHI regions read | PHI regions covered | "
             "CPU s/image mean per round |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        rows = r["rows"]
        total = [x["ocr_cpu_s"] + x["rules_s"] for x in rows]
        text = [x for x in rows if x["has_text"]]
        none = [x for x in rows if not x["has_text"]]
        rc = (f"{rate(r.get('header_tp', 0), r.get('header_tp', 0) + r.get('header_fn', 0))} / "
              f"{rate(r.get('pixels_tp', 0), r.get('pixels_tp', 0) + r.get('pixels_fn', 0))}")
        sp = (f"{rate(r.get('header_tn', 0), r.get('header_tn', 0) + r.get('header_fp', 0))} / "
              f"{rate(r.get('pixels_tn', 0), r.get('pixels_tn', 0) + r.get('pixels_fp', 0))}")
        lines.append(
            f"| {r['label']} | {statistics.fmean(total):.2f} | {med(total):.2f} | "
            f"{med([x['read_s'] for x in text]):.2f} ({med([x['det_s'] for x in text]):.2f} + "
            f"{med([x['rec_s'] for x in text]):.2f}) | "
            f"{med([x['read_s'] for x in none]):.2f} ({med([x['det_s'] for x in none]):.2f}) | "
            f"{rc} | {sp} | {r.get('phi_read', 0)}/{r.get('phi_regions', 0)} | "
            f"{r.get('phi_covered', 0)}/{r.get('phi_regions', 0)} | "
            f"{', '.join(f'{m:.3f}' for m in r.get('round_means', []))} |")
    if presidio:
        cpu = presidio["cpu"]
        lines.append(f"| presidio (detector, Tesseract children included) | "
                     f"{statistics.fmean(cpu):.2f} | {med(cpu):.2f} | | | "
                     f"{rate(presidio['tp'], presidio['tp'] + presidio['fn'])} / | "
                     f"{rate(presidio['tn'], presidio['tn'] + presidio['fp'])} / | | | "
                     f"{', '.join(f'{m:.3f}' for m in presidio.get('round_means', []))} |")
    return "\n".join(lines)


def size_table(results: list[dict[str, Any]]) -> str:
    head = "| frame size | frames (with text) | " + " | ".join(
        f"{r['label']} det / rec" for r in results) + " |"
    lines = [head, "|---" * (2 + len(results)) + "|"]
    rows0 = results[0]["rows"]
    for lo, hi, name in SIZE_BINS:
        picked = [i for i, x in enumerate(rows0) if lo < x["width"] * x["height"] / 1e6 <= hi]
        if not picked:
            continue
        cells = []
        for r in results:
            sel = [r["rows"][i] for i in picked]
            cells.append(f"{med([x['det_s'] for x in sel]):.2f} / {med([x['rec_s'] for x in sel]):.2f}")
        n_text = sum(rows0[i]["has_text"] for i in picked)
        lines.append(f"| {name} | {len(picked)} ({n_text}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def bench_presidio(frames: list[RealFrame], headers: dict[str, Any]) -> dict[str, Any]:
    det = default_registry().build("detector", "presidio", {})
    det.setup()  # type: ignore[attr-defined]
    out: dict[str, Any] = {"cpu": [], "tp": 0, "fn": 0, "tn": 0, "fp": 0}
    for f in frames:
        frame = Frame(Sample(f.name, f.name), f.image, headers[f.name])
        c0 = cpu_seconds()
        got = det.detect(frame)  # type: ignore[attr-defined]
        out["cpu"].append(cpu_seconds() - c0)
        flagged = bool(got.has_phi)
        out[("tp" if flagged else "fn") if f.has_phi else ("fp" if flagged else "tn")] += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=REALDEV)
    parser.add_argument("--subset", choices=("phi", "text", "all"), default="all")
    parser.add_argument("--config", action="append", default=[], metavar="LABEL=ENGINE[:JSON]")
    parser.add_argument("--presidio", action="store_true", help="add the Presidio detector's CPU")
    parser.add_argument("--repeats", type=int, default=1,
                        help="rounds over every frame per configuration (CPU: median per frame)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.repeats < 1:
        raise SystemExit("--repeats must be >= 1")
    if not (args.root / "labels.csv").is_file():
        raise SystemExit(f"realdev set not found at {args.root} (expected labels.csv there)")
    import torch

    torch.set_num_threads(1)  # as a Spark worker runs (phibench.spark.threads)
    frames = load_realdev(args.root, args.subset)
    headers = {f.name: read_dataset(args.root / f.name) for f in frames}
    configs = [parse_config(c) for c in args.config] or DEFAULT_CONFIGS
    rounds: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in configs}
    presidio_rounds: list[dict[str, Any]] = []
    for n in range(args.repeats):
        for label, name, params in configs:
            t0 = time.perf_counter()
            rounds[label].append(bench(label, name, with_threads(name, params), frames, headers))
            print(f"{label} (round {n + 1}/{args.repeats}): done in {time.perf_counter() - t0:.0f} "
                  f"s wall (load average {os.getloadavg()[0]:.1f})", flush=True)
        if args.presidio:
            presidio_rounds.append(bench_presidio(frames, headers))
    results = [merge_rounds(rounds[label]) for label, _, _ in configs]
    presidio = merge_presidio(presidio_rounds) if presidio_rounds else None
    print(f"{len(frames)} frames ({sum(bool(f.regions) for f in frames)} with text), "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(summary_table(results, presidio))
    print()
    print(size_table(results))
    if args.out:
        args.out.write_text(json.dumps({"frames": len(frames), "cpu_count": os.cpu_count(),
                                        "results": results, "presidio": presidio},
                                       indent=2, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
