"""The normaliser's rules, one at a time, on minimal records."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from bson import ObjectId

from tractatus_audit_corpus.normalise import Normalised, normalise
from tractatus_datasets.pipeline import Rejected, Tally
from tractatus_datasets.records import RawRecord

WHEN = dt.datetime(2025, 10, 25, 1, 2, 3, tzinfo=dt.UTC)


def auditlog(**fields: Any) -> dict[str, Any]:
    return {
        "_id": ObjectId("68fc27a50000000000000001"),
        "sessionId": "s",
        "action": "boundary_enforcement",
        "allowed": True,
        "timestamp": WHEN,
    } | fields


def run(doc: dict[str, Any], kind: str = "mongoexport") -> tuple[Normalised, Tally, Tally]:
    events, dropped = Tally(), Tally()
    result = normalise(RawRecord("dump.json", 7, kind, doc, "{}"), events, dropped)  # type: ignore[arg-type]
    assert isinstance(result, Normalised), result
    return result, events, dropped


def rejected(
    doc: dict[str, Any] | None, kind: str = "mongoexport", error: str | None = None, reason: str | None = None
) -> Rejected:
    record = RawRecord("dump.json", 7, kind, doc, "{}", error, reason)  # type: ignore[arg-type]
    result = normalise(record, Tally())
    assert isinstance(result, Rejected), result
    return result


@pytest.mark.parametrize(
    ("action", "service"),
    [
        ("boundary_enforcement", "BoundaryEnforcer"),
        ("context_pressure_analysis", "ContextPressureMonitor"),
        ("cross_reference_validation", "CrossReferenceValidator"),
        ("instruction_classification", "InstructionPersistenceClassifier"),
        ("metacognitive_verification", "MetacognitiveVerifier"),
        ("content_validation", "BlogCuration"),
    ],
)
def test_default_service_is_replaced_by_the_actions_service(action: str, service: str) -> None:
    for stored in ("BoundaryEnforcer", None):  # Mongoose's default, or no service at all
        decision, events, _ = run(auditlog(action=action, service=stored))
        assert decision.service.value == service
        assert events["service_derived_from_action"] == (service != stored)


def test_an_explicit_non_default_service_is_kept_even_if_the_action_disagrees() -> None:
    decision, events, _ = run(auditlog(action="boundary_enforcement", service="MetacognitiveVerifier"))
    assert decision.service.value == "MetacognitiveVerifier"
    assert events.as_dict() == {"verdict_from_allowed_flag": 1}


@pytest.mark.parametrize(
    ("service", "key", "verdict", "allowed", "decision", "outcome"),
    [
        ("CrossReferenceValidator", "validation_status", "WARNING", False, "warn", "human_approval_required"),
        ("CrossReferenceValidator", "validation_status", "APPROVED", True, "allow", "allowed"),
        ("CrossReferenceValidator", "validation_status", "ESCALATE", False, "ask", "human_approval_required"),
        (
            "ContextPressureMonitor",
            "action_required",
            "REQUIRE_HUMAN_INTERVENTION",
            False,
            "ask",
            "human_approval_required",
        ),
        (
            "ContextPressureMonitor",
            "action_required",
            "RECOMMEND_REFRESH",
            True,
            "warn",
            "allowed_with_warning",
        ),
        ("MetacognitiveVerifier", "decision", "BLOCK", False, "block", "blocked"),
        (
            "MetacognitiveVerifier",
            "decision",
            "REQUEST_CONFIRMATION",
            False,
            "ask",
            "human_approval_required",
        ),
        ("BlogCuration", "recommendation", "REVIEW_REQUIRED", True, "ask", "human_approval_required"),
        ("BoundaryEnforcer", "enforcement_decision", "BLOCKED", False, "block", "blocked"),
        ("BoundaryEnforcer", "enforcement_decision", "ALLOWED", False, "allow", "blocked"),  # the flag wins
    ],
)
def test_each_services_own_verdict_is_kept_and_mapped(
    service: str, key: str, verdict: str, allowed: bool, decision: str, outcome: str
) -> None:
    result, _, _ = run(auditlog(service=service, allowed=allowed, metadata={key: verdict}))
    assert (result.verdict, result.decision.value, result.outcome.value) == (verdict, decision, outcome)


def test_an_unknown_verdict_is_never_copied_and_the_allowed_flag_decides() -> None:
    result, events, _ = run(
        auditlog(
            service="MetacognitiveVerifier",
            allowed=False,
            metadata={"decision": "proceed, said jdoe@example.org"},
        )
    )
    assert (result.verdict, result.decision.value) == ("BLOCKED", "block")
    assert events["unknown_verdict"] == 1


def test_a_pressure_analysis_without_action_gets_it_from_its_level() -> None:
    result, events, _ = run(
        auditlog(
            action="context_pressure_analysis",
            metadata={"pressure_level_numeric": 3, "overall_pressure": 0.74},
        )
    )
    assert (result.context_pressure.value, result.pressure_score) == ("CRITICAL", 0.74)
    assert (result.verdict, result.decision.value) == ("RECOMMEND_REFRESH", "warn")
    assert events["verdict_from_pressure_level"] == 1


def test_a_pressure_score_outside_zero_to_one_is_left_empty_and_counted() -> None:
    result, events, _ = run(
        auditlog(
            action="context_pressure_analysis", metadata={"pressure_level": "HIGH", "overall_pressure": 7}
        )
    )
    assert (result.context_pressure.value, result.pressure_score) == ("HIGH", None)
    assert events["pressure_score_out_of_range"] == 1


@pytest.mark.parametrize(
    ("number", "level"),
    [(0, "NORMAL"), (4, "DANGEROUS"), (5, "UNKNOWN"), (-1, "UNKNOWN"), (True, "UNKNOWN"), (1.0, "UNKNOWN")],
)
def test_a_numeric_pressure_level_names_one_of_the_five_levels(number: Any, level: str) -> None:
    """`pressure_level_numeric` is 0–4 (NORMAL to DANGEROUS); anything else names no level."""
    result, _, _ = run(
        auditlog(action="context_pressure_analysis", metadata={"pressure_level_numeric": number})
    )
    assert result.context_pressure.value == level


@pytest.mark.parametrize(("score", "kept"), [(0, 0.0), (1, 1.0), (1.0000001, None), (-0.001, None)])
def test_a_pressure_score_from_zero_to_one_inclusive_is_kept(score: float, kept: float | None) -> None:
    result, events, _ = run(
        auditlog(
            action="context_pressure_analysis", metadata={"pressure_level": "HIGH", "overall_pressure": score}
        )
    )
    assert (result.pressure_score, events["pressure_score_out_of_range"]) == (
        kept,
        0 if kept is not None else 1,
    )


@pytest.mark.parametrize(
    ("where", "expected", "event"),
    [
        ({"boundary": "AGENCY", "tractatus_section": "12.6"}, "12.6 Agency", None),
        ({"metadata": {"boundary": "PURPOSE"}}, "12.4 Purpose", None),  # section implied by the key
        ({"metadata": {"boundary": "values", "tractatus_section": "inst_016"}}, "12.1 Values", None),
        ({"tractatus_section": "12.5"}, "12.5 Meaning", None),  # key implied by the section
        ({"metadata": {"tractatus_section": "12.5"}}, "12.5 Meaning", None),  # as BoundaryEnforcer writes it
        ({"violations": ["WISDOM"]}, "12.3 Wisdom", None),  # blocked BE rows name their boundaries
        ({"metadata": {"boundary": "none"}}, None, None),
        ({"metadata": {"boundary": "ERROR"}}, "ERROR (fail-safe)", None),
        (
            {"boundary": "INNOVATION", "tractatus_section": "12.1"},
            "12.2 Innovation",
            "boundary_section_mismatch",
        ),
        ({"boundary": "/home/jdoe/secret-plan"}, None, "unknown_boundary"),
    ],
)
def test_boundary_labels_are_composed_from_key_and_section(
    where: dict[str, Any], expected: str | None, event: str | None
) -> None:
    result, events, _ = run(auditlog(**where))
    assert result.boundary == expected
    boundary_events = {"boundary_section_mismatch", "unknown_boundary"}
    assert {name: n for name, n in events.as_dict().items() if name in boundary_events} == (
        {event: 1} if event else {}
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"domain": "OPERATIONAL"}, "OPERATIONAL"),
        ({"metadata": {"quadrant": "STO"}}, "STOCHASTIC"),
        ({"metadata": {"domain": "SYSTEM"}}, "UNKNOWN"),  # BoundaryEnforcer's decision domain, not a quadrant
        ({"metadata": {"domain": "SYSTEM"}, "service": "MetacognitiveVerifier"}, "SYSTEM"),
        ({"domain": "VALUES"}, "UNKNOWN"),
    ],
)
def test_domain_is_a_quadrant_or_unknown(fields: dict[str, Any], expected: str) -> None:
    assert run(auditlog(**fields))[0].domain.value == expected


def test_only_identifiers_reach_rule_lists_and_severity_takes_the_highest() -> None:
    result, events, _ = run(
        auditlog(
            service="CrossReferenceValidator",
            allowed=False,
            rulesChecked=["inst_016", "instruction", "STR-002", "Never deploy on Fridays", "inst_016", 5],
            violations=[
                {"ruleId": "inst_1761360000000", "severity": "LOW"},
                {"ruleId": "Use port 27027 on db.example.com", "severity": "HIGH"},
                "Always check port 27027",
                {"ruleId": "TRA-OPS-0002"},
                42,
            ],
        )
    )
    assert result.rules_checked == ["inst_016", "instruction", "STR-002"]
    assert result.violated_rules == ["inst_1761360000000", "TRA-OPS-0002"]
    assert (
        result.severity is not None and result.severity.value == "CRITICAL"
    )  # CRV text = a CRITICAL conflict
    assert events.as_dict() == {
        "rule_reference_dropped": 2,
        "verdict_from_allowed_flag": 1,
        "violation_not_understood": 1,
        "violation_text_dropped": 2,
    }


def test_legacy_lines_read_service_domain_and_duration_from_metadata() -> None:
    line = {
        "timestamp": "2025-10-10T01:00:00.250Z",
        "sessionId": "s",
        "action": "test_enforcement",
        "metadata": {
            "service": "ContextPressureMonitor",
            "domain": "TACTICAL",
            "durationMs": 4.5,
            "pressure_level": "ELEVATED",
        },
    }
    result, _, _ = run(line, kind="legacy")
    assert (result.service.value, result.domain.value, result.duration_ms) == (
        "ContextPressureMonitor",
        "TACTICAL",
        4.5,
    )
    assert (result.outcome.value, result.source_id) == ("allowed_with_warning", "legacy:dump.json:7")
    assert result.time == dt.datetime(2025, 10, 10, 1, 0, 0, 250000, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "origin",
    [
        "decisions-2025-10-10.jsonl",
        "decisions-2025-10-10.jsonl.gz",
        "archive/2025/decisions-2025-10-10.jsonl.gz",
    ],
)
def test_a_legacy_line_keeps_its_identity_when_its_file_is_compressed_or_moved(origin: str) -> None:
    """A legacy line has no id of its own: its file's name and its line make one. Gzipping the file
    or moving it to another folder between releases must not make its decisions new ones."""
    line = {"timestamp": "2025-10-10T01:00:00.250Z", "sessionId": "s", "action": "test_enforcement"}
    result = normalise(RawRecord(origin, 7, "legacy", line, "{}"), Tally())
    assert isinstance(result, Normalised), result
    assert result.source_id == "legacy:decisions-2025-10-10.jsonl:7"


def test_naive_datetimes_are_utc_and_created_at_stands_in_for_a_missing_timestamp() -> None:
    doc = auditlog(createdAt=dt.datetime(2025, 10, 20, 8, 30))
    del doc["timestamp"]
    assert run(doc)[0].time == dt.datetime(2025, 10, 20, 8, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "when",
    [
        "2025-10-20T10:30:00+02:00",
        "2025-10-20T03:30:00-05:00",
        dt.datetime(2025, 10, 20, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    ],
    ids=["string-east-of-utc", "string-west-of-utc", "date-east-of-utc"],
)
def test_a_time_with_an_offset_is_converted_to_utc_not_relabelled(when: str | dt.datetime) -> None:
    assert run(auditlog(timestamp=when))[0].time == dt.datetime(2025, 10, 20, 8, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("when", "kept"),
    [
        (dt.datetime(1970, 1, 1, 0, 0, 0, 1000), False),  # what bson makes of {"$date": true}
        (dt.datetime(2019, 12, 31, 23, 59, 59, 999000), False),
        ("2020-01-01T00:59:59+01:00", False),  # 2019-12-31T23:59:59 in UTC
        ("2020-01-01T00:00:00Z", True),
        (dt.datetime(2020, 1, 1), True),
    ],
)
def test_a_decision_time_before_2020_is_implausible(when: str | dt.datetime, kept: bool) -> None:
    for doc in (
        auditlog(timestamp=when),
        {"audit_id": "a", "decision": "ALLOW", "service": "BoundaryEnforcer", "timestamp": when},
    ):
        if kept:
            assert run(doc)[0].time == dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        else:
            result = rejected(doc)
            assert (result.reason, result.field) == ("implausible_time", "timestamp")
            assert result.detail.endswith("is before 2020: not the time of a framework decision")


def test_personal_and_unknown_values_are_counted_by_reason_not_by_name() -> None:
    _, _, dropped = run(
        auditlog(
            userId=ObjectId(),
            ipAddress="198.51.100.4",
            userAgent="curl/8",
            __v=0,
            shoe_size=44,
            metadata={"jdoe@example.org": 1, "actionType": "rm -rf /", "trend": "stable"},
        )
    )
    assert dropped.as_dict() == {
        "bookkeeping": 1,
        "free_text": 1,
        "not_in_schema": 1,
        "personal": 3,
        "unknown_field": 1,
        "unknown_metadata_key": 1,
    }


def test_dropped_values_count_each_leaf_and_a_verdict_key_is_read_only_for_its_own_service() -> None:
    metadata = {
        "quadrant": None,  # nothing there: nothing dropped, and the keys after it still counted
        "enforcement_decision": "ALLOWED",  # BoundaryEnforcer's verdict key; nobody else's
        "": "an empty key",
        "metrics": {"a": 1, "b": [2, 3, []]},  # four values: 1, 2, 3 and the empty list
        "boundary": {"nested": 1},  # a read key, but it holds an object
    }
    violations = [{"ruleId": "inst_016", "severity": "HIGH", "_id": "v1", "details": "text", "empty": ""}]
    enforcer = auditlog(metadata=metadata, violations=violations)
    classifier = auditlog(action="instruction_classification", metadata=metadata, violations=violations)
    assert run(enforcer)[2].as_dict() == {
        "bookkeeping": 1,
        "free_text": 1,
        "not_in_schema": 4,
        "unknown_metadata_key": 2,
    }
    assert run(classifier)[2].as_dict() == {
        "bookkeeping": 1,
        "free_text": 1,
        "not_in_schema": 5,
        "unknown_metadata_key": 2,
    }


@pytest.mark.parametrize(
    ("doc", "reason", "field"),
    [
        ({"sessionId": "s", "action": "x", "allowed": True, "timestamp": WHEN}, "missing_field", "_id"),
        (auditlog(sessionId=""), "missing_field", "sessionId"),
        (auditlog(action=["a"]), "wrong_type", "action"),
        (auditlog(allowed="false"), "wrong_type", "allowed"),
        (auditlog(metadata="free text"), "wrong_type", "metadata"),
        (auditlog(violations={"a": 1}), "wrong_type", "violations"),
        (auditlog(timestamp=1761354123), "wrong_type", "timestamp"),
        (auditlog(timestamp=None), "missing_field", "timestamp"),
        (
            {"audit_id": "audit_1", "decision": "ALLOW", "service": "BoundaryEnforcer"},
            "missing_field",
            "timestamp",
        ),
        ({"_id": ObjectId(), "decision": "block", "timestamp": WHEN}, "invalid_value", "decision"),
    ],
)
def test_bad_records_name_their_field_and_reason(doc: dict[str, Any], reason: str, field: str) -> None:
    result = rejected(doc)
    assert (result.origin, result.line, result.reason, result.field) == ("dump.json", 7, reason, field)


def test_unreadable_lines_keep_the_readers_reason() -> None:
    assert rejected(None, error="not valid UTF-8 at byte 3", reason="not_utf8").reason == "not_utf8"
    assert rejected(None, error="nested more than 100 levels deep", reason="too_deep").reason == "too_deep"
    assert rejected(None, error="invalid JSON: Expecting value at column 1").reason == "unparseable"
