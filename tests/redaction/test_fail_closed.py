"""Fail closed: nothing unmasked ever lands under ``redacted/``, and a failure counts as PHI not hidden.

Real files, made by the synthetic generator and then broken the way archives break them (an
unknown Photometric Interpretation; Number of Frames larger than the pixel data), run through
``phibench.run.execute`` with the inline executor. The detector reads the header
(``BurnedInAnnotation``) and the redactor masks the whole frame, so no OCR is needed and the
expected counts are exact.
"""

from __future__ import annotations

import csv
import hashlib
import json
import stat
from pathlib import Path

import pandas as pd
import pydicom
import pytest
from pydicom.encaps import encapsulate, generate_frames

from phibench.redaction import output_path
from phibench.results import ResultStore
from phibench.run import execute
from phibench_plugins.datasets.synthetic.generate import make_file
from phibench_plugins.datasets.synthetic.variants import BY_KEY, Planned
from tests.helpers import compose_run

QUIET = ["run.progress=false", "reporters=[json]", "executor=inline"]

GOOD_PHI, BAD_PI_PHI, SHORT_PHI, CORRUPT_PHI, CORRUPT_UNPLANNED, GOOD_NEG, BAD_PI_NEG = (
    "good_phi", "bad_pi_phi", "short_phi", "corrupt_phi", "corrupt_unplanned", "good_neg", "bad_pi_neg")


def sha(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def mode(path: str | Path) -> int:
    return stat.S_IMODE(Path(path).stat().st_mode)


def _generate(root: Path, index: int, key: str, has_phi: bool) -> tuple[pydicom.Dataset, list[dict]]:
    rows = make_file(root, Planned(index, BY_KEY[key], has_phi, "same"), 11)
    ds = pydicom.dcmread(root / rows[0]["path"])
    ds.BurnedInAnnotation = "YES" if has_phi else "NO"  # what the test detector reads
    return ds, rows


@pytest.fixture(scope="module")
def broken_files(tmp_path_factory) -> dict[str, tuple[Path, list[dict]]]:
    """name -> (file, labels rows), each file broken one way:

    * ``bad_pi_*``: Photometric Interpretation ``BOGUS``: no frame renders;
    * ``short_phi``: a multi-frame RLE file claiming two frames more than it holds (all frames
      planned, as the dataset counts them from the header);
    * ``corrupt_*``: a multi-frame RLE file whose last frame is zeroed: every other frame renders
      (and is flagged and masked), the last does not. ``corrupt_unplanned`` plans frame 0 only,
      so the last one is an unplanned frame, masked like frame 0 -- or not at all.
    """
    gen, root = tmp_path_factory.mktemp("generated"), tmp_path_factory.mktemp("broken")
    (gen / "dicom").mkdir()
    out: dict[str, tuple[Path, list[dict]]] = {}
    plan = [(GOOD_PHI, "ct-s16-explicit", True), (BAD_PI_PHI, "ct-s16-explicit", True),
            (SHORT_PHI, "xa-u8-mf-rle", True), (CORRUPT_PHI, "xa-u8-mf-rle", True),
            (CORRUPT_UNPLANNED, "xa-u8-mf-rle", True),
            (GOOD_NEG, "ct-s16-explicit", False), (BAD_PI_NEG, "ct-s16-explicit", False)]
    for i, (name, key, has_phi) in enumerate(plan):
        ds, rows = _generate(gen, i, key, has_phi)
        labels = [{"has_phi": r["has_phi"], "frame": r["frame"], "regions": r["regions"]} for r in rows]
        real = len(rows)
        if name.startswith("bad_pi"):
            ds.PhotometricInterpretation = "BOGUS"
        elif name == SHORT_PHI:
            ds.NumberOfFrames = real + 2
            labels += [{"has_phi": True, "frame": k, "regions": "[]"} for k in (real, real + 1)]
        elif name.startswith("corrupt"):
            frames = list(generate_frames(ds.PixelData, number_of_frames=real))
            frames[-1] = bytes(len(frames[-1]))  # an RLE header naming no segments
            ds.PixelData = encapsulate(frames)
            if name == CORRUPT_UNPLANNED:
                labels = labels[:1]
        assert real > 1 or not name.startswith(("short", "corrupt"))
        path = root / f"{name}.dcm"
        ds.save_as(path)
        out[name] = (path, labels)
    return out


def unrenderable(path: Path, frames: range | list[int]) -> list[int]:
    """Which of ``frames`` phibench cannot read and render (all, when the file does not read)."""
    from phibench.dicom import read_dataset, render_frame
    from phibench.exceptions import SampleFailure

    try:
        ds = read_dataset(path)
    except SampleFailure:
        return list(frames)
    bad = []
    for k in frames:
        try:
            render_frame(ds, k)
        except SampleFailure:
            bad.append(k)
    return bad


def frame_list(frames: list[int]) -> str:
    return f"frame {frames[0]} " if len(frames) == 1 else "frames " + ", ".join(map(str, frames)) + " "


def folder_run(run_dir: Path, files: dict[str, tuple[Path, list[dict]]], names: list[str],
               *overrides: str) -> tuple[dict, pd.DataFrame]:
    root = next(iter(files.values()))[0].parent
    labels = run_dir.parent / f"{run_dir.name}_labels.csv"
    with labels.open("w", newline="") as fh:
        w = csv.DictWriter(fh, ["path", "has_phi", "frame", "regions"])
        w.writeheader()
        for name in names:
            path, rows = files[name]
            for r in rows:
                w.writerow({"path": path.name, "has_phi": str(r["has_phi"]).lower(),
                            "frame": r["frame"], "regions": r["regions"]})
    defaults = ["detector=burned_in_header", "redactor=whole_frame", "redactor.verify=false"]
    chosen = {o.split("=")[0] for o in overrides}
    cfg = compose_run(*[d for d in defaults if d.split("=")[0] not in chosen], *overrides,
                      "dataset=folder", f"dataset.root={root}", f"dataset.labels={labels}", *QUIET)
    sc = execute(cfg, run_dir)
    return sc, ResultStore(run_dir).read()


def rows_of(df: pd.DataFrame, name: str) -> pd.DataFrame:
    return df[df["path"].map(lambda p: Path(p).stem == name)]


def test_the_broken_fixtures_fail_as_intended(broken_files):
    for name in (BAD_PI_PHI, BAD_PI_NEG):
        assert unrenderable(broken_files[name][0], [0]) == [0]
    for name in (CORRUPT_PHI, CORRUPT_UNPLANNED):
        n = int(pydicom.dcmread(broken_files[name][0]).NumberOfFrames)
        assert unrenderable(broken_files[name][0], range(n)) == [n - 1]
    n = len(broken_files[SHORT_PHI][1])
    assert unrenderable(broken_files[SHORT_PHI][0], range(n))[-2:] == [n - 2, n - 1]


# -- 1. a failed redaction writes nothing ----------------------------------------------------


@pytest.mark.parametrize("name", [BAD_PI_PHI, SHORT_PHI, CORRUPT_PHI, CORRUPT_UNPLANNED])
def test_a_frame_that_cannot_be_rendered_means_no_output_for_its_file(tmp_path, broken_files, name):
    path, labels = broken_files[name]
    planned = [int(r["frame"]) for r in labels]
    failing = unrenderable(path, planned)
    if failing:
        frames = frame_list(failing)
    else:  # only an unplanned frame fails
        last = int(pydicom.dcmread(path).NumberOfFrames) - 1
        frames = f"frame {last} (not planned"
    sc, df = folder_run(tmp_path / "run", broken_files, [name, GOOD_PHI])
    bad = rows_of(df, name)
    assert len(bad) == len(broken_files[name][1])
    assert (bad["redaction"] == "failed").all() and bad["redacted_path"].isna().all()
    assert bad["redact_error_stage"].eq("redact").all()
    for err in bad["redact_error"]:
        assert frames in err and "could not be rendered" in err and "no redacted copy" in err
        assert str(broken_files[name][0]) not in err  # the path is recorded apart, never in the message
    assert not output_path(str(tmp_path / "run" / "redacted"), str(broken_files[name][0])).exists()
    # the good file of the same run is redacted as usual: one failure does not stop the others
    good = rows_of(df, GOOD_PHI)
    assert (good["redaction"] == "masked").all()
    assert list((tmp_path / "run" / "redacted").glob("*.dcm")) == [Path(good["redacted_path"].iloc[0])]
    assert sc["redaction"]["files_failed"] == 1 and sc["redaction"]["files_written"] == 1


def test_a_failed_frame_is_not_hidden_behind_frames_with_nothing_to_mask(tmp_path, broken_files):
    """The reported case: the redactor had nothing to mask elsewhere, so the writer used to copy
    the input byte for byte -- failed frame included -- into ``redacted/``."""
    sc, df = folder_run(tmp_path / "run", broken_files, [BAD_PI_NEG, CORRUPT_PHI], "detector=flag_none")
    assert (df["redaction"] == "failed").all() and df["redacted_path"].isna().all()
    assert not list((tmp_path / "run" / "redacted").glob("*"))


def test_a_stale_copy_from_an_earlier_attempt_is_removed_when_this_attempt_fails(tmp_path, broken_files):
    path = broken_files[BAD_PI_PHI][0]
    stale = output_path(str(tmp_path / "run" / "redacted"), str(path))
    stale.parent.mkdir(parents=True)
    stale.write_bytes(path.read_bytes())  # an unmasked copy, as an earlier attempt might have left
    sc, df = folder_run(tmp_path / "run", broken_files, [BAD_PI_PHI])
    assert (df["redaction"] == "failed").all()
    assert not stale.exists()


def test_a_redactor_that_raises_removes_a_stale_copy_too(tmp_path, broken_files):
    path = broken_files[GOOD_PHI][0]
    stale = output_path(str(tmp_path / "run" / "redacted"), str(path))
    stale.parent.mkdir(parents=True)
    stale.write_bytes(path.read_bytes())
    sc, df = folder_run(tmp_path / "run", broken_files, [GOOD_PHI], "redactor=broken")
    assert (df["redaction"] == "failed").all() and df["redact_error"].str.contains("no boxes today").all()
    assert not stale.exists()


def test_redact_on_error_false_is_the_one_way_to_leave_an_unrenderable_frame_unmasked(tmp_path, broken_files):
    """The policy, not an accident: with ``redact_on_error=false`` the user asked for failed
    frames to be left alone, so the file is copied and the row says why."""
    sc, df = folder_run(tmp_path / "run", broken_files, [BAD_PI_NEG], "redactor.redact_on_error=false")
    assert (df["redaction"] == "untouched").all()
    assert df["redaction_reason"].str.contains("redact_on_error=false").all()
    assert sha(df["redacted_path"].iloc[0]) == sha(broken_files[BAD_PI_NEG][0])


# -- quarantine and permissions --------------------------------------------------------------


def test_outputs_and_their_folder_are_owner_only(tmp_path, broken_files):
    (tmp_path / "run" / "redacted").mkdir(parents=True)
    (tmp_path / "run" / "redacted").chmod(0o755)  # made world-readable by someone else
    sc, df = folder_run(tmp_path / "run", broken_files, [GOOD_PHI, GOOD_NEG])
    assert df["redaction"].isin(["masked", "untouched"]).all()
    assert mode(tmp_path / "run" / "redacted") == 0o700
    files = list((tmp_path / "run" / "redacted").iterdir())
    assert len(files) == 2 and all(mode(f) == 0o600 for f in files)  # the masked and the copied one
    assert not (tmp_path / "run" / "quarantine").exists()  # off by default


def test_quarantine_holds_the_files_that_could_not_be_cleaned_owner_only(tmp_path, broken_files):
    sc, df = folder_run(tmp_path / "run", broken_files, [BAD_PI_PHI, SHORT_PHI, GOOD_PHI],
                        "redactor.quarantine=true")
    run = tmp_path / "run"
    failed = df[df["redaction"] == "failed"]
    assert set(failed["path"].map(lambda p: Path(p).stem)) == {BAD_PI_PHI, SHORT_PHI}
    quarantined = sorted((run / "quarantine").iterdir())
    assert len(quarantined) == 2 and mode(run / "quarantine") == 0o700
    assert all(mode(q) == 0o600 for q in quarantined)
    assert {sha(q) for q in quarantined} == {sha(broken_files[n][0]) for n in (BAD_PI_PHI, SHORT_PHI)}
    assert list((run / "redacted").iterdir()) == [Path(rows_of(df, GOOD_PHI)["redacted_path"].iloc[0])]
    if "quarantine_path" in df:  # once the results schema carries the column
        assert failed["quarantine_path"].map(lambda q: Path(q).parent == run / "quarantine").all()
        assert df.loc[df["redaction"] != "failed", "quarantine_path"].isna().all()


def test_the_stage_records_the_quarantine_path(tmp_path, broken_files, monkeypatch):
    """The column the stage returns (the results schema adds it; see ``stage.COLUMNS``)."""
    from phibench.dicom import read_dataset, render_frame
    from phibench.exceptions import SampleFailure
    from phibench.records import Detection, GroundTruth, Sample, SampleError
    from phibench.redaction import FileRedaction, Item, RedactionSpec, stage
    from phibench.specs import PluginSpec

    if "quarantine_path" not in stage.COLUMNS:
        monkeypatch.setattr(stage, "COLUMNS", stage.COLUMNS + ("quarantine_path",))
    path = str(broken_files[BAD_PI_PHI][0])
    try:
        render_frame(read_dataset(path), 0)
    except SampleFailure as exc:
        error = SampleError.from_exception(path, "decode", exc)
    spec = RedactionSpec(PluginSpec.of("redactor", "whole_frame", {"quarantine": True}), str(tmp_path / "redacted"))
    item = Item(Sample("x#0", path, 0), GroundTruth(True), None, Detection.failed(error))
    cols = FileRedaction(spec).run(path, [item])["x#0"]
    assert cols["redaction"] == "failed" and cols["redacted_path"] is None
    assert cols["quarantine_path"] == str(output_path(str(tmp_path / "quarantine"), path))
    assert sha(cols["quarantine_path"]) == sha(path)


# -- 2. a failure counts as PHI not hidden ---------------------------------------------------


def _phi_regions(rows: pd.DataFrame) -> int:
    return sum(r["is_phi"] for t in rows["truth_regions"] for r in json.loads(t))


def test_phi_frames_that_all_failed_score_zero_not_na(tmp_path, broken_files):
    sc, df = folder_run(tmp_path / "run", broken_files, [BAD_PI_PHI, SHORT_PHI])
    m = sc["redaction"]["metrics"]
    assert (df["redaction"] == "failed").all()
    assert (m["phi_frames_masked"]["k"], m["phi_frames_masked"]["n"]) == (0, len(df))
    assert len(df) == 1 + len(broken_files[SHORT_PHI][1])  # every planned frame of both files
    n = _phi_regions(df)
    assert n > 0
    for name in ("phi_regions_hidden", "phi_regions_covered", "phi_regions_unreadable"):
        assert (m[name]["k"], m[name]["n"]) == (0, n), name
        assert m[name]["value"] == 0.0


def test_failures_count_against_every_metric_they_enter(tmp_path, broken_files):
    names = [GOOD_PHI, BAD_PI_PHI, SHORT_PHI, CORRUPT_PHI, CORRUPT_UNPLANNED, GOOD_NEG, BAD_PI_NEG]
    sc, df = folder_run(tmp_path / "run", broken_files, names)
    red, m = sc["redaction"], sc["redaction"]["metrics"]
    good = rows_of(df, GOOD_PHI)
    assert (good["redaction"] == "masked").all()
    assert (rows_of(df, GOOD_NEG)["redaction"] == "untouched").all()
    failed = df[df["redaction"] == "failed"]
    assert set(failed["path"].map(lambda p: Path(p).stem)) == set(names) - {GOOD_PHI, GOOD_NEG}
    positives = df[df["has_phi_true"]]
    assert (m["phi_frames_masked"]["k"], m["phi_frames_masked"]["n"]) == (1, len(positives))
    assert len(positives) == sum(len(broken_files[n][1]) for n in names if n.endswith(("phi", "unplanned")))
    # a failed negative wrote no file: it is not retained
    assert (m["negatives_retained"]["k"], m["negatives_retained"]["n"]) == (1, 2)
    n_good, n_all = _phi_regions(good), _phi_regions(df)
    assert n_good > 0 and n_all > n_good
    assert (m["phi_regions_covered"]["k"], m["phi_regions_covered"]["n"]) == (n_good, n_all)
    # verify=false: the masked file's regions were not re-read, the failed ones are known not hidden
    for name in ("phi_regions_hidden", "phi_regions_unreadable"):
        assert (m[name]["k"], m[name]["n"]) == (0, n_all - n_good), name
    assert red["phi_regions"] == n_all
    # harmless text of a failed file is lost with it (no usable copy): counted as masked
    nonphi_failed = sum(not r["is_phi"] for t in failed["truth_regions"] for r in json.loads(t))
    assert m["nonphi_regions_masked"]["k"] >= nonphi_failed > 0


def test_a_failed_detection_masked_anyway_is_counted_normally(tmp_path, broken_files):
    sc, df = folder_run(tmp_path / "run", broken_files, [GOOD_PHI], "detector=always_fails")
    assert df["error_stage"].eq("detect").all() and (df["redaction"] == "masked").all()
    m = sc["redaction"]["metrics"]
    n = _phi_regions(df)
    assert (m["phi_regions_covered"]["k"], m["phi_regions_covered"]["n"]) == (n, n)
    assert (m["phi_frames_masked"]["k"], m["phi_frames_masked"]["n"]) == (1, 1)
    assert m["phi_regions_hidden"]["n"] == 0  # verify=false: not re-read, so not claimed either


@pytest.mark.slow
def test_verified_run_with_failures_counts_failed_regions_as_still_readable(tmp_path, broken_files):
    sc, df = folder_run(tmp_path / "run", broken_files, [GOOD_PHI, BAD_PI_PHI], "redactor.verify=true")
    m = sc["redaction"]["metrics"]
    good, bad = rows_of(df, GOOD_PHI), rows_of(df, BAD_PI_PHI)
    assert good["residual_regions"].map(json.loads).map(len).eq(0).all()  # whole frame black: nothing read
    n_good, n_bad = _phi_regions(good), _phi_regions(bad)
    for name in ("phi_regions_hidden", "phi_regions_unreadable"):
        assert (m[name]["k"], m[name]["n"]) == (n_good, n_good + n_bad), name



def test_abandoned_columns_remove_what_a_dead_worker_may_have_left(tmp_path, broken_files):
    """For rows made without running the stage (a worker that died mid-file)."""
    from phibench.redaction import RedactionSpec
    from phibench.redaction.stage import abandoned_columns
    from phibench.specs import PluginSpec

    path = str(broken_files[GOOD_PHI][0])
    spec = RedactionSpec(PluginSpec.of("redactor", "whole_frame"), str(tmp_path / "redacted"))
    left = output_path(spec.out_dir, path)
    left.parent.mkdir()
    left.write_bytes(Path(path).read_bytes())
    cols = abandoned_columns(spec, path, "the worker died")
    assert cols["redaction"] == "failed" and cols["redacted_path"] is None
    assert cols["redact_error"] == "the worker died" and not left.exists()
