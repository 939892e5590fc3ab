"""The evolution log's vocabularies.

Each `StrEnum` becomes a `ClassLabel` whose integers are the members' positions. Releases must stay
comparable, so **append new members at the end; never reorder or remove one.**
"""

from __future__ import annotations

from enum import StrEnum
from zoneinfo import ZoneInfo

__all__ = [
    "EVENT_ID_PATTERN",
    "INSTRUCTION_PATTERN",
    "REPO_ID",
    "SOURCE_TIMEZONE",
    "Component",
    "DatePrecision",
    "EventKind",
    "Severity",
]

REPO_ID = "tractatus-framework/evolution-log"

# The framework was built in New Zealand and its documents date things in local time (NZDT, UTC+13
# in October 2025); an event's calendar dates are read in this zone when they meet UTC timestamps.
SOURCE_TIMEZONE = ZoneInfo("Pacific/Auckland")

EVENT_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{2,79}$"
# Rule ids only, never rule text: `inst_NNN`, the quickstart kit's `STR-001` style, and governance
# document ids such as `TRA-VAL-0001`.
INSTRUCTION_PATTERN = r"^(?:inst_\d{3}|(?:STR|OPS|TAC|SYS|SEC|VAL|QUAL)-\d{3}|TRA-[A-Z]{3}-\d{4})$"


class EventKind(StrEnum):
    INCIDENT = "incident"
    RULE_ADDITION = "rule_addition"
    SERVICE_ADDITION = "service_addition"
    ARCHITECTURE_CHANGE = "architecture_change"
    VERSION = "version"
    MILESTONE = "milestone"
    PUBLICATION = "publication"


class DatePrecision(StrEnum):
    """How exactly `date` (and `end_date`) is known."""

    DAY = "day"  # the sources give the day (a range when `end_date` is set)
    MONTH = "month"  # `date` is the first of the month; only the month is known
    QUARTER = "quarter"  # `date` is the first day of the quarter
    ESTIMATED = "estimated"  # the sources give no date; `date`..`end_date` is where they place it


class Severity(StrEnum):
    """Incident severity, in the framework's own violation vocabulary."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class Component(StrEnum):
    """Framework services and the other named parts an event involves.

    The services come first in the audit corpus' `service` order, so that a service has the same
    ClassLabel integer in both datasets."""

    BOUNDARY_ENFORCER = "BoundaryEnforcer"
    CONTEXT_PRESSURE_MONITOR = "ContextPressureMonitor"
    CROSS_REFERENCE_VALIDATOR = "CrossReferenceValidator"
    INSTRUCTION_PERSISTENCE_CLASSIFIER = "InstructionPersistenceClassifier"
    METACOGNITIVE_VERIFIER = "MetacognitiveVerifier"
    BLOG_CURATION = "BlogCuration"
    PLURALISTIC_DELIBERATION_ORCHESTRATOR = "PluralisticDeliberationOrchestrator"
    BASH_COMMAND_VALIDATOR = "BashCommandValidator"
    MEMORY_PROXY = "MemoryProxy"
    RULE_OPTIMIZER = "RuleOptimizer"
    CLAUDE_MD_ANALYZER = "ClaudeMdAnalyzer"
    VARIABLE_SUBSTITUTION = "VariableSubstitution"
    ENFORCEMENT_HOOKS = "enforcement hooks"  # pre-action and pre-commit hooks
    SESSION_LIFECYCLE = "session lifecycle"  # session-init and closedown scripts
