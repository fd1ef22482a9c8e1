"""Optional extras: a plugin whose engine is not installed is one clear line naming the extra, on
the driver before anything runs; without Spark a run goes inline and says so. Absence is real:
each command runs in a fresh interpreter where the module cannot be imported
(a finder first on ``sys.meta_path`` answers "no such module" for it, as for one not installed)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from phibench import extras


def run(tmp_path, blocked: list[str], *args: str, command: str = "run") -> subprocess.CompletedProcess:
    code = f"""import sys
class Absent:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {set(blocked)!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, Absent())
from phibench.cli import main
sys.exit(main(sys.argv[1:]))
"""
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PHIBENCH_DATA_DIR": str(tmp_path / "data")}
    tail = [f"hydra.run.dir={tmp_path / 'run'}", "run.progress=false", "reporters=[json]"] if command == "run" else []
    return subprocess.run([sys.executable, "-c", code, command, *args, "dataset=synthetic", "dataset.n=2", *tail],
                          capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.parametrize(("blocked", "args", "extra"), [
    (["easyocr"], ["detector=local"], "easyocr"),
    (["torch"], ["detector=flag_none", "redactor=easyocr"], "easyocr"),
    (["rapidocr_onnxruntime"], ["detector=local", "detector.ocr=rapidocr"], "rapidocr"),
    (["presidio_analyzer"], ["detector=presidio"], "presidio"),
    (["pyspark"], ["detector=flag_none", "executor=spark"], "spark"),
    (["rapidocr_onnxruntime"], ["detector=local", "detector.ocr=ensemble"], "rapidocr"),  # a member's extra
])
def test_a_missing_extra_is_named_before_anything_runs(tmp_path, blocked, args, extra):
    out = run(tmp_path, blocked, *args)
    assert out.returncode == 2, out.stderr[-2000:]
    assert f"needs the {extra!r} extra" in out.stderr and f"pip install 'phibench[{extra}]'" in out.stderr
    assert "Traceback" not in out.stderr and not (tmp_path / "run" / "results.parquet").exists()


def test_without_spark_the_default_run_goes_inline_and_says_so(tmp_path):
    out = run(tmp_path, ["pyspark"], "detector=flag_none")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "pyspark is not installed (the 'spark' extra): running with executor=inline" in out.stderr
    assert "executor: inline" in (tmp_path / "run" / ".hydra" / "config.yaml").read_text() or \
        "name: inline" in (tmp_path / "run" / ".hydra" / "config.yaml").read_text()


def test_every_extra_a_plugin_names_is_declared_by_the_package():
    from importlib.metadata import metadata

    from phibench.registry import default_registry

    declared = set(metadata("phibench").get_all("Provides-Extra") or [])
    registry = default_registry()
    named = {extra for kind in registry.entries for e in registry.entries[kind].values() for extra in e.cls.requires}
    assert named and named <= declared and set(extras.EXTRAS) <= declared


def test_an_estimate_needs_no_executor_extra(tmp_path):
    out = run(tmp_path, ["pyspark"], "detector=gpt4o", command="estimate")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "USD" in out.stdout or "$" in out.stdout
