"""Harmless overlay vocabulary: the words, units and labels that technique text is made of.

The word sets are upper case, written from how modality overlays commonly look (CT, MR, US,
CR/DX, MG, XA). Recognizers use them as guards: a name-like value made of these words is
technique, anatomy, view or vendor text, and a number after one of :data:`NUMBER_LABELS` or before
one of :data:`UNITS` is a technique value or a counter, not an identifier.
"""

from __future__ import annotations

import re

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
UNIT_AFTER = re.compile(rf"\s?(?:{UNITS})(?![A-Za-z])", re.IGNORECASE)
"""A unit right after a number (``250 mAs``, ``10 cm``, ``512x512``)."""

_UNIT_WORDS = frozenset(u for u in UNITS.split("|") if u.isalpha())


def number_context(text: str, start: int, end: int) -> bool:
    """Whether the number at ``text[start:end]`` is a technique value or counter by context.

    True when a unit follows it (``250 mAs``, ``10 cm``, ``512x512``) or a technique / counter
    label precedes it (``W 400``, ``Se: 4``, ``DLP``).
    """
    if UNIT_AFTER.match(text, end):
        return True
    before = text[:start].rstrip(" :=#/")
    m = re.search(r"([A-Za-z]+)\.?$", before)
    if m and m.group(1).upper() in NUMBER_LABELS:
        return True
    return False


def looks_like_technique(text: str) -> bool:
    """Whether a line is made only of overlay vocabulary, numbers, units and punctuation."""
    words = re.findall(r"[A-Za-z]+", text)
    return all(w.upper() in VOCABULARY or w.lower() in _UNIT_WORDS for w in words)
