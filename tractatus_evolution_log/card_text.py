"""The evolution log's own card sections, generated from the events and the manifest."""

from __future__ import annotations

from collections.abc import Sequence

from tractatus_datasets.card import CardContent, gate_sentence, markdown_table
from tractatus_datasets.manifest import Manifest
from tractatus_evolution_log.events import Event
from tractatus_evolution_log.vocab import DatePrecision

__all__ = ["card_content"]

SUMMARY = """\
How the [Tractatus](https://github.com/AgenticGovernance/tractatus-framework) AI governance
framework changed and why: the incidents that exposed its gaps, the rules and services added in
answer, the architecture changes, releases and publications. One row of `full` is one dated event
with its account in Markdown; `incidents` holds the incident reports with their root cause and
response, linked to the decisions of the
[Audit Decision Corpus](https://huggingface.co/datasets/tractatus-framework/audit-decisions);
`aggregated` counts events per month and kind next to the number of active rules and services."""

DATES = """\
Dates are calendar dates as the sources give them, in New Zealand time, where the framework was
built (UTC+13 in October 2025). `date_precision` says how much of the date is known:

* `day`: the sources give the day; `end_date` is set when the event spans several days;
* `month` and `quarter`: `date` is the first day of the period, and only the period is known;
* `estimated`: the sources give no date; the event is placed within `date`..`end_date` (or on
  `date`) from its context, and the account says why.

`aggregated` counts an event in the month of its `date`; `approximate` says how many of a cell's
events are dated less precisely than to the day."""

METHOD = """\
Every event is taken from the public repository of the framework: its documentation, case
studies, research paper, changelog and git history (each row's `references` names the documents
and commits). The accounts are written for this dataset rather than copied. Severity is the
sources' classification where they give one (the fabricated-statistics case study calls its
incident CRITICAL) and otherwise the editors' reading of the impact the sources describe.
Nothing was smoothed over: where the sources contradict each other, both versions are kept and
the disagreement is recorded in `disagreements` (all of them are listed in the next section)."""

PRIVACY = """\
The events describe the framework's public history and name no person. Commit ids, document
names and rule ids are kept because they let anyone check an account against its source; the
audit decisions linked to incidents are counted here, never copied."""

LIMITS = """\
* The public repository's history was rewritten when the framework was first published; older
  commits survive only where other documents cite them, so some events cannot be dated exactly.
* The name "27027 incident" belongs to two different stories: the canonical port-override failure
  and, in the research paper, a skipped session handoff. Both are here, under different ids.
* Rule and service counts are the sources' own counts at the dates they give them; counts between
  those dates are not known and are not interpolated."""


def _date(event: Event) -> str:
    meta = event.meta
    if meta.date_precision is DatePrecision.MONTH:
        return meta.date.strftime("%Y-%m")
    if meta.date_precision is DatePrecision.QUARTER:
        return f"{meta.date.year}-Q{(meta.date.month - 1) // 3 + 1}"
    text = meta.date.isoformat() + (f" → {meta.end_date.isoformat()}" if meta.end_date else "")
    return f"{text} (estimated)" if meta.date_precision is DatePrecision.ESTIMATED else text


def _timeline(events: Sequence[Event]) -> str:
    return markdown_table(
        ["date", "kind", "event", "id"],
        [(_date(e), e.meta.kind.value, e.meta.title, f"`{e.meta.id}`") for e in events],
    )


def _disagreements(events: Sequence[Event]) -> str:
    lines = [
        f"* **{event.meta.title}** (`{event.meta.id}`): {sentence}"
        for event in events
        for sentence in event.meta.disagreements
    ]
    return "\n".join(lines) or "The sources agree on every event."


def _links(manifest: Manifest) -> str:
    rule = (
        "An audit decision of the corpus' `incidents` config belongs to an incident when its time "
        "falls within the incident's period (`window_start` to `window_end`, the New Zealand days of "
        "its dates) and it violated at least one of the incident's `instructions`; when several "
        "incidents match, the one with the shortest period wins, then the one sharing more rules, "
        "then the smaller id. The audit export fills `incident_id` with the same rule."
    )
    version = manifest.options.get("audit_release")
    if version is None:
        return rule + "\n\nThis release was built without an audit release: `linked_decisions` is null."
    examined = manifest.options.get("audit_decisions_examined", 0)
    counted = f"`linked_decisions` counts the {examined:,} decisions of audit corpus release {version}."
    if manifest.options.get("audit_release_synthetic"):
        counted += (
            " That release was built from the synthetic sample with the public demo key, so these counts "
            "describe no real decision."
        )
    return f"{rule}\n\n{counted}"


def card_content(manifest: Manifest, events: Sequence[Event]) -> CardContent:
    return CardContent(
        summary=SUMMARY,
        sections=[
            ("Timeline", _timeline(events)),
            ("Dates and their precision", DATES),
            ("Sources and method", METHOD),
            ("Where the sources disagree", _disagreements(events)),
            ("Links to the audit corpus", _links(manifest)),
            ("Privacy", PRIVACY + "\n\n" + gate_sentence(manifest)),
            ("Limitations", LIMITS),
        ],
    )
