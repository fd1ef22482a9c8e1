"""Every file of pydicom's bundled corpus either renders correctly or fails as a SampleFailure.

The corpus mixes valid images of every transfer syntax, deliberately broken files, DICOMDIRs,
structured reports and plain non-DICOM files (README, JSON, gzip, ICC profile): the pipeline must
never see any other exception type from :mod:`phibench.dicom`.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pydicom

from phibench.dicom import frame_count, read_dataset, render_frame
from phibench.dicom.read import PIXEL_KEYWORDS
from phibench.exceptions import SampleFailure
from tests.dicom.corpus import DATA_ROOT, corpus_files

MAX_FRAMES = 3
STAGES = {"read", "decode", "render"}


def _expected_shape(ds: pydicom.Dataset) -> tuple[int, ...]:
    rows, cols = int(ds.Rows), int(ds.Columns)
    colour = int(ds.get("SamplesPerPixel", 1) or 1) == 3 or ds.get("PhotometricInterpretation") == (
        "PALETTE COLOR"
    )
    return (rows, cols, 3) if colour else (rows, cols)


def test_every_corpus_file_renders_or_fails_cleanly() -> None:
    files = corpus_files()
    assert len(files) > 150, f"corpus unexpectedly small: {len(files)} files under {DATA_ROOT}"
    problems: list[str] = []
    outcomes: Counter[str] = Counter()
    with_pixels: set[str] = set()
    rendered: set[str] = set()
    for path in files:
        name = str(path.relative_to(DATA_ROOT))
        try:
            ds = read_dataset(path)
        except SampleFailure as exc:
            outcomes[exc.stage] += 1
            if exc.stage != "read" or not str(exc):
                problems.append(f"{name}: read raised stage={exc.stage!r} message={str(exc)!r}")
            continue
        except Exception as exc:  # noqa: BLE001 - the point of the test
            problems.append(f"{name}: read_dataset raised {type(exc).__name__}")
            continue
        if any(kw in ds for kw in PIXEL_KEYWORDS):
            with_pixels.add(name)
        for index in range(min(frame_count(ds), MAX_FRAMES)):
            try:
                image = render_frame(ds, index)
            except SampleFailure as exc:
                outcomes[exc.stage] += 1
                if exc.stage not in STAGES or not str(exc).strip():
                    problems.append(f"{name}[{index}]: stage={exc.stage!r} message={str(exc)!r}")
                continue
            except Exception as exc:  # noqa: BLE001
                problems.append(f"{name}[{index}]: render_frame raised {type(exc).__name__}: {exc}")
                continue
            outcomes["ok"] += 1
            if image.dtype != np.uint8 or image.shape != _expected_shape(ds):
                problems.append(f"{name}[{index}]: got {image.dtype} {image.shape}")
            else:
                rendered.add(name)
    assert not problems, "\n".join(problems)
    ratio = len(rendered & with_pixels) / len(with_pixels)
    failed = sorted(with_pixels - rendered)
    assert ratio >= 0.9, f"only {ratio:.0%} of files with pixel data render; failing: {failed}"
    assert outcomes["read"] >= 5, f"non-DICOM files should fail at read: {outcomes}"
