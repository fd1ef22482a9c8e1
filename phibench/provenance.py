"""Provenance a paper can cite: which data, when, on what machine, with which plugins.

Everything here is derived and PHI-free: hashes (never file names or values), times, the
driver machine's hardware, and distribution versions. It is written into ``run_meta.json`` when a
session starts (:func:`at_start`) and completed from the result rows when the scorecard is built
(:func:`complete`), so a re-scored run (``phibench score``) carries the same provenance.

The **dataset fingerprint** is a SHA-256 over

* the plan's hash of the planned samples and their labels (``plan.json`` →
  ``components.samples.sha256``: sample id, frame, has_phi and every ground-truth region), and
* for each distinct planned file, in sorted order: its path relative to the files' common folder
  and the SHA-256 of its content -- or, when the planned files total more than
  :data:`CONTENT_HASH_MAX_BYTES`, its size only (reading a terabyte twice to start a run is not
  worth it). ``dataset_fingerprint_basis`` says which was used.

So the same files with the same labels give the same fingerprint wherever they are stored.

Hashing every file is the largest fixed cost of starting a run, so a file's digest is reused
while the file is provably the one hashed: same device, inode, size, modification and change
time (``st_ctime`` moves on every write and cannot be set back). A digest is kept only when the
file was last changed :data:`RACY_NS` before hashing began and stat the same after, so a write
in the same timestamp tick cannot hide (git's "racy clean" rule). Digests live in this process
(a sweep over one dataset hashes it once) and in the run directory's :data:`DIGESTS_FILE` (a
resumed run hashes nothing it already hashed).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import stat
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from phibench import files

log = logging.getLogger(__name__)

CONTENT_HASH_MAX_BYTES = 8 * 1024**3
"""Above this many bytes of planned files, the fingerprint uses file sizes instead of contents."""

_CHUNK = 1 << 20

DIGESTS_FILE = "file_digests.json"
"""In the run directory: the digests of its planned files, with the stat identity each was
taken under (paths, like ``planned.parquet``; owner-only like every run output)."""

RACY_NS = 2 * 10**9
"""A file changed less than this long before hashing began is hashed again next time: a later
write could fall in the same timestamp tick (2 s covers the coarsest, FAT's)."""

_Key = tuple[int, int, int, int, int]
_last: dict[str, tuple[_Key, str]] = {}
"""This process's digests of the last fingerprinted dataset's files (bounded by its size)."""


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _regular(path: str) -> os.stat_result | None:
    """``stat`` of a regular file, else None (missing, a FIFO, a device: never opened). A path
    is taken as :class:`~pathlib.Path` takes it (which drops a trailing slash)."""
    try:
        st = os.stat(Path(path) if path.endswith("/") else path)
    except (OSError, ValueError):
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def _key(st: os.stat_result) -> _Key:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class FileDigests:
    """SHA-256 digests of files, reused from ``known`` while a file's stat identity holds."""

    def __init__(self, known: Mapping[str, tuple[_Key, str]] | None = None) -> None:
        self.known = known or {}
        self.entries: dict[str, tuple[_Key, str]] = {}
        """The digests of this dataset's files that may be reused."""
        self.hashed = 0
        """Files read and hashed (not reused)."""

    def sha256(self, path: str, st: os.stat_result, since_ns: int) -> str:
        """The digest of ``path`` (``st``: its stat, taken after ``since_ns``); raises OSError."""
        key = _key(st)
        hit = self.known.get(path)
        if hit is not None and hit[0] == key:
            self.entries[path] = hit
            return hit[1]
        digest = _file_sha256(Path(path))
        self.hashed += 1
        after = _regular(path)
        if after is not None and _key(after) == key and max(st.st_mtime_ns, st.st_ctime_ns) < since_ns - RACY_NS:
            self.entries[path] = (key, digest)
        return digest

    @classmethod
    def load(cls, path: Path, known: Mapping[str, tuple[_Key, str]]) -> FileDigests:
        """``known`` plus the digests stored at ``path`` (an unreadable store is ignored)."""
        merged = dict(known)
        try:
            stored = json.loads(path.read_text())
            merged |= {p: (tuple(int(v) for v in e[:5]), str(e[5])) for p, e in stored["files"].items()}
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            log.debug("ignoring unreadable %s (%s): files are hashed again", path.name, type(exc).__name__)
        return cls(merged)  # type: ignore[arg-type]

    def save(self, path: Path) -> None:
        """Store the reusable digests at ``path``, atomically and owner-only; not fsynced: a
        store lost in a crash only means hashing again."""
        text = json.dumps({"version": 1, "files": {p: [*k, d] for p, (k, d) in self.entries.items()}})
        files.write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def dataset_fingerprint(
    paths: Iterable[str], samples_sha256: str, digests: FileDigests | None = None
) -> tuple[str, str]:
    """``(fingerprint, basis)`` of the planned files ``paths`` and the plan's samples hash;
    ``digests`` reuses the digests of files hashed before."""
    digests = digests if digests is not None else FileDigests()
    since = time.time_ns()  # before the first stat: what changes after it gets a later stamp
    unique = sorted({str(p) for p in paths})
    stats = {p: _regular(p) for p in unique}
    total = sum(st.st_size for st in stats.values() if st is not None)
    by_content = total <= CONTENT_HASH_MAX_BYTES
    h = hashlib.sha256(f"samples\t{samples_sha256}\n".encode())
    for p, rel in zip(unique, _relative(unique)):
        st = stats[p]
        if st is None:
            token = "missing-or-not-a-regular-file"
        elif by_content:
            try:
                token = digests.sha256(p, st, since)
            except OSError:
                token = "unreadable"
        else:
            token = f"size={st.st_size}"
        h.update(f"{rel}\t{token}\n".encode())
    basis = (
        "sha256 of the planned sample ids, frames and labels (plan.json samples.sha256) and of "
        + ("each planned file's relative path and content" if by_content
           else "each planned file's relative path and size (files too large to hash)")
    )
    return h.hexdigest(), basis


def _relative(unique: list[str]) -> list[str]:
    """Each path relative to the common folder of the paths' folders (as given when there is
    none), exactly as ``os.path.relpath`` gives it, worked out once per folder."""
    folders = {os.path.dirname(p) for p in unique}
    try:
        root = os.path.commonpath(list(folders)) if folders else ""
    except ValueError:  # mixed absolute and relative paths
        root = ""
    if not root:
        return list(unique)
    under: dict[str, str | None] = {}
    out: list[str] = []
    for p in unique:
        folder, name = os.path.split(p)
        if folder not in under:
            rel = os.path.relpath(folder, root) if folder else ".."
            under[folder] = None if rel == os.pardir or rel.startswith(os.pardir + os.sep) else rel
        rel = under[folder]
        if rel is None or name in ("", os.curdir, os.pardir):
            out.append(os.path.relpath(p, root))  # above root, or a name normpath would fold
        else:
            out.append(name if rel == os.curdir else f"{rel}{os.sep}{name}")
    return out


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else :func:`platform.processor`)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Hardware", "Processor", "cpu model") and value.strip():
                return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1)
    except (AttributeError, ValueError, OSError):
        return None


def hardware() -> dict[str, Any]:
    """The driver machine (where ``phibench run`` was started; Spark workers may differ)."""
    return {
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": memory_gib(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "os": platform.platform(terse=True),
        "scope": "driver machine",
    }


def _plugin(registry: Any, kind: str, name: str) -> dict[str, str]:
    dist = registry.get(kind, name).distribution  # "project version" or "(not installed)"
    project, _, version = dist.rpartition(" ") if not dist.startswith("(") else ("", "", "")
    return {"name": name, "distribution": project or dist, "version": version}


def plugins(specs: dict[str, Any], reporters: Iterable[str], registry: Any) -> dict[str, Any]:
    """``{kind: {name, distribution, version}}`` of every plugin the run uses; ``reporter`` is
    a list of those (a run has several)."""
    out: dict[str, Any] = {kind: _plugin(registry, kind, spec.name) for kind, spec in sorted(specs.items())}
    out["reporter"] = [_plugin(registry, "reporter", r) for r in reporters]
    return out


def at_start(p: Any, registry: Any, dataset_info: dict[str, Any], run_dir: Path | None = None) -> dict[str, Any]:
    """What a session knows at its start (``p`` a :class:`~phibench.plan.Plan`): the dataset
    (its resolved parameters plus what the dataset plugin's ``describe()`` adds, e.g. the
    synthetic generator's version and seed), its fingerprint, hardware and plugins. With
    ``run_dir``, file digests are reused from and stored in its :data:`DIGESTS_FILE`."""
    global _last
    store = Path(run_dir) / DIGESTS_FILE if run_dir is not None else None
    digests = FileDigests.load(store, _last) if store is not None else FileDigests(_last)
    fingerprint, basis = dataset_fingerprint(
        (t.sample.path for t in p.tasks), str(p.components.get("samples", {}).get("sha256", "")), digests
    )
    _last = digests.entries
    if store is not None and (digests.hashed or not store.exists()):
        digests.save(store)
    params = {k: v for k, v in (p.resolved.get("dataset") or {}).items() if k != "name"}
    return {
        "dataset_fingerprint": fingerprint,
        "dataset_fingerprint_basis": basis,
        "dataset": {"name": p.specs["dataset"].name, "params": {**params, **dataset_info}},
        "hardware": hardware(),
        "plugins": plugins(p.specs, p.reporters, registry),
    }


def _iso(epoch: float | None) -> str | None:
    if epoch is None or pd.isna(epoch):
        return None
    return datetime.fromtimestamp(float(epoch), tz=timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def complete(start: dict[str, Any] | None, df: pd.DataFrame) -> dict[str, Any]:
    """The scorecard's ``provenance``: ``start`` (from ``run_meta.json``) with the run's first
    session start and last row's finish time (ISO 8601, UTC) taken from the result rows."""
    out = dict(start or {})
    started = df["session_started_at"].min() if len(df) else None
    finished = df["finished_at"].max() if len(df) else None
    out["started_at"] = _iso(started)
    out["finished_at"] = _iso(finished)
    out.setdefault("dataset_fingerprint", None)  # a run made before provenance was recorded
    out.setdefault("hardware", None)  # not this machine's: it may not be the one that ran
    return out
