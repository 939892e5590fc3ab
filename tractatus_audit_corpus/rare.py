"""Rare categorical values become `other`: a value seen in fewer than k decisions can single out
one session or one person (a service used once, a rule id that embeds a time).

Applies to `service` (and so to `coordination`), `action`, `verdict`, `boundary` and the rule ids.
The closed four-value vocabularies (`decision`, `outcome`, pressure level, severity…) describe no one
and are kept whole. `relational` applies it, counting the rows of the previous release too.
"""

from __future__ import annotations

from typing import Any

from tractatus_audit_corpus.mapping import RARE_VERDICT
from tractatus_audit_corpus.vocab import RARE_STRING, Action, Service

__all__ = ["RARE_COLUMNS"]

RARE_COLUMNS: dict[str, Any] = {
    "service": Service.OTHER,
    "action": Action.OTHER,
    "verdict": RARE_VERDICT,
    "boundary": RARE_STRING,
    "rule_ids": RARE_STRING,  # rules_checked and violated_rules, counted together
}
