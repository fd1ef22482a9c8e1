"""``+experiment=pixels_table``: a sweep that ends in one comparison table, and ``phibench table``."""

from __future__ import annotations

import json

from tests.helpers import phibench


def test_pixels_table_sweep_writes_one_table_from_its_runs(tmp_path):
    sweep = tmp_path / "sweep"
    out = phibench(
        "run", "-m", "+experiment=pixels_table", "detector=flag_all,flag_none",
        "dataset.n=4", f"dataset.out={tmp_path / 'data'}", "executor=inline", "run.progress=false",
        "reporters=[json]", f"hydra.sweep.dir={sweep}",
        env={"SPARK_LOCAL_IP": "127.0.0.1"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    table = json.loads((sweep / "pixels_table.json").read_text())
    assert [r["solution"] for r in table] == ["flag_all", "flag_none"]
    cards = {r["solution"]: json.loads((sweep / f"{i}_{r['solution']}" / "scorecard.json").read_text())
             for i, r in enumerate(table)}
    for row in table:
        card = cards[row["solution"]]
        assert row["recall"] == card["metrics"]["recall"] and row["npv"] == card["metrics"]["npv"]
        assert row["cost_per_100k_usd"] == card["cost_per_100k_usd"]
    assert table[0]["recall"]["value"] == 1.0 and table[1]["recall"]["value"] == 0.0
    md = (sweep / "pixels_table.md").read_text()
    header = "| Solution | Cost per 100k images | Recall | Precision | Specificity | NPV |"
    assert header in md and "not measured here" in md
    assert md in out.stdout

    again = phibench("table", str(sweep), "--out", str(tmp_path / "t"))
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp_path / "t" / "pixels_table.json").read_text()) == table
