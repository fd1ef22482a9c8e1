"""Redaction fixtures: the test-only plugins, and one synthetic dataset shared by the module."""

from __future__ import annotations

import os

import pytest

from phibench.registry import default_registry

EXTRA_PLUGINS = "tests.redaction.plugin"


@pytest.fixture(scope="package", autouse=True)
def test_plugins():
    saved = os.environ.get("PHIBENCH_EXTRA_PLUGINS")
    os.environ["PHIBENCH_EXTRA_PLUGINS"] = EXTRA_PLUGINS
    default_registry.cache_clear()
    yield
    if saved is None:
        os.environ.pop("PHIBENCH_EXTRA_PLUGINS", None)
    else:
        os.environ["PHIBENCH_EXTRA_PLUGINS"] = saved
    default_registry.cache_clear()


@pytest.fixture(scope="package")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("synthetic")
