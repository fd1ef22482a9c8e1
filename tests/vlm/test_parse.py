"""The answer parser, by table: JSON and free-text answers, and every way an answer is unusable."""

from __future__ import annotations

import pytest

from phibench_plugins.detectors.vlm.errors import (
    AnswerEmpty,
    AnswerRefused,
    AnswerTruncated,
    AnswerUnparsable,
)
from phibench_plugins.detectors.vlm.parse import category_of, parse_answer

POSITIVE = [
    ('{"text": ["DOE^JOHN"], "phi": [{"text": "DOE^JOHN", "category": "NAME"}], "has_phi": true}',
     [("NAME", "DOE^JOHN")]),
    ('```json\n{"phi": [{"text": "12/03/1961", "category": "date of birth"}]}\n```', [("DATE", "12/03/1961")]),
    ('Here is the result: {"phi": [{"text": "MRN 4411", "category": "MRN"}], "has_phi": true}',
     [("ID", "MRN 4411")]),
    ('{"has_phi": false, "phi": [{"text": "St. Mary", "category": "hospital"}]}',  # entities win
     [("INSTITUTION", "St. Mary")]),
    ('{"has_phi": true, "phi": []}', []),
    ('{"entities": ["NAME: DOE JANE", "ACC 88121"]}', [("NAME", "DOE JANE"), ("OTHER", "ACC 88121")]),
    ('[{"value": "555-0134", "type": "phone"}]', [("CONTACT", "555-0134")]),
    ('{"PHI": [{"text": "Dr. Who", "category": "physician"}], "has_phi": "yes"}', [("PROVIDER", "Dr. Who")]),
    ("JOHN DOE", [("OTHER", "JOHN DOE")]),  # a single entity stays one entity (Pixels split it)
    ("JOHN DOE | 1961-03-12 | MRN 12345", [("OTHER", "JOHN DOE"), ("OTHER", "1961-03-12"),
                                           ("OTHER", "MRN 12345")]),
    ("NAME: DOE^JOHN | DOB: 19610312", [("NAME", "DOE^JOHN"), ("DATE", "19610312")]),
    ("Pt: Griffin, Johnny L. | Hospital: St. Lloyd Medical Center", [("OTHER", "Pt: Griffin, Johnny L."),
                                                                    ("INSTITUTION", "St. Lloyd Medical Center")]),
    ("Ref. Phys: MALDONADO^SARITA", [("OTHER", "Ref. Phys: MALDONADO^SARITA")]),
    ("- DOE^JOHN\n- 12:30 ST MARY HOSPITAL", [("OTHER", "DOE^JOHN"), ("OTHER", "12:30 ST MARY HOSPITAL")]),
]

NEGATIVE = [
    '{"text": ["L", "AP"], "phi": [], "has_phi": false}',
    '{"has_phi": false}',
    "```\n{\"phi\": [], \"has_phi\": false}\n```",
    "[]",
    "No PHI",
    "no phi.",
    "No PHI found in this image.",
    "None",
    "NO PROTECTED HEALTH INFORMATION DETECTED",
]

ERRORS = [
    ("", "stop", AnswerEmpty),
    ("   \n ", "stop", AnswerEmpty),
    ('{"phi": [{"text": "DOE', "stop", AnswerUnparsable),
    ('{"text": ["L"]}', "stop", AnswerUnparsable),
    ('{"has_phi": "maybe", "phi": []}', "stop", AnswerUnparsable),
    ('{"phi": "DOE^JOHN"}', "stop", AnswerUnparsable),
    ("Result: {}", "stop", AnswerUnparsable),
    ("The image shows a chest radiograph with a laterality marker and the patient's name.", "stop",
     AnswerUnparsable),
    ("There is no PHI except the name", "stop", AnswerUnparsable),
    ("No PHI other than JOHN DOE", "stop", AnswerUnparsable),
    ("The image contains no protected health information.", "stop", AnswerUnparsable),
    ("This is a CT image.", "stop", AnswerUnparsable),
    ("I'm sorry, but I can't help with identifying people in images.", "stop", AnswerRefused),
    ("I cannot assist with that.", "stop", AnswerRefused),
    ('{"phi": [], "has_phi": false}', "refusal", AnswerRefused),
    ('{"phi": [], "has_phi": false}', "content_filter", AnswerRefused),
    ('{"phi": [], "has_phi": false}', "length", AnswerTruncated),
    ('{"text": ["DOE^JO', "length", AnswerTruncated),
    ("No PHI", "other:tool_calls", AnswerUnparsable),
]


@pytest.mark.parametrize(("text", "expected"), POSITIVE)
def test_positive_answers(text, expected):
    parsed = parse_answer(text)
    assert parsed.has_phi is True
    assert [(e.category, e.text) for e in parsed.entities] == expected


@pytest.mark.parametrize("text", NEGATIVE)
def test_negative_answers(text):
    parsed = parse_answer(text)
    assert parsed.has_phi is False and parsed.entities == ()


@pytest.mark.parametrize(("text", "finish", "error"), ERRORS)
def test_unusable_answers_are_errors_that_never_quote_the_answer(text, finish, error):
    with pytest.raises(error) as info:
        parse_answer(text, finish)
    message = str(info.value)
    assert info.value.stage == "detect"
    for word in ("DOE", "JOHN", "sorry", "chest"):
        assert word not in message


@pytest.mark.parametrize(("label", "category"), [
    ("NAME", "NAME"), ("Patient Name", "NAME"), ("dob", "DATE"), ("Medical Record Number", "ID"),
    ("accession_number", "ACCESSION"), ("e-mail", "CONTACT"), ("Referring physician", "PROVIDER"),
    ("age", "AGE"), ("something new", "OTHER"), (None, "OTHER"),
])
def test_categories_map_to_phibench_names(label, category):
    assert category_of(label) == category
