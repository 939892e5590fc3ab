"""The card's count tables: each manifest counter with what it means."""

from __future__ import annotations

from tractatus_datasets.card import markdown_table

__all__ = ["MEANINGS", "counts_table"]

# What each counter in the manifest means, for the tables of the card.
MEANINGS = {
    # normalisation events
    "action_from_service": "AuditLogger entries, which record no action: the service's own action code, else `other`",
    "coordinated": "rows with at least one coordinating service",
    "pressure_inherited_from_session": "rows whose pressure level comes from the session's pressure analysis",
    "pressure_score_out_of_range": "pressure scores outside 0–1, left empty",
    "duration_not_a_duration": "durations that are not a finite number of at least 0, left empty",
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
    "unparseable": "not valid JSON",
    "not_utf8": "not valid UTF-8",
    "not_an_object": "valid JSON, but not an object",
    "invalid_extended_json": "an Extended JSON value (`$oid`, `$date`, `$numberLong`…) that cannot be read",
    "invalid_unicode": "a string with an unpaired UTF-16 surrogate",
    "too_large": "longer than the record size limit (default 16 MiB, MongoDB's)",
    "too_deep": "nested more than 100 levels deep (MongoDB's limit)",
    "unrecognised_shape": "neither an AuditLog document, a legacy line nor an AuditLogger entry",
    "missing_field": "a required field is missing or empty",
    "wrong_type": "a field has the wrong type",
    "invalid_value": "a field has an impossible value",
    "implausible_time": "a decision time before 2020, e.g. a `$date` that is not a date (read as 1970)",
    "invalid_row": "the normalised row failed validation",
}


def counts_table(counts: dict[str, int], empty: str) -> str:
    rows = [(f"`{name}`", MEANINGS.get(name, ""), count) for name, count in sorted(counts.items())]
    return markdown_table(["counter", "meaning", "count"], rows) if rows else empty
