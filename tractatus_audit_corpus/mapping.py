"""Every normalisation mapping, as tables. The dataset card renders these same tables.

Sources: facts §1.4 (per-service payloads), §2.1 (services and action codes), §2.2 (verdict
vocabularies), §2.3 (pressure levels), §2.5 (quadrants).
"""

from __future__ import annotations

from tractatus_audit_corpus.vocab import Action, Decision, Domain, Outcome, PressureLevel, Service, Severity

__all__ = [
    "ACTION_SERVICE",
    "DEFAULT_SERVICE",
    "DOMAIN_ALIASES",
    "FALLBACK_VERDICTS",
    "KNOWN_VERDICTS",
    "LEVEL_ACTION",
    "OUTCOMES",
    "PATTERN_VERDICTS",
    "RARE_VERDICT",
    "SERVICE_ACTION",
    "STRING_VIOLATION_SEVERITY",
    "VERDICTS",
    "outcome_of",
    "verdict_decision",
]

# Mongoose's default for `service`: at commit 77ada42 no service passed its name, so every row
# says BoundaryEnforcer. When a row carries this default (or nothing), the action code decides.
DEFAULT_SERVICE = Service.BOUNDARY_ENFORCER

# action code → the service that writes it (facts §2.1).
ACTION_SERVICE: dict[Action, Service] = {
    Action.BOUNDARY_ENFORCEMENT: Service.BOUNDARY_ENFORCER,
    Action.CONTEXT_PRESSURE_ANALYSIS: Service.CONTEXT_PRESSURE_MONITOR,
    Action.CROSS_REFERENCE_VALIDATION: Service.CROSS_REFERENCE_VALIDATOR,
    Action.INSTRUCTION_CLASSIFICATION: Service.INSTRUCTION_PERSISTENCE_CLASSIFIER,
    Action.METACOGNITIVE_VERIFICATION: Service.METACOGNITIVE_VERIFIER,
    Action.CONTENT_VALIDATION: Service.BLOG_CURATION,
}
# The reverse, for shapes that record a service but no action (the AuditLogger pattern).
SERVICE_ACTION: dict[Service, Action] = {service: action for action, service in ACTION_SERVICE.items()}

# service → (metadata key holding the service's own verdict, verdict → decision).
VERDICTS: dict[Service, tuple[str, dict[str, Decision]]] = {
    Service.BOUNDARY_ENFORCER: (
        "enforcement_decision",
        {"ALLOWED": Decision.ALLOW, "BLOCKED": Decision.BLOCK},
    ),
    Service.CONTEXT_PRESSURE_MONITOR: (
        "action_required",
        {
            "PROCEED": Decision.ALLOW,
            "INCREASE_VERIFICATION": Decision.WARN,
            "MANDATORY_VERIFICATION": Decision.WARN,
            "RECOMMEND_REFRESH": Decision.WARN,
            "REQUIRE_HUMAN_INTERVENTION": Decision.ASK,
        },
    ),
    Service.CROSS_REFERENCE_VALIDATOR: (
        "validation_status",
        {
            "APPROVED": Decision.ALLOW,
            "WARNING": Decision.WARN,
            "ESCALATE": Decision.ASK,
            "REJECTED": Decision.BLOCK,
        },
    ),
    Service.METACOGNITIVE_VERIFIER: (
        "decision",
        {
            "PROCEED": Decision.ALLOW,
            "PROCEED_WITH_CAUTION": Decision.WARN,
            "REQUEST_CONFIRMATION": Decision.ASK,
            "REQUEST_CLARIFICATION": Decision.ASK,
            "REQUIRE_REVIEW": Decision.ASK,
            "BLOCK": Decision.BLOCK,
        },
    ),
    Service.BLOG_CURATION: (
        "recommendation",
        {"APPROVED": Decision.ALLOW, "REVIEW_REQUIRED": Decision.ASK, "REJECT": Decision.BLOCK},
    ),
}

# The AuditLogger pattern's own `decision` field.
PATTERN_VERDICTS: dict[str, Decision] = {
    "ALLOW": Decision.ALLOW,
    "WARN": Decision.WARN,
    "BLOCK": Decision.BLOCK,
}

# When a row carries no verdict of its own (the classifier never has one; a row may lack its
# metadata), the `allowed` flag gives AuditLog's own summary label (`getSummary`).
FALLBACK_VERDICTS: dict[bool, tuple[str, Decision]] = {
    True: ("ALLOWED", Decision.ALLOW),
    False: ("BLOCKED", Decision.BLOCK),
}

# ContextPressureMonitor: pressure level → the action it prescribes (facts §2.3). Used when a
# pressure analysis has its level but not its `action_required`.
LEVEL_ACTION: dict[PressureLevel, str] = {
    PressureLevel.NORMAL: "PROCEED",
    PressureLevel.ELEVATED: "INCREASE_VERIFICATION",
    PressureLevel.HIGH: "MANDATORY_VERIFICATION",
    PressureLevel.CRITICAL: "RECOMMEND_REFRESH",
    PressureLevel.DANGEROUS: "REQUIRE_HUMAN_INTERVENTION",
}

# decision → outcome when the action went ahead (`allowed` true or unrecorded) and when it did not.
OUTCOMES: dict[Decision, tuple[Outcome, Outcome]] = {
    Decision.ALLOW: (Outcome.ALLOWED, Outcome.BLOCKED),
    Decision.WARN: (Outcome.ALLOWED_WITH_WARNING, Outcome.HUMAN_APPROVAL_REQUIRED),
    Decision.ASK: (Outcome.HUMAN_APPROVAL_REQUIRED, Outcome.HUMAN_APPROVAL_REQUIRED),
    Decision.BLOCK: (Outcome.BLOCKED, Outcome.BLOCKED),
}


def outcome_of(decision: Decision, allowed: bool | None) -> Outcome:
    """What happened to the action: the verdict, corrected by the recorded `allowed` flag.

    >>> outcome_of(Decision.WARN, False)  # CrossReferenceValidator stores WARNING as allowed: false
    <Outcome.HUMAN_APPROVAL_REQUIRED: 'human_approval_required'>
    """
    went_ahead, stopped = OUTCOMES[decision]
    return stopped if allowed is False else went_ahead


def verdict_decision(service: Service, verdict: str | None, allowed: bool | None) -> tuple[str, Decision]:
    """A service's verdict and its decision, by the service's own table; a verdict outside it (or
    none, as the classifier never has one) falls back to the `allowed` flag, as the export reads a row.

    >>> verdict_decision(Service.CROSS_REFERENCE_VALIDATOR, "WARNING", False)
    ('WARNING', <Decision.WARN: 'warn'>)
    >>> verdict_decision(Service.BOUNDARY_ENFORCER, "REQUEST_APPROVAL", False)  # never recorded
    ('BLOCKED', <Decision.BLOCK: 'block'>)
    """
    _, table = VERDICTS.get(service, ("", {}))
    if verdict is not None and verdict in table:
        return verdict, table[verdict]
    return FALLBACK_VERDICTS[allowed is not False]


# Severity of violations stored as plain strings, which carry none: what the services' code says
# those strings are (MV lists CRITICAL failures, CRV the text of CRITICAL conflicts, CPM warnings
# of HIGH or CRITICAL recommendations); otherwise AuditLog's schema default, MEDIUM.
STRING_VIOLATION_SEVERITY: dict[Service, Severity] = {
    Service.METACOGNITIVE_VERIFIER: Severity.CRITICAL,
    Service.CROSS_REFERENCE_VALIDATOR: Severity.CRITICAL,
    Service.CONTEXT_PRESSURE_MONITOR: Severity.HIGH,
}

# Quadrant spellings → domain (the abbreviations appear in status text and GovernanceLog).
DOMAIN_ALIASES: dict[str, Domain] = {
    **{domain.value: domain for domain in Domain},
    "STR": Domain.STRATEGIC,
    "OPS": Domain.OPERATIONAL,
    "TAC": Domain.TACTICAL,
    "SYS": Domain.SYSTEM,
    "STO": Domain.STOCHASTIC,
}


# Every verdict a row can carry: the services' own, the pattern's, the fallback labels, and the
# catch-all for verdicts seen fewer than k times (see `rare`).
RARE_VERDICT = "OTHER"
KNOWN_VERDICTS: tuple[str, ...] = tuple(
    sorted(
        {verdict for _, table in VERDICTS.values() for verdict in table}
        | set(PATTERN_VERDICTS)
        | {label for label, _ in FALLBACK_VERDICTS.values()}
        | {RARE_VERDICT}
    )
)
