"""``phibench gate`` on real runs: a real regression fails (exit 1), a drop that chance explains
passes unless ``--strict``, a committed scorecard is tested unpaired, misuse exits 2, and the
JUnit XML and step summary say why."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from statsmodels.stats import proportion

from phibench.cli import main


def gate(capsys, *args) -> tuple[int, list[str], str]:
    code = main(["gate", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out.splitlines(), out.err


def line(lines: list[str], name: str) -> str:
    (found,) = [l for l in lines if l.split(":", 1)[0].split("  ", 1)[-1] == name]
    return found


@pytest.fixture(scope="module")
def regressed(runs):
    """Answers "no PHI" everywhere: every PHI frame the baseline found is missed."""
    return runs.synthetic("miss100", "detector=header_oracle", "detector.miss=1.0")


@pytest.fixture(scope="module")
def slipped(runs):
    """Misses one PHI frame or so: a drop chance explains on this many samples."""
    return runs.synthetic("miss15", "detector=header_oracle", "detector.miss=0.15")


def test_a_real_regression_fails_with_junit_and_a_summary(capsys, tmp_path, oracle, regressed, monkeypatch):
    junit, summary = tmp_path / "junit.xml", tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, lines, _ = gate(capsys, regressed, "--baseline", oracle, "--max-drop", "recall=0.02",
                          "--max-drop", "specificity=0.02", "--max", "error_rate=0", "--junit", junit)
    assert code == 1
    recall = line(lines, "recall drop <= 0.02")
    assert recall.startswith("FAIL") and "significant at alpha 0.05" in recall and "mcnemar" in recall
    assert "baseline 1.000" in recall and "value 0.000" in recall and "p " in recall
    assert line(lines, "specificity drop <= 0.02").startswith("PASS")
    assert line(lines, "error_rate <= 0").startswith("PASS")
    assert lines[-1] == "phibench gate: FAILED (1 of 4 checks)"
    root = ET.parse(junit).getroot()
    cases = root.findall("./testsuite/testcase")
    assert root.tag == "testsuites" and root.get("tests") == "4" and root.get("failures") == "1"
    assert [c.get("name") for c in cases] == [  # bounds first, then drops
        "run complete", "error_rate <= 0", "recall drop <= 0.02", "specificity drop <= 0.02"]
    (failure,) = root.iter("failure")
    assert failure.get("message") == recall and "significant" in failure.text
    text = summary.read_text()
    assert "phibench gate: FAILED" in text and "| :x: | recall drop <= 0.02 |" in text


def test_a_drop_chance_explains_passes_unless_strict(capsys, oracle, slipped):
    code, lines, _ = gate(capsys, slipped, "--baseline", oracle, "--max-drop", "recall=0.02", "--summary", "/dev/null")
    recall = line(lines, "recall drop <= 0.02")
    assert code == 0 and recall.startswith("PASS") and "not significant" in recall
    assert "delta -" in recall  # it did drop, by more than the allowance
    code, lines, _ = gate(capsys, slipped, "--baseline", oracle, "--max-drop", "recall=0.02", "--strict")
    assert code == 1 and "failed by --strict" in line(lines, "recall drop <= 0.02")
    code, lines, _ = gate(capsys, slipped, "--baseline", oracle, "--max-drop", "recall=0.5", "--strict")
    assert code == 0  # within the allowance: strict or not


def test_a_committed_scorecard_baseline_is_tested_as_two_independent_proportions(capsys, oracle, regressed):
    code, lines, _ = gate(capsys, regressed, "--baseline", oracle / "scorecard.json", "--max-drop", "recall=0.02",
                          "--correction", "none")
    assert code == 1 and any("independent proportions" in l for l in lines)
    base, cand = (json.loads((d / "scorecard.json").read_text())["metrics"]["recall"] for d in (oracle, regressed))
    p = proportion.test_proportions_2indep(cand["k"], cand["n"], base["k"], base["n"], method="score").pvalue
    recall = line(lines, "recall drop <= 0.02")
    assert recall.startswith("FAIL") and f"p {p:.4g} " in recall and "unpaired" in recall


def test_bounds_hold_the_runs_own_figures(capsys, runs, oracle):
    failing = runs.synthetic("fail", "detector=header_oracle", "detector.fail=0.3")
    code, lines, _ = gate(capsys, oracle, "--min", "recall=0.95", "--max", "error_rate=0")
    assert code == 0 and all(l.startswith(("PASS", "phibench gate")) for l in lines)
    code, lines, _ = gate(capsys, failing, "--min", "recall=0.95", "--max", "error_rate=0")
    assert code == 1 and line(lines, "error_rate <= 0").startswith("FAIL")
    assert line(lines, "recall >= 0.95").startswith("PASS")  # errors are not misses...
    code, lines, _ = gate(capsys, failing, "--min", "recall_fail_closed=0.95", "--min", "coverage=0.95")
    assert code == 1 and line(lines, "coverage >= 0.95").startswith("FAIL")  # ...but they cost coverage


def test_thresholds_come_from_a_file_and_flags_win(capsys, tmp_path, oracle, regressed):
    spec = tmp_path / "gate.yaml"
    spec.write_text("max_drop: {recall: 0.02}\nmin: {specificity: 0.99}\nalpha: 0.01\n")
    code, lines, _ = gate(capsys, regressed, "--baseline", oracle, "--thresholds", spec)
    assert code == 1 and "alpha 0.01" in line(lines, "recall drop <= 0.02")
    code, lines, _ = gate(capsys, regressed, "--baseline", oracle, "--thresholds", spec, "--max-drop", "recall=1")
    assert code == 0 and line(lines, "recall drop <= 1").startswith("PASS")


def test_a_baseline_without_thresholds_holds_recall_and_specificity(capsys, oracle, regressed):
    code, lines, _ = gate(capsys, regressed, "--baseline", oracle)
    assert code == 1 and any("no thresholds given" in l for l in lines)
    assert line(lines, "recall drop <= 0").startswith("FAIL")


def test_a_regression_on_a_folder_dataset_fails_too(capsys, runs):
    labels = runs.labels("all")
    base = runs.folder("folder_all", labels, "detector=header_oracle")
    cand = runs.folder("folder_flag_none", labels, "detector=flag_none")
    code, lines, _ = gate(capsys, cand, "--baseline", base, "--max-drop", "recall=0.05")
    assert code == 1 and line(lines, "recall drop <= 0.05").startswith("FAIL")


@pytest.mark.parametrize("args, says", [
    (["--min", "recal=0.9"], "unknown metric 'recal'"),
    (["--max-drop", "recall=0.1"], "--max-drop needs --baseline"),
    ([], "nothing to check"),
    (["--baseline", "{missing}", "--min", "recall=1"], "does not exist"),
    (["--thresholds", "{bad_yaml}"], "unknown key 'minimum'"),
])
def test_misuse_exits_2_and_says_why(capsys, tmp_path, oracle, args, says):
    bad = tmp_path / "bad.yaml"
    bad.write_text("minimum: {recall: 1}\n")
    args = [a.format(missing=tmp_path / "nope", bad_yaml=bad) for a in args]
    code, _, err = gate(capsys, oracle, *args)
    assert code == 2 and says in err


def test_a_malformed_flag_is_a_usage_error(capsys, oracle):
    with pytest.raises(SystemExit) as exc:
        main(["gate", str(oracle), "--min", "recall"])
    assert exc.value.code == 2 and "expected METRIC=VALUE" in capsys.readouterr().err


def test_auroc_is_held_by_delong_and_a_run_without_a_confidence_fails_the_check(capsys, runs, oracle):
    sure = runs.synthetic("confident", "detector=header_oracle", "detector.confident=true")
    worse = runs.synthetic("confident_miss", "detector=header_oracle", "detector.confident=true", "detector.miss=0.4")
    code, lines, _ = gate(capsys, sure, "--min", "auroc=0.99")
    assert code == 0 and line(lines, "auroc >= 0.99").startswith("PASS")
    code, lines, _ = gate(capsys, worse, "--baseline", sure, "--max-drop", "auroc=0.02")
    drop = line(lines, "auroc drop <= 0.02")
    assert code == 1 and drop.startswith("FAIL") and "significant" in drop and "delong (paired)" in drop
    code, lines, _ = gate(capsys, worse, "--baseline", sure / "scorecard.json", "--max-drop", "auroc=0.02", "--strict")
    assert code == 1 and "delong (unpaired)" in line(lines, "auroc drop <= 0.02")
    code, lines, _ = gate(capsys, oracle, "--min", "auroc=0.5")  # the oracle reports no confidence
    assert code == 1 and "cannot be computed" in next(l for l in lines if "auroc" in l)
