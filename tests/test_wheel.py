"""The built wheel, installed with its core dependencies only in a fresh venv outside the
repository, runs a benchmark: configs, prompts and prices are package data, the light core needs
no extra, and a plugin that needs one says which."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _sh(*cmd, cwd=None, env=None, timeout=900) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PHIBENCH_", "PYTHON", "VIRTUAL_ENV"))}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the tree's files (a build writes ``*.egg-info`` beside its
    sources, which must not land in the checkout: it would shadow the installed metadata)."""
    src, out = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("dist")
    listed = _sh("git", "-C", REPO, "ls-files", "-co", "--exclude-standard", "-z")
    assert listed.returncode == 0, listed.stderr
    for name in filter(None, listed.stdout.split("\0")):
        if (REPO / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    built = _sh(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                "-w", out, src, cwd=out, env=_clean_env())
    assert built.returncode == 0, built.stderr[-3000:]
    (whl,) = out.glob("phibench-*.whl")
    return whl


@pytest.fixture(scope="module")
def light(tmp_path_factory, wheel) -> dict:
    """A fresh venv with the wheel and its core dependencies (no extras); its environment."""
    venv = tmp_path_factory.mktemp("light") / "venv"
    assert _sh(sys.executable, "-m", "venv", venv).returncode == 0
    py = venv / "bin" / "python"
    env = _clean_env()
    done = _sh(py, "-m", "pip", "install", "--quiet", wheel, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return {"py": py, "bin": venv / "bin", "env": env | {"SPARK_LOCAL_IP": "127.0.0.1"}}


def test_the_wheel_carries_configs_prompts_and_prices(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("phibench/conf/run.yaml", "phibench_plugins/conf/detector/local.yaml",
                   "phibench_plugins/conf/experiment/pixels_table.yaml",
                   "phibench_plugins/detectors/vlm/prompts/phi_json_v1.yaml",
                   "phibench_plugins/detectors/vlm/pricing.yaml"):
        assert needed in names, needed
    assert not [n for n in names if n.startswith(("tests/", "configs/"))]


@pytest.mark.slow
def test_pip_install_phibench_runs_a_benchmark_outside_the_repo(tmp_path, light):
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = light["env"] | {"PHIBENCH_DATA_DIR": str(tmp_path / "data")}
    phibench = light["bin"] / "phibench"
    out = _sh(phibench, "run", "detector=flag_none", "dataset=synthetic", "dataset.n=4", "run.progress=false",
              "hydra.run.dir=run", cwd=work, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "running with executor=inline" in out.stderr  # no [spark] in the light core
    assert (work / "run" / "scorecard.json").is_file() and (work / "run" / "report.html").is_file()
    imported = _sh(light["py"], "-c", "import phibench, sys; print(phibench.__file__); "
                   "print(all(m not in sys.modules for m in ('torch', 'pyspark')))", cwd=work, env=env)
    assert str(REPO) not in imported.stdout and "site-packages" in imported.stdout
    needs = _sh(phibench, "run", "detector=local", "dataset=synthetic", "dataset.n=4", "hydra.run.dir=run2",
                cwd=work, env=env)
    assert needs.returncode == 2 and "pip install 'phibench[rapidocr]'" in needs.stderr
    assert "Traceback" not in needs.stderr
    version = _sh(phibench, "--version", cwd=work, env=env)
    assert version.returncode == 0 and version.stdout.startswith("phibench 0.1.0")
    assert "phibench_plugins.detectors" in version.stdout or "builtin_detectors" in version.stdout
