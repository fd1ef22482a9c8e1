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
    ('{"PHI": [{"text": "Dr. Who", "category": "physician"}], "has_phi": "TRUE"}', [("PROVIDER", "Dr. Who")]),
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
    ('{"has_phi": "yes", "phi": [{"text": "Dr. Who"}]}', "stop", AnswerUnparsable),  # strict booleans
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


# -- fail closed: refusals whatever JSON they carry, self-contradicting answers, strict booleans --

REFUSALS = [
    "I'm sorry, I can't help with that. {\"has_phi\": false}",
    'I cannot assist with identifying people. Here is the JSON: {"phi": [], "has_phi": false}',
    '{"phi": [], "has_phi": false}\nI\'m sorry, but I can\'t identify people in medical images.',
    '```json\n{"has_phi": false}\n```\nUnfortunately, I am unable to read this image.',
    "I\u2019m sorry, but I can\u2019t help with that.",  # typographic apostrophes
    "I\u2019m unable to help. {\"has_phi\": false, \"phi\": []}",
    '{"has_phi": false, "phi": [], "note": "I cannot assist with identifying individuals."}',
    '{"has_phi": false, "phi": [], "refusal": "Declined."}',
    "I apologize, but I won't process this image. {\"has_phi\": fal",
    "No PHI. I'm unable to read the text in this image.",
]


@pytest.mark.parametrize("text", REFUSALS)
def test_a_refusal_is_an_error_whatever_verdict_comes_with_it(text):
    with pytest.raises(AnswerRefused) as info:
        parse_answer(text)
    assert info.value.stage == "detect" and "sorry" not in str(info.value).lower()


CONTRADICTIONS = [
    '{"has_phi": true, "phi": [], "has_phi": false}',  # json.loads would keep the last silently
    '{"has_phi": true, "phi": [], "HAS_PHI": false}',
    '{"has_phi": false, "contains_phi": true, "phi": []}',
    '{"has_phi": false, "phi": [], "error": "the image could not be read"}',
    "No PHI | DOE^JOHN",
    "No PHI\nDOE^JOHN",
]


@pytest.mark.parametrize("text", CONTRADICTIONS)
def test_an_answer_that_contradicts_itself_is_an_error(text):
    with pytest.raises(AnswerUnparsable):
        parse_answer(text)


@pytest.mark.parametrize(("text", "expected"), [
    # every entity list is read: a second one is not dropped for the first, empty one
    ('{"has_phi": false, "phi": [], "entities": [{"text": "DOE^JOHN", "category": "NAME"}]}',
     [("NAME", "DOE^JOHN")]),
    ('{"has_phi": false, "regions": [{"text": "DOE^JOHN", "category": "NAME", "is_phi": true}]}',
     [("NAME", "DOE^JOHN")]),
    ('{"has_phi": "False", "phi": [{"text": "DOE^JOHN", "category": "NAME"}]}', [("NAME", "DOE^JOHN")]),
    # items the model marks as not PHI are not PHI, however the flag is spelled
    ('{"entities": [{"text": "DOE^JOHN", "is_phi": "true"}, {"text": "L", "is_phi": "false"},'
     ' {"text": "AP", "is_phi": 0}, {"text": "kVp 120", "is_phi": "FALSE"}]}', [("OTHER", "DOE^JOHN")]),
    ('{"has_phi": 1, "phi": []}', []),
])
def test_contradicting_flags_never_make_a_negative(text, expected):
    parsed = parse_answer(text)
    assert parsed.has_phi is True
    assert [(e.category, e.text) for e in parsed.entities] == expected


@pytest.mark.parametrize("text", [
    '{"entities": [{"text": "L", "is_phi": "false"}, {"text": "AP", "is_phi": false}]}',
    '{"regions": [{"text": "L", "is_phi": "False"}], "has_phi": " false "}',
    '{"phi": [], "has_phi": 0}',
])
def test_strict_booleans_read_false_as_false(text):
    parsed = parse_answer(text)
    assert parsed.has_phi is False and parsed.entities == ()


@pytest.mark.parametrize("text", [
    '{"phi": [], "has_phi": "no"}',
    '{"phi": [], "has_phi": null}',
    '{"phi": [], "has_phi": 2}',
    '{"phi": [], "has_phi": 0.0}',
    '{"phi": [], "has_phi": "false."}',
    '{"phi": [], "has_phi": []}',
    '{"phi": [], "contains_phi": "n"}',
    '{"entities": [{"text": "L", "is_phi": "nope"}]}',
    '{"entities": [{"text": "L", "is_phi": null}], "has_phi": false}',
])
def test_a_boolean_that_is_not_one_makes_the_answer_unparsable(text):
    with pytest.raises(AnswerUnparsable, match="not a boolean"):
        parse_answer(text)
