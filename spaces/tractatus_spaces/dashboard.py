"""The Governance Metrics Dashboard's figures: everything one "Apply" shows, from the Audit Decision
Corpus' `aggregated` cells (fewer than k decisions masked) and the Framework Evolution Log.

The Space's `app.py` lays these out as a page; the tests and `scripts/bench_dashboard.py` read
them here, without a browser.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd  # gradio's own dependency; only the small plot tables become frames

from tractatus_spaces import page
from tractatus_spaces.aggregates import BOUNDARIES, Aggregates, Scope, Table
from tractatus_spaces.events import Events
from tractatus_spaces.history import incident_markdown, timeline_html
from tractatus_spaces.release import Opened, date_range

__all__ = ["NAMED_INCIDENT", "Dashboard", "Views", "headline", "overlaps"]

NAMED_INCIDENT = "27027"  # the incident the sources disagree about, shown side by side


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

    audit: Opened
    events_release: Opened | None = None
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
        return date_range(scope.start, scope.end)

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
        return incident_markdown(named, NAMED_INCIDENT), frame


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
