"""Normalise every source shape into one `Normalised` decision (facts §1; tables in `mapping`).

Shapes: a Mongoose `AuditLog` document (mongoexport dump or live), a legacy MemoryProxy JSONL
line (its `domain`, `boundary`, `service`… live in `metadata`, as `migrate-to-mongodb.js` reads
them), and an AuditLogger pattern entry (`audit_id`, `service`, `decision`). Only closed-vocabulary
values, numbers and rule ids come out; identifiers come out raw here and are pseudonymised next.

>>> from tractatus_datasets.sources import RawRecord
>>> from tractatus_datasets.pipeline import Tally
>>> line = {"timestamp": "2025-10-10T12:39:00.000Z", "sessionId": "s-1", "action": "instruction_classification"}
>>> n = normalise(RawRecord("decisions-2025-10-10.jsonl", 1, "legacy", line, ""), Tally())
>>> (n.service.value, n.decision.value, n.outcome.value, n.source_id)
('InstructionPersistenceClassifier', 'allow', 'allowed', 'legacy:decisions-2025-10-10.jsonl:1')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from tractatus_audit_corpus import mapping
from tractatus_audit_corpus.fields import (
    BadField,
    get_bool,
    get_id,
    get_list,
    get_mapping,
    get_number,
    get_str,
    get_time,
)
from tractatus_audit_corpus.privacy import account_dropped
from tractatus_audit_corpus.vocab import (
    BOUNDARIES,
    RULE_ID,
    Action,
    Decision,
    Domain,
    Outcome,
    PressureLevel,
    Service,
    Severity,
    SourceFormat,
)
from tractatus_datasets.pipeline import Rejected, Tally
from tractatus_datasets.sources import RawRecord

__all__ = ["Normalised", "detect_shape", "normalise"]

_SECTION_KEYS = {section: key for key, (section, _) in BOUNDARIES.items() if section}
_LEVELS_BY_NUMBER = list(PressureLevel)[:5]
_SEVERITY_ORDER = list(Severity)
E = TypeVar("E", bound=StrEnum)


def _member(enum: type[E], value: object) -> E | None:
    """The enum member spelled exactly `value`, or None."""
    return enum._value2member_map_.get(value) if isinstance(value, str) else None  # type: ignore[return-value]


@dataclass
class Normalised:
    """One decision in the corpus vocabulary, before pseudonymisation and coarsening."""

    source_id: str
    session_id: str | None
    time: dt.datetime
    service: Service
    action: Action
    decision: Decision
    verdict: str
    outcome: Outcome
    boundary: str | None
    domain: Domain
    context_pressure: PressureLevel
    pressure_score: float | None
    rules_checked: list[str]
    violated_rules: list[str]
    severity: Severity | None
    duration_ms: float | None
    source_format: SourceFormat
    origin: str


def detect_shape(record: RawRecord) -> SourceFormat:
    doc = record.doc or {}
    if record.kind == "legacy":
        return SourceFormat.LEGACY_JSONL
    if "audit_id" in doc or ("decision" in doc and "allowed" not in doc and "sessionId" not in doc):
        return SourceFormat.AUDIT_LOGGER_PATTERN
    if "sessionId" in doc or "action" in doc:
        return SourceFormat.MONGODB_AUDITLOG
    raise BadField(
        "unrecognised_shape",
        "",
        "neither an AuditLog document (sessionId, action, allowed) nor an AuditLogger entry (audit_id, service, decision)",
    )


def _rule_ids(values: list[Any], tally: Tally, counter: str) -> list[str]:
    kept: list[str] = []
    for value in values:
        if isinstance(value, str) and RULE_ID.match(value):
            if value not in kept:
                kept.append(value)
        else:
            tally.add(counter)
    return kept


def _service(raw: str | None, action: Action, tally: Tally) -> Service:
    by_action = mapping.ACTION_SERVICE.get(action)
    if raw is None or raw == mapping.DEFAULT_SERVICE:
        if by_action is not None:
            if by_action != raw:
                tally.add("service_derived_from_action")
            return by_action
        if raw is None:
            tally.add("service_defaulted")  # no service, unknown action: Mongoose's default applies
        return mapping.DEFAULT_SERVICE
    known = _member(Service, raw)
    if known is not None:
        return known
    tally.add("unknown_service")
    return Service.OTHER


def _pressure(meta: dict[str, Any], tally: Tally) -> tuple[PressureLevel, float | None]:
    name, number = meta.get("pressure_level"), meta.get("pressure_level_numeric")
    level = _member(PressureLevel, name) or PressureLevel.UNKNOWN
    if (
        level is PressureLevel.UNKNOWN
        and isinstance(number, int)
        and not isinstance(number, bool)
        and 0 <= number < len(_LEVELS_BY_NUMBER)
    ):
        level = _LEVELS_BY_NUMBER[number]
    score = get_number(meta, "overall_pressure")
    if score is not None and not 0 <= score <= 1:
        tally.add("pressure_score_out_of_range")
        score = None
    return level, score


def _verdict(
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


def _boundary(doc: dict[str, Any], meta: dict[str, Any], violations: list[Any], tally: Tally) -> str | None:
    key = doc.get("boundary") or meta.get("boundary")
    section = doc.get("tractatus_section") or meta.get("tractatus_section")
    if not isinstance(key, str) or key.lower() == "none":
        key = _SECTION_KEYS.get(section) if isinstance(section, str) else None
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


def _domain(doc: dict[str, Any], meta: dict[str, Any], service: Service) -> Domain:
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


def _violations(values: list[Any], service: Service, tally: Tally) -> tuple[list[str], Severity | None]:
    ids: list[object] = []
    severities: list[Severity] = []
    candidate: object
    for item in values:
        if isinstance(item, str):
            candidate, severity = item, mapping.STRING_VIOLATION_SEVERITY.get(service, Severity.MEDIUM)
        elif isinstance(item, dict):
            candidate, raw = item.get("ruleId"), item.get("severity")
            severity = _member(Severity, raw) or Severity.MEDIUM  # AuditLog's schema default
        else:
            tally.add("violation_not_understood")
            continue
        severities.append(severity)
        ids.append(candidate)
    kept = _rule_ids(ids, tally, "violation_text_dropped")
    return kept, max(severities, key=_SEVERITY_ORDER.index) if severities else None


def _decision_object(record: RawRecord, shape: SourceFormat, tally: Tally, dropped: Tally) -> Normalised:
    """AuditLog documents and legacy lines: both carry MemoryProxy's decision object."""
    doc = record.doc or {}
    legacy = shape is SourceFormat.LEGACY_JSONL
    session_id = get_str(doc, "sessionId", required=True)
    action_code = get_str(doc, "action", required=True)
    allowed = get_bool(doc, "allowed", required=not legacy)
    meta = get_mapping(doc, "metadata")
    if legacy:
        source_id = "legacy:" + record.origin.rsplit("/", 1)[-1].removesuffix(".gz") + f":{record.line}"
    else:
        source_id = get_id(doc, "_id") or ""
        if not source_id:
            raise BadField("missing_field", "_id", "an AuditLog document without _id has no stable identity")
    action = _member(Action, action_code) or Action.OTHER
    if action is Action.OTHER:
        tally.add("unknown_action")
    home = meta if legacy else doc  # where service, durationMs… live for this shape
    service = _service(get_str(home, "service", where="metadata." if legacy else ""), action, tally)
    level, score = _pressure(meta, tally)
    verdict, decision = _verdict(service, meta, allowed, level, tally)
    violations = get_list(doc, "violations")
    violated, severity = _violations(violations, service, tally)
    duration = get_number(home, "durationMs")
    account_dropped(doc, shape, service, dropped)
    return Normalised(
        source_id=source_id,
        session_id=session_id,
        time=get_time(doc, "timestamp", "createdAt"),
        service=service,
        action=action,
        decision=decision,
        verdict=verdict,
        outcome=mapping.outcome_of(decision, True if legacy and allowed is None else allowed),
        boundary=_boundary({} if legacy else doc, meta, violations, tally),
        domain=_domain({} if legacy else doc, meta, service),
        context_pressure=level,
        pressure_score=score,
        rules_checked=_rule_ids(get_list(doc, "rulesChecked"), tally, "rule_reference_dropped"),
        violated_rules=violated,
        severity=severity,
        duration_ms=duration if duration is not None and duration >= 0 else None,
        source_format=shape,
        origin=f"{record.origin}:{record.line}",
    )


def _pattern_entry(record: RawRecord, tally: Tally, dropped: Tally) -> Normalised:
    """An AuditLogger pattern entry: service and ALLOW/WARN/BLOCK, no session, no action."""
    doc = record.doc or {}
    source_id = get_id(doc, "_id") or get_id(doc, "audit_id")
    if source_id is None:
        raise BadField(
            "missing_field", "audit_id", "an AuditLogger entry without audit_id has no stable identity"
        )
    verdict = get_str(doc, "decision", required=True) or ""
    if verdict not in mapping.PATTERN_VERDICTS:
        raise BadField("invalid_value", "decision", f"expected one of {', '.join(mapping.PATTERN_VERDICTS)}")
    decision = mapping.PATTERN_VERDICTS[verdict]
    service = _service(get_str(doc, "service"), Action.OTHER, tally)
    action = mapping.SERVICE_ACTION.get(service, Action.OTHER)
    tally.add("action_from_service")
    rule = _rule_ids(
        [doc["rule_id"]] if doc.get("rule_id") is not None else [], tally, "rule_reference_dropped"
    )
    account_dropped(doc, SourceFormat.AUDIT_LOGGER_PATTERN, service, dropped)
    return Normalised(
        source_id=source_id,
        session_id=None,
        time=get_time(doc, "timestamp"),
        service=service,
        action=action,
        decision=decision,
        verdict=verdict,
        outcome=mapping.outcome_of(decision, None),
        boundary=None,
        domain=Domain.UNKNOWN,
        context_pressure=PressureLevel.UNKNOWN,
        pressure_score=None,
        rules_checked=rule,
        violated_rules=rule if decision is not Decision.ALLOW else [],
        severity=None,
        duration_ms=None,
        source_format=SourceFormat.AUDIT_LOGGER_PATTERN,
        origin=f"{record.origin}:{record.line}",
    )


def normalise(record: RawRecord, tally: Tally, dropped: Tally | None = None) -> Normalised | Rejected:
    """The record as one `Normalised` decision, or a `Rejected` saying which field is wrong and why.

    `tally` counts normalisation events (a derived service, a fallback verdict…); `dropped`
    counts, by reason, the source values that do not reach the release.
    """
    dropped = Tally() if dropped is None else dropped
    if record.doc is None:
        reason = "not_utf8" if (record.error or "").startswith("not valid UTF-8") else "unparseable"
        return Rejected(record.origin, record.line, reason, record.error or "unreadable record")
    try:
        shape = detect_shape(record)
        if shape is SourceFormat.AUDIT_LOGGER_PATTERN:
            return _pattern_entry(record, tally, dropped)
        return _decision_object(record, shape, tally, dropped)
    except BadField as bad:
        return Rejected(record.origin, record.line, bad.reason, bad.detail, bad.field or None)
