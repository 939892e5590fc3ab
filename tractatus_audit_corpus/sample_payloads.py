"""What each framework service hands to MemoryProxy's `auditDecision` (facts §1.4), synthesised.

Each builder returns a `Payload`: the decision object a service would send, including the free
text real payloads carry (action descriptions with home-directory paths, hosts, commands,
instruction text), so that anonymisation has real work to do. Secret-shaped values are made at
run time from the seeded generator; none is written in this file.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "PRESSURE_BOUNDS",
    "Payload",
    "Person",
    "blog",
    "boundary",
    "classifier",
    "pressure",
    "pressure_level",
    "validator",
    "verifier",
]

RULES_18 = [f"inst_{n:03d}" for n in range(1, 20) if n != 10]  # the 18 active rules of Phase 5
PRESSURE_BOUNDS = [
    (0.85, "DANGEROUS"),
    (0.70, "CRITICAL"),
    (0.50, "HIGH"),
    (0.30, "ELEVATED"),
    (0.0, "NORMAL"),
]
_LEVEL_INFO = {  # level → (numeric, action_required, verification multiplier)
    "NORMAL": (0, "PROCEED", 1.0),
    "ELEVATED": (1, "INCREASE_VERIFICATION", 1.3),
    "HIGH": (2, "MANDATORY_VERIFICATION", 1.6),
    "CRITICAL": (3, "RECOMMEND_REFRESH", 2.0),
    "DANGEROUS": (4, "REQUIRE_HUMAN_INTERVENTION", 3.0),
}
_FILES = [
    "public/js/navbar.js",
    "src/services/BoundaryEnforcer.service.js",
    "docs/research-paper.md",
    "scripts/session-init.js",
    ".claude/instruction-history.json",
    "public/index.html",
    "config/db.js",
]
_BOUNDARIES = [
    ("VALUES", "12.1"),
    ("INNOVATION", "12.2"),
    ("WISDOM", "12.3"),
    ("PURPOSE", "12.4"),
    ("MEANING", "12.5"),
    ("AGENCY", "12.6"),
]


@dataclass(frozen=True)
class Person:
    """The personal context a real deployment records around a decision."""

    user: str  # home-directory user name
    email: str
    user_id: str  # 24 hex digits: a User ObjectId
    ip: str
    user_agent: str
    host: str
    password: str | None  # None: this sample holds no credential-shaped text (safe to commit)


@dataclass
class Payload:
    action: str
    allowed: bool
    rules_checked: list[str]
    violations: list[str]  # as the services send them: plain strings
    metadata: dict[str, Any]
    service: str
    severities: list[str] = field(default_factory=list)  # one per violation, used once persisting works


def secret(rng: random.Random, length: int = 24) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length))


def _path(rng: random.Random, person: Person) -> str:
    return f"/home/{person.user}/projects/tractatus/{rng.choice(_FILES)}"


def action_description(rng: random.Random, person: Person) -> str:
    choices = [
        f"Edit {_path(rng, person)} to fix the CSP violation",
        f"Write {_path(rng, person)}",
        f"Bash: ssh ubuntu@{person.host} 'pm2 restart tractatus'",
        f"Send weekly summary to {person.email}",
        "Publish blog post on governance overhead",
    ]
    if person.password is not None:  # what a pasted command line leaks
        choices += [
            f"Bash: mongosh mongodb://admin:{person.password}@{person.host}:27017/tractatus_prod",
            f"Deploy with API_KEY={person.password}{secret(rng, 12)} to https://{person.host}/admin",
        ]
    return rng.choice(choices)


def pressure_level(score: float) -> str:
    return next(level for bound, level in PRESSURE_BOUNDS if score >= bound)


def boundary(rng: random.Random, person: Person, blocked: bool) -> Payload:
    checked = ["inst_016", "inst_017", "inst_018"][: rng.choice([0, 3, 3, 3])]
    meta: dict[str, Any] = {"actionType": action_description(rng, person)}
    if not blocked:
        domain = rng.choice(["VERIFICATION", "SYSTEM", "TECHNICAL", "SUPPORT", "TECHNICAL_IMPLEMENTATION"])
        meta |= {
            "boundary": "none",
            "domain": domain,
            "requirementType": "NONE",
            "enforcement_decision": "ALLOWED",
        }
        return Payload("boundary_enforcement", True, checked, [], meta, "BoundaryEnforcer")
    if rng.random() < 0.4:  # a content check: the rule id sits where the section would be
        rule = rng.choice(["inst_016", "inst_017", "inst_018"])
        key, section, violated = "VALUES", rule, [rule]
    else:
        key, section = rng.choice(_BOUNDARIES)
        violated = [key]
    meta |= {
        "boundary": key,
        "domain": key,
        "requirementType": "MANDATORY",
        "tractatus_section": section,
        "enforcement_decision": "BLOCKED",
    }
    return Payload("boundary_enforcement", False, checked, violated, meta, "BoundaryEnforcer", ["HIGH"])


def pressure(rng: random.Random, score: float, history: list[float], rules: list[str]) -> Payload:
    level = pressure_level(score)
    numeric, action, multiplier = _LEVEL_INFO[level]
    metrics = {
        name: round(min(1.0, max(0.0, score + rng.uniform(-0.2, 0.2))), 3)
        for name in (
            "token_usage",
            "conversation_length",
            "task_complexity",
            "error_frequency",
            "instruction_density",
        )
    }
    meta: dict[str, Any] = {
        "overall_pressure": round(score, 4),
        "pressure_level": level,
        "pressure_level_numeric": numeric,
        "action_required": action,
        "verification_multiplier": multiplier,
        "metrics": metrics,
        "top_metric": rng.choice(["tokenUsage", "conversationLength", "taskComplexity"]),
        "warnings_count": 0,
        "recommendations_count": 1 + numeric,
    }
    warnings = []
    if len(history) >= 2:  # the trend needs the two analyses before this one
        delta = score - history[-2]
        meta["trend"] = "escalating" if delta > 0.15 else "improving" if delta < -0.15 else "stable"
        if meta["trend"] == "escalating":
            warnings.append("Pressure is escalating rapidly")
    if numeric >= 2:
        warnings.append(f"Context pressure {level}: consider refreshing the session")
    meta["warnings_count"] = len(warnings)
    return Payload(
        "context_pressure_analysis",
        numeric < 4,
        rules,
        warnings,
        meta,
        "ContextPressureMonitor",
        ["CRITICAL" if numeric >= 3 else "HIGH"] * len(warnings),
    )


def validator(rng: random.Random, person: Person, status: str) -> Payload:
    named = rng.random() < 0.7
    checked = [rng.choice(RULES_18) for _ in range(rng.randint(1, 3))] if named else ["instruction"]
    instruction = f"Always use port 27027 for MongoDB on {person.host}"
    details = (
        [
            {
                "parameter": "port",
                "severity": "CRITICAL" if status == "REJECTED" else "WARNING",
                "action_value": "27017",
                "instruction_value": "27027",
            }
        ]
        if status != "APPROVED"
        else []
    )
    meta = {
        "action_description": action_description(rng, person)[:100],
        "validation_status": status,
        "conflicts_found": len(details),
        "critical_conflicts": int(status == "REJECTED"),
        "relevant_instructions": len(checked),
        "conflict_details": details,
        "validation_action": {
            "APPROVED": "PROCEED",
            "WARNING": "NOTIFY_USER",
            "REJECTED": "REQUEST_CLARIFICATION",
        }[status],
    }
    violations = [instruction] if status == "REJECTED" else []
    return Payload(
        "cross_reference_validation",
        status == "APPROVED",
        checked,
        violations,
        meta,
        "CrossReferenceValidator",
        ["CRITICAL"] * len(violations),
    )


def classifier(rng: random.Random, person: Person, rules: list[str]) -> Payload:
    quadrant = rng.choice(["STRATEGIC", "OPERATIONAL", "TACTICAL", "SYSTEM", "STOCHASTIC"])
    meta = {
        "instruction_text": rng.choice(
            [
                f"Always check port 27027 before connecting to {person.host}",
                f"Never commit files under /home/{person.user}/.ssh",
                f"Email {person.email} before any deployment",
            ]
        )[:100],
        "quadrant": quadrant,
        "persistence": "HIGH",
        "persistence_score": 0.9,
        "explicitness": 0.85,
        "verification": "MANDATORY",
        "temporal_scope": "PERMANENT",
        "source": "user",
        "recency_weight": round(rng.random(), 3),
        "parameters": {"port": "27027", "host": person.host, "path": _path(rng, person), "hasApiKey": False},
    }
    return Payload("instruction_classification", True, rules, [], meta, "InstructionPersistenceClassifier")


def verifier(rng: random.Random, person: Person, level: str, decision: str, rules: list[str]) -> Payload:
    failed = ["Alternatives"] if decision != "PROCEED" else []
    critical = ["Safety"] if decision in ("BLOCK", "REQUIRE_REVIEW") else []
    confidence = {
        "PROCEED": 0.86,
        "PROCEED_WITH_CAUTION": 0.7,
        "REQUEST_CONFIRMATION": 0.5,
        "REQUIRE_REVIEW": 0.3,
        "BLOCK": 0.2,
    }[decision]
    meta = {
        "action_description": action_description(rng, person)[:100],
        "confidence": confidence,
        "original_confidence": round(confidence + 0.05, 2),
        "decision": decision,
        "level": decision,
        "pressure_level": level,
        "pressure_adjustment": -0.05,
        "checks": {
            "alignment": True,
            "coherence": True,
            "completeness": True,
            "safety": not critical,
            "alternatives": not failed,
        },
        "critical_failures": len(critical),
        "failed_checks": failed + critical,
        "recommendations_count": 2,
    }
    allowed = decision in ("PROCEED", "PROCEED_WITH_CAUTION")
    return Payload(
        "metacognitive_verification",
        allowed,
        rules,
        critical,
        meta,
        "MetacognitiveVerifier",
        ["CRITICAL"] * len(critical),
    )


def blog(rng: random.Random, person: Person, recommendation: str) -> Payload:
    violations = {"APPROVED": [], "REVIEW_REQUIRED": [], "REJECT": ["inst_017", "inst_016"]}[recommendation]
    meta = {
        "content_title": rng.choice(
            [
                "Why governance overhead is worth it",
                f"Notes from {person.user}'s session",
                "Guaranteed safety? A production-ready framework",
            ]
        ),
        "violation_count": len(violations),
        "warning_count": int(recommendation == "REVIEW_REQUIRED"),
        "stats_found": rng.randint(0, 3),
        "sources_provided": rng.randint(0, 2),
        "recommendation": recommendation,
    }
    return Payload(
        "content_validation",
        recommendation != "REJECT",
        ["inst_016", "inst_017", "inst_018"],
        violations,
        meta,
        "BlogCuration",
        ["HIGH"] * len(violations),
    )
