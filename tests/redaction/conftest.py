"""Redaction fixtures: the test-only plugins, and one synthetic dataset shared by the module."""

from __future__ import annotations

import pytest

from tests.helpers import extra_plugins

EXTRA_PLUGINS = "tests.redaction.plugin"


@pytest.fixture(scope="package", autouse=True)
def test_plugins():
    with extra_plugins(EXTRA_PLUGINS):
        yield


@pytest.fixture(scope="package")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("synthetic")
