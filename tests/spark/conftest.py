"""Spark fixtures: one local[2] session for the in-process tests of this package, test detectors
(``tests.spark.plugin``) visible to this process and to every Spark worker, and a labelled corpus
of real DICOM files (pydicom's test files: odd encodings, many per-sample errors)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from phibench.registry import default_registry
from tests.spark.plugin import answer

REPO = Path(__file__).resolve().parents[2]
EXTRA_PLUGINS = "tests.spark.plugin"


def spark_env() -> dict[str, str]:
    """Environment for a process (and its Spark workers) that should see the test detectors."""
    path = os.environ.get("PYTHONPATH", "")
    return {
        "PHIBENCH_EXTRA_PLUGINS": EXTRA_PLUGINS,
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), path) if p),
        "SPARK_LOCAL_IP": "127.0.0.1",
    }


@pytest.fixture(scope="package", autouse=True)
def test_plugins():
    """Register the test detectors here and in workers started from here; undo afterwards."""
    saved = {k: os.environ.get(k) for k in spark_env()}
    os.environ.update(spark_env())
    default_registry.cache_clear()
    yield
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    default_registry.cache_clear()


@pytest.fixture(scope="package")
def spark(test_plugins):
    """The package's SparkSession (local[2]); executor runs with the same settings reuse it."""
    from phibench.spark import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


@pytest.fixture(scope="package")
def labelled_corpus(tmp_path_factory, pydicom_test_dir) -> tuple[Path, Path]:
    """(root, labels.csv): every pydicom test file, frame 0 labelled by a hash of its path."""
    labels = tmp_path_factory.mktemp("labels") / "labels.csv"
    files = sorted(p for p in pydicom_test_dir.rglob("*") if p.is_file() and not p.name.startswith("."))
    with labels.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "has_phi"])
        for p in files:
            rel = p.relative_to(pydicom_test_dir).as_posix()
            w.writerow([rel, str(answer(rel + "x")).lower()])
    return pydicom_test_dir, labels


def corpus_overrides(corpus: tuple[Path, Path]) -> list[str]:
    root, labels = corpus
    return ["dataset=folder", f"dataset.root={root}", f"dataset.labels={labels}"]
