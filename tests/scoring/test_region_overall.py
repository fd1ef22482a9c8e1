"""Region recall and precision over all categories (``per_category.regions``), Presidio's two
evaluator figures, from real result rows: a run over DICOM files with burned-in words and their
Presidio ground truth, by a test detector that boxes every bright word it sees.

Also the module of that test-only detector (``PHIBENCH_EXTRA_PLUGINS=tests.scoring.test_region_overall``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from phibench import hookimpl
from phibench.detector import Detector
from phibench.records import Detection, Entity, Scorecard
from phibench.results import ResultStore
from phibench.run import execute
from phibench.scoring.per_category import per_category
from tests.helpers import compose_run, extra_plugins
from tests.plugins.datasets.test_presidio import burned_dicom, presidio_entry


class BrightWords(Detector):
    """Reports every bright word as PHI, boxed tightly: what a detector that flags all text does."""

    def detect(self, frame):
        ink = frame.grey() > 64
        words, _ = ndimage.label(ndimage.binary_dilation(ink, np.ones((3, 9), bool)))
        entities = []
        for rows, cols in ndimage.find_objects(words):
            ys, xs = np.nonzero(ink[rows, cols])
            top, left = rows.start + ys.min(), cols.start + xs.min()
            box = (int(left), int(top), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
            entities.append(Entity("OTHER", box=box, score=1.0))
        return Detection(has_phi=bool(entities), entities=tuple(entities))


@hookimpl
def phibench_register_detectors(register):
    register.add("bright_words", BrightWords)


@pytest.mark.timeout(300)
def test_a_run_reports_region_recall_and_precision_over_all_categories(tmp_path):
    root = tmp_path / "data"
    name, date, _ = burned_dicom(root / "a.dcm", [("DAVIDSON", (4, 6)), ("01.09.2012", (120, 40)),
                                                  ("L", (290, 70))])  # "L" is not PHI
    burned_dicom(root / "clean.dcm", [("120 kVp", (10, 70))])  # listed without PHI
    burned_dicom(root / "missed.dcm", [("X", (250, 10))])
    gt = {
        "a.dcm": [presidio_entry("DAVIDSON", name), presidio_entry("01.09.2012", date)],
        "clean.dcm": [],
        "missed.dcm": [presidio_entry("GHOST", (20, 50, 40, 10))],  # PHI the detector cannot see
    }
    (labels := root / "ground_truth.json").write_text(json.dumps(gt))
    with extra_plugins("tests.scoring.test_region_overall"):
        cfg = compose_run("detector=bright_words", "executor=inline", "dataset=presidio",
                          f"dataset.root={root}", f"dataset.labels={labels}",
                          "run.progress=false", "reporters=[json,markdown,html]")
        execute(cfg, run_dir := tmp_path / "run")
    rows = ResultStore(run_dir).read()
    assert len(rows) == 3 and rows["error"].isna().all()
    card = Scorecard.from_dict(json.loads((run_dir / "scorecard.json").read_text()))
    regions = card.per_category.regions
    assert (regions.recall.k, regions.recall.n) == (2, 3)  # GHOST missed
    # entities: DAVIDSON, the date, "L" on a.dcm; "120 kVp" on the negative; "X" on missed.dcm
    assert (regions.precision.k, regions.precision.n) == (2, 5)
    assert regions.precision.ci_low < 0.4 < regions.precision.ci_high
    assert card.per_category.regions.to_dict() == per_category(rows)["regions"]
    md = (run_dir / "scorecard.md").read_text()
    assert "## Regions, all categories" in md
    assert "| region recall (PHI regions located) | 0.667 [" in md and "| 2/3 |" in md
    assert "region precision (entities on a PHI region)" in md and "| 2/5 |" in md
    page = (run_dir / "report.html").read_text()
    assert '<h2 id="regions">Regions, all categories</h2>' in page
    assert "<td>region precision (entities on a PHI region)</td>" in page and "<td>2/5</td>" in page


NAME = {"box": [10, 10, 100, 20], "text": "DOE^JANE", "is_phi": True, "category": "NAME"}
KVP = {"box": [300, 10, 60, 20], "text": "120 kVp", "is_phi": False, "category": "TECHNIQUE"}


def rows(*samples) -> pd.DataFrame:
    """Result rows as results.parquet holds them: (has_phi_true, truth regions, entities)."""
    return pd.DataFrame({
        "truth_regions": [json.dumps(r) for _, r, _ in samples],
        "entities": [json.dumps(e) for _, _, e in samples],
        "has_phi_true": pd.array([t for t, _, _ in samples], dtype="boolean"),
        "has_phi_pred": pd.array([bool(e) for _, _, e in samples], dtype="boolean"),
        "error": [None] * len(samples),
    })


def test_precision_counts_entities_where_the_phi_is_fully_boxed():
    out = per_category(rows(
        (True, [NAME, KVP], [{"box": [12, 12, 60, 16]}, {"box": [300, 10, 60, 20]}]),  # 1 of 2 on PHI
        (True, [NAME], [{"text": "DOE JANE", "box": None}]),  # box-less: the text decides
        (False, [], [{"box": [0, 0, 5, 5]}]),  # a negative: any entity is a false positive
        (True, [], [{"box": [0, 0, 5, 5]}]),  # PHI without boxes: nothing to check against
        (None, [], [{"box": [0, 0, 5, 5]}]),  # unlabeled
    ))
    assert {k: (v["k"], v["n"]) for k, v in out["regions"].items()} == {"recall": (2, 2), "precision": (2, 4)}
    assert out["phi"]["NAME"]["region_recall"]["value"] == 1.0


def test_no_entities_no_region_figures():
    out = per_category(rows((True, [NAME], []), (False, [], [])))
    assert out["regions"] is None and out["detector_reports_entities"] is False
