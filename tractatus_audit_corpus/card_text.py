"""The audit corpus' own card sections, generated from the mapping tables and the manifest's counts."""

from __future__ import annotations

from typing import Any

from tractatus_audit_corpus import mapping
from tractatus_audit_corpus.card_counts import counts_table
from tractatus_audit_corpus.card_privacy import anonymisation_section
from tractatus_datasets.card import CardContent, markdown_table
from tractatus_datasets.manifest import Manifest

__all__ = ["EXPIRY", "card_content", "glance_sentence"]

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

# Also a known issue on the framework's card; the line break is the audit card's own.
EXPIRY = """The source collection deletes records after 90 days; a release holds what the source held when it
  was exported, plus what earlier releases held."""

LIMITS = f"""\
* Before the framework's audit-logging fix (2025-10-24), any decision with violations failed to
  persist, so blocked decisions are under-represented in older rows, and every older row carried
  Mongoose's default `service`; `service` is then derived from `action` (see the counts above).
* {EXPIRY}
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
            *_links_sentence(manifest),
        ]
    )


def _links_sentence(manifest: Manifest) -> list[str]:
    digest = manifest.options.get("incident_links")
    if digest is None:
        return ["**Incident links** were not made for this release: `incidents.incident_id` is null."]
    return [
        "**Incident links.** `incidents.incident_id` names the incident of the "
        "[Framework Evolution Log](https://huggingface.co/datasets/tractatus-framework/evolution-log) "
        "whose dated period holds the decision and one of whose rules it violated (the shortest such "
        f"period wins). The incidents were read from the event files with digest `{digest}`."
    ]


def glance_sentence(summary: dict[str, Any]) -> str:
    """The release's headline figures in one sentence, from the manifest's summary.

    >>> glance_sentence({"decisions": 4, "sessions": 2, "first_day": "2025-10-08", "last_day": "2025-10-09",
    ...     "by_decision": {"allow": 2, "warn": 1, "ask": 0, "block": 1}})
    '4 decisions from 2 sessions, 2025-10-08 to 2025-10-09 (UTC days): allow 50.0%, warn 25.0%, ask 0.0%, block 25.0%.'
    """
    decisions = summary["decisions"]
    shares = ", ".join(
        f"{name} {100 * count / decisions:.1f}%" for name, count in summary["by_decision"].items()
    )
    return (
        f"{decisions:,} decisions from {summary['sessions']:,} sessions, {summary['first_day']} to "
        f"{summary['last_day']} (UTC days): {shares}."
    )


def card_content(manifest: Manifest) -> CardContent:
    quarantined = counts_table(manifest.counts.quarantined_by_reason, "No record was quarantined.")
    return CardContent(
        summary=SUMMARY,
        synthetic_note=SYNTHETIC if manifest.key is not None and manifest.key.demo else None,
        sections=[
            *([("At a glance", glance_sentence(manifest.summary))] if manifest.summary else []),
            ("Source and normalisation", _mapping_section(manifest)),
            ("Anonymisation", anonymisation_section(manifest)),
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
