"""dataset=midi_b: the MIDI-B answer key's pixel actions, matched to files by UID.

The key is written as the challenge ships it (github.com/CBIIT/MIDI_validation_script): an SQLite
table ``answer_data`` made by ``pandas.to_sql``, a row per instance with its original UIDs and
``AnswerData``, a JSON object of actions whose values are wrapped in angle brackets.
"""

from __future__ import annotations

import json
import logging
import sqlite3

import pandas as pd
import pytest
from pydicom.uid import generate_uid

from phibench.exceptions import DatasetError
from phibench.registry import default_registry
from tests.plugins.datasets.test_presidio import burned_dicom


def action(name: str, text: str = "", **kw) -> dict:
    return {"action": f"<{name}>", "action_text": f"<{text}>", "value": "<>", "tag": "<(7fe0,0010)>",
            "tag_ds": "<PixelData>", "tag_name": "<Pixel Data>",
            "answer_category_v2": {"hipaa": {"z": "HIPAA-A"}}, **kw}


def hidden(text: str, box) -> dict:
    left, top, width, height = box
    spec = {"text": text, "top_left": [left, top], "bottom_right": [left + width, top + height]}
    return action("pixels_hidden", json.dumps(spec))


def write_key(path, rows) -> None:
    frame = pd.DataFrame([{
        "SOPInstanceUID": sop, "SeriesInstanceUID": series, "StudyInstanceUID": "1.2.3",
        "Modality": "OT", "scope": f"<{scope}>",
        "AnswerData": json.dumps({str(i): a for i, a in enumerate(actions)}),
    } for sop, series, scope, actions in rows])
    with sqlite3.connect(path) as conn:
        frame.to_sql("answer_data", conn, if_exists="replace")


def midi_b(root, db, **kw):
    params = {"root": str(root), "answer_db": None if db is None else str(db), **kw}
    return {s.sample_id: t for s, t in default_registry().build("dataset", "midi_b", params).plan()}


@pytest.fixture
def challenge(tmp_path, caplog):
    root = tmp_path / "images"
    uids = {name: generate_uid() for name in ("phi", "clean", "header_only", "unkeyed", "series")}
    series = generate_uid()
    boxes = burned_dicom(root / "p1" / "phi.dcm", [("JANE DOE", (10, 10)), ("DOB: 01/02/1970", (10, 40))],
                         sop_uid=uids["phi"])
    burned_dicom(root / "p1" / "clean.dcm", [("L", (5, 5))], sop_uid=uids["clean"])
    burned_dicom(root / "p2" / "header_only.dcm", [], sop_uid=uids["header_only"])
    burned_dicom(root / "p2" / "unkeyed.dcm", [], sop_uid=uids["unkeyed"])
    burned_dicom(root / "p3" / "series.dcm", [], sop_uid=uids["series"], series_uid=series)
    (root / "README.txt").write_text("not DICOM")
    write_key(db := root / "answer_key.db", [
        (uids["phi"], generate_uid(), "Instance",
         [action("text_removed", "JANE"), hidden("JANE DOE", boxes[0]), hidden("DOB: 01/02/1970", boxes[1])]),
        (uids["clean"], generate_uid(), "Instance", [action("pixels_retained", "9f86d081884c7d65")]),
        (uids["header_only"], generate_uid(), "Instance", [action("tag_retained")]),
        ("", series, "Series", [hidden("ACME", (0, 0, 30, 12))]),
        (generate_uid(), generate_uid(), "Instance", [action("pixels_retained", "00")]),  # no file
    ])
    return root, db, uids, boxes


def test_pixel_actions_become_labels_and_boxes(challenge, caplog):
    root, db, _, boxes = challenge
    with caplog.at_level(logging.WARNING):
        planned = midi_b(root, db)
    assert sorted(planned) == ["README.txt#0", "p1/clean.dcm#0", "p1/phi.dcm#0", "p2/header_only.dcm#0",
                               "p2/unkeyed.dcm#0", "p3/series.dcm#0"]  # the key under root is skipped
    phi = planned["p1/phi.dcm#0"]
    assert phi.has_phi is True and [r.box for r in phi.regions] == boxes
    assert [(r.text, r.is_phi, r.category) for r in phi.regions] == [
        ("JANE DOE", True, ""), ("DOB: 01/02/1970", True, "")]
    assert planned["p1/clean.dcm#0"].has_phi is False and planned["p1/clean.dcm#0"].regions == ()
    assert planned["p3/series.dcm#0"].has_phi is True  # a series-scoped action covers its files
    for unlabeled in ("p2/header_only.dcm#0", "p2/unkeyed.dcm#0", "README.txt#0"):
        assert planned[unlabeled].has_phi is None
    assert "1 image(s) with a pixel action in the answer key have no file" in caplog.text


def test_a_de_identified_copy_is_matched_through_the_uid_mapping(tmp_path):
    old, new = generate_uid(), generate_uid()
    boxes = burned_dicom(tmp_path / "out" / "x.dcm", [("SMITH", (3, 3))], sop_uid=new)
    write_key(db := tmp_path / "key.db", [(old, generate_uid(), "Instance", [hidden("SMITH", boxes[0])])])
    with pytest.raises(DatasetError, match="no file under dataset.root matches.*uid_mapping"):
        midi_b(tmp_path / "out", db)
    (uids := tmp_path / "uids.csv").write_text(f"id_old,id_new\n{old},{new}\n")
    assert midi_b(tmp_path / "out", db, uid_mapping=str(uids))["x.dcm#0"].has_phi is True


def test_missing_root_or_key_say_where_to_get_them(tmp_path):
    with pytest.raises(DatasetError, match="needs dataset.root=DIR.*Cancer Imaging Archive"):
        midi_b("", None)
    with pytest.raises(DatasetError, match="needs dataset.answer_db=FILE.*Cancer Imaging Archive"):
        midi_b(tmp_path, None)
    (tmp_path / "notdb.db").write_text("plain text, not SQLite")
    with pytest.raises(DatasetError, match="cannot read answer key .*notdb.db"):
        midi_b(tmp_path, tmp_path / "notdb.db")
    with sqlite3.connect(other := tmp_path / "other.db") as conn:
        conn.execute("CREATE TABLE results (x)")
    with pytest.raises(DatasetError, match="has no table answer_data \\(it has: results\\)"):
        midi_b(tmp_path, other)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("not json pixels_hidden", "rowid 1: AnswerData is not JSON"),
        (json.dumps({"0": action("pixels_hidden", "{bad")}), "rowid 1 action 1: pixels_hidden action_text is not JSON"),
        (json.dumps({"0": action("pixels_hidden", json.dumps({"text": "JANE", "top_left": [9, 9],
                                                              "bottom_right": [1, 1]}))}),
         "rowid 1 action 1: pixels_hidden box"),
        (json.dumps({"0": action("pixels_hidden", json.dumps({"text": "JANE", "top_left": [1]}))}),
         "top_left and bottom_right must each be"),
    ],
)
def test_key_errors_name_the_row_but_no_text(tmp_path, answer, message):
    burned_dicom(tmp_path / "a.dcm", [])
    with sqlite3.connect(db := tmp_path / "key.db") as conn:
        conn.execute("CREATE TABLE answer_data (SOPInstanceUID TEXT, AnswerData TEXT)")
        conn.execute("INSERT INTO answer_data VALUES (?, ?)", ("1.2.3.4", answer))
    with pytest.raises(DatasetError, match=message) as info:
        midi_b(tmp_path, db)
    assert "JANE" not in str(info.value) and "1.2.3.4" not in str(info.value)
