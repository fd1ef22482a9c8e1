"""``phibench estimate``: what a run would cost, from image sizes alone, before spending anything.

The run's config is composed and validated as for ``phibench run``; the dataset is planned; the
size of every planned frame is read from its DICOM header (no pixels decoded, no request sent).
The detector turns a size into tokens with its provider's published image-token rule, plus the
prompt's tokens and an expected answer length, and prices them from the VLM plugin's ``pricing.yaml``.

A detector takes part by offering a classmethod ``estimator(params)`` that returns an object with
``usage(width, height) -> TokenUsage``, ``cost_usd(usage) -> float`` and ``describe() -> dict``
(the VLM detectors do); detectors without one have no estimate.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from omegaconf import DictConfig

from phibench.exceptions import ConfigError
from phibench.records import TokenUsage
from phibench.registry import Registry


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


def estimate(cfg: DictConfig | dict[str, Any], registry: Registry) -> dict[str, Any]:
    """The dry-run estimate of the configured run."""
    from phibench.plan import plan_tasks, validate

    p = validate(cfg, registry)
    spec = p.specs["detector"]
    entry = registry.get("detector", spec.name)
    factory = getattr(entry.cls, "estimator", None)
    if factory is None:
        raise ConfigError(f"detector {spec.name!r} has no cost estimate: only remote-model "
                          f"detectors (gpt4o, claude, llama4_maverick, openai_compatible) have one")
    est = factory(entry.validate(spec.params))
    tasks = plan_tasks(registry, p.specs["dataset"])
    sizes, unreadable = _frame_sizes(sorted({t.sample.path for t in tasks}))
    per_size = Counter(sizes[t.sample.path] for t in tasks if t.sample.path in sizes)
    total, usd = TokenUsage(), 0.0
    for (w, h), n in per_size.items():
        u = est.usage(w, h)
        total += TokenUsage(u.input_tokens * n, u.output_tokens * n)
        usd += est.cost_usd(u) * n
    frames = sum(per_size.values())
    return {
        "detector": spec.name, **est.describe(), "dataset": p.specs["dataset"].name,
        "frames": frames, "files": len(sizes), "unreadable_files": unreadable,
        "input_tokens": total.input_tokens, "output_tokens": total.output_tokens,
        "input_tokens_per_image": total.input_tokens / frames if frames else None,
        "output_tokens_per_image": total.output_tokens / frames if frames else None,
        "usd": usd, "usd_per_100k": usd / frames * 100_000 if frames else None,
    }


def format_estimate(e: dict[str, Any]) -> str:
    per = "-"
    if e["frames"]:
        per = (f"~{e['input_tokens_per_image']:,.0f} input + "
               f"{e['output_tokens_per_image']:,.0f} output tokens")
    per_100k = f"${e['usd_per_100k']:,.2f}" if e["usd_per_100k"] is not None else "-"
    lines = [
        f"phibench estimate: {e['detector']} ({e['model']}, prompt {e['prompt']}) "
        f"on {e['dataset']}",
        f"  frames     {e['frames']:,} in {e['files']:,} files"
        + (f" ({e['unreadable_files']} unreadable, not counted)" if e["unreadable_files"] else ""),
        f"  per image  {per}",
        f"  total      ~{e['input_tokens']:,} input + {e['output_tokens']:,} output tokens",
        f"  cost       ~${e['usd']:,.4f} for these frames; {per_100k} per 100k images",
        f"  price      {e['price']}",
        "Dry run: no request was sent. Measured usage is recorded per sample when the run happens.",
    ]
    return "\n".join(lines)
