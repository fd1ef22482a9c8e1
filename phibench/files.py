"""Writing run outputs: atomically, and readable by their owner only.

Run outputs hold PHI (result rows quote burned-in text and ground truth; redacted files keep
their headers), so every folder phibench makes for a run is ``0700`` and every file ``0600``,
whatever the umask. Every file is written to a hidden temporary name beside its destination,
flushed, and renamed into place: a full disk or a kill leaves the previous version (or nothing),
never a truncated scorecard, and the temporary file is removed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Make ``path`` (and missing parents) if needed and make it owner-only."""
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    os.chmod(p, DIR_MODE)
    return p


def write_atomic(dst: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary path beside ``dst``, then rename it to ``dst``.

    The temporary file is created owner-only *before* ``write`` puts anything in it (``write``
    opens it again, truncating, which keeps the mode), so there is no moment at which its bytes
    are readable by others; its mode is set to exactly ``0600`` again before the rename, whatever
    the umask or the writer did. On any failure the temporary file is removed and the exception
    propagates."""
    dst = Path(dst)
    tmp = dst.with_name(f".{dst.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        write(tmp)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dst


def write_text(dst: str | os.PathLike[str], text: str) -> Path:
    """``text`` to ``dst`` (UTF-8), atomically and owner-only; fsynced before the rename."""

    def write(tmp: Path) -> None:
        fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())

    return write_atomic(dst, write)
