"""A source whose distribution is known by construction, for the dashboard's exact figures.

Every document is in a session of its own, minutes apart, so no pressure is inherited and no
service coordinates: each lands in the aggregated cell its own fields name. Exported with k = 5,
the cells of fewer than five decisions are masked.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from bson import ObjectId, json_util

# (UTC day, pressure level) → ContextPressureMonitor analyses
PRESSURE = {
    ("2025-10-20", "NORMAL"): 6,
    ("2025-10-20", "ELEVATED"): 5,
    ("2025-10-21", "HIGH"): 10,
    ("2025-10-23", "CRITICAL"): 5,
    ("2025-10-23", "DANGEROUS"): 3,  # masked
}
# (UTC day, boundary key, section, allowed) → BoundaryEnforcer decisions
BOUNDARY = {
    ("2025-10-20", "VALUES", "12.1", False): 7,
    ("2025-10-20", "WISDOM", "12.3", False): 2,  # masked
    ("2025-10-21", None, None, True): 5,
    ("2025-10-23", "AGENCY", "12.6", False): 6,
}
LEVEL_SCORES = {"NORMAL": 0.1, "ELEVATED": 0.4, "HIGH": 0.6, "CRITICAL": 0.75, "DANGEROUS": 0.9}
DECISIONS = sum(PRESSURE.values()) + sum(BOUNDARY.values())
MASKED_CELLS = 2
MASKED_DECISIONS = 3 + 2


def _doc(index: int, day: str, **fields: Any) -> dict[str, Any]:
    when = dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC) + dt.timedelta(minutes=5 * index)
    return {
        "_id": ObjectId(f"{0x68F00000:08x}{index:016x}"),
        "sessionId": f"known-{index}",
        "allowed": True,
        "rulesChecked": [],
        "violations": [],
        "metadata": {},
        "timestamp": when,
        **fields,
    }


def documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for (day, level), n in PRESSURE.items():
        for _ in range(n):
            docs.append(
                _doc(
                    len(docs),
                    day,
                    action="context_pressure_analysis",
                    service="ContextPressureMonitor",
                    metadata={"overall_pressure": LEVEL_SCORES[level], "pressure_level": level},
                )
            )
    for (day, key, section, allowed), n in BOUNDARY.items():
        for _ in range(n):
            docs.append(
                _doc(
                    len(docs),
                    day,
                    action="boundary_enforcement",
                    service="BoundaryEnforcer",
                    allowed=allowed,
                    boundary=key,
                    tractatus_section=section,
                    metadata={"enforcement_decision": "ALLOWED" if allowed else "BLOCKED"},
                )
            )
    return docs


def write_known_source(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "auditLogs.json"
    path.write_text("\n".join(json_util.dumps(doc) for doc in documents()) + "\n", encoding="utf-8")
    return path
