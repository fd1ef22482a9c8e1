"""One writer per run directory.

Two ``phibench run`` processes writing into one directory at once interleave their rows (seen: a
scorecard claiming ``flag_all`` has recall 0.44). The driver holds an exclusive ``flock`` on
``<run dir>/.phibench.lock`` for the whole run; a second driver fails at once, saying who holds
it. The kernel drops the lock when its holder dies, so a killed run never leaves the directory
locked. ``flock`` is per machine: on a shared filesystem two drivers on different machines are not
kept apart unless the filesystem forwards locks (NFSv4 does).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType

from phibench.exceptions import ConfigError
from phibench.files import FILE_MODE

LOCK_FILE = ".phibench.lock"


class RunLock:
    """``with RunLock(run_dir):`` — exclusive use of ``run_dir`` by this process."""

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / LOCK_FILE
        self.fd: int | None = None

    def __enter__(self) -> "RunLock":
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise ConfigError(
                f"run directory {self.path.parent} is in use by another phibench run{holder}; "
                "wait for it to finish, or use another directory (hydra.run.dir=DIR)"
            ) from None
        os.ftruncate(fd, 0)
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
        os.write(fd, json.dumps(info).encode())
        self.fd = fd
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def _holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(info["since"])))
        return f" (pid {info['pid']} on {info['host']}, since {since})"
    except (OSError, ValueError, KeyError, TypeError):
        return ""
