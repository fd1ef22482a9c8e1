"""The OCR-then-LLM baseline (``detector=ocr_llm``): the real EasyOCR engine reads frames drawn with
a real font (and synthetic DICOMs), the real OpenAI SDK sends the text to a local chat-completions
server whose "model" reads the PHI out of the text the request carries (:class:`TextRule` with the
local detector's generic patterns: it decides from the request, not from a table of answers).
"""

from __future__ import annotations

import json
import logging
import os
import re

import matplotlib
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from phibench import ocr
from phibench.exceptions import ConfigError
from phibench.frame import Frame
from phibench.ocr import TextBox
from phibench.records import Entity, Sample
from phibench.registry import default_registry
from phibench.results import ResultStore
from phibench.run import execute
from phibench.testing import FirstAttempts, OpenAIChatServer, Reply, TextRule
from phibench_plugins.detectors import recognizers
from phibench_plugins.detectors.local import build_lines
from phibench_plugins.detectors.ocr_llm import locate
from phibench_plugins.detectors.vlm.cache import ResponseCache
from tests.helpers import compose_run, synthetic_overrides
from tests.test_phi_hygiene import phi_strings
from tests.plugins.detectors.vlm.conftest import KEY_ENV

FONT = os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "fonts", "ttf", "DejaVuSans.ttf")
PHI_ROWS = [("PATIENT: DOE^JANE", (16, 16)), ("DOB 1970-01-01", (16, 48)), ("ST MARY HOSPITAL", (16, 80)),
            ("kVp 120  mAs 5", (300, 200)), ("R", (480, 16))]
TECHNIQUE_ROWS = [("kVp 120  mAs 5", (20, 20)), ("W 400 L 40", (20, 80))]


def reads_phi(text: str) -> list[tuple[str, str]]:
    """The simulated model: the PHI that generic overlay patterns find in each line it was sent."""
    found = [(line[h.start:h.end], h.category) for line in text.splitlines()
             for h in recognizers.find_hits(line)]
    return list(dict.fromkeys(found))


def drawn(name: str, rows: list[tuple[str, tuple[int, int]]], size: tuple[int, int] = (512, 256)
          ) -> tuple[Frame, dict[str, tuple]]:
    """A black frame with ``rows`` drawn in white, and each row's pixel box (x0, y0, x1, y1)."""
    image = Image.new("L", size, 0)
    pen, font = ImageDraw.Draw(image), ImageFont.truetype(FONT, 18)
    where = {}
    for text, xy in rows:
        pen.text(xy, text, fill=255, font=font)
        where[text] = pen.textbbox(xy, text, font=font)
    return Frame(Sample(name, f"/data/{name}.dcm"), np.asarray(image)), where


def fresh(frame: Frame) -> Frame:
    """The same pixels without the frame's cache of OCR results (so OCR runs again)."""
    return Frame(frame.sample, frame.image)


def overlaps(box, xyxy) -> bool:
    x, y, w, h = box
    return x < xyxy[2] and xyxy[0] < x + w and y < xyxy[3] and xyxy[1] < y + h


def detector(server=None, **params):
    defaults = {"api_key_env": KEY_ENV, "cache": "off", "max_in_flight": 4, "backoff_initial_s": 0.01,
                "backoff_max_s": 0.05, "timeout_s": 5.0}
    if server is not None:
        defaults["base_url"] = server.base_url
    return default_registry().build("detector", "ocr_llm", {**defaults, **params})


@pytest.fixture(scope="module")
def engine():
    """The real EasyOCR engine, loaded once per process through ``phibench.worker`` (as the
    detector gets it)."""
    return ocr.engine("easyocr", {})


@pytest.fixture(scope="module")
def frames(engine):
    """Drawn frames, each read once here (the frame keeps what OCR read, like in a run)."""
    out = {"phi": drawn("phi", PHI_ROWS), "technique": drawn("technique", TECHNIQUE_ROWS, (256, 128)),
           "blank": drawn("blank", [], (96, 64))}
    for frame, _ in out.values():
        ocr.read_frame(engine, frame)
    return out


def test_the_request_carries_the_ocr_text_and_the_spans_come_back_as_boxed_entities(
        frames, api_key, caplog):
    caplog.set_level(logging.INFO)
    (phi, where), (tech, _) = frames["phi"], frames["technique"]
    rule = TextRule(reads_phi)
    with OpenAIChatServer(rule) as server:
        det = detector(server)
        d, t = det.detect_many([phi, tech])
    assert len(server.requests) == 2 and not server.errors
    req = next(r for r in server.requests if "DOE" in r.prompt)
    sent = req.body["messages"][-1]["content"]
    assert isinstance(sent, str) and req.image == b""  # text only, no image
    assert rule.block(req) == det.ocr_text(phi) == "\n".join(line.text for line in det.lines(phi))
    assert all(line.text in sent for line in det.lines(phi)) and "recognition errors" in sent
    assert api_key in req.headers["authorization"] and req.model == "gpt-4o-mini"

    assert d.error is None and d.has_phi is True and d.attempts == 1
    assert d.endpoint == server.base_url + " (simulated)"
    assert {e.category for e in d.entities} == {"NAME", "DATE", "INSTITUTION"}
    drawn_text = {"NAME": "PATIENT: DOE^JANE", "DATE": "DOB 1970-01-01", "INSTITUTION": "ST MARY HOSPITAL"}
    for e in d.entities:  # every entity is located on the text it quotes
        assert e.box is not None and overlaps(e.box, where[drawn_text[e.category]]), e
        assert not overlaps(e.box, where["kVp 120  mAs 5"]) and not overlaps(e.box, where["R"])
    assert d.usage.input_tokens > 100 and d.usage.output_tokens > 0

    assert t.error is None and t.has_phi is False and t.entities == () and t.attempts == 1
    for secret in (api_key, "DOE^JANE", "1970-01-01", "MARY HOSPITAL"):
        assert secret not in caplog.text


def test_a_frame_without_readable_text_is_no_phi_without_a_request(frames, api_key):
    with OpenAIChatServer(TextRule(reads_phi)) as server:
        blank, phi = detector(server).detect_many([frames["blank"][0], frames["phi"][0]])
    assert len(server.requests) == 1 and "DOE" in server.requests[0].prompt
    assert blank.has_phi is False and blank.error is None and blank.entities == ()
    assert blank.attempts == 0 and blank.usage.input_tokens == blank.usage.output_tokens == 0
    assert blank.endpoint == "" and phi.has_phi is True


def test_an_ocr_failure_is_an_ocr_error_and_sends_nothing(api_key):
    broken = Frame(Sample("f", "/data/float.dcm"), np.zeros((64, 64), np.float32))  # not uint8
    with OpenAIChatServer(TextRule(reads_phi)) as server:
        (d,) = detector(server).detect_many([broken])
    assert d.has_phi is None and d.error.stage == "ocr" and d.attempts == 0
    assert not server.requests


def test_server_errors_are_retried_then_fail_closed(frames, api_key):
    phi, tech = frames["phi"][0], frames["technique"][0]
    with OpenAIChatServer(Reply.error(500)) as server:
        (d,) = detector(server, max_attempts=3).detect_many([phi])
    assert d.has_phi is None and d.error.stage == "detect" and d.attempts == 3
    assert d.error.exc_type.endswith("RequestFailed") and "HTTP 500" in d.error.message
    assert [r.attempt for r in server.requests] == [1, 2, 3]  # the same text sent three times

    rule = FirstAttempts([Reply.error(503), Reply.malformed()], then=TextRule(reads_phi))
    with OpenAIChatServer(rule) as server:
        d, t = detector(server).detect_many([phi, tech])
    assert (d.attempts, t.attempts) == (3, 3) and d.has_phi is True and t.has_phi is False
    with OpenAIChatServer(Reply.answer("Probably fine, nothing here I think.")) as server:
        (d,) = detector(server).detect_many([phi])
    assert d.has_phi is None and d.error.exc_type.endswith("AnswerUnparsable")


def test_a_second_identical_run_is_answered_from_the_cache(frames, api_key, tmp_path):
    phi, tech = frames["phi"][0], frames["technique"][0]
    with OpenAIChatServer(TextRule(reads_phi)) as server:
        first = detector(server, cache="read_write", cache_root=str(tmp_path)).detect_many([phi, tech])
        again = detector(server, cache="read_write", cache_root=str(tmp_path)).detect_many(
            [phi, fresh(tech)])  # tech read again by the OCR: the same text, the same key
    assert len(server.requests) == 2 and ResponseCache(tmp_path / "cache").count() == 2
    assert [d.attempts for d in first] == [1, 1] and [d.attempts for d in again] == [0, 0]
    for a, b in zip(first, again, strict=True):
        assert (a.has_phi, a.entities, a.usage, a.endpoint) == (b.has_phi, b.entities, b.usage, b.endpoint)
    assert again[1].cpu_s > 0.05  # the cache saves the request, not the OCR


def test_the_cost_is_the_tokens_plus_the_ocr_cpu_time(frames, api_key):
    with OpenAIChatServer(TextRule(reads_phi)) as server:
        det = detector(server)
        (d,) = det.detect_many([fresh(frames["technique"][0])])  # OCR runs again
    tokens = (d.usage.input_tokens * 0.15 + d.usage.output_tokens * 0.60) / 1e6  # gpt-4o-mini
    assert d.cpu_s > 0.05 and d.latency_s > 0.05  # the OCR ran, inside this detection
    assert det.cost_usd(d, 0.045) == pytest.approx(tokens + d.cpu_s / 3600 * 0.045)
    assert det.cost_usd(d, 0.0) == pytest.approx(tokens) and tokens > 0
    basis = det.cost_basis(0.045)
    assert "measured tokens x $0.15 per 1M input" in basis and "CPU time" in basis and "core-hour" in basis


@pytest.mark.parametrize(("spans", "lines", "boxes"), [
    # (the model's spans, the OCR boxes' texts per line, which lines each span is boxed on)
    (["DOE^JANE"], [["PATIENT:", "DOE^JANE"], ["R"]], [[(0, 1)]]),
    (["DOE^JANE"], [["PATIENT:", "D0E^JANE"]], [[(0, 1)]]),  # the model corrected the OCR's 0
    (["ST MARY HOSPITAL"], [["ST  MARY", "HOSPITAL"]], [[(0, 0), (0, 1)]]),  # spacing differs
    (["DOE^JANE"], [["DOE^JANE"], ["kVp 120"], ["DOE^JANE"]], [[(0, 0)], [(2, 0)]]),  # twice
    (["45"], [["145 mAs"], ["AGE 45"]], [[(1, 0)]]),  # a digit run is never cut
    (["ROE^RICHARD"], [["DOE^JANE"]], []),  # found nowhere: no box
])
def test_spans_are_located_in_the_ocr_lines(spans, lines, boxes):
    text_boxes = []
    for row, words in enumerate(lines):
        x = 10
        for col, word in enumerate(words):
            text_boxes.append(TextBox((x, 10 + 40 * row, 10 * len(word), 20), word, 0.9))
            x += 10 * len(word) + 15
    built = build_lines(text_boxes)
    box_of = {(r, c): text_boxes[sum(len(w) for w in lines[:r]) + c].box
              for r, words in enumerate(lines) for c in range(len(words))}
    got = locate([Entity("NAME", s) for s in spans], built)
    if not boxes:
        assert got == tuple(Entity("NAME", s) for s in spans)
        return
    expected = []
    for occurrence in boxes:
        members = [box_of[rc] for rc in occurrence]
        x0, y0 = min(b[0] for b in members), min(b[1] for b in members)
        x1, y1 = max(b[0] + b[2] for b in members), max(b[1] + b[3] for b in members)
        expected.append((x0, y0, x1 - x0, y1 - y0))
    assert [e.box for e in got] == expected and {e.text for e in got} == set(spans)


def test_configuration_is_checked_and_the_image_settings_shape_nothing(api_key, tmp_path):
    prompt = tmp_path / "no_placeholder.yaml"
    prompt.write_text("id: x\nversion: 1\nuser: Is there PHI?\n")
    with pytest.raises(ConfigError, match=re.escape("{ocr_text}")):
        detector(prompt=str(prompt))
    with pytest.raises(ConfigError, match="min_ocr_confidence"):
        detector(min_ocr_confidence=2.0)
    a, b = detector(), detector(image_long_side=256, image_format="png")
    frame = Frame(Sample("k", "/k.dcm"), np.zeros((8, 8), np.uint8))
    a.ocr_text = b.ocr_text = lambda frame: "PATIENT DOE^JANE"  # the key's content, read once
    assert a.key_parts(frame) == b.key_parts(frame) and "image" not in a.describe()
    assert a.describe()["kind"] == "ocr_llm" and "api_key" not in json.dumps(a.describe())


def test_the_estimate_counts_text_not_an_image(api_key, tmp_path):
    from phibench.estimate import estimate

    cfg = compose_run("detector=ocr_llm", f"detector.api_key_env={KEY_ENV}",
                      *synthetic_overrides(tmp_path, 2))
    e = estimate(cfg, default_registry())
    assert e["model"] == "gpt-4o-mini" and e["frames"] >= 2
    assert 300 < e["input_tokens_per_image"] < 1000 and e["output_tokens_per_image"] == 60


@pytest.mark.slow
def test_a_run_names_the_endpoint_and_keeps_the_key_and_the_text_out(tmp_path, api_key, engine, caplog):
    """``phibench run detector=ocr_llm dataset=synthetic dataset.n=4 executor=inline`` against the
    local server: a scorecard that names the endpoint (simulated), priced by tokens and CPU, with
    boxed entities; neither the key nor the text read reaches the log (at its default level), the
    reports or the config dumps. In this process, so the OCR model loaded above is reused."""
    caplog.set_level(logging.INFO)
    run_dir, rule = tmp_path / "run", TextRule(reads_phi)
    with OpenAIChatServer(rule) as server:
        cfg = compose_run("detector=ocr_llm", f"detector.base_url={server.base_url}",
                          f"detector.api_key_env={KEY_ENV}", "executor=inline",
                          *synthetic_overrides(tmp_path / "data", 4), "run.progress=false",
                          "reporters=[json,markdown]")
        sc = execute(cfg, run_dir)
    df = ResultStore(run_dir).read()
    assert sc["samples"] == len(df) >= 4 and sc["confusion"]["errors"] == 0
    assert sc["simulated"] is True and sc["endpoints"] == [server.base_url + " (simulated)"]
    assert sc["detector"]["kind"] == "ocr_llm" and sc["detector"]["prompt"] == "ocr_text_phi@1"
    assert "measured tokens" in sc["cost_basis"] and "core-hour" in sc["cost_basis"]
    asked = df[df["attempts"] > 0]
    assert len(server.requests) == len(asked) > 0 and all(rule.block(r) for r in server.requests)
    assert (asked["input_tokens"] > 0).all() and (df["cpu_s"] > 0).all()
    assert sc["tokens"]["input"] == int(df["input_tokens"].sum())
    assert ResponseCache(run_dir / "cache").count() == len(asked)
    entities = [e for cell in df["entities"] for e in json.loads(cell)]
    assert entities and all(e["box"] for e in entities)  # boxes for the entity-level redactor

    stored = b"".join(p.read_bytes() for p in run_dir.rglob("*") if p.is_file())
    assert api_key.encode() not in stored and api_key not in caplog.text
    secrets = phi_strings(df)
    assert secrets  # the run handled PHI
    reports = {p.name: p.read_text() for p in run_dir.glob("*") if p.suffix in (".json", ".md", ".yaml")}
    for name, text in {"log": caplog.text, **reports}.items():
        assert not [s for s in secrets if s in text], f"PHI in {name}"
