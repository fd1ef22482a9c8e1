"""How phibench configures Spark, checked without starting it; and the executor's config node."""

from __future__ import annotations

import inspect
import logging
from dataclasses import fields
from types import SimpleNamespace

import pytest
from pyspark import SparkContext
from pyspark.sql import SparkSession

from phibench.exceptions import ConfigError
from phibench.registry import default_registry
from phibench.run import plan
from phibench.spark import session
from phibench.spark.executor import SparkExecutor
from phibench.spark.session import (
    SessionParams,
    _settings,
    resolve_master,
    session_for,
    spark_session,
    usable_cores,
)
from tests.helpers import compose_run

CORES = usable_cores()


@pytest.mark.parametrize("master, threads, expected", [
    ("local[*]", 1, f"local[{CORES},4]"),
    ("local[*]", 2, f"local[{max(1, CORES // 2)},4]"),
    ("local", 1, "local[1,4]"),
    ("local[3]", 1, "local[3,4]"),
    ("local[3, 2]", 1, "local[3,2]"),
    ("spark://head:7077", 1, "spark://head:7077"),
    ("yarn", 1, "yarn"),
])
def test_local_masters_get_retries_and_one_worker_per_threads(master, threads, expected):
    assert resolve_master(master, threads_per_worker=threads, max_failures=4) == expected


def test_settings_limit_threads_forward_plugins_and_keep_spark_quiet(monkeypatch):
    monkeypatch.setenv("PHIBENCH_BLOCK_PLUGINS", "x")
    s = _settings("local[2]", 3, 5, False, "ERROR", None,
                  {"spark.executor.memory": "4g", "spark.driver.extraJavaOptions": "-Dx=1"}, "phibench")
    assert s["spark.master"] == "local[2,5]" and s["spark.task.maxFailures"] == "5"
    assert s["spark.executorEnv.OMP_NUM_THREADS"] == "3" == s["spark.executorEnv.MKL_NUM_THREADS"]
    assert s["spark.executorEnv.PHIBENCH_BLOCK_PLUGINS"] == "x"
    assert s["spark.ui.enabled"] == "false" and s["spark.ui.showConsoleProgress"] == "false"
    assert s["spark.executor.memory"] == "4g"
    java = s["spark.driver.extraJavaOptions"]
    assert "-Dlog4j2.configurationFile=file:" in java and java.endswith("-Dx=1")
    log4j = java.split("file:", 1)[1].split()[0]
    assert "rootLogger.level = error" in open(log4j).read()
    assert _settings("spark://h:1", 1, 4, True, "WARN", "/py", {}, "a")["spark.ui.enabled"] == "true"


def test_existing_needs_an_active_session(monkeypatch):
    monkeypatch.setattr(SparkSession, "getActiveSession", classmethod(lambda cls: None))
    with pytest.raises(ConfigError, match="no Spark session is active"):
        spark_session("existing")


def test_a_session_phibench_did_not_start_is_never_replaced(monkeypatch):
    monkeypatch.setattr(SparkContext, "_active_spark_context", SimpleNamespace(master="yarn"))
    monkeypatch.setattr(session, "_owned", None)
    with pytest.raises(ConfigError, match="executor.master=existing"):
        spark_session("local[1]")


def test_spark_is_an_executor_with_a_config_node_and_conf_passthrough():
    cfg = compose_run("executor=spark", "executor.conf={spark.executor.memory:2g,spark.sql.shuffle.partitions:3}",
                      "detector=flag_all", "dataset=folder", "dataset.root=/x")
    spec = plan(cfg, default_registry()).specs["executor"]
    assert spec.name == "spark" and spec.params["master"] == "local[*]"
    assert spec.params["conf"] == {"spark.executor.memory": "2g", "spark.sql.shuffle.partitions": "3"}


def test_the_session_settings_have_one_definition(monkeypatch):
    """``spark_session``'s defaults are :class:`SessionParams`'; the executor's Params extend them
    and reach ``spark_session`` whole."""
    defaults = {f.name: f.default for f in fields(SessionParams)}
    signature = inspect.signature(spark_session).parameters
    assert {name: signature[name].default for name in defaults} == defaults
    assert issubclass(SparkExecutor.Params, SessionParams)
    seen = {}
    monkeypatch.setattr(session, "spark_session", lambda master, **kw: seen.update(master=master, **kw))
    p = SparkExecutor.Params(workers=2, threads_per_worker=3, conf={"spark.x": "1"}, ui=True)
    session_for(p, SparkExecutor(p).master())
    assert seen == {**defaults, "master": "local[2]", "threads_per_worker": 3, "ui": True, "conf": {"spark.x": "1"}}


def test_a_second_run_in_the_process_reuses_the_session_and_says_what_its_start_cost(spark, caplog):
    from phibench.spark import session as sessions

    caplog.set_level(logging.INFO, logger="phibench.spark.session")
    again = sessions.spark_session("local[2]")
    assert again is spark
    (line,) = [r.getMessage() for r in caplog.records if "reusing" in r.getMessage()]
    took = float(line.split("its start took ")[1].split(" s")[0])
    assert took == round(sessions._started[0], 1) and took > 0
