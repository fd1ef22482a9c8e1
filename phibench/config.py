"""Structured-config schema of a run (Hydra ``ConfigStore``) and where the YAML groups live.

The top level is typed here; each plugin node (``detector``, ``dataset``, ``executor``) is typed
by its plugin's own ``Params`` dataclass, checked on the driver by
:func:`phibench.plugin.validate_params` before anything runs, so third-party plugins bring their
own schema without touching this file.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from phibench.limits import Limits
from phibench.registry import Registry

GROUPS = ("detector", "dataset", "executor")
"""Config groups that select one plugin each; the group name is also the plugin kind."""

OPTIONAL_GROUPS = ("redactor",)
"""Plugin groups a run may leave unset (``redactor=easyocr`` turns redaction on)."""

PLUGIN_GROUPS = GROUPS + OPTIONAL_GROUPS


@dataclass
class RunSettings:
    """Settings of the run itself, under ``run.`` on the command line."""

    price_per_core_hour_usd: float = 0.045
    """Prices local compute: USD per CPU core-hour (default: AWS c7i on-demand, us-east-1, per
    vCPU-hour, 2025 list price, $0.08925 per 2 vCPU). Set your own hardware's figure."""
    batch_size: int = 8
    """Frames handed to the detector per call."""
    flush_rows: int = 32
    """Result rows buffered before they are appended to ``results.parquet``."""
    flush_seconds: float = 10.0
    """Longest time a finished row waits in the buffer."""
    progress: bool = True
    """Show a progress bar (on stderr)."""
    retry_errors: bool = True
    """A rerun into the same run directory runs again the samples whose row is an error (a 500
    storm, a timeout, a failed redaction); ``false`` keeps them as they are."""
    fail_on_error_rate: Optional[float] = None  # noqa: UP007 - OmegaConf needs Optional
    """Exit with status 1 when more than this share of the samples errored (e.g. ``0.05``).
    Unset: exit 1 only when no sample could be answered at all."""
    force_new: bool = False
    """Discard the results of an earlier run of another plan in the run directory and start over
    (``phibench run --force-new``). Without it such a rerun is refused."""
    limits: Limits = field(default_factory=Limits)
    """Bounds on what one input file may claim, checked before decoding (:mod:`phibench.limits`)."""


@dataclass
class ReportSettings:
    """What the reports show, under ``report.`` on the command line. Answer-neutral: changing it
    and rerunning into the same directory only writes the reports again."""

    show_phi: bool = False
    """Let reports show PHI: ``report.html``'s gallery shows the original frames (with their
    burned-in text) instead of the redacted output or boxes alone. Off by default."""
    gallery_cases: int = 24
    """Cases shown per gallery section of ``report.html`` (misses, false alarms, errors, residual
    PHI); the rest are counted."""
    listed_cases: int = 50
    """Rows per list of misses and errors in ``scorecard.md``; the rest are counted
    (``results.parquet`` has them all)."""


@dataclass
class RunConfig:
    """The whole configuration of ``phibench run``."""

    detector: Any = MISSING
    dataset: Any = MISSING
    executor: Any = MISSING
    redactor: Any = None
    reporters: list[str] = field(default_factory=lambda: ["json", "markdown", "html", "terminal"])
    run: RunSettings = field(default_factory=RunSettings)
    report: ReportSettings = field(default_factory=ReportSettings)


def config_dir() -> Path:
    """The folder holding ``run.yaml`` and the groups: ``$PHIBENCH_CONFIG_DIR`` or ``configs/``."""
    env = os.environ.get("PHIBENCH_CONFIG_DIR")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "configs"


def plugin_defaults(cls: type) -> dict[str, Any]:
    params = getattr(cls, "Params", None)
    if params is None or not is_dataclass(params):
        return {}
    return {f.name: v for f, v in zip(fields(params), asdict(params()).values(), strict=True)}


def register_configs(registry: Registry, directory: Path | None = None) -> None:
    """Register the schema, and a default node for every plugin that ships no YAML of its own,
    so that ``detector=NAME`` works for any installed plugin."""
    cs = ConfigStore.instance()
    cs.store(name="phibench_schema", node=RunConfig)
    directory = directory or config_dir()
    for group in PLUGIN_GROUPS:
        for name in registry.names(group):
            if not (directory / group / f"{name}.yaml").exists():
                cls = registry.get(group, name).cls
                cs.store(group=group, name=name, node={"name": name, **plugin_defaults(cls)})
