"""Labelled fields: a value introduced by a label (``Name:``, ``DOB``, ``MRN``, ``Ref. Phys:``).

The label table names each label, the category its value has and how the value is read
(``name``, ``id``, ``date``, ``age``, ``contact`` or ``any``); a label is ``strict`` when it is
too short or common to count without ``:``, ``=`` or ``#`` after it. A value ends at a wide gap.
Titles and degrees (``Dr. Grant``, ``Mr Doe``, ``Jane Roe MD``) label a name the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from phibench_plugins.detectors.recognizers.base import (
    Candidate,
    Hit,
    Line,
    Pattern,
    Recognizer,
    Validator,
)
from phibench_plugins.detectors.recognizers.dates import MONTH_RE
from phibench_plugins.detectors.recognizers.names import name_span
from phibench_plugins.detectors.recognizers.vocabulary import VOCABULARY

_TIME_RE = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:\s?[ap]\.?m\.?)?", re.I)
_ID_VALUE = r"[A-Za-z0-9][A-Za-z0-9\-/.]{2,}"


@dataclass(frozen=True)
class _Label:
    name: str
    regex: str
    category: str
    value: str  # "name", "id", "date", "age", "any", "contact"
    score: float
    strict: bool  # needs ':', '=' or '#' between label and value


_LABELS: tuple[_Label, ...] = (
    _Label("patient_name",
           r"patient'?s?\s*name|pat(?:ient)?\.?\s*name|pt\.?\s*name|full\s*name|last\s*name|"
           r"first\s*name|given\s*name|family\s*name|surname|name", "NAME", "name", 0.85, False),
    _Label("patient",
           r"patient|pat\.?|pt\.?|nom|nombre|naam|patient\s*name", "NAME", "name", 0.8, True),
    _Label("birth_date",
           r"d\.?\s?o\.?\s?b\.?|date\s*of\s*birth|birth\s*date|birthdate|birthday|b\.?\s*date|"
           r"born|birth|geb(?:urtsdatum|\.)?|geboren|n[ée]e?\s*le|f\.?\s*nac(?:imiento)?|"
           r"fecha\s*de\s*nacimiento|date\s*de\s*naissance", "DATE", "date", 0.85, False),
    _Label("date",
           r"(?:study|exam|scan|acq(?:uisition)?\.?|series|procedure|visit|admission|adm|"
           r"discharge|service|report|content|image|img|creation|exam\.?)\s*date|"
           r"date\s*of\s*(?:exam|study|service|scan|procedure)|date|datum|fecha",
           "DATE", "date", 0.8, False),
    _Label("patient_id",
           r"m\.?r\.?n\.?|mr\s*#|mr\s*no\.?|mr\s*num(?:ber)?|"
           r"med(?:ical)?\.?\s*rec(?:ord)?s?\.?\s*(?:no\.?|num(?:ber)?|#)?|patient\s*id|"
           r"pat(?:ient)?\.?\s*(?:id|no\.?|#|num(?:ber)?)|pt\.?\s*(?:id|no\.?|#)|pid|"
           r"id\s*(?:no\.?|#|num(?:ber)?)?|hosp(?:ital)?\.?\s*(?:no\.?|num(?:ber)?|#|id)|"
           r"chart\s*(?:no\.?|#|num(?:ber)?)?|ur\s*(?:no\.?|#|num(?:ber)?)|urn|"
           r"nhs\s*(?:no\.?|num(?:ber)?)?|ssn|"
           r"soc(?:ial)?\.?\s*sec(?:urity)?\.?\s*(?:no\.?|#|num(?:ber)?)?|"
           r"reg(?:istration)?\.?\s*(?:no\.?|#|num(?:ber)?)|case\s*(?:no\.?|#|num(?:ber)?|id)|"
           r"record\s*(?:no\.?|#|num(?:ber)?)|unit\s*(?:no\.?|#)|emr|ehr|member\s*id|"
           r"insurance\s*(?:no\.?|id|#)|policy\s*(?:no\.?|#)|"
           r"acc(?:oun)?t\.?\s*(?:no\.?|#|num(?:ber)?)",
           "ID", "id", 0.9, False),
    _Label("accession",
           r"acc(?:ession)?\.?\s*(?:no\.?|num(?:ber)?|#)?|accn|order\s*(?:no\.?|#|num(?:ber)?|id)|"
           r"exam\s*(?:no\.?|#|num(?:ber)?|id)|req(?:uisition)?\.?\s*(?:no\.?|#|num(?:ber)?)|"
           r"study\s*(?:id|no\.?|#|num(?:ber)?)|visit\s*(?:no\.?|#|num(?:ber)?|id)|"
           r"encounter\s*(?:no\.?|#|id)?|fin|csn|ris\s*(?:no\.?|#|id)|pacs\s*(?:no\.?|#|id)|"
           r"film\s*(?:no\.?|#)|x-?ray\s*(?:no\.?|#)", "ACCESSION", "id", 0.9, False),
    _Label("age",
           r"age|alter|âge|edad|age\s*/\s*sex|sex\s*/\s*age|age\s*/\s*gender", "AGE", "age",
           0.8, False),
    _Label("provider",
           r"ref(?:erring)?\.?\s*(?:phys(?:ician)?\.?|dr\.?|doctor|md|by)|referring|"
           r"requesting\s*(?:phys(?:ician)?\.?|dr\.?)?|req\.?\s*(?:phys(?:ician)?\.?|dr\.?)|"
           r"physician|doctor|radiologist|reading\s*(?:phys(?:ician)?\.?|dr\.?|rad)|attending|"
           r"operator|technologist|technician|radiographer|sonographer|performed\s*by|"
           r"perf\.?\s*by|read\s*by|reported\s*by|dictated\s*by|signed\s*by|approved\s*by|"
           r"ordered\s*by|requested\s*by|consultant|surgeon|referrer|"
           r"ordering\s*(?:phys(?:ician)?\.?|dr\.?|provider)?|provider|clinician",
           "PROVIDER", "name", 0.8, False),
    _Label("provider_short",
           r"ref\.?|phys\.?|dr|md|op|oper\.?|tech\.?|rad\.?|sono\.?", "PROVIDER", "name", 0.75,
           True),
    _Label("institution",
           r"institution(?:\s*name)?|inst\.?|hospital|hosp\.?|facility|site|clinic|dept\.?|"
           r"department|"
           r"centre|center|practice|organi[sz]ation", "INSTITUTION", "any", 0.75, True),
    _Label("contact",
           r"tel(?:ephone)?\.?|phone|ph\.?|fax|mobile|cell|e-?mail|address|addr\.?",
           "CONTACT", "contact", 0.8, False),
)
_NAME_LABEL_BAD_PREFIX = re.compile(
    r"(?:protocol|series|study|sequence|station|scanner|institution|software|file|user|host|"
    r"exam|procedure|body\s*part|model|device|manufacturer|coil|application|preset|display|"
    r"window|filter|kernel|printer|print|operator|referring|physician|department|hospital|"
    r"center|centre)\s*$",
    re.IGNORECASE,
)
"""Words before ``Name`` that make it a setting's name (``Protocol Name``, ``Station Name``)."""

Span = tuple[int, int]
ReadValue = Callable[[Candidate, int, str], Span | None]
"""How a label's value is read: (candidate, where the value starts, the value) → span in it."""


def _name_value(c: Candidate, vstart: int, value: str) -> Span | None:
    if c.pattern.category == "NAME" and _NAME_LABEL_BAD_PREFIX.search(
            c.line.text[: c.match.start()]):
        return None
    return name_span(value)


def _id_value(c: Candidate, vstart: int, value: str) -> Span | None:
    v = re.match(_ID_VALUE, c.line.digits[vstart : vstart + len(value)])
    if v:
        tok = v.group(0).rstrip(".-/")
        digits = sum(ch.isdigit() for ch in tok)
        if digits >= 3 or (digits >= 2 and len(tok) >= 5):
            return 0, len(tok)
    return None


def _date_value(c: Candidate, vstart: int, value: str) -> Span | None:
    dv = _TIME_RE.sub(" ", c.line.digits[vstart : vstart + len(value)])
    groups = re.findall(r"\d+", dv)
    if (len(groups) >= 2 and sum(map(len, groups)) >= 4) or (
        groups and re.search(MONTH_RE, dv, re.IGNORECASE)
    ) or any(len(g) == 8 for g in groups):
        return 0, len(value.rstrip())
    return None


def _age_value(c: Candidate, vstart: int, value: str) -> Span | None:
    v = re.match(r"\s*(\d{1,3})(?!\d)", c.line.digits[vstart : vstart + len(value)])
    if v and int(v.group(1)) <= 130:
        return 0, len(value.rstrip())
    return None


def _contact_value(c: Candidate, vstart: int, value: str) -> Span | None:
    if sum(ch.isdigit() for ch in value) >= 7 or "@" in value or len(
        re.findall(r"[A-Za-z]{3,}", value)
    ) >= 2:
        return 0, len(value.rstrip())
    return None


def _any_value(c: Candidate, vstart: int, value: str) -> Span | None:
    words = re.findall(r"[A-Za-z\u00C0-\u024F]{3,}", value)
    if words and not all(w.upper() in VOCABULARY for w in words):
        return 0, len(value.rstrip())
    return None


_READ_VALUE: dict[str, ReadValue] = {
    "name": _name_value, "id": _id_value, "date": _date_value, "age": _age_value,
    "contact": _contact_value, "any": _any_value,
}


def _labelled(read: ReadValue) -> Validator:
    """A validator that cuts the value after the label and reads it with ``read``."""

    def validate(c: Candidate) -> Hit | None:
        vstart = c.match.start("value")
        # a value never runs into the next label-like field after a wide gap
        value = re.split(r"\s{2,}", c.line.text[vstart:])[0]
        span = read(c, vstart, value)
        if span is None or span[1] <= span[0]:
            return None
        return c.hit(start=vstart + span[0], end=vstart + span[1])

    return validate


def _label_pattern(lab: _Label) -> Pattern:
    regex = re.compile(
        rf"(?<![A-Za-z])(?:{lab.regex})(?![A-Za-z])"
        + (r"\s*[:=#]\s*" if lab.strict else r"(?:\s*[:=#]\s*|\s+)")
        + r"(?P<value>.+)",
        re.IGNORECASE,
    )
    return Pattern(f"label_{lab.name}", regex, lab.score, lab.category,
                   _labelled(_READ_VALUE[lab.value]), rule=f"label_{lab.category.lower()}")


def _titled(initial_upper: bool) -> Validator:
    """A validator for a name after a title or before a degree (group ``v``).

    ``initial_upper`` asks for a capital first letter where the regex itself ignores case.
    """

    def validate(c: Candidate) -> Hit | None:
        m = c.match
        span = name_span(m.group("v"))
        if not span or (initial_upper and not c.line.text[m.start("v")].isupper()):
            return None
        return c.hit(start=m.start("v") + span[0], end=m.start("v") + span[1])

    return validate


_TITLE_DR = re.compile(r"(?<![A-Za-z])(?:dr|doctor|prof)[.:]?\s+(?P<v>[A-Za-z][^\d]*)",
                       re.IGNORECASE)
_TITLE_MR = re.compile(r"(?<![A-Za-z])(?:Mr|Mrs|Ms|Miss|Mme|Mlle|Herr|Frau)\.?\s+"
                       r"(?P<v>[A-Z][^\d]*)")
_SUFFIX_MD = re.compile(
    r"(?<![A-Za-z])(?P<v>[A-Z][A-Za-z'\-]+(?:\s+[A-Z]\.?)?(?:\s+[A-Z][A-Za-z'\-]+){0,2})"
    r"\s*,?\s*(?:M\.?D\.?|Ph\.?D\.?|FRCR|FRCPC|MBBS|RDMS|RVT|RDCS|RT\s?\(R\))(?![A-Za-z])"
)

PATTERNS: tuple[Pattern, ...] = tuple(_label_pattern(lab) for lab in _LABELS) + (
    Pattern("title_dr", _TITLE_DR, 0.75, "PROVIDER", _titled(initial_upper=True)),
    Pattern("title_mr", _TITLE_MR, 0.8, "NAME", _titled(initial_upper=False)),
    Pattern("suffix_md", _SUFFIX_MD, 0.7, "PROVIDER", _titled(initial_upper=False)),
)
"""The labels in table order, then "Dr. Smith", "Mr. Doe" and "John Smith MD"."""

LABELLED = Recognizer("labelled", PATTERNS)


def find_labelled(text: str) -> list[Hit]:
    """Fields introduced by a label: ``Name:``, ``DOB``, ``MRN``, ``Acc #``, ``Ref. Phys:`` …"""
    return LABELLED.find(Line.of(text))
