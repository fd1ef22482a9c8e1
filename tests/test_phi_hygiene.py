"""No PHI of a run reaches stdout, stderr, the log file or the reports at default settings."""

from __future__ import annotations

import json

import pandas as pd
import pydicom
import pytest

from tests.helpers import phibench, synthetic_overrides

HEADER_PHI = ("PatientName", "PatientID", "PatientBirthDate", "AccessionNumber", "InstitutionName",
              "ReferringPhysicianName", "OtherPatientIDs")


def phi_strings(df: pd.DataFrame) -> set[str]:
    """Every PHI string of the run: burned-in PHI text, what was detected, and header values."""
    found: set[str] = set()
    for regions in df["truth_regions"]:
        found |= {r["text"] for r in json.loads(regions) if r["is_phi"]}
    for entities in df["entities"].dropna():
        found |= {e["text"] for e in json.loads(entities) if e.get("text")}
    for path in df["path"].unique():
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        for key in HEADER_PHI:
            value = ds.get(key)
            if value:
                found.add(str(value))
                found |= {str(p) for p in str(value).split("^")}
    # short strings (e.g. "F", "12") occur in harmless output by chance
    return {s.strip() for s in found if len(s.strip()) >= 5}


@pytest.mark.slow
def test_local_detector_run_prints_and_logs_no_phi(tmp_path):
    run_dir = tmp_path / "run"
    out = phibench(
        "run", "detector=local", *synthetic_overrides(tmp_path / "data", 8), f"hydra.run.dir={run_dir}",
    )
    assert out.returncode == 0, out.stderr[-3000:]
    df = pd.read_parquet(run_dir / "results.parquet")
    secrets = phi_strings(df)
    assert len(secrets) > 10  # the run really handled PHI
    logs = "".join(p.read_text() for p in run_dir.glob("*.log"))
    reports = (run_dir / "scorecard.json").read_text() + (run_dir / "scorecard.md").read_text()
    reports += (run_dir / "report.html").read_text()  # a default reporter: its gallery shows no PHI
    for name, text in {"stdout": out.stdout, "stderr": out.stderr, "log": logs, "reports": reports}.items():
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"{len(leaked)} PHI strings in {name}"
