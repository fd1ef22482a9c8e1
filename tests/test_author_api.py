"""The plugin author's front door: ``phibench`` exports every base class, record and helper of
the contract, loads them lazily, and ``import phibench`` itself pulls in nothing heavy."""

from __future__ import annotations

import subprocess
import sys

import phibench


def test_every_exported_name_resolves_to_the_class_the_core_uses():
    from phibench.detector import Detector
    from phibench.records import Detection
    from phibench.registry import Register

    assert phibench.Detector is Detector and phibench.Detection is Detection and phibench.Register is Register
    for name in phibench.__all__:
        assert getattr(phibench, name) is not None, name
    assert set(phibench.__all__) <= set(dir(phibench))


def test_importing_phibench_stays_cheap():
    code = ("import sys, phibench; heavy = [m for m in ('numpy', 'pandas', 'pydicom', 'torch', 'pyspark') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_unknown_name_is_an_attribute_error():
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'Detektor'"):
        phibench.Detektor  # noqa: B018
