"""Generic PHI patterns for burned-in annotation text, and guards for harmless overlay text.

These need no DICOM header. They are written from how modality overlays commonly look (CT, MR,
US, CR/DX, MG, XA): a demographic block (name, ID, birth date, age/sex, accession, institution,
physicians, study date) and a technique block (kVp, mAs, TR/TE, W/L, slice and image counters,
laterality and view markers, scale bars, manufacturer and software text). Rules are positive
(a date, a labelled field, a long identifier, a name in DICOM or "LAST, FIRST" form, an age)
with guards that keep technique text out.

:func:`find_hits` returns :class:`Hit` s with character spans in the text given; the caller maps
them to OCR boxes. Nothing here logs or keeps text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# ---------------------------------------------------------------------------------------------
# Vocabulary of harmless overlay words (upper case). Used to reject name-like values that are
# really technique, anatomy, view or vendor words.
# ---------------------------------------------------------------------------------------------

LATERALITY = {"L", "R", "LT", "RT", "LEFT", "RIGHT", "BILAT", "BILATERAL", "BIL", "B"}
VIEWS = {
    "AP", "PA", "LAT", "LATERAL", "LL", "RL", "OBL", "OBLIQUE", "LAO", "RAO", "LPO", "RPO", "CC",
    "MLO", "ML", "LM", "XCCL", "XCCM", "FB", "SIO", "AT", "AXIAL", "AX", "AXI", "SAG", "SAGITTAL",
    "COR", "CORONAL", "TRA", "TRANS", "TRANSVERSE", "TRV", "LONG", "LONGITUDINAL", "SUP",
    "INF", "ANT", "POST", "MED", "PROX", "DIST", "PRONE", "SUPINE", "ERECT", "UPRIGHT",
    "DECUB", "DECUBITUS", "STANDING", "SITTING", "WB", "FLEX", "EXT", "FLEXION", "EXTENSION",
    "INSP", "EXP", "PORTABLE", "PORT", "SEMI", "SWIMMER", "TOWNE", "WATERS", "CALDWELL",
    "MORTISE", "SUNRISE", "MERCHANT", "TUNNEL", "SCOUT", "TOPOGRAM", "LOCALIZER", "LOCALISER",
    "SURVIEW", "SCANOGRAM", "VIEW", "VIEWS", "FRONTAL", "OBLIQ", "CEPH", "CAUD", "CRAN",
    "CRANIAL", "CAUDAL", "HFS", "HFP", "FFS", "FFP", "HFDL", "HFDR", "FFDL", "FFDR",
}
TECHNIQUE = {
    "KVP", "KV", "MAS", "MA", "MS", "MSEC", "SEC", "S", "TR", "TE", "TI", "FA", "FLIP", "FOV",
    "DFOV", "SFOV", "WW", "WL", "W", "C", "WIN", "WINDOW", "LEVEL", "CENTER", "CENTRE", "WIDTH",
    "THK", "THICK", "THICKNESS", "SLICE", "SL", "ST", "SP", "GAP", "PITCH", "TILT", "ROT",
    "ROTATION", "SPIRAL", "HELICAL", "KERNEL", "FILTER", "MATRIX", "NEX", "NSA", "ETL", "BW",
    "ECHO", "TRAIN", "SENSE", "ASSET", "GRAPPA", "IPAT", "BH", "FS", "FATSAT", "STIR", "FLAIR",
    "DWI", "ADC", "SWI", "TOF", "MRA", "CTA", "PET", "SPECT", "NM", "US", "MR", "MRI", "CT",
    "CR", "DX", "MG", "XA", "RF", "OT", "PT", "SC", "MIP", "MINIP", "MPR", "VR", "VRT", "T1",
    "T2", "PD", "GRE", "SE", "FSE", "TSE", "SPGR", "MPRAGE", "EPI", "DTI", "BOLD", "CONTRAST",
    "PRE", "ARTERIAL", "VENOUS", "DELAYED", "PORTAL", "NONCON", "NON", "IV", "ORAL", "DLP",
    "CTDI", "CTDIVOL", "MGY", "GY", "MSV", "DAP", "EI", "DI", "EXI", "LGM", "SNR", "CNR", "HU",
    "GAIN", "G", "DR", "DYN", "FR", "HZ", "MHZ", "KHZ", "DB", "DEPTH", "D", "FOCUS", "FREQ",
    "FRQ", "PRF", "WF", "MI", "TIS", "TIB", "TIC", "PWR", "POWER", "CFM", "PW", "CW", "MODE",
    "HARM", "THI", "ZOOM", "ANGLE", "SV", "VEL", "VOL", "PERSIST", "CINE", "FREEZE", "DOSE",
    "EXPOSURE", "EXP", "TIME", "FILTERED", "GRID", "SID", "SOD", "AEC", "ESD", "AGD", "KERMA",
    "COMPRESSION", "FORCE", "ANODE", "TARGET", "MO", "RH", "AG", "AL", "CU", "PIXEL", "SPACING",
    "SAMPLE", "SAMPLING", "LUT", "GAMMA", "INVERT", "INVERTED", "SHARP", "SMOOTH", "SOFT",
    "BONE", "LUNG", "BRAIN", "MEDIASTINUM", "ABDOMEN", "LIVER", "ANGIO", "ROUTINE", "STANDARD",
}
SEQUENCE = {
    "SE", "SER", "SERIES", "IM", "IMG", "IMAGE", "IMAGES", "IMA", "FRAME", "FRAMES", "FR",
    "SLICE", "SLC", "LOC", "LOCATION", "POS", "POSITION", "TABLE", "TBL", "NO", "NUMBER", "OF",
    "PAGE", "ACQ", "ACQUISITION", "PHASE", "ECHO", "STACK", "SCAN", "RUN", "Z", "X", "Y",
}
SCALE = {"CM", "MM", "M", "UM", "MAG", "ZOOM", "X", "PX", "PIXEL", "SCALE", "RULER", "INCH", "IN"}
ANATOMY_AND_WORKFLOW = {
    "HEAD", "NECK", "CHEST", "THORAX", "LUNGS", "ABD", "PELVIS", "SPINE", "CSPINE", "TSPINE",
    "LSPINE", "CERVICAL", "THORACIC", "LUMBAR", "SACRUM", "SKULL", "SINUS", "SINUSES", "ORBIT",
    "ORBITS", "FACE", "FACIAL", "MANDIBLE", "SHOULDER", "ARM", "HUMERUS", "ELBOW", "FOREARM",
    "WRIST", "HAND", "HANDS", "FINGER", "FINGERS", "THUMB", "HIP", "HIPS", "FEMUR", "KNEE",
    "KNEES", "LEG", "TIBIA", "FIBULA", "ANKLE", "FOOT", "FEET", "TOE", "TOES", "HEEL",
    "CALCANEUS", "BREAST", "BREASTS", "HEART", "CARDIAC", "KIDNEY", "KIDNEYS", "RENAL",
    "BLADDER", "UTERUS", "OVARY", "OVARIES", "PROSTATE", "THYROID", "CAROTID", "AORTA",
    "AORTIC", "BONES", "TISSUE", "MEDIASTINAL", "WHOLE", "BODY", "ADULT", "PEDS", "PEDIATRIC",
    "PAEDIATRIC", "PED", "INFANT", "CHILD", "NEONATE", "PROTOCOL", "STUDY", "EXAM", "REPORT",
    "PRELIM", "FINAL", "COMPARISON", "PRIOR", "CURRENT", "MARKER", "DICOM", "PACS", "RIS",
    "WORKSTATION", "VIEWER", "AND", "WITH", "WITHOUT", "WO", "YES", "NONE", "UNKNOWN",
    "ANONYMOUS", "ANON", "PHANTOM", "TEST", "QA", "QC", "CALIBRATION", "SERVICE", "PATIENT",
    "NAME", "DATE", "SEX", "AGE", "MALE", "FEMALE", "OTHER", "WEIGHT", "HEIGHT", "ID", "DOB",
    "ROI", "AREA", "MEAN", "MIN", "MAX", "SD", "STD", "DEV", "AVG", "AVERAGE", "DIST",
    "DISTANCE", "LENGTH", "DIAMETER", "VOLUME", "RATIO", "INDEX", "TOTAL", "LEVEL", "AXIS",
    "SUPERIOR", "INFERIOR", "ANTERIOR", "POSTERIOR", "MEDIAL", "DISTAL", "PROXIMAL",
    "UPPER", "LOWER", "MID", "MIDDLE", "FETAL", "FETUS", "GALLBLADDER", "PANCREAS", "SPLEEN",
    "OB", "GYN", "VASCULAR", "ECHO", "DOPPLER", "COLOR", "COLOUR", "POWER", "ARTERY", "VEIN",
    "TRANSVAGINAL", "TRANSABDOMINAL", "PELVIC", "ABDOMINAL", "SMALL", "PARTS", "MSK",
    "NEURO", "SPECIMEN", "STEREO", "BIOPSY", "NEEDLE", "LESION", "MASS", "CYST", "NODULE",
    "NORMAL", "RECON", "RECONSTRUCTION", "REFORMAT", "SUB", "SUBTRACTION", "MASK", "NATIVE",
    "FLUORO", "FLUOROSCOPY", "ANGIOGRAPHY", "DIGITAL", "RADIOGRAPHY", "MAMMOGRAPHY",
    "MAMMO", "SCREENING", "DIAGNOSTIC", "TOMO", "TOMOSYNTHESIS", "SYNTHETIC", "PROCESSED",
    "RAW", "PRESENTATION", "FOR", "THE", "IS", "NOT", "ON", "OFF", "IN", "OUT", "TO",
}
MANUFACTURERS = {
    "SIEMENS", "GE", "PHILIPS", "TOSHIBA", "CANON", "HITACHI", "FUJI", "FUJIFILM", "AGFA",
    "KODAK", "CARESTREAM", "HOLOGIC", "SAMSUNG", "MEDISON", "ESAOTE", "MINDRAY", "KONICA",
    "MINOLTA", "SHIMADZU", "NEUSOFT", "UIH", "HEALTHCARE", "HEALTHINEERS", "ELSCINT",
    "PICKER", "MARCONI", "ADAC", "VARIAN", "ELEKTA", "BRACCO", "PLANMECA", "SIRONA", "VATECH",
    "CARESTREAM", "KONICA", "ZIEHM", "OEC", "SOMATOM", "SENSATION", "DEFINITION", "EMOTION",
    "PERSPECTIVE", "LIGHTSPEED", "OPTIMA", "DISCOVERY", "REVOLUTION", "SIGNA", "HDXT",
    "EXCITE", "PIONEER", "ARCHITECT", "PREMIER", "AVANTO", "AERA", "SKYRA", "PRISMA", "TRIO",
    "VERIO", "ESPREE", "SYMPHONY", "SONATA", "ACHIEVA", "INGENIA", "INTERA", "PANORAMA",
    "AQUILION", "PRIME", "GENESIS", "VANTAGE", "TITAN", "ORIAN", "ECHELON", "BRILLIANCE",
    "INGENUITY", "IQON", "ACUSON", "SEQUOIA", "ANTARES", "JUNIPER", "VOLUSON", "LOGIQ",
    "VIVID", "EPIQ", "AFFINITI", "APLIO", "XARIO", "NEMIO", "SELENIA", "DIMENSIONS", "LORAD",
    "SENOGRAPHE", "PRISTINA", "MAMMOMAT", "INSPIRATION", "AMULET", "DIRECTVIEW", "YSIO",
    "LUMINOS", "AXIOM", "ARTIS", "ALLURA", "AZURION", "INNOVA", "DRX", "SYNGO", "SYNAPSE",
    "CENTRICITY", "ADVANTAGE", "VITREA", "OSIRIX", "HOROS", "WEASIS", "CARESTREAM",
    "MEDICAL", "SYSTEMS", "SOLUTIONS", "IMAGING",
}

VOCABULARY: frozenset[str] = frozenset(
    LATERALITY | VIEWS | TECHNIQUE | SEQUENCE | SCALE | ANATOMY_AND_WORKFLOW | MANUFACTURERS
)
"""Upper-case words that appear on overlays and are never, alone, a person's name."""

NUMBER_LABELS: frozenset[str] = frozenset(
    (TECHNIQUE | SEQUENCE | SCALE | {"T", "N", "P", "A", "H", "V", "F", "E", "K", "WL", "WW"})
    - {"ID"}
)
"""Words that, right before a number, make it a technique value or a counter, not an ID."""

UNITS = (
    r"mm|cm|m|um|µm|nm|km|in|ms|msec|s|sec|min|h|hz|khz|mhz|db|%|kv|kvp|mas|ma|ua|µa|mgy|gy|"
    r"cgy|ugy|µgy|msv|usv|sv|mgycm|mgy\*cm|mgy·cm|gycm2|mgycm2|hu|px|pix|ml|cc|l|deg|°|fps|"
    r"bpm|mmhg|cm/s|m/s|mm/s|kg|g|lb|lbs|t|mt|mrad|rad|x|pt|dpi|bit|bits|mb|kb|gb"
)
_UNIT_AFTER = re.compile(rf"\s?(?:{UNITS})(?![A-Za-z])", re.IGNORECASE)
_MANUFACTURER_RE = re.compile(
    r"(?<![A-Za-z])(?:siemens|ge|philips|toshiba|canon|hitachi|fuji(?:film)?|agfa|kodak|"
    r"carestream|hologic|samsung|esaote|mindray|konica|shimadzu|healthcare|healthineers|"
    r"medical\s+systems|medical\s+solutions)(?![A-Za-z])",
    re.IGNORECASE,
)

# ---------------------------------------------------------------------------------------------
# Hits
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hit:
    """A generic pattern that matched: category, span in the text, score, and which rule."""

    category: str
    start: int
    end: int
    score: float
    rule: str
    dates: tuple[tuple[int, int, int], ...] = ()
    """For date hits: candidate (year, month, day); a two-digit year is kept as 0..99."""
    age: tuple[int, str] | None = None
    """For age hits: (value, unit) with unit one of Y, M, W, D."""


# ---------------------------------------------------------------------------------------------
# OCR digit repair
# ---------------------------------------------------------------------------------------------

_TO_DIGIT = {"O": "0", "o": "0", "Q": "0", "D": "0", "I": "1", "l": "1", "|": "1", "!": "1",
             "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2"}
_INNER_ONLY = {"S", "s", "B", "Z", "z", "D"}


def digitize(text: str) -> str:
    """Fix letters OCR put in numbers (``O3/l7/1945`` → ``03/17/1945``); same length as input.

    Only tokens (split on spaces and ``: = # , ;`` brackets) with at least two digits and no
    more look-alike letters than digits, all of whose letters are look-alikes, are touched;
    ``S``, ``B``, ``Z``, ``D`` only between two digit-ish characters.
    """
    out = list(text)
    for m in re.finditer(r"[^\s:=#,;()\[\]]+", text):
        tok = m.group(0)
        n_digits = sum(c.isdigit() for c in tok)
        letters = [c for c in tok if c.isalpha() or c in "|!"]
        if n_digits < 2 or not letters or any(c not in _TO_DIGIT for c in letters):
            continue
        if len(letters) > n_digits:
            continue
        for k, c in enumerate(tok):
            if c not in _TO_DIGIT:
                continue
            if c in _INNER_ONLY:
                prev_ok = k > 0 and (tok[k - 1].isdigit() or tok[k - 1] in _TO_DIGIT)
                next_ok = k + 1 < len(tok) and (tok[k + 1].isdigit() or tok[k + 1] in _TO_DIGIT)
                if not (prev_ok and next_ok):
                    continue
            out[m.start() + k] = _TO_DIGIT[c]
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------

_MONTH_FORMS = {
    1: ("jan", "january", "januar", "janv", "janvier", "ene", "enero"),
    2: ("feb", "february", "februar", "fev", "fév", "févr", "fevr", "février", "fevrier"),
    3: ("mar", "march", "märz", "marz", "mrz", "mars"),
    4: ("apr", "april", "avr", "avril", "abr", "abril"),
    5: ("may", "mai", "mayo"),
    6: ("jun", "june", "juni", "juin", "junio"),
    7: ("jul", "july", "juli", "juil", "juillet", "julio"),
    8: ("aug", "august", "aout", "août", "agosto"),
    9: ("sep", "sept", "september", "septembre", "septiembre"),
    10: ("oct", "october", "okt", "oktober", "octobre", "octubre"),
    11: ("nov", "november", "novembre", "noviembre"),
    12: ("dec", "december", "dez", "dezember", "déc", "décembre", "decembre", "dic", "diciembre"),
}
_MONTHS = {form: num for num, forms in _MONTH_FORMS.items() for form in forms}
MONTH_RE = "(?:" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + r")\.?"


def month_number(word: str) -> int | None:
    return _MONTHS.get(word.lower().rstrip("."))


def valid_date(y: int, m: int, d: int) -> bool:
    if not (1 <= m <= 12 and 1 <= d <= 31):
        return False
    if y >= 100 and not (1880 <= y <= 2099):
        return False
    return d <= (29 if m == 2 else 30 if m in (4, 6, 9, 11) else 31)


_VERSION_BEFORE = re.compile(
    r"(?:\bv|\bver|version|\brev|revision|\bsw|software|build|release|firmware|\bvb|\bve|\bva)"
    r"[\s.:#]*$",
    re.IGNORECASE,
)
_SEQ_BEFORE = re.compile(
    r"(?:\b(?:im|img|image|ima|se|ser|series|sl|slice|fr|frame|no|page|acq|#)\.?)[\s:#]*$",
    re.IGNORECASE,
)
_NUM_END = r"(?![\d:]|[.,/\-]\d)"
_NUMERIC_DMY = re.compile(
    r"(?<![\d./\-])(?<!\d:)(\d{1,2})\s?([/.\-])\s?(\d{1,2})\s?\2\s?(\d{4}|\d{2})" + _NUM_END
)
_NUMERIC_YMD = re.compile(
    r"(?<![\d./\-])(?<!\d:)(\d{4})\s?([/.\-])\s?(\d{1,2})\s?\2\s?(\d{1,2})" + _NUM_END
)
_NUMERIC_MIXED = re.compile(
    r"(?<![\d./\-,])(?<!\d:)(\d{1,2})\s?([/.\-,])\s?(\d{1,2})\s?([/.\-,])\s?((?:19|20)\d{2})" + _NUM_END
)
"""A numeric date with a four-digit year whose two separators differ: OCR reads a thin ``/`` of
a small font as ``,`` or ``.`` (``6,24/2006``)."""
_MERIDIEM_AFTER = re.compile(r"\s?[ap]\.?m\.?(?![A-Za-z])", re.IGNORECASE)
_COMPACT = re.compile(r"(?<![\d.])(\d{8})(?![\d]|[.,]\d)")
_D_MON_Y = re.compile(
    rf"(?<![A-Za-z\d])(\d{{1,2}})(?:st|nd|rd|th)?[\s\-./]{{0,3}}({MONTH_RE})(?![A-Za-z])"
    rf"[\s\-./,]{{0,3}}(\d{{4}}|\d{{2}})(?!\d)",
    re.IGNORECASE,
)
_MON_D_Y = re.compile(
    rf"(?<![A-Za-z\d])({MONTH_RE})(?![A-Za-z])[\s\-./]{{0,3}}(\d{{1,2}})(?:st|nd|rd|th)?"
    rf"[\s,\-./]{{0,3}}(\d{{4}})(?!\d)",
    re.IGNORECASE,
)
_Y_MON_D = re.compile(
    rf"(?<![A-Za-z\d])(\d{{4}})[\s\-./]{{0,3}}({MONTH_RE})(?![A-Za-z])[\s\-./]{{0,3}}"
    rf"(\d{{1,2}})(?!\d)",
    re.IGNORECASE,
)
_MON_Y = re.compile(
    rf"(?<![A-Za-z\d])({MONTH_RE})(?![A-Za-z])[\s\-./,]{{0,3}}((?:19|20)\d{{2}})(?!\d)",
    re.IGNORECASE,
)
_NUM_M_Y = re.compile(r"(?<![\d.:/\-])(\d{1,2})\s?/\s?((?:19|20)\d{2})(?![\d:]|[.,/\-]\d)")


def find_dates(text: str) -> list[Hit]:
    """Dates in common overlay formats, with their candidate (y, m, d) readings."""
    t = digitize(text)
    hits: list[Hit] = []

    def add(m: re.Match[str], cands: list[tuple[int, int, int]], score: float, rule: str) -> None:
        cands = [c for c in dict.fromkeys(cands) if valid_date(*c)]
        if not cands:
            return
        if _VERSION_BEFORE.search(t[: m.start()]):
            return
        hits.append(Hit("DATE", m.start(), m.end(), score, rule, tuple(cands)))

    for m in _NUMERIC_YMD.finditer(t):
        y, mo, d = int(m.group(1)), int(m.group(3)), int(m.group(4))
        add(m, [(y, mo, d)], 0.9, "date_ymd")
    for m in _NUMERIC_DMY.finditer(t):
        if _MERIDIEM_AFTER.match(t, m.end()):
            continue  # "9.28.50 AM": a time whose colons OCR read as dots
        a, b, ys = int(m.group(1)), int(m.group(3)), m.group(4)
        y = int(ys)
        # dotted dates are day-first wherever they are printed (16.11.1995)
        cands = [(y, b, a)] if m.group(2) == "." else [(y, a, b), (y, b, a)]
        if len(ys) == 4:
            score = 0.9
        else:
            score = 0.75
            parts = (m.group(1), m.group(3), ys)
            if m.group(2) == "." and all(len(p) == 2 for p in parts) and a <= 23 and b <= 59 \
                    and y <= 59:
                score = 0.35  # also reads as a time of day (OCR turns ':' into '.')
        add(m, cands, score, "date_numeric")
    for m in _NUMERIC_MIXED.finditer(t):
        if m.group(2) == m.group(4) or _overlaps(hits, m.start(), m.end()):
            continue  # one separator throughout: the rule above has it
        a, b, y = int(m.group(1)), int(m.group(3)), int(m.group(5))
        add(m, [(y, a, b), (y, b, a)], 0.8, "date_numeric_ocr_separator")
    for m in _COMPACT.finditer(t):
        s = m.group(1)
        ymd = (int(s[:4]), int(s[4:6]), int(s[6:]))
        if valid_date(*ymd) and ymd[0] >= 1900:
            add(m, [ymd], 0.8, "date_compact")
    for m in _D_MON_Y.finditer(t):
        add(m, [(int(m.group(3)), month_number(m.group(2)) or 0, int(m.group(1)))], 0.9,
            "date_d_mon_y")
    for m in _MON_D_Y.finditer(t):
        add(m, [(int(m.group(3)), month_number(m.group(1)) or 0, int(m.group(2)))], 0.9,
            "date_mon_d_y")
    for m in _Y_MON_D.finditer(t):
        add(m, [(int(m.group(1)), month_number(m.group(2)) or 0, int(m.group(3)))], 0.9,
            "date_y_mon_d")
    for m in _MON_Y.finditer(t):
        if not _overlaps(hits, m.start(), m.end()):
            add(m, [(int(m.group(2)), month_number(m.group(1)) or 0, 1)], 0.6, "date_mon_y")
    for m in _NUM_M_Y.finditer(t):
        if _overlaps(hits, m.start(), m.end()) or _SEQ_BEFORE.search(t[: m.start()]):
            continue
        add(m, [(int(m.group(2)), int(m.group(1)), 1)], 0.55, "date_m_y")
    return _dedupe(hits)


def _overlaps(hits: list[Hit], start: int, end: int) -> bool:
    return any(h.start < end and start < h.end for h in hits)


def _dedupe(hits: list[Hit]) -> list[Hit]:
    """Drop hits contained in a higher-or-equal scoring hit of the same category."""
    keep: list[Hit] = []
    for h in sorted(hits, key=lambda h: (-h.score, h.start - h.end)):
        if any(k.category == h.category and k.start <= h.start and h.end <= k.end for k in keep):
            continue
        keep.append(h)
    return sorted(keep, key=lambda h: h.start)


# ---------------------------------------------------------------------------------------------
# Labelled fields
# ---------------------------------------------------------------------------------------------

_TIME_RE = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:\s?[ap]\.?m\.?)?", re.I)
_NAME_VALUE = r"[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F'`\-\^,. ]*[A-Za-z\u00C0-\u024F.]"
_ID_VALUE = r"[A-Za-z0-9][A-Za-z0-9\-/.]{2,}"
_ANY_VALUE = r"\S.*"


@dataclass(frozen=True)
class _Label:
    regex: str
    category: str
    value: str  # "name", "id", "date", "age", "any", "contact"
    score: float
    strict: bool  # needs ':', '=' or '#' between label and value


_LABELS: tuple[_Label, ...] = (
    _Label(r"patient'?s?\s*name|pat(?:ient)?\.?\s*name|pt\.?\s*name|full\s*name|last\s*name|"
           r"first\s*name|given\s*name|family\s*name|surname|name", "NAME", "name", 0.85, False),
    _Label(r"patient|pat\.?|pt\.?|nom|nombre|naam|patient\s*name", "NAME", "name", 0.8, True),
    _Label(r"d\.?\s?o\.?\s?b\.?|date\s*of\s*birth|birth\s*date|birthdate|birthday|b\.?\s*date|"
           r"born|birth|geb(?:urtsdatum|\.)?|geboren|n[ée]e?\s*le|f\.?\s*nac(?:imiento)?|"
           r"fecha\s*de\s*nacimiento|date\s*de\s*naissance", "DATE", "date", 0.85, False),
    _Label(r"(?:study|exam|scan|acq(?:uisition)?\.?|series|procedure|visit|admission|adm|"
           r"discharge|service|report|content|image|img|creation|exam\.?)\s*date|"
           r"date\s*of\s*(?:exam|study|service|scan|procedure)|date|datum|fecha",
           "DATE", "date", 0.8, False),
    _Label(r"m\.?r\.?n\.?|mr\s*#|mr\s*no\.?|mr\s*num(?:ber)?|"
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
    _Label(r"acc(?:ession)?\.?\s*(?:no\.?|num(?:ber)?|#)?|accn|order\s*(?:no\.?|#|num(?:ber)?|id)|"
           r"exam\s*(?:no\.?|#|num(?:ber)?|id)|req(?:uisition)?\.?\s*(?:no\.?|#|num(?:ber)?)|"
           r"study\s*(?:id|no\.?|#|num(?:ber)?)|visit\s*(?:no\.?|#|num(?:ber)?|id)|"
           r"encounter\s*(?:no\.?|#|id)?|fin|csn|ris\s*(?:no\.?|#|id)|pacs\s*(?:no\.?|#|id)|"
           r"film\s*(?:no\.?|#)|x-?ray\s*(?:no\.?|#)", "ACCESSION", "id", 0.9, False),
    _Label(r"age|alter|âge|edad|age\s*/\s*sex|sex\s*/\s*age|age\s*/\s*gender", "AGE", "age",
           0.8, False),
    _Label(r"ref(?:erring)?\.?\s*(?:phys(?:ician)?\.?|dr\.?|doctor|md|by)|referring|"
           r"requesting\s*(?:phys(?:ician)?\.?|dr\.?)?|req\.?\s*(?:phys(?:ician)?\.?|dr\.?)|"
           r"physician|doctor|radiologist|reading\s*(?:phys(?:ician)?\.?|dr\.?|rad)|attending|"
           r"operator|technologist|technician|radiographer|sonographer|performed\s*by|"
           r"perf\.?\s*by|read\s*by|reported\s*by|dictated\s*by|signed\s*by|approved\s*by|"
           r"ordered\s*by|requested\s*by|consultant|surgeon|referrer|"
           r"ordering\s*(?:phys(?:ician)?\.?|dr\.?|provider)?|provider|clinician",
           "PROVIDER", "name", 0.8, False),
    _Label(r"ref\.?|phys\.?|dr|md|op|oper\.?|tech\.?|rad\.?|sono\.?", "PROVIDER", "name", 0.75,
           True),
    _Label(r"institution(?:\s*name)?|inst\.?|hospital|hosp\.?|facility|site|clinic|dept\.?|"
           r"department|"
           r"centre|center|practice|organi[sz]ation", "INSTITUTION", "any", 0.75, True),
    _Label(r"tel(?:ephone)?\.?|phone|ph\.?|fax|mobile|cell|e-?mail|address|addr\.?",
           "CONTACT", "contact", 0.8, False),
)
_NAME_LABEL_BAD_PREFIX = re.compile(
    r"(?:protocol|series|study|sequence|station|scanner|institution|software|file|user|host|"
    r"exam|procedure|body\s*part|model|device|manufacturer|coil|application|preset|display|"
    r"window|filter|kernel|printer|print|operator|referring|physician|department|hospital|"
    r"center|centre)\s*$",
    re.IGNORECASE,
)
_LABEL_RES = [
    (
        lab,
        re.compile(
            rf"(?<![A-Za-z])(?:{lab.regex})(?![A-Za-z])"
            + (r"\s*[:=#]\s*" if lab.strict else r"(?:\s*[:=#]\s*|\s+)")
            + r"(?P<value>.+)",
            re.IGNORECASE,
        ),
    )
    for lab in _LABELS
]


_TITLE = re.compile(r"(?:dr|doctor|prof|mr|mrs|ms|miss)(?:[.:,]\s*|\s+)(?=[A-Za-z])",
                    re.IGNORECASE)


def _name_like(value: str) -> tuple[int, int] | None:
    """The span of a person-name-like prefix of ``value`` (after a title), or None."""
    title = _TITLE.match(value)
    offset = title.end() if title else 0
    m = re.match(_NAME_VALUE, value[offset:])
    if not m:
        return None
    span = m.group(0).rstrip(" ,.-^")
    words = [w for w in re.split(r"[\s,.\^\-]+", span) if w]
    if not words or not any(len(w) >= 2 for w in words):
        return None
    if words[0].upper() in VOCABULARY or all(w.upper() in VOCABULARY for w in words):
        return None
    if month_number(words[0]) is not None and len(words) == 1:
        return None
    return offset + m.start(), offset + m.start() + len(span)


def find_labelled(text: str) -> list[Hit]:
    """Fields introduced by a label: ``Name:``, ``DOB``, ``MRN``, ``Acc #``, ``Ref. Phys:`` …"""
    hits: list[Hit] = []
    dt = digitize(text)
    for lab, rx in _LABEL_RES:
        for m in rx.finditer(text):
            vstart = m.start("value")
            value = text[vstart:]
            # a value never runs into the next label-like field after a wide gap
            value = re.split(r"\s{2,}", value)[0]
            span: tuple[int, int] | None = None
            if lab.value == "name":
                if lab.category == "NAME" and _NAME_LABEL_BAD_PREFIX.search(text[: m.start()]):
                    continue
                span = _name_like(value)
            elif lab.value == "id":
                v = re.match(_ID_VALUE, dt[vstart : vstart + len(value)])
                if v:
                    tok = v.group(0).rstrip(".-/")
                    digits = sum(c.isdigit() for c in tok)
                    if digits >= 3 or (digits >= 2 and len(tok) >= 5):
                        span = (0, len(tok))
            elif lab.value == "date":
                dv = _TIME_RE.sub(" ", dt[vstart : vstart + len(value)])
                groups = re.findall(r"\d+", dv)
                if (len(groups) >= 2 and sum(map(len, groups)) >= 4) or (
                    groups and re.search(MONTH_RE, dv, re.IGNORECASE)
                ) or any(len(g) == 8 for g in groups):
                    span = (0, len(value.rstrip()))
            elif lab.value == "age":
                v = re.match(r"\s*(\d{1,3})(?!\d)", dt[vstart : vstart + len(value)])
                if v and int(v.group(1)) <= 130:
                    span = (0, len(value.rstrip()))
            elif lab.value == "contact":
                if sum(c.isdigit() for c in value) >= 7 or "@" in value or len(
                    re.findall(r"[A-Za-z]{3,}", value)
                ) >= 2:
                    span = (0, len(value.rstrip()))
            else:  # any
                words = re.findall(r"[A-Za-z\u00C0-\u024F]{3,}", value)
                if words and not all(w.upper() in VOCABULARY for w in words):
                    span = (0, len(value.rstrip()))
            if span is None or span[1] <= span[0]:
                continue
            hits.append(
                Hit(lab.category, vstart + span[0], vstart + span[1], lab.score,
                    f"label_{lab.category.lower()}")
            )
    # "Dr. Smith", "Mr. Doe", "John Smith MD"
    for m in re.finditer(r"(?<![A-Za-z])(?:dr|doctor|prof)[.:]?\s+(?P<v>[A-Za-z][^\d]*)", text,
                         re.IGNORECASE):
        span = _name_like(m.group("v"))
        if span and text[m.start("v")].isupper():
            hits.append(Hit("PROVIDER", m.start("v") + span[0], m.start("v") + span[1], 0.75,
                            "title_dr"))
    for m in re.finditer(r"(?<![A-Za-z])(?:Mr|Mrs|Ms|Miss|Mme|Mlle|Herr|Frau)\.?\s+"
                         r"(?P<v>[A-Z][^\d]*)", text):
        span = _name_like(m.group("v"))
        if span:
            hits.append(Hit("NAME", m.start("v") + span[0], m.start("v") + span[1], 0.8,
                            "title_mr"))
    for m in re.finditer(
        r"(?<![A-Za-z])(?P<v>[A-Z][A-Za-z'\-]+(?:\s+[A-Z]\.?)?(?:\s+[A-Z][A-Za-z'\-]+){0,2})"
        r"\s*,?\s*(?:M\.?D\.?|Ph\.?D\.?|FRCR|FRCPC|MBBS|RDMS|RVT|RDCS|RT\s?\(R\))(?![A-Za-z])",
        text,
    ):
        span = _name_like(m.group("v"))
        if span:
            hits.append(Hit("PROVIDER", m.start("v") + span[0], m.start("v") + span[1], 0.7,
                            "suffix_md"))
    return hits


# ---------------------------------------------------------------------------------------------
# Names, ages, identifiers, contact, institutions
# ---------------------------------------------------------------------------------------------

_CARET = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F'\-]*)\s?\^\s?"
    r"([A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F'\-]*)?(?:\s?\^\s?[A-Za-z\u00C0-\u024F'\-]*)*"
)
_LAST_FIRST = re.compile(
    r"(?<![A-Za-z0-9])([A-Z][A-Za-z'\-]+)\s?,\s?([A-Z][A-Za-z'\-]+)(?:\s([A-Z])\.?)?"
    r"(?![A-Za-z0-9])"
)
_AGE_UNIT = r"(?:y|yr|yrs|years?|yo|y/o|y\.o\.|jahre|ans|a[ñn]os)"
_AGE_WORD = re.compile(rf"(?<![\w.,])(\d{{1,3}})\s?{_AGE_UNIT}(?![A-Za-z])", re.IGNORECASE)
_AGE_AS = re.compile(r"(?<![\w.])(0\d\d)\s?([DWMY])(?![A-Za-z])")
_SEX_AGE = re.compile(
    rf"(?<![\w])([MF])\s?[/,\-]?\s?(\d{{1,3}})\s?({_AGE_UNIT})?(?![\w.])", re.IGNORECASE
)
_AGE_SEX = re.compile(
    rf"(?<![\w.])(\d{{1,3}})\s?({_AGE_UNIT})?\s?[/,\-]?\s?([MF])(?![\w])", re.IGNORECASE
)
_LONG_ID = re.compile(r"(?<![\w.,/\-+])([A-Za-z]{0,4}[#\-]?\d[\d\-]*\d[A-Za-z]?)(?![\w])")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.\-]?)?(?:\(\d{2,4}\)|\d{3})[\s.\-]?\d{3}[\s.\-]\d{4}(?!\d)"
)
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+\.[\w.\-]+")
_STREET = re.compile(
    r"(?<![\w.])\d{1,5}[A-Za-z]?\s+(?P<words>(?:[A-Za-z][A-Za-z.'\-]*\s+){1,4})"
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|drive|dr|lane|ln|way|court|ct|place|pl|"
    r"parkway|pkwy|highway|hwy|strasse|straße|str|square|sq|terrace|circle|cir)\.?(?![A-Za-z])",
    re.IGNORECASE,
)
_INSTITUTION = re.compile(
    r"(?<![A-Za-z])(?:hospital(?:s)?|hosp\.|clinic(?:s|a|o)?|clinique|klinik(?:um)?|infirmary|"
    r"medical\s+(?:center|centre|ctr|college|school|group|associates|clinic|institute|"
    r"university|campus)|med\.?\s*ctr|health\s*(?:system|center|centre|services|trust|network|"
    r"authority|board|partners)|universit(?:y|ät|at|é|e|à|a)|univ\.|institute|instituto|"
    r"institut|memorial|sanatorium|h[oô]pital|ospedale|krankenhaus|spital|ziekenhuis|"
    r"imaging\s+(?:center|centre|associates|group|institute|services)|"
    r"radiology\s+(?:associates|group|partners|center|centre|department|dept|services)|"
    r"(?:dept\.?|department)\s+of\s+[A-Za-z]{3,}|children'?s\s+\w+|"
    r"cancer\s+(?:center|centre|institute)|nhs\s+(?:trust|foundation))(?![A-Za-z])",
    re.IGNORECASE,
)


def number_context(text: str, start: int, end: int) -> bool:
    """Whether the number at ``text[start:end]`` is a technique value or counter by context.

    True when a unit follows it (``250 mAs``, ``10 cm``, ``512x512``) or a technique / counter
    label precedes it (``W 400``, ``Se: 4``, ``DLP``).
    """
    if _UNIT_AFTER.match(text, end):
        return True
    before = text[:start].rstrip(" :=#/")
    m = re.search(r"([A-Za-z]+)\.?$", before)
    if m and m.group(1).upper() in NUMBER_LABELS:
        return True
    return False


def find_names(text: str) -> list[Hit]:
    hits: list[Hit] = []
    for m in _CARET.finditer(text):
        a, b = m.group(1), m.group(2) or ""
        if len(a) + len(b) < 3:
            continue
        if a.upper() in VOCABULARY and (not b or b.upper() in VOCABULARY):
            continue
        hits.append(Hit("NAME", m.start(), m.end(), 0.9 if b else 0.8, "caret_name"))
    for m in _LAST_FIRST.finditer(text):
        a, b = m.group(1), m.group(2)
        if not (_name_case(a) and _name_case(b)) or len(a) + len(b) < 5:
            continue
        if a.upper() in VOCABULARY or b.upper() in VOCABULARY:
            continue
        if month_number(a) is not None or month_number(b) is not None:
            continue
        if b.upper().replace(".", "") in _DEGREES:
            continue  # "Smith, MD": the provider rule has it
        score = 0.8 if is_given_name(b) else 0.65
        hits.append(Hit("NAME", m.start(), m.end(), score, "last_comma_first"))
    for m in _LAST_COLON_FIRST.finditer(text):
        a, b = m.group(1), m.group(2)
        if not (_name_case(a) and _name_case(b)) or len(a) < 2 or len(b) < 3:
            continue
        if a.upper() in VOCABULARY or b.upper() in VOCABULARY or month_number(a) is not None:
            continue
        if is_given_name(b):  # "BERNARD: SOPHIE", not "Mode: Color"
            hits.append(Hit("NAME", m.start(), m.end(), 0.75, "last_colon_given"))
    return hits


_LAST_COLON_FIRST = re.compile(
    r"(?<![A-Za-z0-9])([A-Z][A-Za-z'\-]+)\s?[:;]\s?([A-Z][A-Za-z'\-]+)(?![A-Za-z0-9])"
)
"""``LAST: FIRST`` / ``LAST; FIRST``: banners that separate the parts of a name with a colon (or
OCR that reads a comma as one); kept only when the second word is a known given name."""

_GIVEN_NAME_LOCALES = (
    "en_US", "en_GB", "en_IE", "en_IN", "fr_FR", "fr_CA", "de_DE", "de_AT", "nl_NL", "it_IT",
    "es_ES", "es_MX", "pt_BR", "pt_PT", "sv_SE", "no_NO", "da_DK", "fi_FI", "pl_PL", "cs_CZ",
    "hu_HU", "ro_RO", "tr_TR", "id_ID",
)
"""Faker locales (a declared dependency) whose given-name lists form the gazetteer."""


@lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    """Upper-case ASCII-folded given names from Faker's person providers (loaded once)."""
    import importlib

    out: set[str] = set()
    for loc in _GIVEN_NAME_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        except (ImportError, AttributeError):
            continue
        for attr in ("first_names", "first_names_male", "first_names_female"):
            names = provider.__dict__.get(attr, ())
            if isinstance(names, (tuple, list, set, frozenset, dict)):
                out.update(_fold(str(n)) for n in names)
    return frozenset(n for n in out if len(n) >= 3) - VOCABULARY


def _fold(word: str) -> str:
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().upper()


def is_given_name(word: str) -> bool:
    """Whether ``word`` is a given name in the gazetteer (case and accents ignored)."""
    return _fold(word) in given_names()


_DEGREES = frozenset(("MD", "DO", "PHD", "RN", "RT", "JR", "SR", "II", "III", "IV", "MBBS", "FRCR",
                      "FRCPC", "RDMS", "RVT", "RDCS", "DDS", "DMD", "MS", "MSC", "BSC", "NP", "PA"))


def _name_case(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    if len(letters) < 2:
        return False
    return word.isupper() or (word[0].isupper() and "".join(letters[1:]).islower())


def find_ages(text: str) -> list[Hit]:
    t = digitize(text)
    hits: list[Hit] = []
    whole = t.strip()
    for m in _AGE_AS.finditer(t):
        hits.append(Hit("AGE", m.start(), m.end(), 0.8, "age_dicom",
                        age=(int(m.group(1)), m.group(2).upper())))
    for m in _AGE_WORD.finditer(t):
        v = int(m.group(1))
        if v <= 125 and not number_context(t, m.start(), m.start()):
            hits.append(Hit("AGE", m.start(), m.end(), 0.75, "age_years", age=(v, "Y")))
    for rx, num_g, unit_g in ((_SEX_AGE, 2, 3), (_AGE_SEX, 1, 2)):
        for m in rx.finditer(t):
            sex = m.group(1) if rx is _SEX_AGE else m.group(3)
            if sex not in "MF":  # upper case only: 'm' is metres
                continue
            v = int(m.group(num_g))
            if v > (125 if m.group(unit_g) else 105):
                continue
            if m.group(unit_g):
                hits.append(Hit("AGE", m.start(), m.end(), 0.85, "age_sex", age=(v, "Y")))
            elif m.group(0).strip() == whole or re.search(
                r"(?:age|sex|gender)\s*(?:/\s*(?:sex|age|gender))?\s*[:=]?\s*$", t[: m.start()],
                re.IGNORECASE,
            ):
                hits.append(Hit("AGE", m.start(), m.end(), 0.6, "age_sex_bare", age=(v, "Y")))
    return _dedupe(hits)


def find_identifiers(text: str) -> list[Hit]:
    t = digitize(text)
    hits: list[Hit] = []
    for m in _LONG_ID.finditer(t):
        tok = m.group(1)
        prefix = re.match(r"[A-Za-z]*", tok).group(0)  # type: ignore[union-attr]
        digits = sum(c.isdigit() for c in tok)
        if len(prefix) >= 2 and prefix.upper() in (TECHNIQUE | SEQUENCE | SCALE):
            continue
        if prefix:
            if digits < 5:
                continue
        elif digits < 6:
            continue
        if "-" in tok.strip("-") and digits < 7:
            continue
        if number_context(t, m.start(), m.end()):
            continue
        score = 0.75 if digits >= 8 else 0.7
        hits.append(Hit("ID", m.start(), m.end(), score, "long_id"))
    for m in _PHONE.finditer(t):
        hits.append(Hit("CONTACT", m.start(), m.end(), 0.8, "phone"))
    for m in _EMAIL.finditer(text):
        hits.append(Hit("CONTACT", m.start(), m.end(), 0.9, "email"))
    for m in _STREET.finditer(text):
        words = m.group("words").split()
        if any(w.upper().strip(".") in VOCABULARY or len(w.strip(".")) < 3 for w in words):
            continue
        hits.append(Hit("CONTACT", m.start(), m.end(), 0.75, "street_address"))
    return hits


def find_institutions(text: str) -> list[Hit]:
    if _MANUFACTURER_RE.search(text):
        return []
    m = _INSTITUTION.search(text)
    if not m:
        return []
    s, e = len(text) - len(text.lstrip()), len(text.rstrip())
    return [Hit("INSTITUTION", s, e, 0.75, "institution_word")]


def find_hits(text: str) -> list[Hit]:
    """Every generic PHI pattern in one line of overlay text."""
    hits = find_dates(text) + find_labelled(text) + find_names(text) + find_ages(text)
    found = find_identifiers(text)
    taken = [h for h in hits + found
             if h.category in ("DATE", "CONTACT") or h.rule in ("label_id", "label_accession")]
    for h in found:
        if h.category == "ID" and _overlaps(taken, h.start, h.end):
            continue  # an 8-digit date is a date, a phone number a phone number, not an ID
        hits.append(h)
    hits += find_institutions(text)
    return hits


def looks_like_technique(text: str) -> bool:
    """Whether a line is made only of overlay vocabulary, numbers, units and punctuation."""
    words = re.findall(r"[A-Za-z]+", text)
    return all(w.upper() in VOCABULARY or w.lower() in _UNIT_WORDS for w in words)


_UNIT_WORDS = frozenset(u for u in UNITS.split("|") if u.isalpha())
