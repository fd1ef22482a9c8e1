"""``phibench run`` on a folder of PNG, JPEG, TIFF and an SVS: real OCR, real redaction, verified."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from phibench.images import sniff
from phibench.results import ResultStore
from phibench.run import execute
from tests.helpers import compose_run
from tests.images.conftest import save, text_frame
from tests.images.svs import make_svs

QUIET = ["run.progress=false", "reporters=[json,markdown]", "executor=inline"]


def region(box: list[int], text: str, category: str = "NAME") -> dict:
    return {"box": box, "text": text, "is_phi": True, "category": category}


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("images")
    rows = ["path,has_phi,frame,regions"]

    def add(rel: str, has_phi: bool, frame: int, regions: list[dict]) -> None:
        rows.append(f"{rel},{str(has_phi).lower()},{frame},\"{json.dumps(regions).replace(chr(34), chr(34) * 2)}\"")

    name, box = text_frame(text="JOHN SMITH")
    save(name, root / "name.png")
    add("name.png", True, 0, [region(box, "JOHN SMITH")])
    mrn, box = text_frame(text="MRN 48213377")
    save(np.stack([mrn] * 3, axis=-1), root / "key.jpg", quality=95)
    add("key.jpg", True, 0, [region(box, "MRN 48213377", "ID")])
    save(np.full((120, 320), 20, np.uint8), root / "clean.png")
    add("clean.png", False, 0, [])
    dob, box = text_frame(text="DOB 03/14/1961")
    tifffile.imwrite(root / "pages.tif", np.stack([np.full_like(dob, 20), dob]), photometric="minisblack")
    add("pages.tif", False, 0, [])
    add("pages.tif", True, 1, [region(box, "DOB 03/14/1961", "DATE")])
    regions = make_svs(root / "slide.svs")
    add("slide.svs", True, 0, regions["label"])
    add("slide.svs", True, 1, regions["macro"])
    add("slide.svs", False, 2, [])
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root


def folder(root: Path) -> list[str]:
    return ["dataset=folder", f"dataset.root={root}", f"dataset.labels={root / 'labels.csv'}"]


def sha(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.mark.slow
def test_every_image_is_redacted_in_its_own_format_and_verified(image_folder, tmp_path):
    run_dir = tmp_path / "run"
    inputs = {p: sha(p) for p in image_folder.iterdir()}
    sc = execute(compose_run("detector=flag_all", "redactor=easyocr", *folder(image_folder), *QUIET), run_dir)
    df = ResultStore(run_dir).read()
    assert len(df) == 8 and df["error"].isna().all(), df["error"].dropna().tolist()
    assert df["redaction"].isin(["masked", "untouched"]).all(), df["redact_error"].dropna().tolist()
    for _, row in df[df["has_phi_true"]].iterrows():  # every PHI region checked, none still readable
        assert isinstance(row.residual_regions, str) and json.loads(row.residual_regions) == [], row.sample_id
    for src, dst in df.groupby("path")["redacted_path"].first().items():
        assert sniff(dst) == sniff(src) and Path(dst).suffix != ".dcm", dst  # never a DICOM wrapper
    out = df.groupby("path")["redacted_path"].first()
    name = out[str(image_folder / "name.png")]
    x, y, w, h = json.loads(df[df["path"].str.endswith("name.png")]["redaction_boxes"].iloc[0])[0]
    assert np.asarray(Image.open(name))[y:y + h, x:x + w].max() < 60  # the text's pixels are filled
    slide = out[str(image_folder / "slide.svs")]
    with tifffile.TiffFile(slide) as tif, tifffile.TiffFile(image_folder / "slide.svs") as orig:
        level0 = orig.series[0].levels[0].pages[0]
        assert np.array_equal(tif.pages[level0.index].asarray(), level0.asarray())
    assert inputs == {p: sha(p) for p in image_folder.iterdir()}  # inputs never touched
    assert sc["redaction"]["files_written"] == 5


@pytest.mark.slow
def test_the_local_detector_reads_images_without_a_header_and_scores_them(image_folder, tmp_path):
    sc = execute(compose_run("detector=local", *folder(image_folder), *QUIET), tmp_path / "run")
    df = ResultStore(tmp_path / "run").read()
    assert len(df) == 8 and df["error"].isna().all(), df["error"].dropna().tolist()
    by_id = dict(zip(df["sample_id"], df["has_phi_pred"], strict=True))
    assert by_id["key.jpg#0"] and by_id["pages.tif#1"]  # an MRN and a date, no header needed
    assert not by_id["clean.png#0"] and not by_id["pages.tif#0"]
    assert sc["confusion"]["tp"] + sc["confusion"]["fn"] == 5


@pytest.mark.slow
def test_spark_plans_and_runs_the_same_image_samples(image_folder, tmp_path):
    base = [*folder(image_folder), "detector=flag_none", "run.progress=false", "reporters=[json]"]
    execute(compose_run(*base, "executor=inline"), tmp_path / "inline")
    execute(compose_run(*base, "executor=spark", "executor.workers=2"), tmp_path / "spark")
    a, b = (ResultStore(tmp_path / d).read().sort_values("sample_id") for d in ("inline", "spark"))
    assert list(a["sample_id"]) == list(b["sample_id"]) and b["error"].isna().all()


@pytest.mark.slow
def test_presidio_runs_on_images_without_a_header_to_deny_list(image_folder, tmp_path):
    execute(compose_run("detector=presidio", *folder(image_folder), *QUIET), tmp_path / "run")
    df = ResultStore(tmp_path / "run").read()
    assert len(df) == 8 and df["error"].isna().all(), df["error_stage"].dropna().tolist()


@pytest.mark.slow
def test_the_html_gallery_draws_image_cases(image_folder, tmp_path):
    import re

    run_dir = tmp_path / "run"
    execute(compose_run("detector=flag_all", *folder(image_folder), "run.progress=false",
                        "reporters=[json,html]", "executor=inline"), run_dir)
    raw = (run_dir / "report.html").read_text()
    kinds = re.findall(r'<img[^>]*\bdata-kind="([a-z]+)"', raw)
    assert kinds.count("boxes") == 3  # the three false positives, as blank canvases: no PHI shown
    execute(compose_run("detector=flag_all", *folder(image_folder), "run.progress=false",
                        "reporters=[json,html]", "executor=inline", "report.show_phi=true"), tmp_path / "phi")
    assert re.findall(r'<img[^>]*\bdata-kind="([a-z]+)"', (tmp_path / "phi" / "report.html").read_text()).count(
        "original") == 3
