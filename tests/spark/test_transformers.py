"""The DataFrame API: PhiDetector / detect_phi over a column of DICOM paths."""

from __future__ import annotations

import json

import pytest

from phibench.exceptions import ConfigError, UnknownPluginError
from phibench.spark import PhiDetector, detect_phi
from tests.spark.plugin import answer


@pytest.fixture(scope="module")
def files(spark, pydicom_test_dir):
    paths = sorted(str(p) for p in pydicom_test_dir.rglob("*") if p.is_file() and not p.name.startswith("."))
    return spark.createDataFrame([(i, p) for i, p in enumerate(paths)], "id int, path string")


def test_every_row_comes_back_with_detection_columns(files):
    out = PhiDetector(detector="hash_flag", detectorParams={"salt": "t"}).transform(files)
    assert out.columns == ["id", "path", "has_phi", "entities", "error", "usage"]
    df = out.toPandas().sort_values("id")
    assert df["id"].tolist() == list(range(files.count()))
    failed, answered = df[df["error"].notna()], df[df["error"].isna()]
    assert failed["has_phi"].isna().all() and answered["has_phi"].notna().all()
    assert len(failed) > 20 and len(answered) > len(failed)
    assert failed["error"].str.match(r"^(frame \d+: )?(read|decode|render): ").all()
    for row in answered.itertuples():
        entities = json.loads(row.entities)
        assert all(e["category"] == "ID" and "frame" in e for e in entities)
        assert bool(entities) == row.has_phi
    assert {"input_tokens", "output_tokens", "latency_s", "cpu_s", "cost_usd"} == set(df["usage"].iloc[0])


def test_a_multi_frame_file_is_phi_if_any_frame_is(spark, pydicom_test_dir):
    path = str(pydicom_test_dir / "rtdose.dcm")  # 15 frames
    df = spark.createDataFrame([(path,)], "path string")
    row = PhiDetector(detector="hash_flag").transform(df).toPandas().iloc[0]
    frames = [answer(f"0#{f}") for f in range(15)]  # a worker's sample ids are row#frame
    assert row["has_phi"] == True and any(frames) and not all(frames)  # noqa: E712
    assert sorted({e["frame"] for e in json.loads(row["entities"])}) == [f for f in range(15) if frames[f]]
    one = spark.createDataFrame([(path, 3)], "path string, frame int")
    row3 = PhiDetector(detector="hash_flag", frameCol="frame").transform(one).toPandas().iloc[0]
    assert row3["has_phi"] == answer("0#3")


def test_missing_file_is_an_error_not_a_negative(spark, tmp_path):
    df = spark.createDataFrame([(str(tmp_path / "nope.dcm"),), (None,)], "path string")
    out = detect_phi(df, "flag_none").toPandas()
    assert out["has_phi"].isna().all() and out["error"].str.startswith("read: ").all()


def test_plugin_and_columns_are_checked_on_the_driver(files):
    with pytest.raises(UnknownPluginError, match="flag_all"):
        PhiDetector(detector="nope").transform(files)
    with pytest.raises(ConfigError, match="sleep_s"):
        PhiDetector(detector="hash_flag", detectorParams={"sleep": 1}).transform(files)
    with pytest.raises(ValueError, match="inputCol"):
        PhiDetector(inputCol="file", detector="flag_all").transform(files)
    with pytest.raises(ValueError, match="has_phi"):
        PhiDetector(detector="flag_all").transform(files.withColumnRenamed("id", "has_phi"))


def test_a_detector_stage_saves_and_loads(tmp_path):
    stage = PhiDetector(inputCol="file", detector="hash_flag", detectorParams={"sleep_s": 0.5}, batchSize=2)
    stage.write().save(str(tmp_path / "stage"))
    loaded = PhiDetector.load(str(tmp_path / "stage"))
    assert loaded.getInputCol() == "file" and loaded.getOrDefault("detector") == "hash_flag"
    assert json.loads(loaded.getOrDefault("pluginParams")) == {"sleep_s": 0.5}
    assert loaded.pipeline_spec().batch_size == 2
