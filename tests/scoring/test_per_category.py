import json

import pandas as pd

from phibench.scoring.per_category import located, per_category

NAME = {"box": [10, 10, 100, 20], "text": "DOE^JANE", "is_phi": True, "category": "NAME"}
DATE = {"box": [10, 40, 90, 20], "text": "1970-01-02", "is_phi": True, "category": "DATE"}
KVP = {"box": [300, 10, 60, 20], "text": "120 kVp", "is_phi": False, "category": "TECHNIQUE"}


def test_located_by_box_or_by_noisy_text():
    assert located(NAME, [{"box": [12, 12, 60, 16]}])
    assert not located(NAME, [{"box": [300, 300, 60, 16]}])
    assert located(NAME, [{"text": "DOE JANE", "box": None}])  # box-less: the text decides
    assert located(DATE, [{"text": "1970-01-02", "box": None}])
    assert not located(DATE, [{"text": "120 kVp", "box": None}])


def test_per_category_image_and_region_recall():
    df = pd.DataFrame(
        {
            "truth_regions": [json.dumps([NAME, DATE, KVP]), json.dumps([NAME, KVP])],
            "entities": [json.dumps([{"box": [10, 10, 100, 20]}, {"box": [300, 10, 60, 20]}]), "[]"],
            "has_phi_pred": pd.array([True, False], dtype="boolean"),
            "error": [None, None],
        }
    )
    out = per_category(df)
    assert out["phi"]["NAME"]["image_recall"]["value"] == 0.5
    assert out["phi"]["NAME"]["region_recall"]["value"] == 0.5
    assert out["phi"]["DATE"]["region_recall"]["value"] == 0.0
    assert out["non_phi_flagged"]["TECHNIQUE"]["value"] == 0.5
