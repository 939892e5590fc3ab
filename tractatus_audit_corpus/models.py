"""Row models of the three configs: the single source of their Features, JSON Schemas and card tables.

Every string column either holds a keyed pseudonym or a value from a closed vocabulary, so no
free text of the source can reach a release through these models.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from datasets import ClassLabel
from pydantic import BaseModel, ConfigDict, Field

from tractatus_audit_corpus.mapping import KNOWN_VERDICTS
from tractatus_audit_corpus.vocab import (
    BOUNDARIES,
    RARE_STRING,
    RULE_ID_PATTERN,
    Action,
    Decision,
    Domain,
    IncidentReason,
    Outcome,
    PressureLevel,
    Service,
    Severity,
    SourceFormat,
)
from tractatus_datasets.features import Float32, UtcDate, UtcTimestamp, features_of, is_nullable

__all__ = ["AggregatedRow", "FullRow", "IncidentRow", "check_rows"]

LABELS = [label for _, label in BOUNDARIES.values()]


def _literal(text: str) -> str:
    """Escape only regex metacharacters: the schemas must also be valid ECMA-262 (JSON Schema) patterns."""
    return re.sub(r"([.()\[\]{}+*?^$|\\])", r"\\\1", text)


PSEUDONYM_PATTERN = r"^[0-9a-f]{32}$"
VERDICT_PATTERN = "^(?:" + "|".join(KNOWN_VERDICTS) + ")$"
BOUNDARY_PATTERN = "^(?:" + "|".join(_literal(label) for label in [*LABELS, RARE_STRING]) + ")$"
RuleId = Annotated[str, Field(pattern=RULE_ID_PATTERN)]
Pseudonym = Annotated[str, Field(pattern=PSEUDONYM_PATTERN)]


class FullRow(BaseModel):
    """One governance decision taken by one framework service."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    decision_id: Pseudonym = Field(
        description="Keyed HMAC-SHA256 pseudonym of the source record id; stable across releases"
    )
    timestamp: UtcTimestamp = Field(
        description="When the decision was recorded, in UTC, coarsened (default: to the minute)"
    )
    session: Pseudonym | None = Field(
        description="Keyed pseudonym of the session id; null for shapes that record no session"
    )
    service: Service = Field(
        description="Framework service that decided; derived from `action` when the source kept Mongoose's default"
    )
    action: Action = Field(
        description="Action code of the audited call; `other` for codes outside the vocabulary"
    )
    decision: Decision = Field(
        description="The service's verdict in one vocabulary: allow, warn, ask (a human must decide) or block"
    )
    verdict: Annotated[str, Field(pattern=VERDICT_PATTERN)] = Field(
        description="The service's own verdict, e.g. PROCEED_WITH_CAUTION, REJECTED, BLOCKED; OTHER when rare"
    )
    outcome: Outcome = Field(
        description="What happened to the action: the decision, corrected by the recorded `allowed` flag"
    )
    boundary: Annotated[str, Field(pattern=BOUNDARY_PATTERN)] | None = Field(
        description="Tractatus boundary involved, as section and name, e.g. `12.2 Innovation`; `other` when rare"
    )
    domain: Domain = Field(description="Quadrant of the decision; UNKNOWN when the source has none")
    context_pressure: PressureLevel = Field(
        description="Context pressure level: the row's own, else that of the session's latest pressure analysis"
    )
    pressure_score: Float32 | None = Field(
        ge=0, le=1, description="Overall pressure score (0–1) that goes with `context_pressure`"
    )
    coordination: list[Service] = Field(
        description="Other services that decided in the same session within the coordination window"
    )
    rules_checked: list[RuleId] = Field(
        description="Rule ids (inst_NNN), boundary keys or check names evaluated; never rule text"
    )
    violated_rules: list[RuleId] = Field(
        description="Rule ids, boundary keys or check names violated; never rule text"
    )
    severity: Severity | None = Field(
        description="Highest severity among the violations; null when there are none"
    )
    duration_ms: Float32 | None = Field(
        ge=0, description="Duration of the check in milliseconds, when recorded"
    )
    source_format: SourceFormat = Field(description="Which source shape the row came from")


class IncidentRow(FullRow):
    """A decision that was blocked, warned, sent to a human, or taken under HIGH or worse pressure."""

    incident_reasons: list[IncidentReason] = Field(
        description="Why the decision is in this config (one or more)"
    )
    incident_id: str | None = Field(
        description="Id of the matching incident in the Framework Evolution Log, when one matches"
    )


class AggregatedRow(BaseModel):
    """Decisions counted per day, service, decision, outcome, context pressure and boundary."""

    model_config = ConfigDict(extra="forbid")

    day: UtcDate = Field(description="UTC day")
    service: Service = Field(description="Framework service")
    decision: Decision = Field(description="Normalised decision")
    outcome: Outcome = Field(description="What happened to the action")
    context_pressure: PressureLevel = Field(description="Context pressure level")
    boundary: str | None = Field(description="Tractatus boundary label, when one was involved")
    count: int | None = Field(
        ge=1, description="Number of decisions in the cell; null when fewer than the k threshold (suppressed)"
    )
    sessions: int | None = Field(
        ge=0, description="Number of distinct sessions among them; null when suppressed"
    )


# The model's patterns as RE2 (Arrow's engine) reads them: RE2's `\d` is ASCII only, Python's
# and the model's are every decimal digit.
_RE2_RULE_ID = RULE_ID_PATTERN.replace(r"\d", r"\p{Nd}")
_LABEL_COUNTS = {
    name: feature.num_classes
    for name, feature in features_of(FullRow).items()
    if isinstance(feature, ClassLabel)
}
_REQUIRED = [name for name, field in FullRow.model_fields.items() if not is_nullable(field)]


def _outside(column: pa.ChunkedArray, allowed: Sequence[str]) -> pa.ChunkedArray:
    """Where a value is present and not one of `allowed`."""
    return pc.and_(pc.is_valid(column), pc.invert(pc.is_in(column, pa.array(allowed))))


def _broken(table: pa.Table) -> dict[str, pa.Array]:
    """Per column, where the stored `full` rows break a constraint of `FullRow` (a bool per row)."""
    broken = {name: pc.invert(pc.is_valid(table[name])) for name in _REQUIRED}
    for name in ("decision_id", "session"):
        broken[f"{name} pattern"] = pc.invert(pc.match_substring_regex(table[name], PSEUDONYM_PATTERN))
    broken["verdict vocabulary"] = _outside(table["verdict"], KNOWN_VERDICTS)
    broken["boundary vocabulary"] = _outside(table["boundary"], [*LABELS, RARE_STRING])
    for name, count in _LABEL_COUNTS.items():
        broken[f"{name} label"] = pc.or_(pc.less(table[name], 0), pc.greater_equal(table[name], count))
    broken["pressure_score range"] = pc.or_(
        pc.less(table["pressure_score"], 0), pc.greater(table["pressure_score"], 1)
    )
    broken["duration_ms range"] = pc.less(table["duration_ms"], 0)
    for name in ("rules_checked", "violated_rules"):
        column = table[name].combine_chunks()
        ids = pc.list_flatten(column).dictionary_encode()  # rows repeat lists: each id is matched once
        bad = pc.invert(pc.match_substring_regex(ids.dictionary, _RE2_RULE_ID).take(ids.indices))
        rows = np.zeros(len(table), bool)
        rows[pc.list_parent_indices(column).filter(bad).to_numpy()] = True
        broken[f"{name} pattern"] = pa.array(rows)
    return broken


def broken_rows(table: pa.Table) -> np.ndarray:
    """A bool per stored `full` row: whether it breaks any constraint of `FullRow`."""
    broken = np.zeros(len(table), bool)
    for mask in _broken(table).values():
        broken |= pc.fill_null(mask, False).to_numpy(zero_copy_only=False)
    return broken


def check_rows(table: pa.Table) -> None:
    """Check stored `full` rows against `FullRow`'s constraints, column by column, with Arrow.

    The per-record stages build their rows as columns, without a model object per row; this is
    their schema validation. A row that breaks a constraint is a defect of the stages, not of the
    source: `ValueError`, naming the constraint and the first row.
    """
    for constraint, mask in _broken(table).items():
        if pc.any(mask).as_py():
            first = pc.index(mask, True).as_py()
            raise ValueError(f"row {first} breaks the FullRow constraint on {constraint}")
