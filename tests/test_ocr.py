"""The typed OCR node (:class:`phibench.ocr.OcrSettings`): how it is spelled, found and checked.

A plugin names its engine in a field typed ``OcrSettings`` (``detector.ocr.name=rapidocr
'+detector.ocr.params.K=V'``); the plan finds every such field by its type, whatever its name, and
checks it against the engine's own ``Params`` on the driver. The old spelling (``ocr=NAME`` plus
``ocr_params``) is refused with the new keys; stored configs of old runs still re-score.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from phibench import worker
from phibench.detector import Detector
from phibench.exceptions import ConfigError, UnknownPluginError
from phibench.ocr import OcrEngine, OcrSettings, TextBox, UsesOcrEngine, ocr_field, ocr_fields
from phibench.plan import validate
from phibench.records import Detection
from phibench.registry import Register, Registry, default_registry
from phibench.run import execute, report
from tests.helpers import compose_run, phibench, synthetic_overrides

QUIET = ["run.progress=false", "reporters=[json]"]


@dataclass(frozen=True)
class CountParams:
    scale: int = 1
    """Only here to be checked."""


class CountingEngine(OcrEngine):
    """A test engine: reads nothing, counts its set-ups."""

    Params = CountParams
    setups = 0

    def setup(self) -> None:
        type(self).setups += 1

    def read(self, image: np.ndarray) -> list[TextBox]:
        return []


@dataclass(frozen=True)
class TwoReadersParams:
    """A plugin with two engines, neither in a field named ``ocr``."""

    threshold: float = 0.5
    reader: OcrSettings = ocr_field("counting")
    second: OcrSettings = ocr_field("rapidocr")


class TwoReaders(UsesOcrEngine, Detector):
    Params = TwoReadersParams

    def detect(self, frame: Any) -> Detection:
        return Detection(False, ())


@pytest.fixture
def registry(monkeypatch) -> Registry:
    """The installed plugins plus ``detector=two_readers`` and ``ocr=counting``, also in the
    worker's registry, with a fresh per-process plugin cache."""
    reg = Registry(entries={kind: dict(found) for kind, found in default_registry().entries.items()})
    Register(reg, "ocr", "tests", "(tests)").add("counting", CountingEngine)
    Register(reg, "detector", "tests", "(tests)").add("two_readers", TwoReaders)
    monkeypatch.setattr(worker, "default_registry", lambda: reg)
    monkeypatch.setattr(worker, "_instances", {})
    monkeypatch.setattr(worker, "_loads", Counter())
    CountingEngine.setups = 0
    return reg


def config(detector: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"detector": detector, "dataset": {"name": "synthetic"}, "executor": {"name": "inline"}, **more}


# -- the type ---------------------------------------------------------------------------------


def test_settings_are_immutable_and_fields_are_found_by_type():
    s = OcrSettings("rapidocr", {"det_limit_type": "max"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.name = "easyocr"  # type: ignore[misc]
    assert dataclasses.replace(s, name="easyocr") == OcrSettings("easyocr", {"det_limit_type": "max"})
    assert ocr_fields(TwoReadersParams) == ["reader", "second"]
    assert ocr_fields(TwoReadersParams()) == ["reader", "second"]
    assert ocr_fields(CountParams) == [] and ocr_fields(None) == []
    from phibench_plugins.detectors.local import LocalParams
    from phibench_plugins.detectors.presidio.params import PresidioParams
    from phibench_plugins.redactors.presidio import PresidioRedactorParams

    assert ocr_fields(LocalParams) == ["ocr"] and ocr_fields(PresidioRedactorParams) == ["ocr"]
    assert PresidioParams().ocr == OcrSettings("presidio_tesseract")


def test_the_engine_is_found_by_field_type_not_by_name(registry):
    det = TwoReaders(registry.get("detector", "two_readers").validate(
        {"reader": {"params": {"scale": 3}}}))
    engine = det.engine
    assert isinstance(engine, CountingEngine) and engine.params == CountParams(scale=3)
    assert engine.name == "counting" and CountingEngine.setups == 1


# -- spelling on the command line -------------------------------------------------------------


def test_the_new_spellings_on_the_command_line_give_the_same_spec():
    one = validate(compose_run("detector=local", "detector.ocr.name=rapidocr",
                               "+detector.ocr.params.det_limit_type=max"), default_registry())
    whole = validate(compose_run("detector=local", "+detector.ocr={name: rapidocr, params: {det_limit_type: max}}"),
                     default_registry())
    assert one.specs["detector"] == whole.specs["detector"]
    assert one.resolved["detector"]["ocr"] == {"name": "rapidocr", "params": {"det_limit_type": "max"}}
    assert validate(compose_run("detector=local"), default_registry()).resolved["detector"]["ocr"] == {
        "name": "rapidocr", "params": {}}


@pytest.mark.parametrize(("overrides", "says"), [
    (["detector=local", "detector.ocr=rapidocr"], "detector.ocr=rapidocr is now detector.ocr.name=rapidocr"),
    (["detector=local", "+detector.ocr_params.upscale=2"], "detector.ocr_params.K=V is now +detector.ocr.params.K=V"),
    (["redactor=easyocr", "redactor.ocr=rapidocr"], "redactor.ocr=rapidocr is now redactor.ocr.name=rapidocr"),
    (["detector=presidio", "detector.ocr=easyocr"], "detector.ocr=easyocr is now detector.ocr.name=easyocr"),
    (["detector=ocr_llm", "+detector.ocr_params.mag_ratio=2"], "is now +detector.ocr.params.K=V"),
    (["detector=local", "+detector.ocr={name: rapidocr, upscale: 2}"], "+detector.ocr.params.upscale=V"),
])
def test_the_old_spelling_is_refused_naming_the_new_keys(overrides, says):
    with pytest.raises(ConfigError) as err:
        validate(compose_run(*overrides), default_registry())
    assert says in str(err.value)


def test_the_old_spelling_is_refused_by_the_cli_before_anything_runs(tmp_path):
    out = phibench("run", "detector=local", "detector.ocr=rapidocr", f"hydra.run.dir={tmp_path}/r")
    assert out.returncode == 2 and "detector.ocr.name=rapidocr" in out.stderr
    assert not (tmp_path / "r" / "results.parquet").exists()


# -- checked on the driver --------------------------------------------------------------------


@pytest.mark.parametrize(("given", "says"), [
    ({"ocr": {"name": "easyocr", "params": {"mag_ratoi": 2}}}, "ocr.params of engine 'easyocr': Key 'mag_ratoi'"),
    ({"ocr": {"name": "rapidocr", "params": {"det_limit_side_len": "wide"}}}, "det_limit_side_len"),
])
def test_a_bad_engine_parameter_fails_on_the_driver_naming_the_key(given, says):
    with pytest.raises(ConfigError) as err:
        validate(config({"name": "local", **given}), default_registry())
    assert says in str(err.value) and "Parameters it takes" in str(err.value)


def test_an_unknown_engine_fails_on_the_driver_listing_the_known_ones():
    with pytest.raises(UnknownPluginError, match="rapidocr"):
        validate(config({"name": "local", "ocr": {"name": "rapiddocr"}}), default_registry())
    # Presidio's own Tesseract is no registered engine: its field says so, and Presidio checks it
    assert validate(config({"name": "presidio"}), default_registry()).resolved["detector"]["ocr"]["name"] == (
        "presidio_tesseract")


def test_every_ocr_settings_field_is_checked_whatever_its_name(registry):
    ok = validate(config({"name": "two_readers", "reader": {"params": {"scale": 2}}}), registry)
    assert ok.specs["detector"].params["second"] == {"name": "rapidocr", "params": {}}
    with pytest.raises(ConfigError, match="detector 'two_readers': reader.params of engine 'counting'"):
        validate(config({"name": "two_readers", "reader": {"params": {"scale": "big"}}}), registry)
    with pytest.raises(ConfigError, match="second.params of engine 'rapidocr': Key 'nope'"):
        validate(config({"name": "two_readers", "second": {"params": {"nope": 1}}}), registry)
    with pytest.raises(UnknownPluginError, match="nope"):
        validate(config({"name": "two_readers", "second": {"name": "nope"}}), registry)
    with pytest.raises(ConfigError, match="detector.second=easyocr is now detector.second.name=easyocr"):
        validate(config({"name": "two_readers", "second": "easyocr"}), registry)


# -- end to end -------------------------------------------------------------------------------


def test_new_spelling_end_to_end_with_rapidocr_shared_by_detector_and_redactor(tmp_path, monkeypatch):
    """``detector=local`` and ``redactor=easyocr`` on RapidOCR with the same parameters: one model
    per process, and each frame read once for both stages."""
    from phibench_plugins.ocr.rapidocr_engine import RapidOcrEngine

    monkeypatch.setattr(worker, "_instances", {})
    monkeypatch.setattr(worker, "_loads", Counter())
    reads: list[int] = []
    real = RapidOcrEngine.read
    monkeypatch.setattr(RapidOcrEngine, "read", lambda self, image: reads.append(1) or real(self, image))
    cfg = compose_run("detector=local", "detector.ocr.name=rapidocr", "+detector.ocr.params.det_limit_type=max",
                      "redactor=easyocr", "redactor.ocr.name=rapidocr", "+redactor.ocr.params.det_limit_type=max",
                      "redactor.verify=false", "executor=inline", *synthetic_overrides(tmp_path / "data", 2),
                      *QUIET)
    sc = execute(cfg, tmp_path / "run")
    assert sc["samples"] == 2 and sc["confusion"]["errors"] == 0
    want = {"name": "rapidocr", "params": {"det_limit_type": "max"}}
    assert sc["config"]["detector"]["ocr"] == want and sc["config"]["redactor"]["ocr"] == want
    assert sc["detector"]["ocr"] == "rapidocr"
    assert worker.load_counts()["ocr:rapidocr"] == 1
    assert len(reads) == 2  # two frames, each read once for the detector and the redactor together


def test_a_run_dir_whose_stored_config_has_the_old_spelling_still_rescores(tmp_path):
    """``phibench score`` reads the stored config as data: an old run's ``ocr: NAME`` and
    ``ocr_params`` are never validated again."""
    cfg = compose_run("detector=flag_all", "executor=inline", *synthetic_overrides(tmp_path / "data", 4), *QUIET)
    before = execute(cfg, tmp_path / "run")
    meta_path = tmp_path / "run" / "run_meta.json"
    meta = json.loads(meta_path.read_text())
    meta["config"]["detector"] = {"name": "local", "ocr": "easyocr", "ocr_params": {"mag_ratio": 1.5}}
    meta["config"]["redactor"] = {"name": "easyocr", "ocr": "easyocr", "ocr_params": {}}
    meta_path.write_text(json.dumps(meta))
    after = report(tmp_path / "run")
    assert after["config"]["detector"]["ocr_params"] == {"mag_ratio": 1.5}
    assert after["confusion"] == before["confusion"]
