"""Turn a model's answer into ``has_phi`` and entities — or an error, never a guessed negative.

Accepted answers, in this order:

1. **JSON** (the default prompt's form), bare or in a code fence:
   ``{"text": [...], "phi": [{"text": "...", "category": "NAME"}], "has_phi": true}``.
   ``phi`` may also be called ``entities``, ``phi_entities`` or ``regions`` (all lists given are
   read); items may be strings; an item with ``"is_phi": false`` is not PHI; ``has_phi`` may be
   missing (then: any entity means PHI). Entities always win over a contradicting
   ``"has_phi": false``. Booleans (``has_phi``, ``contains_phi``, ``is_phi``) are read strictly:
   ``true``/``false``, ``"true"``/``"false"`` in any case, ``1``/``0``; anything else (``"yes"``,
   ``"no"``, ``null``, ``2``) makes the answer unparsable: a guessed value would be a verdict
   nobody gave (``bool("false")`` is true).
2. **Free text** (Pixels' form): exactly "No PHI" (or "none", "no PHI found", ...) is a negative;
   otherwise a pipe-separated list (or one entity per line) of short items, each optionally
   prefixed by a category (``NAME: JOHN DOE``). A single entity stays one entity.

Everything else raises an :class:`~.errors.AnswerError`: a refusal (the API's refusal signal, or
refusal text *anywhere* outside the entities: before or after the JSON, or in a JSON field such as
``"note"`` or ``"refusal"``, whatever verdict the JSON gives), an answer cut at ``max_tokens``, an
empty answer, broken JSON, JSON without ``has_phi``/``phi``, JSON that contradicts itself (a key
given twice with different values, ``has_phi`` and ``contains_phi`` disagreeing, an ``"error"``
field), a free-text list that also says "No PHI", or prose. Fail closed: what cannot be trusted
is an error row, never a negative. Error messages never quote the answer.
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
    r"(?<![\w'])(i'?m\s+sorry|i\s+am\s+sorry|sorry[,.!]|i\s+can(no|')?t\b|i\s+cannot|i\s+won'?t\b|"
    r"i'?m\s+(not\s+able|unable|afraid|not\s+comfortable)|"
    r"i\s+am\s+(not\s+able|unable|afraid|not\s+comfortable)|as\s+an\s+ai\b|i\s+must\s+decline|"
    r"i\s+apologi[sz]e|unfortunately,?\s+i\b|i\s+(do\s+not|don'?t)\s+feel\s+comfortable)",
    re.IGNORECASE)
"""A refusal phrase, searched anywhere in the prose of an answer (apostrophes normalised)."""
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_FENCE = re.compile(r"^```[a-zA-Z]*\s*(.*?)\s*```$", re.DOTALL)
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")
_NEGATION = re.compile(r"\b(no|not|none|nothing|without|neither)\b", re.IGNORECASE)
_PROSE = re.compile(r"\b(is|are|was|were|contains?|shows?|there|this|image|appears?|which|i)\b",
                    re.IGNORECASE)
"""Words of a sentence about the image, which no burned-in PHI item needs."""
MAX_ITEM_CHARS = 120
MAX_ITEM_WORDS = 10
MAX_ITEMS = 200
ENTITY_KEYS = ("phi", "phi_entities", "entities", "regions")
"""Keys of a JSON answer that list PHI items (every one given is read)."""
FLAG_KEYS = ("has_phi", "contains_phi")
TEXT_KEYS = ("text",)
"""Keys whose strings are what the model read in the image: never searched for refusals."""


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
    start, end = body.find("{"), body.rfind("}")
    if body[:1] in "{[" or fenced or 0 <= start < end:
        obj, prose = _load_json(body)
        if _refuses(prose):  # "I'm sorry, I can't help. {"has_phi": false}" is no verdict
            raise AnswerRefused("the model declined to answer (refusal text around the JSON)")
        return _from_json(obj)
    if _refuses(body):
        raise AnswerRefused("the model declined to answer (refusal text)")
    return _from_text(body)


def _refuses(text: str) -> bool:
    return bool(text) and _REFUSAL.search(text.translate(_APOSTROPHES)) is not None


def _load_json(body: str) -> tuple[Any, str]:
    """The JSON value in ``body`` and the prose around it (empty when ``body`` is all JSON)."""
    try:
        return json.loads(body, object_pairs_hook=_object), ""
    except json.JSONDecodeError:
        pass
    start, end = body.find("{"), body.rfind("}")
    if 0 <= start < end:
        try:
            obj = json.loads(body[start:end + 1], object_pairs_hook=_object)
        except json.JSONDecodeError:
            pass
        else:
            return obj, f"{body[:start]} {body[end + 1:]}"
    if _refuses(body[:start] if start >= 0 else body):
        raise AnswerRefused("the model declined to answer (refusal text)")
    raise AnswerUnparsable(
        f"the answer looks like JSON but does not parse ({len(body)} characters)")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object with lower-cased keys; a key given twice with different values (``json``
    keeps the last one silently) makes the answer contradict itself."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        k = str(key).lower()
        if k in out and out[k] != value:
            raise AnswerUnparsable("the JSON answer gives one key twice with different values")
        out[k] = value
    return out


def _flag(value: Any, name: str) -> bool:
    """A strict boolean: true/false, "true"/"false" (any case), 1/0."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise AnswerUnparsable(f"the JSON answer's {name} is not a boolean (true/false or 1/0)")


def _from_json(obj: Any) -> Parsed:
    if isinstance(obj, list):
        items, flag = obj, None
    elif isinstance(obj, dict):
        lists = [obj[k] for k in ENTITY_KEYS if obj.get(k) is not None]
        if any(not isinstance(v, list) for v in lists):
            raise AnswerUnparsable("the JSON answer's phi is not a list")
        flags = {_flag(obj[k], k) for k in FLAG_KEYS if k in obj}
        if not lists and not flags:
            raise AnswerUnparsable("the JSON answer has neither has_phi nor phi")
        if len(flags) > 1:
            raise AnswerUnparsable("the JSON answer's has_phi and contains_phi disagree")
        if obj.get("error"):
            raise AnswerUnparsable("the JSON answer reports an error instead of a verdict")
        if obj.get("refusal") or _refuses(" ".join(_prose_strings(obj))):
            raise AnswerRefused("the model declined to answer (refusal in the JSON answer)")
        items, flag = [i for v in lists for i in v], (flags.pop() if flags else None)
    else:
        raise AnswerUnparsable("the JSON answer is not an object")
    entities = tuple(e for e in (_json_entity(i) for i in items) if e is not None)
    return Parsed(bool(entities) or flag is True, entities, "json")


def _prose_strings(value: Any, key: str = "") -> list[str]:
    """The strings of a JSON answer outside its entity lists and its text read (notes, reasons,
    explanations): where a model writes a refusal next to a verdict."""
    if key in ENTITY_KEYS or key in TEXT_KEYS:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _prose_strings(v, k)]
    if isinstance(value, list):
        return [s for v in value for s in _prose_strings(v)]
    return []


def _json_entity(item: Any) -> Entity | None:
    if isinstance(item, dict):
        low = {str(k).lower(): v for k, v in item.items()}
        if "is_phi" in low and not _flag(low["is_phi"], "is_phi"):
            return None  # the model read it and says it is not PHI
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
    if any(_NO_PHI.fullmatch(i) for i in items):  # "No PHI | DOE^JOHN": which is it?
        raise AnswerUnparsable("the free-text answer says 'No PHI' and lists items")
    for item in items:
        words = len(item.split())
        sentence = words >= 4 and _PROSE.search(item)
        negated = not piped and len(items) == 1 and words >= 3 and _NEGATION.search(item)
        if len(item) > MAX_ITEM_CHARS or words > MAX_ITEM_WORDS or sentence or negated:
            raise AnswerUnparsable(
                f"the free-text answer is prose, not 'No PHI' or a list of PHI "
                f"({len(body)} characters)")
    return Parsed(True, tuple(_text_entity(i) for i in items), "text")
