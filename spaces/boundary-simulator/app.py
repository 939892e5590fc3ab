"""Boundary Decision Simulator: type an action, pick a context pressure, watch the services decide.

The decisions come from `tractatus_simulator`, which follows the framework's public code (commit
77ada42) step by step; the evidence beside them comes from the Audit Decision Corpus' `aggregated`
config (decisions counted per service, boundary and outcome, cells of fewer than k masked).

    python app.py --data build/audit-decisions
    python app.py --dataset tractatus-framework/audit-decisions --revision v1.0.0

Pushed to a Space with `tractatus_spaces`, `tractatus_simulator` and `tractatus_audit_corpus`
beside it, this folder is the whole app. Gradio's analytics are off and the flow is drawn here.
"""

import argparse
import html
import importlib.util
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

# A clone, not installed: the shared code is beside this folder, the simulation library at the root.
if importlib.util.find_spec("tractatus_spaces") is None:
    sys.path.append(str(Path(__file__).resolve().parents[1]))
if importlib.util.find_spec("tractatus_simulator") is None:
    sys.path.append(str(Path(__file__).resolve().parents[2]))

import pandas as pd  # gradio's own dependency; only the small tables become frames

from tractatus_simulator import Action, Context, Instruction, Reasoning, across_levels, changes, simulate
from tractatus_simulator.documents import DOCUMENTED_ONLY
from tractatus_simulator.examples import EXAMPLES, Example
from tractatus_simulator.inputs import InputError, parse_metrics, parse_parameters
from tractatus_simulator.model import LEVELS
from tractatus_simulator.pressure import LEVEL_METRICS
from tractatus_simulator.simulation import Simulation
from tractatus_spaces import page
from tractatus_spaces import release as shared
from tractatus_spaces.aggregates import Aggregates

if TYPE_CHECKING:
    import gradio as gr

__all__ = [
    "SOURCES",
    "Simulator",
    "build_app",
    "evidence",
    "flow_html",
    "launch",
    "level_table",
    "main",
    "open_simulator",
]

SOURCES = shared.Sources("aggregated", events=False)  # evidence from the cells; it shows no event
FLAGS = {
    "involves values": "involves_values",
    "affects human choice": "affects_human_choice",
    "affects agency": "affects_agency",
    "novelty high": "novelty",
    "pre-approved": "pre_approved",
    "sources cited": "sources",
    "testing evidence": "testing_evidence",
    "validation evidence": "validation_evidence",
}
DRAWN = ("BoundaryEnforcer", "CrossReferenceValidator", "ContextPressureMonitor", "MetacognitiveVerifier")
# What made the verifier's decision → the step drawn as deciding it.
DECIDERS = {
    "Alignment": "CrossReferenceValidator",
    "Safety": "BoundaryEnforcer",
    "pressure": "ContextPressureMonitor",
}
INTRO = """\
# Tractatus Boundary Decision Simulator

Type an action an AI might take, pick a context pressure, and see how the framework's services decide on
it, as its public code does (commit `77ada42`). The diagram follows the framework's own pictures; the code
has one orchestrator, **MetacognitiveVerifier.verify**, which calls CrossReferenceValidator, then
BoundaryEnforcer, then ContextPressureMonitor, and makes the decision. Where the documents say otherwise,
the notes below say what each says.
"""


@dataclass
class Simulator:
    """The audit release the evidence counts come from."""

    corpus: Aggregates

    def headline(self) -> str:
        manifest = self.corpus.opened.manifest
        name = manifest.get("dataset", self.corpus.opened.folder.name)
        k = manifest.get("options", {}).get("k_threshold", "k")
        return (
            f"**Evidence from** `{name}` {manifest.get('version', '')} · {page.literal(self.corpus.opened.where)} "
            f"(its `aggregated` config: cells of fewer than {k} decisions are masked and never counted)"
        )


def _action(text: str, flags: Sequence[str], parameters: str, kind: str, domain: str) -> Action:
    chosen = {FLAGS[flag] for flag in flags}
    return Action(
        text,
        type=kind.strip() or None,
        domain=domain.strip() or None,
        involves_values="involves_values" in chosen,
        affects_human_choice="affects_human_choice" in chosen,
        affects_agency="affects_agency" in chosen,
        novelty="high" if "novelty" in chosen else None,
        pre_approved="pre_approved" in chosen,
        sources=("cited",) if "sources" in chosen else (),
        testing_evidence="testing_evidence" in chosen,
        validation_evidence="validation_evidence" in chosen,
        parameters=parse_parameters(parameters.replace("\n", ",").split(",")),
    )


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def flow_html(simulation: Simulation) -> str:
    """The four steps and the decision as boxes, the deciding path marked, each step's reason beside it."""
    v = simulation.verification
    deciding = {DECIDERS.get(cause, "MetacognitiveVerifier") for cause in v.decided_by} | {
        "MetacognitiveVerifier"
    }
    colours = page.COLOURS["decision"]
    boxes = [
        '<div class="flow" style="display:flex;flex-direction:column;gap:6px;font-size:14px">',
        f'<div class="flow-action">Action: <q class="action-text">{html.escape(simulation.action.description)}</q> · '
        f"pressure <b>{simulation.pressure.level}</b> ({simulation.pressure.score:.3f})</div>",
    ]
    for index, service in enumerate(DRAWN):
        step = simulation.step(service)
        taken = service in deciding
        border = f"3px solid {colours[step.decision]}" if taken else "1px solid #bbb"
        where = " · ".join(
            html.escape(f"{name} {value}")
            for name, value in (
                ("boundary", step.boundary),
                ("section", step.section),
                ("domain", step.domain),
            )
            if value
        )
        boxes.append(
            f'<div class="step{" taken" if taken else ""}" data-service="{service}" data-result="{step.result}" '
            f'data-decision="{step.decision}" style="display:flex;gap:12px;align-items:center">'
            f'<div style="min-width:260px;border:{border};border-radius:6px;padding:6px 10px;'
            f'background:{colours[step.decision]}22"><b>{service}</b><br><code>{html.escape(step.result)}</code>'
            f" → {step.decision}{'<br>' + where if where else ''}</div>"
            f'<div class="reason" style="color:#333">{html.escape(step.reason)}</div></div>'
        )
        if index < len(DRAWN) - 1:
            boxes.append('<div aria-hidden="true" style="margin-left:120px">↓</div>')
    boxes.append('<div aria-hidden="true" style="margin-left:120px">↓</div>')
    decision = simulation.decision
    boxes.append(
        f'<div class="decision" data-decision="{decision}" data-result="{v.decision}" style="min-width:260px;'
        f'width:fit-content;border:3px solid {colours[decision]};border-radius:6px;padding:6px 10px">'
        f"<b>Decision: {decision}</b> (MetacognitiveVerifier <code>{v.decision}</code>, confidence "
        f"{v.confidence:.2f}) — combined as MetacognitiveVerifier.verify does</div>"
    )
    boxes.append(_inputs_html(simulation))
    for entry in DOCUMENTED_ONLY:
        boxes.append(
            f'<div class="documented-only" style="color:#777;border:1px dashed #bbb;padding:4px 8px;width:fit-content">'
            f"<b>{html.escape(entry.name)}</b>: documented only — {html.escape(entry.code)}</div>"
        )
    boxes.append("</div>")
    return "".join(boxes)


def _inputs_html(simulation: Simulation) -> str:
    """What the visitor gave besides the action, echoed as text (never as markup)."""
    a = simulation.action
    given = [
        ("type", a.type or ""),
        ("domain", a.domain if isinstance(a.domain, str) else ", ".join(a.domain or ())),
        ("parameters", ", ".join(f"{k}={v}" for k, v in a.parameters.items())),
        *(("instruction", i.text) for i in simulation.context.instructions),
        *(("step", step) for step in simulation.reasoning.steps or ()),
    ]
    items = "".join(f"<li>{name}: <q>{html.escape(value)}</q></li>" for name, value in given if value)
    return f'<ul class="inputs" style="color:#555;margin:0">{items}</ul>' if items else ""


def level_table(simulations: dict[str, Simulation]) -> pd.DataFrame:
    """The same action at each level; `changes` marks where the verifier's decision moves."""
    moved = set(changes(simulations))
    rows = []
    for level, sim in simulations.items():
        rows.append(
            {
                "level": level,
                "score": round(sim.pressure.score, 3),
                "BoundaryEnforcer": sim.step("BoundaryEnforcer").result,
                "CrossReferenceValidator": sim.step("CrossReferenceValidator").result,
                "raw confidence": round(sim.verification.original_confidence, 2),
                "confidence": round(sim.verification.confidence, 2),
                "MetacognitiveVerifier": sim.verification.decision,
                "decision": sim.decision,
                "changes": "◀ changes here" if level in moved else "",
            }
        )
    return pd.DataFrame(rows)


def evidence(corpus: Aggregates, simulation: Simulation) -> pd.DataFrame:
    """For each step, how many real decisions of that service (and boundary) had the step's outcome."""
    rows = []
    for step in simulation.steps:
        table = corpus.outcomes(step.service, step.corpus_boundary)
        counts = dict(table.rows)
        rows.append(
            {
                "service": step.service,
                "boundary": step.corpus_boundary or "(any)",
                "simulated outcome": step.outcome,
                "decisions with that outcome": int(counts.get(step.outcome, 0)),
                "decisions in all": int(sum(counts.values())),
                "masked cells": table.masked,
            }
        )
    return pd.DataFrame(rows)


def notes_markdown(simulation: Simulation) -> str:
    lines = ["### Where the documents say something else", ""]
    for note in simulation.notes:
        lines.append(f"- **{note.topic}.** *Docs:* {note.docs} *Code:* {note.code}")
    return "\n".join(lines)


def build_app(simulator: Simulator) -> "gr.Blocks":
    """The Blocks app over one audit release's evidence."""
    page.gradio()  # analytics off before gradio is first imported
    import gradio as gr

    levels = list(LEVELS)

    def run(
        text: str, level: str, metrics: str, instructions: str, explicit: bool, parameters: str, steps: str,
        flags: list[str], kind: str, domain: str,
    ) -> tuple[Any, ...]:  # fmt: skip
        try:
            action = _action(text, flags, parameters, kind, domain)
            told = tuple(Instruction(line) for line in _lines(instructions))
            context = Context(
                metrics=parse_metrics(metrics) if metrics.strip() else LEVEL_METRICS[level],
                instructions=told,
                explicit_instructions=explicit,
            )
        except InputError as error:
            field, _, rest = str(error).partition(": ")
            message = f"Check the inputs: {page.literal(field)}: {page.literal(rest)}"
            return (message, gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip())
        if not text.strip():
            return ("Type an action to simulate.", "", None, None, "", None)
        reasoning = Reasoning(steps=_lines(steps) or None)
        sim = simulate(action, reasoning, context)
        table = level_table(across_levels(action, reasoning, context))
        status = f"Simulated {page.quoted(text)} at {sim.pressure.level} pressure: **{sim.decision}**."
        return (
            status,
            flow_html(sim),
            table,
            evidence(simulator.corpus, sim),
            notes_markdown(sim),
            sim.to_dict()["steps"],
        )

    def example(key: str) -> tuple[Any, ...]:
        chosen: Example = EXAMPLES[key]
        a = chosen.action
        return (
            a.description,
            "\n".join(i.text for i in chosen.instructions),
            chosen.explicit_instructions,
            ", ".join(f"{k}={v}" for k, v in a.parameters.items()),
            "\n".join(chosen.reasoning.steps or ()),
            "",
        )

    app = gr.Blocks(title="Tractatus Boundary Decision Simulator", analytics_enabled=False)
    with app:
        page.markdown(INTRO)
        page.markdown(simulator.headline(), elem_id="headline")
        with gr.Row():
            with gr.Column(scale=3):
                text = gr.Textbox(label="Action", placeholder="Edit values.html", elem_id="action")
                level = gr.Radio(levels, value="NORMAL", label="Context pressure", elem_id="pressure")
                metrics = gr.Textbox(
                    label="…or the five metrics (overrides the level)",
                    placeholder="tokens=0.9, messages=100, tasks=1, errors=3, instructions=0",
                    elem_id="metrics",
                )
                instructions = gr.Textbox(
                    label="Instructions the user gave (one per line)", lines=2, elem_id="instructions"
                )
                explicit = gr.Checkbox(
                    value=True, label="Also pass them to MetacognitiveVerifier (as the framework's integration test does)",
                    elem_id="explicit",
                )  # fmt: skip
            with gr.Column(scale=2):
                parameters = gr.Textbox(
                    label="Action parameters", placeholder="port=27017, force=true", elem_id="parameters"
                )
                steps = gr.Textbox(label="Reasoning steps (one per line)", lines=2, elem_id="steps")
                flags = gr.CheckboxGroup(list(FLAGS), label="Action flags", elem_id="flags")
                with gr.Row():
                    kind = gr.Textbox(label="Action type", placeholder="email", elem_id="type")
                    domain = gr.Textbox(label="Domain", placeholder="values", elem_id="domain")
        examples = gr.Radio(
            [(f"{key}: {example.title}", key) for key, example in EXAMPLES.items()],
            label="Worked examples (from the simulator's reference)",
            elem_id="examples",
        )
        button = gr.Button("Simulate", variant="primary", elem_id="run")
        status = page.markdown("", elem_id="status")
        flow = gr.HTML(elem_id="flow")
        gr.Markdown("### The same action at every pressure level")
        table = gr.Dataframe(elem_id="levels", interactive=False, wrap=True)
        gr.Markdown("### Evidence: real decisions in the audit corpus")
        proof = gr.Dataframe(elem_id="evidence", interactive=False)
        notes = page.markdown(elem_id="notes")
        with gr.Accordion("Each step as JSON, with the audit records the services would write", open=False):
            records = gr.JSON(elem_id="records")
        inputs = [text, level, metrics, instructions, explicit, parameters, steps, flags, kind, domain]
        outputs = [status, flow, table, proof, notes, records]
        button.click(run, inputs, outputs, api_name="simulate")
        text.submit(run, inputs, outputs)
        level.change(run, inputs, outputs)
        examples.change(example, [examples], [text, instructions, explicit, parameters, steps, metrics]).then(
            run, inputs, outputs
        )
    return app


def open_simulator(args: argparse.Namespace) -> Simulator:
    """The audit release the arguments name (its `aggregated` config): `--dataset` wins over `--data`."""
    audit, _ = SOURCES.open(args)
    return Simulator(Aggregates(audit))


def launch(simulator: Simulator, host: str = "127.0.0.1", port: int | None = None) -> None:
    page.launch(build_app(simulator), host, port)


def main(argv: Sequence[str] | None = None) -> None:
    shared.run_space("The Tractatus Boundary Decision Simulator.", SOURCES, open_simulator, launch, argv)


if __name__ == "__main__":
    main()
