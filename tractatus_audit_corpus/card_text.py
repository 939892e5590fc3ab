"""The audit corpus' own card sections, generated from the mapping tables and the manifest's counts."""

from __future__ import annotations

from tractatus_audit_corpus import mapping
from tractatus_audit_corpus.card_privacy import anonymisation_section
from tractatus_datasets.card import CardContent, markdown_table
from tractatus_datasets.manifest import Manifest

__all__ = ["MEANINGS", "card_content", "counts_table"]

SUMMARY = """\
Anonymised governance decisions taken by the services of the
[Tractatus](https://github.com/AgenticGovernance/tractatus-framework) AI governance framework
(BoundaryEnforcer, ContextPressureMonitor, CrossReferenceValidator, InstructionPersistenceClassifier,
MetacognitiveVerifier and others), exported from the framework's MongoDB `auditLogs` collection and
the legacy `decisions-YYYY-MM-DD.jsonl` audit files that preceded it. One row of `full` is one
decision: which service decided, on what, under how much context pressure, with which rules, and
what happened to the action. `aggregated` answers the common questions (pressure over time, service
activation, boundary enforcement) without touching individual rows; `incidents` holds the decisions
worth a closer look."""

SYNTHETIC = """\
This release was built from the project's synthetic sample (`tractatus-datasets sample`) with the
public demo key. Its records imitate the real shapes and proportions but describe no real event."""

SHAPES = [
    (
        "`mongodb_auditlog`",
        "Mongoose `AuditLog` document (mongoexport dump or live collection)",
        "`_id`, `sessionId`, `action`, `allowed`, `rulesChecked`, `violations` (strings or subdocuments), `metadata`, `service`…",
    ),
    (
        "`legacy_jsonl`",
        "MemoryProxy v1/v2 line of `.memory/audit/decisions-YYYY-MM-DD.jsonl`",
        "`timestamp`, `sessionId`, `action`, `rulesChecked`, `violations`, `allowed`; `service`, `domain`, `boundary` inside `metadata`",
    ),
    (
        "`audit_logger_pattern`",
        "entry of the framework's generic AuditLogger example",
        "`audit_id`, `timestamp`, `service`, `decision` (ALLOW/WARN/BLOCK), `rule_id`; no session",
    ),
]

LIMITS = """\
* Before the framework's audit-logging fix (2025-10-24), any decision with violations failed to
  persist, so blocked decisions are under-represented in older rows, and every older row carried
  Mongoose's default `service`; `service` is then derived from `action` (see the counts above).
* The source collection deletes records after 90 days; a release holds what the source held when it
  was exported, plus what earlier releases held.
* BoundaryEnforcer and ContextPressureMonitor rows come in pairs, because the framework's hook runs
  both on the same trigger.
* `ask` is this corpus' name for verdicts that hand the decision to a human; the framework itself
  has no `ask` value.
* The limits of the anonymisation are listed under Anonymisation."""


def _mapping_section(manifest: Manifest) -> str:
    window = manifest.options.get("coordination_window_seconds")
    verdict_rows = [
        (f"`{service.value}`", f"`metadata.{key}`", ", ".join(f"`{v}` → {d.value}" for v, d in table.items()))
        for service, (key, table) in mapping.VERDICTS.items()
    ]
    verdict_rows.append(
        (
            "AuditLogger pattern",
            "`decision`",
            ", ".join(f"`{v}` → {d.value}" for v, d in mapping.PATTERN_VERDICTS.items()),
        )
    )
    verdict_rows.append(
        (
            "any other, or no verdict",
            "`allowed`",
            ", ".join(f"{flag} → `{v}` → {d.value}" for flag, (v, d) in mapping.FALLBACK_VERDICTS.items()),
        )
    )
    outcome_rows = [(d.value, ahead.value, stopped.value) for d, (ahead, stopped) in mapping.OUTCOMES.items()]
    action_rows = [(f"`{a.value}`", f"`{s.value}`") for a, s in mapping.ACTION_SERVICE.items()]
    return "\n\n".join(
        [
            markdown_table(["source_format", "shape", "fields read"], SHAPES),
            "**Service.** The row's `service`, except where it is missing or Mongoose's default "
            f"`{mapping.DEFAULT_SERVICE.value}`: then the action code decides.",
            markdown_table(["action", "service"], action_rows),
            "**Decision and verdict.** Each service's own verdict is kept in `verdict` and mapped to one vocabulary:",
            markdown_table(["service", "verdict field", "mapping"], verdict_rows),
            "**Outcome.** The decision, corrected by the recorded `allowed` flag:",
            markdown_table(["decision", "allowed true or unrecorded", "allowed false"], outcome_rows),
            "**Boundary** labels join section and name (`12.2 Innovation`) from the stored key. "
            "**Context pressure** is the row's own level, else the latest pressure analysis of the same "
            f"session no later than the row plus {window} s. **Coordination** lists the other services that "
            f"decided in the same session within ± {window} s.",
        ]
    )


# What each counter in the manifest means, for the tables of the card.
MEANINGS = {
    # normalisation events
    "action_from_service": "AuditLogger entries, which record no action: the service's own action code, else `other`",
    "coordinated": "rows with at least one coordinating service",
    "pressure_inherited_from_session": "rows whose pressure level comes from the session's pressure analysis",
    "pressure_score_out_of_range": "pressure scores outside 0–1, left empty",
    "service_defaulted": "rows with neither a service nor a known action: Mongoose's default service applies",
    "service_derived_from_action": "rows whose service was missing or Mongoose's default, derived from the action",
    "unknown_action": "action codes outside the vocabulary, kept as `other`",
    "unknown_boundary": "boundary keys outside the vocabulary, left empty",
    "boundary_section_mismatch": "boundary keys stored with another boundary's section; the key decides",
    "unknown_service": "service names outside the vocabulary, kept as `Other`",
    "unknown_verdict": "verdicts outside the service's vocabulary; the `allowed` flag decides",
    "verdict_from_allowed_flag": "rows without a verdict of their own (always so for the classifier)",
    "verdict_from_pressure_level": "pressure analyses without `action_required`, taken from their level",
    "violation_text_dropped": "violations recorded as text rather than an id (the text is not published)",
    "violation_not_understood": "violations that were neither text nor a subdocument",
    "rule_reference_dropped": "checked-rule entries that were not ids (not published)",
    # dropped source values
    "personal": "user ids, IP addresses, user agents",
    "free_text": "action descriptions, instruction and rule text, titles, parameters, reasons",
    "not_in_schema": "known measurements and labels this corpus does not carry",
    "bookkeeping": "Mongoose's `__v`, `createdAt`, `updatedAt` and subdocument ids",
    "unknown_field": "top-level fields outside the allow-list",
    "unknown_metadata_key": "metadata keys outside the allow-list, at any depth (their names are not published either)",
    # rare values replaced by `other`
    "service": "`service` cells",
    "action": "`action` cells",
    "verdict": "`verdict` cells",
    "boundary": "`boundary` cells",
    "rules_checked": "rule ids in `rules_checked`",
    "violated_rules": "rule ids in `violated_rules`",
    "coordination": "services in `coordination`",
    # quarantine reasons
    "unparseable": "not a JSON object",
    "not_utf8": "not valid UTF-8",
    "unrecognised_shape": "neither an AuditLog document, a legacy line nor an AuditLogger entry",
    "missing_field": "a required field is missing or empty",
    "wrong_type": "a field has the wrong type",
    "invalid_value": "a field has an impossible value",
    "invalid_row": "the normalised row failed validation",
}


def counts_table(counts: dict[str, int], empty: str) -> str:
    rows = [(f"`{name}`", MEANINGS.get(name, ""), count) for name, count in sorted(counts.items())]
    return markdown_table(["counter", "meaning", "count"], rows) if rows else empty


def card_content(manifest: Manifest) -> CardContent:
    quarantined = counts_table(manifest.counts.quarantined_by_reason, "No record was quarantined.")
    return CardContent(
        summary=SUMMARY,
        synthetic_note=SYNTHETIC if manifest.key.demo else None,
        sections=[
            ("Source and normalisation", _mapping_section(manifest)),
            ("Anonymisation", anonymisation_section(manifest, counts_table)),
            (
                "Normalisation counts",
                counts_table(manifest.counts.normalisation, "No adjustment was needed."),
            ),
            (
                "Quarantined records",
                "Records that could not be exported are kept outside the release, "
                "with their reason; by reason:\n\n" + quarantined,
            ),
            ("Limitations", LIMITS),
        ],
    )
