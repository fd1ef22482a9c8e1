"""``phibench run``: Hydra composes the config, :func:`phibench.run.execute` does the work.

Before Hydra starts, the command line is checked the way phibench checks a config: plugin names
against the registry (``detector=nope`` lists the installed detectors), parameter keys against the
chosen plugin's schema (``detector.nope=1`` lists its parameters instead of Hydra's "not in
struct"), and a run directory given as ``hydra.run.dir`` / ``hydra.sweep.dir`` must be a folder
phibench can write. Every installed plugin that ships no YAML gets a default config node
(``detector=NAME`` works for third-party plugins).

Exit status: 0 when every run finished and passed its bar, 1 when a run finished but could not
score anything or failed ``run.fail_on_error_rate``, 2 for a usage error.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import fields, is_dataclass
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from phibench import extras, ocr
from phibench.config import PLUGIN_GROUPS, SHOW_PHI_MOVED, RunSettings, config_dir, register_configs
from phibench.exceptions import ConfigError, PhibenchError
from phibench.limits import Limits
from phibench.registry import Registry, default_registry
from phibench.secrets import redact_text

log = logging.getLogger("phibench")

FORCE_NEW = "--force-new"
_status: list[int] = []


def check_plugin_names(overrides: list[str], registry: Registry) -> None:
    """Fail fast on ``group=NAME`` overrides that name no installed plugin."""
    for item in overrides:
        key, sep, value = item.lstrip("+~").partition("=")
        if not sep or key not in PLUGIN_GROUPS or "(" in value:
            continue
        for name in value.split(","):
            if name.strip() and name.strip() != "null":
                registry.get(key, name.strip())


def _defaults() -> dict[str, str | None]:
    """Plugin chosen per group by ``run.yaml``'s defaults list."""
    out: dict[str, str | None] = {}
    try:
        for entry in OmegaConf.load(config_dir() / "run.yaml").get("defaults", []):
            if isinstance(entry, DictConfig | dict):
                for k, v in dict(entry).items():
                    if k in PLUGIN_GROUPS:
                        out[k] = None if v is None else str(v)
    except (OSError, ValueError):
        pass
    return out


def _names(fields_of: type) -> list[str]:
    return [f.name for f in fields(fields_of)] if is_dataclass(fields_of) else []


def check_parameter_keys(overrides: list[str], registry: Registry) -> None:
    """``group.key=value`` (no ``+``) for a key the chosen plugin does not take, and ``run.key``
    for a setting that does not exist: a ConfigError listing what exists."""
    chosen: dict[str, list[str]] = {g: [n] if n else [] for g, n in _defaults().items()}
    experiment, explicit = False, set()
    for item in overrides:
        key, sep, value = item.lstrip("~+").partition("=")
        experiment |= key == "experiment"
        if sep and key in PLUGIN_GROUPS and "(" not in value:
            explicit.add(key)
            chosen[key] = [n.strip() for n in value.split(",") if n.strip() not in ("", "null")]
    for item in overrides:
        if item.startswith(("+", "~")) or "=" not in item:
            continue
        key = item.split("=", 1)[0]
        head, _, rest = key.partition(".")
        if not rest:
            continue
        first = rest.split(".")[0]
        if head == "run":
            known = _names(RunSettings)
            if first == "show_phi":
                raise ConfigError(SHOW_PHI_MOVED)
            if first not in known:
                raise ConfigError(f"run has no setting {first!r}. Settings: {', '.join(known)}")
            if first == "limits" and "." in rest and rest.split(".")[1] not in _names(Limits):
                raise ConfigError(f"run.limits has no limit {rest.split('.')[1]!r}. Limits: "
                                  f"{', '.join(_names(Limits))}")
            continue
        if head not in PLUGIN_GROUPS or (experiment and head not in explicit):
            continue  # an experiment may choose the plugin: Hydra and plan() check it
        names = chosen.get(head) or []
        if not names:
            raise ConfigError(f"{key}: no {head} is chosen; pass {head}=NAME first")
        for name in names:
            schema = registry.get(head, name).cls.Params
            known = _names(schema)
            if first.endswith("_params") and first not in known and first[:-7] in ocr.ocr_fields(schema):
                raise ConfigError(f"{head} {name!r}: " + ocr.OCR_MOVED.format(group=head, key=first[:-7]))
            if first not in known and first != "name":
                raise ConfigError(
                    f"{head} {name!r} has no parameter {first!r}. Parameters it takes: "
                    f"{', '.join(known) or '(none)'}"
                )


def check_run_dirs(overrides: list[str]) -> None:
    """``hydra.run.dir`` / ``hydra.sweep.dir`` given on the command line must be folders phibench
    can make and write (Hydra would fail with a traceback); without one, the default ``runs/``
    goes under the current folder, which must then be writable."""
    given = False
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or key not in ("hydra.run.dir", "hydra.sweep.dir"):
            continue
        given = True
        if "$" in value:  # interpolated: Hydra resolves it
            continue
        path = Path(value).expanduser()
        if path.exists() and not path.is_dir():
            raise ConfigError(f"{key}={value} is a file; choose a folder")
        _try_make(key, value, path)
        if path.exists() and not os.access(path, os.W_OK | os.X_OK):
            raise ConfigError(f"{key}={value} is not writable; choose a folder you can write")
    if not given and not os.access(Path.cwd(), os.W_OK | os.X_OK):
        raise ConfigError(f"runs go to runs/ under the current folder {Path.cwd()}, which is not "
                          "writable: pass hydra.run.dir=DIR")


def _try_make(key: str, value: str, path: Path) -> None:
    """Make ``path`` as Hydra will, then remove what was made (``--cfg job`` makes nothing)."""
    made: list[Path] = []
    probe = path
    while not probe.exists():
        made.append(probe)
        probe = probe.parent
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{key}={value}: cannot make it ({exc.strerror or type(exc).__name__}); "
                          "choose a folder you can write") from None
    finally:
        for folder in made:
            try:
                folder.rmdir()
            except OSError:
                pass


def _scrub_hydra_files(run_dir: Path) -> None:
    """Hydra records the command line in ``.hydra/`` (and ``multirun.yaml``): a key pasted into a
    URL (``detector.base_url=https://u:KEY@host``) must not stay there."""
    candidates = [run_dir / ".hydra" / n for n in ("config.yaml", "overrides.yaml", "hydra.yaml")]
    try:
        candidates.append(Path(HydraConfig.get().sweep.dir) / "multirun.yaml")
    except Exception:  # noqa: BLE001 - not a sweep
        pass
    for path in candidates:
        try:
            text = path.read_text()
        except OSError:
            continue
        clean = redact_text(text)
        if clean != text:
            path.write_text(clean)


def _task(cfg: DictConfig) -> None:
    from phibench.run import execute, exit_status

    run_dir = Path(HydraConfig.get().runtime.output_dir)
    _scrub_hydra_files(run_dir)
    try:
        scorecard = execute(cfg, run_dir)
    except PhibenchError as exc:  # a user's mistake: say what to do, without a traceback
        print(f"phibench: error: {exc}", file=sys.stderr)
        _status.append(2)
        return
    threshold = OmegaConf.select(cfg, "run.fail_on_error_rate")
    status, why = exit_status(scorecard, threshold)
    if status:
        print(f"phibench: run failed: {why} ({run_dir})", file=sys.stderr)
    _status.append(status)


def default_executor(overrides: list[str]) -> list[str]:
    """``overrides``, plus ``executor=inline`` when none names an executor and the default
    (Spark) is not installed: a light install (``pip install phibench``, no ``[spark]`` extra)
    runs in the driver process and says so, rather than failing on a missing pyspark."""
    if any(o.lstrip("+~").partition("=")[0] == "executor" for o in overrides):
        return overrides
    if _defaults().get("executor") != "spark" or extras.installed("pyspark"):
        return overrides
    log.warning("pyspark is not installed (the 'spark' extra): running with executor=inline")
    return [*overrides, "executor=inline"]


def main(overrides: list[str]) -> int:
    """Run ``phibench run OVERRIDES``; the exit status (see the module docstring)."""
    if FORCE_NEW in overrides:
        overrides = [o for o in overrides if o != FORCE_NEW] + ["run.force_new=true"]
    overrides = default_executor(overrides)
    registry = default_registry()
    check_plugin_names(overrides, registry)
    check_parameter_keys([o for o in overrides if not o.startswith("-")], registry)
    check_run_dirs(overrides)
    register_configs(registry)
    app = hydra.main(config_path=str(config_dir()), config_name="run", version_base="1.3")(_task)
    argv = sys.argv
    sys.argv = ["phibench-run", *overrides]
    _status.clear()
    try:
        app()
    finally:
        sys.argv = argv
    return max(_status, default=0)
