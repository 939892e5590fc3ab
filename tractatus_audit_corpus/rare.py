"""Rare categorical values become `other`: a value seen in fewer than k decisions can single out
one session or one person (a service used once, a rule id that embeds a time).

Applies to `service` (and so to `coordination`), `action`, `verdict`, `boundary` and the rule ids.
The closed four-value vocabularies (`decision`, `outcome`, pressure level, severity…) describe no one
and are kept whole. Applying it twice changes nothing more.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Any

from tractatus_audit_corpus.mapping import RARE_VERDICT
from tractatus_audit_corpus.models import FullRow
from tractatus_audit_corpus.vocab import RARE_STRING, Action, Service, label_order

__all__ = ["RARE_COLUMNS", "suppress_rare"]

RARE_COLUMNS: dict[str, Any] = {
    "service": Service.OTHER,
    "action": Action.OTHER,
    "verdict": RARE_VERDICT,
    "boundary": RARE_STRING,
    "rule_ids": RARE_STRING,  # rules_checked and violated_rules, counted together
}


def _rare(counts: Counter[Hashable], k: int, other: Hashable) -> set[Hashable]:
    return {value for value, n in counts.items() if n < k and value != other and value is not None}


_SCALAR_COLUMNS = ("service", "action", "verdict", "boundary")


def suppress_rare(rows: Sequence[FullRow], k: int, published: Sequence[FullRow] = ()) -> dict[str, int]:
    """Replace, in place, values seen in fewer than `k` rows; return how many cells changed, per column.

    `published` rows (those a release continuing an earlier one carries) count too but are never
    changed: a published row stays as it was.
    """
    counts: dict[str, Counter[Hashable]] = {column: Counter() for column in RARE_COLUMNS}
    for row in [*published, *rows]:
        for column in _SCALAR_COLUMNS:
            counts[column][getattr(row, column)] += 1
        counts["rule_ids"].update(set(row.rules_checked) | set(row.violated_rules))
    rare = {column: _rare(counts[column], k, RARE_COLUMNS[column]) for column in RARE_COLUMNS}
    changed: Counter[str] = Counter()

    def swap(column: str, value: Any, counted_as: str) -> Any:
        if value in rare[column]:
            changed[counted_as] += 1
            return RARE_COLUMNS[column]
        return value

    def swap_all(values: list[Any], column: str, counted_as: str) -> list[Any]:
        out: list[Any] = []
        for value in values:
            new = swap(column, value, counted_as)
            if new not in out:
                out.append(new)
        return out

    for row in rows:
        for column in _SCALAR_COLUMNS:
            setattr(row, column, swap(column, getattr(row, column), column))
        row.rules_checked = swap_all(row.rules_checked, "rule_ids", "rules_checked")
        row.violated_rules = swap_all(row.violated_rules, "rule_ids", "violated_rules")
        row.coordination = sorted(swap_all(row.coordination, "service", "coordination"), key=label_order)
    return dict(sorted(changed.items()))
