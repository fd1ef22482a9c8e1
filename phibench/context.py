"""What a run tells its executors and plugins about itself, as plain data.

The run builds one :class:`RunContext` on the driver; it travels to workers inside the
:class:`~phibench.pipeline.PipelineSpec`, and :func:`phibench.worker.instance` hands it to every
plugin it builds (``plugin.context``) before ``setup()``. A plugin that keeps files of its own (a
VLM response cache) puts them under :attr:`RunContext.run_dir`; one built outside a run
(``phibench estimate``, a notebook) sees ``context`` as ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from phibench.limits import DEFAULT_LIMITS, Limits


@dataclass(frozen=True)
class RunContext:
    """The run a plugin is working for."""

    run_dir: str
    """Absolute path of the run directory (on a cluster: storage every worker sees). Holds PHI."""

    session_id: str = ""
    """Random id of this session of the run (a resumed run has several)."""

    session_started_at: float = 0.0
    """When this session started (epoch seconds)."""

    fingerprint: str = ""
    """The plan's fingerprint (:mod:`phibench.plan`): equal for every session of one run."""

    limits: Limits = field(default_factory=lambda: DEFAULT_LIMITS)
    """Bounds on what one input file may claim (:mod:`phibench.limits`)."""
