"""Normalise every source shape into one `Normalised` decision (facts §1; tables in `mapping`).

Shapes: a Mongoose `AuditLog` document (mongoexport dump or live), a legacy MemoryProxy JSONL
line (its `domain`, `boundary`, `service`… live in `metadata`, as `migrate-to-mongodb.js` reads
them), and an AuditLogger pattern entry (`audit_id`, `service`, `decision`). Only closed-vocabulary
values, numbers and rule ids come out; identifiers come out raw here and are pseudonymised next.

>>> from tractatus_datasets.records import RawRecord
>>> from tractatus_datasets.pipeline import Tally
>>> line = {"timestamp": "2025-10-10T12:39:00.000Z", "sessionId": "s-1", "action": "instruction_classification"}
>>> n = normalise(RawRecord("decisions-2025-10-10.jsonl", 1, "legacy", line, ""), Tally())
>>> (n.service.value, n.decision.value, n.outcome.value, n.source_id)
('InstructionPersistenceClassifier', 'allow', 'allowed', 'legacy:decisions-2025-10-10.jsonl:1')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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
from tractatus_audit_corpus.readings import (
    boundary_of,
    domain_of,
    member,
    pressure_of,
    rule_ids,
    service_of,
    verdict_of,
    violations_of,
)
from tractatus_audit_corpus.vocab import (
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
from tractatus_datasets.records import RawRecord

__all__ = ["Normalised", "detect_shape", "normalise"]


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
    action = member(Action, action_code) or Action.OTHER
    if action is Action.OTHER:
        tally.add("unknown_action")
    home = meta if legacy else doc  # where service, durationMs… live for this shape
    service = service_of(get_str(home, "service", where="metadata." if legacy else ""), action, tally)
    level, score = pressure_of(meta, tally)
    verdict, decision = verdict_of(service, meta, allowed, level, tally)
    violations = get_list(doc, "violations")
    violated, severity = violations_of(violations, service, tally)
    duration = get_number(home, "durationMs")
    if home.get("durationMs") is not None and (duration is None or duration < 0):
        tally.add("duration_not_a_duration")  # not a finite number of at least 0: left empty
        duration = None
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
        boundary=boundary_of({} if legacy else doc, meta, violations, tally),
        domain=domain_of({} if legacy else doc, meta, service),
        context_pressure=level,
        pressure_score=score,
        rules_checked=rule_ids(get_list(doc, "rulesChecked"), tally, "rule_reference_dropped"),
        violated_rules=violated,
        severity=severity,
        duration_ms=duration,
        source_format=shape,
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
    service = service_of(get_str(doc, "service"), Action.OTHER, tally)
    action = mapping.SERVICE_ACTION.get(service, Action.OTHER)
    tally.add("action_from_service")
    rule = rule_ids(
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
    )


def normalise(record: RawRecord, tally: Tally, dropped: Tally | None = None) -> Normalised | Rejected:
    """The record as one `Normalised` decision, or a `Rejected` saying which field is wrong and why.

    `tally` counts normalisation events (a derived service, a fallback verdict…); `dropped`
    counts, by reason, the source values that do not reach the release.
    """
    dropped = Tally() if dropped is None else dropped
    if record.doc is None:
        reason = record.reason or "unparseable"
        return Rejected(record.origin, record.line, reason, record.error or "unreadable record")
    try:
        shape = detect_shape(record)
        if shape is SourceFormat.AUDIT_LOGGER_PATTERN:
            return _pattern_entry(record, tally, dropped)
        return _decision_object(record, shape, tally, dropped)
    except BadField as bad:
        return Rejected(record.origin, record.line, bad.reason, bad.detail, bad.field or None)
