"""Structured-config schema of a run (Hydra ``ConfigStore``) and where the YAML groups live.

The top level is typed here; each plugin node (``detector``, ``dataset``, ``executor``) is typed
by its plugin's own ``Params`` dataclass, checked on the driver by
:func:`phibench.plugin.validate_params` before anything runs, so third-party plugins bring their
own schema without touching this file.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, OmegaConf

from phibench.exceptions import PluginError, UnknownPluginError
from phibench.limits import Limits
from phibench.registry import Entry, Registry

GROUPS = ("detector", "dataset", "executor")
"""Config groups that select one plugin each; the group name is also the plugin kind."""

OPTIONAL_GROUPS = ("redactor",)
"""Plugin groups a run may leave unset (``redactor=easyocr`` turns redaction on)."""

PLUGIN_GROUPS = GROUPS + OPTIONAL_GROUPS


PRICE_PER_CORE_HOUR_USD = 0.045
"""The default price of local compute: USD per CPU core-hour (AWS c7i on-demand, us-east-1, per
vCPU-hour, 2025 list price, $0.08925 per 2 vCPU)."""


@dataclass
class RunSettings:
    """Settings of the run itself, under ``run.`` on the command line."""

    price_per_core_hour_usd: float = PRICE_PER_CORE_HOUR_USD
    """Prices local compute: USD per CPU core-hour (default :data:`PRICE_PER_CORE_HOUR_USD`).
    Set your own hardware's figure."""
    batch_size: int = 8
    """Frames handed to the detector per call."""
    flush_rows: int = 256
    """Result rows buffered before they are appended to ``results.parquet`` as one part file.
    ``flush_seconds`` bounds what a crash can lose in time; this bounds it in rows and memory.
    Each part costs a Parquet write now and a merge at the end (~5 ms each): at 32, a fast
    detector's 274-frame run wrote 9 parts and spent 3 % of its time on them."""
    flush_seconds: float = 10.0
    """Longest time a finished row waits in the buffer (what a kill -9 can lose)."""
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


SHOW_PHI_MOVED = "run.show_phi is now report.show_phi (with report.gallery_cases and report.listed_cases)"
"""What a config that still says ``run.show_phi`` is told."""


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
    reporters: list[Any] = field(default_factory=lambda: ["json", "markdown", "html", "terminal"])
    """Reporter names, in order; one with parameters as a mapping: ``{name: NAME, key: value}``."""
    run: RunSettings = field(default_factory=RunSettings)
    report: ReportSettings = field(default_factory=ReportSettings)


def config_dir() -> Path:
    """The folder of the main config, ``run.yaml`` (package data of :mod:`phibench`). The groups'
    YAML ships with the plugins that own them (:func:`register_configs`)."""
    return Path(__file__).resolve().parent / "conf"


def user_config_dir() -> Path | None:
    """``$PHIBENCH_CONFIG_DIR``: a folder of your own YAML, laid out by group like a plugin's,
    loaded last (its presets win over the plugins')."""
    env = os.environ.get("PHIBENCH_CONFIG_DIR")
    return Path(env).expanduser() if env else None


def plugin_defaults(entry: Entry) -> dict[str, Any]:
    """The parameters a registered name has when given none: its ``Params`` defaults, with the
    preset's own (:attr:`Entry.defaults`) over them."""
    params = getattr(entry.cls, "Params", None)
    if params is None or not is_dataclass(params):
        return {}
    values = asdict(entry.params_defaults()).values()
    return {f.name: v for f, v in zip(fields(params), values, strict=True)}


CONFIG_GROUPS = (*PLUGIN_GROUPS, "experiment")
"""Groups a plugin's config folder may hold; ``experiment`` is a named sweep (``+experiment=``)."""
_PACKAGE = re.compile(r"^#\s*@package\s+(\S+)", re.M)


_NOT_READ_THERE = {
    "run.yaml": "the main config is not replaced; put your settings in an experiment "
                "(experiment/NAME.yaml, `+experiment=NAME`) or on the command line",
    "prompts": "a prompt is chosen per detector: detector.prompt=/path/to/prompt.yaml",
    "pricing.yaml": "prices are chosen per detector: detector.pricing_file=/path/to/pricing.yaml "
                    "(or detector.price_input_per_1m / price_output_per_1m)",
}


def check_user_config_dir(folder: Path) -> None:
    """Refuse what ``$PHIBENCH_CONFIG_DIR`` would silently ignore: a missing folder, a ``run.yaml``,
    ``prompts/`` or ``pricing.yaml`` (read from elsewhere), a folder that is no config group."""
    if not folder.is_dir():
        raise PluginError(f"PHIBENCH_CONFIG_DIR={folder} is not a folder")
    problems = []
    for item in sorted(folder.iterdir()):
        if item.name.startswith("."):
            continue
        if item.name in _NOT_READ_THERE:
            problems.append(f"{item.name}: {_NOT_READ_THERE[item.name]}")
        elif item.is_dir() and item.name not in CONFIG_GROUPS:
            problems.append(f"{item.name}/ is no config group (groups: {', '.join(CONFIG_GROUPS)})")
        elif item.is_file() and item.suffix in (".yaml", ".yml"):
            problems.append(f"{item.name}: a preset belongs in its group's folder "
                            f"({', '.join(CONFIG_GROUPS)}), e.g. detector/{item.name}")
        elif item.is_dir():
            problems += [f"{item.name}/{p.name}: only .yaml files are read" for p in sorted(item.iterdir())
                         if p.suffix != ".yaml" and not p.name.startswith(".")]
    if problems:
        raise PluginError(f"PHIBENCH_CONFIG_DIR={folder} holds what phibench would not read: "
                          + "; ".join(problems))


@dataclass(frozen=True)
class ShippedConfig:
    """One YAML a plugin ships, as stored in Hydra's ConfigStore."""

    group: str
    name: str
    path: Path
    source: str
    """``plugin (distribution)`` that ships it."""


def shipped_configs(registry: Registry) -> list[ShippedConfig]:
    """Every ``group/NAME.yaml`` in the plugins' config folders (then ``$PHIBENCH_CONFIG_DIR``),
    in load order; the same ``group/NAME`` from two plugins is a :class:`PluginError`."""
    folders = [(d.path, f"{d.plugin} ({d.distribution})", False) for d in registry.config_dirs]
    if (user := user_config_dir()) is not None:
        check_user_config_dir(user)
        folders.append((user, "$PHIBENCH_CONFIG_DIR", True))  # yours: replaces a shipped preset
    out: dict[tuple[str, str], ShippedConfig] = {}
    for folder, source, replaces in folders:
        for group in CONFIG_GROUPS:
            for path in sorted((folder / group).glob("*.yaml")):
                key = (group, path.stem)
                if key in out and not replaces and out[key].path.resolve() != path.resolve():
                    raise PluginError(f"config {group}/{path.stem} is shipped twice: by {out[key].source} "
                                      f"({out[key].path}) and by {source} ({path})")
                out[key] = ShippedConfig(group, path.stem, path, source)
    return list(out.values())


def _node(cfg: ShippedConfig, registry: Registry) -> Any:
    """The stored node: a plugin preset merged over its plugin's ``Params`` defaults, so the
    YAML need only say what differs; an experiment as it is."""
    node = OmegaConf.load(cfg.path)
    if cfg.group not in PLUGIN_GROUPS:
        return node
    named = node.get("name", cfg.name)
    if named != cfg.name:
        raise PluginError(f"{cfg.path}: name {named!r} differs from the file name; a preset of "
                          f"{cfg.group} {cfg.name!r} is {cfg.group}/{cfg.name}.yaml")
    try:
        entry = registry.get(cfg.group, cfg.name)
    except UnknownPluginError:
        raise PluginError(f"{cfg.path} ({cfg.source}) configures {cfg.group} {cfg.name!r}, which no "
                          f"installed plugin registers") from None
    return OmegaConf.merge({"name": cfg.name, **plugin_defaults(entry)}, node)


def register_configs(registry: Registry) -> None:
    """Register the schema, every YAML the plugins ship (merged over their ``Params`` defaults),
    and a default node for every plugin that ships none, so ``detector=NAME`` works for any
    installed plugin. Hydra finds them all in its ConfigStore, which is on its search path."""
    cs = ConfigStore.instance()
    cs.store(name="phibench_schema", node=RunConfig)
    done = set()
    for cfg in shipped_configs(registry):
        header = _PACKAGE.search(cfg.path.read_text())
        cs.store(group=cfg.group, name=cfg.name, node=_node(cfg, registry),
                 package=header.group(1) if header else None, provider=cfg.source)
        done.add((cfg.group, cfg.name))
    for group in PLUGIN_GROUPS:
        for name in registry.names(group):
            if (group, name) not in done:
                entry = registry.get(group, name)
                cs.store(group=group, name=name, node={"name": name, **plugin_defaults(entry)})
