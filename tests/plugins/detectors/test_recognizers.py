"""The recognizer package contract: tables of uniquely named patterns, text normalised once.

Behaviour (which text is PHI and which is technique) is tested in ``test_local_detector.py``;
these tests guard the shape every recognizer shares, so a new one can be added as a table.
"""

from __future__ import annotations

import pytest

from phibench.categories import PHI_CATEGORIES
from phibench_plugins.detectors import recognizers
from phibench_plugins.detectors.recognizers import DATES, RECOGNIZERS, Hit, Line, normalize

ALL_PATTERNS = [p for r in RECOGNIZERS for p in r.patterns]


@pytest.mark.parametrize("recognizer", RECOGNIZERS, ids=lambda r: r.name)
def test_pattern_names_are_unique_within_a_recognizer(recognizer: recognizers.Recognizer) -> None:
    names = [p.name for p in recognizer.patterns]
    assert recognizer.patterns and len(names) == len(set(names))


def test_pattern_names_are_unique_across_recognizers() -> None:
    """So that :attr:`Hit.pattern` alone says which table row found a hit."""
    names = [p.name for p in ALL_PATTERNS]
    assert len(names) == len(set(names))
    assert len({r.name for r in RECOGNIZERS}) == len(RECOGNIZERS)


@pytest.mark.parametrize("pattern", ALL_PATTERNS, ids=lambda p: p.name)
def test_every_pattern_reports_a_phi_category_and_a_score(pattern: recognizers.Pattern) -> None:
    assert pattern.category in PHI_CATEGORIES
    assert 0.0 < pattern.score <= 1.0
    assert pattern.form in ("text", "digits")


def test_find_hits_digitizes_each_line_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = normalize.digitize

    def counting(text: str) -> str:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(normalize, "digitize", counting)
    text = "DOB O3/l7/1945  MRN 4O5l2773  Age: 87"
    hits = recognizers.find_hits(text)
    assert calls == [text]
    # every recognizer ran on that one repaired form: the date and the ID are read through OCR noise
    assert {"DATE", "ID", "AGE"} <= {h.category for h in hits}
    assert any(h.dates == ((1945, 3, 17),) for h in hits)


def test_recognizers_read_the_forms_the_line_carries() -> None:
    """A recognizer reads ``Line.digits`` as given and does not normalise again."""
    assert DATES.find(Line.of("xx/xx/xxxx")) == []
    (hit,) = DATES.find(Line("xx/xx/xxxx", digits="17/03/1945"))
    assert (hit.start, hit.end, hit.dates, hit.pattern) == (0, 10, ((1945, 3, 17),), "date_numeric")


@pytest.mark.parametrize("text,category,pattern,rule,found", [
    ("DOB: 03/04/1945", "DATE", "label_birth_date", "label_date", "03/04/1945"),
    ("Exam date 20130504", "DATE", "label_date", "label_date", "20130504"),
    ("Exam date 20130504", "DATE", "date_compact", "date_compact", "20130504"),
    ("Pat. Name  JONES MARY    ID: 12345678", "NAME", "label_patient_name", "label_name",
     "JONES MARY"),
    ("SMITH^JOHN", "NAME", "caret_name", "caret_name", "SMITH^JOHN"),
    ("BERNARD: SOPHIE", "NAME", "last_colon_given", "last_colon_given", "BERNARD: SOPHIE"),
    ("F/45", "AGE", "sex_age", "age_sex_bare", "F/45"),
    ("45/F", "AGE", "age_sex", "age_sex_bare", "45/F"),
    ("Dr. Alan Grant", "PROVIDER", "title_dr", "title_dr", "Alan Grant"),
    ("Tel: (555) 123-4567", "CONTACT", "phone", "phone", "(555) 123-4567"),
    ("  ST MARY HOSPITAL ", "INSTITUTION", "institution_word", "institution_word",
     "ST MARY HOSPITAL"),
])
def test_hits_name_the_pattern_that_found_them(text: str, category: str, pattern: str, rule: str,
                                               found: str) -> None:
    hits = [h for h in recognizers.find_hits(text) if h.pattern == pattern]
    assert [(h.category, h.rule, text[h.start:h.end]) for h in hits] == [(category, rule, found)]


@pytest.mark.parametrize("text", ["19450317", "Pat. Name  JONES MARY    ID: 12345678"])
def test_a_long_number_gives_way_to_a_date_or_a_labelled_id(text: str) -> None:
    assert [h.pattern for h in recognizers.find_identifiers(text)] == ["long_id"]
    assert "long_id" not in {h.pattern for h in recognizers.find_hits(text)}


def test_hit_pattern_defaults_for_hits_built_by_hand() -> None:
    assert Hit("ID", 0, 8, 0.7, "long_id").pattern == ""
