"""Frozen records stored as JSON objects, with the codec beside them.

The scorecard's records (:mod:`phibench.records.scorecard`) subclass :class:`JsonRecord`: each
field is one key of the stored object, in field order, and :meth:`JsonRecord.from_dict` /
:meth:`JsonRecord.to_dict` convert with the codecs the field declares (:func:`key`), as
``ResultRow``'s columns do for Parquet. The round trip is exact, so a record can stand for the
file it was read from:

* a key an older schema version did not have is read as the field's default and remembered in
  :attr:`JsonRecord.absent_keys`, so :meth:`JsonRecord.to_dict` leaves it out again;
* a key this version does not know (a newer minor version's) is kept in
  :attr:`JsonRecord.extra_keys` and written back after the known ones;
* values are kept as stored (an ``int`` stays an ``int``, a float is not rounded), and ``None``
  is never passed to a codec.

Code written for the plain dicts (``sc["metrics"]["recall"]["value"]``) keeps working:
``record["key"]`` and ``record.get("key")`` read a field by its stored name.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, TypeVar

R = TypeVar("R", bound="JsonRecord")


def key(
    *,
    decode: Callable[[Any], Any] | None = None,
    encode: Callable[[Any], Any] | None = None,
    **kw: Any,
) -> Any:
    """A :class:`JsonRecord` field stored under its own name. ``decode`` turns the stored value
    into the field's, ``encode`` turns it back; other keywords go to :func:`dataclasses.field`
    (``default``, ``default_factory``)."""
    return field(metadata={"decode": decode, "encode": encode}, **kw)


def record(cls: type[JsonRecord], **kw: Any) -> Any:
    """A field holding one ``cls`` record (``None`` stays ``None``)."""
    return key(decode=cls.from_dict, encode=cls.to_dict, **kw)


def records(cls: type[JsonRecord], **kw: Any) -> Any:
    """A field holding a mapping of names to ``cls`` records (a ``None`` value stays ``None``)."""
    return key(
        decode=lambda m: {k: None if v is None else cls.from_dict(v) for k, v in m.items()},
        encode=lambda m: {k: None if v is None else v.to_dict() for k, v in m.items()},
        default_factory=dict,
        **kw,
    )


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{what} must be a JSON object, not {type(value).__name__}")
    return value


_BOOKKEEPING = frozenset({"extra_keys", "absent_keys"})


@dataclass(frozen=True, slots=True)
class JsonRecord:
    """Base of the records stored as JSON objects; subclasses are frozen dataclasses too."""

    extra_keys: Mapping[str, Any] = field(default_factory=dict, kw_only=True, repr=False)
    """Stored keys this version does not model (a newer schema's), in their stored order;
    :meth:`to_dict` writes them back after the known keys."""
    absent_keys: frozenset[str] = field(default=frozenset(), kw_only=True, repr=False)
    """Known keys the stored object lacked (an older schema's): read as the field's default and
    left out by :meth:`to_dict`. Empty for a record built in this version."""

    @classmethod
    def stored_fields(cls) -> tuple[Any, ...]:
        """The fields that are stored keys, in key order."""
        return tuple(f for f in fields(cls) if f.name not in _BOOKKEEPING)

    @classmethod
    def from_dict(cls: type[R], data: Mapping[str, Any]) -> R:
        """The record of a stored object; a :class:`TypeError` when ``data`` (or a nested record's
        value) is not an object. Missing keys take the field's default."""
        data = _mapping(data, cls.__name__)
        kw: dict[str, Any] = {}
        absent = []
        for f in cls.stored_fields():
            if f.name not in data:
                if f.default is MISSING and f.default_factory is MISSING:
                    raise TypeError(f"{cls.__name__} needs {f.name!r}")
                absent.append(f.name)
                continue
            value, decode = data[f.name], f.metadata.get("decode")
            kw[f.name] = decode(value) if decode is not None and value is not None else value
        known = _names(cls)
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(**kw, extra_keys=extra, absent_keys=frozenset(absent))

    def to_dict(self) -> dict[str, Any]:
        """The stored object: known keys in field order (less :attr:`absent_keys`), then
        :attr:`extra_keys`; ``json.dumps`` of it is the text it was read from."""
        out: dict[str, Any] = {}
        for f in self.stored_fields():
            if f.name in self.absent_keys:
                continue
            value, encode = getattr(self, f.name), f.metadata.get("encode")
            out[f.name] = encode(value) if encode is not None and value is not None else value
        out.update(self.extra_keys)
        return out

    # -- reading by stored name, for code written for the plain dicts ----------------------------

    def __getitem__(self, name: str) -> Any:
        """The value stored under ``name`` (a nested record, not its dict); :class:`KeyError`
        for a key the stored object does not have."""
        if name in self.extra_keys:
            return self.extra_keys[name]
        if name in self.absent_keys or name not in _names(type(self)):
            raise KeyError(name)
        return getattr(self, name)

    def __contains__(self, name: object) -> bool:
        try:
            self[name]  # type: ignore[index]
        except (KeyError, TypeError):
            return False
        return True

    def get(self, name: str, default: Any = None) -> Any:
        """``self[name]``, or ``default`` when the stored object has no such key."""
        try:
            return self[name]
        except KeyError:
            return default


@functools.cache
def _names(cls: type[JsonRecord]) -> frozenset[str]:
    return frozenset(f.name for f in cls.stored_fields())
