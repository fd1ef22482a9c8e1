"""Native thread pools of a Spark Python worker: ``workers x threads_per_worker`` fits the cores.

The session (:mod:`phibench.spark.session`) sets :data:`THREAD_VARS` and :data:`THREADS_VAR` in
every worker's environment; each worker function (the executor's and the transformers') calls
:func:`worker_plugin` first, which sizes the pools, builds the plugin once per process, and sizes
again the pools that building it started (torch, OpenCV).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from phibench import worker
from phibench.context import RunContext
from phibench.specs import PluginSpec

THREADS_VAR = "PHIBENCH_THREADS_PER_WORKER"
"""Worker environment variable: ``threads_per_worker`` of the session."""

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")
"""Variables that OpenMP, MKL, OpenBLAS and numexpr read when they load."""


def limit_threads(threads: int | None = None) -> int:
    """Size native thread pools in this worker: the environment (read when torch, BLAS or
    OpenMP load), and torch's and OpenCV's pools if they are loaded already."""
    n = int(threads or os.environ.get(THREADS_VAR) or 1)
    for var in THREAD_VARS:
        os.environ[var] = str(n)
    torch: Any = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != n:
        torch.set_num_threads(n)
    cv2: Any = sys.modules.get("cv2")  # OpenCV sizes its own pool, whatever OMP says
    if cv2 is not None and cv2.getNumThreads() != n:
        cv2.setNumThreads(n)
    return n


def worker_plugin(spec: PluginSpec, threads: int, context: RunContext | None = None) -> Any:
    """The plugin for ``spec`` in this worker (built on first use), with pools of ``threads``."""
    limit_threads(threads)
    plugin = worker.instance(spec, context)
    limit_threads(threads)  # the pools that building it made
    return plugin
