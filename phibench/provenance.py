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
"""

from __future__ import annotations

import hashlib
import os
import platform
import stat
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

CONTENT_HASH_MAX_BYTES = 8 * 1024**3
"""Above this many bytes of planned files, the fingerprint uses file sizes instead of contents."""

_CHUNK = 1 << 20


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _regular_size(path: Path) -> int | None:
    """Size of a regular file, else None (missing, a FIFO, a device: never opened)."""
    try:
        st = path.stat()
    except (OSError, ValueError):
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def dataset_fingerprint(paths: Iterable[str], samples_sha256: str) -> tuple[str, str]:
    """``(fingerprint, basis)`` of the planned files ``paths`` and the plan's samples hash."""
    unique = sorted({str(p) for p in paths})
    sizes = {p: _regular_size(Path(p)) for p in unique}
    total = sum(s for s in sizes.values() if s)
    by_content = total <= CONTENT_HASH_MAX_BYTES
    try:
        root = os.path.commonpath([os.path.dirname(p) for p in unique]) if unique else ""
    except ValueError:  # mixed absolute and relative paths
        root = ""
    h = hashlib.sha256(f"samples\t{samples_sha256}\n".encode())
    for p in unique:
        rel = os.path.relpath(p, root) if root else p
        size = sizes[p]
        if size is None:
            token = "missing-or-not-a-regular-file"
        elif by_content:
            try:
                token = _file_sha256(Path(p))
            except OSError:
                token = "unreadable"
        else:
            token = f"size={size}"
        h.update(f"{rel}\t{token}\n".encode())
    basis = (
        "sha256 of the planned sample ids, frames and labels (plan.json samples.sha256) and of "
        + ("each planned file's relative path and content" if by_content
           else "each planned file's relative path and size (files too large to hash)")
    )
    return h.hexdigest(), basis


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


def at_start(p: Any, registry: Any, dataset_info: dict[str, Any]) -> dict[str, Any]:
    """What a session knows at its start (``p`` a :class:`~phibench.plan.Plan`): the dataset
    (its resolved parameters plus what the dataset plugin's ``describe()`` adds, e.g. the
    synthetic generator's version and seed), its fingerprint, hardware and plugins."""
    fingerprint, basis = dataset_fingerprint(
        (t.sample.path for t in p.tasks), str(p.components.get("samples", {}).get("sha256", ""))
    )
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
