"""The audit corpus' vocabularies, spelled exactly as the Tractatus source spells them.

Each `StrEnum` becomes a `ClassLabel` whose integers are the members' positions. Releases must stay
comparable, so **append new members at the end; never reorder or remove one.**
"""

from __future__ import annotations

import re
from enum import StrEnum

__all__ = [
    "BOUNDARIES",
    "RARE_STRING",
    "RULE_ID",
    "RULE_ID_PATTERN",
    "Action",
    "Decision",
    "Domain",
    "IncidentReason",
    "Outcome",
    "PressureLevel",
    "Service",
    "Severity",
    "SourceFormat",
]


class Service(StrEnum):
    BOUNDARY_ENFORCER = "BoundaryEnforcer"
    CONTEXT_PRESSURE_MONITOR = "ContextPressureMonitor"
    CROSS_REFERENCE_VALIDATOR = "CrossReferenceValidator"
    INSTRUCTION_PERSISTENCE_CLASSIFIER = "InstructionPersistenceClassifier"
    METACOGNITIVE_VERIFIER = "MetacognitiveVerifier"
    BLOG_CURATION = "BlogCuration"
    PLURALISTIC_DELIBERATION_ORCHESTRATOR = "PluralisticDeliberationOrchestrator"
    BASH_COMMAND_VALIDATOR = "BashCommandValidator"
    OTHER = "Other"  # a service name outside this list; counted in the manifest


class Action(StrEnum):
    BOUNDARY_ENFORCEMENT = "boundary_enforcement"
    CONTEXT_PRESSURE_ANALYSIS = "context_pressure_analysis"
    CROSS_REFERENCE_VALIDATION = "cross_reference_validation"
    INSTRUCTION_CLASSIFICATION = "instruction_classification"
    METACOGNITIVE_VERIFICATION = "metacognitive_verification"
    CONTENT_VALIDATION = "content_validation"
    # Action codes written by the framework's own test suites; kept so researchers can filter them.
    TEST_ENFORCEMENT = "test_enforcement"
    TEST_ACTION = "test_action"
    BLOG_POST_GENERATION = "blog_post_generation"
    CONCURRENT_WRITE_TEST = "concurrent_write_test"
    OTHER = "other"  # an action code outside this list (its text is never copied)


class Decision(StrEnum):
    ALLOW = "allow"
    WARN = "warn"
    ASK = "ask"
    BLOCK = "block"


class Outcome(StrEnum):
    ALLOWED = "allowed"
    ALLOWED_WITH_WARNING = "allowed_with_warning"
    HUMAN_APPROVAL_REQUIRED = "human_approval_required"
    BLOCKED = "blocked"


class Domain(StrEnum):
    """The decision's quadrant. STOCHASTIC exists in the classifier, not in the AuditLog enum."""

    STRATEGIC = "STRATEGIC"
    OPERATIONAL = "OPERATIONAL"
    TACTICAL = "TACTICAL"
    SYSTEM = "SYSTEM"
    STOCHASTIC = "STOCHASTIC"
    UNKNOWN = "UNKNOWN"


class PressureLevel(StrEnum):
    NORMAL = "NORMAL"
    ELEVATED = "ELEVATED"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"
    DANGEROUS = "DANGEROUS"
    UNKNOWN = "UNKNOWN"


class Severity(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class SourceFormat(StrEnum):
    MONGODB_AUDITLOG = "mongodb_auditlog"  # Mongoose AuditLog document (mongoexport dump or live)
    LEGACY_JSONL = "legacy_jsonl"  # .memory/audit/decisions-YYYY-MM-DD.jsonl line (MemoryProxy v1/v2)
    AUDIT_LOGGER_PATTERN = "audit_logger_pattern"  # examples/audit/audit-logger.js entry


class IncidentReason(StrEnum):
    BLOCKED = "blocked"
    WARNED = "warned"
    HUMAN_APPROVAL = "human_approval"
    HIGH_PRESSURE = "high_pressure"


# Boundary key (as stored) → (Tractatus section, display label). `ERROR` is the fail-safe boundary.
BOUNDARIES: dict[str, tuple[str | None, str]] = {
    "VALUES": ("12.1", "12.1 Values"),
    "INNOVATION": ("12.2", "12.2 Innovation"),
    "WISDOM": ("12.3", "12.3 Wisdom"),
    "PURPOSE": ("12.4", "12.4 Purpose"),
    "MEANING": ("12.5", "12.5 Meaning"),
    "AGENCY": ("12.6", "12.6 Agency"),
    "ERROR": (None, "ERROR (fail-safe)"),
}
RARE_STRING = "other"  # a boundary label or rule id seen fewer than k times

# What may appear in `rules_checked` / `violated_rules`: identifiers, never rule or instruction text.
# Instruction ids (with the `inst_<epoch-ms>` fallback), quickstart rule ids, governance document
# ids, boundary keys, MetacognitiveVerifier check names, the pre-tool-use hook's pseudo rule id, and
# the literal `instruction` that CrossReferenceValidator writes for an unnamed instruction; `other`
# stands for ids seen fewer than k times (see `rare`).
RULE_ID_PATTERN = (
    r"^(?:inst_\d{1,13}|(?:STR|OPS|TAC|SYS|SEC|VAL|QUAL)-\d{3}|TRA-[A-Z]{3}-\d{4}"
    r"|VALUES|INNOVATION|WISDOM|PURPOSE|MEANING|AGENCY|ERROR"
    r"|Alignment|Coherence|Completeness|Safety|Alternatives|PRESSURE_CRITICAL|instruction|other)$"
)
RULE_ID = re.compile(RULE_ID_PATTERN)
