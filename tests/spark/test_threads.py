"""A worker's native thread pools, without Spark: the environment the libraries read, the pools
of torch and OpenCV when they are loaded, and the plugin built once per process between them."""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace

import pytest

from phibench import worker
from phibench.spark import threads
from phibench.spark.threads import THREAD_VARS, THREADS_VAR, limit_threads, worker_plugin
from phibench.specs import PluginSpec


class Pool:
    """Stands in for torch's or OpenCV's thread pool (the real ones are process-wide)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def get(self) -> int:
        return self.n

    def set(self, n: int) -> None:
        self.n = n


@pytest.fixture
def pools(monkeypatch):
    """Fake torch and cv2 modules, and the thread variables put back afterwards."""
    for var in (*THREAD_VARS, THREADS_VAR):
        monkeypatch.setenv(var, "")  # recorded, so that what limit_threads sets is undone
        monkeypatch.delenv(var)
    torch, cv2 = Pool(8), Pool(8)
    fake_torch = SimpleNamespace(get_num_threads=torch.get, set_num_threads=torch.set)
    monkeypatch.setitem(sys.modules, "torch", fake_torch)
    monkeypatch.setitem(sys.modules, "cv2", SimpleNamespace(getNumThreads=cv2.get, setNumThreads=cv2.set))
    return torch, cv2


def test_threads_size_the_environment_and_the_loaded_pools(pools, monkeypatch):
    torch, cv2 = pools
    assert limit_threads(3) == 3
    assert {var: os.environ[var] for var in THREAD_VARS} == dict.fromkeys(THREAD_VARS, "3")
    assert torch.n == 3 == cv2.n
    monkeypatch.setenv(THREADS_VAR, "2")  # what the session sets in every worker
    assert limit_threads() == 2 and torch.n == 2
    monkeypatch.delenv(THREADS_VAR)
    assert limit_threads() == 1


def test_a_worker_builds_its_plugin_once_and_sizes_the_pools_around_it(monkeypatch):
    calls = []
    monkeypatch.setattr(threads, "limit_threads", calls.append)
    real = worker.instance
    monkeypatch.setattr(worker, "instance", lambda spec, ctx=None: calls.append("build") or real(spec, ctx))
    spec = PluginSpec.of("detector", "flag_all", {})
    first = worker_plugin(spec, 2)
    assert worker_plugin(spec, 2) is first
    assert calls == [2, "build", 2] * 2  # before the build, and after (the pools it started)
    assert worker.load_counts()[str(spec)] >= 1
