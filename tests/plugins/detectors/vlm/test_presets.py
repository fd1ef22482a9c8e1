"""The shipped VLM detectors are presets: a protocol's class registered under a name with defaults,
no code of their own; and the cache keys of runs recorded before the detectors were composed still replay."""

from __future__ import annotations

import dataclasses
import json
import pickle

import numpy as np
import pytest
from omegaconf import MISSING, OmegaConf

from phibench.exceptions import ConfigError, PluginError

from phibench.frame import Frame
from phibench.ocr import TextBox
from phibench.records import Sample
from phibench.registry import default_registry
from phibench_plugins.detectors.local import build_lines
from phibench_plugins.detectors.vlm import PRESETS, AnthropicMessages, OpenAIChat, VlmDetector
from phibench_plugins.detectors.vlm.detector import AnthropicMessagesDetector, OpenAIChatDetector
from phibench_plugins.detectors.vlm.cache import ResponseCache
from tests.helpers import compose_run
from tests.plugins.detectors.vlm.conftest import PHI_ANSWER

RECORDED_KEYS = {
    "gpt4o": "4d7e2689f795e7611fe8639a4c011bf4332aa269aa0be1ed9c57aaf93b08ba20",
    "claude": "e7ea8ebeea61157c14ada66ba078fd2bdfac786eeadb0a7ef474aee085b4437e",
    "llama4_maverick": "82b07ba66969a9b8bcf404f47de40d107565b5e53152dd3301a1c79c8137a7af",
    "openai_compatible": "43881ee1374bb4d2f3291c14f88fa4c6f1f75266bff77eb80c1bea2b0de7c796",
    "ocr_llm": "9a6fca1ed0d898e9689e62c26282bbb5ee736903c854d62c7fd6a630a849127f",
}
"""The cache key of :func:`frame` under each shipped config with base_url http://127.0.0.1:9/v1,
computed by the detectors as they were before the transport/protocol split (the four-level
class chain): a key that changes would make every recorded run miss on replay."""
OCR_LINES = ["PATIENT DOE^JANE", "kVp 120"]
"""What the OCR reads in :func:`frame` for the ``ocr_llm`` key (its key is the text's hash)."""


def frame() -> Frame:
    pixels = (np.arange(96 * 128).reshape(96, 128) % 251).astype(np.uint8)
    return Frame(Sample("g", "/g.dcm"), pixels)


def shipped(name: str) -> dict:
    node = OmegaConf.to_container(compose_run(f"detector={name}").detector)
    node.pop("name")
    return node


class FakeEngine:
    def describe(self) -> dict:
        return {"engine": "fake"}


@pytest.mark.parametrize("name", sorted(RECORDED_KEYS))
def test_responses_recorded_before_the_split_replay(name, tmp_path, monkeypatch):
    for env in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "DATABRICKS_TOKEN"):
        monkeypatch.delenv(env, raising=False)  # a replay needs no key
    entry = {"text": PHI_ANSWER, "finish": "stop", "endpoint": "http://127.0.0.1:9/v1",
             "usage": {"input": 321, "output": 12}}
    ResponseCache(tmp_path / "cache").put(RECORDED_KEYS[name], entry)
    params = {**shipped(name), "base_url": "http://127.0.0.1:9/v1", "cache": "replay",
              "cache_root": str(tmp_path)}
    params["model"] = params["model"] or "gpt-4o-mini"
    det = default_registry().build("detector", name, params)
    if name == "ocr_llm":
        boxes = [TextBox((10, 10 + 30 * i, 80, 12), t, 0.9) for i, t in enumerate(OCR_LINES)]
        lines = build_lines(boxes, 2.5)
        det._engine, det.lines = FakeEngine(), lambda f: lines
        assert det.ocr_text(frame()) == "\n".join(OCR_LINES)
    (d,) = det.detect_many([frame()])
    det.close()
    assert d.error is None and d.has_phi is True and d.attempts == 0, d.error
    assert (d.usage.input_tokens, d.usage.output_tokens) == (321, 12)
    assert d.endpoint == "http://127.0.0.1:9/v1"


@pytest.mark.parametrize("name", sorted(PRESETS) + ["ocr_llm"])
def test_a_detector_built_with_no_parameters_is_its_shipped_config(name):
    """The defaults are the YAML's, so the shipped ``conf/detector/<name>.yaml`` need only say what
    differs (and does: tests/test_config.py)."""
    entry = default_registry().get("detector", name)
    given = {**shipped(name), "base_url": "http://127.0.0.1:9/v1"}
    expected = dataclasses.replace(entry.params_defaults(), base_url="http://127.0.0.1:9/v1")
    assert entry.validate(given) == expected


def test_presets_are_a_protocol_class_registered_with_defaults():
    registry = default_registry()
    assert {n: registry.get("detector", n).cls for n in PRESETS} == {
        "gpt4o": OpenAIChatDetector, "claude": AnthropicMessagesDetector,
        "llama4_maverick": OpenAIChatDetector, "openai_compatible": OpenAIChatDetector}
    for cls, wire in ((OpenAIChatDetector, OpenAIChat), (AnthropicMessagesDetector, AnthropicMessages)):
        code = [k for k, v in vars(cls).items() if callable(v) and not isinstance(v, type)]
        assert cls.__bases__ == (VlmDetector,) and code == [] and cls.wire is wire  # data only
        assert cls.Params is wire.Params  # its config keys' schema is the protocol's
    for name, preset in PRESETS.items():
        entry = registry.get("detector", name)
        assert entry.defaults == preset.defaults
        params = entry.params_defaults()
        assert pickle.loads(pickle.dumps(params)) == params  # travels to a worker as it is


@pytest.mark.parametrize("name", ["llama4_maverick", "openai_compatible"])
def test_an_endpoint_without_a_vendor_default_is_a_mandatory_value(name):
    assert compose_run(f"detector={name}").detector._get_node("base_url")._is_missing()
    with pytest.raises(ConfigError, match=r"base_url is required \(it has no default\)"):
        default_registry().build("detector", name, {"model": "m", "api_key_env": None})


def test_a_new_preset_is_one_line():
    from phibench.registry import Register, Registry

    registry = Registry()
    register = Register(registry, "detector", "mine", "mine 0")
    register.add("mine", OpenAIChatDetector, base_url=MISSING, model="my-model",
                 price_input_per_1m=0.0, price_output_per_1m=0.0)
    det = registry.build("detector", "mine", {"base_url": "http://127.0.0.1:9/v1"})
    assert det.describe()["model"] == "my-model" and det.describe()["protocol"] == "openai_chat"
    assert json.dumps(det.describe())
    with pytest.raises(PluginError, match="no field detail"):
        register.add("bad", AnthropicMessagesDetector, detail="low")  # not the messages API's
    with pytest.raises(PluginError, match="registered twice"):
        register.add("mine", OpenAIChatDetector, model="another-model")
