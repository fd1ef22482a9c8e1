"""A run directory belongs to one plan: fingerprint, refusal, --force-new, lock, planned samples,
retry of error rows, exit status, owner-only and atomic outputs."""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from phibench import files
from phibench.exceptions import ConfigError
from phibench.lock import RunLock
from phibench.results import ResultStore
from phibench.run import execute, exit_status, report
from tests.helpers import compose_run, phibench, synthetic_overrides

QUIET = ["run.progress=false", "reporters=[json,markdown]", "executor=inline"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("synthetic")


@pytest.fixture
def folder(tmp_path, pydicom_test_dir):
    """A folder dataset: one real CT, one file that is not DICOM, labels for both."""
    root = tmp_path / "data"
    root.mkdir()
    shutil.copy(pydicom_test_dir / "CT_small.dcm", root / "ct.dcm")
    (root / "broken.dcm").write_bytes(b"not a dicom file at all" * 10)
    (root / "labels.csv").write_text("path,has_phi\nct.dcm,0\nbroken.dcm,1\n")
    return root


def folder_overrides(root: Path) -> list[str]:
    return ["dataset=folder", f"dataset.root={root}", f"dataset.labels={root / 'labels.csv'}"]


def run(run_dir, *overrides):
    return execute(compose_run(*overrides, *QUIET), run_dir)


# -- one plan per run directory ------------------------------------------------------------------


def test_rerun_with_another_detector_is_refused_and_keeps_the_old_rows(tmp_path, data_dir):
    run_dir = tmp_path / "run"
    first = run(run_dir, "detector=flag_all", *synthetic_overrides(data_dir, 6))
    with pytest.raises(ConfigError, match=r"another plan: detector 'flag_all' -> 'flag_none'.*--force-new"):
        run(run_dir, "detector=flag_none", *synthetic_overrides(data_dir, 6))
    again = report(run_dir)
    assert again["confusion"] == first["confusion"] and again["detector"]["name"] == "flag_all"


def test_rerun_with_another_dataset_size_is_refused(tmp_path, data_dir):
    run_dir = tmp_path / "run"
    run(run_dir, "detector=flag_all", *synthetic_overrides(data_dir, 6))
    with pytest.raises(ConfigError, match=r"dataset parameters \(n: 6 -> 8\); planned samples"):
        run(run_dir, "detector=flag_all", *synthetic_overrides(data_dir, 8))


def test_rerun_with_other_detector_parameters_is_refused(tmp_path, folder):
    # Only the broken file is labelled here: its read error needs no OCR, so this stays fast.
    (folder / "labels.csv").write_text("path,has_phi\nbroken.dcm,1\n")
    run_dir = tmp_path / "run"
    run(run_dir, "detector=local", *folder_overrides(folder))
    with pytest.raises(ConfigError, match=r"detector parameters \(min_score: .* -> 0\.99\)"):
        run(run_dir, "detector=local", "detector.min_score=0.99", *folder_overrides(folder))


def test_changed_labels_are_another_plan(tmp_path, folder):
    run_dir = tmp_path / "run"
    run(run_dir, "detector=flag_all", *folder_overrides(folder))
    (folder / "labels.csv").write_text("path,has_phi\nct.dcm,1\nbroken.dcm,1\n")
    with pytest.raises(ConfigError, match="the 2 planned samples or their labels changed"):
        run(run_dir, "detector=flag_all", *folder_overrides(folder))


def test_answer_neutral_settings_resume_the_same_run(tmp_path, data_dir):
    run_dir = tmp_path / "run"
    run(run_dir, "detector=flag_all", *synthetic_overrides(data_dir, 6))
    sc = run(run_dir, "detector=flag_all", "run.batch_size=3", "run.flush_rows=1",
             *synthetic_overrides(data_dir, 6))
    assert sc["samples"] == sc["planned_samples"]


def test_force_new_discards_the_old_run_and_keeps_nothing_of_it(tmp_path, data_dir):
    run_dir = tmp_path / "run"
    run(run_dir, "detector=flag_all", *synthetic_overrides(data_dir, 6))
    sc = run(run_dir, "detector=flag_none", "run.force_new=true", *synthetic_overrides(data_dir, 6))
    df = ResultStore(run_dir).read()
    assert set(df["detector"]) == {"flag_none"} and not df["has_phi_pred"].any()
    assert sc["detector"]["name"] == "flag_none" and sc["confusion"]["tp"] == 0


def test_force_new_on_the_command_line(tmp_path, data_dir):
    run_dir = tmp_path / "run"
    args = ["run", *QUIET, f"hydra.run.dir={run_dir}", *synthetic_overrides(data_dir, 4)]
    assert phibench(*args, "detector=flag_all").returncode == 0
    refused = phibench(*args, "detector=flag_none")
    assert refused.returncode == 2 and "another plan" in refused.stderr and "Traceback" not in refused.stderr
    assert phibench(*args, "detector=flag_none", "--force-new").returncode == 0
    assert set(ResultStore(run_dir).read()["detector"]) == {"flag_none"}


# -- one writer at a time ------------------------------------------------------------------------


def test_a_second_writer_is_refused_while_the_first_holds_the_directory(tmp_path, data_dir):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    with RunLock(run_dir):
        with pytest.raises(ConfigError, match=rf"in use by another phibench run \(pid {os.getpid()}"):
            run(run_dir, "detector=flag_all", *synthetic_overrides(data_dir, 4))
        other = phibench("run", *QUIET, f"hydra.run.dir={run_dir}", "detector=flag_all",
                         *synthetic_overrides(data_dir, 4))
        assert other.returncode == 2 and "in use by another phibench run" in other.stderr
    assert not (run_dir / "results.parquet").exists()
    run(run_dir, "detector=flag_all", *synthetic_overrides(data_dir, 4))  # free again


# -- exactly the planned samples -----------------------------------------------------------------


def test_score_counts_only_the_planned_samples(tmp_path, data_dir):
    run_dir = tmp_path / "run"
    sc = run(run_dir, "detector=flag_all", *synthetic_overrides(data_dir, 6))
    # A stray part file (another writer, a copied folder) holding a sample this plan never had.
    row = ResultStore(run_dir).read().iloc[0].to_dict()
    stray = {k: None if not isinstance(v, str | bool) and pd.isna(v) else v for k, v in row.items()}
    stray |= {"sample_id": "stray#0", "has_phi_true": True, "has_phi_pred": False}
    ResultStore(run_dir).append([stray])
    again = report(run_dir)
    assert again["confusion"] == sc["confusion"] and again["samples"] == sc["planned_samples"]
    cli = phibench("score", str(run_dir), "--json")
    assert cli.returncode == 0 and json.loads(cli.stdout)["confusion"] == sc["confusion"]


def test_score_says_which_planned_samples_have_no_row(tmp_path, data_dir):
    run_dir = tmp_path / "run"
    run(run_dir, "detector=flag_all", *synthetic_overrides(data_dir, 6))
    parts = sorted((run_dir / "results.parquet").glob("*.parquet"))
    table = pq.read_table(parts[0])
    pq.write_table(table.slice(1), parts[0])  # one row lost
    sc = report(run_dir)
    assert sc["missing_samples"] == 1 and sc["samples"] == sc["planned_samples"] - 1
    assert exit_status(sc)[0] == 1


# -- rerun retries error rows --------------------------------------------------------------------


def test_a_rerun_retries_error_rows_by_default(tmp_path, folder, pydicom_test_dir):
    run_dir = tmp_path / "run"
    first = run(run_dir, "detector=flag_all", *folder_overrides(folder))
    assert first["confusion"]["errors"] == 1
    shutil.copy(pydicom_test_dir / "MR_small.dcm", folder / "broken.dcm")  # the cause is fixed
    kept = run(run_dir, "detector=flag_all", "run.retry_errors=false", *folder_overrides(folder))
    assert kept["confusion"]["errors"] == 1
    second = run(run_dir, "detector=flag_all", *folder_overrides(folder))
    assert second["confusion"]["errors"] == 0 and second["confusion"]["tp"] == 1
    rows = pd.read_parquet(run_dir / "results.parquet")
    assert sorted(rows["sample_id"].value_counts().tolist()) == [1, 2]  # only the error ran again


# -- exit status ---------------------------------------------------------------------------------


def test_a_run_in_which_every_sample_errored_exits_1(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    for name in ("a.dcm", "b.dcm"):
        (root / name).write_bytes(b"garbage" * 50)
    (root / "labels.csv").write_text("path,has_phi\na.dcm,1\nb.dcm,0\n")
    res = phibench("run", *QUIET, f"hydra.run.dir={tmp_path / 'run'}", "detector=flag_all",
                   *folder_overrides(root))
    assert res.returncode == 1, res.stderr
    assert "every one of the 2 samples errored" in res.stderr and "Traceback" not in res.stderr
    assert (tmp_path / "run" / "scorecard.json").exists()  # what was computed is kept


def test_fail_on_error_rate(tmp_path, folder):
    args = ["run", *QUIET, "detector=flag_all", *folder_overrides(folder)]
    over = phibench(*args, f"hydra.run.dir={tmp_path / 'a'}", "run.fail_on_error_rate=0.25")
    assert over.returncode == 1 and "above run.fail_on_error_rate=0.25" in over.stderr
    under = phibench(*args, f"hydra.run.dir={tmp_path / 'b'}", "run.fail_on_error_rate=0.5")
    assert under.returncode == 0, under.stderr


# -- outputs: owner-only, atomic -----------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_run_outputs_are_owner_only(tmp_path, data_dir):
    old = os.umask(0o022)
    try:
        run_dir = tmp_path / "run"
        run(run_dir, "detector=flag_all", *synthetic_overrides(data_dir, 4))
    finally:
        os.umask(old)
    assert mode(run_dir) == 0o700 and mode(run_dir / "results.parquet") == 0o700
    written = [p for p in run_dir.rglob("*") if p.is_file() and p.name != ".phibench.lock"]
    assert written and {mode(p) for p in written} == {0o600}, {p.name: oct(mode(p)) for p in written}


def test_a_full_disk_leaves_the_previous_scorecard_and_no_temp_file(tmp_path, data_dir, monkeypatch):
    run_dir = tmp_path / "run"
    run(run_dir, "detector=flag_all", *synthetic_overrides(data_dir, 4))
    before = {n: (run_dir / n).read_bytes() for n in ("scorecard.json", "scorecard.md")}

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        report(run_dir)
    monkeypatch.undo()
    assert {n: (run_dir / n).read_bytes() for n in before} == before
    assert not [p for p in run_dir.iterdir() if p.name.endswith(".tmp")]


def test_exit_status_rules():
    ok = {"samples": 10, "confusion": {"errors": 1}, "missing_samples": 0}
    assert exit_status(ok) == (0, "")
    assert exit_status(ok, 0.05)[0] == 1 and exit_status(ok, 0.1)[0] == 0
    assert exit_status({"samples": 3, "confusion": {"errors": 3}, "missing_samples": 0})[0] == 1
    assert exit_status({"samples": 0, "confusion": {"errors": 0}, "missing_samples": 0})[0] == 1
