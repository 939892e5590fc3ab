"""How each part of a decision is read: the tables of `mapping` applied to one record's fields.

Each function takes the raw values, returns corpus values, and counts what it had to decide.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, TypeVar

from tractatus_audit_corpus import mapping
from tractatus_audit_corpus.fields import get_number
from tractatus_audit_corpus.vocab import (
    BOUNDARIES,
    RULE_ID,
    Action,
    Decision,
    Domain,
    PressureLevel,
    Service,
    Severity,
)
from tractatus_datasets.pipeline import Tally

__all__ = [
    "LEVELS_BY_NUMBER",
    "SECTION_KEYS",
    "SEVERITY_ORDER",
    "boundary_of",
    "domain_of",
    "member",
    "pressure_of",
    "rule_ids",
    "service_of",
    "split_rule_ids",
    "verdict_of",
    "violations_of",
]

SECTION_KEYS = {section: key for key, (section, _) in BOUNDARIES.items() if section}
LEVELS_BY_NUMBER = list(PressureLevel)[:5]  # `pressure_level_numeric` 0–4
SEVERITY_ORDER = list(Severity)  # lowest first
E = TypeVar("E", bound=StrEnum)


def member(enum: type[E], value: object) -> E | None:
    """The enum member spelled exactly `value`, or None."""
    return enum._value2member_map_.get(value) if isinstance(value, str) else None  # type: ignore[return-value]


def split_rule_ids(values: Iterable[Any]) -> tuple[list[str], int]:
    """The rule ids among `values`, each once, in order; and how many values were not rule ids."""
    kept: list[str] = []
    dropped = 0
    for value in values:
        if isinstance(value, str) and RULE_ID.match(value):
            if value not in kept:
                kept.append(value)
        else:
            dropped += 1
    return kept, dropped


# A service checks the same few lists of rules again and again: each list's reading is kept.
# Equal keys read alike: values that are not strings (1, 1.0, True) are all dropped.
_read_list = functools.lru_cache(maxsize=4096)(split_rule_ids)


def rule_ids(values: list[Any], tally: Tally, counter: str) -> list[str]:
    """The rule ids among `values`, each once, in order; every other value is counted as `counter`."""
    if not values:
        return []
    try:
        kept, dropped = _read_list(tuple(values))
    except TypeError:  # an object or a list among the values: nothing to key on
        kept, dropped = split_rule_ids(values)
    tally.add(counter, dropped)
    return list(kept)  # the kept reading is shared: the row gets its own list


def service_of(raw: str | None, action: Action, tally: Tally) -> Service:
    by_action = mapping.ACTION_SERVICE.get(action)
    if raw is None or raw == mapping.DEFAULT_SERVICE:
        if by_action is not None:
            if by_action != raw:
                tally.add("service_derived_from_action")
            return by_action
        if raw is None:
            tally.add("service_defaulted")  # no service, unknown action: Mongoose's default applies
        return mapping.DEFAULT_SERVICE
    known = member(Service, raw)
    if known is not None:
        return known
    tally.add("unknown_service")
    return Service.OTHER


def pressure_of(meta: dict[str, Any], tally: Tally) -> tuple[PressureLevel, float | None]:
    name, number = meta.get("pressure_level"), meta.get("pressure_level_numeric")
    level = member(PressureLevel, name) or PressureLevel.UNKNOWN
    if (
        level is PressureLevel.UNKNOWN
        and isinstance(number, int)
        and not isinstance(number, bool)
        and 0 <= number < len(LEVELS_BY_NUMBER)
    ):
        level = LEVELS_BY_NUMBER[number]
    score = get_number(meta, "overall_pressure")
    if score is not None and not 0 <= score <= 1:
        tally.add("pressure_score_out_of_range")
        score = None
    return level, score


def verdict_of(
    service: Service, meta: dict[str, Any], allowed: bool | None, level: PressureLevel, tally: Tally
) -> tuple[str, Decision]:
    if service in mapping.VERDICTS:
        key, table = mapping.VERDICTS[service]
        verdict = meta.get(key)
        if verdict is None and service is Service.CONTEXT_PRESSURE_MONITOR and level in mapping.LEVEL_ACTION:
            verdict = mapping.LEVEL_ACTION[level]
            tally.add("verdict_from_pressure_level")
        if isinstance(verdict, str) and verdict in table:
            return verdict, table[verdict]
        if verdict is not None:
            tally.add("unknown_verdict")  # its text is not copied: it is outside the vocabulary
    tally.add("verdict_from_allowed_flag")
    return mapping.FALLBACK_VERDICTS[allowed is not False]


def boundary_of(doc: dict[str, Any], meta: dict[str, Any], violations: list[Any], tally: Tally) -> str | None:
    key = doc.get("boundary") or meta.get("boundary")
    section = doc.get("tractatus_section") or meta.get("tractatus_section")
    if not isinstance(key, str) or key.lower() == "none":
        key = SECTION_KEYS.get(section) if isinstance(section, str) else None
        key = key or next((v for v in violations if isinstance(v, str) and v in BOUNDARIES), None)
    if key is None:
        return None
    key = key.upper()
    if key not in BOUNDARIES:
        tally.add("unknown_boundary")
        return None
    canonical = BOUNDARIES[key][0]
    if isinstance(section, str) and section.startswith("12.") and section != canonical:
        tally.add("boundary_section_mismatch")  # the key wins: it is what the enforcer decided on
    return BOUNDARIES[key][1]


def domain_of(doc: dict[str, Any], meta: dict[str, Any], service: Service) -> Domain:
    """The quadrant. BoundaryEnforcer's `metadata.domain` is its decision domain, not a quadrant."""
    candidates = [doc.get("domain"), meta.get("quadrant")]
    if service is not Service.BOUNDARY_ENFORCER:
        candidates.append(meta.get("domain"))
    for candidate in candidates:
        if isinstance(candidate, str):
            domain = mapping.DOMAIN_ALIASES.get(candidate.upper())
            if domain is not None and domain is not Domain.UNKNOWN:
                return domain
    return Domain.UNKNOWN


def violations_of(values: list[Any], service: Service, tally: Tally) -> tuple[list[str], Severity | None]:
    ids: list[object] = []
    severities: list[Severity] = []
    candidate: object
    for item in values:
        if isinstance(item, str):
            candidate, severity = item, mapping.STRING_VIOLATION_SEVERITY.get(service, Severity.MEDIUM)
        elif isinstance(item, dict):
            candidate, raw = item.get("ruleId"), item.get("severity")
            severity = member(Severity, raw) or Severity.MEDIUM  # AuditLog's schema default
        else:
            tally.add("violation_not_understood")
            continue
        severities.append(severity)
        ids.append(candidate)
    kept = rule_ids(ids, tally, "violation_text_dropped")
    return kept, max(severities, key=SEVERITY_ORDER.index) if severities else None
