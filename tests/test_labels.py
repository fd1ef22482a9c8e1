"""Labels tables: every problem with the table is a DatasetError naming the file and the line.

The tables here are written by hand, as a user (or an attacker) would; each bad one has a good
row first, so the line number in the message is checked, not just the wording.
"""

from __future__ import annotations

import json

import pytest

from phibench.exceptions import DatasetError
from phibench.labels import read_labels
from phibench.records import GroundTruth, TextRegion

GOOD = "a.dcm,1\n"


def plan(root, text, frames_of=None):
    labels = root / "labels.csv"
    labels.write_bytes(text.encode() if isinstance(text, str) else text)
    planned = read_labels(
        root, labels, dataset="t", id_of=lambda rel, f: f"{rel}#{f}", frames_of=frames_of
    )
    return list(planned)


def regions_row(regions: object) -> str:
    """``b.dcm,1,"<json>"`` with the CSV quoting the JSON needs."""
    text = regions if isinstance(regions, str) else json.dumps(regions)
    return 'b.dcm,1,"' + text.replace('"', '""') + '"\n'


def box(*values, **extra):
    return [{"box": list(values), "text": "DOE^JANE", "category": "NAME", **extra}]


def test_empty_file_is_an_error_that_names_the_file(tmp_path):
    with pytest.raises(DatasetError, match=r"labels\.csv is empty"):
        plan(tmp_path, b"")


def test_header_without_rows_is_an_error(tmp_path):
    with pytest.raises(DatasetError, match=r"labels\.csv has a header but no rows"):
        plan(tmp_path, "path,has_phi\n")


@pytest.mark.parametrize("frame", ["x", "1.5", "-1", "1e3", "0x1", "2147483648", "١"])
def test_a_frame_that_is_not_a_whole_number_is_an_error_with_the_line(tmp_path, frame):
    with pytest.raises(DatasetError, match=r"labels\.csv line 3: frame must be a whole number"):
        plan(tmp_path, f"path,has_phi,frame\na.dcm,1,0\na.dcm,1,{frame}\n")


def test_integral_frame_forms_are_read(tmp_path):
    planned = plan(tmp_path, "path,has_phi,frame\na.dcm,1,2.0\na.dcm,1, 3 \n")
    assert [s.frame for s, _ in planned] == [2, 3]


@pytest.mark.parametrize(
    ("regions", "message"),
    [
        ("{}", "regions must be a JSON list"),
        ('"3"', "regions must be a JSON list"),
        ("3", "regions must be a JSON list"),
        ("[1, 2]", "region 1: a region must be a JSON object"),
        ('["x"]', "region 1: a region must be a JSON object"),
        ([{"text": "x"}], 'region 1: a region needs "box"'),
        (box(1, 2, 3), "region 1: box must be 4 numbers .* got 3 values"),
        (box(1, 2, 3, 4, 5), "got 5 values"),
        ([{"box": "1,2,3,4"}], "box must be 4 numbers"),
        (box(1, 2, 3, "4"), "box height must be an integer number, got a string"),
        (box(1, 2, True, 4), "box width must be an integer number, got a bool"),
        (box(1, 2, None, 4), "box width must be an integer number, got a null"),
        (box(1.5, 2, 3, 4), "box left must be an integer number, got a fraction"),
        ('[{"box": [1, 2, NaN, 4]}]', "box width must be an integer number, got a fraction or NaN"),
        ('[{"box": [1, 2, Infinity, 4]}]', "box width must be an integer number"),
        (box(1, 2, 10**20, 4), "box width is out of range"),
        (box(1, 2, -3, 4), "box width and height must be at least 0"),
        (box(1, 2, 3, -1), "box width and height must be at least 0"),
        ([{"left": 1, "top": 2, "width": -1, "height": 4}], "at least 0"),
        (box(1, 2, 3, 4) + box(1, 2, 3), "region 2: box must be 4 numbers"),
        ([{"box": [1, 2, 3, 4], "text": 5}], "region text must be a string, got a int"),
        ([{"box": [1, 2, 3, 4], "category": ["NAME"]}], "region category must be a string"),
        (box(1, 2, 3, 4, is_phi="maybe"), "region is_phi must be true/false"),
        (box(1, 2, 3, 4, is_phi=2), "region is_phi must be true/false"),
        (box(1, 2, 3, 4, is_phi=None), "region is_phi must be true/false"),
        ("not json", "Expecting value"),
    ],
)
def test_bad_regions_are_an_error_with_the_line(tmp_path, regions, message):
    text = "path,has_phi,regions\n" + GOOD + regions_row(regions)
    with pytest.raises(DatasetError, match=rf"labels\.csv line 3: regions is not .*{message}"):
        plan(tmp_path, text)


def test_region_errors_never_quote_the_text(tmp_path):
    text = "path,has_phi,regions\n" + regions_row(box(1, 2, 3, "DOE^JANE"))
    with pytest.raises(DatasetError) as info:
        plan(tmp_path, text)
    assert "DOE" not in str(info.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("false", False), ("False", False), ("no", False), (0, False), (False, False), ("0", False),
     ("true", True), ("YES", True), (1, True), (True, True), (1.0, True)],
)
def test_is_phi_is_read_strictly(tmp_path, value, expected):
    text = "path,has_phi,regions\n" + regions_row(box(0, 0, 5, 5, is_phi=value))
    [(_, truth)] = plan(tmp_path, text)
    assert truth.regions[0].is_phi is expected


def test_missing_is_phi_means_phi_and_integral_floats_are_boxes(tmp_path):
    regions = [{"box": [1.0, 2, 0, 4.0]}]
    [(_, truth)] = plan(tmp_path, "path,has_phi,regions\n" + regions_row(regions))
    assert truth.regions == (TextRegion((1, 2, 0, 4), "", True, ""),)


@pytest.mark.parametrize("value", ["maybe", "2", "truee", "-1", "ja"])
def test_has_phi_nonsense_is_an_error_with_the_line(tmp_path, value):
    with pytest.raises(DatasetError, match=r"labels\.csv line 3: has_phi must be true/false"):
        plan(tmp_path, f"path,has_phi\n{GOOD}b.dcm,{value}\n")


@pytest.mark.parametrize("second", ["./a.dcm", "sub/../a.dcm", "a.dcm", "./sub/../a.dcm"])
def test_one_file_named_twice_is_an_error_naming_both_lines(tmp_path, second):
    (tmp_path / "sub").mkdir()
    text = f"path,has_phi\na.dcm,1\nb.dcm,1\n{second},0\n"
    with pytest.raises(DatasetError, match=r"labels\.csv lines 2 and 4 name the same file"):
        plan(tmp_path, text)


def test_a_frame_row_and_an_every_frame_row_for_one_file_clash(tmp_path):
    with pytest.raises(DatasetError, match="lines 2 and 3 name the same file and frame .frame 1."):
        plan(tmp_path, "path,has_phi,frame\na.dcm,1,\na.dcm,0,1\n", frames_of=lambda p: 2)


def test_sample_ids_come_from_the_normalised_path(tmp_path):
    (tmp_path / "sub").mkdir()
    planned = plan(tmp_path, "path,has_phi,frame\n./sub/../a.dcm,1,0\nsub//b.dcm,0,0\n")
    assert [s.sample_id for s, _ in planned] == ["a.dcm#0", "sub/b.dcm#0"]
    assert planned[0][0].path == str(tmp_path.resolve() / "a.dcm")


@pytest.mark.parametrize("path", ["../x.dcm", "/etc/passwd", ".", "sub/../..", "a\x00.dcm", " "])
def test_paths_outside_the_root_or_not_file_names_are_errors(tmp_path, path):
    with pytest.raises(DatasetError, match=r"labels\.csv line 3: path"):
        plan(tmp_path, f'path,has_phi\n{GOOD}"{path}",1\n')


def test_line_numbers_count_line_breaks_inside_quoted_fields(tmp_path):
    pretty = json.dumps(box(1, 2, 3, 4), indent=1).replace('"', '""')
    text = f'path,has_phi,regions\na.dcm,1,"{pretty}"\n\nb.dcm,maybe,\n'
    line = 2 + pretty.count("\n") + 2  # after a.dcm's lines and a blank one
    with pytest.raises(DatasetError, match=rf"labels\.csv line {line}: has_phi"):
        plan(tmp_path, text)


def test_a_row_with_too_many_fields_is_an_error_with_the_line(tmp_path):
    with pytest.raises(DatasetError, match=r"labels\.csv line 3: 6 fields, but the header has 3"):
        plan(tmp_path, 'path,has_phi,regions\na.dcm,1,\nb.dcm,1,[{"box": [1,2,3,4]}]\n')


def test_not_utf8_is_an_error(tmp_path):
    with pytest.raises(DatasetError, match="not UTF-8"):
        plan(tmp_path, b"path,has_phi\n\xff\xfe.dcm,1\n")


def test_bom_crlf_extra_columns_and_short_rows_are_fine(tmp_path):
    text = "\ufeffpath , has_phi,frame,note\r\na.dcm,yes,0,x\r\nb.dcm,\r\n"
    planned = plan(tmp_path, text)
    assert [(s.sample_id, t.has_phi) for s, t in planned] == [("a.dcm#0", True), ("b.dcm#0", None)]


def test_regions_round_trip_and_validate_from_json():
    truth = GroundTruth(True, (TextRegion((0, 0, 3, 4), "x", False, "ID"),))
    assert GroundTruth.regions_from_json(truth.regions_json()) == truth.regions
    with pytest.raises(ValueError, match="box must be 4 numbers"):
        GroundTruth.regions_from_json('[{"box": [1, 2, 3]}]')
