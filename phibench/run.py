"""One run, from a composed config to a scorecard: plan on the driver, execute, score, report.

Everything that can be wrong with the configuration fails here before the first sample runs.
A run directory belongs to one plan (:mod:`phibench.plan`): rerunning the same plan into it
resumes (samples with an answer are skipped, error rows run again unless
``run.retry_errors=false``), another plan is refused, and one driver at a time holds it
(:mod:`phibench.lock`). The scorecard is computed from ``results.parquet`` and the planned
samples alone, so it equals an uninterrupted run's.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from phibench import files, provenance, versions
from phibench.context import RunContext
from phibench.detector import Detector
from phibench.exceptions import ConfigError, PhibenchError
from phibench.lock import RunLock
from phibench.pipeline import PipelineSpec, StoreSpec, effective_batch_size, remaining
from phibench.plan import Plan, Validated, bind, planned_rows, shared_rows, validate
from phibench.plan import plan as make_plan
from phibench.progress import progress_bar
from phibench.records import ResultRow, Scorecard
from phibench.redaction import RedactionSpec
from phibench.registry import Registry, default_registry
from phibench.results import BufferedAppender, ResultStore
from phibench.scoring import build_scorecard
from phibench.secrets import scrub

__all__ = ["Plan", "RunFailed", "execute", "exit_status", "plan", "report"]

log = logging.getLogger(__name__)

META_FILE = "run_meta.json"
RESOLVED_FILE = "config.resolved.yaml"
REDACTED_DIR = "redacted"


class RunFailed(PhibenchError):
    """The run finished, but its results fail the run's own bar (nothing answered, or more
    errors than ``run.fail_on_error_rate``): the command exits 1."""


def plan(cfg: DictConfig | dict[str, Any], registry: Registry) -> Validated:
    """Validate every plugin node against its plugin's schema; nothing is planned, loaded or run."""
    return validate(cfg, registry)


class _BufferedSink:
    """The driver's sink: rows go to the store in buffered parts; every row advances progress."""

    def __init__(self, store: ResultStore, p: Plan, advance: Any) -> None:
        self.appender = BufferedAppender(store, p.settings.flush_rows, p.settings.flush_seconds)
        self.advance = advance

    def __call__(self, rows: list[ResultRow]) -> None:
        self.appender.add(rows)
        self.advance(len(rows))

    def stored(self, n: int) -> None:
        self.advance(n)

    def flush(self) -> None:
        self.appender.flush()


def _prepare(run_dir: Path) -> Path:
    """The run directory, made if needed and owner-only; a user's mistake is a ConfigError."""
    if run_dir.exists() and not run_dir.is_dir():
        raise ConfigError(f"run directory {run_dir} is a file; choose a folder (hydra.run.dir=DIR)")
    try:
        files.private_dir(run_dir)
        probe = run_dir / f".phibench-write-test-{uuid.uuid4().hex[:8]}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"cannot use run directory {run_dir}: {exc.strerror or type(exc).__name__}; "
            "choose a folder you can write (hydra.run.dir=DIR)"
        ) from None
    return run_dir


def execute(cfg: DictConfig | dict[str, Any], run_dir: Path, registry: Registry | None = None) -> dict[str, Any]:
    """Run (or resume) the configured run in ``run_dir`` and return its scorecard."""
    registry = registry or default_registry()
    run_dir = _prepare(Path(run_dir))
    with RunLock(run_dir):
        p = make_plan(cfg, registry, run_dir)
        bind(run_dir, p, force_new=p.settings.force_new)
        files.write_text(run_dir / RESOLVED_FILE, OmegaConf.to_yaml(OmegaConf.create(p.resolved)))
        context = RunContext(
            str(run_dir.resolve()), uuid.uuid4().hex, time.time(), p.fingerprint, p.settings.limits
        )
        detector = _write_meta(run_dir, p, registry, context)
        store = ResultStore(run_dir)
        had = store.done_ids()
        todo = remaining(p.tasks, store.done_ids(p.settings.retry_errors), "redactor" in p.specs)
        retried = sum(t.sample.sample_id in had for t in todo)
        log.info(
            "planned %d samples (plan %s); %d already answered; running %d%s",
            len(p.tasks), p.fingerprint[:12], len(p.tasks) - len(todo), len(todo),
            f" ({retried} of them again: their rows were errors)" if retried else "",
        )
        pipeline = PipelineSpec(
            detector=p.specs["detector"],
            price_per_core_hour_usd=p.settings.price_per_core_hour_usd,
            batch_size=effective_batch_size(p.settings.batch_size, detector),
            streams=detector.streams,
            session_id=context.session_id,
            session_started_at=context.session_started_at,
            store=StoreSpec(context.run_dir, p.settings.flush_rows, p.settings.flush_seconds),
            redaction=(
                RedactionSpec(p.specs["redactor"], str((run_dir / REDACTED_DIR).resolve()))
                if "redactor" in p.specs
                else None
            ),
            context=context,
            retry_errors=p.settings.retry_errors,
        )
        if todo:
            executor = registry.build("executor", p.specs["executor"].name, p.specs["executor"].params)
            executor.context = context
            done_before = len(p.tasks) - len(todo)
            with progress_bar(len(p.tasks), done_before, enabled=p.settings.progress) as advance:
                sink = _BufferedSink(store, p, advance)
                try:
                    executor.execute(todo, pipeline, sink)
                finally:
                    sink.flush()
            parts, rows = store.compact()
            if parts > 1:
                log.info("compacted %d part files of results.parquet into one (%d rows)", parts, rows)
        return report(run_dir, registry)


def _write_meta(run_dir: Path, p: Plan, registry: Registry, context: RunContext) -> Detector:
    """Write ``run_meta.json``; the detector, built on the driver (cheap: no model), for what the
    executor needs to know of it (its batch, whether it streams)."""
    detector = registry.build("detector", p.specs["detector"].name, p.specs["detector"].params)
    detector.context = context
    used = {f"{k}:{s.name}": registry.get(k, s.name).distribution for k, s in p.specs.items()}
    meta: dict[str, Any] = {
        "config": p.resolved,
        "fingerprint": p.fingerprint,
        "versions": versions.collect(used),
        "detector": {"name": p.specs["detector"].name, **detector.describe()},
        "cost_basis": detector.cost_basis(p.settings.price_per_core_hour_usd),
    }
    if "redactor" in p.specs:
        redactor = registry.build("redactor", p.specs["redactor"].name, p.specs["redactor"].params)
        meta["redactor"] = {"name": p.specs["redactor"].name, **redactor.describe()}
    dataset = registry.build("dataset", p.specs["dataset"].name, p.specs["dataset"].params)
    meta["provenance"] = provenance.at_start(p, registry, dataset.describe(), run_dir)
    files.write_text(run_dir / META_FILE, json.dumps(scrub(meta), indent=2, default=str))
    return detector


def report(run_dir: Path, registry: Registry | None = None, *, quiet: bool = False) -> dict[str, Any]:
    """(Re)compute the scorecard of ``run_dir`` from its results and planned samples, and run its
    reporters (``quiet``: none that print to the terminal) on its record
    (:class:`~phibench.records.Scorecard`); returns the JSON-ready dict."""
    registry = registry or default_registry()
    run_dir = Path(run_dir)
    meta_path = run_dir / META_FILE
    if not meta_path.is_file():
        what = "does not exist" if not run_dir.exists() else f"has no {META_FILE}"
        raise ConfigError(f"{run_dir} is not a phibench run directory: it {what}")
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{meta_path} cannot be read ({type(exc).__name__})") from None
    with shared_rows():  # the reporters that read the rows get these, not a second read
        return _score_and_report(run_dir, meta, registry, quiet=quiet)


def _score_and_report(run_dir: Path, meta: dict[str, Any], registry: Registry, *, quiet: bool) -> dict[str, Any]:
    df, planned = planned_rows(run_dir)
    scorecard = build_scorecard(
        df,
        config=meta["config"],
        versions=meta["versions"],
        detector=meta["detector"],
        cost_basis=meta["cost_basis"],
        redactor=meta.get("redactor"),
        price_per_core_hour_usd=float(meta["config"].get("run", {}).get("price_per_core_hour_usd", 0.0)),
    )
    scorecard["fingerprint"] = meta.get("fingerprint")
    scorecard["planned_samples"] = len(planned) if planned is not None else None
    scorecard["missing_samples"] = len(planned) - len(df) if planned is not None else None
    scorecard["run_dir"] = str(run_dir)
    scorecard["provenance"] = provenance.complete(meta.get("provenance"), df)
    scorecard = scrub(scorecard)
    card = Scorecard.from_dict(scorecard)
    params = meta["config"].get("reporter_params") or {}
    for name in meta["config"].get("reporters", []):
        reporter = registry.build("reporter", name, params.get(name))
        if quiet and getattr(reporter, "prints", False):
            continue
        reporter.report(card, run_dir)
    return scorecard


def exit_status(scorecard: dict[str, Any], fail_on_error_rate: float | None = None) -> tuple[int, str]:
    """``(status, reason)`` of a finished run: 1 when nothing could be answered, or when more
    samples errored than ``fail_on_error_rate`` allows; else 0."""
    n = int(scorecard.get("samples") or 0)
    errors = int(scorecard.get("confusion", {}).get("errors") or 0)
    missing = int(scorecard.get("missing_samples") or 0)
    if n == 0 and missing == 0:
        return 1, "the dataset planned no samples: nothing was run"
    if n and errors == n:
        return 1, f"every one of the {n} samples errored: nothing could be scored (see errors_by_stage in scorecard.json)"
    if missing:
        return 1, f"{missing} planned samples have no row: rerun the same command to complete the run"
    if fail_on_error_rate is not None and n and errors / n > fail_on_error_rate:
        return 1, (f"{errors} of {n} samples errored ({errors / n:.1%}), above "
                   f"run.fail_on_error_rate={fail_on_error_rate:g}")
    return 0, ""
