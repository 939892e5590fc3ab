"""Governance Metrics Dashboard: what the Tractatus framework's services did, at a glance.

Reads the Audit Decision Corpus' `aggregated` config (decisions counted per day and label, cells of
fewer than k decisions masked) and the Framework Evolution Log. No row of any decision is read.

    python app.py --data build/audit-decisions --events build/evolution-log
    python app.py --dataset tractatus-framework/audit-decisions --revision v1.0.0 \\
        --events-dataset tractatus-framework/evolution-log --events-revision v1.0.0

Pushed to a Space with the shared `tractatus_spaces` package beside it, this folder is the whole
app: its figures are `tractatus_spaces.dashboard`'s, its timeline `tractatus_spaces.history`'s, and
this file lays them out. Gradio's analytics are off and DuckDB fetches no extension.
"""

import argparse
import importlib.util
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if importlib.util.find_spec("tractatus_spaces") is None:  # a clone, not installed: it is beside this folder
    sys.path.append(str(Path(__file__).resolve().parents[1]))

import pandas as pd  # gradio's own dependency; only the small plot tables become frames

from tractatus_spaces import page
from tractatus_spaces import release as shared
from tractatus_spaces.aggregates import BOUNDARIES, Scope
from tractatus_spaces.dashboard import NAMED_INCIDENT, Dashboard, headline
from tractatus_spaces.history import TIMELINE_JS
from tractatus_spaces.release import FilterError

if TYPE_CHECKING:
    import gradio as gr

__all__ = ["SOURCES", "build_app", "launch", "main", "open_dashboard"]

SOURCES = shared.Sources("aggregated")  # only k-suppressed cells, and the Evolution Log

COLOURS = {
    **page.COLOURS["pressure"],
    **page.COLOURS["decision"],
    "blocked": "#c0392b",
    "sent to a human": "#3b7dd8",
    "went ahead": "#9bbf85",
}
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


def _count_limits(counts: pd.DataFrame) -> list[float | None]:
    """A count axis from zero, with room above the largest count: the lowest point (five
    services) would otherwise be the axis' own start, half below the frame."""
    return [0, None if counts.empty else float(counts["count"].max()) * 1.1]


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
