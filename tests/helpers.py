"""Helpers shared by the end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hydra import compose, initialize_config_dir

from phibench.config import config_dir, register_configs
from phibench.registry import default_registry


def compose_run(*overrides: str):
    """The config ``phibench run OVERRIDES`` would get, composed by Hydra."""
    register_configs(default_registry())
    with initialize_config_dir(str(config_dir()), version_base="1.3"):
        return compose("run", overrides=list(overrides))


def phibench(*args: str, env: dict[str, str] | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the real ``phibench`` command line in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "phibench", *args],
        env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=timeout,
    )


def synthetic_overrides(data_dir: Path, n: int, seed: int = 0) -> list[str]:
    return ["dataset=synthetic", f"dataset.n={n}", f"dataset.seed={seed}", f"dataset.out={data_dir}"]


@contextmanager
def extra_plugins(module: str) -> Iterator[None]:
    """Register the test-only plugins of ``module`` (``PHIBENCH_EXTRA_PLUGINS``) while inside."""
    saved = os.environ.get("PHIBENCH_EXTRA_PLUGINS")
    os.environ["PHIBENCH_EXTRA_PLUGINS"] = module
    default_registry.cache_clear()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PHIBENCH_EXTRA_PLUGINS", None)
        else:
            os.environ["PHIBENCH_EXTRA_PLUGINS"] = saved
        default_registry.cache_clear()
