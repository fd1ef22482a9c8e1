"""Logs the run to MLflow tracking: params, metrics, tags and the reports as artifacts.

Optional: ``pip install 'phibench[mlflow]'`` (:attr:`MlflowReporter.requires`; without it the
run fails naming the extra, never with an ImportError), then list it last,
``reporters=[json,markdown,html,terminal,mlflow]``. One phibench run is one MLflow run: a resumed
or re-scored run (``phibench score DIR``) updates the MLflow run it made before (found by the tag
``phibench.run_key``, a hash of the run directory and the plan's fingerprint).

* **Where.** MLflow resolves the tracking URI itself: ``MLFLOW_TRACKING_URI`` (a server,
  ``databricks``), else MLflow 3's default, ``sqlite:///mlflow.db`` in the current folder. Not a
  ``file:`` store: MLflow 3 put the filesystem backend in maintenance mode and since 3.13 refuses
  it unless ``MLFLOW_ALLOW_FILE_STORE=true``; a SQLite file is what it supports offline, and one
  store for every run started from a folder lets ``mlflow ui`` compare a sweep (a store in each
  run directory would hold one run). A new experiment on a local SQLite store keeps its artifacts
  in ``mlruns/`` beside the database file (MLflow's own layout), wherever the process started.
* **Which package.** ``mlflow-skinny`` with SQLAlchemy and Alembic, not full ``mlflow``: skinny
  registers the ``sqlite:`` store once SQLAlchemy is importable, which is all a client needs; the
  full package adds the server and UI (Flask, gunicorn, docker, graphene, ...). Install
  ``mlflow`` to browse: ``mlflow ui --backend-store-uri sqlite:///mlflow.db``.
* **Experiment.** ``MLFLOW_EXPERIMENT_ID``, else ``MLFLOW_EXPERIMENT_NAME``, else ``phibench``
  (on Databricks a name is a workspace path: ``/Users/me/phibench``).
* **No network of its own.** MLflow 3 sends usage telemetry from a thread started at import;
  ``MLFLOW_DISABLE_TELEMETRY=true`` is set before the import unless the user set it (``DO_NOT_TRACK``
  is obeyed by MLflow too). Only the tracking URI is contacted.
* **No secrets, no PHI.** Everything logged comes from the scorecard, already scrubbed
  (:func:`phibench.secrets.scrub`: secret-named keys blanked, keys in URLs masked). Artifacts are
  ``scorecard.json`` (this scorecard) and the PHI-free reports written before this one;
  ``results.parquet`` (ground-truth, read and detected text) only when asked twice: the
  reporter's ``log_results=true`` (``'reporters=[json,{name: mlflow, log_results: true}]'``) and
  ``report.show_phi=true``. Never ``cache/`` or ``redacted/``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from phibench import extras
from phibench.exceptions import ConfigError
from phibench.records import Auroc, Estimate, Scorecard
from phibench.reporter import Reporter, report_settings
from phibench.secrets import redact_text, redact_url
from phibench_plugins.reporters import json_reporter
from phibench_plugins.reporters.html_reporter import REPORT_FILE

log = logging.getLogger(__name__)

NAME = "mlflow"
INSTALL = "pip install 'phibench[mlflow]'"
DEFAULT_EXPERIMENT = "phibench"
RUN_KEY_TAG = "phibench.run_key"
REPORT_FILES = {"markdown": "scorecard.md", "html": REPORT_FILE}
"""Files of the reporters that run before this one in the same call, logged as artifacts."""
RESULTS = "results.parquet"


def _mlflow() -> ModuleType:
    """``mlflow``, imported with its telemetry off; a missing extra is a usage error."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    try:
        import mlflow
    except ImportError as exc:
        raise ConfigError(f"the mlflow reporter needs MLflow ({exc}): {INSTALL}") from None
    return mlflow


def params(sc: Scorecard) -> dict[str, Any]:
    """The resolved config, flattened to dotted keys (``detector.name``, ``dataset.n``)."""
    if not sc.config:
        return {}
    return pd.json_normalize(dict(sc.config), sep=".").iloc[0].to_dict()


def _rates(prefix: str, table: Mapping[str, Estimate | Auroc | None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, rate in table.items():
        if rate is not None:
            key = f"{prefix}{name}"
            out |= {key: rate.value, f"{key}.ci_low": rate.ci_low, f"{key}.ci_high": rate.ci_high}
    return out


def metrics(sc: Scorecard) -> dict[str, float]:
    """Rates with their 95% intervals (``recall``, ``recall.ci_low``, ...), counts, speed, cost,
    AUROC and redaction quality where the scorecard has them; names follow scorecard.json."""
    latency, tokens, curves, redaction = sc.latency_s, sc.tokens, sc.threshold_free, sc.redaction
    out: dict[str, Any] = {
        **_rates("", sc.metrics),
        **{f"confusion.{k}": v for k, v in sc.confusion.to_dict().items()},
        "samples": sc.samples, "files": sc.files,
        "planned_samples": sc.planned_samples, "missing_samples": sc.missing_samples,
        "throughput_images_per_s": sc.throughput_images_per_s, "wall_time_s": sc.wall_time_s,
        "cost_per_100k_usd": sc.cost_per_100k_usd,
        **{f"latency_s.{k}": v for k, v in latency.to_dict().items()},
        **{f"tokens.{k}": v for k, v in tokens.to_dict().items()},
    }
    if curves is not None:
        out |= {**_rates("", {"auroc": curves.auroc}), "average_precision": curves.average_precision}
    if redaction is not None:
        out |= {
            **_rates("redaction.", redaction.metrics),
            "redaction.files_written": redaction.files_written,
            "redaction.files_failed": redaction.files_failed,
            "redaction.mean_phi_region_coverage": redaction.mean_phi_region_coverage,
        }
    for category, found in sc.per_category.phi.items():
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", str(category))  # a folder's labels may name any category
        out[f"category.{name}.recall"] = found.image_recall.value if found.image_recall else None
    return {k: float(v) for k, v in out.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def tags(sc: Scorecard, run_dir: Path) -> dict[str, str]:
    versions, provenance = sc.versions or {}, sc.provenance or {}
    found = {
        RUN_KEY_TAG: run_key(sc, run_dir),
        "phibench.version": (versions.get("libraries") or {}).get("phibench"),
        "phibench.git_revision": versions.get("git_revision"),
        "phibench.schema_version": sc.schema_version,
        "phibench.fingerprint": sc.fingerprint,
        "phibench.dataset_fingerprint": provenance.get("dataset_fingerprint"),
        "phibench.detector": (sc.detector or {}).get("name"),
        "phibench.dataset": sc.dataset,
        "phibench.redactor": (sc.redactor or {}).get("name"),
        "phibench.endpoints": ", ".join(sc.endpoints),
        "phibench.simulated": str(bool(sc.simulated)).lower(),
        "phibench.run_dir": str(run_dir.resolve()),
    }
    return {k: str(v) for k, v in found.items() if v not in (None, "")}


def run_key(sc: Scorecard, run_dir: Path) -> str:
    """Same run directory and plan, same key: the MLflow run a resume or re-score updates."""
    return hashlib.sha256(f"{run_dir.resolve()}\n{sc.fingerprint}".encode()).hexdigest()[:32]


def artifacts(sc: Scorecard, run_dir: Path, log_results: bool = False) -> list[Path]:
    """The reports written before this reporter in this call (a later one's file would be the
    previous session's), and ``results.parquet`` only when asked twice: the reporter's
    ``log_results=true`` and the run's ``report.show_phi=true`` (the rows hold PHI, and a tracking
    server may be another machine)."""
    order = [str(r) for r in (sc.config or {}).get("reporters", [])]
    before = order[: order.index(NAME)] if NAME in order else order
    late = [REPORT_FILES[r] for r in order[len(before):] if r in REPORT_FILES]
    if late:
        log.warning("mlflow reporter: %s not logged (written after it): list mlflow last in reporters",
                    ", ".join(late))
    paths = [run_dir / REPORT_FILES[r] for r in before if r in REPORT_FILES]
    if log_results and report_settings(sc).show_phi:
        paths.append(run_dir / RESULTS)
    elif log_results:
        log.warning("mlflow reporter: log_results=true needs report.show_phi=true too (the rows hold PHI); not logged")
    return [p for p in paths if p.exists()]


def _shown(uri: str) -> str:
    """The tracking URI for a message: credentials masked (a ``sqlite:`` path is left as is)."""
    return redact_url(uri) if urlsplit(uri).netloc else uri


def _artifact_location(uri: str) -> str | None:
    """``mlruns/`` beside a local SQLite store's file; elsewhere the store's default."""
    if not uri.startswith("sqlite:"):
        return None
    from sqlalchemy.engine import make_url

    db = make_url(uri).database
    return (Path(db).resolve().parent / "mlruns").as_uri() if db and db != ":memory:" else None


def _experiment_id(client: Any, uri: str) -> str:
    from mlflow.exceptions import MlflowException

    if given := os.environ.get("MLFLOW_EXPERIMENT_ID"):
        return given
    name = os.environ.get("MLFLOW_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT
    if (found := client.get_experiment_by_name(name)) is None:
        try:
            return client.create_experiment(name, artifact_location=_artifact_location(uri))
        except MlflowException:  # a sweep's other job may have just created it
            if (found := client.get_experiment_by_name(name)) is None:
                raise
    return found.experiment_id


class MlflowReporter(Reporter):
    requires = extras.needs("mlflow")
    """The ``mlflow`` extra: the client and what its ``sqlite:`` store needs."""

    @dataclass
    class Params:
        log_results: bool = False
        """Also upload ``results.parquet`` (ground-truth, read and detected text: PHI); only
        together with ``report.show_phi=true``."""

    def report(self, scorecard: Scorecard, run_dir: Path) -> None:
        mlflow = _mlflow()
        uri = mlflow.get_tracking_uri()
        try:
            run_id = self._log(mlflow, scorecard, Path(run_dir), uri)
        except mlflow.exceptions.MlflowException as exc:
            raise ConfigError(
                f"MLflow at {_shown(uri)}: {redact_text(str(exc))} (set MLFLOW_TRACKING_URI, "
                f"MLFLOW_EXPERIMENT_NAME; the scorecard is in {run_dir})"
            ) from None
        log.info("logged to MLflow at %s: run %s", _shown(uri), run_id)

    def _log(self, mlflow: ModuleType, sc: Scorecard, run_dir: Path, uri: str) -> str:
        client = mlflow.MlflowClient()
        experiment_id = _experiment_id(client, uri)
        labels = tags(sc, run_dir)
        before = client.search_runs(
            [experiment_id], f"tags.`{RUN_KEY_TAG}` = '{labels[RUN_KEY_TAG]}'", max_results=1
        )
        logged = before[0].data.params if before else {}
        values = params(sc)
        # MLflow params are immutable: a resumed run keeps the first session's value of a
        # setting that cannot change answers (batch size, executor), and says so.
        if changed := sorted(k for k, v in values.items() if k in logged and logged[k] != str(v)):
            log.info("mlflow reporter: params kept from the first session: %s", ", ".join(changed))
        with mlflow.start_run(
            run_id=before[0].info.run_id if before else None,
            experiment_id=experiment_id,
            run_name=None if before else run_dir.resolve().name,
            nested=mlflow.active_run() is not None,
            tags=labels,
        ) as run:
            mlflow.log_params({k: v for k, v in values.items() if k not in logged})
            mlflow.log_metrics(metrics(sc))
            mlflow.log_text(json_reporter.text(sc), "scorecard.json")
            for path in artifacts(sc, run_dir, self.params.log_results):
                if path.is_dir():
                    log.warning("report.show_phi=true: logging %s (PHI) to MLflow", path.name)
                    mlflow.log_artifacts(str(path), path.name)
                else:
                    mlflow.log_artifact(str(path))
            return str(run.info.run_id)
