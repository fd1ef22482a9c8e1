"""Content-addressed, on-disk cache of model responses: reruns cost nothing, replays are exact.

The key is the SHA-256 of the rendered frame's pixels together with everything that shapes the
request: protocol, endpoint, model, prompt tag and text hash, temperature, max tokens, image size
and format, detail level, JSON mode. The value is the response as received (answer text, finish
reason, token usage, which endpoint answered), not the parsed verdict, so replays go through the
same parser as live runs.

Modes (``detector.cache``):

* ``read_write`` (default): answer from the cache when it can, record every complete response.
* ``replay``: answer only from the cache, never touch the network (no key needed). A sample
  without a recorded response becomes an error row (:class:`~.errors.CacheMiss`), never a guess.
* ``off``: neither read nor write.

Only complete responses are stored (answers, refusals, truncated answers: what the model said);
transport failures are not, so a rerun retries them. Location: ``<detector.cache_root>/cache/``
when ``cache_root`` is set (a recorded run to replay or share); when it is null (the shipped
configs), ``<run dir>/cache/``, the run directory coming from the detector's
:class:`~phibench.context.RunContext`, which travels to every worker as plain data with the
pipeline's spec. A detector outside a run (no context) and without ``cache_root`` has no cache
folder: each of its samples fails saying so, unless ``cache=off``.
**The cache holds PHI** (the model's reading of the image): it stays in the run's data area,
files are created readable by their owner only, and nothing from them is ever logged.

Safe for many threads and processes: each entry is one file, written to a unique temporary name
in its final folder and renamed into place (atomic on POSIX), so readers see a whole entry or
none, and two workers recording the same key both leave a valid file.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

MODES = ("off", "read_write", "replay")
ENTRY_FORMAT = 1


def cache_key(parts: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``parts``."""
    blob = json.dumps({"format": ENTRY_FORMAT, **parts}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def cache_folder(cache_root: str | None, run_dir: str | None = None) -> Path | None:
    """``<cache_root>/cache`` (an explicit root wins), else ``<run_dir>/cache``; ``None`` when
    neither says where (no run to hold it)."""
    root = cache_root or run_dir
    return Path(root).expanduser() / "cache" if root else None


class ResponseCache:
    """One folder of entries, sharded by the key's first two hex digits."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The recorded entry, or ``None`` (a missing or unreadable file is a miss)."""
        try:
            entry = json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return entry if isinstance(entry, dict) and entry.get("format") == ENTRY_FORMAT else None

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Record ``entry`` atomically (temp file + ``os.replace``), owner-only permissions."""
        final = self.path(key)
        final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = final.parent / f".{final.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"format": ENTRY_FORMAT, **entry}, f, sort_keys=True)
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def count(self) -> int:
        """Entries on disk (a method, not ``__len__``: an empty cache must still be truthy)."""
        return sum(1 for _ in self.root.glob("??/*.json"))
