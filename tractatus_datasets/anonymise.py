"""Anonymisation helpers shared by both datasets.

Timestamps are quasi-identifiers: they are coarsened before anything is written. (Pseudonyms
live in `keys`; what each dataset keeps at all is its own allow-list.)

>>> import datetime as dt
>>> coarsen(dt.datetime(2025, 10, 25, 3, 19, 7, 261000, tzinfo=dt.UTC), Granularity.MINUTE)
datetime.datetime(2025, 10, 25, 3, 19, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

__all__ = ["Granularity", "as_utc", "coarsen"]


class Granularity(StrEnum):
    SECOND = "second"
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"


def as_utc(value: dt.datetime) -> dt.datetime:
    """A naive datetime is UTC (that is how MongoDB and ISO `Z` strings store time); an aware one
    is converted.

    >>> as_utc(dt.datetime.fromisoformat("2025-10-20T10:30:00+02:00")).isoformat()
    '2025-10-20T08:30:00+00:00'
    """
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def coarsen(value: dt.datetime, granularity: Granularity) -> dt.datetime:
    """Truncate to the granularity, in UTC."""
    value = as_utc(value).replace(microsecond=0)
    if granularity is Granularity.SECOND:
        return value
    value = value.replace(second=0)
    if granularity is Granularity.MINUTE:
        return value
    value = value.replace(minute=0)
    if granularity is Granularity.HOUR:
        return value
    return value.replace(hour=0)
