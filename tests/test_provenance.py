"""Provenance (scorecard 1.2): dataset fingerprint, times, hardware and plugin versions."""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import datetime

from phibench import provenance
from phibench.run import execute, report
from tests.helpers import compose_run, synthetic_overrides


def _files(tmp_path, name, payloads):
    root = tmp_path / name
    root.mkdir()
    for i, data in enumerate(payloads):
        (root / f"{i}.dcm").write_bytes(data)
    return [str(root / f"{i}.dcm") for i in range(len(payloads))]


def test_dataset_fingerprint_follows_contents_and_labels_not_location(tmp_path):
    a = _files(tmp_path, "a", [b"one", b"two"])
    b = _files(tmp_path, "b", [b"one", b"two"])
    fp, basis = provenance.dataset_fingerprint(a, "labels1")
    assert re.fullmatch(r"[0-9a-f]{64}", fp) and "content" in basis
    assert provenance.dataset_fingerprint(b, "labels1")[0] == fp  # moved: same data
    assert provenance.dataset_fingerprint(a + a, "labels1")[0] == fp  # frames of one file count once
    assert provenance.dataset_fingerprint(a, "labels2")[0] != fp  # relabelled
    (tmp_path / "b" / "1.dcm").write_bytes(b"twO")
    assert provenance.dataset_fingerprint(b, "labels1")[0] != fp  # one byte changed
    missing = provenance.dataset_fingerprint([*a, str(tmp_path / "gone.dcm")], "labels1")[0]
    assert missing != fp


def test_large_datasets_are_fingerprinted_by_size(tmp_path, monkeypatch):
    a = _files(tmp_path, "a", [b"one", b"two"])
    monkeypatch.setattr(provenance, "CONTENT_HASH_MAX_BYTES", 1)
    fp, basis = provenance.dataset_fingerprint(a, "x")
    assert "size" in basis
    (tmp_path / "a" / "1.dcm").write_bytes(b"twO")  # same size: the size basis cannot tell
    assert provenance.dataset_fingerprint(a, "x")[0] == fp


def test_hardware_is_the_driver_machine():
    hw = provenance.hardware()
    assert hw["cores"] == os.cpu_count() and hw["cpu_model"] and hw["python"] and hw["machine"]
    assert hw["memory_gib"] is None or hw["memory_gib"] > 0


def test_every_scorecard_carries_provenance(tmp_path):
    cfg = compose_run("detector=flag_none", "executor=inline", *synthetic_overrides(tmp_path / "data", 4, seed=3),
                      "run.progress=false", "reporters=[json,markdown]")
    sc = execute(cfg, tmp_path / "run")
    assert sc["schema_version"] == "1.3"
    prov = json.loads((tmp_path / "run" / "scorecard.json").read_text())["provenance"]
    assert prov == sc["provenance"]
    assert re.fullmatch(r"[0-9a-f]{64}", prov["dataset_fingerprint"])
    assert prov["dataset"]["name"] == "synthetic"
    assert prov["dataset"]["params"]["seed"] == 3 and prov["dataset"]["params"]["generator_version"]
    start = datetime.fromisoformat(prov["started_at"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(prov["finished_at"].replace("Z", "+00:00"))
    assert start <= end and prov["started_at"].endswith("Z")
    assert prov["hardware"]["cores"] == os.cpu_count()
    plugins = prov["plugins"]
    assert plugins["detector"]["name"] == "flag_none" and plugins["detector"]["version"]
    assert {"dataset", "executor", "detector", "reporter"} <= set(plugins)
    assert [r["name"] for r in plugins["reporter"]] == ["json", "markdown"]
    md = (tmp_path / "run" / "scorecard.md").read_text()
    assert "## Provenance" in md and prov["dataset_fingerprint"] in md and "flag_none (phibench" in md

    again = report(tmp_path / "run")  # re-scored: the same provenance
    assert again["provenance"] == prov

    moved = tmp_path / "data2"
    shutil.copytree(tmp_path / "data", moved)
    cfg2 = compose_run("detector=flag_all", "executor=inline", *synthetic_overrides(moved, 4, seed=3),
                       "run.progress=false", "reporters=[json]")
    other = execute(cfg2, tmp_path / "run2")
    assert other["provenance"]["dataset_fingerprint"] == prov["dataset_fingerprint"]


def test_a_run_from_before_provenance_still_scores(tmp_path):
    cfg = compose_run("detector=flag_none", "executor=inline", *synthetic_overrides(tmp_path / "data", 2),
                      "run.progress=false", "reporters=[json,markdown]")
    execute(cfg, tmp_path / "run")
    meta_path = tmp_path / "run" / "run_meta.json"
    meta = json.loads(meta_path.read_text())
    meta.pop("provenance")
    meta_path.write_text(json.dumps(meta))
    sc = report(tmp_path / "run")
    assert sc["provenance"]["dataset_fingerprint"] is None and sc["provenance"]["hardware"] is None
    assert sc["provenance"]["started_at"]
    assert "## Provenance" in (tmp_path / "run" / "scorecard.md").read_text()
