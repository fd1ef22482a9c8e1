"""The registry: which plugin classes are installed, by kind and name, and who provides them.

Built once per process from the ``phibench`` entry-point group (built-ins included) by calling
each plugin's ``phibench_register_*`` hooks. Set ``PHIBENCH_BLOCK_PLUGINS`` to a comma-separated
list of entry-point names to keep plugins out (``phibench plugins`` shows the names).

Set ``PHIBENCH_EXTRA_PLUGINS`` to a comma-separated list of ``module`` or ``module:attribute``
references to register plugins that no installed distribution declares (a notebook's module, a
test's detector). The Spark executor forwards both variables to its workers, so every process of
a run sees the same registry; the modules must be importable there.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy

from phibench import hookspecs
from phibench.exceptions import PluginError, UnknownPluginError
from phibench.plugin import Plugin

KINDS: dict[str, str] = {
    "detector": "phibench_register_detectors",
    "redactor": "phibench_register_redactors",
    "dataset": "phibench_register_datasets",
    "executor": "phibench_register_executors",
    "reporter": "phibench_register_reporters",
    "ocr": "phibench_register_ocr_engines",
}
"""Plugin kind → the hook that registers it. The kind is also the config group."""


@dataclass(frozen=True)
class Entry:
    """One registered class."""

    kind: str
    name: str
    cls: type[Plugin]
    plugin: str
    """Entry-point (plugin) name that registered it."""
    distribution: str
    """``name version`` of the distribution that provides it, or ``(not installed)``."""
    defaults: dict[str, Any] = field(default_factory=dict, hash=False)
    """Parameter defaults this name gives the class (a preset: ``gpt4o`` is the OpenAI chat
    detector with GPT-4o's model, key variable and options); the rest are ``Params``' own."""

    def params_defaults(self) -> Any:
        """The ``Params`` this name builds when given nothing."""
        return dataclasses.replace(self.cls.Params(), **self.defaults) if self.defaults else self.cls.Params()

    def validate(self, given: dict[str, Any] | None = None, *, where: str | None = None) -> Any:
        """``given`` over this name's defaults, checked against ``Params`` (see
        :func:`phibench.plugin.validate_params`)."""
        from phibench.plugin import validate_params

        return validate_params(self.cls, given or {}, where=where or f"{self.kind} {self.name!r}",
                               base=self.params_defaults() if self.defaults else None)


class Register:
    """Handed to a ``phibench_register_*`` hook: ``register.add(name, cls)``, or
    ``register.add(name, cls, **defaults)`` for a preset: the class under another name with
    other parameter defaults (``register.add("gpt4o", OpenAIChatDetector, model="gpt-4o")``),
    a registered instance of the class rather than an empty subclass of it."""

    def __init__(self, registry: "Registry", kind: str, plugin: str, distribution: str) -> None:
        self._registry, self.kind = registry, kind
        self._plugin, self._distribution = plugin, distribution

    def add(self, name: str, cls: type[Plugin], **defaults: Any) -> None:
        if not (isinstance(cls, type) and issubclass(cls, Plugin)):
            raise PluginError(f"plugin {self._plugin!r}: {self.kind} {name!r} is not a Plugin class")
        known = {f.name for f in dataclasses.fields(cls.Params)} if dataclasses.is_dataclass(cls.Params) else set()
        unknown = sorted(set(defaults) - known)
        if unknown:
            raise PluginError(f"plugin {self._plugin!r}: {self.kind} {name!r}: {cls.__name__}.Params "
                              f"has no field {', '.join(unknown)}")
        existing = self._registry.entries[self.kind].get(name)
        if existing is not None and (existing.cls is not cls or existing.defaults != defaults):
            raise PluginError(
                f"{self.kind} {name!r} is registered twice: by {existing.plugin!r} "
                f"({existing.distribution}) and by {self._plugin!r} ({self._distribution})"
            )
        self._registry.entries[self.kind][name] = Entry(
            self.kind, name, cls, self._plugin, self._distribution, dict(defaults)
        )


@dataclass(frozen=True)
class ConfigDir:
    """A folder of config YAML a plugin ships (``phibench_config_dirs``)."""

    path: Path
    plugin: str
    distribution: str


@dataclass
class Registry:
    """All registered plugin classes, by kind then name, and the config folders plugins ship."""

    entries: dict[str, dict[str, Entry]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS}
    )
    config_dirs: list[ConfigDir] = field(default_factory=list)

    def names(self, kind: str) -> list[str]:
        return sorted(self.entries[kind])

    def get(self, kind: str, name: str) -> Entry:
        try:
            return self.entries[kind][name]
        except KeyError:
            raise UnknownPluginError(kind, name, self.names(kind)) from None

    def build(self, kind: str, name: str, params: dict[str, Any] | None = None) -> Plugin:
        """Validate ``params`` against the class's schema and construct it (cheap; no models)."""
        entry = self.get(kind, name)
        return entry.cls(entry.validate(params))


def plugin_manager(extra: list[object] | None = None) -> pluggy.PluginManager:
    """A plugin manager with the hookspecs and every installed plugin (minus blocked ones)."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in filter(None, os.environ.get("PHIBENCH_BLOCK_PLUGINS", "").split(",")):
        pm.set_blocked(name.strip())
    pm.load_setuptools_entrypoints(hookspecs.PROJECT)
    for ref in os.environ.get("PHIBENCH_EXTRA_PLUGINS", "").split(","):
        if ref.strip():
            pm.register(_import_ref(ref.strip()), name=ref.strip())
    for obj in extra or []:
        pm.register(obj)
    return pm


def _import_ref(ref: str) -> object:
    """The object named by ``module`` or ``module:attribute`` (``PHIBENCH_EXTRA_PLUGINS``)."""
    module, _, attr = ref.partition(":")
    try:
        obj: object = importlib.import_module(module)
        return getattr(obj, attr) if attr else obj
    except (ImportError, AttributeError) as exc:
        raise PluginError(f"PHIBENCH_EXTRA_PLUGINS: cannot load {ref!r}: {exc}") from exc


def build_registry(pm: pluggy.PluginManager) -> Registry:
    registry = Registry()
    dists = {id(p): f"{d.project_name} {d.version}" for p, d in pm.list_plugin_distinfo()}
    for kind, hook_name in KINDS.items():
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            dist = dists.get(id(impl.plugin), "(not installed)")
            impl.function(register=Register(registry, kind, impl.plugin_name, dist))
    for impl in pm.hook.phibench_config_dirs.get_hookimpls():
        dist = dists.get(id(impl.plugin), "(not installed)")
        for path in impl.function() or []:
            registry.config_dirs.append(ConfigDir(Path(path), impl.plugin_name, dist))
    return registry


@functools.cache
def default_registry() -> Registry:
    """The process-wide registry of installed plugins; built on first use."""
    return build_registry(plugin_manager())
