"""The one exception tree of phibench.

::

    PhibenchError                  root: catch this to catch anything phibench raises on purpose
    ├── ConfigError                a run's configuration is invalid (bad value, unknown key)
    │   └── UnknownPluginError     a plugin name no installed plugin registers
    ├── PluginError                a plugin broke the contract (bad registration, bad return)
    ├── DatasetError               a dataset cannot be planned (missing root, bad labels file)
    └── SampleFailure              one sample failed at one stage; carried as data, never fatal

Errors meant for users say what to do next. ``SampleFailure`` is special: the per-sample pipeline
turns it (and any other exception raised while handling one sample) into a
:class:`phibench.records.SampleError` row, so it never stops a run.
"""

from __future__ import annotations


class PhibenchError(Exception):
    """Root of every exception phibench raises on purpose."""


class ConfigError(PhibenchError):
    """The run's configuration is invalid; raised on the driver before any sample runs."""


class UnknownPluginError(ConfigError):
    """No installed plugin registers this name for this kind."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        self.kind, self.name, self.known = kind, name, known
        listing = ", ".join(sorted(known)) or "(none installed)"
        super().__init__(
            f"unknown {kind} {name!r}. Known {kind}s: {listing}. "
            f"Run `phibench plugins` to see what is installed and which package provides each."
        )


class PluginError(PhibenchError):
    """A plugin broke the contract in :mod:`phibench.hookspecs`."""


class DatasetError(PhibenchError):
    """A dataset cannot be planned: its root, labels or generator parameters are wrong."""


class SampleFailure(PhibenchError):
    """One sample failed at one stage. Raise it from plugin code with a PHI-free message."""

    def __init__(self, stage: str, message: str) -> None:
        self.stage = stage
        super().__init__(message)
