import os
import subprocess
import sys
from dataclasses import dataclass

import pytest

from phibench import hookimpl, hookspecs
from phibench.detector import Detector
from phibench.exceptions import ConfigError, PluginError, UnknownPluginError
from phibench.records import Detection
from phibench.registry import KINDS, build_registry, default_registry, plugin_manager

BUILT_INS = {
    "detector": {"flag_all", "flag_none", "local", "presidio", "ocr_llm", "gpt4o", "claude"},
    "dataset": {"synthetic", "folder"},
    "executor": {"inline"},
    "reporter": {"json", "markdown", "html", "terminal"},
    "ocr": {"easyocr", "tesseract", "rapidocr", "ensemble"},
    "redactor": {"easyocr", "presidio"},
}


def test_built_ins_register_through_the_entry_point_group():
    registry = default_registry()
    for kind, names in BUILT_INS.items():
        assert names <= set(registry.names(kind)), kind
        for name in names:
            entry = registry.get(kind, name)
            assert entry.distribution.startswith("phibench "), entry
            assert entry.plugin.startswith("builtin_")


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(UnknownPluginError) as info:
        default_registry().get("detector", "gpt5")
    assert "flag_all" in str(info.value) and "local" in str(info.value)
    assert "phibench plugins" in str(info.value)


def test_params_are_validated_against_the_plugin_schema():
    with pytest.raises(ConfigError, match="root"):
        default_registry().build("dataset", "folder", {"rot": "/tmp"})
    with pytest.raises(ConfigError):
        default_registry().build("dataset", "synthetic", {"n": "many"})


class Twice:
    @hookimpl
    def phibench_register_detectors(self, register):
        @dataclass
        class Params:
            pass

        class Other(Detector):
            def detect(self, frame):
                return Detection(has_phi=True)

        register.add("flag_all", Other)


def test_a_name_registered_twice_is_an_error_naming_both():
    with pytest.raises(PluginError, match="registered twice"):
        build_registry(plugin_manager(extra=[Twice()]))


def test_every_hook_is_documented_and_mapped_to_a_kind():
    hooks = [n for n in dir(hookspecs) if n.startswith("phibench_")]
    assert sorted(hooks) == sorted([*KINDS.values(), "phibench_config_dirs"])  # plus the configs a plugin ships
    for name in hooks:
        assert (getattr(hookspecs, name).__doc__ or "").strip(), name
        assert name in (hookspecs.__doc__ or "") or name.removeprefix("phibench_") in hookspecs.__doc__


def test_a_plugin_can_be_blocked_by_entry_point_name():
    code = "from phibench.registry import default_registry as r; print(sorted(r().names('reporter')))"
    env = {**os.environ, "PHIBENCH_BLOCK_PLUGINS": "builtin_reporters"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
