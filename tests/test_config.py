"""Every shipped config composes and validates; overrides reach the plugins' params."""

from __future__ import annotations

import re

import pytest
from omegaconf import OmegaConf

from phibench.config import PLUGIN_GROUPS, shipped_configs
from phibench.exceptions import ConfigError
from phibench.registry import default_registry
from phibench.run import plan
from tests.helpers import compose_run, phibench


def shipped(group: str) -> list[str]:
    return sorted(c.name for c in shipped_configs(default_registry()) if c.group == group)


@pytest.mark.parametrize(("group", "name"), [(g, n) for g in PLUGIN_GROUPS for n in shipped(g)])
def test_each_shipped_option_composes_and_validates(group, name):
    overrides = [f"{group}={name}"]
    if group == "dataset" and name == "folder":
        overrides.append("dataset.root=/tmp")
    if group == "detector" and name in ("llama4_maverick", "openai_compatible"):
        with pytest.raises(ConfigError, match="base_url is required"):  # ``???``: mandatory
            plan(compose_run(*overrides), default_registry())
        overrides.append("detector.base_url=http://127.0.0.1:9/v1")
    p = plan(compose_run(*overrides), default_registry())
    assert p.specs[group].name == name
    assert p.resolved[group]["name"] == name


def test_each_shipped_yaml_names_a_registered_plugin_of_its_group():
    registry = default_registry()
    configs = [c for c in shipped_configs(registry) if c.group in PLUGIN_GROUPS]
    assert {c.group for c in configs} == set(PLUGIN_GROUPS) and all("phibench" in c.source for c in configs)
    for c in configs:
        assert OmegaConf.load(c.path).get("name", c.name) == c.name
        registry.get(c.group, c.name)


def test_overrides_reach_plugin_params_and_defaults_are_resolved():
    p = plan(compose_run("detector=local", "detector.min_score=0.7", "dataset.n=7"), default_registry())
    assert p.specs["detector"].params["min_score"] == 0.7
    assert p.specs["dataset"].params["n"] == 7
    assert p.resolved["run"]["price_per_core_hour_usd"] > 0


def test_wrong_types_fail_on_the_driver():
    with pytest.raises(ConfigError, match="min_score"):
        plan(compose_run("detector=local", "detector.min_score=high"), default_registry())


def test_top_level_schema_rejects_unknown_keys_and_wrong_types():
    with pytest.raises(Exception, match="batchsize"):
        compose_run("run.batchsize=3")
    with pytest.raises(Exception, match="batch_size"):
        compose_run("run.batch_size=abc")
    with pytest.raises(ConfigError, match="batchsize"):  # forced in with +: caught by plan()
        plan(compose_run("+run.batchsize=3"), default_registry())


def test_cfg_job_prints_the_composed_config_without_running(tmp_path):
    out = phibench("run", "--cfg", "job", "detector=flag_all", f"hydra.run.dir={tmp_path}/r")
    assert out.returncode == 0, out.stderr
    cfg = OmegaConf.create(out.stdout)
    assert cfg.detector.name == "flag_all" and cfg.dataset.name == "synthetic"
    assert not (tmp_path / "r").exists()


def test_redaction_is_off_by_default_and_one_override_turns_it_on():
    assert "redactor" not in plan(compose_run(), default_registry()).specs
    p = plan(compose_run("redactor=easyocr", "redactor.mode=entities", "redactor.fill=background"),
             default_registry())
    assert p.specs["redactor"].params["mode"] == "entities"
    assert p.resolved["redactor"]["fill"] == "background"


@pytest.mark.parametrize(("key", "value"), [("mode", "boxes"), ("fill", "pink"), ("transfer_syntax", "jpeg"),
                                            ("padding", "-1")])
def test_impossible_redaction_settings_fail_on_the_driver(key, value):
    with pytest.raises(ConfigError, match=key):
        plan(compose_run("redactor=easyocr", f"redactor.{key}={value}"), default_registry())


def test_the_report_node_is_typed_and_the_old_show_phi_key_says_where_it_went():
    p = plan(compose_run("report.show_phi=true", "report.gallery_cases=3"), default_registry())
    assert p.resolved["report"] == {"show_phi": True, "gallery_cases": 3, "listed_cases": 50}
    with pytest.raises(Exception, match="gallery_cases"):
        compose_run("report.gallery_cases=many")
    with pytest.raises(ConfigError, match="report.gallery_cases must be 0 or more"):
        plan(compose_run("report.gallery_cases=-1"), default_registry())
    with pytest.raises(ConfigError, match="is now report.show_phi"):
        plan(compose_run("+run.show_phi=true"), default_registry())
    assert plan(compose_run(), default_registry()).resolved["report"]["show_phi"] is False


def test_each_shipped_preset_states_only_what_differs_from_its_plugin_defaults():
    from phibench.config import plugin_defaults

    registry = default_registry()
    for c in shipped_configs(registry):
        if c.group not in PLUGIN_GROUPS:
            continue
        defaults = plugin_defaults(registry.get(c.group, c.name))
        given = OmegaConf.to_container(OmegaConf.load(c.path))
        restated = [k for k, v in given.items() if k != "name" and defaults.get(k, object()) == v]
        assert not restated, f"{c.group}/{c.name}.yaml restates defaults: {restated}"


def test_a_user_preset_folder_wins_and_a_preset_of_no_plugin_is_refused(tmp_path, monkeypatch):
    from phibench.config import register_configs
    from phibench.exceptions import PluginError

    (tmp_path / "detector").mkdir()
    (tmp_path / "detector" / "local.yaml").write_text("min_score: 0.8\n")
    monkeypatch.setenv("PHIBENCH_CONFIG_DIR", str(tmp_path))
    cfg = compose_run("detector=local")
    assert cfg.detector.min_score == 0.8 and cfg.detector.ocr.name == "rapidocr"  # the rest: the defaults
    (tmp_path / "detector" / "nobody.yaml").write_text("x: 1\n")
    with pytest.raises(PluginError, match="no installed plugin registers"):
        register_configs(default_registry())


@pytest.mark.parametrize(("item", "says"), [
    ("run.yaml", "+experiment=NAME"),
    ("prompts/mine.yaml", "detector.prompt=/path/to/prompt.yaml"),
    ("pricing.yaml", "detector.pricing_file="),
    ("detectors/local.yaml", "detectors/ is no config group"),
    ("local.yaml", "e.g. detector/local.yaml"),
    ("detector/local.yml", "detector/local.yml: only .yaml files are read"),
])
def test_what_a_user_config_folder_would_not_read_is_refused_not_ignored(item, says, tmp_path, monkeypatch):
    from phibench.config import shipped_configs
    from phibench.exceptions import PluginError

    (tmp_path / item).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / item).write_text("name: local\n")
    monkeypatch.setenv("PHIBENCH_CONFIG_DIR", str(tmp_path))
    with pytest.raises(PluginError, match=re.escape(says)):
        shipped_configs(default_registry())
    out = phibench("run", "detector=flag_none", f"hydra.run.dir={tmp_path}/r",
                   env={"PHIBENCH_CONFIG_DIR": str(tmp_path)})
    assert out.returncode == 2 and says in out.stderr and "Traceback" not in out.stderr


def test_a_user_config_folder_that_does_not_exist_is_refused(tmp_path, monkeypatch):
    from phibench.config import shipped_configs
    from phibench.exceptions import PluginError

    monkeypatch.setenv("PHIBENCH_CONFIG_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(PluginError, match="is not a folder"):
        shipped_configs(default_registry())


def test_a_reporter_parameter_that_looks_like_a_secret_is_refused():
    with pytest.raises(ConfigError, match="'token' looks like a secret"):
        plan(compose_run("reporters=[json,{name: mlflow, token: abc}]"), default_registry())
    with pytest.raises(ConfigError, match="looks like a secret"):
        plan(compose_run("reporters=[{name: mlflow, log_results: 'https://u:pw@host/x'}]"), default_registry())


def test_the_old_show_phi_key_says_where_it_went_on_the_command_line(tmp_path):
    out = phibench("run", "run.show_phi=true", f"hydra.run.dir={tmp_path}/r")
    assert out.returncode == 2 and "run.show_phi is now report.show_phi" in out.stderr
