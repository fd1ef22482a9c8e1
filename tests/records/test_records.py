from types import MappingProxyType

import pytest

from phibench.exceptions import SampleFailure
from phibench.records import Detection, GroundTruth, SampleError, TextRegion


def test_an_error_is_never_a_negative():
    err = SampleError("a.dcm", "decode", "ValueError", "bad")
    with pytest.raises(ValueError, match="fail closed"):
        Detection(has_phi=False, error=err)
    assert Detection.failed(err).has_phi is None


def test_sample_error_from_exception_names_type_stage_and_is_short():
    err = SampleError.from_exception("x.dcm", "read", KeyError("k" * 1000))
    assert err.exc_type == "KeyError" and err.stage == "read"
    assert str(err).startswith("read: KeyError: ")
    long = SampleError.from_exception("x.dcm", "read", RuntimeError("k" * 1000))
    assert len(long.message) == 300


def test_sample_error_never_quotes_the_values_a_library_choked_on():
    # A header value that reached int() or a codec: pydicom and Python quote it in the message.
    try:
        int("SMITH^JOHN")
    except ValueError as exc:
        err = SampleError.from_exception("x.dcm", "decode", exc)
    assert "SMITH" not in str(err) and "invalid literal for int()" in err.message
    own = SampleFailure("decode", "cannot decode: ValueError: Unknown (0028,0004) "
                        "'Photometric Interpretation' value 'SMITH^JOHN'")
    err = SampleError.from_exception("x.dcm", "read", own)
    assert "SMITH" not in str(err) and "'Photometric Interpretation' value '<value>'" in err.message
    path = SampleError.from_exception("x.dcm", "read", FileNotFoundError(2, "No such file", "/data/DOE_JANE.dcm"))
    assert "DOE" not in str(path)


def test_sample_failure_stage_overrides_default_stage():
    err = SampleError.from_exception("x.dcm", "read", SampleFailure("decode", "no pixel data"))
    assert err.stage == "decode" and err.exc_type == "phibench.exceptions.SampleFailure"


def test_regions_round_trip_through_json():
    regions = (TextRegion((1, 2, 30, 12), "DOE^JANE", True, "NAME"), TextRegion((5, 5, 9, 9), "L", False, "LATERALITY"))
    truth = GroundTruth(True, regions)
    assert GroundTruth.regions_from_json(truth.regions_json()) == regions
    assert truth.phi_categories() == ["NAME"]


def test_region_from_presidio_style_dict():
    r = TextRegion.from_dict({"left": 3, "top": 4, "width": 10, "height": 6, "text": "x", "category": "ID"})
    assert r.box == (3, 4, 10, 6) and r.is_phi


def test_entities_and_regions_are_stored_as_their_fields_in_order():
    import json
    from dataclasses import asdict

    from phibench.records import Entity, TextRegion

    regions = [TextRegion((1, 2, 3, 4), "x", True, "DATE"), TextRegion((0, 0, 1, 1), "y", False)]
    entities = [Entity("DATE", "x", (1, 2, 3, 4), 0.5), Entity("NAME")]
    assert TextRegion.list_to_json(regions) == json.dumps([asdict(r) for r in regions])
    assert Entity.list_to_json(entities) == json.dumps([asdict(e) for e in entities])
    assert TextRegion.list_from_json(TextRegion.list_to_json(regions)) == tuple(regions)


@pytest.mark.parametrize("d", [
    {"box": [1, 2, 3, 4], "text": "x", "is_phi": True, "category": "DATE"},
    {"box": [1, 2, 3, 4]},
    {"box": [-5, 0, 0, 0], "is_phi": False},
    {"box": [1, 2, -3, 4]},
    {"box": [1, 2, 3, 2**31]},
    {"box": [1.0, 2, 3, 4]},
    {"box": [True, 2, 3, 4]},
    {"box": (1, 2, 3, 4)},
    {"box": [1, 2, 3]},
    {"box": [1, 2, 3, 4], "text": 5},
    {"box": [1, 2, 3, 4], "category": None},
    {"box": [1, 2, 3, 4], "is_phi": "no"},
    {"box": [1, 2, 3, 4], "is_phi": 1},
    {"left": 1, "top": 2, "width": 3, "height": 4},
])
def test_the_short_path_for_canonical_regions_agrees_with_the_full_checks(d) -> None:
    """``from_dict`` reads canonical regions the short way; anything else must get exactly the
    full path's answer (the same region, or the same refusal)."""
    fast = TextRegion._plain(d)
    try:
        full = TextRegion.from_dict(MappingProxyType(d))  # not a dict: the full checks
    except ValueError as exc:
        full = exc
    if fast is not None:
        assert fast == full
    try:
        got = TextRegion.from_dict(d)
    except ValueError as exc:
        assert isinstance(full, ValueError) and str(exc) == str(full)
    else:
        assert got == full
