"""``phibench run``: Hydra composes the config, :func:`phibench.run.execute` does the work.

Before Hydra starts, plugin names given on the command line are checked against the registry, so
``detector=nope`` fails at once with the list of installed detectors, and every installed plugin
that ships no YAML gets a default config node (``detector=NAME`` works for third-party plugins).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from phibench.exceptions import PhibenchError
from phibench.config import PLUGIN_GROUPS, config_dir, register_configs
from phibench.registry import Registry, default_registry

log = logging.getLogger("phibench")


def check_plugin_names(overrides: list[str], registry: Registry) -> None:
    """Fail fast on ``group=NAME`` overrides that name no installed plugin."""
    for item in overrides:
        key, sep, value = item.lstrip("+~").partition("=")
        if not sep or key not in PLUGIN_GROUPS or "(" in value:
            continue
        for name in value.split(","):
            registry.get(key, name.strip())


def _task(cfg: DictConfig) -> None:
    from phibench.run import execute

    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        execute(cfg, run_dir)
    except PhibenchError as exc:  # a user's mistake: say what to do, without a traceback
        print(f"phibench: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def main(overrides: list[str]) -> None:
    registry = default_registry()
    check_plugin_names(overrides, registry)
    register_configs(registry)
    app = hydra.main(config_path=str(config_dir()), config_name="run", version_base="1.3")(_task)
    argv = sys.argv
    sys.argv = ["phibench-run", *overrides]
    try:
        app()
    finally:
        sys.argv = argv
