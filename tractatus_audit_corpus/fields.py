"""Typed reads of source fields. A wrong type is a `BadField`, which the normaliser turns into a
quarantined record naming the field; it is never guessed at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from bson import ObjectId

from tractatus_datasets.anonymise import as_utc

__all__ = [
    "EARLIEST_TIME",
    "BadField",
    "get_bool",
    "get_id",
    "get_list",
    "get_mapping",
    "get_number",
    "get_str",
    "get_time",
]


class BadField(Exception):
    """A field is missing, has the wrong type, or an impossible value."""

    def __init__(self, reason: str, field: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.field, self.detail = reason, field, detail


# No decision of the framework predates 2020. An earlier time is a reading of something that is not a
# date: bson reads {"$date": true} as 1970-01-01T00:00:00.001, and an epoch of 0 as 1970 too.
EARLIEST_TIME = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def _plausible(time: dt.datetime, key: str) -> dt.datetime:
    if time < EARLIEST_TIME:
        raise BadField(
            "implausible_time",
            key,
            f"{time.isoformat()} is before 2020: not the time of a framework decision",
        )
    return time


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _typed(doc: Mapping[str, Any], key: str, kind: type, expected: str, *, required: bool, where: str) -> Any:
    """The value at `key` if it has type `kind`; None when absent (or `missing_field` if required)."""
    name = where + key
    value = doc.get(key)
    if value is None:
        if required:
            raise BadField("missing_field", name, f"required field {name} is missing")
        return None
    if not isinstance(value, kind):
        raise BadField("wrong_type", name, f"expected {expected}, found {_type_name(value)}")
    return value


def get_str(doc: Mapping[str, Any], key: str, *, required: bool = False, where: str = "") -> str | None:
    value: str | None = _typed(doc, key, str, "a string", required=required, where=where)
    if required and value is not None and not value.strip():
        raise BadField("missing_field", where + key, f"required field {where + key} is empty")
    return value


def get_bool(doc: Mapping[str, Any], key: str, *, required: bool = False) -> bool | None:
    value: bool | None = _typed(doc, key, bool, "true or false", required=required, where="")
    return value


def get_number(doc: Mapping[str, Any], key: str) -> float | None:
    """A finite number, or None when absent; booleans are not numbers here."""
    value = doc.get(key)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value != value
        or abs(value) == float("inf")
    ):
        return None
    return float(value)


def get_mapping(doc: Mapping[str, Any], key: str, *, where: str = "") -> dict[str, Any]:
    value: dict[str, Any] | None = _typed(doc, key, dict, "an object", required=False, where=where)
    return {} if value is None else value


def get_list(doc: Mapping[str, Any], key: str) -> list[Any]:
    value: list[Any] | None = _typed(doc, key, list, "an array", required=False, where="")
    return [] if value is None else value


def get_id(doc: Mapping[str, Any], key: str) -> str | None:
    """An ObjectId, string or integer id as text; None when absent."""
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise BadField("wrong_type", key, f"expected an ObjectId or string id, found {_type_name(value)}")


def get_time(doc: Mapping[str, Any], *keys: str) -> dt.datetime:
    """The first present time among `keys`: a BSON date, or an ISO-8601 string (`Z` allowed), not
    before `EARLIEST_TIME`."""
    for key in keys:
        value = doc.get(key)
        if value is None:
            continue
        if isinstance(value, dt.datetime):
            return _plausible(as_utc(value), key)
        if isinstance(value, str):
            try:
                time = as_utc(dt.datetime.fromisoformat(value))
            except ValueError:
                raise BadField("invalid_value", key, "not an ISO-8601 timestamp") from None
            return _plausible(time, key)
        raise BadField("wrong_type", key, f"expected a date, found {_type_name(value)}")
    raise BadField("missing_field", keys[0], f"no {' or '.join(keys)}: the decision cannot be placed in time")
