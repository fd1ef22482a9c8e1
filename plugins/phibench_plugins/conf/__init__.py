"""The built-in plugins' config YAML, one folder per group (``detector/``, ``dataset/``,
``executor/``, ``redactor/``, ``experiment/``), shipped inside the wheel and found through the
same hook a third party uses (:func:`phibench.hookspecs.phibench_config_dirs`). Each preset states
only what differs from its plugin's ``Params`` defaults."""

from __future__ import annotations

from pathlib import Path

from phibench import hookimpl


@hookimpl
def phibench_config_dirs() -> list[Path]:
    return [Path(__file__).resolve().parent]
