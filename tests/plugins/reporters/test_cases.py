"""The reporters' cases (reporters/cases.py): counted for every sample, built only where shown."""

from __future__ import annotations

import json

import pandas as pd

from phibench.results import SCHEMA
from phibench_plugins.reporters import cases


def rows(n: int) -> pd.DataFrame:
    df = SCHEMA.empty_table().to_pandas()
    regions = json.dumps([{"box": [1, 2, 3, 4], "text": "x", "is_phi": True, "category": "DATE"}])
    new = pd.DataFrame({
        "sample_id": [f"s{i:05d}#0" for i in range(n)], "path": [f"/data/d{i % 7}/f{i}.dcm" for i in range(n)],
        "frame": 0, "has_phi_true": [i % 2 == 0 for i in range(n)], "has_phi_pred": False,
        "truth_regions": regions, "entities": "[]"})
    return pd.concat([df, new], ignore_index=True)


def test_cases_are_counted_for_every_sample_and_built_only_where_read(monkeypatch):
    built = []
    real = cases._case
    monkeypatch.setattr(cases, "_case", lambda *a: built.append(a[0]) or real(*a))
    found = cases.select(rows(1000))
    assert len(found["fn"]) == 500 and len(found["fp"]) == 0 and not found["fp"] and built == []
    first = found["fn"][:3]
    assert [c.sample_id for c in first] == ["s00000#0", "s00002#0", "s00004#0"] and len(built) == 3
    assert first[0].file == "d0/f0.dcm" and first[0].categories == "DATE"  # relative to /data
    assert found["fn"][-1].sample_id == "s00998#0" and len(list(found["fn"])) == 500
