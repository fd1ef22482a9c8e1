"""Real processes for the Spark tests: a standalone cluster from the installed pyspark, and
``phibench run`` as a process group that can be killed whole."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyspark

SPARK_CLASS = Path(pyspark.__file__).parent / "bin" / "spark-class"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``cmd`` in a new process group (so it and all its children can be killed at once)."""
    with log.open("ab") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, **(env or {})})


def kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL, timeout: float = 30) -> None:
    """Signal ``proc``'s whole process group, reap it, and wait until no member is left."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout)
    deadline = time.monotonic() + timeout
    while group_alive(proc.pid):
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            deadline = time.monotonic() + timeout
        time.sleep(0.1)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a foreign process reusing the id
        return False
    return True


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class StandaloneCluster:
    """A Spark standalone master and one worker on 127.0.0.1, torn down on exit, always."""

    def __init__(self, folder: Path, *, cores: int = 2, env: dict[str, str] | None = None) -> None:
        self.folder, self.cores, self.env = folder, cores, dict(env or {})
        self.port = free_port()
        self.url = f"spark://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> "StandaloneCluster":
        env = {**self.env, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false"}
        try:
            self.procs.append(start([
                str(SPARK_CLASS), "org.apache.spark.deploy.master.Master",
                "--host", "127.0.0.1", "--port", str(self.port), "--webui-port", "0",
            ], self.master_log, env))
            wait_for(lambda: "I have been elected leader" in self._read(self.master_log), 120, "the master")
            self.procs.append(start([
                str(SPARK_CLASS), "org.apache.spark.deploy.worker.Worker", self.url,
                "--host", "127.0.0.1", "--cores", str(self.cores), "--memory", "2g",
                "--webui-port", "0", "--work-dir", str(self.folder / "work"),
            ], self.worker_log, {**env, "PYSPARK_PYTHON": sys.executable}))
            wait_for(lambda: "Registering worker" in self._read(self.master_log), 120, "the worker")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in reversed(self.procs):
            kill_group(proc, signal.SIGTERM)

    @property
    def master_log(self) -> Path:
        return self.folder / "master.log"

    @property
    def worker_log(self) -> Path:
        return self.folder / "worker.log"

    def executor_logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in (self.folder / "work").rglob("std*"))

    @staticmethod
    def _read(path: Path) -> str:
        return path.read_text(errors="replace") if path.exists() else ""
