"""What PHI to burn: fake identities (Faker, seeded per file) and the many ways overlays print them.

Every number and date comes from the file's ``numpy`` generator; Faker supplies only names,
cities, streets and phone numbers, from an instance re-seeded for each file, so output never
depends on the clock or on the order files are made in.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from dataclasses import dataclass

import numpy as np
from faker import Faker

LOCALES = ["en_US"] * 12 + ["en_GB", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True)
class Field:
    """One piece of text to burn: a line or a field of a line."""

    text: str
    is_phi: bool
    category: str
    slot: str = "any"
    """Where it goes: tl, tr, bl, br (corner blocks), tc, bc, lm, rm (edge centres), free,
    vert (vertical strip along a side), at (centred on ``at``), row (the banner: a row or two
    of small text across the top edge, as ultrasound and many consoles print), any (a corner)."""
    scale: float = 1.0
    """Font size relative to the image's base size (markers are larger)."""
    at: tuple[int, int] | None = None
    frame: int | None = None
    """Only on this frame (per-frame counters of multi-frame objects); None: every frame."""


@dataclass(frozen=True)
class Person:
    family: str
    given: str
    middle: str
    sex: str


@dataclass(frozen=True)
class Identity:
    patient: Person
    birth: dt.date
    study: dt.date
    mrn: str
    accession: str
    institution: str
    referring: Person
    phone: str
    address: str
    locale: str

    @property
    def age(self) -> int:
        b, s = self.birth, self.study
        return s.year - b.year - ((s.month, s.day) < (b.month, b.day))


@functools.cache
def _faker(locale: str) -> Faker:
    return Faker(locale)


@functools.cache
def _city_pool(locale: str) -> tuple[str, ...] | None:
    """Locales whose cities come from a fixed list get it sorted.

    Faker builds some (it_IT) from a set, whose order changes with Python's string hash seed and
    would make the output differ from one process to the next.
    """
    for provider in _faker(locale).providers:
        cities = getattr(provider, "cities", None)
        if isinstance(cities, (list, tuple, set, frozenset)) and cities:
            return tuple(sorted(set(cities)))
    return None


def _city(locale: str, rng: np.random.Generator) -> str:
    pool = _city_pool(locale)
    return pick(rng, pool) if pool else _faker(locale).city()


def pick(rng: np.random.Generator, options: list | tuple):  # type: ignore[type-arg]
    return options[int(rng.integers(len(options)))]


def ascii_fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _digits(rng: np.random.Generator, n: int) -> str:
    return "".join(str(int(d)) for d in rng.integers(0, 10, n))


def _person(fake: Faker, rng: np.random.Generator, sex: str | None = None) -> Person:
    sex = sex or pick(rng, ["F", "M"])
    given = fake.first_name_female() if sex == "F" else fake.first_name_male()
    family = fake.last_name().split()[-1] if rng.random() < 0.5 else fake.last_name()
    middle = chr(65 + int(rng.integers(26))) if rng.random() < 0.35 else ""
    return Person(family.replace("^", ""), given.split()[0], middle, sex)


def make_identity(rng: np.random.Generator) -> Identity:
    locale = pick(rng, LOCALES)
    fake = _faker(locale)
    fake.seed_instance(int(rng.integers(2**31)))
    patient = _person(fake, rng)
    study = dt.date(2004, 1, 1) + dt.timedelta(days=int(rng.integers(0, 21 * 365)))
    r = rng.random()
    years = int(rng.integers(0, 19)) if r < 0.08 else int(rng.integers(90, 102)) if r < 0.13 \
        else int(rng.integers(19, 90))
    birth = study - dt.timedelta(days=int(years * 365.25 + rng.integers(1, 364)))
    mrn = pick(rng, [
        lambda: _digits(rng, int(rng.integers(7, 11))),
        lambda: pick(rng, ["MR", "A", "H", "P", "M"]) + _digits(rng, int(rng.integers(6, 9))),
        lambda: f"{_digits(rng, 3)}-{_digits(rng, 3)}-{_digits(rng, 3)}",
        lambda: f"{_digits(rng, 2)}-{_digits(rng, 2)}-{_digits(rng, 2)}-{_digits(rng, 2)}",
        lambda: "00" + _digits(rng, 6),
    ])()
    accession = pick(rng, [
        lambda: "A" + _digits(rng, 8),
        lambda: _digits(rng, int(rng.integers(8, 11))),
        lambda: f"ACC{study.year % 100:02d}{_digits(rng, 5)}",
        lambda: f"RAD-{_digits(rng, 7)}",
        lambda: f"E{_digits(rng, 7)}",
        lambda: f"{pick(rng, ['CT', 'MR', 'XR', 'US'])}{study.year % 100:02d}-{_digits(rng, 6)}",
    ])()
    city = _city(locale, rng)
    institution = pick(rng, {
        "de_DE": [f"Klinikum {city}", f"Universitaetsklinikum {city}", f"Radiologie {city}"],
        "fr_FR": [f"CHU de {city}", f"Centre Hospitalier {city}", f"Clinique {fake.last_name()}"],
        "es_ES": [f"Hospital Universitario {city}", f"Hospital General de {city}"],
        "it_IT": [f"Ospedale di {city}", f"Policlinico {city}"],
        "nl_NL": [f"Ziekenhuis {city}", f"Medisch Centrum {city}"],
    }.get(locale, [f"{city} General Hospital", f"St. {fake.last_name()} Medical Center",
                   f"{city} Imaging Center", f"University Hospital {city}",
                   f"{fake.last_name()} Memorial Hospital", f"{city} Regional Med Ctr"]))
    return Identity(patient, birth, study, mrn, accession, institution, _person(fake, rng),
                    fake.phone_number(), f"{fake.street_address()}, {city}".replace("\n", " "),
                    locale)


def fmt_date(d: dt.date, style: str) -> str:
    """``d`` as scanners and consoles print it (styles of :data:`DATE_STYLES`)."""
    mon, yy = MONTHS[d.month - 1], f"{d.year % 100:02d}"
    return {
        "yyyymmdd": f"{d:%Y%m%d}", "iso": f"{d:%Y-%m-%d}", "us": f"{d:%m/%d/%Y}",
        "eu": f"{d:%d.%m.%Y}", "dmy": f"{d.day:02d}-{mon}-{d.year}",
        "mdy": f"{mon} {d.day:02d} {d.year}",
        "uk": f"{d:%d/%m/%Y}", "mdy_comma": f"{mon} {d.day}, {d.year}",
        "us_bare": f"{d.month}/{d.day}/{d.year}", "us_yy": f"{d.month}/{d.day}/{yy}",
        "dmy_yy_upper": f"{d.day:02d}-{mon.upper()}-{yy}",
        "dmy_space_upper": f"{d.day} {mon.upper()} {yy}", "dmy_space": f"{d.day:02d} {mon} {yy}",
        "eu_yy": f"{d:%d.%m.}{yy}", "dmy_upper": f"{d.day:02d}-{mon.upper()}-{d.year}",
        "ymd_slash": f"{d:%Y/%m/%d}",
    }[style]


DATE_STYLES = ["yyyymmdd", "iso", "us", "eu", "dmy", "mdy", "uk", "mdy_comma", "us_bare",
               "us_yy", "dmy_yy_upper", "dmy_space_upper", "dmy_space", "eu_yy", "dmy_upper",
               "ymd_slash"]


def fmt_time(rng: np.random.Generator) -> str:
    """A time of day as consoles print it beside the date: harmless on its own."""
    h, m, sec = int(rng.integers(0, 24)), int(rng.integers(60)), int(rng.integers(60))
    h12, ampm = (h % 12 or 12), ("AM" if h < 12 else "PM")
    return pick(rng, [f"{h:02d}:{m:02d}:{sec:02d}", f"{h:02d}:{m:02d}", f"{h}:{m:02d}",
                      f"{h12}:{m:02d}:{sec:02d} {ampm}", f"{h12}:{m:02d} {ampm}",
                      f"{h:02d}:{m:02d}:{sec:02d}"])


def fmt_name(p: Person, style: str) -> str:
    fam, giv, mid = p.family, p.given, p.middle
    return {
        "dicom": f"{fam.upper()}^{giv.upper()}" + (f"^{mid}" if mid else ""),
        "first_last": f"{giv} {fam}", "last_comma_first": f"{fam.upper()}, {giv.upper()}",
        "last_initial": f"{fam} {giv[0]}", "upper_first_last": f"{giv.upper()} {fam.upper()}",
        "last_first_mi": f"{fam}, {giv}" + (f" {mid}." if mid else ""),
    }[style]


NAME_STYLES = ["dicom", "dicom", "first_last", "last_comma_first", "last_initial",
               "upper_first_last", "last_first_mi"]

LABELS: dict[str, list[str]] = {
    "name": ["Name:", "Patient:", "Pt:", "PATIENT", "Pat. Name:", "Patient Name:", "NAME"],
    "dob": ["DOB:", "D.O.B.", "Birth:", "Born", "BD:", "*", "Geb.:", "DOB"],
    "study": ["Study Date:", "Date:", "Exam:", "Acq:", "STUDY", "Study:", "Exam Date"],
    "id": ["MRN:", "ID:", "Pat ID:", "PID", "MR#", "Patient ID:", "Hosp#", "MRN"],
    "acc": ["Acc#", "Acc:", "Accession:", "ACC", "Acc No.", "Order#"],
    "age": ["Age:", "AGE"],
    "inst": ["", "", "Site:", "Hospital:"],
    "ref": ["Ref:", "Ref. Phys:", "Referring:", "Physician:", "Rad:", "Dr."],
    "contact": ["Tel:", "Ph:", ""],
}

PHI_KINDS = {  # kind -> (category, weight of appearing on a PHI image)
    "name": ("NAME", 0.8), "id": ("ID", 0.65), "dob": ("DATE", 0.5), "study": ("DATE", 0.5),
    "age": ("AGE", 0.35), "acc": ("ACCESSION", 0.35), "inst": ("INSTITUTION", 0.4),
    "ref": ("PROVIDER", 0.3), "contact": ("CONTACT", 0.06),
}


def _value(ident: Identity, kind: str, rng: np.random.Generator, date_style: str,
           name_style: str) -> str:
    p = ident.patient
    if kind == "name":
        return fmt_name(p, name_style)
    if kind in ("dob", "study"):
        return fmt_date(ident.birth if kind == "dob" else ident.study, date_style)
    if kind == "id":
        return ident.mrn
    if kind == "acc":
        return ident.accession
    if kind == "age":
        a = ident.age
        return pick(rng, [f"{a:03d}Y {p.sex}", f"{a} {p.sex}", f"{a}Y", f"{p.sex}/{a}",
                          f"{a} yo {p.sex}", f"{a:03d}Y", f"{a}y {p.sex}"])
    if kind == "inst":
        return ident.institution
    if kind == "ref":
        r = ident.referring
        return pick(rng, [f"Dr. {r.given[0]}. {r.family}", f"{r.family.upper()}^{r.given.upper()}",
                          f"{r.given} {r.family} MD", f"Dr {r.family}"])
    return ident.phone if rng.random() < 0.6 else ident.address


BANNER_KINDS = ("name", "id", "dob", "study", "age", "acc", "inst")
"""PHI that a banner row shows (names, dates and numbers, not a referring physician's line)."""


def phi_fields(ident: Identity, rng: np.random.Generator, banner: bool = False) -> list[Field]:
    """The PHI lines of one image: one to eight fields, in one labelling style.

    ``banner``: the image has a top banner (drawn for images with and without PHI alike), and
    most identifiers go into it, small, as ultrasound and many consoles print them.
    """
    kinds = [k for k, (_, wgt) in PHI_KINDS.items() if rng.random() < wgt]
    if rng.random() < 0.2 or not kinds:  # a single, easily missed identifier
        kinds = [pick(rng, ["name", "id", "dob", "study", "acc", "ref", "age"])]
    if not any(identifying(k, ident) for k in kinds):  # an institution or a young age alone
        kinds.insert(0, pick(rng, ["name", "id", "dob", "study", "acc"]))
    label_mode = pick(rng, ["label", "label", "none", "mixed"])
    date_style, name_style = pick(rng, DATE_STYLES), pick(rng, NAME_STYLES)
    fold = rng.random() < 0.5
    home = pick(rng, ["tl", "tl", "tl", "tl", "tr", "tr", "bl", "br", "tc"])
    out = []
    for kind in kinds:
        value = _value(ident, kind, rng, date_style, name_style)
        labels = [x for x in LABELS[kind] if not (x == "Dr." and value.startswith("Dr"))]
        use_label = label_mode == "label" or (label_mode == "mixed" and rng.random() < 0.5)
        if kind in ("ref", "contact") and rng.random() < 0.7:
            use_label = True
        label = pick(rng, labels) if use_label else ""
        tight = label == "*" or (label.endswith(":") and rng.random() < 0.3)  # DOB:2/27/81
        text = f"{label}{'' if tight else ' '}{value}" if label else value
        if fold:
            text = ascii_fold(text)
        r = rng.random()
        slot = home if r < 0.78 else pick(rng, ["tl", "tr", "bl", "br", "bc"]) if r < 0.9 \
            else pick(rng, ["free", "free", "vert"])  # over anatomy, or up a side
        if banner and kind in BANNER_KINDS and rng.random() < 0.85:
            slot = "row"
        out.append(Field(text, identifying(kind, ident), PHI_KINDS[kind][0], slot=slot))
    return out


def identifying(kind: str, ident: Identity) -> bool:
    """Whether a field of this kind is PHI on its own, by the labelling rules real sets use
    (``../shared/realdev``'s README, HIPAA Safe Harbor): an institution or department name and
    an age of 89 or below are boxed with their category but are not PHI."""
    if kind == "inst":
        return False
    return kind != "age" or ident.age > 89


def institution_line(ident: Identity) -> Field:
    """A site line on an image without PHI: harmless text that a detector must not flag alone."""
    return Field(ident.institution, False, "INSTITUTION", slot="tl")
