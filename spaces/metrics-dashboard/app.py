"""Governance Metrics Dashboard: what the Tractatus framework's services did, at a glance.

Reads the Audit Decision Corpus' `aggregated` config (decisions counted per day and label, cells of
fewer than k decisions masked) and the Framework Evolution Log. No row of any decision is read.

    python app.py --data build/audit-decisions --events build/evolution-log
    python app.py --dataset tractatus-framework/audit-decisions --revision v1.0.0 \\
        --events-dataset tractatus-framework/evolution-log --events-revision v1.0.0

Pushed to a Space with the shared `tractatus_spaces` package beside it, this folder is the whole
app. Gradio's analytics are off, DuckDB fetches no extension, and the timeline is drawn here.
"""

import argparse
import datetime as dt
import html
import importlib.util
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if importlib.util.find_spec("tractatus_spaces") is None:  # a clone, not installed: it is beside this folder
    sys.path.append(str(Path(__file__).resolve().parents[1]))

import pandas as pd  # gradio's own dependency; only the small plot tables become frames

from tractatus_spaces import page
from tractatus_spaces import release as shared
from tractatus_spaces.aggregates import BOUNDARIES, Aggregates, Scope, Table
from tractatus_spaces.events import Events
from tractatus_spaces.release import FilterError

if TYPE_CHECKING:
    import gradio as gr

__all__ = [
    "SOURCES",
    "Dashboard",
    "Views",
    "build_app",
    "headline",
    "launch",
    "main",
    "open_dashboard",
    "overlaps",
    "timeline_html",
]

SOURCES = shared.Sources("aggregated")  # only k-suppressed cells, and the Evolution Log

NAMED_INCIDENT = "27027"
COLOURS = {
    **page.COLOURS["pressure"],
    **page.COLOURS["decision"],
    "blocked": "#c0392b",
    "sent to a human": "#3b7dd8",
    "went ahead": "#9bbf85",
}
KIND_COLOURS = ["#c0392b", "#3b7dd8", "#8e44ad", "#e67e22", "#4c9a2a", "#16a085", "#7f8c8d"]
BANDS = """\
**Pressure levels** (ContextPressureMonitor's thresholds on its 0–1 score, a weighted sum of token
use 35%, conversation length 25%, task complexity 15%, error frequency 15% and instruction density 10%):

| level | score | what the monitor asks for |
|---|---|---|
| NORMAL | below 0.30 | proceed |
| ELEVATED | 0.30 to 0.50 | increase verification |
| HIGH | 0.50 to 0.70 | mandatory verification |
| CRITICAL | 0.70 to 0.85 | recommend a context refresh |
| DANGEROUS | 0.85 and above | require human intervention |

UNKNOWN: no pressure analysis was recorded for the decision or its session. The framework's own
documents give other bands in places; these are the code's."""
PRINCIPLES = (
    "**The boundaries** (BoundaryEnforcer's TRACTATUS_BOUNDARIES): "
    + "; ".join(f"**{name}**: {principle}" for name, principle in BOUNDARIES.items())
    + ". Decisions of `other` boundaries and the `ERROR (fail-safe)` label are listed after them."
)
COORDINATION_NOTE = """\
**Which services decide together** is recorded per decision (the `coordination` column of the
`full` config), and this dashboard reads only the k-suppressed `aggregated` counts, which do not
carry it: summing it would need row-level data. Open the **Audit Log Viewer** to see, for any
decision, the services that coordinated on it. BoundaryEnforcer and ContextPressureMonitor
decisions come in pairs, because the framework's hook runs both on the same trigger."""


def _frame(table: Table, columns: Sequence[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(table.rows, columns=table.columns)
    for name in frame.columns:
        if name == "period":
            frame[name] = frame[name].astype(str)
    return frame if columns is None else frame[list(columns)]


@dataclass(frozen=True)
class Views:
    """Everything one "Apply" shows: the status line and, per view, what is plotted."""

    status: str
    pressure: pd.DataFrame  # period, context_pressure, decisions, share
    services: pd.DataFrame  # period, service, decisions, share
    boundaries: pd.DataFrame  # boundary, principle, decisions, blocked, sent_to_human, shares
    boundary_stack: pd.DataFrame  # boundary, outcome (blocked, sent to a human, went ahead), decisions
    boundary_time: pd.DataFrame  # period, boundary, decisions, share_stopped
    boundary_overlaps: str  # the boundaries whose points lie on one another, Markdown
    events: pd.DataFrame  # the timeline's events
    counts: pd.DataFrame  # date, measure (active rules, active services), value
    timeline: str  # the timeline drawn as SVG, with each event's account
    incident: str  # the 27027 deep dive, Markdown
    mix: pd.DataFrame  # incident, period, decision, decisions, share


@dataclass
class Dashboard:
    """The two releases a dashboard shows."""

    audit: shared.Opened
    events_release: shared.Opened | None = None
    cells: Aggregates = field(init=False)
    events: Events | None = field(init=False)

    def __post_init__(self) -> None:
        self.cells = Aggregates(self.audit)
        self.events = Events(self.events_release) if self.events_release else None

    @property
    def services(self) -> list[str]:
        return list(self.cells.labels["service"])

    def views(self, scope: Scope, period: str = "day") -> Views:
        """Every view for `scope`; a FilterError names a bad date, service or period."""
        totals = self.cells.totals(scope)
        decisions, cells = totals.rows[0]
        pressure = self.cells.over_time(scope, "context_pressure", period)
        services = self.cells.over_time(scope, "service", period)
        boundaries = self._boundaries(scope)
        boundary_time = _frame(self.cells.boundary_over_time(scope, period))
        events = self.events.timeline(*self._days(scope), tuple(scope.services)) if self.events else []
        incident, mix = self._incident(scope)
        return Views(
            status=_status(scope, int(decisions), int(cells), totals.masked, self.audit.manifest),
            pressure=_frame(pressure),
            services=_frame(services),
            boundaries=boundaries,
            boundary_stack=_stack(boundaries),
            boundary_time=boundary_time,
            boundary_overlaps=overlaps(boundary_time),
            events=_events_frame(events),
            counts=_counts_frame(events),
            timeline=timeline_html(events, self.events.labels.get("kind", []) if self.events else []),
            incident=incident,
            mix=mix,
        )

    @staticmethod
    def _days(scope: Scope) -> tuple[dt.date | None, dt.date | None]:
        return shared.date_range(scope.start, scope.end)

    def _boundaries(self, scope: Scope) -> pd.DataFrame:
        found = {row[0]: row[1:] for row in self.cells.by_boundary(scope).rows}
        rows = []
        for name in [*BOUNDARIES, *sorted(set(found) - set(BOUNDARIES))]:
            decisions, blocked, human = found.get(name, (0, 0, 0))
            rows.append(
                (
                    name,
                    BOUNDARIES.get(name, "not one of the six boundaries"),
                    decisions,
                    blocked,
                    human,
                    round(blocked / decisions, 4) if decisions else None,
                    round(human / decisions, 4) if decisions else None,
                )
            )
        columns = ["boundary", "principle", "decisions", "blocked", "sent_to_human"]
        return pd.DataFrame(rows, columns=[*columns, "share_blocked", "share_sent_to_human"])

    def _incident(self, scope: Scope) -> tuple[str, pd.DataFrame]:
        columns = ["incident", "period", "first_day", "last_day", "decision", "decisions", "share"]
        if self.events is None:
            return "No Framework Evolution Log was given (`--events`), so there is no incident to show.", (
                pd.DataFrame([], columns=columns)
            )
        named = self.events.named(NAMED_INCIDENT)
        rows = []
        for incident in named:
            for label, days in _around(incident["window_start"], incident["window_end"]):
                mix = self.cells.mix(scope, days)
                rows += [(incident["incident_id"], label, *days, *row) for row in mix.rows]
        frame = pd.DataFrame(rows, columns=columns)
        for name in ("first_day", "last_day"):
            frame[name] = frame[name].astype(str)
        return incident_markdown(named), frame


def _around(start: dt.datetime, end: dt.datetime) -> list[tuple[str, tuple[dt.date, dt.date]]]:
    """The UTC days an incident's window touches, and as many days just before and just after.

    >>> utc = dt.UTC
    >>> _around(dt.datetime(2025, 10, 24, 11, tzinfo=utc), dt.datetime(2025, 10, 25, 11, tzinfo=utc))[0]
    ('before', (datetime.date(2025, 10, 22), datetime.date(2025, 10, 23)))
    """
    first, last = (
        start.astimezone(dt.UTC).date(),
        (end.astimezone(dt.UTC) - dt.timedelta(microseconds=1)).date(),
    )
    length = (last - first).days + 1
    step = dt.timedelta(days=length)
    return [
        ("before", (first - step, last - step)),
        ("during", (first, last)),
        ("after", (first + step, last + step)),
    ]


def _status(scope: Scope, decisions: int, cells: int, masked: int, manifest: dict[str, Any]) -> str:
    if cells == 0:
        return (
            "**No decisions in this range** for these services: widen the dates or clear the service filter."
        )
    k = manifest.get("options", {}).get("k_threshold", "k")
    where = ", ".join(page.literal(name) for name in scope.services) if scope.services else "all services"
    return (
        f"In this range ({where}): **{decisions:,}** decisions in {cells - masked:,} shown cells; "
        f"**{masked:,}** cells are masked (fewer than {k} decisions each) and not counted."
    )


def headline(dashboard: Dashboard) -> str:
    """The release's own figures (its manifest), never typed in."""
    manifest = dashboard.audit.manifest
    summary = manifest.get("summary") or {}
    name = manifest.get("dataset", dashboard.audit.folder.name)
    lines = [f"**Release:** `{name}` {manifest.get('version', '')} · {page.literal(dashboard.audit.where)}"]
    if summary:
        total = summary["decisions"]
        shares = {name: 100 * count / total for name, count in summary["by_decision"].items()}
        lines.append(
            f"**{total:,}** decisions · **{summary['sessions']:,}** sessions · "
            f"{summary['first_day']} to {summary['last_day']} (UTC) · blocked **{shares['block']:.1f}%** · "
            f"warned **{shares['warn']:.1f}%** · asked a human **{shares['ask']:.1f}%**"
        )
    else:
        lines.append(
            "This release's manifest carries no summary (it predates them); the views below still apply."
        )
    if dashboard.events_release is not None:
        events = dashboard.events_release.manifest
        lines.append(
            f"**Evolution Log:** `{events.get('dataset', '')}` {events.get('version', '')} · "
            f"{page.literal(dashboard.events_release.where)}"
        )
    return "  \n".join(lines)


def _stack(boundaries: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, row in boundaries.iterrows():
        ahead = row["decisions"] - row["blocked"] - row["sent_to_human"]
        for outcome, n in (
            ("blocked", row["blocked"]),
            ("sent to a human", row["sent_to_human"]),
            ("went ahead", ahead),
        ):
            rows.append((row["boundary"], outcome, int(n)))
    return pd.DataFrame(rows, columns=["boundary", "outcome", "decisions"])


def _events_frame(events: list[dict[str, Any]]) -> pd.DataFrame:
    columns = ["id", "kind", "start", "end", "date_precision", "title", "active_rules", "active_services"]
    frame = pd.DataFrame([[event[name] for name in columns] for event in events], columns=columns)
    for name in ("start", "end"):
        frame[name] = frame[name].astype(str)
    return frame.astype({"active_rules": "Int64", "active_services": "Int64"})


def _counts_frame(events: list[dict[str, Any]]) -> pd.DataFrame:
    rows = [
        (str(event["start"]), measure.replace("_", " "), event[measure])
        for event in events
        for measure in ("active_rules", "active_services")
        if event[measure] is not None
    ]
    return pd.DataFrame(rows, columns=["date", "measure", "count"])


_OVERLAPS_LISTED = 3


def overlaps(boundary_time: pd.DataFrame) -> str:
    """The boundaries whose points lie on one another (the same share in the same period), which
    the plot draws as one point of one colour, as Markdown (the release's values shown literally);
    empty when there are none.

    >>> frame = pd.DataFrame({"period": ["2025-10-20"] * 3, "boundary": ["12.1 Values", "12.2 Innovation",
    ...     "12.6 Agency"], "decisions": [7, 5, 6], "share_stopped": [1.0, 0.5, 1.0]})
    >>> print(overlaps(frame))
    Several boundaries share one point: **2025\\-10\\-20** at 1.00: 12\\.1 Values, 12\\.6 Agency.
    """
    points = boundary_time.groupby(["period", "share_stopped"], sort=True)["boundary"].agg(list).reset_index()
    shared = points[points["boundary"].map(len) > 1]
    if shared.empty:
        return ""
    listed = [
        f"**{page.literal(period)}** at {share:.2f}: {', '.join(map(page.literal, boundaries))}"
        for period, share, boundaries in shared.head(_OVERLAPS_LISTED).to_numpy().tolist()
    ]
    more = len(shared) - len(listed)
    tail = f"; and {more} more (the table lists every point)" if more else ""
    return "Several boundaries share one point: " + "; ".join(listed) + tail + "."


def _count_limits(counts: pd.DataFrame) -> list[float | None]:
    """A count axis from zero, with room above the largest count: the lowest point (five
    services) would otherwise be the axis' own start, half below the frame."""
    return [0, None if counts.empty else float(counts["count"].max()) * 1.1]


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


def incident_markdown(named: list[dict[str, Any]]) -> str:
    """Both events the sources call "the 27027 incident", side by side with their disagreement."""
    if not named:
        return f"The Evolution Log has no incident named {NAMED_INCIDENT}."
    lines = [
        f"The sources disagree about which event is **the {NAMED_INCIDENT} incident**: "
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


# ---------------------------------------------------------------------------------------------- the UI


def _csv(folder: Path, name: str, frame: pd.DataFrame) -> str:
    path = folder / f"{name}.csv"
    frame.to_csv(path, index=False)
    return str(path)


def build_app(dashboard: Dashboard) -> "gr.Blocks":
    """The Blocks app over one dashboard."""
    page.gradio()  # analytics off before gradio is first imported
    import gradio as gr

    files = Path(tempfile.mkdtemp(prefix="tractatus-dashboard-"))

    def apply(
        start: str, end: str, services: Any, period: str, measure: str, request: gr.Request
    ) -> tuple[Any, ...]:
        scope = Scope(start or "", end or "", tuple(services or ()))
        try:
            views = dashboard.views(scope, period)
        except FilterError as error:
            return (f"**Check the filters:** {page.literal(str(error))}.", *[gr.skip()] * (len(outputs) - 1))
        folder = files / (request.session_hash or "shared")
        folder.mkdir(exist_ok=True)
        y = "share" if measure == "shares" else "decisions"
        plotted = {
            "pressure": views.pressure,
            "services": views.services,
            "boundaries": views.boundaries,
            "boundary-time": views.boundary_time,
            "events": views.events,
            "incident-mix": views.mix,
        }
        csvs = {name: _csv(folder, name, frame) for name, frame in plotted.items()}
        # One bar per incident and period: each named incident has its window, told apart.
        windows = views.mix.assign(window=views.mix["incident"] + " · " + views.mix["period"])
        return (
            views.status,
            gr.BarPlot(views.pressure, y=y),
            views.pressure,
            csvs["pressure"],
            views.services,
            views.services,
            csvs["services"],
            views.boundary_stack,
            views.boundaries,
            csvs["boundaries"],
            views.boundary_time,
            views.boundary_overlaps,
            views.boundary_time,
            csvs["boundary-time"],
            views.timeline,
            gr.ScatterPlot(views.counts, y_lim=_count_limits(views.counts)),
            views.events,
            csvs["events"],
            views.incident,
            gr.BarPlot(windows, sort=list(dict.fromkeys(windows["window"]))),
            views.mix,
            csvs["incident-mix"],
        )

    def table(elem_id: str) -> tuple[Any, Any]:
        with gr.Accordion("Table", open=False, elem_id=f"{elem_id}-accordion"):
            frame = gr.Dataframe(interactive=False, wrap=True, elem_id=f"{elem_id}-table")
            download = gr.DownloadButton("Download CSV", elem_id=f"{elem_id}-csv", size="sm")
        return frame, download

    first, last = dashboard.cells.days
    app = gr.Blocks(title="Tractatus Governance Metrics Dashboard", analytics_enabled=False)
    with app:
        page.markdown(
            "# Tractatus Governance Metrics Dashboard\nHow hard the framework's services work, under what "
            "context pressure, which boundaries they enforce, and how the framework itself changed.",
        )
        page.markdown(headline(dashboard), elem_id="headline")
        with gr.Row():
            start = gr.Textbox(
                label="From (UTC date)", placeholder=str(first or "2025-10-01"), elem_id="start"
            )
            end = gr.Textbox(label="To (UTC date)", placeholder=str(last or "2025-10-31"), elem_id="end")
            services = gr.Dropdown(dashboard.services, multiselect=True, label="Service", elem_id="service")
            period = gr.Radio(["day", "week"], value="day", label="Per", elem_id="period")
            button = gr.Button("Apply", variant="primary", elem_id="apply")
        status = page.markdown("", elem_id="status")
        with gr.Tabs():
            with gr.Tab("Context pressure", id="pressure"), gr.Row():
                with gr.Column(scale=3):
                    measure = gr.Radio(["counts", "shares"], value="counts", label="Show", elem_id="measure")
                    pressure = gr.BarPlot(
                        x="period",
                        y="decisions",
                        color="context_pressure",
                        color_map=COLOURS,
                        title="Decisions by context pressure level",
                        elem_id="plot-pressure",
                    )
                    pressure_table, pressure_csv = table("pressure")
                with gr.Column(scale=2):
                    page.markdown(BANDS)
            with gr.Tab("Service activation", id="services"):
                activation = gr.BarPlot(
                    x="period",
                    y="decisions",
                    color="service",
                    title="Decisions per service",
                    elem_id="plot-services",
                )
                services_table, services_csv = table("services")
                page.markdown(COORDINATION_NOTE, elem_id="coordination-note")
            with gr.Tab("Boundary enforcement", id="boundaries"):
                stack = gr.BarPlot(
                    x="boundary",
                    y="decisions",
                    color="outcome",
                    color_map=COLOURS,
                    title="Decisions per boundary, by what happened",
                    elem_id="plot-boundaries",
                )
                boundaries_table, boundaries_csv = table("boundaries")
                page.markdown(PRINCIPLES, elem_id="principles")
                # Points, not lines: masked cells leave a boundary few periods, often one, and a
                # line plot draws nothing for a single point.
                boundary_time = gr.ScatterPlot(
                    x="period",
                    y="share_stopped",
                    color="boundary",
                    title="Share blocked or sent to a human, per boundary",
                    y_lim=[0, 1.05],  # a boundary always stopped (1.0) drawn below the frame, not on it
                    elem_id="plot-boundary-time",
                )
                boundary_overlaps = page.markdown(elem_id="boundary-overlaps")
                boundary_time_table, boundary_time_csv = table("boundary-time")
            with gr.Tab("Framework evolution", id="evolution"):
                timeline = gr.HTML(elem_id="timeline", js_on_load=TIMELINE_JS)
                counts = gr.ScatterPlot(
                    x="date",
                    y="count",
                    color="measure",
                    title="Active rules and services, where known",
                    elem_id="plot-counts",
                )
                events_table, events_csv = table("events")
            with gr.Tab(f"The {NAMED_INCIDENT} incident", id="incident"):
                incident = page.markdown(elem_id="incident")
                mix = gr.BarPlot(
                    x="window",
                    y="share",
                    color="decision",
                    color_map=COLOURS,
                    title="Decision mix around each window",
                    elem_id="plot-mix",
                )
                mix_table, mix_csv = table("mix")
        inputs = [start, end, services, period, measure]
        outputs = [
            status, pressure, pressure_table, pressure_csv, activation, services_table, services_csv,
            stack, boundaries_table, boundaries_csv, boundary_time, boundary_overlaps, boundary_time_table,
            boundary_time_csv,
            timeline, counts, events_table, events_csv, incident, mix, mix_table, mix_csv,
        ]  # fmt: skip
        button.click(apply, inputs, outputs, api_name="apply")
        for box in (start, end):
            box.submit(apply, inputs, outputs)
        for choice in (period, measure):
            choice.change(apply, inputs, outputs)
        app.load(apply, inputs, outputs)
    return app


def open_dashboard(args: argparse.Namespace) -> Dashboard:
    """The releases the arguments name: `--dataset` (downloaded) wins over `--data`."""
    audit, events = SOURCES.open(args)
    return Dashboard(audit, events)


def launch(dashboard: Dashboard, host: str = "127.0.0.1", port: int | None = None) -> None:
    page.launch(build_app(dashboard), host, port)


def main(argv: Sequence[str] | None = None) -> None:
    shared.run_space("The Tractatus Governance Metrics Dashboard.", SOURCES, open_dashboard, launch, argv)


if __name__ == "__main__":
    main()
