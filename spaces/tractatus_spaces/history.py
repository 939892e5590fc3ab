"""The Framework Evolution Log as the dashboard shows it: its events on a time axis, one lane per
kind, each opening its account; and the incident reports that share one name, side by side.

Every text of the release is escaped (SVG and HTML) or shown literally (Markdown): the release is
data, never markup.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from typing import Any

from tractatus_spaces import page

__all__ = ["KIND_COLOURS", "TIMELINE_JS", "incident_markdown", "timeline_html"]

KIND_COLOURS = ["#c0392b", "#3b7dd8", "#8e44ad", "#e67e22", "#4c9a2a", "#16a085", "#7f8c8d"]


def timeline_html(events: list[dict[str, Any]], kinds: Sequence[str]) -> str:
    """The events on a time axis, one lane per kind: a dot for a known day, a bar for a span (a
    range, a month, an estimate); each mark opens the event's account below it."""
    if not events:
        return "<p>No event of the Evolution Log falls in this range.</p>"
    first = min(event["start"] for event in events)
    last = max(event["end"] for event in events) + dt.timedelta(days=1)
    days = max((last - first).days, 1)
    left, width, lane = 170, 820, 34
    lanes = [kind for kind in kinds if any(event["kind"] == kind for event in events)]
    height = 40 + lane * len(lanes)

    def x(day: dt.date) -> float:
        return float(left + width * (day - first).days / days)

    parts = [f'<svg viewBox="0 0 1000 {height}" width="100%" role="img" aria-label="Evolution timeline">']
    for i, kind in enumerate(lanes):
        y = 20 + i * lane
        parts.append(
            f'<text x="{left - 10}" y="{y + 5}" text-anchor="end" font-size="12">{html.escape(kind)}</text>'
        )
        parts.append(f'<line x1="{left}" x2="{left + width}" y1="{y}" y2="{y}" stroke="#ddd"/>')
    for month in _months(first, last):
        if x(month) > left + width - 40:  # no room left for its label
            break
        parts.append(
            f'<text x="{x(month):.1f}" y="{height - 4}" font-size="10" fill="#666">{month:%Y-%m}</text>'
            f'<line x1="{x(month):.1f}" x2="{x(month):.1f}" y1="8" y2="{height - 16}" stroke="#f0f0f0"/>'
        )
    for event in events:
        y = 20 + lanes.index(event["kind"]) * lane
        colour = KIND_COLOURS[list(kinds).index(event["kind"]) % len(KIND_COLOURS)]
        when = f"{event['start']}" + (f" to {event['end']}" if event["end"] != event["start"] else "")
        mark = (
            f'<circle cx="{x(event["start"]) + 2:.1f}" cy="{y}" r="6" fill="{colour}"/>'
            if event["end"] == event["start"]
            else f'<rect x="{x(event["start"]):.1f}" y="{y - 6}" height="12" rx="3" fill="{colour}" '
            f'fill-opacity="0.45" stroke="{colour}" stroke-dasharray="3 2" '
            f'width="{max(x(event["end"] + dt.timedelta(days=1)) - x(event["start"]), 4):.1f}"/>'
        )
        parts.append(
            f'<g class="event" data-event="{html.escape(event["id"])}" style="cursor:pointer">'
            f"<title>{html.escape(event['title'])} ({when}, {event['date_precision']})</title>{mark}</g>"
        )
    parts.append("</svg>")
    parts.append('<p class="hint">Click an event to read its account.</p>')
    for event in events:
        parts.append(_account(event))
    return "".join(parts)


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], dt.date(first.year, first.month, 1)
    step = max(1, round(((last - first).days / 30) / 12))  # at most about a dozen labels
    while month < last:
        if month >= first:
            months.append(month)
        index = month.month - 1 + step
        month = dt.date(month.year + index // 12, index % 12 + 1, 1)
    return months


def _account(event: dict[str, Any]) -> str:
    def known(value: Any) -> str:
        return "not known" if value is None else str(value)

    body = "".join(
        f"<p>{html.escape(part.strip())}</p>" for part in event["body"].split("\n\n") if part.strip()
    )
    disagreements = "".join(f"<li>{html.escape(text)}</li>" for text in event["disagreements"])
    return (
        f'<section class="account" data-event="{html.escape(event["id"])}" hidden>'
        f"<h4>{html.escape(event['title'])}</h4>"
        f"<p><b>{html.escape(event['kind'])}</b> · {event['start']}"
        + (f" to {event['end']}" if event["end"] != event["start"] else "")
        + f" ({html.escape(event['date_precision'])}) · active rules: {known(event['active_rules'])} · "
        f"active services: {known(event['active_services'])}</p>{body}"
        + (f"<p><b>The sources disagree:</b></p><ul>{disagreements}</ul>" if disagreements else "")
        + "</section>"
    )


# Shows the account of the event clicked; the marks and accounts are drawn by timeline_html.
TIMELINE_JS = """
element.addEventListener('click', (e) => {
  const mark = e.target.closest('[data-event]');
  if (!mark || mark.tagName === 'SECTION') return;
  for (const section of element.querySelectorAll('section.account'))
    section.hidden = section.dataset.event !== mark.dataset.event;
});
"""


def incident_markdown(named: list[dict[str, Any]], name: str) -> str:
    """The incident reports that carry `name` (the sources give "the 27027 incident" to two), side
    by side with where they disagree."""
    if not named:
        return f"The Evolution Log has no incident named {name}."
    lines = [
        f"The sources disagree about which event is **the {name} incident**: "
        f"{len(named)} incident reports carry the name. Both are shown, as the Evolution Log records them."
    ]
    for incident in named:
        linked = incident["linked_decisions"]
        lines += [
            "",
            f"### {page.literal(incident['title'])}",
            f"`{incident['incident_id']}` · {incident['date']}"
            + (f" to {incident['end_date']}" if incident["end_date"] else "")
            + f" ({incident['date_precision']}) · severity {incident['severity']}",
            "",
            f"**Account.** {page.literal(incident['body'])}",
            "",
            f"**Root cause.** {page.literal(incident['root_cause'])}",
            "",
            f"**Response.** {page.literal(incident['response'])}",
            "",
            "**Rules it produced:** "
            + (", ".join(f"`{rule}`" for rule in incident["instructions"]) or "none recorded"),
            "",
            "**Linked audit decisions:** "
            + (
                "not linked (the Evolution Log was built without an audit release)"
                if linked is None
                else f"{linked:,} (blocked, warned or escalated decisions in its window that violated one of its rules)"
            ),
            "",
            "**Where the sources disagree:**",
            *(f"- {page.literal(text)}" for text in incident["disagreements"]),
        ]
    lines += [
        "",
        "The plot compares the decision mix in the UTC days each incident's window touches with as many "
        "days just before and just after, within the filters above.",
    ]
    return "\n".join(lines)
