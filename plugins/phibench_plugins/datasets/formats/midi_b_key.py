"""Reading the MIDI-B answer key (SQLite ``answer_data``) for its pixel actions, and its UID map.

The layout is the validation script's (github.com/CBIIT/MIDI_validation_script): values are
wrapped in angle brackets (``<pixels_hidden>``, ``<Instance>``) and stripped with
``strip('<>')`` as the script does; ``AnswerData`` is a JSON object of actions (the script reads
it with ``pandas.DataFrame.from_dict(..., 'index')``), a list being accepted too. Errors name the
database and the row (``rowid``); no UID or text is quoted.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from phibench.exceptions import DatasetError
from phibench.records import TextRegion

TABLE = "answer_data"
HIDDEN, RETAINED = "pixels_hidden", "pixels_retained"
SCOPES = {"instance": 0, "series": 1, "study": 2, "patient": 2}
"""A row's ``scope`` and which of (instance, series, study) UID it is matched on; the script
matches ``<Study>`` and ``<Patient>`` rows by study."""
UID_COLUMNS = ("SOPInstanceUID", "SeriesInstanceUID", "StudyInstanceUID")


@dataclass
class Answer:
    """The pixel actions for one UID: boxes of PHI to hide, or pixels to keep."""

    regions: list[TextRegion] = field(default_factory=list)
    hidden: bool = False
    retained: bool = False
    rows: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Found:
    """What the key says of one file's pixels."""

    has_phi: bool
    regions: tuple[TextRegion, ...]
    rows: str
    """The answer_data rowids it comes from, for messages."""


@dataclass
class AnswerKey:
    path: Path
    by_scope: tuple[dict[str, Answer], dict[str, Answer], dict[str, Answer]] = field(
        default_factory=lambda: ({}, {}, {})
    )

    @property
    def pixel_instances(self) -> set[str]:
        """Instances the key has a pixel action for."""
        return set(self.by_scope[0])

    def lookup(self, sop: str, series: str, study: str) -> Found | None:
        """The pixel answer for a file with these UIDs; None when the key has none."""
        answers = [a for scope, uid in enumerate((sop, series, study)) if uid
                   for a in [self.by_scope[scope].get(uid)] if a is not None]
        if not answers:
            return None
        hidden = any(a.hidden for a in answers)
        regions = tuple(r for a in answers for r in a.regions)
        rows = ", ".join(str(r) for r in sorted({r for a in answers for r in a.rows}))
        return Found(hidden, regions, rows)


def read_answer_key(db: Path) -> AnswerKey:
    key = AnswerKey(db)
    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise DatasetError(f"cannot open answer key {db}: {exc}") from None
    try:
        columns = _columns(conn, db)
        wanted = ["rowid", "SOPInstanceUID", "AnswerData"] + [
            c for c in ("scope", "SeriesInstanceUID", "StudyInstanceUID") if c in columns
        ]
        cursor = conn.execute(f"SELECT {', '.join(wanted)} FROM {TABLE}")  # noqa: S608 - fixed names
        for values in cursor:
            _add_row(key, dict(zip(wanted, values)))
    except sqlite3.Error as exc:
        raise DatasetError(f"cannot read answer key {db}: {exc} (is it the MIDI-B answer "
                           f"key's SQLite database?)") from None
    finally:
        conn.close()
    return key


def _columns(conn: sqlite3.Connection, db: Path) -> set[str]:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if TABLE not in tables:
        raise DatasetError(f"answer key {db} has no table {TABLE} (it has: "
                           f"{', '.join(sorted(tables)) or 'none'}); is it the MIDI-B answer key?")
    columns = {r[1] for r in conn.execute(f"PRAGMA table_info({TABLE})")}
    needed = {"SOPInstanceUID", "AnswerData"} - columns
    if needed:
        raise DatasetError(f"answer key {db} table {TABLE} lacks column(s) "
                           f"{', '.join(sorted(needed))}")
    return columns


def _add_row(key: AnswerKey, row: Mapping[str, Any]) -> None:
    where = f"answer key {key.path} table {TABLE} rowid {row['rowid']}"
    text = row["AnswerData"]
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str) or "pixels_" not in text:  # no pixel action: nothing to read
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise DatasetError(f"{where}: AnswerData is not JSON") from None
    actions = data.values() if isinstance(data, dict) else data if isinstance(data, list) else None
    if actions is None:
        raise DatasetError(f"{where}: AnswerData must be a JSON object of actions")
    scope_text = str(row.get("scope") or "Instance").strip("<>").lower()
    if scope_text not in SCOPES:
        raise DatasetError(f"{where}: scope must be Instance, Series, Study or Patient")
    scope = SCOPES[scope_text]
    uid = str(row.get(UID_COLUMNS[scope]) or "").strip("<>")
    if not uid:
        raise DatasetError(f"{where}: {UID_COLUMNS[scope]} is empty")
    _add_actions(key, scope, uid, actions, where, int(row["rowid"]))


def _add_actions(key: AnswerKey, scope: int, uid: str, actions: Iterable[Any], where: str,
                 rowid: int) -> None:
    for number, action in enumerate(actions, start=1):
        if not isinstance(action, dict):
            continue
        name = str(action.get("action") or "").strip("<>")
        if name not in (HIDDEN, RETAINED):
            continue
        answer = key.by_scope[scope].setdefault(uid, Answer())
        if rowid not in answer.rows:
            answer.rows.append(rowid)
        if name == RETAINED:
            answer.retained = True
        else:
            answer.hidden = True
            answer.regions.append(_region(action.get("action_text"), f"{where} action {number}"))


def _region(action_text: object, where: str) -> TextRegion:
    """The box of a pixels_hidden action: ``<{"text", "top_left": [x, y], "bottom_right": [x, y]}>``."""
    try:
        spec = json.loads(str(action_text or "").strip("<>"))
    except json.JSONDecodeError:
        raise DatasetError(f"{where}: pixels_hidden action_text is not JSON") from None
    if not isinstance(spec, dict):
        raise DatasetError(f"{where}: pixels_hidden action_text must be a JSON object")
    try:
        (x0, y0), (x1, y1) = (_point(spec.get(k)) for k in ("top_left", "bottom_right"))
        text = spec.get("text") or ""
        if not isinstance(text, str):
            raise ValueError("text must be a string")
        return TextRegion.from_dict({"box": [x0, y0, x1 - x0, y1 - y0], "is_phi": True,
                                     "text": text.replace("\n", " "), "category": ""})
    except ValueError as exc:
        raise DatasetError(f"{where}: pixels_hidden box: {exc} (top_left must be above and left "
                           f"of bottom_right)") from None


def _point(value: object) -> tuple[int, int]:
    """An ``[x, y]`` corner; numbers or numeric strings, truncated as the script's ``int()``."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError("top_left and bottom_right must each be [x, y]")
    out = []
    for v in value:
        if isinstance(v, bool):
            raise ValueError("a corner coordinate must be a number")
        try:
            out.append(int(float(v)) if isinstance(v, str) else int(v))  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            raise ValueError("a corner coordinate must be a number") from None
    return out[0], out[1]


def read_uid_mapping(path: Path) -> dict[str, str]:
    """``{new UID: key's UID}`` from the script's mapping CSV (columns ``id_old,id_new``)."""
    mapping: dict[str, str] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or not {"id_old", "id_new"} <= set(reader.fieldnames):
                raise DatasetError(f"uid mapping {path} needs columns id_old,id_new")
            for row in reader:
                old, new = (row.get("id_old") or "").strip(), (row.get("id_new") or "").strip()
                if not old or not new:
                    raise DatasetError(f"uid mapping {path} line {reader.line_num}: id_old and "
                                       f"id_new must both be given")
                mapping.setdefault(new, old)  # the script keeps the first of duplicates
    except csv.Error as exc:
        raise DatasetError(f"uid mapping {path}: {exc}") from None
    except UnicodeDecodeError:
        raise DatasetError(f"uid mapping {path} is not UTF-8 text") from None
    return mapping
