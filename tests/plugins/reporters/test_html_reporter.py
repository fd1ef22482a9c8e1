"""report.html: a real run, rendered by a real headless Chromium, and what is on the page."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from phibench.registry import default_registry
from phibench.run import execute
from phibench_plugins.reporters import cases, html_gallery
from tests.helpers import compose_run
from tests.test_phi_hygiene import phi_strings

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make system-deps)")
BROKEN = "broken.dcm"


@pytest.fixture(scope="module")
def folder_root(tmp_path_factory):
    """Six synthetic files relabelled as a folder dataset, plus one truncated DICOM (an error)."""
    gen = tmp_path_factory.mktemp("gen")
    default_registry().build("dataset", "synthetic", {"n": 6, "seed": 0, "out": str(gen)}).make()
    root = tmp_path_factory.mktemp("folder")
    shutil.copytree(gen / "dicom", root / "dicom")
    (root / BROKEN).write_bytes((gen / "dicom" / "00000.dcm").read_bytes()[:600])
    manifest = pd.read_csv(gen / "manifest.csv", dtype=str, keep_default_na=False)
    with open(root / "labels.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "frame", "has_phi", "regions"])
        w.writerows(manifest[["path", "frame", "has_phi", "regions"]].itertuples(index=False))
        w.writerow([BROKEN, "0", "true", "[]"])
    return root


def _run(run_dir, root, *extra):
    cfg = compose_run(
        "detector=flag_all", "executor=inline", "dataset=folder", f"dataset.root={root}",
        f"dataset.labels={root / 'labels.csv'}", "run.progress=false", "reporters=[json,markdown,html]", *extra,
    )
    return execute(cfg, run_dir)


def _chromium(page, *args):
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", *args, page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )


def _text(dom: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", dom)).split())


def _kinds(dom: str) -> dict[str, int]:
    found = re.findall(r'<img[^>]*\bdata-kind="([a-z]+)"', dom)
    return {k: found.count(k) for k in set(found)}


@needs_chromium
@pytest.mark.slow
def test_report_in_headless_chromium(tmp_path, folder_root):
    run_dir = tmp_path / "run"
    sc = _run(run_dir, folder_root)
    page = run_dir / "report.html"
    raw = page.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", raw, re.I)  # self-contained
    assert "http://" not in raw and "https://" not in raw
    assert len(raw) < 5_000_000

    shot = tmp_path / "out.png"
    out = _chromium(page, f"--screenshot={shot}", "--window-size=1280,4000")
    assert shot.is_file(), out.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert pixels.shape[:2] == (4000, 1280) and len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50

    dump = _chromium(page, "--dump-dom")
    assert dump.returncode == 0, dump.stderr[-2000:]
    dom, text = dump.stdout, _text(dump.stdout)
    for heading in ("Confusion matrix", "Detection rates", "Recall per PHI category", "Cost vs recall across detectors",
                    "Latency", "Cases that matter", "Provenance"):
        assert heading in text
    c = sc["confusion"]
    assert c["errors"] == 1 and c["fp"] > 0 and c["tp"] > 0
    counts = dict(re.findall(r'data-count="([^"]+)">([^<]*)<', dom))
    assert counts["true positives"] == str(c["tp"]) and counts["false positives"] == str(c["fp"])
    assert counts["true negatives"] == str(c["tn"]) and counts["false negatives"] == str(c["fn"])
    shown = dict(re.findall(r'id="cases-(\w+)">.*?class="case-count">(\d+)<', dom))
    assert shown == {"fn": str(c["fn"]), "fp": str(c["fp"]), "error": "1", "residual": "0"}
    assert sc["provenance"]["dataset_fingerprint"] in text

    df = pd.read_parquet(run_dir / "results.parquet")
    error = df.loc[df["error"].notna()].iloc[0]
    assert BROKEN in text and " ".join(error["error"].split()) in text and error["error_stage"] in text
    kinds = _kinds(dom)
    assert "original" not in kinds  # PHI pixels stay out by default
    assert kinds.get("boxes") == c["fp"] and kinds.get("plot", 0) >= 5
    secrets = phi_strings(df[df["error"].isna()])
    assert len(secrets) > 5 and not [s for s in secrets if s in raw]
    md = (run_dir / "scorecard.md").read_text()
    assert "## Misses and errors" in md and f"| {BROKEN} | 0 |" in md and "## Provenance" in md

    sc2 = _run(run_dir, folder_root, "report.show_phi=true")  # same plan: resumes, only re-reports
    assert sc2["confusion"] == c
    dom2 = _chromium(page, "--dump-dom").stdout
    assert _kinds(dom2).get("original") == c["fp"] and 'id="phi-warning"' in dom2

    assert c["fp"] > 1
    _run(run_dir, folder_root, "report.gallery_cases=1", "report.listed_cases=1")
    raw3 = page.read_text()
    assert raw3.count('data-case="fp"') == 1 and "(showing 1)" in raw3 and "original" not in _kinds(raw3)
    md3 = (run_dir / "scorecard.md").read_text()
    assert f"... and {c['fp'] - 1} more" in md3


def _image(uri: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))


def _dominant(uri: str, colour: tuple[int, int, int]) -> int:
    img = np.asarray(_image(uri).convert("RGB")).astype(int)
    return int((np.abs(img - np.array(colour)).sum(axis=2) < 90).sum())


def test_gallery_draws_truth_and_found_boxes_and_hides_the_original(folder_root):
    path = str(folder_root / "dicom" / "00001.dcm")
    rows = pd.DataFrame([{
        "sample_id": "a#0", "path": path, "frame": 0, "has_phi_true": True, "has_phi_pred": True, "error": None,
        "error_stage": None, "redaction": "masked", "redact_error": None, "redact_error_stage": None,
        "redaction_reason": None, "redacted_path": path,
        "truth_regions": json.dumps([{"box": [10, 10, 120, 30], "text": "DOE^JANE", "is_phi": True, "category": "NAME"},
                                     {"box": [10, 60, 80, 20], "text": "Tilt", "is_phi": False, "category": "TECHNIQUE"}]),
        "entities": json.dumps([{"category": "NAME", "text": "DOE^JANE", "box": [200, 200, 100, 40], "score": 1.0}]),
        "residual_regions": json.dumps([0]),
    }])
    found = cases.select(rows)
    assert [len(found[k]) for k in ("fn", "fp", "error", "residual")] == [0, 0, 0, 1]
    case = found["residual"][0]
    assert case.truth_boxes == [(10, 10, 120, 30)] and case.found_boxes == [(200, 200, 100, 40)]
    assert case.categories == "NAME" and "DOE" not in repr(case.categories + case.message + case.file)

    thumbs, note = html_gallery.thumbs(case, show_phi=False)
    assert [t.kind for t in thumbs] == ["redacted"] and note == ""
    assert _dominant(thumbs[0].uri, html_gallery.TRUTH_COLOUR) > 50
    assert _dominant(thumbs[0].uri, html_gallery.FOUND_COLOUR) > 50
    assert max(_image(thumbs[0].uri).size) <= html_gallery.MAX_SIDE

    with_phi, _ = html_gallery.thumbs(case, show_phi=True)
    assert [t.kind for t in with_phi] == ["original", "redacted"]

    bare = cases.Case("fn", "b#0", "b.dcm", path, 0, "NAME", truth_boxes=[(5, 5, 50, 20)])
    thumbs, _ = html_gallery.thumbs(bare, show_phi=False)
    assert [t.kind for t in thumbs] == ["boxes"]  # no redacted output: a blank canvas, no pixels
    assert _dominant(thumbs[0].uri, html_gallery.TRUTH_COLOUR) > 20

    gone = cases.Case("error", "c#0", "c.dcm", str(folder_root / "nope.dcm"), 0, "", stage="read", message="x")
    thumbs, note = html_gallery.thumbs(gone, show_phi=True)
    assert thumbs == [] and "not rendered" in note
