"""A quiet, correctly configured SparkSession for phibench: local, a cluster, or the active one.

:func:`spark_session` is what the Spark executor uses and what a script can call too::

    spark = spark_session("local[4]")               # 4 workers on this machine
    spark = spark_session("spark://head:7077")      # a standalone cluster
    spark = spark_session("existing")               # the notebook's session, untouched

What it sets, and why:

* ``local[N]`` becomes ``local[N,F]`` (F = ``max_failures``): plain local mode never retries a
  failed task, and a retry is how a run survives a worker that died on a poison file.
  ``local[*]`` means one worker per ``threads_per_worker`` cores.
* The Python of the workers is this interpreter (``PYSPARK_PYTHON`` if set, or ``python``).
* Native thread pools in workers (OpenMP, MKL, OpenBLAS, torch) are limited to
  ``threads_per_worker``, so that workers x threads fits the cores.
* ``PHIBENCH_EXTRA_PLUGINS`` / ``PHIBENCH_BLOCK_PLUGINS`` travel to the workers, so every
  process of a run has the same registry.
* Spark's own logging is cut to ``log_level`` from the first line (a log4j2 file given to the
  driver JVM), its console progress bar is off, and so is the UI unless ``ui=True``.

A session this module created is reused by later calls with the same settings and replaced when
they differ; a session it did not create (``existing``) is never stopped or reconfigured.
:class:`SessionParams` is the one definition of these settings and their defaults: the Spark
executor's ``Params`` extend it, and :func:`session_for` builds the session they describe.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from phibench.exceptions import ConfigError
from phibench.spark.threads import THREAD_VARS, THREADS_VAR

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

EXISTING = "existing"
"""``master`` value that means: use the active SparkSession as it is."""

FORWARDED_VARS = ("PHIBENCH_EXTRA_PLUGINS", "PHIBENCH_BLOCK_PLUGINS")
"""Variables of this process that workers need too (the registry is built from them)."""

_LOG4J = """\
rootLogger.level = {level}
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{{HH:mm:ss}} %p %c{{1}}: %m%n%ex
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = {level}
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = {level}
"""

log = logging.getLogger(__name__)
_owned: tuple[tuple[Any, ...], "SparkSession"] | None = None
"""The session this module created, with the settings it was created with."""


@dataclass
class SessionParams:
    """The settings of a session phibench builds (the Spark executor's ``Params`` extend these)."""

    master: str = "local[*]"
    """``local[*]`` (one worker per ``threads_per_worker`` cores), ``local[N]``,
    ``spark://HOST:PORT`` or any Spark master URL, or ``existing``: the active session."""
    threads_per_worker: int = 1
    """Native threads (torch, OpenMP, BLAS) per Python worker."""
    max_failures: int = 4
    """Attempts per task; a retry is how a run gets past a file that killed its worker."""
    ui: bool = False
    """Start the Spark UI and print its address."""
    log_level: str = "ERROR"
    """Spark's own log level (``WARN``, ``INFO`` for debugging)."""
    python: Optional[str] = None  # noqa: UP007 - OmegaConf needs Optional
    """Python the workers run; default ``$PYSPARK_PYTHON``, else this interpreter."""
    conf: Optional[dict[str, str]] = None  # noqa: UP007 - OmegaConf needs Optional
    """Any Spark configuration, e.g. ``executor.conf={spark.executor.memory:4g}``."""


def resolve_master(
    master: str,
    *,
    threads_per_worker: int = SessionParams.threads_per_worker,
    max_failures: int = SessionParams.max_failures,
) -> str:
    """``local``, ``local[*]`` and ``local[N]`` with retries; any other master unchanged."""
    m = _LOCAL.fullmatch(master.strip())
    if not m:
        return master
    return f"local[{local_slots(master, threads_per_worker)},{m.group(2) or max_failures}]"


_LOCAL = re.compile(r"local(?:\[(\*|\d+)(?:,\s*(\d+))?\])?")


def local_slots(master: str, threads_per_worker: int = SessionParams.threads_per_worker) -> int | None:
    """How many workers a local master starts (``local``: 1, ``local[N]``: N, ``local[*]``: the
    usable cores over ``threads_per_worker``); None for any other master (a cluster's)."""
    m = _LOCAL.fullmatch(master.strip())
    if not m:
        return None
    n = m.group(1) or "1"
    return max(1, usable_cores() // max(1, threads_per_worker)) if n == "*" else int(n)


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, which containers narrow), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


_started: list[float] = [0.0, 0]
"""How long the owned session took to start, and how many runs have used it."""


def spark_session(
    master: str = SessionParams.master,
    *,
    threads_per_worker: int = SessionParams.threads_per_worker,
    max_failures: int = SessionParams.max_failures,
    ui: bool = SessionParams.ui,
    log_level: str = SessionParams.log_level,
    python: str | None = SessionParams.python,
    conf: dict[str, Any] | None = SessionParams.conf,
    app_name: str = "phibench",
) -> "SparkSession":
    """The SparkSession for ``master``, created (quiet, retrying, thread-limited) or reused."""
    global _owned
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    if master == EXISTING:
        active = SparkSession.getActiveSession()
        if active is None:
            raise ConfigError(
                "executor.master=existing but no Spark session is active in this process; "
                "start one first, or pass executor.master=local[*] or spark://HOST:PORT"
            )
        return active
    settings = _settings(
        master, threads_per_worker, max_failures, ui, log_level, python, conf, app_name
    )
    key = tuple(sorted(settings.items()))
    if _owned is not None and _owned[0] == key and _alive(_owned[1]):
        log.info("spark: reusing this process's session (its start took %.1f s; %d runs so far)",
                 _started[0], _started[1])
        _started[1] += 1
        return _owned[1]
    active_sc = SparkContext._active_spark_context
    if active_sc is not None:
        if _owned is None or _owned[1].sparkContext is not active_sc:
            raise ConfigError(
                f"a Spark session phibench did not start is running in this process "
                f"(master {active_sc.master}); pass executor.master=existing to run on it"
            )
        _owned[1].stop()
    os.environ["PYSPARK_PYTHON"] = python or os.environ.get("PYSPARK_PYTHON") or sys.executable
    builder = SparkSession.builder
    for k, v in settings.items():
        builder = builder.config(k, v)
    t0 = time.perf_counter()
    session = builder.getOrCreate()
    _started[:] = [time.perf_counter() - t0, 1]
    log.info("spark: session started in %.1f s (master %s); later runs in this process reuse it "
             "(a sweep: phibench run -m)", _started[0], settings.get("spark.master", master))
    logging.getLogger("py4j").setLevel(logging.WARNING)  # one INFO line per gateway call
    _owned = (key, session)
    return session


def session_for(params: SessionParams, master: str | None = None) -> "SparkSession":
    """The session ``params`` describe; ``master``, when given, in place of ``params.master``."""
    return spark_session(
        master or params.master, threads_per_worker=params.threads_per_worker,
        max_failures=params.max_failures, ui=params.ui, log_level=params.log_level,
        python=params.python, conf=dict(params.conf or {}),
    )


def ui_url(session: "SparkSession") -> str | None:
    """The Spark UI address, or None when the UI is off (or the session is a Spark Connect one)."""
    sc = context(session)
    return sc.uiWebUrl if sc is not None else None


def context(session: "SparkSession") -> Any:
    """The session's SparkContext, or None for a Spark Connect session (which has none)."""
    try:
        return session.sparkContext
    except Exception:  # noqa: BLE001 - pyspark raises its own error class for Connect sessions
        return None


def parallelism(session: "SparkSession") -> int:
    """How many tasks the session runs at once (Spark Connect: ``spark.default.parallelism``)."""
    sc = context(session)
    if sc is not None:
        return int(sc.defaultParallelism)
    return int(session.conf.get("spark.default.parallelism", "8") or 8)


def _settings(
    master: str,
    threads: int,
    max_failures: int,
    ui: bool,
    log_level: str,
    python: str | None,
    conf: dict[str, Any] | None,
    app_name: str,
) -> dict[str, str]:
    resolved = resolve_master(master, threads_per_worker=threads, max_failures=max_failures)
    log4j = f"-Dlog4j2.configurationFile=file:{_log4j_file(log_level)}"
    out = {
        "spark.master": resolved,
        "spark.app.name": app_name,
        "spark.ui.enabled": str(bool(ui)).lower(),
        "spark.ui.showConsoleProgress": "false",
        "spark.task.maxFailures": str(max_failures),
        "spark.python.worker.reuse": "true",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.driver.extraJavaOptions": log4j,
        f"spark.executorEnv.{THREADS_VAR}": str(threads),
    }
    if python:
        out["spark.pyspark.python"] = python
    out |= {f"spark.executorEnv.{var}": str(threads) for var in THREAD_VARS}
    out |= {f"spark.executorEnv.{v}": os.environ[v] for v in FORWARDED_VARS if os.environ.get(v)}
    if resolved.startswith("local"):
        # the driver JVM is the only JVM and does little (task rows, Arrow): the quick JIT tier
        # starts Spark's first job markedly sooner and costs nothing measurable afterwards
        out["spark.driver.extraJavaOptions"] += " -XX:TieredStopAtLevel=1"
        if not os.environ.get("SPARK_LOCAL_IP"):
            out |= {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"}
    for k, v in (conf or {}).items():
        if k == "spark.driver.extraJavaOptions":
            v = f"{out[k]} {v}"
        out[str(k)] = str(v)
    return out


def _log4j_file(level: str) -> str:
    """A log4j2 configuration that logs ``level`` and above to stderr (written once per level)."""
    level = level.lower()
    path = Path(tempfile.gettempdir()) / f"phibench-log4j2-{level}-{os.getuid()}.properties"
    text = _LOG4J.format(level=level)
    if not path.exists() or path.read_text() != text:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    return str(path)


def _alive(session: "SparkSession") -> bool:
    return getattr(session.sparkContext, "_jsc", None) is not None
