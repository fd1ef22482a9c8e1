"""The README's CI jobs, run: the GitHub Actions and GitLab CI snippets under "Comparing runs and
gating CI" run the same ``phibench`` commands, and those commands pass against the committed
baseline. The test runs them with ``DETECTOR=flag_all`` (seconds): the snippet's own ``local``
detector costs 3-5 minutes of OCR, too much for the suite's budget (its baseline was made by the
same commands, and the README says how to remake it)."""

from __future__ import annotations

import os
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SECTION = "## Comparing runs and gating CI"


def blocks() -> list[dict]:
    text = (REPO / "README.md").read_text()
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", section, re.S)]


def github() -> tuple[dict[str, str], list[str]]:
    job = next(b for b in blocks() if "jobs" in b)["jobs"]["gate"]
    return job["env"], [s["run"] for s in job["steps"] if "phibench " in s.get("run", "")]


def gitlab() -> tuple[dict[str, str], list[str]]:
    job = next(b for b in blocks() if "phibench-gate" in b)["phibench-gate"]
    return job["variables"], job["script"]


def test_both_ci_snippets_run_the_same_commands_against_a_committed_baseline():
    (gh_env, gh_cmds), (gl_env, gl_cmds) = github(), gitlab()
    assert gh_env == gl_env
    assert [c.replace(" --summary gate.md", "") for c in gl_cmds] == gh_cmds
    baseline = REPO / "benchmarks/baselines/{DETECTOR}_synthetic_n{N}_seed{SEED}/scorecard.json".format(**gh_env)
    assert baseline.is_file(), f"the snippet's baseline {baseline} is not committed"


def run_snippet(tmp_path: Path, **override: str) -> None:
    env_vars, commands = github()
    work = tmp_path / "checkout"
    work.mkdir()
    for name in (".venv", "benchmarks"):  # the commands run from a checkout with its venv
        (work / name).symlink_to(REPO / name)
    summary = tmp_path / "summary.md"
    env = {**os.environ, **env_vars, **override, "PHIBENCH_DATA_DIR": str(tmp_path / "data"),
           "GITHUB_STEP_SUMMARY": str(summary)}
    env.pop("PHIBENCH_EXTRA_PLUGINS", None)
    for command in commands:
        out = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=work, env=env,
                             capture_output=True, text=True, timeout=1200)
        assert out.returncode == 0, f"{command}\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    assert "phibench gate: passed" in out.stdout
    suite = ET.parse(work / "junit.xml").getroot()
    assert suite.get("failures") == "0" and int(suite.get("tests")) == 4  # run complete + 3 thresholds
    assert "phibench gate: passed" in summary.read_text()


def test_the_ci_commands_pass_with_a_quick_detector(tmp_path):
    run_snippet(tmp_path, DETECTOR="flag_all")
