"""PHI values from the DICOM header, and matching them in OCR text despite OCR noise.

Like Presidio's DICOM redactor with ``use_metadata``, the header tells what to look for: the
patient's name (every component, any order, with or without the caret, initials), IDs, dates
(birth and dates of service) in any common rendering, age, accession number, institution,
physicians and operators, addresses and telephone numbers. Unlike exact matching, comparisons
go through :mod:`.fuzzy` so ``SMTH`` still matches ``SMITH`` and ``O3/l7/1945`` still matches
``19450317``.

Values never leave this module except as :class:`HeaderValue` records, which hold no raw text
beyond their canonical forms, and nothing here logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable

from phibench_plugins.detectors import fuzzy, recognizers
from phibench_plugins.detectors.recognizers import Hit, VOCABULARY, number_context

NAME_KEYWORDS: dict[str, str] = {
    "PatientName": "NAME",
    "OtherPatientNames": "NAME",
    "PatientBirthName": "NAME",
    "PatientMotherBirthName": "NAME",
    "ResponsiblePerson": "NAME",
    "ReferringPhysicianName": "PROVIDER",
    "PerformingPhysicianName": "PROVIDER",
    "NameOfPhysiciansReadingStudy": "PROVIDER",
    "OperatorsName": "PROVIDER",
    "RequestingPhysician": "PROVIDER",
    "PhysiciansOfRecord": "PROVIDER",
    "ConsultingPhysicianName": "PROVIDER",
    "ScheduledPerformingPhysicianName": "PROVIDER",
}
DATE_KEYWORDS: dict[str, str] = {
    "PatientBirthDate": "DATE",
    "StudyDate": "DATE",
    "SeriesDate": "DATE",
    "AcquisitionDate": "DATE",
    "ContentDate": "DATE",
    "InstanceCreationDate": "DATE",
    "PerformedProcedureStepStartDate": "DATE",
    "AdmittingDate": "DATE",
    "AcquisitionDateTime": "DATE",
}
ID_KEYWORDS: dict[str, str] = {
    "PatientID": "ID",
    "OtherPatientIDs": "ID",
    "MedicalRecordLocator": "ID",
    "AdmissionID": "ID",
    "StudyID": "ID",
    "AccessionNumber": "ACCESSION",
    "RequestedProcedureID": "ACCESSION",
    "ScheduledProcedureStepID": "ACCESSION",
    "PlacerOrderNumberImagingServiceRequest": "ACCESSION",
    "FillerOrderNumberImagingServiceRequest": "ACCESSION",
}
TEXT_KEYWORDS: dict[str, str] = {
    "InstitutionName": "INSTITUTION",
    "InstitutionAddress": "INSTITUTION",
    "InstitutionalDepartmentName": "INSTITUTION",
    "PatientAddress": "CONTACT",
    "ReferringPhysicianAddress": "CONTACT",
}
PHONE_KEYWORDS: dict[str, str] = {
    "PatientTelephoneNumbers": "CONTACT",
    "ReferringPhysicianTelephoneNumbers": "CONTACT",
}
SEQUENCES_WITH_IDS = ("OtherPatientIDsSequence", "RequestAttributesSequence")

PLACEHOLDERS = frozenset(
    fuzzy.canon(v)
    for v in (
        "anonymous", "anon", "anonymized", "anonymised", "unknown", "none", "na", "n/a", "null",
        "nil", "patient", "test", "phantom", "removed", "deidentified", "de-identified",
        "redacted", "noname", "no name", "xxx", "xxxx", "xxxxx", "empty", "blank", "not known",
        "unnamed", "anonymous patient", "0", "00000000", "000000", "1234",
    )
)
"""Values that stand for 'no data' in de-identified or test headers; never searched for."""

_INSTITUTION_GENERIC = frozenset(
    fuzzy.canon(w)
    for w in (
        "hospital", "hospitals", "medical", "center", "centre", "clinic", "clinics", "health",
        "healthcare", "university", "imaging", "radiology", "department", "dept", "institute",
        "general", "regional", "memorial", "community", "saint", "st", "county", "city",
        "state", "national", "children", "childrens", "women", "womens", "services", "system",
        "group", "associates", "diagnostic", "diagnostics", "care", "main", "north", "south",
        "east", "west", "central", "campus", "foundation", "trust", "nhs", "street", "road",
        "avenue", "suite", "floor", "building", "ct", "mr", "mri", "us", "xr", "cr", "dx",
    )
)
_STOPWORDS = frozenset(("the", "of", "and", "for", "at", "de", "la", "le", "der", "die", "und",
                        "del", "di", "du", "des", "van", "von", "y", "et"))
_NAME_AFFIXES = frozenset(fuzzy.canon(w) for w in (
    "dr", "mr", "mrs", "ms", "miss", "prof", "jr", "sr", "ii", "iii", "iv", "md", "phd", "do",
    "rn", "rt", "dds",
))


@dataclass(frozen=True)
class HeaderValue:
    """One PHI value from the header, prepared for matching. Holds PHI: never log it."""

    keyword: str
    category: str
    kind: str
    """``name``, ``date``, ``id``, ``text``, ``age`` or ``phone``."""
    parts: tuple[str, ...] = ()
    """Canonical significant tokens (name components, words of an institution or address)."""
    initials: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()
    """Canonical whole renderings searched as (approximate) substrings."""
    ymd: tuple[int, int, int] | None = None
    age: tuple[int, str] | None = None
    distinctive: tuple[str, ...] = ()
    """For text values: the parts that are not generic institution or address words."""


@dataclass(frozen=True)
class HeaderHit:
    """A header value found in a line of OCR text."""

    category: str
    start: int
    end: int
    score: float
    keyword: str


# ---------------------------------------------------------------------------------------------
# Extraction
# ---------------------------------------------------------------------------------------------


def header_values(ds: Any) -> list[HeaderValue]:
    """The PHI values of a pydicom Dataset worth looking for in the pixels."""
    if ds is None:
        return []
    out: list[HeaderValue] = []
    for kw, cat in NAME_KEYWORDS.items():
        for v in _values(ds, kw):
            hv = _name_value(kw, cat, v)
            if hv:
                out.append(hv)
    dates: dict[str, tuple[int, int, int]] = {}
    for kw, cat in DATE_KEYWORDS.items():
        for v in _values(ds, kw):
            ymd = parse_da(v)
            if ymd and ymd != (1900, 1, 1):
                dates.setdefault(kw, ymd)
                out.append(HeaderValue(kw, cat, "date", ymd=ymd, forms=date_digit_forms(ymd)))
    for kw, cat in ID_KEYWORDS.items():
        for v in _values(ds, kw):
            hv = _id_value(kw, cat, v)
            if hv:
                out.append(hv)
    for seq_kw in SEQUENCES_WITH_IDS:
        try:
            items = list(getattr(ds, seq_kw, None) or [])
        except Exception:  # noqa: BLE001 - a broken sequence is just not used
            items = []
        for item in items:
            for kw in ("PatientID", "AccessionNumber", "RequestedProcedureID",
                       "ScheduledProcedureStepID"):
                for v in _values(item, kw):
                    hv = _id_value(kw, ID_KEYWORDS.get(kw, "ID"), v)
                    if hv:
                        out.append(hv)
    for kw, cat in TEXT_KEYWORDS.items():
        for v in _values(ds, kw):
            hv = _text_value(kw, cat, v)
            if hv:
                out.append(hv)
    for kw, cat in PHONE_KEYWORDS.items():
        for v in _values(ds, kw):
            digits = re.sub(r"\D", "", v)
            if len(digits) >= 7:
                out.append(HeaderValue(kw, cat, "phone", forms=(digits,)))
    age = parse_age(_first(ds, "PatientAge"))
    if age is None and "PatientBirthDate" in dates:
        ref = next((dates[k] for k in ("StudyDate", "SeriesDate", "AcquisitionDate",
                                       "ContentDate") if k in dates), None)
        age = _age_between(dates["PatientBirthDate"], ref) if ref else None
    if age is not None:
        out.append(HeaderValue("PatientAge", "AGE", "age", age=age))
    return _unique(out)


def _values(ds: Any, keyword: str) -> list[str]:
    try:
        elem = ds.get(keyword) if hasattr(ds, "get") else None
    except Exception:  # noqa: BLE001 - a broken element is just not used
        return []
    if elem is None:
        return []
    value = getattr(elem, "value", elem)
    if value is None:
        return []
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        items = list(value)
    else:
        items = [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, bytes):
            item = item.decode("latin-1", "replace")
        s = str(item).strip().strip("\x00").strip()
        if s:
            out.append(s)
    if keyword == "AcquisitionDateTime":
        out = [s[:8] for s in out]
    return out


def _first(ds: Any, keyword: str) -> str:
    vals = _values(ds, keyword)
    return vals[0] if vals else ""


def parse_da(value: str) -> tuple[int, int, int] | None:
    """``YYYYMMDD`` (also ``YYYY.MM.DD`` / ``YYYY-MM-DD`` from old headers) → (y, m, d)."""
    digits = re.sub(r"\D", "", value)[:8]
    if len(digits) != 8:
        return None
    ymd = (int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    return ymd if recognizers.valid_date(*ymd) else None


def parse_age(value: str) -> tuple[int, str] | None:
    """DICOM AS (``045Y``, ``006M``) or a bare number (years) → (value, unit)."""
    m = re.fullmatch(r"\s*(\d{1,3})\s*([DWMY]?)\s*", value or "", re.IGNORECASE)
    if not m:
        return None
    return int(m.group(1)), (m.group(2) or "Y").upper()


def _age_between(born: tuple[int, int, int], on: tuple[int, int, int]) -> tuple[int, str] | None:
    try:
        b, o = date(*born), date(*on)
    except ValueError:
        return None
    years = o.year - b.year - ((o.month, o.day) < (b.month, b.day))
    return (years, "Y") if 0 <= years <= 130 else None


def date_digit_forms(ymd: tuple[int, int, int]) -> tuple[str, ...]:
    """Digit sequences a date renders to once separators are dropped (padded and not)."""
    y, m, d = ymd
    yy = f"{y % 100:02d}"
    forms = []
    for mm in dict.fromkeys((f"{m:02d}", str(m))):
        for dd in dict.fromkeys((f"{d:02d}", str(d))):
            for yr in (str(y), yy):
                forms += [mm + dd + yr, dd + mm + yr, yr + mm + dd]
    return tuple(f for f in dict.fromkeys(forms) if len(f) >= 6)


def _split_words(s: str) -> list[str]:
    return [w for w in re.split(r"[\s,.\-'`]+", s) if w]


_DESCRIPTIVE = re.compile(r"[:;/()\[\]#@\d]")
"""Characters no person's name holds: a name field with them holds a description."""


def _name_value(keyword: str, category: str, raw: str) -> HeaderValue | None:
    alpha = raw.split("=")[0]  # alphabetic group of a PN only
    if "^" in alpha:
        comps = alpha.split("^")
        family, given, middle = (comps + ["", "", ""])[:3]
    elif "," in alpha:
        family, _, rest = alpha.partition(",")
        words = _split_words(rest)
        given, middle = (words[0] if words else ""), " ".join(words[1:])
    else:
        words = _split_words(alpha)
        family, given, middle = " ".join(words[:1]), " ".join(words[1:2]), " ".join(words[2:])
    if fuzzy.canon(alpha) in PLACEHOLDERS or not fuzzy.canon(alpha):
        return None
    parts: list[str] = []
    initials: list[str] = []
    for comp in (family, given, middle):
        for w in _split_words(comp):
            c = fuzzy.canon(w)
            if not c or c in _NAME_AFFIXES:
                continue
            if len(c) >= 3:
                parts.append(c)
            if comp is not family:
                initials.append(c[0])
        joined = fuzzy.canon(comp)
        if len(_split_words(comp)) > 1 and len(joined) >= 5:
            parts.append(joined)  # "Garcia-Lopez" read as one word
    f, g, m_ = fuzzy.canon(family), fuzzy.canon(given), fuzzy.canon(middle)
    forms = [x for x in (f + g, g + f, g + m_ + f, f + g + m_)
             if len(x) >= 6 and len(f) >= 2 and len(g) >= 2]
    parts = [p for p in dict.fromkeys(parts) if p not in PLACEHOLDERS]
    if _DESCRIPTIVE.search(alpha):
        # a description typed into a name field ("Femoral endarterectomy^Case report:"): its
        # words are exam words that the overlay shows as harmless labels; match it only whole
        parts = []
    if not parts and not forms:
        return None
    return HeaderValue(keyword, category, "name", parts=tuple(parts),
                       initials=tuple(dict.fromkeys(initials)), forms=tuple(dict.fromkeys(forms)))


def _id_value(keyword: str, category: str, raw: str) -> HeaderValue | None:
    c = fuzzy.canon(raw)
    if len(c) < 3 or c in PLACEHOLDERS or len(set(c)) == 1:
        return None
    return HeaderValue(keyword, category, "id", forms=(c,))


def _text_value(keyword: str, category: str, raw: str) -> HeaderValue | None:
    words = [fuzzy.canon(w) for w in re.split(r"[\s,.;:/\\()\-\^]+", raw)]
    parts = [w for w in dict.fromkeys(words) if w and w not in _STOPWORDS and len(w) >= 3]
    whole = fuzzy.canon(raw)
    if whole in PLACEHOLDERS or not parts:
        return None
    distinctive = tuple(p for p in parts if p not in _INSTITUTION_GENERIC and not p.isdigit())
    if not distinctive and len(parts) < 2:
        return None  # "Radiology", "CT": nothing that tells this site from any other
    forms = (whole,) if len(whole) >= 6 else ()
    return HeaderValue(keyword, category, "text", parts=tuple(parts), forms=forms,
                       distinctive=distinctive)


def _unique(values: Iterable[HeaderValue]) -> list[HeaderValue]:
    seen: set[tuple[Any, ...]] = set()
    out: list[HeaderValue] = []
    for v in values:
        key = (v.category, v.kind, v.parts, v.forms, v.ymd, v.age)
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out


# ---------------------------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------------------------


def match_line(values: list[HeaderValue], text: str, date_hits: list[Hit],
               age_hits: list[Hit]) -> list[HeaderHit]:
    """Header values found in one line of OCR text (spans index ``text``)."""
    if not values or not text.strip():
        return []
    toks = fuzzy.tokens(text)
    cmap = fuzzy.canon_map(text)
    out: list[HeaderHit] = []
    for v in values:
        if v.kind == "name":
            h = _match_name(v, text, toks, cmap)
        elif v.kind == "id":
            h = _match_id(v, text, toks, cmap)
        elif v.kind == "date":
            h = _match_date(v, text, date_hits)
        elif v.kind == "text":
            h = _match_text(v, text, toks, cmap)
        elif v.kind == "age":
            h = _match_age(v, text, toks, age_hits)
        elif v.kind == "phone":
            h = _match_phone(v, text)
        else:
            h = None
        if h is not None:
            out.append(h)
    return out


def _best_token(part: str, toks: list[fuzzy.Token]) -> tuple[fuzzy.Token, int] | None:
    best: tuple[fuzzy.Token, int] | None = None
    for t in toks:
        if abs(len(t.canon) - len(part)) > fuzzy.max_edits(len(part)):
            continue
        ok, d = fuzzy.close(part, t.canon)
        if ok and (best is None or d < best[1]):
            best = (t, d)
    return best


def _match_name(v: HeaderValue, text: str, toks: list[fuzzy.Token],
                cmap: tuple[str, list[int]]) -> HeaderHit | None:
    for form in v.forms:
        m = fuzzy.find_approx(form, text, edits=min(fuzzy.max_edits(len(form)), len(form) // 5),
                              _cmap=cmap)
        if m is not None:
            return HeaderHit(v.category, m.start, m.end, 0.97 - 0.04 * m.edits, v.keyword)
    matched: list[tuple[int, int, int, bool]] = []  # start, end, edits, vocabulary word
    for part in v.parts:
        found = _best_token(part, toks)
        if found is not None:
            t, d = found
            matched.append((t.start, t.end, d, t.raw.upper() in VOCABULARY))
        elif len(part) >= 5:
            # the part inside a longer word: two name parts read without the space between them
            for t in toks:
                if len(t.canon) <= len(part) + 1:
                    continue
                m = fuzzy.find_approx(part, t.raw, edits=min(1, fuzzy.max_edits(len(part))),
                                      digit_boundaries=False)
                if m is not None:
                    matched.append((t.start + m.start, t.start + m.end, m.edits,
                                    t.raw.upper() in VOCABULARY))
                    break
    spans = {(s, e) for s, e, _, _ in matched}
    if not matched:
        return None
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    if len(spans) >= 2:
        if all(voc for *_, voc in matched) and any(d for _, _, d, _ in matched):
            return None
        edits = sum(d for _, _, d, _ in matched)
        return HeaderHit(v.category, start, end, 0.95 if edits == 0 else 0.9, v.keyword)
    s, e, d, voc = matched[0]
    if voc:
        return None
    n = len(fuzzy.canon(text[s:e]))
    if d == 0:
        score = 0.8 if n >= 4 else 0.6
    else:
        score = 0.7 if n >= 6 else 0.55
    # an initial right next to the matched word ("DOE J", "J. DOE") makes it likelier
    for t in toks:
        if len(t.canon) == 1 and t.canon in v.initials and (abs(t.start - e) <= 3
                                                             or abs(s - t.end) <= 3):
            score += 0.1
            start, end = min(s, t.start), max(e, t.end)
            return HeaderHit(v.category, start, end, min(score, 0.9), v.keyword)
    return HeaderHit(v.category, s, e, score, v.keyword)


def _id_edits(n: int) -> int:
    return 0 if n <= 5 else 1 if n <= 9 else 2


def _match_id(v: HeaderValue, text: str, toks: list[fuzzy.Token],
              cmap: tuple[str, list[int]]) -> HeaderHit | None:
    value = v.forms[0]
    if len(value) <= 4:
        for t in toks:
            if t.canon == value and (not value.isdigit() or not number_context(
                    recognizers.digitize(text), t.start, t.end)):
                return HeaderHit(v.category, t.start, t.end, 0.7, v.keyword)
        return None
    m = fuzzy.find_approx(value, text, edits=_id_edits(len(value)), _cmap=cmap)
    if m is None:
        return None
    if value.isdigit() and len(value) <= 6 and number_context(
            recognizers.digitize(text), m.start, m.end):
        return None
    return HeaderHit(v.category, m.start, m.end, 0.95 - 0.07 * m.edits, v.keyword)


_CLUSTER = re.compile(r"\d(?:[\d/.\-]|\s(?=[\d/.\-]))*")


def _match_date(v: HeaderValue, text: str, date_hits: list[Hit]) -> HeaderHit | None:
    assert v.ymd is not None
    y, mo, d = v.ymd
    for h in date_hits:
        for cy, cm, cd in h.dates:
            if cm == mo and cd == d and (cy == y or (cy < 100 and cy == y % 100)):
                return HeaderHit(v.category, h.start, h.end, 0.95, v.keyword)
    digitized = recognizers.digitize(text)
    for cl in _CLUSTER.finditer(digitized):
        chunk = cl.group(0).rstrip(" /.-")
        digits = re.sub(r"\D", "", chunk)
        for form in v.forms:
            if len(form) >= 8 and len(digits) >= 8:
                found = fuzzy.hamming_find(form, digits, 1)
                if found is not None:
                    return HeaderHit(v.category, cl.start(), cl.start() + len(chunk),
                                     0.9 if found[1] == 0 else 0.8, v.keyword)
            elif digits == form:
                return HeaderHit(v.category, cl.start(), cl.start() + len(chunk), 0.8, v.keyword)
    return None


def _match_text(v: HeaderValue, text: str, toks: list[fuzzy.Token],
                cmap: tuple[str, list[int]]) -> HeaderHit | None:
    for form in v.forms:
        if len(form) >= 6:
            m = fuzzy.find_approx(form, text, _cmap=cmap, digit_boundaries=False)
            if m is not None:
                return HeaderHit(v.category, m.start, m.end, 0.92 - 0.03 * m.edits, v.keyword)
    hits: dict[str, fuzzy.Token] = {}
    for part in v.parts:
        found = _best_token(part, toks)
        if found is not None and found[0].raw.upper() not in VOCABULARY - {"MEDICAL"}:
            hits[part] = found[0]
    if not hits:
        return None
    distinct = [p for p in hits if p in v.distinctive]
    start = min(t.start for t in hits.values())
    end = max(t.end for t in hits.values())
    if len(hits) == len(v.parts) and (distinct or len(hits) >= 2):
        return HeaderHit(v.category, start, end, 0.85, v.keyword)
    if len(hits) >= 2 and distinct:
        return HeaderHit(v.category, start, end, 0.8, v.keyword)
    if distinct and max(len(p) for p in distinct) >= 5:
        p = max(distinct, key=len)
        return HeaderHit(v.category, hits[p].start, hits[p].end, 0.65, v.keyword)
    return None


def _match_age(v: HeaderValue, text: str, toks: list[fuzzy.Token],
               age_hits: list[Hit]) -> HeaderHit | None:
    assert v.age is not None
    for h in age_hits:
        if h.age == v.age:
            return HeaderHit(v.category, h.start, h.end, 0.9, v.keyword)
    padded = f"{v.age[0]:03d}"
    digitized = recognizers.digitize(text)
    for m in re.finditer(rf"(?<![\w.]){padded}\s?{v.age[1]}?(?![\w.])", digitized, re.I):
        if not number_context(digitized, m.start(), m.start()):
            return HeaderHit(v.category, m.start(), m.end(), 0.75, v.keyword)
    return None


def _match_phone(v: HeaderValue, text: str) -> HeaderHit | None:
    digits, where = fuzzy.digits_map(text)
    form = v.forms[0]
    found = fuzzy.hamming_find(form, digits, 1 if len(form) >= 10 else 0)
    if found is None:
        return None
    s = found[0]
    return HeaderHit(v.category, where[s], where[s + len(form) - 1] + 1, 0.9, v.keyword)
