"""Real runs shared by the comparison tests: one small synthetic dataset whose header tells the
truth (``leaky_tags``), run by the built-in baselines and the test-only ``header_oracle``, and the
same files as a ``folder`` dataset with label files written here."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from phibench.run import execute
from tests.helpers import compose_run, extra_plugins

EXTRA_PLUGINS = "tests.compare.plugin"
N = 16
QUIET = ["executor=inline", "run.progress=false", "reporters=[json]"]


@pytest.fixture(scope="package", autouse=True)
def test_plugins():
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    with extra_plugins(EXTRA_PLUGINS):
        yield


@pytest.fixture(scope="package")
def runs_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="package")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("synthetic")


class Runs:
    """Makes each named run once per test session (in process, inline executor)."""

    def __init__(self, root: Path, data: Path) -> None:
        self.root, self.data, self.made = root, data, {}

    def synthetic(self, name: str, *overrides: str) -> Path:
        return self._run(name, "dataset=synthetic", f"dataset.n={N}", "dataset.seed=0",
                         "dataset.leaky_tags=true", f"dataset.out={self.data}", *overrides)

    def folder(self, name: str, labels: Path, *overrides: str) -> Path:
        self.synthetic("flag_all", "detector=flag_all")  # the files exist once this ran
        return self._run(name, "dataset=folder", f"dataset.root={self.data}", f"dataset.labels={labels}", *overrides)

    def _run(self, name: str, *overrides: str) -> Path:
        if name not in self.made:
            run_dir = self.root / name
            execute(compose_run(*overrides, *QUIET), run_dir)
            self.made[name] = run_dir
        return self.made[name]

    def labels(self, name: str, *, keep: float = 1.0, flip: int = 0) -> Path:
        """A folder labels file from the synthetic manifest: the first ``keep`` share of its
        rows, the first ``flip`` labels inverted."""
        self.synthetic("flag_all", "detector=flag_all")
        with open(self.data / "manifest.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        rows = rows[: max(1, round(len(rows) * keep))]
        path = self.root / f"{name}.csv"
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["path", "frame", "has_phi"])
            for i, r in enumerate(rows):
                phi = r["has_phi"].lower() == "true"
                w.writerow([r["path"], r["frame"], str(phi != (i < flip)).lower()])
        return path


@pytest.fixture(scope="package")
def runs(runs_dir, data_dir) -> Runs:
    return Runs(runs_dir, data_dir)


@pytest.fixture(scope="package")
def oracle(runs) -> Path:
    """The header oracle on the leaky synthetic set: right on every frame."""
    return runs.synthetic("oracle", "detector=header_oracle")
