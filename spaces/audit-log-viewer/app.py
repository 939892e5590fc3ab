"""Audit Log Viewer: browse a release of the Tractatus Audit Decision Corpus in a browser.

Pushed to a Hugging Face Space with the shared `tractatus_spaces` package beside it, this folder is
the whole app: it needs gradio, duckdb, pyarrow and huggingface_hub, never the `tractatus-datasets`
package. Every question is a DuckDB query over the release's Parquet shards
(`tractatus_spaces.decisions`); only the rows on screen become Python objects, and this file lays
them out.

    python app.py --data build/audit-decisions                 # a local release folder
    python app.py --dataset tractatus-framework/audit-decisions --revision v1.0.0

Private by default: Gradio's analytics are off (its stock theme serves its own fonts), DuckDB may
not fetch extensions, and the only request to another host is the Hub download `--dataset` asks for.
"""

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if importlib.util.find_spec("tractatus_spaces") is None:  # a clone, not installed: it is beside this folder
    sys.path.append(str(Path(__file__).resolve().parents[1]))

from tractatus_spaces import page
from tractatus_spaces import release as shared
from tractatus_spaces.decisions import (
    DECISION_COLUMNS,
    PAGE_ROWS,
    PERIODS,
    TABLE_COLUMNS,
    Detail,
    Filters,
    Release,
)
from tractatus_spaces.release import DEFAULT_DATASET, FilterError

if TYPE_CHECKING:
    import gradio as gr

__all__ = [
    "DEFAULT_DATASET",
    "SOURCES",
    "build_app",
    "detail_markdown",
    "launch",
    "main",
    "open_release",
    "status_line",
]

SOURCES = shared.Sources()  # every decision (`full`), and the Evolution Log its incidents link to
COLOURS = page.COLOURS


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
