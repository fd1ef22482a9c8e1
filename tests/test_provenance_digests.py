"""The dataset fingerprint's file digests: reused while a file is provably unchanged, and never
changing the fingerprint (compared with the implementation that hashed every file every time)."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from phibench import provenance
from phibench.run import execute
from tests.helpers import compose_run, synthetic_overrides


def _reference(paths, samples_sha256):
    """The fingerprint as phibench computed it before digests were reused (verbatim logic)."""
    def size_of(path):
        try:
            st = path.stat()
        except (OSError, ValueError):
            return None
        return st.st_size if stat.S_ISREG(st.st_mode) else None

    unique = sorted({str(p) for p in paths})
    sizes = {p: size_of(Path(p)) for p in unique}
    by_content = sum(s for s in sizes.values() if s) <= provenance.CONTENT_HASH_MAX_BYTES
    try:
        root = os.path.commonpath([os.path.dirname(p) for p in unique]) if unique else ""
    except ValueError:
        root = ""
    h = hashlib.sha256(f"samples\t{samples_sha256}\n".encode())
    for p in unique:
        rel = os.path.relpath(p, root) if root else p
        if sizes[p] is None:
            token = "missing-or-not-a-regular-file"
        elif by_content:
            try:
                token = hashlib.sha256(Path(p).read_bytes()).hexdigest()
            except OSError:
                token = "unreadable"
        else:
            token = f"size={sizes[p]}"
        h.update(f"{rel}\t{token}\n".encode())
    return h.hexdigest()


@pytest.fixture
def reusable(monkeypatch):
    """Every digest may be kept, however fresh its file (tests cannot wait out RACY_NS)."""
    monkeypatch.setattr(provenance, "RACY_NS", -(10**18))
    monkeypatch.setattr(provenance, "_last", {})


def _tree(tmp_path):
    root = tmp_path / "d"
    for rel in ["a/x.dcm", "a-x/y.dcm", "a/b/z.dcm", "a/b/w.dcm", "top.dcm"]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(rel.encode())
    os.mkfifo(root / "fifo.dcm")
    (root / "link.dcm").symlink_to(root / "a" / "x.dcm")
    return root


def test_fingerprint_equals_the_reference_on_awkward_path_sets(tmp_path, monkeypatch):
    root = _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    d = str(root)
    cases = [
        [f"{d}/a/x.dcm", f"{d}/a-x/y.dcm", f"{d}/a/b/z.dcm"],  # "a" sorts after "a-x": not min/max
        [f"{d}/a/x.dcm", f"{d}/a/b/z.dcm", f"{d}/a/b/w.dcm"],
        [f"{d}/a/b/z.dcm"],
        [f"{d}/a/b/../x.dcm", f"{d}/a//b/z.dcm", f"{d}/a/./x.dcm", f"{d}/a/b/.", f"{d}/a/b/.."],
        [f"{d}/fifo.dcm", f"{d}/gone.dcm", f"{d}/a", f"{d}/link.dcm", f"{d}/a/x.dcm/"],
        ["d/a/x.dcm", "d/a-x/y.dcm", "top.dcm", "./d/a/b/z.dcm", "../" + tmp_path.name + "/d/top.dcm"],
        ["d/a/x.dcm", f"{d}/a/b/z.dcm"],  # mixed relative and absolute: no common folder
        ["x.dcm", "y.dcm"],
        [f"{d}/a/x.dcm", f"{d}/a/x.dcm"],
        [],
        ["/", f"{d}/top.dcm"],
    ]
    for paths in cases:
        for samples in ("s1", "s2"):
            assert provenance.dataset_fingerprint(paths, samples)[0] == _reference(paths, samples), paths


def test_synthetic_run_fingerprint_is_unchanged(tmp_path, reusable):
    cfg = compose_run("detector=flag_none", "executor=inline", *synthetic_overrides(tmp_path / "data", 6, seed=2),
                      "run.progress=false", "reporters=[json]")
    sc = execute(cfg, tmp_path / "run")
    planned = json.loads((tmp_path / "run" / "plan.json").read_text())["components"]["samples"]["sha256"]
    paths = [str(p) for p in sorted((tmp_path / "data").rglob("*.dcm"))]
    assert sc["provenance"]["dataset_fingerprint"] == _reference(paths, planned)
    again = execute(cfg, tmp_path / "run2")  # every digest reused: the same value
    assert again["provenance"]["dataset_fingerprint"] == sc["provenance"]["dataset_fingerprint"]


def test_digests_are_reused_only_while_the_file_is_unchanged(tmp_path, reusable):
    root = _tree(tmp_path)
    paths = [str(root / "a" / "x.dcm"), str(root / "a" / "b" / "z.dcm")]
    first = provenance.FileDigests()
    fp = provenance.dataset_fingerprint(paths, "s", first)[0]
    assert first.hashed == 2 and set(first.entries) == set(paths)
    second = provenance.FileDigests(first.entries)
    assert provenance.dataset_fingerprint(paths, "s", second)[0] == fp and second.hashed == 0
    target = Path(paths[1])
    before = target.stat()
    target.write_bytes(b"a/b/zzzzz"[: before.st_size])  # same size, other bytes
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # even the same mtime
    third = provenance.FileDigests(second.entries)
    changed = provenance.dataset_fingerprint(paths, "s", third)[0]
    assert third.hashed == 1 and changed != fp and changed == _reference(paths, "s")


def test_a_file_changed_just_before_hashing_is_not_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(provenance, "RACY_NS", provenance.RACY_NS)
    path = tmp_path / "fresh.dcm"
    path.write_bytes(b"new")
    digests = provenance.FileDigests()
    provenance.dataset_fingerprint([str(path)], "s", digests)
    assert digests.hashed == 1 and digests.entries == {}


def test_a_resumed_run_reads_its_digests_from_the_run_directory(tmp_path, reusable, monkeypatch):
    cfg = compose_run("detector=flag_none", "executor=inline", *synthetic_overrides(tmp_path / "data", 3),
                      "run.progress=false", "reporters=[json]")
    first = execute(cfg, tmp_path / "run")
    store = tmp_path / "run" / provenance.DIGESTS_FILE
    assert store.is_file() and stat.S_IMODE(store.stat().st_mode) == 0o600
    hashed: list[Path] = []
    real = provenance._file_sha256
    monkeypatch.setattr(provenance, "_file_sha256", lambda p: hashed.append(p) or real(p))
    monkeypatch.setattr(provenance, "_last", {})  # a new process
    again = execute(cfg, tmp_path / "run")
    assert hashed == [] and again["provenance"]["dataset_fingerprint"] == first["provenance"]["dataset_fingerprint"]
    store.write_text("{not json")
    monkeypatch.setattr(provenance, "_last", {})
    third = execute(cfg, tmp_path / "run")  # an unreadable store: everything hashed again
    assert len(hashed) == 3 and third["provenance"]["dataset_fingerprint"] == first["provenance"]["dataset_fingerprint"]
    assert json.loads(store.read_text())["version"] == 1
