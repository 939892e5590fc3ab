"""Which evolution-log incident an audit decision belongs to: one rule, used by both datasets.

The audit export fills `incidents.incident_id` with it; the evolution export applies it to an audit
release to count the decisions linked to each incident. Both sides therefore agree by construction.

A decision links to an incident when its (coarsened) time falls inside the incident's window and it
violated at least one of the rules the incident names. When several incidents match, the one with
the narrowest window wins, then the one sharing more rules, then the smaller id.

>>> import datetime as dt
>>> day = IncidentWindow("blocked-term", dt.datetime(2025, 10, 24, 11, tzinfo=dt.UTC),
...                      dt.datetime(2025, 10, 25, 11, tzinfo=dt.UTC), frozenset({"inst_018"}))
>>> link_incident([day], dt.datetime(2025, 10, 25, 3, 0, tzinfo=dt.UTC), ["inst_017", "inst_018"])
'blocked-term'
>>> link_incident([day], dt.datetime(2025, 10, 25, 3, 0, tzinfo=dt.UTC), ["inst_016"]) is None
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["IncidentWindow", "link_incident"]


@dataclass(frozen=True)
class IncidentWindow:
    """An incident as the link rule sees it: an id, a half-open time window and its rule ids."""

    incident_id: str
    start: dt.datetime  # inclusive, timezone-aware
    end: dt.datetime  # exclusive
    rules: frozenset[str]


def link_incident(
    windows: Sequence[IncidentWindow], when: dt.datetime, violated: Iterable[str]
) -> str | None:
    """The id of the incident this decision belongs to, or None."""
    violated = set(violated)
    matches = [w for w in windows if w.start <= when < w.end and w.rules & violated]
    if not matches:
        return None
    best = min(matches, key=lambda w: (w.end - w.start, -len(w.rules & violated), w.incident_id))
    return best.incident_id
