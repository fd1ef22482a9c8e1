"""Shared fixtures: real DICOM corpora only."""

from __future__ import annotations

from pathlib import Path

import pydicom.data
import pytest


@pytest.fixture(scope="session")
def pydicom_test_dir() -> Path:
    """``pydicom/data/test_files``: real, odd DICOM files shipped in the pydicom wheel."""
    return Path(pydicom.data.__file__).parent / "test_files"
