"""Read a folder of event files (YAML front matter + Markdown body) into checked events.

Every problem of every file is collected, each with its file, line and field; if there is any, the
whole folder is refused (`ProblemsFound`, exit 1) and nothing is written. The checks are the JSON
Schema generated from `EventFrontMatter`, then what a schema cannot say: dates that fit their
precision, no date in the future, unique ids, incident fields on incidents only, a non-empty body.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tractatus_datasets.errors import Problem, ProblemsFound, UsageError
from tractatus_datasets.frontmatter import Document, DocumentError, read_document, schema_problems
from tractatus_datasets.schemas import model_schema, schema_id
from tractatus_datasets.sources import files_digest
from tractatus_evolution_log.models import INCIDENT_FIELDS, EventFrontMatter
from tractatus_evolution_log.vocab import REPO_ID, SOURCE_TIMEZONE, DatePrecision, EventKind

__all__ = ["SHIPPED_EVENTS", "Event", "EventSource", "front_matter_schema", "read_events"]

SHIPPED_EVENTS = Path(__file__).resolve().parent / "events"
_SUFFIX = ".md"


@dataclass(frozen=True)
class Event:
    """One checked event: its front matter, its Markdown body, and the file it came from."""

    meta: EventFrontMatter
    body: str
    file: str

    @property
    def last_day(self) -> dt.date:
        return self.meta.end_date or self.meta.date


@dataclass(frozen=True)
class EventSource:
    """The events of one folder, with what identifies the folder's content exactly."""

    events: list[Event]
    digest: str  # sha256 over every file's name and bytes
    files: int
    ignored: list[str] = field(default_factory=list)  # files that are not event files


@cache
def front_matter_schema() -> dict[str, Any]:
    """The JSON Schema the front matter is checked against, generated from `EventFrontMatter`
    (checked in as `schemas/evolution_log/source-event.schema.json`)."""
    return model_schema(
        EventFrontMatter,
        schema_id(REPO_ID, "source-event"),
        "YAML front matter of one event file of the Framework Evolution Log",
        mode="validation",
    )


def _date_problems(doc: Document, meta: EventFrontMatter, today: dt.date) -> list[Problem]:
    problems = []
    precision, date = meta.date_precision, meta.date
    if precision is DatePrecision.MONTH and date.day != 1:
        problems.append(doc.problem(["date"], f"precision 'month' needs the first of the month, not {date}"))
    if precision is DatePrecision.QUARTER and (date.day != 1 or date.month not in (1, 4, 7, 10)):
        problems.append(
            doc.problem(["date"], f"precision 'quarter' needs the first day of a quarter, not {date}")
        )
    if meta.end_date is not None:
        if precision in (DatePrecision.MONTH, DatePrecision.QUARTER):
            problems.append(
                doc.problem(["end_date"], f"precision {precision.value!r} already spans its period")
            )
        elif meta.end_date < date:
            problems.append(doc.problem(["end_date"], f"{meta.end_date} is before date {date}"))
    for name in ("date", "end_date"):
        value = getattr(meta, name)
        if value is not None and value > today:
            problems.append(doc.problem([name], f"{value} is in the future (today is {today})"))
    return problems


def _content_problems(doc: Document, meta: EventFrontMatter) -> list[Problem]:
    problems = []
    if meta.kind is not EventKind.INCIDENT:
        for name in INCIDENT_FIELDS:
            if getattr(meta, name) is not None:
                problems.append(
                    doc.problem([name], f"only incidents have {name}; this event is a {meta.kind.value}")
                )
    if not doc.body.strip():
        problems.append(Problem(doc.name, None, None, "the Markdown body is empty; say what happened"))
    return problems


def _check(doc: Document, today: dt.date) -> tuple[EventFrontMatter | None, list[Problem]]:
    problems = schema_problems(doc, front_matter_schema())
    if problems:
        return None, problems
    try:
        meta = EventFrontMatter.model_validate(doc.data)
    except ValidationError as error:  # the schema and the model agree; this is a safety net
        return None, [doc.problem([str(step) for step in e["loc"]], e["msg"]) for e in error.errors()]
    found = _date_problems(doc, meta, today) + _content_problems(doc, meta)
    return meta, sorted(found, key=lambda problem: problem.line or 0)


def _files(folder: Path) -> tuple[list[Path], list[str]]:
    if not folder.is_dir():
        raise UsageError(f"--source {folder} is not a folder of event files (*{_SUFFIX})")
    paths = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    events = [p for p in paths if p.suffix == _SUFFIX]
    if not events:
        raise UsageError(f"--source {folder} holds no event files (*{_SUFFIX})")
    return events, [p.name for p in paths if p.suffix != _SUFFIX]


def read_events(folder: Path, today: dt.date | None = None) -> EventSource:
    """Every event of `folder` in (date, id) order, or ProblemsFound listing every problem."""
    today = today or dt.datetime.now(SOURCE_TIMEZONE).date()  # the calendar the events are dated in
    paths, ignored = _files(folder)
    events: list[Event] = []
    problems: list[Problem] = []
    first_file: dict[str, str] = {}
    for path in paths:
        try:
            doc = read_document(path, path.name)
        except DocumentError as error:
            problems.append(error.problem)
            continue
        meta, found = _check(doc, today)
        problems += found
        if meta is None:
            continue
        if meta.id in first_file:
            problems.append(doc.problem(["id"], f"{meta.id!r} is already the id of {first_file[meta.id]}"))
        first_file.setdefault(meta.id, doc.name)
        events.append(Event(meta, doc.body.strip() + "\n", doc.name))
    if problems:
        raise ProblemsFound(
            problems, f"{len(problems)} problem(s) in the event files of {folder}; nothing was written"
        )
    events.sort(key=lambda e: (e.meta.date, e.meta.id))
    return EventSource(events, files_digest((p.name, p) for p in paths), len(paths), ignored)
