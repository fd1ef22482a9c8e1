"""Turn a model's answer into ``has_phi`` and entities — or an error, never a guessed negative.

Accepted answers, in this order:

1. **JSON** (the default prompt's form), bare or in a code fence:
   ``{"text": [...], "phi": [{"text": "...", "category": "NAME"}], "has_phi": true}``.
   ``phi`` may also be called ``entities``; items may be strings; ``has_phi`` may be missing
   (then: any entity means PHI). Entities always win over a contradicting ``"has_phi": false``.
2. **Free text** (Pixels' form): exactly "No PHI" (or "none", "no PHI found", ...) is a negative;
   otherwise a pipe-separated list (or one entity per line) of short items, each optionally
   prefixed by a category (``NAME: JOHN DOE``). A single entity stays one entity.

Everything else raises an :class:`~.errors.AnswerError`: a refusal (the API's refusal signal or
refusal text), an answer cut at ``max_tokens``, an empty answer, broken JSON, JSON without
``has_phi``/``phi``, or prose. Error messages never quote the answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from phibench.categories import PHI_CATEGORIES
from phibench.records import Entity
from phibench_plugins.detectors.vlm.errors import (
    AnswerEmpty,
    AnswerRefused,
    AnswerTruncated,
    AnswerUnparsable,
)

FINISHED = "stop"
"""Finish reasons are normalised by the protocol modules to: ``stop``, ``length`` (cut at max
tokens), ``refusal``, ``content_filter``, or ``other:<the API's reason>``."""

_SYNONYMS = {
    "NAME": ["name", "names", "patient name", "patient", "person", "full name", "person name"],
    "DATE": ["date", "dates", "dob", "date of birth", "birth date", "birthdate", "study date",
             "datetime", "date time", "acquisition date", "exam date"],
    "ID": ["id", "ids", "mrn", "medical record number", "patient id", "identifier", "ssn",
           "social security number", "account number", "health plan beneficiary number",
           "certificate license number", "license number", "device identifier", "serial number",
           "vehicle identifier", "biometric identifier", "unique identifier", "record number"],
    "ACCESSION": ["accession", "accession number", "acc", "order number"],
    "INSTITUTION": ["institution", "hospital", "facility", "organization", "organisation",
                    "department", "site", "clinic", "institution name"],
    "PROVIDER": ["provider", "physician", "doctor", "referring physician", "operator",
                 "technologist", "radiologist", "performing physician", "staff"],
    "AGE": ["age", "patient age", "age sex", "age and sex"],
    "CONTACT": ["contact", "phone", "telephone", "phone number", "fax", "fax number", "email",
                "e mail", "email address", "address", "street address", "url", "web url",
                "ip address", "geographic", "geographic data", "location", "zip", "zip code"],
    "OTHER": ["other", "others", "misc", "unknown", "phi"],
}
_CATEGORY = {syn: cat for cat, syns in _SYNONYMS.items() for syn in syns}
_CATEGORY |= {cat.lower(): cat for cat in PHI_CATEGORIES}

_NO_PHI = re.compile(
    r"\W*(no\s+phi|none|no\s+protected\s+health\s+information)"
    r"(\s+(is\s+|was\s+)?(found|detected|present|identified|visible))?"
    r"(\s+in\s+(the|this)\s+image)?\W*", re.IGNORECASE)
_REFUSAL = re.compile(
    r"\W*(i'?m\s+sorry|i\s+am\s+sorry|sorry[,.]|i\s+can(no|')?t\b|i\s+cannot|i\s+won'?t|"
    r"i'?m\s+(not\s+able|unable)|i\s+am\s+(not\s+able|unable)|as\s+an\s+ai\b|i\s+must\s+decline)",
    re.IGNORECASE)
_FENCE = re.compile(r"^```[a-zA-Z]*\s*(.*?)\s*```$", re.DOTALL)
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")
_NEGATION = re.compile(r"\b(no|not|none|nothing|without|neither)\b", re.IGNORECASE)
_PROSE = re.compile(r"\b(is|are|was|were|contains?|shows?|there|this|image|appears?|which|i)\b",
                    re.IGNORECASE)
"""Words of a sentence about the image, which no burned-in PHI item needs."""
MAX_ITEM_CHARS = 120
MAX_ITEM_WORDS = 10
MAX_ITEMS = 200


@dataclass(frozen=True)
class Parsed:
    has_phi: bool
    entities: tuple[Entity, ...]
    form: str
    """``json`` or ``text``: which form the answer had."""


def category_of(label: Any) -> str:
    """A phibench PHI category for a model's label; unknown labels become ``OTHER``."""
    key = " ".join(re.sub(r"[^a-z0-9]+", " ", str(label or "").lower()).split())
    return _CATEGORY.get(key, "OTHER")


def parse_answer(text: str | None, finish: str = FINISHED) -> Parsed:
    """The answer's verdict; raises an ``AnswerError`` when there is none to trust."""
    if finish in ("refusal", "content_filter"):
        raise AnswerRefused(f"the model declined to answer (finish reason {finish})")
    if finish == "length":
        raise AnswerTruncated("the answer was cut off at max_tokens; raise detector.max_tokens")
    if finish != FINISHED:
        raise AnswerUnparsable(f"the model stopped for an unexpected reason ({finish[:40]})")
    s = (text or "").strip()
    if not s:
        raise AnswerEmpty("the model's answer is empty")
    fenced = _FENCE.match(s)
    body = fenced.group(1).strip() if fenced else s
    if body[:1] in "{[" or fenced:
        return _from_json(_load_json(body))
    start, end = body.find("{"), body.rfind("}")
    if 0 <= start < end:  # JSON after a preamble ("Here is the JSON: {...}"), or nothing usable
        return _from_json(_load_json(body[start:end + 1]))
    if _REFUSAL.match(body):
        raise AnswerRefused("the model declined to answer (refusal text)")
    return _from_text(body)


def _load_json(body: str) -> Any:
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        start, end = body.find("{"), body.rfind("}")
        if 0 <= start < end:
            try:
                return json.loads(body[start:end + 1])
            except json.JSONDecodeError:
                pass
    raise AnswerUnparsable(
        f"the answer looks like JSON but does not parse ({len(body)} characters)")


def _flag(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise AnswerUnparsable("the JSON answer's has_phi is neither true nor false")


def _from_json(obj: Any) -> Parsed:
    if isinstance(obj, list):
        items, flag = obj, None
    elif isinstance(obj, dict):
        lowered = {str(k).lower(): v for k, v in obj.items()}
        keys = [k for k in ("phi", "phi_entities", "entities") if k in lowered]
        items = lowered[keys[0]] if keys else None
        flag = _flag(lowered.get("has_phi", lowered.get("contains_phi")))
        if items is None and flag is None:
            raise AnswerUnparsable("the JSON answer has neither has_phi nor phi")
    else:
        raise AnswerUnparsable("the JSON answer is not an object")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise AnswerUnparsable("the JSON answer's phi is not a list")
    entities = tuple(e for e in (_json_entity(i) for i in items) if e is not None)
    return Parsed(bool(entities) or flag is True, entities, "json")


def _json_entity(item: Any) -> Entity | None:
    if isinstance(item, dict):
        low = {str(k).lower(): v for k, v in item.items()}
        text = low.get("text", low.get("value", low.get("entity", "")))
        label = low.get("category", low.get("type", low.get("label")))
        text = "" if text is None else str(text).strip()
        return Entity(category_of(label), text) if text or label else None
    if isinstance(item, str) and item.strip():
        return _text_entity(item.strip())
    if item is None or item == "":
        return None
    raise AnswerUnparsable("an entity in the JSON answer is neither an object nor a string")


def _text_entity(item: str) -> Entity:
    label, sep, rest = item.partition(":")
    if sep and rest.strip() and category_of(label) != "OTHER":
        return Entity(category_of(label), rest.strip())
    return Entity("OTHER", item)


def _from_text(body: str) -> Parsed:
    if _NO_PHI.fullmatch(body):
        return Parsed(False, (), "text")
    piped = "|" in body
    parts = body.split("|") if piped else body.splitlines()
    items = [_BULLET.sub("", p).strip().strip('"').strip() for p in parts]
    items = [i for i in items if i]
    if not items or len(items) > MAX_ITEMS:
        raise AnswerUnparsable(f"the free-text answer has no usable items ({len(body)} characters)")
    for item in items:
        words = len(item.split())
        sentence = words >= 4 and _PROSE.search(item)
        negated = not piped and len(items) == 1 and words >= 3 and _NEGATION.search(item)
        if len(item) > MAX_ITEM_CHARS or words > MAX_ITEM_WORDS or sentence or negated:
            raise AnswerUnparsable(
                f"the free-text answer is prose, not 'No PHI' or a list of PHI "
                f"({len(body)} characters)")
    return Parsed(True, tuple(_text_entity(i) for i in items), "text")
