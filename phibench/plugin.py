"""What every registered plugin class has in common: a ``Params`` schema and a cheap constructor."""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from omegaconf import OmegaConf
from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException

from phibench.exceptions import ConfigError

if TYPE_CHECKING:
    from phibench.context import RunContext


@dataclass(frozen=True)
class NoParams:
    """Parameters of a plugin that takes none."""


class Plugin:
    """Base of every plugin kind. ``Params`` is the config schema; ``params`` its validated value."""

    Params: ClassVar[type] = NoParams
    kind: ClassVar[str] = "plugin"

    fingerprint_exclude: ClassVar[tuple[str, ...]] = ()
    """Parameters that cannot change an answer (concurrency, timeouts, cache mode): left out of
    the run's fingerprint (:mod:`phibench.plan`), so changing them resumes the same run."""

    requires: ClassVar[dict[str, tuple[str, ...]]] = {}
    """Optional extras this plugin needs, as ``{extra: (import name, ...)}``; checked on the
    driver when a run plans (:mod:`phibench.extras`), so a missing one is a clear message."""

    context: "RunContext | None" = None
    """The run this instance works for (run dir, limits), set by :func:`phibench.worker.instance`
    before :meth:`setup`; ``None`` outside a run (``phibench estimate``, a notebook)."""

    def __init__(self, params: Any = None) -> None:
        self.params = params if params is not None else self.Params()

    @classmethod
    def extras_needed(cls, params: Any) -> dict[str, tuple[str, ...]]:
        """The extras a run with ``params`` needs: :attr:`requires`, unless what the plugin loads
        depends on its parameters (an OCR ensemble needs its members' extras)."""
        return dict(cls.requires)

    def setup(self) -> None:
        """Load heavy resources (models, clients). Called once per worker process, before use."""

    def describe(self) -> dict[str, Any]:
        """Facts for the scorecard (model, endpoint, engine version). Never secrets, never PHI."""
        return {}


def validate_params(cls: type[Plugin], given: dict[str, Any], *, where: str, base: Any = None) -> Any:
    """Check ``given`` against ``cls.Params`` and return a ``Params`` instance.

    Unknown keys and wrong types fail here, on the driver, with the plugin's field list; a field
    whose default is ``???`` (Hydra's mark of a mandatory value) must be given. ``base``: a
    ``Params`` instance whose values stand in for the class defaults (a preset's).
    """
    schema = cls.Params
    if not is_dataclass(schema):
        raise ConfigError(f"{where}: {cls.__name__}.Params must be a dataclass")
    try:
        merged = OmegaConf.merge(OmegaConf.structured(schema if base is None else base), given)
        return OmegaConf.to_object(merged)
    except MissingMandatoryValue as exc:  # a field whose default is ``???`` (omegaconf.MISSING)
        raise ConfigError(f"{where}: {exc.full_key} is required (it has no default): set "
                          f"it, e.g. {exc.full_key}=VALUE on the command line") from None
    except OmegaConfBaseException as exc:
        known = ", ".join(f.name for f in fields(schema)) or "(none)"
        msg = " ".join(str(exc).split("\n")[0].split())
        raise ConfigError(f"{where}: {msg}. Parameters it takes: {known}") from None
