"""Per-process cache of plugin instances: each model loads once per worker, never per image.

Everything a worker needs arrives as :class:`~phibench.specs.PluginSpec`; :func:`instance`
builds the plugin from the registry and runs its ``setup()`` the first time a spec is seen in this
process, and returns the same object afterwards. :func:`load_counts` says how often each spec
was built here, which the tests and benchmarks read to prove models are not reloaded.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from typing import Any

from phibench.context import RunContext
from phibench.plugin import Plugin
from phibench.registry import default_registry
from phibench.specs import PluginSpec

log = logging.getLogger(__name__)

_instances: dict[tuple[PluginSpec, str | None], Plugin] = {}
_loads: Counter[str] = Counter()
_lock = threading.RLock()  # re-entrant: a plugin's setup() may ask for another (detector -> OCR)


def instance(spec: PluginSpec, context: RunContext | None = None) -> Any:
    """The set-up plugin for ``spec`` in this process, built on first use.

    One instance per spec and run directory: a plugin that keeps files under its run's directory
    (a response cache) never writes into another run's. ``context`` is set on the instance before
    ``setup()``; later sessions of the same run directory update it.
    """
    key = (spec, context.run_dir if context else None)
    found = _instances.get(key)
    if found is not None:
        if context is not None:
            found.context = context
        return found
    with _lock:
        found = _instances.get(key)
        if found is None:
            found = default_registry().build(spec.kind, spec.name, spec.params)
            found.context = context
            found.setup()
            _instances[key] = found
            _loads[str(spec)] += 1
            log.debug("pid %d built %s", os.getpid(), spec)
        return found


def load_counts() -> dict[str, int]:
    """How many times each plugin was built in this process (``kind:name`` → count)."""
    return dict(_loads)
