"""Detector + redactor runs end to end: real EasyOCR, real synthetic DICOMs, real files written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pydicom
import pytest

from phibench.dicom import read_dataset
from phibench.redaction import output_path
from phibench.redaction.geometry import coverage, raster
from phibench.results import ResultStore
from phibench.run import execute
from tests.helpers import compose_run, synthetic_overrides

QUIET = ["run.progress=false", "reporters=[json,markdown]"]
N = 8
"""Files of the main run (some are multi-frame); the policy tests use the first SMALL files."""
SMALL = 3


def run(run_dir: Path, data_dir: Path, *overrides: str, n: int = N) -> tuple[dict, pd.DataFrame]:
    executor = [] if any(o.startswith("executor=") for o in overrides) else ["executor=inline"]
    cfg = compose_run(*synthetic_overrides(data_dir / str(n), n), *QUIET, *executor, *overrides)
    return execute(cfg, run_dir), ResultStore(run_dir).read()


def sha(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def pixel_bytes(path: str | Path) -> bytes:
    return pydicom.dcmread(path)[0x7FE00010].value


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, data_dir):
    """detector=local + redactor=easyocr (defaults: only flagged frames, verified)."""
    run_dir = tmp_path_factory.mktemp("local_easyocr")
    sc, df = run(run_dir, data_dir, "detector=local", "redactor=easyocr")
    inputs_before = {p: sha(p) for p in df["path"].unique()}
    return run_dir, sc, df, inputs_before


@pytest.mark.slow
def test_every_input_gets_one_valid_output_in_the_run_dir(local_run):
    run_dir, sc, df, _ = local_run
    assert df["redaction"].isin(["masked", "untouched"]).all(), df["redact_error"].dropna().tolist()
    per_file = df.groupby("path")["redacted_path"].nunique()
    assert (per_file == 1).all()
    for src, dst in df.groupby("path")["redacted_path"].first().items():
        assert Path(dst).parent == run_dir / "redacted" and Path(dst) != Path(src)
        out, orig = read_dataset(dst), read_dataset(src)
        out.pixel_array  # decodes
        for kw in ("BitsAllocated", "BitsStored", "PixelRepresentation", "Rows", "Columns"):
            assert getattr(out, kw) == getattr(orig, kw), kw
        assert int(getattr(out, "NumberOfFrames", 1) or 1) == int(getattr(orig, "NumberOfFrames", 1) or 1)
    assert sc["redaction"]["files_written"] == df["path"].nunique()


@pytest.mark.slow
def test_only_flagged_frames_change_and_untouched_files_are_copies(local_run):
    _, _, df, _ = local_run
    assert (df["pixels_changed"] == (df["has_phi_pred"] & (df["redaction_boxes"] != "[]"))).all()
    for path, rows in df.groupby("path"):
        dst = rows["redacted_path"].iloc[0]
        if not rows["pixels_changed"].any():
            assert sha(dst) == sha(path)  # byte for byte
        else:
            out = pydicom.dcmread(dst)
            assert out.BurnedInAnnotation == "NO"
            assert out.SOPInstanceUID != pydicom.dcmread(path).SOPInstanceUID
            assert out.file_meta.MediaStorageSOPInstanceUID == out.SOPInstanceUID


@pytest.mark.slow
def test_inputs_are_never_modified(local_run):
    _, _, df, before = local_run
    assert {p: sha(p) for p in df["path"].unique()} == before


@pytest.mark.slow
def test_reocr_finds_none_of_the_phi_the_redactor_claims_to_hide(local_run):
    _, _, df, _ = local_run
    masked = df[df["pixels_changed"]]
    assert len(masked) > 0
    claimed = 0
    for row in masked.itertuples():
        assert isinstance(row.residual_regions, str), row.redact_error
        residual = set(json.loads(row.residual_regions))
        mask = raster([tuple(b) for b in json.loads(row.redaction_boxes)], row.image_width, row.image_height)
        for i, r in enumerate(json.loads(row.truth_regions)):
            if r["is_phi"] and coverage(tuple(r["box"]), mask) >= 0.9:
                claimed += 1
                assert i not in residual, f"{r['category']} region {i} of {row.sample_id} still readable"
    assert claimed > 0


@pytest.mark.slow
def test_scorecard_reports_redaction_quality_with_intervals(local_run):
    run_dir, sc, df, _ = local_run
    red = sc["redaction"]
    for name in ("phi_regions_hidden", "phi_regions_covered", "negatives_retained", "nonphi_regions_masked"):
        m = red["metrics"][name]
        assert {"value", "ci_low", "ci_high", "k", "n"} <= set(m)
    negatives = df[~df["has_phi_true"]]
    assert red["metrics"]["negatives_retained"]["n"] == len(negatives)
    assert red["metrics"]["phi_regions_covered"]["n"] == sum(
        r["is_phi"] for t in df["truth_regions"] for r in json.loads(t)
    )
    assert "## Redaction" in (run_dir / "scorecard.md").read_text()


@pytest.mark.slow
def test_redact_every_image_masks_text_of_frames_the_detector_passed(tmp_path, data_dir):
    sc, df = run(tmp_path, data_dir, "detector=flag_none", "redactor=easyocr",
                 "redactor.redact_even_if_undetected=true", "redactor.verify=false", "redactor.fill=background",
                 n=SMALL)
    assert (df["redaction_reason"] == "every image").all()
    with_text = df[df["truth_regions"].map(lambda t: len(json.loads(t)) > 0)]
    assert with_text["pixels_changed"].mean() > 0.8
    assert df["residual_regions"].isna().all()  # verify=false: nothing claimed


@pytest.mark.slow
def test_a_failed_detection_is_redacted_anyway_by_default(tmp_path, data_dir):
    sc, df = run(tmp_path, data_dir, "detector=always_fails", "redactor=easyocr", "redactor.verify=false",
                 n=SMALL)
    assert df["has_phi_pred"].isna().all() and df["error_stage"].eq("detect").all()
    assert df["redaction_reason"].str.contains("fail closed").all()
    assert df.loc[df["truth_regions"] != "[]", "pixels_changed"].any()


def test_fail_closed_redaction_can_be_turned_off(tmp_path, data_dir):
    sc, df = run(tmp_path, data_dir, "detector=always_fails", "redactor=easyocr",
                 "redactor.redact_on_error=false", n=SMALL)
    assert not df["pixels_changed"].any()
    assert df["redaction_reason"].str.contains("redact_on_error=false").all()


def test_a_broken_redactor_writes_nothing_and_keeps_the_detections(tmp_path, data_dir):
    sc, df = run(tmp_path, data_dir, "detector=flag_all", "redactor=broken", n=SMALL)
    assert df["has_phi_pred"].all()  # detection results survive
    assert (df["redaction"] == "failed").all() and df["redacted_path"].isna().all()
    assert df["redact_error"].str.contains("no boxes today").all()
    assert not any((tmp_path / "redacted").glob("*.dcm"))
    assert sc["redaction"]["files_failed"] == df["path"].nunique()


@pytest.mark.slow
def test_entity_mode_masks_less_than_all_text_and_still_hides_the_phi(tmp_path, data_dir, local_run):
    _, all_sc, all_df, _ = local_run
    sc, df = run(tmp_path, data_dir, "detector=local", "redactor=easyocr", "redactor.mode=entities",
                 "redactor.transfer_syntax=lossless")
    both = df.merge(all_df, on="sample_id", suffixes=("", "_all"))
    boxes = both["redaction_boxes"].map(lambda t: len(json.loads(t) if isinstance(t, str) else []))
    boxes_all = both["redaction_boxes_all"].map(lambda t: len(json.loads(t) if isinstance(t, str) else []))
    assert (boxes <= boxes_all).all() and boxes.sum() < boxes_all.sum()
    red = sc["redaction"]["metrics"]
    assert red["nonphi_regions_masked"]["value"] < all_sc["redaction"]["metrics"]["nonphi_regions_masked"]["value"]
    # only regions an entity located are masked: fewer hidden than all_text, but most of them
    assert 0.5 < red["phi_regions_hidden"]["value"] <= all_sc["redaction"]["metrics"]["phi_regions_hidden"]["value"]
    for dst in df.loc[df["pixels_changed"], "redacted_path"].unique():
        ds = pydicom.dcmread(dst)
        assert ds.file_meta.TransferSyntaxUID in (pydicom.uid.RLELossless, pydicom.uid.ExplicitVRLittleEndian)
        ds.pixel_array


@pytest.mark.slow
def test_spark_workers_redact_too(tmp_path, data_dir):
    sc, df = run(tmp_path, data_dir, "detector=flag_all", "redactor=easyocr", "redactor.verify=false",
                 "executor=spark", "executor.master='local[2]'", n=SMALL)
    assert df["redaction"].isin(["masked", "untouched"]).all(), df["redact_error"].dropna().tolist()
    assert sc["redaction"]["files_written"] == df["path"].nunique()
    for dst in df["redacted_path"].unique():
        pydicom.dcmread(dst).pixel_array


@pytest.mark.slow
def test_detector_and_redactor_on_one_engine_read_each_frame_once(tmp_path, data_dir, monkeypatch):
    from phibench import ocr

    engine = ocr.engine("easyocr", {})  # the per-process instance both stages will get
    calls: list[tuple[int, ...]] = []
    real = engine.read
    monkeypatch.setattr(engine, "read", lambda image: calls.append(image.shape) or real(image))
    sc, df = run(tmp_path, data_dir, "detector=local", "redactor=easyocr",
                 "redactor.redact_even_if_undetected=true", "redactor.verify=false", n=SMALL)
    assert (df["redaction"] == "masked").sum() + (df["redaction"] == "untouched").sum() == len(df)
    assert len(calls) == len(df)  # one OCR per frame, though both stages used it on every frame


@pytest.mark.slow
def test_frames_the_dataset_did_not_plan_are_masked_like_the_flagged_ones(tmp_path, data_dir):
    from phibench.registry import default_registry

    root = Path(default_registry().build("dataset", "synthetic", {"n": N, "out": str(data_dir / str(N))}).make())
    multi = next(p for p in sorted(root.rglob("*.dcm")) if int(pydicom.dcmread(p).get("NumberOfFrames", 1) or 1) > 1)
    (tmp_path / "labels.csv").write_text(f"path,has_phi,frame\n{multi.relative_to(root)},true,0\n")
    cfg = compose_run("detector=flag_all", "redactor=easyocr", "redactor.verify=false", "dataset=folder",
                      f"dataset.root={root}", f"dataset.labels={tmp_path / 'labels.csv'}", "executor=inline", *QUIET)
    execute(cfg, tmp_path / "run")
    df = ResultStore(tmp_path / "run").read()
    assert len(df) == 1 and df["pixels_changed"].all()  # only frame 0 was planned and scored
    before, after = pydicom.dcmread(multi).pixel_array, pydicom.dcmread(df["redacted_path"].iloc[0]).pixel_array
    assert before.shape == after.shape
    assert all((before[i] != after[i]).any() for i in range(1, before.shape[0]))  # every other frame masked too


@pytest.mark.slow
def test_a_written_file_that_does_not_decode_is_deleted_not_reported_redacted(tmp_path, data_dir, monkeypatch):
    from phibench.exceptions import SampleFailure
    from phibench.redaction import verify

    class Broken:  # fault injection: the re-read output opens but fails to decode
        kind, header = "dicom", None

        def render(self, index):
            raise SampleFailure("decode", "frame 0 cannot be decoded")

        def close(self):
            pass

    monkeypatch.setattr(verify, "open_source", lambda path: Broken())
    sc, df = run(tmp_path, data_dir, "detector=flag_all", "redactor=easyocr", n=SMALL)
    masked = df[df["redact_error_stage"] == "write"]
    assert len(masked) > 0 and (masked["redaction"] == "failed").all()
    assert masked["redacted_path"].isna().all()
    for src in masked["path"]:
        assert not output_path(str(tmp_path / "redacted"), src).exists()
