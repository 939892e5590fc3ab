"""Audit Log Viewer: browse a release of the Tractatus Audit Decision Corpus in a browser.

Pushed to a Hugging Face Space with the shared `tractatus_spaces` package beside it, this folder is
the whole app: it needs gradio, duckdb, pyarrow and huggingface_hub, never the `tractatus-datasets`
package. Every question is a DuckDB query over the release's Parquet shards; only the rows on screen
become Python objects.

    python app.py --data build/audit-decisions                 # a local release folder
    python app.py --dataset tractatus-framework/audit-decisions --revision v1.0.0

Private by default: Gradio's analytics are off (its stock theme serves its own fonts), DuckDB may
not fetch extensions, and the only request to another host is the Hub download `--dataset` asks for.
"""

import argparse
import datetime as dt
import importlib.util
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if importlib.util.find_spec("tractatus_spaces") is None:  # a clone, not installed: it is beside this folder
    sys.path.append(str(Path(__file__).resolve().parents[1]))

from tractatus_spaces import page
from tractatus_spaces import release as shared
from tractatus_spaces.release import DEFAULT_DATASET, DEFAULT_EVENTS_DATASET, FilterError, ReleaseError

if TYPE_CHECKING:
    import gradio as gr

__all__ = [
    "DEFAULT_DATASET",
    "DEFAULT_EVENTS_DATASET",
    "SOURCES",
    "Answer",
    "Detail",
    "FilterError",
    "Filters",
    "Release",
    "ReleaseError",
    "build_app",
    "detail_markdown",
    "launch",
    "main",
    "open_release",
    "status_line",
]

SOURCES = shared.Sources()  # every decision (`full`), and the Evolution Log its incidents link to
PAGE_ROWS = 100
NO_BOUNDARY = "(none)"
PERIODS = ("day", "week")
FILTERED_LABELS = {  # filter name → column; the values are the column's ClassLabel names
    "service": "service",
    "decision": "decision",
    "outcome": "outcome",
    "pressure": "context_pressure",
}
COLOURS = page.COLOURS
DECISION_COLUMNS = ["decision_id", "timestamp (UTC)", "service", "decision", "outcome", "context_pressure"]
TABLE_COLUMNS = [*DECISION_COLUMNS, "boundary", "coordination", "incident"]


@dataclass(frozen=True)
class Filters:
    service: Sequence[str] = ()
    decision: Sequence[str] = ()
    outcome: Sequence[str] = ()
    pressure: Sequence[str] = ()
    boundary: Sequence[str] = ()
    start: str = ""  # YYYY-MM-DD, inclusive, UTC
    end: str = ""  # YYYY-MM-DD, inclusive, UTC
    search: str = ""  # a decision or session id (or its start), a verdict, or a rule id


@dataclass(frozen=True)
class Answer:
    """The matches of a set of filters: how many, the newest page, and counts per period."""

    count: int
    page: list[list[Any]]  # TABLE_COLUMNS, labels for codes
    by_decision: list[tuple[dt.date, str, int]]  # (first day of the period, decision, decisions)
    by_pressure: list[tuple[dt.date, str, int]]  # the same by context pressure level


@dataclass(frozen=True)
class Detail:
    fields: dict[str, Any]
    coordinating: list[list[Any]]  # decisions of the coordinating services near this one
    incident: dict[str, Any] | None  # the incidents row (reasons, linked event); None if not there
    event: dict[str, Any] | None = None  # the evolution-log event the incident links to


@dataclass
class Release:
    """One release folder, queried in place: views over its shards in an in-memory DuckDB."""

    folder: Path
    events_folder: Path | None = None
    source: str = ""  # where the release came from, as the page names it: `org/name@v1.0.0 (commit 1a2b3c4)`
    labels: dict[str, list[str]] = field(init=False)  # column → its ClassLabel names
    event_labels: dict[str, list[str]] = field(init=False)  # the same for the linked events
    manifest: dict[str, Any] = field(init=False)
    boundaries: list[str] = field(init=False)  # the filter's choices: NO_BOUNDARY, then those seen
    total: int = field(init=False)
    con: duckdb.DuckDBPyConnection = field(init=False, repr=False)

    def __post_init__(self) -> None:
        full = shared.shards(self.folder, "full")
        if not full:
            raise ReleaseError(f"{self.folder} holds no data/full/*.parquet: is it an audit release?")
        incidents = shared.shards(self.folder, "incidents")
        features = shared.features(full[0]) | (shared.features(incidents[0]) if incidents else {})
        self.labels = {
            name: names for name, feature in features.items() if (names := shared.label_names(feature))
        }
        self.manifest = shared.Opened(self.folder).manifest
        # No extension is fetched from the network; parquet and icu are built in.
        self.con = shared.connect()
        self.con.execute(f"CREATE VIEW decisions AS SELECT * FROM read_parquet({shared.sql_paths(full)})")
        select = (
            f"SELECT decision_id, incident_reasons, incident_id FROM read_parquet({shared.sql_paths(incidents)})"
            if incidents
            else "SELECT NULL::VARCHAR decision_id, []::BIGINT[] incident_reasons, NULL::VARCHAR incident_id LIMIT 0"
        )
        self.con.execute(f"CREATE VIEW incidents AS {select}")
        events = shared.shards(self.events_folder, "incidents") if self.events_folder else []
        self.con.execute(
            f"CREATE VIEW events AS SELECT * FROM read_parquet({shared.sql_paths(events)})"
            if events
            else "CREATE VIEW events AS SELECT NULL::VARCHAR incident_id LIMIT 0"
        )
        self.event_labels = {
            name: shared.label_names(feature)
            for name, feature in (shared.features(events[0]) if events else {}).items()
        }
        rows = self.con.execute(
            "SELECT DISTINCT boundary FROM decisions WHERE boundary IS NOT NULL ORDER BY 1"
        ).fetchall()
        self.boundaries = [NO_BOUNDARY, *(row[0] for row in rows)]
        self.total = self.count(Filters())

    @property
    def title(self) -> str:
        name = self.manifest.get("dataset", self.folder.name)
        version = self.manifest.get("version")
        return f"{name} {version}" if version else str(name)

    def choices(self, name: str) -> list[str]:
        return list(self.labels[FILTERED_LABELS[name]])

    def label(self, column: str, code: int | None) -> str | None:
        return None if code is None else self.labels[column][code]

    def _codes(self, name: str, values: Sequence[str]) -> list[int]:
        names = self.labels[FILTERED_LABELS[name]]
        unknown = [value for value in values if value not in names]
        if unknown:
            raise FilterError(f"unknown {name} {unknown[0]!r}: choose from {', '.join(names)}")
        return [names.index(value) for value in values]

    def where(self, filters: Filters) -> tuple[str, dict[str, Any]]:
        """The WHERE clause and parameters for a set of filters; values only ever go in as parameters."""
        clauses: list[str] = []
        params: dict[str, Any] = {}
        for name, column in FILTERED_LABELS.items():
            values = getattr(filters, name)
            if values:
                params[name] = self._codes(name, values)
                clauses.append(f"list_contains(${name}, {column})")
        if filters.boundary:
            known = set(self.boundaries)
            unknown = [value for value in filters.boundary if value not in known]
            if unknown:
                raise FilterError(f"no decision in this release has boundary {unknown[0]!r}")
            named = [value for value in filters.boundary if value != NO_BOUNDARY]
            either = ["boundary IS NULL"] if NO_BOUNDARY in filters.boundary else []
            if named:
                params["boundary"] = named
                either.append("list_contains($boundary, boundary)")
            clauses.append("(" + " OR ".join(either) + ")")
        start, end = shared.date_range(filters.start, filters.end)
        if start:
            params["start"] = dt.datetime.combine(start, dt.time(), dt.UTC)
            clauses.append("timestamp >= $start")
        if end:
            params["end"] = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC)
            clauses.append("timestamp < $end")
        search = filters.search.strip()
        if search:
            params["search"] = search
            clauses.append(
                "(starts_with(decision_id, $search) OR starts_with(session, $search) "
                "OR verdict = upper($search) OR list_contains(rules_checked, $search) "
                "OR list_contains(violated_rules, $search))"
            )
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def count(self, filters: Filters) -> int:
        where, params = self.where(filters)
        with self.con.cursor() as cursor:  # one cursor per call: Gradio answers from several threads
            return int(cursor.execute(f"SELECT count(*) FROM decisions{where}", params).fetchall()[0][0])

    def answer(self, filters: Filters, period: str = "day", offset: int = 0) -> Answer:
        """What one "Apply filters" shows, from one scan of the shards: the matches are kept in a
        temporary table (of this call's own cursor) that the count, page and time series then read."""
        if period not in PERIODS:
            raise FilterError(f"unknown period {period!r}: choose day or week")
        where, params = self.where(filters)
        bucket = "timestamp::DATE" if period == "day" else "date_trunc('week', timestamp)::DATE"
        with self.con.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE hits AS SELECT decision_id, timestamp, service, decision, outcome, "
                f"context_pressure, boundary, coordination, {bucket} AS period FROM decisions{where}",
                params,
            )
            matched = int(cursor.execute("SELECT count(*) FROM hits").fetchall()[0][0])
            rows = cursor.execute(
                "WITH page AS (SELECT * EXCLUDE (period) FROM hits "
                f"ORDER BY timestamp DESC, decision_id LIMIT {PAGE_ROWS} OFFSET {int(offset)}) "
                "SELECT page.*, incidents.decision_id IS NOT NULL, incidents.incident_id FROM page "
                "LEFT JOIN incidents USING (decision_id) ORDER BY timestamp DESC, decision_id"
            ).fetchall()
            series = {
                column: [
                    (start, self.labels[column][code], n)
                    for start, code, n in cursor.execute(
                        f"SELECT period, {column}, count(*) FROM hits GROUP BY ALL ORDER BY 1, 2"
                    ).fetchall()
                ]
                for column in ("decision", "context_pressure")
            }
        page = [
            [
                *self._labelled(row[:6]),
                row[6] or "",  # boundary
                ", ".join(self.labels["coordination"][code] for code in row[7]),
                (row[9] or "yes") if row[8] else "",  # the incident it links to, or only that it is one
            ]
            for row in rows
        ]
        return Answer(matched, page, series["decision"], series["context_pressure"])

    def detail(self, decision_id: str) -> Detail | None:
        with self.con.cursor() as cursor:
            return self._detail(cursor, decision_id)

    def _detail(self, cursor: duckdb.DuckDBPyConnection, decision_id: str) -> Detail | None:
        cursor.execute("SELECT * FROM decisions WHERE decision_id = $id", {"id": decision_id.strip()})
        row = cursor.fetchone()
        if row is None:
            return None
        names = [column[0] for column in cursor.description]
        fields = {name: self._shown(name, value) for name, value in zip(names, row, strict=True)}
        raw = dict(zip(names, row, strict=True))
        # Timestamps are published at a granularity (a minute by default), so "near" is one unit
        # either side plus the coordination window.
        options = self.manifest.get("options", {})
        slack = _GRANULARITY_SECONDS.get(options.get("time_granularity"), 60) + float(
            options.get("coordination_window_seconds", 0)
        )
        coordinating = cursor.execute(
            "SELECT decision_id, timestamp, service, decision, outcome, context_pressure FROM decisions "
            "WHERE session = $session AND decision_id <> $id AND list_contains($services, service) "
            "AND abs(epoch(timestamp) - epoch($at::TIMESTAMPTZ)) <= $slack ORDER BY timestamp, decision_id",
            {
                "session": raw["session"],
                "id": raw["decision_id"],
                "services": list(raw["coordination"]),
                "at": raw["timestamp"],
                "slack": slack,
            },
        ).fetchall()
        incident = cursor.execute(
            "SELECT incident_reasons, incident_id FROM incidents WHERE decision_id = $id",
            {"id": raw["decision_id"]},
        ).fetchone()
        event = None
        if incident is not None and incident[1] and self.event_labels:
            cursor.execute("SELECT * FROM events WHERE incident_id = $id", {"id": incident[1]})
            found = cursor.fetchone()
            if found is not None:
                event = dict(zip([column[0] for column in cursor.description], found, strict=True))
                if event.get("severity") is not None:
                    event["severity"] = self.event_labels["severity"][event["severity"]]
        return Detail(
            fields=fields,
            coordinating=[self._labelled(row) for row in coordinating],
            incident=None
            if incident is None
            else {
                "reasons": [self.labels["incident_reasons"][code] for code in incident[0]],
                "incident_id": incident[1],
            },
            event=event,
        )

    def _labelled(self, row: Sequence[Any]) -> list[Any]:
        """decision_id, timestamp, service, decision, outcome, context_pressure: as the tables show them."""
        decision_id, timestamp, *codes = row
        labelled = ("service", "decision", "outcome", "context_pressure")
        return [
            decision_id,
            timestamp.strftime("%Y-%m-%d %H:%M"),
            *(self.label(column, code) for column, code in zip(labelled, codes, strict=True)),
        ]

    def _shown(self, name: str, value: Any) -> Any:
        if name in self.labels and value is not None:
            names = self.labels[name]
            return [names[code] for code in value] if isinstance(value, list) else names[value]
        if isinstance(value, dt.datetime):
            return value.strftime("%Y-%m-%d %H:%M UTC")
        if isinstance(value, float):
            return round(value, 4)
        return value


_GRANULARITY_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


# ---------------------------------------------------------------------------------------------- the UI


def _filters(
    search: str, service: Any, decision: Any, outcome: Any, pressure: Any, boundary: Any, start: str, end: str
) -> Filters:
    return Filters(
        service=tuple(service or ()),
        decision=tuple(decision or ()),
        outcome=tuple(outcome or ()),
        pressure=tuple(pressure or ()),
        boundary=tuple(boundary or ()),
        start=start or "",
        end=end or "",
        search=search or "",
    )


def status_line(release: Release, matched: int) -> str:
    if matched == 0:
        return "No decisions match these filters."
    shown = min(matched, PAGE_ROWS)
    return f"**{matched:,}** of {release.total:,} decisions match" + (
        f"; the newest {shown:,} are listed." if matched > shown else "."
    )


def _cell(text: str) -> str:
    """Text for one Markdown table cell: a `|` in the data must not split it."""
    return text.replace("|", "\\|").replace("\n", " ")


def detail_markdown(release: Release, detail: Detail | None, decision_id: str) -> str:
    if not decision_id.strip():
        return "Choose a decision in the table, or paste its `decision_id`."
    if detail is None:
        return f"No decision with id {page.quoted(decision_id.strip())} in this release."
    lines = [f"### Decision `{detail.fields['decision_id']}`", "", "| field | value |", "|---|---|"]
    for name, value in detail.fields.items():
        shown = (
            ", ".join(map(str, value)) if isinstance(value, list) else ("" if value is None else str(value))
        )
        lines.append(f"| {name} | {_cell(shown)} |")
    services = detail.fields.get("coordination") or []
    lines += [
        "",
        "**Coordinated with:** " + (", ".join(services) if services else "no other service"),
        "",
    ]
    if detail.incident is None:
        lines.append("**Incident:** this decision is not in the `incidents` config.")
    else:
        reasons = ", ".join(detail.incident["reasons"])
        linked = detail.incident["incident_id"]
        lines.append(
            f"**Incident:** in the `incidents` config ({reasons}); linked event: `{linked or 'none'}`."
        )
        if detail.event is not None:
            event = detail.event
            lines += [
                "",
                f"#### {event.get('title', linked)}",
                f"{event.get('date')} · severity {event.get('severity') or 'not given'}",
                "",
                f"**Root cause.** {event.get('root_cause') or 'not recorded'}",
                "",
                f"**Response.** {event.get('response') or 'not recorded'}",
            ]
    return "\n".join(lines)


def build_app(release: Release) -> "gr.Blocks":
    """The Blocks app over one release. Gradio is imported here, so the query layer loads without it."""
    page.gradio()  # analytics off before gradio is first imported
    import gradio as gr
    import pandas as pd  # gradio's own dependency; only the small plot tables become frames

    def apply(*inputs: Any) -> tuple[Any, ...]:
        try:
            answer = release.answer(_filters(*inputs[:8]), inputs[8])
        except FilterError as error:
            empty = pd.DataFrame({"period": [], "decisions": []})
            return f"**Check the filters:** {page.literal(str(error))}.", [], empty, empty
        plots = [
            pd.DataFrame(
                [(str(start), label, n) for start, label, n in series], columns=["period", by, "decisions"]
            )
            for by, series in (("decision", answer.by_decision), ("pressure", answer.by_pressure))
        ]
        return status_line(release, answer.count), answer.page, *plots

    def show(decision_id: str) -> tuple[str, list[list[Any]]]:
        detail = release.detail(decision_id) if decision_id.strip() else None
        return detail_markdown(release, detail, decision_id), detail.coordinating if detail else []

    def pick(table: Any, event: gr.SelectData) -> tuple[str, Any]:
        row = event.index[0]
        decision_id = str(table.iloc[row, 0]) if len(table) > row else ""
        return decision_id, gr.Tabs(selected="detail")

    app = gr.Blocks(title="Tractatus Audit Log Viewer", analytics_enabled=False, fill_width=True)
    with app:
        page.markdown(
            f"# Tractatus Audit Log Viewer\n`{release.title}` · "
            f"{page.literal(release.source or str(release.folder))} · {release.total:,} anonymised "
            "governance decisions. Filter them, open one to see the services that coordinated on it, "
            "and follow incidents to the Framework Evolution Log."
        )
        with gr.Row():
            search = gr.Textbox(
                label="Search", placeholder="decision or session id, verdict, rule id", elem_id="search"
            )
            start = gr.Textbox(label="From (UTC date)", placeholder="2025-10-01", elem_id="start")
            end = gr.Textbox(label="To (UTC date)", placeholder="2025-10-31", elem_id="end")
        with gr.Row():
            service = gr.Dropdown(
                release.choices("service"), multiselect=True, label="Service", elem_id="service"
            )
            decision = gr.Dropdown(
                release.choices("decision"), multiselect=True, label="Decision", elem_id="decision"
            )
            outcome = gr.Dropdown(
                release.choices("outcome"), multiselect=True, label="Outcome", elem_id="outcome"
            )
            pressure = gr.Dropdown(
                release.choices("pressure"), multiselect=True, label="Pressure level", elem_id="pressure"
            )
            boundary = gr.Dropdown(release.boundaries, multiselect=True, label="Boundary", elem_id="boundary")
        with gr.Row():
            period = gr.Radio(list(PERIODS), value="day", label="Plot per", elem_id="period")
            button = gr.Button("Apply filters", variant="primary", elem_id="apply")
        status = page.markdown(status_line(release, release.total), elem_id="status")
        with gr.Tabs() as tabs:
            with gr.Tab("Decisions", id="decisions"):
                table = gr.Dataframe(
                    headers=TABLE_COLUMNS,
                    interactive=False,
                    wrap=True,
                    elem_id="table",
                )
            with gr.Tab("Over time", id="time"):
                by_decision, by_pressure = (
                    gr.BarPlot(
                        x="period",
                        y="decisions",
                        color=by,
                        color_map=COLOURS[by],
                        title=title,
                        elem_id=f"plot-{by}",
                    )
                    for by, title in (("decision", "Decisions"), ("pressure", "By pressure level"))
                )
            with gr.Tab("Detail", id="detail"):
                with gr.Row():
                    chosen = gr.Textbox(label="decision_id", elem_id="decision-id", scale=4)
                    open_button = gr.Button("Show", elem_id="show")
                about = page.markdown(detail_markdown(release, None, ""), elem_id="detail")
                coordinating = gr.Dataframe(
                    headers=DECISION_COLUMNS,
                    interactive=False,
                    label="Decisions of the coordinating services in the same session, near this one",
                    elem_id="coordinating",
                )
        inputs = [search, service, decision, outcome, pressure, boundary, start, end, period]
        outputs = [status, table, by_decision, by_pressure]
        button.click(apply, inputs, outputs, api_name="filter")  # also what the benchmark calls
        for box in (search, start, end):
            box.submit(apply, inputs, outputs)
        period.change(apply, inputs, outputs)
        app.load(apply, inputs, outputs)
        open_button.click(show, chosen, [about, coordinating])
        chosen.submit(show, chosen, [about, coordinating])
        table.select(pick, table, [chosen, tabs]).then(show, chosen, [about, coordinating])
    return app


def launch(release: Release, host: str = "127.0.0.1", port: int | None = None) -> None:
    page.launch(build_app(release), host, port)


def open_release(args: argparse.Namespace) -> Release:
    """The release the arguments name: `--dataset` (downloaded) wins over `--data`."""
    audit, events = SOURCES.open(args)
    return Release(audit.folder, events.folder if events else None, source=audit.where)


def main(argv: Sequence[str] | None = None) -> None:
    shared.run_space(
        "Browse a release of the Tractatus Audit Decision Corpus.", SOURCES, open_release, launch, argv
    )


if __name__ == "__main__":
    main()
