"""Hand-written source records of every shape, and the exact `full` row each must become.

Each expected row was worked out by hand from facts §1–§2 and the mapping tables; the test compares
whole rows, so any change in normalisation shows up here as a named field of a named record.
Personal values (paths, IPs, user agents, user ids) are deliberately present in the sources.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from bson import ObjectId, json_util
from bson.json_util import CANONICAL_JSON_OPTIONS, RELAXED_JSON_OPTIONS

UTC = dt.UTC
LIVE = "2025-10-25-001"
USER = ObjectId("68fc0a0b0c0d0e0f10111213")
PERSONAL = {"userId": USER, "ipAddress": "203.0.113.7", "userAgent": "claude-cli/2.0.27 (external, cli)"}


def t(*parts: int) -> dt.datetime:
    hour, minute, second, ms = (*parts[3:], 0, 0, 0, 0)[:4]
    return dt.datetime(*parts[:3], hour, minute, second, ms * 1000, tzinfo=UTC)


def auditlog(oid: str, when: dt.datetime, **fields: Any) -> dict[str, Any]:
    doc = {
        "_id": ObjectId(oid),
        "sessionId": None,
        "action": None,
        "allowed": True,
        "rulesChecked": [],
        "violations": [],
        "metadata": {},
        "domain": "UNKNOWN",
        "boundary": None,
        "tractatus_section": None,
        "durationMs": None,
        "service": "BoundaryEnforcer",
        "userId": None,
        "ipAddress": None,
        "userAgent": None,
        "timestamp": when,
    }
    doc |= fields
    created = fields.get("createdAt", when)
    return doc | {"createdAt": created, "updatedAt": created, "__v": 0}


def subdoc(rule: str, severity: str, text: str | None = "Synthetic rule text") -> dict[str, Any]:
    out: dict[str, Any] = {"ruleId": rule, "severity": severity, "details": "seen in review"}
    if text is not None:
        out["rulText"] = text
    return out | {"_id": ObjectId("68fc0a0b0c0d0e0f1011ffff")}


THREE = ["inst_016", "inst_017", "inst_018"]

DUMP: dict[str, dict[str, Any]] = {
    # v3 era (77ada42): Mongoose's default service, no violations, service defaults as sessions.
    "A_v3_boundary_allowed": auditlog(
        "68ef1f810000000000000a01",
        t(2025, 10, 15, 4, 12, 33, 120),
        sessionId="boundary-enforcer-session",
        action="boundary_enforcement",
        rulesChecked=THREE,
        metadata={
            "boundary": "none",
            "domain": "SYSTEM",
            "requirementType": "NONE",
            "actionType": "Edit /home/jdoe/projects/tractatus/public/js/navbar.js",
            "enforcement_decision": "ALLOWED",
        },
    ),
    "B_v3_pressure_default_service": auditlog(
        "68ef1f810000000000000a02",
        t(2025, 10, 15, 4, 12, 33, 180),
        sessionId="pressure-monitor",
        action="context_pressure_analysis",
        rulesChecked=["inst_001", "inst_002"],
        metadata={
            "overall_pressure": 0.42,
            "pressure_level": "ELEVATED",
            "pressure_level_numeric": 1,
            "action_required": "INCREASE_VERIFICATION",
            "verification_multiplier": 1.3,
            "metrics": {"token_usage": 0.6},
            "top_metric": "tokenUsage",
            "warnings_count": 0,
        },
    ),
    "C_v3_validator_warning": auditlog(
        "68ef1f810000000000000a03",
        t(2025, 10, 16, 23, 59, 59, 999),
        sessionId="validator-service",
        action="cross_reference_validation",
        allowed=False,
        rulesChecked=["instruction"],
        metadata={
            "action_description": "Connect to db.example.com:27017 for tractatus_dev",
            "validation_status": "WARNING",
            "conflicts_found": 1,
            "validation_action": "NOTIFY_USER",
            "conflict_details": [
                {
                    "parameter": "port",
                    "severity": "WARNING",
                    "action_value": "27017",
                    "instruction_value": "27027",
                }
            ],
        },
    ),
    # After the audit-logging fix: explicit service, subdocument violations, personal fields.
    "D_blocked_innovation": auditlog(
        "68fc27a50000000000000a04",
        t(2025, 10, 25, 1, 30, 5, 100),
        sessionId=LIVE,
        action="boundary_enforcement",
        allowed=False,
        rulesChecked=THREE,
        service="BoundaryEnforcer",
        boundary="INNOVATION",
        tractatus_section="12.2",
        violations=[subdoc("INNOVATION", "HIGH", "A novel design needs a human")],
        metadata={
            "boundary": "INNOVATION",
            "domain": "INNOVATION",
            "requirementType": "MANDATORY",
            "actionType": "Write /home/jdoe/projects/tractatus/src/new-arch.js",
            "tractatus_section": "12.2",
            "enforcement_decision": "BLOCKED",
        },
        **PERSONAL,
    ),
    "E_pressure_high_string_violation": auditlog(
        "68fc27a50000000000000a05",
        t(2025, 10, 25, 1, 30, 5, 130),
        sessionId=LIVE,
        action="context_pressure_analysis",
        service="ContextPressureMonitor",
        rulesChecked=["inst_001", "inst_083"],
        violations=["Pressure is escalating rapidly"],
        metadata={
            "overall_pressure": 0.55,
            "pressure_level": "HIGH",
            "pressure_level_numeric": 2,
            "action_required": "MANDATORY_VERIFICATION",
            "trend": "escalating",
        },
    ),
    "F_validator_rejected": auditlog(
        "68fc2b290000000000000a06",
        t(2025, 10, 25, 1, 45),
        sessionId=LIVE,
        action="cross_reference_validation",
        allowed=False,
        service="CrossReferenceValidator",
        rulesChecked=["inst_001"],
        violations=["Always use port 27027 for MongoDB"],
        metadata={"validation_status": "REJECTED", "validation_action": "REQUEST_CLARIFICATION"},
        **PERSONAL,
    ),
    "G_verifier_review": auditlog(
        "68fc2b2a0000000000000a07",
        t(2025, 10, 25, 1, 45, 1),
        sessionId=LIVE,
        action="metacognitive_verification",
        allowed=False,
        service="MetacognitiveVerifier",
        rulesChecked=["inst_016"],
        violations=[subdoc("Safety", "CRITICAL")],
        metadata={
            "decision": "REQUIRE_REVIEW",
            "pressure_level": "ELEVATED",
            "confidence": 0.3,
            "action_description": "rm -rf /home/jdoe/projects/tractatus/build",
        },
    ),
    "H_classifier_strategic": auditlog(
        "68fc2c550000000000000a08",
        t(2025, 10, 25, 1, 50, 0, 1),
        sessionId="classifier-service",
        action="instruction_classification",
        service="InstructionPersistenceClassifier",
        rulesChecked=["inst_016"],
        metadata={
            "instruction_text": "Email jdoe@example.org before deploying",
            "quadrant": "STRATEGIC",
            "persistence": "HIGH",
            "parameters": {"host": "vps-1a2b3c4d.vps.ovh.net"},
        },
        **PERSONAL,
    ),
    "I_blog_reject": auditlog(
        "68fc2d810000000000000a09",
        t(2025, 10, 25, 1, 55, 30),
        sessionId="blog-curation-service",
        action="content_validation",
        allowed=False,
        service="BlogCuration",
        rulesChecked=THREE,
        violations=[subdoc("inst_017", "HIGH"), subdoc("inst_016", "MEDIUM")],
        metadata={"content_title": "A guaranteed, production-ready framework", "recommendation": "REJECT"},
    ),
    # Migrated from legacy JSONL by migrate-to-mongodb.js: rulText lost, severity defaulted, durationMs kept.
    "J_migrated_verifier": auditlog(
        "68e9bd680000000000000a0a",
        t(2025, 10, 10, 3),
        createdAt=t(2025, 10, 11, 2, 14),
        sessionId="session2-integration-test",
        action="metacognitive_verification",
        durationMs=12,
        violations=[
            subdoc("Alternatives", "MEDIUM", None),
            subdoc("Always double-check the port", "MEDIUM", None),
        ],
        metadata={"decision": "PROCEED_WITH_CAUTION", "pressure_level": "NORMAL", "durationMs": 12},
    ),
    "K_unknown_service_and_action": auditlog(
        "68fc2e310000000000000a0b",
        t(2025, 10, 25, 2),
        sessionId=LIVE,
        action="deploy_check",
        service="FooService",
        metadata={"favourite_colour": "blue", "jdoe@example.org": {"nested": 1}},
    ),
    "L_audit_logger_pattern": {
        "_id": ObjectId("68fc30890000000000000a0c"),
        "audit_id": "audit_mh4x2k1abc1234",
        "timestamp": "2025-10-25T02:10:00.000Z",
        "service": "BashCommandValidator",
        "decision": "WARN",
        "rule_id": "inst_020",
        "context": "Tool: Bash, File: /home/jdoe/projects/tractatus/deploy.sh",
        "reason": "Requested by jdoe@example.org",
        "metadata": {"user_override_requested": False},
    },
}

LEGACY: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "decisions-2025-10-09.jsonl": [
        (
            "M_legacy_content_block",
            {
                "timestamp": "2025-10-09T22:05:00.500Z",
                "sessionId": "week3-integration-test",
                "action": "boundary_enforcement",
                "rulesChecked": THREE,
                "violations": ["inst_017"],
                "allowed": False,
                "metadata": {
                    "boundary": "VALUES",
                    "domain": "VALUES",
                    "requirementType": "MANDATORY",
                    "tractatus_section": "inst_017",
                    "enforcement_decision": "BLOCKED",
                    "actionType": "Publish a post that guarantees safety",
                    "service": "BoundaryEnforcer",
                },
            },
        ),
        (
            "N_legacy_minimal",
            {
                "timestamp": "2025-10-09T22:06:00Z",
                "sessionId": "week3-integration-test",
                "action": "test_action",
                "allowed": False,
            },
        ),
    ],
    "decisions-2025-10-10.jsonl": [
        (
            "O_legacy_classifier",
            {
                "timestamp": "2025-10-10T01:00:00.000Z",
                "sessionId": "session1-integration-test",
                "action": "instruction_classification",
                "rulesChecked": ["inst_001"],
                "violations": [],
                "allowed": True,
                "metadata": {
                    "quadrant": "TACTICAL",
                    "instruction_text": "Use /home/jdoe/work for builds",
                    "service": "InstructionPersistenceClassifier",
                    "durationMs": 7,
                },
            },
        ),
    ],
}

# Lines that must be quarantined, with the reason code and field the report must give.
BAD_LINES: list[tuple[str, str, str | None]] = [
    ("this is not json", "unparseable", None),
    (
        '{"_id": {"$oid": "68fc30890000000000000b01"}, "sessionId": 42, "action": "boundary_enforcement", '
        '"allowed": true, "timestamp": {"$date": "2025-10-25T02:00:00Z"}}',
        "wrong_type",
        "sessionId",
    ),
    (
        '{"_id": {"$oid": "68fc30890000000000000b02"}, "sessionId": "x", "action": "boundary_enforcement", '
        '"timestamp": {"$date": "2025-10-25T02:00:00Z"}}',
        "missing_field",
        "allowed",
    ),
    (
        '{"audit_id": "audit_x", "timestamp": "2025-10-25T02:00:00Z", "service": "BoundaryEnforcer", "decision": "MAYBE"}',
        "invalid_value",
        "decision",
    ),
    (
        '{"_id": {"$oid": "68fc30890000000000000b03"}, "sessionId": "x", "action": "boundary_enforcement", '
        '"allowed": true, "timestamp": "yesterday"}',
        "invalid_value",
        "timestamp",
    ),
    ("[1, 2]", "not_an_object", None),
    ('{"foo": 1}', "unrecognised_shape", None),
    (  # bson reads a `$date` that is not a date as 1970-01-01T00:00:00.001
        '{"_id": {"$oid": "68fc30890000000000000b04"}, "sessionId": "x", "action": "boundary_enforcement", '
        '"allowed": true, "timestamp": {"$date": true}}',
        "implausible_time",
        "timestamp",
    ),
    (
        '{"audit_id": "audit_y", "timestamp": "2019-12-31T23:59:59Z", "service": "BoundaryEnforcer", "decision": "ALLOW"}',
        "implausible_time",
        "timestamp",
    ),
]

N = None


def row(
    service: str,
    action: str,
    decision: str,
    verdict: str,
    outcome: str,
    *,
    session: str | None,
    when: dt.datetime,
    boundary: str | None = N,
    domain: str = "UNKNOWN",
    pressure: str = "UNKNOWN",
    score: float | None = N,
    coordination: tuple[str, ...] = (),
    rules: tuple[str, ...] = (),
    violated: tuple[str, ...] = (),
    severity: str | None = N,
    duration: float | None = N,
    source: str = "mongodb_auditlog",
) -> dict[str, Any]:
    return {
        "timestamp": when,
        "session": session,
        "service": service,
        "action": action,
        "decision": decision,
        "verdict": verdict,
        "outcome": outcome,
        "boundary": boundary,
        "domain": domain,
        "context_pressure": pressure,
        "pressure_score": score,
        "coordination": list(coordination),
        "rules_checked": list(rules),
        "violated_rules": list(violated),
        "severity": severity,
        "duration_ms": duration,
        "source_format": source,
    }


BE, CPM, CRV = "BoundaryEnforcer", "ContextPressureMonitor", "CrossReferenceValidator"
IPC, MV = "InstructionPersistenceClassifier", "MetacognitiveVerifier"

# label → (source id the pseudonym is made from, expected row; `session` holds the raw session id)
EXPECTED: dict[str, tuple[str, dict[str, Any]]] = {
    "A_v3_boundary_allowed": (
        "68ef1f810000000000000a01",
        row(
            BE,
            "boundary_enforcement",
            "allow",
            "ALLOWED",
            "allowed",
            session="boundary-enforcer-session",
            when=t(2025, 10, 15, 4, 12),
            rules=tuple(THREE),
        ),
    ),
    "B_v3_pressure_default_service": (
        "68ef1f810000000000000a02",
        row(
            CPM,
            "context_pressure_analysis",
            "warn",
            "INCREASE_VERIFICATION",
            "allowed_with_warning",
            session="pressure-monitor",
            when=t(2025, 10, 15, 4, 12),
            pressure="ELEVATED",
            score=0.42,
            rules=("inst_001", "inst_002"),
        ),
    ),
    "C_v3_validator_warning": (
        "68ef1f810000000000000a03",
        row(
            CRV,
            "cross_reference_validation",
            "warn",
            "WARNING",
            "human_approval_required",
            session="validator-service",
            when=t(2025, 10, 16, 23, 59),
            rules=("instruction",),
        ),
    ),
    "D_blocked_innovation": (
        "68fc27a50000000000000a04",
        row(
            BE,
            "boundary_enforcement",
            "block",
            "BLOCKED",
            "blocked",
            session=LIVE,
            when=t(2025, 10, 25, 1, 30),
            boundary="12.2 Innovation",
            pressure="HIGH",
            score=0.55,
            coordination=(CPM,),
            rules=tuple(THREE),
            violated=("INNOVATION",),
            severity="HIGH",
        ),
    ),
    "E_pressure_high_string_violation": (
        "68fc27a50000000000000a05",
        row(
            CPM,
            "context_pressure_analysis",
            "warn",
            "MANDATORY_VERIFICATION",
            "allowed_with_warning",
            session=LIVE,
            when=t(2025, 10, 25, 1, 30),
            pressure="HIGH",
            score=0.55,
            coordination=(BE,),
            rules=("inst_001", "inst_083"),
            severity="HIGH",
        ),
    ),
    "F_validator_rejected": (
        "68fc2b290000000000000a06",
        row(
            CRV,
            "cross_reference_validation",
            "block",
            "REJECTED",
            "blocked",
            session=LIVE,
            when=t(2025, 10, 25, 1, 45),
            pressure="HIGH",
            score=0.55,
            coordination=(MV,),
            rules=("inst_001",),
            severity="CRITICAL",
        ),
    ),
    "G_verifier_review": (
        "68fc2b2a0000000000000a07",
        row(
            MV,
            "metacognitive_verification",
            "ask",
            "REQUIRE_REVIEW",
            "human_approval_required",
            session=LIVE,
            when=t(2025, 10, 25, 1, 45),
            pressure="ELEVATED",
            coordination=(CRV,),
            rules=("inst_016",),
            violated=("Safety",),
            severity="CRITICAL",
        ),
    ),
    "H_classifier_strategic": (
        "68fc2c550000000000000a08",
        row(
            IPC,
            "instruction_classification",
            "allow",
            "ALLOWED",
            "allowed",
            session="classifier-service",
            when=t(2025, 10, 25, 1, 50),
            domain="STRATEGIC",
            rules=("inst_016",),
        ),
    ),
    "I_blog_reject": (
        "68fc2d810000000000000a09",
        row(
            "BlogCuration",
            "content_validation",
            "block",
            "REJECT",
            "blocked",
            session="blog-curation-service",
            when=t(2025, 10, 25, 1, 55),
            rules=tuple(THREE),
            violated=("inst_017", "inst_016"),
            severity="HIGH",
        ),
    ),
    "J_migrated_verifier": (
        "68e9bd680000000000000a0a",
        row(
            MV,
            "metacognitive_verification",
            "warn",
            "PROCEED_WITH_CAUTION",
            "allowed_with_warning",
            session="session2-integration-test",
            when=t(2025, 10, 10, 3),
            pressure="NORMAL",
            violated=("Alternatives",),
            severity="MEDIUM",
            duration=12.0,
        ),
    ),
    "K_unknown_service_and_action": (
        "68fc2e310000000000000a0b",
        row(
            "Other",
            "other",
            "allow",
            "ALLOWED",
            "allowed",
            session=LIVE,
            when=t(2025, 10, 25, 2),
            pressure="HIGH",
            score=0.55,
        ),
    ),
    "L_audit_logger_pattern": (
        "68fc30890000000000000a0c",
        row(
            "BashCommandValidator",
            "other",
            "warn",
            "WARN",
            "allowed_with_warning",
            session=None,
            when=t(2025, 10, 25, 2, 10),
            rules=("inst_020",),
            violated=("inst_020",),
            source="audit_logger_pattern",
        ),
    ),
    "M_legacy_content_block": (
        "legacy:decisions-2025-10-09.jsonl:1",
        row(
            BE,
            "boundary_enforcement",
            "block",
            "BLOCKED",
            "blocked",
            session="week3-integration-test",
            when=t(2025, 10, 9, 22, 5),
            boundary="12.1 Values",
            rules=tuple(THREE),
            violated=("inst_017",),
            severity="MEDIUM",
            source="legacy_jsonl",
        ),
    ),
    "N_legacy_minimal": (
        "legacy:decisions-2025-10-09.jsonl:2",
        row(
            BE,
            "test_action",
            "block",
            "BLOCKED",
            "blocked",
            session="week3-integration-test",
            when=t(2025, 10, 9, 22, 6),
            source="legacy_jsonl",
        ),
    ),
    "O_legacy_classifier": (
        "legacy:decisions-2025-10-10.jsonl:1",
        row(
            IPC,
            "instruction_classification",
            "allow",
            "ALLOWED",
            "allowed",
            session="session1-integration-test",
            when=t(2025, 10, 10, 1),
            domain="TACTICAL",
            rules=("inst_001",),
            duration=7.0,
            source="legacy_jsonl",
        ),
    ),
}

RAW_IDENTIFIERS = [
    str(USER),
    PERSONAL["ipAddress"],
    PERSONAL["userAgent"],
    "jdoe@example.org",
    "/home/jdoe",
    "vps-1a2b3c4d",
    "audit_mh4x2k1abc1234",
    *(source for source, _ in EXPECTED.values() if not source.startswith("legacy:")),
    *{r["session"] for _, r in EXPECTED.values() if r["session"]},
]


def write_source(folder: Path, canonical: bool = False) -> Path:
    """The dump (good documents, bad lines and one duplicate, interleaved) and the legacy files."""
    options = CANONICAL_JSON_OPTIONS if canonical else RELAXED_JSON_OPTIONS
    docs = [json_util.dumps(doc, json_options=options) for doc in DUMP.values()]
    lines = []
    for index, doc in enumerate(docs):
        lines.append(doc)
        if index < len(BAD_LINES):
            lines.append(BAD_LINES[index][0])
    lines.append(docs[0])  # the same _id again: exported once, counted as a duplicate
    (folder / "legacy").mkdir(parents=True)
    (folder / "auditLogs.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name, entries in LEGACY.items():
        text = "\n".join(json.dumps(line) for _, line in entries) + "\n"
        (folder / "legacy" / name).write_text(text, encoding="utf-8")
    return folder
