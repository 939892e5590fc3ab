"""Row models of the three configs; the event front matter is the `full` row without its body.

One model, everything derived: `EventFrontMatter`'s JSON Schema validates the source files, and
`FullRow` (the same fields plus the body) gives the `full` config's Features and schema file.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from tractatus_datasets.features import LocalDate, UtcTimestamp
from tractatus_evolution_log.vocab import (
    EVENT_ID_PATTERN,
    INSTRUCTION_PATTERN,
    Component,
    DatePrecision,
    EventKind,
    Severity,
)

__all__ = ["INCIDENT_FIELDS", "AggregatedRow", "EventFrontMatter", "FullRow", "IncidentRow"]

EventId = Annotated[str, Field(pattern=EVENT_ID_PATTERN)]
Instruction = Annotated[str, Field(pattern=INSTRUCTION_PATTERN)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]

INCIDENT_FIELDS = ("severity", "root_cause", "response")

# An incident must say how bad it was, why it happened and what answered it.
_INCIDENTS_NEED_A_REPORT: dict[str, Any] = {
    "if": {"properties": {"kind": {"const": EventKind.INCIDENT.value}}, "required": ["kind"]},
    "then": {
        "required": list(INCIDENT_FIELDS),
        "properties": {name: {"not": {"type": "null"}} for name in INCIDENT_FIELDS},
    },
}

_DATE = "First day the event is dated to, as its sources date it (New Zealand calendar)"
_SERVICES = "Framework services and parts the event involved"
_INSTRUCTIONS = "Rule ids the event involved or added (inst_NNN, STR-001, TRA-VAL-0001); never rule text"
_REFERENCES = "Public sources the event is taken from: documents, commits, tags"
_DISAGREEMENTS = "Where the sources disagree about this event, each in one sentence"
_SEVERITY = "How serious: the sources' classification where they give one, else the editors' reading"


class EventFrontMatter(BaseModel):
    """The YAML front matter of one event file."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_INCIDENTS_NEED_A_REPORT)

    id: EventId = Field(description="Stable event id, lower case with hyphens; incidents are linked by it")
    date: LocalDate = Field(description=_DATE)
    date_precision: DatePrecision = Field(description="How exactly the date is known")
    end_date: LocalDate | None = Field(
        default=None, description="Last day, for events spanning several days or placed within a range"
    )
    kind: EventKind = Field(description="What sort of change the event was")
    title: Annotated[str, Field(min_length=1, max_length=200)] = Field(description="Short title")
    services: list[Component] = Field(default_factory=list, description=_SERVICES)
    instructions: list[Instruction] = Field(default_factory=list, description=_INSTRUCTIONS)
    framework_version: Annotated[str, Field(pattern=r"^\S{1,40}$")] | None = Field(
        default=None, description="Version string the event introduced or named, when there is one"
    )
    references: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, description=_REFERENCES
    )
    disagreements: list[Text] = Field(default_factory=list, description=_DISAGREEMENTS)
    active_rules: Annotated[int, Field(ge=0)] | None = Field(
        default=None, description="Active governance rules after the event, when the sources count them"
    )
    active_services: Annotated[int, Field(ge=0)] | None = Field(
        default=None,
        description="Framework services in the roster after the event, when the sources count them",
    )
    severity: Severity | None = Field(default=None, description=f"Incidents only. {_SEVERITY}")
    root_cause: Text | None = Field(default=None, description="Incidents only. Why it happened")
    response: Text | None = Field(
        default=None, description="Incidents only. What the framework changed in answer"
    )


class FullRow(EventFrontMatter):
    """One event in the framework's history, with its account in Markdown."""

    body: str = Field(description="The account of the event, in Markdown")


class IncidentRow(BaseModel):
    """One incident report, with the window that links audit decisions to it."""

    model_config = ConfigDict(extra="forbid")

    incident_id: EventId = Field(
        description="The event id; the audit corpus' `incidents.incident_id` refers to it"
    )
    date: LocalDate = Field(description=_DATE)
    date_precision: DatePrecision = Field(description="How exactly the date is known")
    end_date: LocalDate | None = Field(
        description="Last day, when the incident spans or is placed within a range"
    )
    title: str = Field(description="Short title")
    severity: Severity = Field(description=_SEVERITY)
    root_cause: str = Field(description="Why it happened")
    response: str = Field(description="What the framework changed in answer")
    services: list[Component] = Field(description=_SERVICES)
    instructions: list[Instruction] = Field(description=_INSTRUCTIONS)
    window_start: UtcTimestamp = Field(description="Start of the dated period in UTC (inclusive)")
    window_end: UtcTimestamp = Field(description="End of the dated period in UTC (exclusive)")
    linked_decisions: Annotated[int, Field(ge=0)] | None = Field(
        description="Audit-corpus `incidents` rows in the window that violated one of `instructions`; "
        "null when the release was built without an audit release"
    )
    references: list[str] = Field(description=_REFERENCES)
    disagreements: list[str] = Field(description=_DISAGREEMENTS)
    body: str = Field(description="The account of the incident, in Markdown")


class AggregatedRow(BaseModel):
    """Events counted per month and kind, with the rule and service counts known by the month's end."""

    model_config = ConfigDict(extra="forbid")

    month: LocalDate = Field(description="First day of the month (the month of `date`)")
    kind: EventKind = Field(description="Kind of event")
    events: Annotated[int, Field(ge=1)] = Field(
        description="Number of events of this kind dated to this month"
    )
    approximate: Annotated[int, Field(ge=0)] = Field(
        description="How many of them are dated less precisely than to the day"
    )
    active_rules: Annotated[int, Field(ge=0)] | None = Field(
        description="Latest count of active rules the sources give by the end of the month; null before the first"
    )
    active_services: Annotated[int, Field(ge=0)] | None = Field(
        description="Latest count of framework services the sources give by the end of the month; null before the first"
    )
