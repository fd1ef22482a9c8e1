"""Answers that must not be read as "no PHI", end to end: the real SDKs, a local server, the
detector's error rows (stage ``detect``, no verdict) — for both wire protocols."""

from __future__ import annotations

import pytest

from phibench.testing import Reply, Script
from tests.plugins.detectors.vlm.conftest import SERVERS, build, make_frames

ANSWERS = [  # (the model's answer, the verdict: True/False, or the error type)
    ("I'm sorry, I can't help with that. {\"has_phi\": false}", "AnswerRefused"),
    ('{"phi": [], "has_phi": false, "note": "I cannot assist with identifying people."}', "AnswerRefused"),
    ('{"has_phi": false, "phi": [], "has_phi": true}', "AnswerUnparsable"),
    ('{"has_phi": "no", "phi": []}', "AnswerUnparsable"),
    ('{"entities": [{"text": "L", "is_phi": "false"}, {"text": "AP", "is_phi": "False"}]}', False),
    ('{"has_phi": "false", "entities": [{"text": "DOE^JANE", "is_phi": "true"}]}', True),
]


@pytest.mark.parametrize("name", ["gpt4o", "claude"])
def test_refusals_contradictions_and_string_booleans(name, api_key):
    frames = make_frames(len(ANSWERS))
    with SERVERS[name](Script([Reply.answer(text) for text, _ in ANSWERS])) as server:
        dets = build(name, server, max_in_flight=1).detect_many(frames)
    for d, (_, expected) in zip(dets, ANSWERS, strict=True):
        if isinstance(expected, bool):
            assert d.error is None and d.has_phi is expected
        else:
            assert d.has_phi is None and d.error.stage == "detect"
            assert d.error.exc_type.endswith(expected) and "sorry" not in d.error.message.lower()
            assert d.attempts == 1 and d.usage.input_tokens > 0  # what the answer cost is kept
