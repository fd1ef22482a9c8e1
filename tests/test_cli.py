"""The command line behaves like a tool: no tracebacks for a user's mistakes, clear messages,
machine-readable output that is only that, exit status 2 for usage errors."""

from __future__ import annotations

import json
import os

import pytest

from phibench.hydra_app import check_parameter_keys
from phibench.exceptions import ConfigError
from phibench.registry import default_registry
from phibench.spark.executor import SparkExecutor
from tests.helpers import compose_run, phibench, synthetic_overrides

QUIET = ["run.progress=false", "reporters=[json]", "executor=inline"]


def no_traceback(res) -> None:
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout, res.stderr


def test_estimate_help():
    res = phibench("estimate", "--help")
    assert res.returncode == 0 and "usage: phibench estimate" in res.stdout
    no_traceback(res)


@pytest.mark.parametrize(
    "override, says",
    [
        ("dataset.nn=3", "dataset 'synthetic' has no parameter 'nn'. Parameters it takes: n, seed"),
        ("detector=gpt4", "unknown detector 'gpt4'. Known detectors:"),
        ("detector==x", "phibench: error:"),
        ("--what", "estimate takes no option --what"),
    ],
)
def test_estimate_misspelt_override(override, says):
    res = phibench("estimate", "detector=gpt4o", override)
    assert res.returncode == 2 and says in res.stderr, res.stderr
    no_traceback(res)


def test_a_parameter_not_in_the_schema_lists_the_parameters(tmp_path):
    res = phibench("run", *QUIET, f"hydra.run.dir={tmp_path / 'r'}", "detector=local",
                   "detector.min_confidence=0.3")
    assert res.returncode == 2
    assert "detector 'local' has no parameter 'min_confidence'. Parameters it takes: ocr" in res.stderr
    no_traceback(res)
    bad_run = phibench("run", *QUIET, f"hydra.run.dir={tmp_path / 'r'}", "run.limits.frames=3")
    assert bad_run.returncode == 2 and "run.limits has no limit 'frames'" in bad_run.stderr


def test_parameter_keys_are_checked_for_every_plugin_of_a_sweep():
    reg = default_registry()
    with pytest.raises(ConfigError, match="detector 'flag_all' has no parameter 'min_score'"):
        check_parameter_keys(["detector=local,flag_all", "detector.min_score=0.5"], reg)
    check_parameter_keys(["detector=local", "detector.min_score=0.5", "+detector.extra=1"], reg)
    with pytest.raises(ConfigError, match="no redactor is chosen"):
        check_parameter_keys(["redactor.padding=3"], reg)


def test_score_on_a_missing_folder(tmp_path):
    res = phibench("score", str(tmp_path / "nope"))
    assert res.returncode == 2 and "is not a phibench run directory: it does not exist" in res.stderr
    no_traceback(res)
    (tmp_path / "empty").mkdir()
    res = phibench("score", str(tmp_path / "empty"), "--json")
    assert res.returncode == 2 and "has no run_meta.json" in res.stderr and res.stdout == ""


def test_run_dir_that_is_a_file(tmp_path):
    target = tmp_path / "a-file"
    target.write_text("x")
    res = phibench("run", *QUIET, f"hydra.run.dir={target}", "detector=flag_all")
    assert res.returncode == 2 and "is a file; choose a folder" in res.stderr
    no_traceback(res)


def test_run_dir_that_cannot_be_made(tmp_path):
    # /proc takes no new folders, even from root (a chmod'ed folder would not stop root).
    res = phibench("run", *QUIET, "hydra.run.dir=/proc/phibench-run", "detector=flag_all")
    assert res.returncode == 2 and "cannot make it" in res.stderr
    no_traceback(res)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):
            return  # root writes a read-only folder anyway: nothing more to check
        res = phibench("run", *QUIET, f"hydra.run.dir={ro / 'run'}", "detector=flag_all")
        assert res.returncode == 2 and "choose a folder you can write" in res.stderr
        no_traceback(res)
    finally:
        ro.chmod(0o700)


def test_score_json_prints_only_json(tmp_path):
    data, run_dir = tmp_path / "data", tmp_path / "run"
    args = ["run", "run.progress=false", "executor=inline", "detector=flag_all",
            f"hydra.run.dir={run_dir}", *synthetic_overrides(data, 3)]
    assert phibench(*args).returncode == 0  # reporters include the terminal one
    res = phibench("score", str(run_dir), "--json")
    assert res.returncode == 0
    assert json.loads(res.stdout)["detector"]["name"] == "flag_all"  # nothing else on stdout


def test_executor_workers_needs_no_quoting():
    cfg = compose_run("executor=spark", "executor.workers=2")
    ex = SparkExecutor(SparkExecutor.Params(**{k: v for k, v in cfg.executor.items() if k != "name"}))
    assert ex.master() == "local[2]"
    assert SparkExecutor(SparkExecutor.Params()).master() == "local[*]"
    with pytest.raises(ConfigError, match="sizes a local master"):
        SparkExecutor(SparkExecutor.Params(master="spark://h:7077", workers=2)).master()


def test_the_old_ocr_params_key_says_where_it_went_on_the_command_line(tmp_path):
    res = phibench("run", "detector=local", "detector.ocr_params.upscale=2", f"hydra.run.dir={tmp_path}/r")
    assert res.returncode == 2 and "detector.ocr_params.K=V is now +detector.ocr.params.K=V" in res.stderr, res.stderr
    no_traceback(res)
