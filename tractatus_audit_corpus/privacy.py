"""The allow-list: which source fields reach which column through which sanitiser; everything else
is dropped and counted.

Default-deny: `ALLOW_LIST` names, for every column of `full`, the source fields it may read and the
sanitiser that turns them into a published value. No other source value is read into a row. What is
dropped is counted by reason, one count per value at any depth (a nested object counts its leaves).
Key names of unknown fields are never written anywhere: an unknown key can itself be personal
(a user's e-mail used as a key, say).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from tractatus_audit_corpus import mapping
from tractatus_audit_corpus.vocab import Service, SourceFormat
from tractatus_datasets.pipeline import Tally

__all__ = [
    "ALLOW_LIST",
    "METADATA_REASONS",
    "READ_FIELDS",
    "READ_METADATA",
    "TOP_LEVEL_REASONS",
    "VIOLATION_READ",
    "AllowListEntry",
    "account_dropped",
    "leaves",
]


class AllowListEntry(NamedTuple):
    sources: str  # the source fields the column may read
    sanitiser: str  # what makes the published value safe


ALLOW_LIST: dict[str, AllowListEntry] = {
    "decision_id": AllowListEntry(
        "`_id`, `audit_id`, or legacy file and line", "keyed HMAC-SHA256 pseudonym"
    ),
    "timestamp": AllowListEntry("`timestamp`, else `createdAt`", "coarsened to the granularity, UTC"),
    "session": AllowListEntry("`sessionId`", "keyed HMAC-SHA256 pseudonym"),
    "service": AllowListEntry(
        "`service`, legacy `metadata.service`, `action`", "service vocabulary; rare → `Other`"
    ),
    "action": AllowListEntry("`action`", "action-code vocabulary; unknown or rare → `other`"),
    "decision": AllowListEntry(
        "the service's verdict field, `allowed`", "mapping table to allow/warn/ask/block"
    ),
    "verdict": AllowListEntry(
        "the service's verdict field, `allowed`", "verdict vocabulary; unknown → flag label; rare → `OTHER`"
    ),
    "outcome": AllowListEntry("decision, `allowed`", "mapping table"),
    "boundary": AllowListEntry(
        "`boundary`, `tractatus_section`, their `metadata` twins, violations",
        "boundary vocabulary; rare → `other`",
    ),
    "domain": AllowListEntry(
        "`domain`, `metadata.quadrant`, `metadata.domain` (not BoundaryEnforcer's)", "quadrant vocabulary"
    ),
    "context_pressure": AllowListEntry(
        "`metadata.pressure_level(_numeric)`, the session's analyses", "pressure-level vocabulary"
    ),
    "pressure_score": AllowListEntry("`metadata.overall_pressure`", "number in 0–1, else empty"),
    "coordination": AllowListEntry("services of the same session within the window", "service vocabulary"),
    "rules_checked": AllowListEntry(
        "`rulesChecked`, the pattern's `rule_id`", "rule-id pattern; text dropped; rare → `other`"
    ),
    "violated_rules": AllowListEntry(
        "`violations` strings or `ruleId`", "rule-id pattern; text dropped; rare → `other`"
    ),
    "severity": AllowListEntry("`violations[].severity`", "severity vocabulary"),
    "duration_ms": AllowListEntry(
        "`durationMs`, legacy `metadata.durationMs`", "non-negative number, else empty"
    ),
    "source_format": AllowListEntry("the record's shape", "source-format vocabulary"),
}

# Top-level fields each shape's normaliser reads (identifiers are read to be pseudonymised).
READ_FIELDS: dict[SourceFormat, frozenset[str]] = {
    SourceFormat.MONGODB_AUDITLOG: frozenset(
        {
            "_id",
            "sessionId",
            "action",
            "allowed",
            "rulesChecked",
            "violations",
            "metadata",
            "domain",
            "boundary",
            "tractatus_section",
            "service",
            "durationMs",
            "timestamp",
        }
    ),
    SourceFormat.LEGACY_JSONL: frozenset(
        {"timestamp", "sessionId", "action", "rulesChecked", "violations", "allowed", "metadata"}
    ),
    SourceFormat.AUDIT_LOGGER_PATTERN: frozenset(
        {"_id", "audit_id", "timestamp", "service", "decision", "rule_id"}
    ),
}

# Metadata keys the normaliser reads, whatever the service; plus each service's verdict key.
READ_METADATA = frozenset(
    {
        "boundary",
        "domain",
        "tractatus_section",
        "quadrant",
        "pressure_level",
        "pressure_level_numeric",
        "overall_pressure",
        "service",
        "durationMs",
    }
)

_PERSONAL = frozenset({"userId", "ipAddress", "userAgent"})
_BOOKKEEPING = frozenset({"__v", "updatedAt", "createdAt"})
_FREE_TEXT = frozenset({"context", "reason"})
_FREE_TEXT_METADATA = frozenset(
    {
        "actionType",
        "action_description",
        "instruction_text",
        "content_title",
        "conflict_details",
        "parameters",
    }
)
_NOT_IN_SCHEMA_METADATA = frozenset(
    {
        "requirementType",
        "enforcement_decision",
        "verification_multiplier",
        "trend",
        "metrics",
        "top_metric",
        "warnings_count",
        "recommendations_count",
        "validation_status",
        "conflicts_found",
        "critical_conflicts",
        "relevant_instructions",
        "validation_action",
        "persistence",
        "persistence_score",
        "explicitness",
        "verification",
        "temporal_scope",
        "source",
        "recency_weight",
        "confidence",
        "original_confidence",
        "decision",
        "level",
        "pressure_adjustment",
        "checks",
        "critical_failures",
        "failed_checks",
        "violation_count",
        "warning_count",
        "stats_found",
        "sources_provided",
        "recommendation",
        "action_required",
        "user_override_requested",
    }
)


_CONTAINERS = (dict, list)  # a tuple: `isinstance` tests it faster than a union


def leaves(value: Any) -> int:
    """How many values a dropped field held: one per scalar, at any depth (an empty container is one)."""
    if isinstance(value, dict):
        items: Any = value.values()
    elif isinstance(value, list):
        items = value
    else:
        return 1
    total = 0
    for item in items:  # a scalar is counted here, without a call
        total += leaves(item) if isinstance(item, _CONTAINERS) else 1
    return total or 1


def _top_level_reasons(shape: SourceFormat) -> dict[str, str | None]:
    """Why each known top-level key is dropped for `shape`; None for the keys it reads. Any other
    key is an `unknown_field`."""
    reasons: dict[str, str | None] = {
        **dict.fromkeys(_PERSONAL, "personal"),
        **dict.fromkeys(_BOOKKEEPING, "bookkeeping"),
        **dict.fromkeys(_FREE_TEXT, "free_text"),
        "metadata": "free_text",  # the AuditLogger pattern's metadata is not read at all
    }
    return reasons | dict.fromkeys(READ_FIELDS[shape], None)


def _metadata_reasons(service: Service) -> dict[str, str | None]:
    """Why each known metadata key is dropped for `service`'s rows; None for the keys read (the
    common ones and the service's verdict key). Any other key is an `unknown_metadata_key`."""
    reasons: dict[str, str | None] = {
        **dict.fromkeys(_NOT_IN_SCHEMA_METADATA, "not_in_schema"),
        **dict.fromkeys(_FREE_TEXT_METADATA, "free_text"),
        **dict.fromkeys(READ_METADATA, None),
    }
    if service in mapping.VERDICTS:
        reasons[mapping.VERDICTS[service][0]] = None
    return reasons


# The tables both engines count by: the per-record one below, and the columnar one in SQL.
TOP_LEVEL_REASONS = {shape: _top_level_reasons(shape) for shape in SourceFormat}
METADATA_REASONS = {service: _metadata_reasons(service) for service in Service}
VIOLATION_READ = frozenset({"ruleId", "severity"})  # a violation's keys that are read, not dropped


def account_dropped(doc: dict[str, Any], shape: SourceFormat, service: Service, tally: Tally) -> None:
    """Count, by reason, every source value that will not reach the release."""
    counts: dict[str, int] = {}  # added to `tally` at the end: a record drops a few values by few reasons
    reasons = TOP_LEVEL_REASONS[shape]
    for key, value in doc.items():
        if value is not None:
            reason = reasons.get(key, "unknown_field")
            if reason is not None:
                counts[reason] = counts.get(reason, 0) + leaves(value)
    metadata = doc.get("metadata") if "metadata" in READ_FIELDS[shape] else None
    if isinstance(metadata, dict):
        reasons = METADATA_REASONS[service]
        for key, value in metadata.items():
            if value is None:
                continue
            reason = reasons.get(key, "unknown_metadata_key")
            if reason is None:  # read keys hold scalars; anything nested is dropped
                if not isinstance(value, _CONTAINERS):
                    continue
                reason = "unknown_metadata_key"
            counts[reason] = counts.get(reason, 0) + leaves(value)
    for violation in doc.get("violations") or ():
        if isinstance(violation, dict):
            for key, value in violation.items():
                if key in VIOLATION_READ or value in (None, ""):
                    continue
                reason = "bookkeeping" if key == "_id" else "free_text"
                counts[reason] = counts.get(reason, 0) + leaves(value)
    for reason, count in counts.items():
        tally.add(reason, count)
