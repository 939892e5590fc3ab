"""The sample's eras, each as the documents or lines that era left behind (see `sample`)."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from bson import ObjectId

from tractatus_audit_corpus import sample_payloads as pay

__all__ = ["fixed_era", "legacy_era", "migrated", "pattern_entries", "v3_era"]

UTC = dt.UTC
_SNAPSHOT_DAY = (dt.datetime(2025, 10, 24, 19, 0, tzinfo=UTC), dt.datetime(2025, 10, 25, 5, 30, tzinfo=UTC))
_FIX_EVENING = (dt.datetime(2025, 10, 24, 2, 0, tzinfo=UTC), dt.datetime(2025, 10, 24, 10, 0, tzinfo=UTC))
_V3_ERA = (dt.datetime(2025, 10, 11, tzinfo=UTC), dt.datetime(2025, 10, 24, tzinfo=UTC))
_MIGRATED_AT = dt.datetime(2025, 10, 11, 2, 14, tzinfo=UTC)
_NZDT = dt.timedelta(hours=13)
_POSTFIX_SESSIONS = (
    ["2025-10-07-001", "2025-10-24-001", "2025-10-25-001", "2025-10-25-002"],
    [55, 10, 20, 15],
)
_OTHERS = [
    ("InstructionPersistenceClassifier", 0.63),
    ("CrossReferenceValidator", 0.47),
    ("MetacognitiveVerifier", 0.39),
    ("PluralisticDeliberationOrchestrator", 0.08),
]


def _between(rng: random.Random, span: tuple[dt.datetime, dt.datetime]) -> dt.datetime:
    seconds = (span[1] - span[0]).total_seconds()
    return span[0] + dt.timedelta(milliseconds=int(rng.uniform(0, seconds) * 1000))


def _oid(rng: random.Random, when: dt.datetime) -> ObjectId:
    return ObjectId(int(when.timestamp()).to_bytes(4, "big") + rng.randbytes(8))


def _iso(when: dt.datetime) -> str:
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _auditlog(
    rng: random.Random,
    p: pay.Payload,
    session: str,
    when: dt.datetime,
    created: dt.datetime | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A Mongoose AuditLog document as mongoexport prints it: `_id` first, defaults filled in."""
    created = created or when
    doc = {
        "_id": _oid(rng, created),
        "sessionId": session,
        "action": p.action,
        "allowed": p.allowed,
        "rulesChecked": p.rules_checked,
        "violations": [],
        "metadata": p.metadata,
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
    return doc | {"createdAt": created, "updatedAt": created, "__v": 0}


def _subdocs(rng: random.Random, p: pay.Payload, when: dt.datetime) -> list[dict[str, Any]]:
    return [
        {
            "ruleId": v,
            "rulText": f"Synthetic rule text for {v[:40]}",
            "severity": severity,
            "details": f"{p.service} flagged this during the session",
            "_id": _oid(rng, when),
        }
        for v, severity in zip(p.violations, p.severities, strict=True)
    ]


def fixed_era(rng: random.Random, count: int, persons: list[pay.Person]) -> list[dict[str, Any]]:
    others = [(name, round(count * share / 100)) for name, share in _OTHERS]
    pairs = (count - sum(n for _, n in others)) // 2
    others[0] = (others[0][0], count - 2 * pairs - sum(n for _, n in others[1:]))
    sessions, weights = _POSTFIX_SESSIONS
    planned = sorted(
        (
            _between(rng, _FIX_EVENING if rng.random() < 0.04 else _SNAPSHOT_DAY),
            rng.choices(sessions, weights)[0],
        )
        for _ in range(pairs)
    )
    per_session: dict[str, list[float]] = defaultdict(list)
    totals = {s: sum(1 for _, t in planned if t == s) for s in sessions}
    rules = pay.RULES_18 + [f"inst_{n:03d}" for n in range(20, 84)]
    docs: list[dict[str, Any]] = []

    def emit(p: pay.Payload, session: str, when: dt.datetime) -> None:
        person = rng.choice(persons)
        personal = {
            "userId": ObjectId(person.user_id),
            "ipAddress": person.ip,
            "userAgent": person.user_agent,
        }
        fields: dict[str, Any] = {"service": p.service, **(personal if rng.random() < 0.3 else {})}
        if p.violations:
            fields["violations"] = p.violations if rng.random() < 0.1 else _subdocs(rng, p, when)
        if p.metadata.get("boundary") not in (None, "none") and rng.random() < 0.5:
            fields |= {
                "boundary": p.metadata["boundary"],
                "tractatus_section": p.metadata["tractatus_section"],
            }
        docs.append(_auditlog(rng, p, session, when, **fields))

    for when, session in planned:
        history = per_session[session]
        progress = len(history) / max(1, totals[session])
        # Pressure grows as the session fills its context; rare spikes (an error burst) reach DANGEROUS.
        spike = 0.2 if rng.random() < 0.03 else 0.0
        score = min(0.97, max(0.02, 0.12 + 0.62 * progress**1.6 + rng.uniform(-0.08, 0.08) + spike))
        person = rng.choice(persons)
        emit(pay.boundary(rng, person, blocked=rng.random() < 0.06), session, when)
        emit(
            pay.pressure(rng, score, history, rules[:56]),
            session,
            when + dt.timedelta(milliseconds=rng.randint(3, 60)),
        )
        history.append(score)
    for name, n in others:
        for _ in range(n):
            when, session = _between(rng, _SNAPSHOT_DAY), rng.choices(sessions, weights)[0]
            emit(_other_service(rng, name, rng.choice(persons), rules[:56]), session, when)
    return docs


def _other_service(rng: random.Random, name: str, person: pay.Person, rules: list[str]) -> pay.Payload:
    """One decision of a service other than the paired BoundaryEnforcer / ContextPressureMonitor."""
    if name == "InstructionPersistenceClassifier":
        return pay.classifier(rng, person, rules)
    if name == "CrossReferenceValidator":
        return pay.validator(rng, person, rng.choices(["APPROVED", "WARNING", "REJECTED"], [70, 20, 10])[0])
    if name == "MetacognitiveVerifier":
        verdicts = ["PROCEED", "PROCEED_WITH_CAUTION", "REQUEST_CONFIRMATION", "REQUIRE_REVIEW", "BLOCK"]
        level = pay.pressure_level(rng.uniform(0, 0.8))
        return pay.verifier(rng, person, level, rng.choices(verdicts, [50, 30, 10, 5, 5])[0], rules)
    # The real action code of this service is not public; the corpus files it under `other`.
    meta = {"stakeholders_consulted": rng.randint(2, 5), "deliberation_note": f"Asked {person.email}"}
    return pay.Payload("pluralistic_deliberation", True, [], [], meta, "PluralisticDeliberationOrchestrator")


def _by_kind(rng: random.Random, kind: str, person: pay.Person, persistable: bool) -> pay.Payload:
    """A Phase 5 era decision: `persistable` keeps to what MemoryProxy v3 could store at 77ada42."""
    if kind == "be":
        return pay.boundary(rng, person, blocked=not persistable and rng.random() < 0.3)
    if kind == "blog":
        choices = ["APPROVED", "REVIEW_REQUIRED"] + ([] if persistable else ["REJECT"])
        return pay.blog(rng, person, rng.choice(choices))
    if kind == "ipc":
        return pay.classifier(rng, person, pay.RULES_18)
    if kind == "crv":
        return pay.validator(
            rng,
            person,
            rng.choice(["APPROVED", "APPROVED", "WARNING"] + ([] if persistable else ["REJECTED"])),
        )
    if kind == "mv":
        verdicts = ["PROCEED", "PROCEED_WITH_CAUTION"] if persistable else ["PROCEED", "REQUIRE_REVIEW"]
        return pay.verifier(rng, person, "NORMAL", rng.choice(verdicts), pay.RULES_18)
    if persistable:  # pressure analyses persisted only without warnings
        return pay.pressure(rng, rng.uniform(0.05, 0.6), [], pay.RULES_18)
    return pay.pressure(rng, rng.uniform(0.1, 0.8), [0.2, 0.3], pay.RULES_18)


def _v3_payload(rng: random.Random, person: pay.Person) -> tuple[pay.Payload, str]:
    """A decision that MemoryProxy v3 could persist at 77ada42: one without violations."""
    while True:
        kind = rng.choices(["be", "cpm", "ipc", "crv", "mv", "blog"], [30, 30, 15, 10, 10, 5])[0]
        p = _by_kind(rng, kind, person, persistable=True)
        if not p.violations:
            default = {
                "be": "boundary-enforcer-session",
                "cpm": "pressure-monitor",
                "ipc": "classifier-service",
                "crv": "validator-service",
                "mv": "verifier-service",
                "blog": "blog-curation-service",
            }[kind]
            return p, default if kind == "blog" or rng.random() < 0.8 else "2025-10-11-001"


def legacy_era(rng: random.Random, count: int, persons: list[pay.Person]) -> list[dict[str, Any]]:
    """Phase 5 filesystem lines: Week 3 (BE, BlogCuration), Session 1 (IPC, CRV), Session 2 (MV, CPM)."""
    stages = [
        (
            "week3-integration-test",
            (dt.datetime(2025, 10, 8, 20, tzinfo=UTC), dt.datetime(2025, 10, 9, 23, tzinfo=UTC)),
            ["be", "blog"],
        ),
        (
            "session1-integration-test",
            (dt.datetime(2025, 10, 9, 23, 30, tzinfo=UTC), dt.datetime(2025, 10, 10, 6, tzinfo=UTC)),
            ["ipc", "crv"],
        ),
        (
            "session2-integration-test",
            (dt.datetime(2025, 10, 10, 6, tzinfo=UTC), dt.datetime(2025, 10, 10, 14, tzinfo=UTC)),
            ["mv", "cpm"],
        ),
    ]
    lines = []
    for index in range(count):
        session, span, kinds = stages[index * len(stages) // max(1, count)]
        person, kind, when = rng.choice(persons), rng.choice(kinds), _between(rng, span)
        p = _by_kind(rng, kind, person, persistable=False)
        if rng.random() < 0.1:  # MemoryProxy's own test wrote only these keys; the writer adds the time
            lines.append(
                {"timestamp": _iso(when), "sessionId": session, "action": p.action, "allowed": p.allowed}
            )
            continue
        meta = (
            p.metadata
            | ({"service": p.service} if rng.random() < 0.3 else {})
            | ({"durationMs": rng.randint(1, 40)} if rng.random() < 0.2 else {})
        )
        local_day = (when + _NZDT).date().isoformat()  # real session ids use the developer's local date
        lines.append(
            {
                "timestamp": _iso(when),
                "sessionId": rng.choice([session, f"{local_day}-001"]),
                "action": p.action,
                "rulesChecked": p.rules_checked,
                "violations": p.violations,
                "allowed": p.allowed,
                "metadata": meta,
            }
        )
    return lines


def migrated(rng: random.Random, lines: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """Legacy lines as `migrate-to-mongodb.js` stored them: `ruleText` lost, severity defaulted."""
    docs = []
    for line in rng.sample(lines, min(count, len(lines))):
        meta = line.get("metadata", {})
        violations = [
            {"ruleId": v, "severity": "MEDIUM", "details": "", "_id": _oid(rng, _MIGRATED_AT)}
            for v in line.get("violations", [])
        ]
        p = pay.Payload(line["action"], line["allowed"], line.get("rulesChecked", []), [], meta, "")
        docs.append(
            _auditlog(
                rng,
                p,
                line["sessionId"],
                dt.datetime.fromisoformat(line["timestamp"]),
                _MIGRATED_AT,
                violations=violations,
                service=meta.get("service", "BoundaryEnforcer"),
                boundary=None if meta.get("boundary") == "none" else meta.get("boundary"),
                tractatus_section=meta.get("tractatus_section"),
                durationMs=meta.get("durationMs"),
            )
        )
    return docs


def pattern_entries(rng: random.Random, count: int, persons: list[pay.Person]) -> list[dict[str, Any]]:
    entries = []
    for _ in range(count):
        when, person = _between(rng, _SNAPSHOT_DAY), rng.choice(persons)
        stamp = int(when.timestamp() * 1000)
        base36 = ""
        while stamp:
            stamp, digit = divmod(stamp, 36)
            base36 = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + base36
        suffix = "".join(rng.choice("0123456789abcdefghijklmnopqrstuvwxyz") for _ in range(7))
        decision = rng.choices(["ALLOW", "WARN", "BLOCK"], [70, 15, 15])[0]
        entries.append(
            {
                "_id": _oid(rng, when),
                "audit_id": f"audit_{base36}{suffix}",
                "timestamp": _iso(when),
                "service": rng.choice(
                    ["BoundaryEnforcer", "CrossReferenceValidator", "BashCommandValidator"]
                ),
                "decision": decision,
                "rule_id": rng.choice([None, "inst_008", "inst_020", "inst_043"]),
                "context": f"Tool: Write, File: /home/{person.user}/projects/tractatus/config.json",
                "reason": f"Requested by {person.email}",
                "metadata": {"user_override_requested": False},
            }
        )
    return entries


def v3_era(rng: random.Random, count: int, persons: list[pay.Person]) -> list[dict[str, Any]]:
    """MemoryProxy v3 documents at 77ada42: Mongoose defaults everywhere, service defaults as sessions."""
    return [
        _auditlog(rng, p, session, _between(rng, _V3_ERA))
        for p, session in (_v3_payload(rng, rng.choice(persons)) for _ in range(count))
    ]
