"""The shared vocabulary of text categories, so that ground truth and detectors speak alike.

PHI categories follow HIPAA's identifiers as they appear burned into images. Detectors may report
any string; scoring groups by whatever ground truth uses, and these are the names phibench's own
datasets and detectors use.
"""

from __future__ import annotations

PHI_CATEGORIES: dict[str, str] = {
    "NAME": "patient name",
    "DATE": "date tied to the patient: birth, study, acquisition",
    "ID": "medical record number, patient ID, other identifying number",
    "ACCESSION": "accession or order number",
    "INSTITUTION": "hospital, department or site name, address",
    "PROVIDER": "name of a physician, operator or other person",
    "AGE": "age (with or without sex), identifying over 89 and often reported as PHI",
    "CONTACT": "phone, e-mail, street address",
    "OTHER": "any other identifier",
}

NON_PHI_CATEGORIES: dict[str, str] = {
    "LATERALITY": "L / R / left / right markers",
    "VIEW": "projection or view (AP, PA, LAT, axial, sagittal)",
    "TECHNIQUE": "acquisition parameters (kVp, mAs, TR, TE, slice thickness, window)",
    "SEQUENCE": "series, image or slice numbers",
    "SCALE": "scale bars, rulers, units",
    "DEVICE": "device, manufacturer or software text",
    "OTHER_TEXT": "any other harmless text",
}
