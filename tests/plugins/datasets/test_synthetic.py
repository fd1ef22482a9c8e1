"""The synthetic dataset generator, on real generated files decoded and rendered as a run does."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

import numpy as np
import pydicom
import pytest

from phibench.categories import NON_PHI_CATEGORIES, PHI_CATEGORIES
from phibench.dicom import render_frame
from phibench.exceptions import DatasetError
from phibench.plugin import validate_params
from phibench_plugins.datasets.synthetic import GENERATOR_VERSION, SyntheticDataset, generate
from phibench_plugins.datasets.synthetic.variants import VARIANTS

REQUIRED = ["path", "frame", "has_phi", "regions"]


def manifest(out: Path) -> list[dict[str, str]]:
    with (out / "manifest.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def by_file(rows: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    files: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        files[row["path"]].append(row)
    return files


def snapshot(out: Path) -> dict[str, bytes]:
    files = sorted(p for p in out.rglob("*") if p.is_file())
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in files}


def fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synthetic") / "n24"
    generate(out, 24, 7)
    return out


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """40 files: every one of the 25 formats at least once."""
    out = tmp_path_factory.mktemp("synthetic") / "n40"
    generate(out, 40, 3)
    return out


def test_same_seed_gives_identical_bytes_in_another_process(small, tmp_path):
    """Another interpreter with another string-hash seed writes exactly the same files."""
    again = tmp_path / "again"
    code = ("import sys; from pathlib import Path; from phibench_plugins.datasets.synthetic import "
            "generate; generate(Path(sys.argv[1]), 24, 7)")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", code, str(again)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert snapshot(again) == snapshot(small)


def test_different_seed_gives_different_files(tmp_path):
    generate(tmp_path / "a", 4, 1)
    generate(tmp_path / "b", 4, 2)
    a, b = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert a.keys() == b.keys()
    assert a["manifest.csv"] != b["manifest.csv"]
    assert all(a[k] != b[k] for k in a if k.endswith(".dcm"))


def test_manifest_layout_and_balance(small):
    rows = manifest(small)
    header = (small / "manifest.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:4] == REQUIRED
    files = by_file(rows)
    assert len(files) == 24
    assert sum(r[0]["has_phi"] == "true" for r in files.values()) == 12
    keys = [(r["path"], int(r["frame"])) for r in rows]
    assert keys == sorted(keys)
    for r in rows:
        assert r["sample_id"] == f"synthetic-s7-{int(r['file_index']):05d}-f{r['frame']}"
    info = json.loads((small / "generation.json").read_text())
    assert (info["version"], info["n"], info["seed"]) == (GENERATOR_VERSION, 24, 7)


def test_every_file_decodes_and_renders(big):
    files = by_file(manifest(big))
    assert len(files) == 40
    for rel, rows in files.items():
        ds = pydicom.dcmread(big / rel)
        arr = ds.pixel_array
        frames = int(ds.get("NumberOfFrames", 1))
        assert frames == len(rows) == int(rows[0]["frames"])
        assert arr.shape[0 if frames == 1 else 1] == ds.Rows == int(rows[0]["rows"])
        assert 256 <= ds.Rows <= 768 and 256 <= ds.Columns <= 768
        assert ds.file_meta.TransferSyntaxUID.name == rows[0]["transfer_syntax"]
        for row in rows:
            image = render_frame(ds, int(row["frame"]))
            assert image.shape[:2] == (ds.Rows, ds.Columns) and image.dtype == np.uint8
            assert image.std() > 10  # a real picture, not a flat field


def test_formats_cover_the_spec(big):
    rows = manifest(big)
    assert {r["variant"] for r in rows} == {v.key for v in VARIANTS}
    assert {r["transfer_syntax"] for r in rows} == {
        "Explicit VR Little Endian", "Implicit VR Little Endian", "RLE Lossless",
        "JPEG 2000 Image Compression (Lossless Only)", "JPEG Baseline (Process 1)"}
    assert {r["photometric"] for r in rows} == {"MONOCHROME1", "MONOCHROME2", "RGB", "YBR_FULL_422",
                                                "PALETTE COLOR"}
    assert {r["modality"] for r in rows} == {"CT", "MR", "CR", "DX", "US", "XA", "NM", "OT"}
    assert {r["bits_stored"] for r in rows} == {"8", "12", "16"}
    assert any(r["signed"] == "true" for r in rows)
    multi = {r["transfer_syntax"] for r in rows if int(r["frames"]) > 1}
    assert {"RLE Lossless", "JPEG 2000 Image Compression (Lossless Only)",
            "JPEG Baseline (Process 1)"} <= multi  # encapsulated multi-frame


def test_multi_frame_files_have_one_row_per_frame(big):
    files = by_file(manifest(big))
    multi = {rel: rows for rel, rows in files.items() if int(rows[0]["frames"]) > 1}
    assert multi
    for rel, rows in multi.items():
        assert [int(r["frame"]) for r in rows] == list(range(int(rows[0]["frames"])))
        assert len({r["has_phi"] for r in rows}) == 1
        assert len({r["sample_id"] for r in rows}) == len(rows)


def test_regions_match_labels_and_hold_ink(big):
    """PHI rows have PHI regions, others none; boxes lie in the frame, hold ink, never overlap."""
    for rel, rows in by_file(manifest(big)).items():
        ds = pydicom.dcmread(big / rel)
        for row in rows:
            regions = json.loads(row["regions"])
            phi = [g for g in regions if g["is_phi"]]
            assert bool(phi) == (row["has_phi"] == "true"), (rel, row["frame"])
            image = render_frame(ds, int(row["frame"])).astype(np.float32)
            if image.ndim == 3:
                image = image @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
            h, w = image.shape
            boxes = []
            for g in regions:
                left, top, bw, bh = g["box"]
                assert left >= 0 and top >= 0 and bw > 0 and bh > 0
                assert left + bw <= w and top + bh <= h
                assert g["text"].strip() and g["category"]
                inside = image[top:top + bh, left:left + bw]
                ring = np.concatenate([image[max(0, top - 3):top, left:left + bw].ravel(),
                                       image[top + bh:top + bh + 3, left:left + bw].ravel(),
                                       image[top:top + bh, max(0, left - 3):left].ravel(),
                                       image[top:top + bh, left + bw:left + bw + 3].ravel()])
                ink = np.mean(np.abs(inside - np.median(ring)) > 40)
                assert ink > 0.08, (rel, row["frame"], g["category"], ink)
                boxes.append((left, top, left + bw, top + bh))
            for i, a in enumerate(boxes):
                for b in boxes[i + 1:]:
                    assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def test_categories_are_the_shared_vocabulary_and_varied(big):
    regions = [g for r in manifest(big) for g in json.loads(r["regions"])]
    phi = {g["category"] for g in regions if g["is_phi"]}
    other = {g["category"] for g in regions if not g["is_phi"]}
    # realdev's rules: institutions and ages of 89 or below are boxed but are not PHI
    assert phi <= set(PHI_CATEGORIES) - {"INSTITUTION"}
    assert other <= set(NON_PHI_CATEGORIES) | {"INSTITUTION", "AGE"}
    assert {"NAME", "DATE", "ID", "ACCESSION", "PROVIDER"} <= phi
    assert {"INSTITUTION", "AGE"} <= other
    assert {"LATERALITY", "VIEW", "TECHNIQUE", "SEQUENCE", "SCALE", "DEVICE"} <= other
    files = by_file(manifest(big))
    no_phi = [rows[0] for rows in files.values() if rows[0]["has_phi"] == "false"]
    with_text = sum(bool(json.loads(r["regions"])) for r in no_phi)
    assert with_text >= len(no_phi) - 2  # nearly all carry (harmless) text


def test_labels_follow_the_real_sets_rules(big):
    """An age is PHI exactly when it is over 89; an institution never is, and never makes a PHI
    image on its own; a no-PHI image may show a site line alone (harmless text)."""
    rows = manifest(big)
    ages = [(g["is_phi"], int(re.search(r"\d+", g["text"]).group()))
            for r in rows for g in json.loads(r["regions"]) if g["category"] == "AGE"]
    assert ages and all(is_phi == (age > 89) for is_phi, age in ages)
    assert {is_phi for is_phi, _ in ages} == {True, False}
    for r in rows:
        regions = json.loads(r["regions"])
        identifying = [g for g in regions if g["is_phi"]]
        assert (r["has_phi"] == "true") == bool(identifying)
        assert all(g["category"] != "INSTITUTION" for g in identifying)
    site_only = [r for r in rows if r["has_phi"] == "false"
                 and "INSTITUTION" in {g["category"] for g in json.loads(r["regions"])}]
    assert site_only


def test_headers_are_full_and_sometimes_inconsistent(big):
    """Headers carry a patient on clean files too; some PHI files carry another patient's or a
    blank one, and clean files are blank as often (tests/plugins/datasets/test_synthetic_leak.py checks
    that nothing in the header predicts the label)."""
    kinds = defaultdict(int)
    for rel, rows in by_file(manifest(big)).items():
        ds = pydicom.dcmread(big / rel, stop_before_pixels=True)
        row = rows[0]
        kinds[row["has_phi"], row["header_phi"]] += 1
        assert ds.get("BurnedInAnnotation", "NO") in ("YES", "NO")
        assert ds.SOPClassUID.name == row["sop_class"] and ds.Modality == row["modality"]
        if row["header_phi"] == "blank":
            assert not str(ds.PatientName) and not ds.PatientID and not ds.PatientBirthDate
        else:
            assert str(ds.PatientName) and ds.PatientID and ds.PatientBirthDate
            assert ds.AccessionNumber and ds.PatientSex
        burned = {g["category"]: fold(g["text"]) for g in json.loads(row["regions"]) if g["is_phi"]}
        if row["header_phi"] == "same":  # the header describes the patient in the pixels
            expected = {"NAME": fold(ds.PatientName.family_name), "ID": ds.PatientID,
                        "ACCESSION": ds.AccessionNumber}
            for category, value in expected.items():
                if category in burned:
                    assert value in burned[category], (rel, category)
        if row["header_phi"] == "other":  # somebody else's header
            assert ds.PatientID not in " ".join(burned.values())
    assert kinds["false", "full"] + kinds["false", "blank"] == 20
    assert kinds["true", "other"] >= 1 and kinds["true", "blank"] == kinds["false", "blank"] >= 1
    assert 0.15 <= (kinds["true", "other"] + kinds["true", "blank"]) / 20 <= 0.35


def test_leaky_tags_give_the_label_away_on_purpose(tmp_path):
    """``leaky_tags=true``: BurnedInAnnotation is YES exactly on PHI files, NO on the others;
    the default draws it apart from the label (absent on most files)."""
    params = {"n": 8, "seed": 1, "out": str(tmp_path / "leaky"), "leaky_tags": True}
    leaky = SyntheticDataset(validate_params(SyntheticDataset, params, where="test"))
    out = leaky.make()
    assert json.loads((out / "generation.json").read_text())["leaky_tags"] is True
    assert leaky.describe()["leaky_tags"] is True
    for rel, rows in by_file(manifest(out)).items():
        ds = pydicom.dcmread(out / rel, stop_before_pixels=True)
        assert ds.BurnedInAnnotation == ("YES" if rows[0]["has_phi"] == "true" else "NO")
    plain = SyntheticDataset(validate_params(SyntheticDataset, {**params, "leaky_tags": False},
                                             where="test")).make()  # same folder: redone
    assert json.loads((plain / "generation.json").read_text())["leaky_tags"] is False
    tags = [pydicom.dcmread(plain / rel, stop_before_pixels=True).get("BurnedInAnnotation")
            for rel in by_file(manifest(plain))]
    assert tags.count(None) > len(tags) / 2
    named = SyntheticDataset(SyntheticDataset.Params(n=8, seed=1, leaky_tags=True))
    assert named.folder().name == f"synthetic-v{GENERATOR_VERSION}-n8-seed1-leaky"


def test_plan_yields_stable_samples_and_make_reuses(tmp_path, monkeypatch):
    monkeypatch.setenv("PHIBENCH_DATA_DIR", str(tmp_path / "cache"))
    params = validate_params(SyntheticDataset, {"n": 6, "seed": 2}, where="test")
    ds = SyntheticDataset(params)
    folder = tmp_path / "cache" / f"synthetic-v{GENERATOR_VERSION}-n6-seed2"
    planned = list(ds.plan())
    assert ds.make() == folder
    rows = manifest(folder)
    assert len(planned) == len(rows) >= 6
    assert [(s.path, s.frame) for s, _ in planned] == sorted((s.path, s.frame) for s, _ in planned)
    for (sample, truth), row in zip(planned, rows):
        assert sample.sample_id == f"synthetic-s2-{int(Path(sample.path).stem):05d}-f{sample.frame}"
        assert sample.dataset == "synthetic" and Path(sample.path).is_absolute()
        assert Path(sample.path) == (folder / row["path"]).resolve()
        assert truth.has_phi == (row["has_phi"] == "true")
        assert len(truth.regions) == len(json.loads(row["regions"]))
    again = [s.sample_id for s, _ in SyntheticDataset(params).plan()]
    assert again == [s.sample_id for s, _ in planned]

    stamp = {p: p.stat().st_mtime_ns for p in folder.rglob("*.dcm")}
    assert SyntheticDataset(params).make() == folder  # complete: reused, nothing rewritten
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*.dcm")} == stamp

    (folder / "manifest.csv").unlink()  # as if a generation crashed before finishing
    SyntheticDataset(params).make()
    assert (folder / "manifest.csv").is_file()
    assert any(p.stat().st_mtime_ns != t for p, t in stamp.items())
    assert manifest(folder) == rows


def test_make_redoes_a_generation_for_other_parameters(tmp_path):
    out = tmp_path / "data"
    SyntheticDataset(SyntheticDataset.Params(n=3, seed=0, out=str(out))).make()
    SyntheticDataset(SyntheticDataset.Params(n=2, seed=0, out=str(out))).make()
    assert json.loads((out / "generation.json").read_text())["n"] == 2
    assert sorted(p.name for p in (out / "dicom").iterdir()) == ["00000.dcm", "00001.dcm"]
    assert len(by_file(manifest(out))) == 2


def test_refuses_to_write_into_a_foreign_folder(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(DatasetError):
        generate(tmp_path, 2, 0)
    assert (tmp_path / "mine.txt").read_text() == "keep me"
