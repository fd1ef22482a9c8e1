"""The README's "Choosing a detector and writing the paper's table" commands, run as written
(with quick detectors): a sweep, the HTML comparison, the LaTeX and CSV tables."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SECTION = "## Choosing a detector and writing the paper's table"


def commands() -> list[str]:
    section = (REPO / "README.md").read_text().split(SECTION, 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```bash\n(.*?)```", section, re.S)
    return [line for line in block.splitlines() if line.strip()]


def test_the_readme_commands_make_the_comparison_and_the_tables(tmp_path):
    work = tmp_path / "checkout"
    work.mkdir()
    (work / ".venv").symlink_to(REPO / ".venv")
    env = {**os.environ, "DETECTORS": "flag_all,flag_none", "SPARK_LOCAL_IP": "127.0.0.1",
           "PHIBENCH_DATA_DIR": str(tmp_path / "data")}
    env.pop("PHIBENCH_EXTRA_PLUGINS", None)
    script = "\n".join(commands())
    out = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=work, env=env,
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, f"{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    choose = work / "runs" / "choose"
    assert sorted(p.parent.name for p in choose.glob("*/scorecard.json")) == [
        "0_flag_all_synthetic", "1_flag_none_synthetic"]
    page = (choose / "comparison.html").read_text()
    assert "Pairwise differences" in page and "flag_none" in page and "https://" not in page
    tex = (choose / "table.tex").read_text()
    assert tex.count("\\toprule") == 2 and "flag\\_none" in tex
    runs_csv, pairs_csv = (choose / "table.csv").read_text().split("\n\n")
    rows = list(csv.DictReader(io.StringIO(runs_csv)))
    assert [r["solution"] for r in rows] == ["flag_all", "flag_none"]
    assert float(rows[0]["recall"]) == 1.0 and float(rows[1]["recall"]) == 0.0
    pairs = list(csv.DictReader(io.StringIO(pairs_csv)))
    recall = next(p for p in pairs if p["metric"] == "recall")
    assert float(recall["difference"]) == -1.0 and float(recall["p"]) < 0.05
