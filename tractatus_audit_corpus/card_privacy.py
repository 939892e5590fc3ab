"""The card's Anonymisation section, generated from the allow-list and the manifest's counts."""

from __future__ import annotations

from tractatus_audit_corpus.card_counts import counts_table
from tractatus_audit_corpus.privacy import ALLOW_LIST
from tractatus_datasets.card import gate_sentence, markdown_table
from tractatus_datasets.manifest import Counts, Manifest

__all__ = ["LIMITS", "anonymisation_section"]

LIMITS = """\
* Pseudonymous sessions still link the decisions of one session, and timestamps keep the configured
  granularity: the corpus is pseudonymised, not anonymous in the strict sense. Whoever holds the export
  key can link pseudonyms back to source ids; it never leaves the maintainer.
* Rare-value suppression protects values seen in fewer than k decisions; a combination of common
  values (a day, a service, a pressure level) can still be rare.
* The detectors recognise shapes. Nothing published here is free text, so a secret without a shape
  could only reach a release through a vocabulary column, which admits none; but the gate's absence
  of findings is evidence, not proof."""


def _suppression(counts: Counts, k: int) -> list[str]:
    rare = [counts_table(counts.rare_values, "")] if counts.rare_values else []
    return [
        f"* **Rare values:** values seen in fewer than {k} decisions became `other`"
        + ("; cells changed:" if rare else " (none needed to)."),
        *rare,
        f"* **Suppressed:** in `aggregated`, cells with fewer than {k} decisions keep their row but their "
        f"`count` and `sessions` are null: {counts.suppressed.get('aggregated_cells', 0)} cells holding "
        f"{counts.suppressed.get('aggregated_decisions', 0)} decisions.",
    ]


def anonymisation_section(manifest: Manifest) -> str:
    options, counts = manifest.options, manifest.counts
    k = options.get("k_threshold")
    allow_list = markdown_table(
        ["column", "read from", "sanitiser"],
        [(f"`{column}`", entry.sources, entry.sanitiser) for column, entry in ALLOW_LIST.items()],
    )
    return "\n\n".join(
        [
            "Default-deny: each column is produced from the fields below by a named sanitiser; every other "
            "source value is dropped.",
            allow_list,
            "* **Pseudonymised:** `decision_id` and `session` are HMAC-SHA256 pseudonyms under the export key "
            f"(fingerprint `{manifest.key.fingerprint if manifest.key else 'none'}`); the same key gives the same pseudonyms in every "
            "release. No unkeyed hash of any identifier is published.",
            f"* **Coarsened:** timestamps are truncated to the {options.get('time_granularity')}; rows keep "
            "their true order within a session.",
            "* **Dropped:** user ids, IP addresses, user agents, free text (action descriptions, instruction and "
            "rule text, titles, parameters) and every field not on the allow-list, at any depth. Values dropped, "
            "by reason:",
            counts_table(counts.values_dropped_by_reason, "Nothing was dropped."),
            "* **Scrubbed:** "
            + (
                "no free text is published, so nothing needed scrubbing."
                if not counts.scrubbed
                else "by type:"
            ),
            *([counts_table(counts.scrubbed, "")] if counts.scrubbed else []),
            *(
                _suppression(counts, k)
                if isinstance(k, int) and k > 1
                else [f"* **Rare values and small cells:** not suppressed (k = {k})."]
            ),
            f"* **Checked:** {gate_sentence(manifest)}",
            "**Limits that remain:**",
            LIMITS,
        ]
    )
