"""``python -m phibench.testing`` from a shell, as the README uses it: a real subprocess on a free
port of 127.0.0.1, real detectors pointed at it. By default it says on stderr that it answers
"no PHI" to everything; with ``--truth-from`` its answers follow the dataset's ground truth."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from phibench.dicom import read_dataset, render_frame
from phibench.frame import Frame
from phibench.registry import default_registry
from tests.helpers import phibench, synthetic_overrides
from tests.plugins.detectors.vlm.conftest import KEY_ENV, build, make_frames


@contextlib.contextmanager
def shell_server(*args: str) -> Iterator[tuple[str, list[str]]]:
    """Start the server command; yield its base URL and (after it stopped) its stderr lines."""
    proc = subprocess.Popen([sys.executable, "-m", "phibench.testing", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err: list[str] = []
    try:
        url = proc.stdout.readline().strip()
        if not url:
            proc.wait(timeout=30)
            pytest.fail(f"the server did not start: {proc.stderr.read()[-2000:]}")
        yield url, err
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0
        err += proc.stderr.read().splitlines()


def planned_frames(params: dict) -> tuple[list[Frame], list[set[str]]]:
    """The dataset's frames, rendered as the pipeline renders them, and each one's PHI texts."""
    dataset = default_registry().build("dataset", "synthetic", params)
    frames, phi = [], []
    for sample, truth in dataset.plan():
        frames.append(Frame(sample, render_frame(read_dataset(sample.path), sample.frame)))
        phi.append({r.text for r in truth.regions if r.is_phi}
                   or ({"UNLOCATED PHI"} if truth.has_phi else set()))
    return frames, phi


def test_the_default_server_says_it_answers_no_phi_to_everything(api_key):
    with shell_server("openai") as (url, err):
        dets = build("gpt4o", base_url=url).detect_many(make_frames(2))
    assert [d.has_phi for d in dets] == [False, False]  # what it promised: no PHI, ever
    assert all(d.endpoint == url + " (simulated)" for d in dets)
    said = " ".join(err)
    assert "SIMULATED" in said and "EVERY request with 'no PHI'" in said and "recall 0" in said
    assert "--truth-from" in said and "served 2 requests" in said


@pytest.mark.slow
def test_the_ground_truth_server_answers_what_is_in_each_image(api_key, tmp_path):
    params = {"n": 6, "seed": 0, "out": str(tmp_path / "data")}
    spec = "synthetic:" + ",".join(f"{k}={v}" for k, v in params.items())
    with shell_server("openai", "--truth-from", spec) as (url, err):
        frames, phi = planned_frames(params)
        dets = build("gpt4o", base_url=url).detect_many(frames)
        (stranger,) = build("gpt4o", base_url=url).detect_many(make_frames(1))  # not in the dataset
        png = build("gpt4o", base_url=url, image_format="png").detect_many(frames[:2])
    assert any(phi) and not all(phi)  # both kinds of frame
    for d, expected in zip(dets, phi, strict=True):
        assert d.error is None and d.has_phi is bool(expected)
        assert {e.text for e in d.entities} == expected
        assert d.endpoint == url + " (simulated)"
    for d in [stranger, *png]:  # an image it does not know is an error row, never a guess
        assert d.has_phi is None and d.error.stage == "detect" and "HTTP 400" in d.error.message
    said = " ".join(err)
    assert f"ground truth of {spec}" in said and f"{len(frames)} images" in said
    assert "not in the truth table" in said and "3 carried an image not in the truth table" in said


def test_a_bad_truth_spec_fails_before_serving():
    out = subprocess.run([sys.executable, "-m", "phibench.testing", "openai", "--truth-from",
                          "synthetic:n"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and out.stdout == "" and "KEY=VALUE" in out.stderr
    out = subprocess.run([sys.executable, "-m", "phibench.testing", "openai", "--truth-from",
                          "synthetic:n=2", "--detector", "ocr_llm"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2 and "carry no image" in out.stderr


@pytest.mark.slow
def test_the_readme_recipe_scores_the_truth_and_says_simulated(tmp_path):
    """Serve from the shell with ``--truth-from``, run ``phibench run`` against it: every frame
    is answered right (recall 1, no false positive), and the scorecard says simulated."""
    data, run_dir = tmp_path / "data", tmp_path / "run"
    with shell_server("openai", "--truth-from", f"synthetic:n=4,seed=0,out={data}") as (url, _):
        out = phibench("run", "detector=gpt4o", f"detector.base_url={url}",
                       f"detector.api_key_env={KEY_ENV}", "executor=inline",
                       *synthetic_overrides(data, 4), f"hydra.run.dir={run_dir}",
                       "run.progress=false", env={KEY_ENV: "sk-simulated"}, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    card = json.loads((run_dir / "scorecard.json").read_text())
    c = card["confusion"]
    assert c["errors"] == 0 and c["fp"] == 0 and c["fn"] == 0 and c["tp"] > 0 and c["tn"] > 0
    assert card["simulated"] is True and card["endpoints"] == [url + " (simulated)"]
