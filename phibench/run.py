"""One run, from a composed config to a scorecard: plan on the driver, execute, score, report.

Everything that can be wrong with the configuration fails here before the first sample runs.
Rerunning into the same run directory resumes: samples that already have a row are skipped, and
the scorecard is computed from ``results.parquet`` alone, so it equals an uninterrupted run's.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from phibench import versions
from phibench.config import GROUPS, OPTIONAL_GROUPS, RunSettings
from phibench.exceptions import ConfigError, DatasetError
from phibench.pipeline import PipelineSpec, StoreSpec, Task
from phibench.plugin import validate_params
from phibench.progress import progress_bar
from phibench.redaction import RedactionSpec
from phibench.registry import Registry, default_registry
from phibench.results import BufferedAppender, ResultStore
from phibench.scoring import build_scorecard
from phibench.specs import PluginSpec

log = logging.getLogger(__name__)

META_FILE = "run_meta.json"
RESOLVED_FILE = "config.resolved.yaml"
REDACTED_DIR = "redacted"


@dataclass(frozen=True)
class Plan:
    """A validated run: specs of its plugins, its settings and the resolved config to record."""

    specs: dict[str, PluginSpec]
    reporters: list[str]
    settings: RunSettings
    resolved: dict[str, Any]


def plan(cfg: DictConfig | dict[str, Any], registry: Registry) -> Plan:
    """Validate every plugin node against its plugin's schema; nothing is loaded or run."""
    raw = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg)
    assert isinstance(raw, dict)
    specs: dict[str, PluginSpec] = {}
    resolved: dict[str, Any] = {}
    for kind in GROUPS:
        node = dict(raw.get(kind) or {})
        name = node.pop("name", None)
        if not name:
            raise ConfigError(f"{kind}: no plugin chosen; pass {kind}=NAME")
        cls = registry.get(kind, str(name)).cls
        params = validate_params(cls, node, where=f"{kind} {name!r}")
        specs[kind] = PluginSpec.of(kind, str(name), params)
        resolved[kind] = {"name": name, **asdict(params)}
    for kind in OPTIONAL_GROUPS:
        node = dict(raw.get(kind) or {})
        name = node.pop("name", None)
        if not name:
            resolved[kind] = None
            continue
        cls = registry.get(kind, str(name)).cls
        params = validate_params(cls, node, where=f"{kind} {name!r}")
        if kind == "redactor":
            from phibench.redaction import policy

            policy.check(params)
        specs[kind] = PluginSpec.of(kind, str(name), params)
        resolved[kind] = {"name": name, **asdict(params)}
    reporters = [str(r) for r in raw.get("reporters", [])]
    for name in reporters:
        registry.get("reporter", name)
    try:
        settings = RunSettings(**(raw.get("run") or {}))
    except TypeError as exc:
        raise ConfigError(f"run: {exc}") from None
    resolved |= {"reporters": reporters, "run": asdict(settings)}
    return Plan(specs, reporters, settings, resolved)


def _tasks(registry: Registry, spec: PluginSpec) -> list[Task]:
    dataset = registry.build("dataset", spec.name, spec.params)
    tasks = [Task(s, t) for s, t in dataset.plan()]
    dupes = [sid for sid, n in Counter(t.sample.sample_id for t in tasks).items() if n > 1]
    if dupes:
        raise DatasetError(f"dataset {spec.name!r} planned {len(dupes)} duplicate sample ids")
    return tasks


class _BufferedSink:
    """The driver's sink: rows go to the store in buffered parts; every row advances progress."""

    def __init__(self, store: ResultStore, settings: RunSettings, advance: Any) -> None:
        self.appender = BufferedAppender(store, settings.flush_rows, settings.flush_seconds)
        self.advance = advance

    def __call__(self, rows: list[dict[str, Any]]) -> None:
        self.appender.add(rows)
        self.advance(len(rows))

    def stored(self, n: int) -> None:
        self.advance(n)

    def flush(self) -> None:
        self.appender.flush()


def execute(cfg: DictConfig | dict[str, Any], run_dir: Path, registry: Registry | None = None) -> dict[str, Any]:
    """Run (or resume) the configured run in ``run_dir`` and return its scorecard."""
    registry = registry or default_registry()
    os.environ["PHIBENCH_RUN_DIR"] = str(run_dir.resolve())  # configs may place data there (${oc.env:})
    p = plan(cfg, registry)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / RESOLVED_FILE).write_text(OmegaConf.to_yaml(OmegaConf.create(p.resolved)))
    detector = registry.build("detector", p.specs["detector"].name, p.specs["detector"].params)
    used = {f"{k}:{s.name}": registry.get(k, s.name).distribution for k, s in p.specs.items()}
    meta = {
        "config": p.resolved,
        "versions": versions.collect(used),
        "detector": {"name": p.specs["detector"].name, **detector.describe()},
        "cost_basis": detector.cost_basis(p.settings.price_per_core_hour_usd),
    }
    if "redactor" in p.specs:
        redactor = registry.build("redactor", p.specs["redactor"].name, p.specs["redactor"].params)
        meta["redactor"] = {"name": p.specs["redactor"].name, **redactor.describe()}
    (run_dir / META_FILE).write_text(json.dumps(meta, indent=2, default=str))

    tasks = _tasks(registry, p.specs["dataset"])
    store = ResultStore(run_dir)
    done = store.done_ids()
    todo = [t for t in tasks if t.sample.sample_id not in done]
    log.info("planned %d samples; %d already done; running %d", len(tasks), len(tasks) - len(todo), len(todo))
    pipeline = PipelineSpec(
        detector=p.specs["detector"],
        price_per_core_hour_usd=p.settings.price_per_core_hour_usd,
        batch_size=p.settings.batch_size,
        session_id=uuid.uuid4().hex,
        session_started_at=time.time(),
        store=StoreSpec(str(run_dir.resolve()), p.settings.flush_rows, p.settings.flush_seconds),
        redaction=(
            RedactionSpec(p.specs["redactor"], str((run_dir / REDACTED_DIR).resolve()))
            if "redactor" in p.specs
            else None
        ),
    )
    executor = registry.build("executor", p.specs["executor"].name, p.specs["executor"].params)
    if todo:
        with progress_bar(len(tasks), len(tasks) - len(todo), enabled=p.settings.progress) as advance:
            sink = _BufferedSink(store, p.settings, advance)
            try:
                executor.execute(todo, pipeline, sink)
            finally:
                sink.flush()
    return report(run_dir, registry, planned={t.sample.sample_id for t in tasks})


def report(run_dir: Path, registry: Registry | None = None, planned: set[str] | None = None) -> dict[str, Any]:
    """(Re)compute the scorecard of ``run_dir`` from its results and run its reporters."""
    registry = registry or default_registry()
    meta = json.loads((run_dir / META_FILE).read_text())
    df = ResultStore(run_dir).read()
    if planned is not None:
        df = df[df["sample_id"].isin(planned)].reset_index(drop=True)
    scorecard = build_scorecard(
        df,
        config=meta["config"],
        versions=meta["versions"],
        detector=meta["detector"],
        cost_basis=meta["cost_basis"],
        redactor=meta.get("redactor"),
        price_per_core_hour_usd=float(meta["config"].get("run", {}).get("price_per_core_hour_usd", 0.0)),
    )
    scorecard["run_dir"] = str(run_dir)
    for name in meta["config"].get("reporters", []):
        reporter = registry.build("reporter", name)
        reporter.report(scorecard, run_dir)
    return scorecard
