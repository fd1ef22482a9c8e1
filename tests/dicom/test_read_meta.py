"""The file-meta shortcut of the deflate check: it may only ever say "not deflated" when
pydicom's own reading of the meta says so too; a deflate bomb it cannot follow is still caught."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pydicom
import pytest
from pydicom.filereader import _read_file_meta_info, read_preamble
from pydicom.uid import DeflatedExplicitVRLittleEndian

from phibench.dicom import read as read_mod
from phibench.dicom import read_dataset, read_header
from phibench.exceptions import SampleFailure
from phibench.limits import Limits
from tests.dicom.corpus import corpus_file, corpus_files

MiB = 1024**2
DEFLATED = DeflatedExplicitVRLittleEndian.encode()


def _pydicom_says_deflated(data: bytes) -> bool:
    fp = io.BytesIO(data)
    try:
        read_preamble(fp, True)
        return _read_file_meta_info(fp).get("TransferSyntaxUID") == DeflatedExplicitVRLittleEndian
    except Exception:
        return False


def _walk(data: bytes) -> bool:
    fp = io.BytesIO(data)
    return read_mod._may_be_deflated(fp)


def _element(group: int, elem: int, vr: bytes, value: bytes) -> bytes:
    if vr in read_mod._LONG_VRS:
        return struct.pack("<HH2s2xL", group, elem, vr, len(value)) + value
    return struct.pack("<HH2sH", group, elem, vr, len(value)) + value


def _file(*elements: bytes, preamble: bool = True, rest: bytes = b"\x08\x00\x16\x00UI\x02\x001\x00") -> bytes:
    return (bytes(128) + b"DICM" if preamble else b"") + b"".join(elements) + rest


def test_never_says_not_deflated_when_pydicom_would_inflate() -> None:
    skipped = 0
    for path in corpus_files():
        data = path.read_bytes()
        if _pydicom_says_deflated(data):
            assert _walk(data), path.name
        skipped += not _walk(data)
    assert skipped > len(corpus_files()) // 2  # and most files skip the second parse


def test_deflated_files_are_recognised_and_plain_ones_skip_the_parse() -> None:
    assert _walk(corpus_file("image_dfl.dcm").read_bytes())
    assert not _walk(corpus_file("CT_small.dcm").read_bytes())


@pytest.mark.parametrize("case", [
    "long meta", "unknown vr", "sequence", "undefined length", "no preamble", "cut in header",
])
def test_what_the_walk_cannot_follow_is_parsed(case: str) -> None:
    ts = _element(2, 0x10, b"UI", DEFLATED + b"\x00")
    pad = {
        "long meta": _element(2, 0x0102, b"OB", bytes(10_000)),
        "unknown vr": _element(2, 0x0102, b"ZZ", b"ab"),
        "sequence": _element(2, 0x0102, b"SQ", b""),
        "undefined length": struct.pack("<HH2s2xL", 2, 0x0102, b"OB", 0xFFFFFFFF),
    }
    if case == "no preamble":
        data = _file(ts, preamble=False)
        assert _walk(data)
        return
    if case == "cut in header":
        data = (bytes(128) + b"DICM" + b"\x02\x00\x01\x00OB")  # the whole file: nothing to inflate
        assert not _walk(data) and not _pydicom_says_deflated(data)
        return
    data = _file(pad[case], ts)
    assert DEFLATED not in data[: read_mod._META_PEEK] or case != "long meta"
    assert _walk(data)


def test_the_walk_ends_at_the_first_other_group() -> None:
    meta = _element(2, 0x01, b"OB", b"\x00\x01") + _element(2, 0x10, b"UI", b"1.2.840.10008.1.2.1\x00")
    data = _file(meta, rest=_element(8, 0x16, b"UI", b"1\x00") + bytes(20_000) + DEFLATED)
    assert not _walk(data) and not _pydicom_says_deflated(data)
    assert _walk(_file(meta, rest=DEFLATED))  # the UID in the peek, even outside the meta: parsed


def test_a_bomb_behind_a_long_meta_is_still_refused(tmp_path: Path) -> None:
    ds = pydicom.dcmread(corpus_file("CT_small.dcm"))
    ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    ds.file_meta.add_new(0x00020102, "OB", bytes(20_000))  # pushes the rest past the peek
    ds.add_new(0x00091010, "LO", "PHIBENCH")
    ds.add_new(0x00091011, "OB", bytes(24 * MiB))
    path = tmp_path / "bomb.dcm"
    ds.save_as(path, enforce_file_format=True)
    limits = Limits(max_decoded_bytes=8 * MiB)
    for read in (read_header, read_dataset):
        with pytest.raises(SampleFailure, match="inflates to more than"):
            read(path, limits)
