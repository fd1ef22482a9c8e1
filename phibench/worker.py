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

from phibench.plugin import Plugin
from phibench.registry import default_registry
from phibench.specs import PluginSpec

log = logging.getLogger(__name__)

_instances: dict[PluginSpec, Plugin] = {}
_loads: Counter[str] = Counter()
_lock = threading.RLock()  # re-entrant: a plugin's setup() may ask for another (detector -> OCR)


def instance(spec: PluginSpec) -> Any:
    """The set-up plugin for ``spec`` in this process, built on first use."""
    found = _instances.get(spec)
    if found is not None:
        return found
    with _lock:
        found = _instances.get(spec)
        if found is None:
            found = default_registry().build(spec.kind, spec.name, spec.params)
            found.setup()
            _instances[spec] = found
            _loads[str(spec)] += 1
            log.debug("pid %d built %s", os.getpid(), spec)
        return found


def load_counts() -> dict[str, int]:
    """How many times each plugin was built in this process (``kind:name`` → count)."""
    return dict(_loads)
