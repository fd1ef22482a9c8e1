"""Descriptions of plugins that travel to workers: a name and plain parameters, never an object.

A worker rebuilds the plugin from its spec, once per process (:func:`phibench.worker.instance`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any


@dataclass(frozen=True)
class PluginSpec:
    """Which plugin, with which parameters. Hashable, picklable, JSON-able."""

    kind: str
    name: str
    params_json: str = "{}"
    """Parameters as canonical JSON (sorted keys), so that equal specs compare and hash equal."""

    @classmethod
    def of(cls, kind: str, name: str, params: Any = None) -> "PluginSpec":
        if is_dataclass(params) and not isinstance(params, type):
            params = asdict(params)
        return cls(kind, name, json.dumps(params or {}, sort_keys=True, default=str))

    @property
    def params(self) -> dict[str, Any]:
        return json.loads(self.params_json)

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"
