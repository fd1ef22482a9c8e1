"""A run's plan: validated plugin specs, the planned samples, and the fingerprint that binds a run
directory to them.

Everything that can change an answer goes into the fingerprint: each plugin's name, parameters
and the version of the distribution that ships it (detector, redactor, dataset), the planned
samples with their labels (so another ``dataset.n``, a changed labels file or a moved frame count
all differ), the input limits and the price of a core-hour. What cannot change an answer is left
out: the executor, reporters and the `report` settings, batch and flush sizes, the progress bar, and parameters a plugin
declares answer-neutral in ``Plugin.fingerprint_exclude`` (a VLM's concurrency or cache mode).

A run directory belongs to one plan. :func:`bind` writes ``plan.json`` (the fingerprint and what
it is made of, secrets scrubbed) and ``planned.parquet`` (the planned samples) on the first
session, and refuses a later session whose plan differs, saying what differs. ``phibench score``
reads ``planned.parquet``, so it scores exactly the samples the run planned.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from omegaconf import DictConfig, OmegaConf

from phibench import __version__, extras, files, ocr
from phibench.config import GROUPS, OPTIONAL_GROUPS, SHOW_PHI_MOVED, ReportSettings, RunSettings
from phibench.context import RunContext
from phibench.exceptions import ConfigError, DatasetError
from phibench.limits import Limits
from phibench.pipeline import Task
from phibench.records import GroundTruth, Sample
from phibench.registry import Registry
from phibench.results import ResultStore
from phibench.secrets import is_secret_name, redact_text, scrub
from phibench.specs import PluginSpec

log = logging.getLogger(__name__)

PLAN_FILE = "plan.json"
PLANNED_FILE = "planned.parquet"
ANSWERING = ("detector", "redactor", "dataset")
"""Plugin kinds whose choice and parameters change a run's answers."""

_PLANNED_SCHEMA = pa.schema(
    [("sample_id", pa.string()), ("path", pa.string()), ("frame", pa.int32()), ("has_phi", pa.bool_())]
)


@dataclass(frozen=True)
class Validated:
    """A validated configuration: its plugins and settings. Nothing planned or loaded yet."""

    specs: dict[str, PluginSpec]
    reporters: list[str]
    settings: RunSettings
    resolved: dict[str, Any]
    """The resolved configuration, secrets scrubbed: what ``config.resolved.yaml`` and the
    scorecard record."""


@dataclass(frozen=True)
class Plan(Validated):
    """A validated run with its planned samples and fingerprint."""

    tasks: list[Task]
    components: dict[str, Any]
    """What the fingerprint is made of (parameters scrubbed, with the hash of the real ones)."""
    fingerprint: str


def validate(cfg: DictConfig | dict[str, Any], registry: Registry) -> Validated:
    """Check every plugin node against its plugin's schema (and the OCR engine a detector or
    redactor names against the engine's); nothing is loaded or run."""
    raw = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg)
    assert isinstance(raw, dict)
    specs: dict[str, PluginSpec] = {}
    resolved: dict[str, Any] = {}
    for kind in GROUPS + OPTIONAL_GROUPS:
        node = dict(raw.get(kind) or {})
        name = node.pop("name", None)
        if not name:
            if kind in OPTIONAL_GROUPS:
                resolved[kind] = None
                continue
            raise ConfigError(f"{kind}: no plugin chosen; pass {kind}=NAME")
        entry = registry.get(kind, str(name))
        cls = entry.cls
        extras.check(f"{kind} {name!r}", cls.requires)
        ocr.check_spelling(cls.Params, node, group=kind, where=f"{kind} {name!r}")
        params = entry.validate(node)
        ocr.check_settings(params, registry, where=f"{kind} {name!r}")
        if kind == "redactor":
            from phibench.redaction import policy

            policy.check(params)
        specs[kind] = PluginSpec.of(kind, str(name), params)
        resolved[kind] = {"name": name, **asdict(params)}
    reporters, reporter_params = reporters_of(raw.get("reporters") or [], registry)
    settings = settings_of(raw.get("run") or {})
    resolved |= {"reporters": reporters, "run": asdict(settings), "report": asdict(report_of(raw.get("report") or {}))}
    if reporter_params:
        resolved["reporter_params"] = reporter_params
    return Validated(specs, reporters, settings, scrub(resolved))


def _known_keys(node: dict[str, Any], schema: type, where: str) -> None:
    """A :class:`ConfigError` listing the settings of ``schema`` when ``node`` has another key."""
    known = [f.name for f in fields(schema)]
    if unknown := sorted(set(node) - set(known)):
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(unknown)}. Settings: {', '.join(known)}")


def settings_of(run: dict[str, Any]) -> RunSettings:
    """``RunSettings`` from the ``run`` node, with a clear error for an unknown key."""
    run = dict(run)
    if "show_phi" in run:
        raise ConfigError(SHOW_PHI_MOVED)
    _known_keys(run, RunSettings, "run")
    limits = run.pop("limits", None) or {}
    try:
        lim = limits if isinstance(limits, Limits) else Limits(**limits)
        return RunSettings(**run, limits=lim)
    except TypeError as exc:
        raise ConfigError(f"run: {exc}. Limits: {', '.join(f.name for f in fields(Limits))}") from None


def reporters_of(entries: list[Any], registry: Registry) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The reporters' names, and the parameters of those that take any, each checked against its
    ``Params``. An entry is a name (``json``) or a mapping with one (``{name: mlflow, x: 1}``):
    ``'reporters=[json,{name: summary_csv, decimals: 2}]'`` on the command line."""
    names: list[str] = []
    params: dict[str, dict[str, Any]] = {}
    for entry in entries:
        given = dict(entry) if isinstance(entry, dict) else {"name": entry}
        name = str(given.pop("name", "") or "")
        if not name:
            raise ConfigError(f"reporters: an entry needs a name, e.g. {{name: json}}; got {entry!r}")
        if name in names:
            raise ConfigError(f"reporters: {name!r} is listed twice")
        found = registry.get("reporter", name)
        extras.check(f"reporter {name!r}", found.cls.requires)
        if secret := [k for k, v in given.items() if is_secret_name(str(k)) or redact_text(str(v)) != str(v)]:
            raise ConfigError(f"reporter {name!r}: {secret[0]!r} looks like a secret; reporters read secrets "
                              f"from the environment, never from the config (which every scorecard records)")
        checked = found.validate(given)
        names.append(name)
        if is_dataclass(checked) and fields(checked):
            params[name] = asdict(checked)
    return names, params


def report_of(node: dict[str, Any]) -> ReportSettings:
    """``ReportSettings`` from the ``report`` node, with a clear error for an unknown key or a
    count below zero."""
    _known_keys(node, ReportSettings, "report")
    report = ReportSettings(**node)
    for name in ("gallery_cases", "listed_cases"):
        if int(getattr(report, name)) < 0:
            raise ConfigError(f"report.{name} must be 0 or more; got {getattr(report, name)}")
    return report


def plan(cfg: DictConfig | dict[str, Any], registry: Registry, run_dir: Path | None = None) -> Plan:
    """Validate the configuration and plan its samples; the result carries the fingerprint."""
    v = validate(cfg, registry)
    context = RunContext(str(run_dir.resolve()) if run_dir else "", limits=v.settings.limits)
    tasks = plan_tasks(registry, v.specs["dataset"], context)
    components = _components(v.specs, registry, tasks, v.settings)
    digest = hashlib.sha256(json.dumps(_hashed(components), sort_keys=True).encode()).hexdigest()
    return Plan(v.specs, v.reporters, v.settings, v.resolved, tasks, components, digest)


def plan_tasks(registry: Registry, spec: PluginSpec, context: RunContext | None = None) -> list[Task]:
    """The dataset's samples; duplicate sample ids are the dataset's error."""
    dataset = registry.build("dataset", spec.name, spec.params)
    dataset.context = context
    tasks = [Task(s, t) for s, t in dataset.plan()]
    dupes = [sid for sid, n in Counter(t.sample.sample_id for t in tasks).items() if n > 1]
    if dupes:
        raise DatasetError(f"dataset {spec.name!r} planned {len(dupes)} duplicate sample ids")
    return tasks


def _components(specs: dict[str, PluginSpec], registry: Registry, tasks: list[Task], settings: RunSettings) -> dict[str, Any]:
    out: dict[str, Any] = {"phibench": __version__}
    for kind in ANSWERING:
        spec = specs.get(kind)
        if spec is None:
            out[kind] = None
            continue
        entry = registry.get(kind, spec.name)
        exclude = set(getattr(entry.cls, "fingerprint_exclude", ()))
        params = {k: v for k, v in spec.params.items() if k not in exclude}
        out[kind] = {
            "name": spec.name,
            "version": entry.distribution,
            "params": scrub(params),
            "params_sha256": _sha(json.dumps(params, sort_keys=True, default=str)),
        }
    out["samples"] = {"n": len(tasks), "sha256": samples_sha256((t.sample, t.truth) for t in tasks)}
    out["limits"] = settings.limits.as_dict()
    out["price_per_core_hour_usd"] = settings.price_per_core_hour_usd
    return out


def _hashed(components: dict[str, Any]) -> dict[str, Any]:
    """The components without their readable (scrubbed) parameters: the hash covers the real ones."""
    return {
        k: ({kk: vv for kk, vv in v.items() if kk != "params"} if isinstance(v, dict) and "params_sha256" in v else v)
        for k, v in components.items()
    }


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# -- binding a run directory to its plan ----------------------------------------------------------

RUN_OUTPUTS = ("results.parquet", "redacted", "quarantine", "workers", PLAN_FILE, PLANNED_FILE,
               "scorecard.json", "scorecard.md", "report.html", "run_meta.json")
"""What ``--force-new`` removes. The VLM response cache (``cache/``) stays: it is keyed by the
request itself, so another plan can never read an answer that was not given to its request."""


def bind(run_dir: Path, p: Plan, *, force_new: bool = False) -> None:
    """Make ``run_dir`` this plan's: a first session records the plan, a resumed session must match
    it. Raises :class:`ConfigError` for a mismatch unless ``force_new`` (which discards the old
    run's results first)."""
    stored = read_plan(run_dir)
    has_results = any((run_dir / "results.parquet").glob("*.parquet"))
    if stored is not None and stored.get("fingerprint") == p.fingerprint:
        return
    if stored is not None or has_results:
        if not force_new:
            why = diff(stored["components"], p.components) if stored else [
                "it holds results but no plan.json (made by an older phibench, or not by phibench)"]
            raise ConfigError(
                f"run directory {run_dir} holds a run of another plan: " + "; ".join(why)
                + ". Use a new directory (hydra.run.dir=DIR) or pass --force-new to discard "
                "its results and start over."
            )
        log.warning("--force-new: discarding the results of the earlier run in %s", run_dir)
        for name in RUN_OUTPUTS:
            target = run_dir / name
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)
    record = {"fingerprint": p.fingerprint, "created_at": time.time(), "components": p.components}
    samples = [t.sample for t in p.tasks]
    table = pa.Table.from_arrays(  # columns, not a dict a sample: 100k samples make 100k dicts
        [pa.array([s.sample_id for s in samples], pa.string()), pa.array([s.path for s in samples], pa.string()),
         pa.array([s.frame for s in samples], pa.int32()), pa.array([t.truth.has_phi for t in p.tasks], pa.bool_())],
        schema=_PLANNED_SCHEMA,
    )
    files.write_atomic(run_dir / PLANNED_FILE, lambda tmp: pq.write_table(table, tmp))
    files.write_text(run_dir / PLAN_FILE, json.dumps(record, indent=2, default=str) + "\n")


def read_plan(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / PLAN_FILE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} cannot be read ({type(exc).__name__}); it is not a phibench plan") from None


def planned_ids(run_dir: Path) -> set[str] | None:
    """Sample ids the run planned, or ``None`` for a run made before plans were recorded."""
    path = run_dir / PLANNED_FILE
    if not path.exists():
        return None
    return set(pq.read_table(path, columns=["sample_id"])["sample_id"].to_pylist())


_shared: dict[tuple[Any, ...], tuple[pd.DataFrame, set[str] | None]] | None = None


@contextmanager
def shared_rows() -> Iterator[None]:
    """While inside, :func:`planned_rows` reads an unchanged run directory once: the scorecard
    and each reporter get their own copy of the same rows instead of reading them again."""
    global _shared
    outer, _shared = _shared, {}
    try:
        yield
    finally:
        _shared = outer


def planned_rows(run_dir: Path) -> tuple[pd.DataFrame, set[str] | None]:
    """The run's rows (one per sample, :meth:`ResultStore.read`) restricted to its planned
    samples, as the scorecard counts them, and :func:`planned_ids`."""
    run_dir = Path(run_dir)
    key = _signature(run_dir) if _shared is not None else None
    if key is None or (hit := _shared.get(key)) is None:  # type: ignore[union-attr]
        df = ResultStore(run_dir).read()
        planned = planned_ids(run_dir)
        if planned is not None:
            df = df[df["sample_id"].isin(planned)].reset_index(drop=True)
        if key is None:
            return df, planned
        hit = _shared[key] = (df, planned)  # type: ignore[index]
    return hit[0].copy(), hit[1]


def _signature(run_dir: Path) -> tuple[Any, ...]:
    """What :func:`planned_rows` reads, by file identity: parts are renamed into place, never
    rewritten, so a changed store changes this."""
    def ident(path: Path) -> tuple[Any, ...]:
        try:
            st = path.stat()
        except OSError:
            return (path.name,)
        return (path.name, st.st_ino, st.st_size, st.st_mtime_ns)

    return (str(run_dir.resolve()), ident(run_dir / PLANNED_FILE),
            *(ident(part) for part in ResultStore(run_dir).parts()))


def samples_sha256(planned: Iterable[tuple[Sample, GroundTruth]]) -> str:
    """The plan's samples hash (``plan.json`` components.samples.sha256): sample ids, frames
    and labels, in plan order."""
    h = hashlib.sha256()
    for sample, truth in planned:
        h.update(f"{sample.sample_id}\t{sample.frame}\t{truth.has_phi}\t{truth.regions_json()}\n".encode())
    return h.hexdigest()


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between two plans' components, in words (no secrets: params are scrubbed)."""
    out: list[str] = []
    for kind in ANSWERING:
        a, b = old.get(kind), new.get(kind)
        if a == b or (a and b and a.get("params_sha256") == b.get("params_sha256")
                      and a.get("name") == b.get("name") and a.get("version") == b.get("version")):
            continue
        if not a or not b or a.get("name") != b.get("name"):
            out.append(f"{kind} {_name(a)} -> {_name(b)}")
            continue
        if a.get("version") != b.get("version"):
            out.append(f"{kind} code {a.get('version')} -> {b.get('version')}")
        pa_, pb = a.get("params", {}), b.get("params", {})
        keys = sorted(k for k in set(pa_) | set(pb) if pa_.get(k) != pb.get(k))
        if keys or a.get("params_sha256") != b.get("params_sha256"):
            shown = ", ".join(f"{k}: {_short(pa_.get(k))} -> {_short(pb.get(k))}" for k in keys)
            out.append(f"{kind} parameters ({shown or 'a secret value'})")
    so, sn = old.get("samples", {}), new.get("samples", {})
    if so != sn:
        if so.get("n") != sn.get("n"):
            out.append(f"planned samples {so.get('n')} -> {sn.get('n')}")
        else:
            out.append(f"the {sn.get('n')} planned samples or their labels changed")
    for key in ("limits", "price_per_core_hour_usd", "phibench"):
        if old.get(key) != new.get(key):
            out.append(f"{key} {_short(old.get(key))} -> {_short(new.get(key))}")
    return out or ["the fingerprint differs"]


def _name(c: dict[str, Any] | None) -> str:
    return repr(c["name"]) if c else "(none)"


def _short(v: Any) -> str:
    text = json.dumps(v, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
