"""``phibench estimate``: what a run would cost and how long it would take, before it runs.

A remote model is estimated from image sizes alone (below), spending nothing; any other detector
is measured on a few frames of the dataset (a pilot, ``--pilot K``); with ``--from RUN_DIR`` the
figures are a finished run's. Either way they are projected to ``--frames`` frames on
``--workers`` workers by :mod:`phibench.projection`.

The run's config is composed and validated as for ``phibench run``; the dataset is planned; the
size of every planned frame is read from its DICOM header (no pixels decoded, no request sent).
The detector turns a size into tokens with its provider's published image-token rule, plus the
prompt's tokens and an expected answer length, and prices them from the VLM plugin's ``pricing.yaml``.

A detector takes part by offering a classmethod ``estimator(params)`` that returns an object with
``usage(width, height) -> TokenUsage``, ``cost_usd(usage) -> float`` and ``describe() -> dict``
(the VLM detectors do); detectors without one have no estimate.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from statistics import mean, median
from typing import Any

from omegaconf import DictConfig

from phibench.exceptions import ConfigError
from phibench.projection import PerImage, as_dict, duration, project
from phibench.records import TokenUsage
from phibench.registry import Registry


PILOT_FRAMES = 3
"""Frames a detector without a token rule is measured on (``--pilot K``)."""


def _frame_sizes(paths: list[str]) -> tuple[dict[str, tuple[int, int]], int]:
    import pydicom

    sizes: dict[str, tuple[int, int]] = {}
    unreadable = 0
    for path in paths:
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
            sizes[path] = (int(ds.Columns), int(ds.Rows))
        except Exception:  # noqa: BLE001 - an unreadable file is counted, not fatal
            unreadable += 1
    return sizes, unreadable


def estimate(cfg: DictConfig | dict[str, Any], registry: Registry, *, frames: int = 100_000,
             workers: int | None = None, pilot: int = PILOT_FRAMES, from_run: Path | None = None,
             latency_s: float | None = None) -> dict[str, Any]:
    """The dry-run estimate of the configured run, and its projection to ``frames`` frames on
    ``workers`` workers (:mod:`phibench.projection`).

    The figures per image: a remote model's from its token rule (nothing is sent); any other
    detector's measured on ``pilot`` frames of the dataset, now; or, with ``from_run``, the
    medians a finished run of the same detector measured (CPU, latency, tokens, cost)."""
    from phibench.plan import plan_tasks, validate

    p = validate(cfg, registry)
    spec = p.specs["detector"]
    entry = registry.get("detector", spec.name)
    params = entry.validate(spec.params)
    tasks = plan_tasks(registry, p.specs["dataset"])
    factory = getattr(entry.cls, "estimator", None)
    out: dict[str, Any] = {"detector": spec.name, "dataset": p.specs["dataset"].name}
    if factory is not None:
        out |= _token_rule(factory(params), tasks)
        per = PerImage("token rule", input_tokens=out["input_tokens_per_image"] or 0.0,
                       output_tokens=out["output_tokens_per_image"] or 0.0,
                       usd=out["usd"] / out["frames"] if out["frames"] else None,
                       latency_s=latency_s)
    else:
        out |= {"frames": len(tasks), "files": len({t.sample.path for t in tasks}), "unreadable_files": 0}
        per = None
    if from_run is not None:
        per = _measured(from_run, spec.name, latency_s)
    elif factory is None:
        if pilot < 1:
            raise ConfigError(f"detector {spec.name!r} has no token rule: measure it on a few frames "
                              f"(--pilot K) or give a finished run of it (--from RUN_DIR)")
        per = _pilot(tasks, spec, p.settings.price_per_core_hour_usd, pilot)
    assert per is not None
    n_workers = workers or _workers(p.specs["executor"], registry) or 1
    proj = project(per, frames=frames, workers=n_workers,
                   in_flight=int(getattr(params, "max_in_flight", 1) or 1),
                   requests_per_minute=float(getattr(params, "requests_per_minute", 0.0) or 0.0))
    return {**out, **as_dict(per, proj),
            "workers_source": "--workers" if workers else f"executor {p.specs['executor'].name}"}


def _token_rule(est: Any, tasks: list[Any]) -> dict[str, Any]:
    sizes, unreadable = _frame_sizes(sorted({t.sample.path for t in tasks}))
    per_size = Counter(sizes[t.sample.path] for t in tasks if t.sample.path in sizes)
    total, usd = TokenUsage(), 0.0
    for (w, h), n in per_size.items():
        u = est.usage(w, h)
        total += TokenUsage(u.input_tokens * n, u.output_tokens * n)
        usd += est.cost_usd(u) * n
    frames = sum(per_size.values())
    return {
        **est.describe(),
        "frames": frames, "files": len(sizes), "unreadable_files": unreadable,
        "input_tokens": total.input_tokens, "output_tokens": total.output_tokens,
        "input_tokens_per_image": total.input_tokens / frames if frames else None,
        "output_tokens_per_image": total.output_tokens / frames if frames else None,
        "usd": usd, "usd_per_100k": usd / frames * 100_000 if frames else None,
    }


def _spread(tasks: list[Any], k: int) -> list[Any]:
    """``k`` tasks spread evenly over the plan (first, ..., last), in path order."""
    if len(tasks) <= k:
        return list(tasks)
    ordered = sorted(tasks, key=lambda t: (t.sample.path, t.sample.frame))
    picks = sorted({round(i * (len(ordered) - 1) / (k - 1)) for i in range(k)}) if k > 1 else [0]
    return [ordered[i] for i in picks]


def _pilot(tasks: list[Any], spec: Any, price: float, k: int) -> PerImage:
    """Run the detector here on ``k`` frames spread over the dataset, as a run's pipeline does."""
    from phibench import worker
    from phibench.pipeline import PipelineSpec, process

    chosen = _spread(tasks, k)
    if not chosen:
        raise ConfigError("the dataset planned no frame: nothing to measure")
    t0 = time.perf_counter()
    worker.instance(spec)  # builds and sets it up once, as a worker does: the model load
    setup_s = time.perf_counter() - t0
    rows = [r for batch in process(chosen, PipelineSpec(spec, price_per_core_hour_usd=price)) for r in batch]
    ok = [r for r in rows if r.error is None]
    if not ok:
        stages = sorted({str(r.error_stage) for r in rows})
        raise ConfigError(f"detector {spec.name!r} failed on all {len(rows)} pilot frames (stage "
                          f"{', '.join(stages)}): nothing to measure; see `phibench run` on them")
    return PerImage(f"pilot of {len(ok)} frames", cpu_s=median(r.cpu_s + r.render_s for r in ok),
                    latency_s=None, usd=mean(r.cost_usd for r in ok), setup_s=setup_s,
                    input_tokens=mean(r.input_tokens or 0 for r in ok),
                    output_tokens=mean(r.output_tokens or 0 for r in ok), errors=len(rows) - len(ok))


def _measured(run_dir: Path, detector: str, latency_s: float | None) -> PerImage:
    """The per-image medians (cost: mean) of a finished run's answered samples."""
    from phibench.plan import planned_ids
    from phibench.results import ResultStore

    if not (run_dir / "results.parquet").exists():
        raise ConfigError(f"--from {run_dir}: no results.parquet there (is it a run directory?)")
    df = ResultStore(run_dir).read()
    planned = planned_ids(run_dir)
    if planned is not None:
        df = df[df["sample_id"].isin(planned)]
    ran = sorted(set(df["detector"].dropna()))
    if ran != [detector]:
        raise ConfigError(f"--from {run_dir}: that run measured detector {', '.join(ran) or '(none)'}, "
                          f"not {detector!r}")
    ok = df[df["error"].isna()]
    if ok.empty:
        raise ConfigError(f"--from {run_dir}: no answered sample to measure")
    latency = ok["latency_s"].dropna()
    remote = bool((ok["input_tokens"].fillna(0) > 0).any())
    return PerImage(
        f"run {run_dir.name} ({len(ok)} frames)",
        cpu_s=float((ok["cpu_s"].fillna(0) + ok["render_s"].fillna(0)).median()),
        latency_s=latency_s if latency_s is not None else (float(latency.median()) if remote and len(latency) else None),
        input_tokens=float(ok["input_tokens"].fillna(0).mean()),
        output_tokens=float(ok["output_tokens"].fillna(0).mean()),
        usd=float(ok["cost_usd"].fillna(0).mean()), errors=int(len(df) - len(ok)))


def _workers(executor: Any, registry: Registry) -> int | None:
    """Samples the executor runs at once, when its config says without starting it: the inline
    executor one, a local Spark master its slots (as the session will start them)."""
    if executor.name == "inline":
        return 1
    built = registry.build("executor", executor.name, executor.params)
    if not callable(master := getattr(built, "master", None)):
        return None
    from phibench.spark.session import local_slots

    return local_slots(master(), built.params.threads_per_worker)


def format_estimate(e: dict[str, Any]) -> str:
    per, proj = e["per_image"], e["projection"]
    lines = []
    if "model" in e:  # a token rule: what this dataset's frames would use
        tokens = "-"
        if e["frames"]:
            tokens = (f"~{e['input_tokens_per_image']:,.0f} input + "
                      f"{e['output_tokens_per_image']:,.0f} output tokens")
        per_100k = f"${e['usd_per_100k']:,.2f}" if e["usd_per_100k"] is not None else "-"
        lines += [
            f"phibench estimate: {e['detector']} ({e['model']}, prompt {e['prompt']}) on {e['dataset']}",
            f"  frames     {e['frames']:,} in {e['files']:,} files"
            + (f" ({e['unreadable_files']} unreadable, not counted)" if e["unreadable_files"] else ""),
            f"  per image  {tokens}",
            f"  total      ~{e['input_tokens']:,} input + {e['output_tokens']:,} output tokens",
            f"  cost       ~${e['usd']:,.4f} for these frames; {per_100k} per 100k images",
            f"  price      {e['price']}",
        ]
    else:
        lines += [f"phibench estimate: {e['detector']} on {e['dataset']}",
                  f"  frames     {e['frames']:,} in {e['files']:,} files"]
    measured = [f"from {per['source']}"]
    if per["cpu_s"] is not None:
        measured.append(f"{per['cpu_s']:.3g} CPU s/image")
    if per["latency_s"] is not None:
        measured.append(f"{per['latency_s']:.3g} s/request")
    if per["setup_s"] is not None:
        measured.append(f"model load {per['setup_s']:.1f} s")
    if per["errors"]:
        measured.append(f"{per['errors']} failed, left out")
    usd = "unknown" if proj["usd"] is None else f"~${proj['usd']:,.2f}" if proj["usd"] >= 1 else f"~${proj['usd']:.4f}"
    cpu = f"{proj['cpu_hours']:,.1f} CPU hours; " if proj["cpu_hours"] is not None else ""
    lines += [
        f"  measured   {', '.join(measured)}",
        f"  projected  {proj['frames']:,} frames on {proj['workers']} workers ({e['workers_source']}"
        + (f", {proj['in_flight']} requests in flight each" if proj["in_flight"] > 1 else "") + "): "
        f"wall ~{duration(proj['wall_s'])} ({proj['bound']}-bound); {cpu}cost {usd}",
    ]
    if per["latency_s"] is None and "model" in e:
        lines.append("  latency    unknown: pass --latency SECONDS or --from RUN_DIR for the wall time")
    lines.append("Dry run: no request was sent. Measured usage is recorded per sample when the run happens."
                 if "model" in e else "Nothing was written; the pilot's frames ran here, in this process.")
    return "\n".join(lines)
