"""Boundary Decision Simulator: type an action, pick a context pressure, watch the services decide.

The decisions come from `tractatus_simulator`, which follows the framework's public code (commit
77ada42) step by step; the evidence beside them comes from the Audit Decision Corpus' `aggregated`
config (decisions counted per service, boundary and outcome, cells of fewer than k masked).

    python app.py --data build/audit-decisions
    python app.py --dataset tractatus-framework/audit-decisions --revision v1.0.0

Pushed to a Space with `tractatus_spaces`, `tractatus_simulator` and `tractatus_audit_corpus`
beside it, this folder is the whole app: the flow, tables and notes are drawn by
`tractatus_spaces.decision_flow`, and this file lays them out. Gradio's analytics are off.
"""

import argparse
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

from tractatus_simulator import Action, Context, Instruction, Reasoning, across_levels, simulate
from tractatus_simulator.examples import EXAMPLES, Example
from tractatus_simulator.inputs import InputError, parse_metrics, parse_parameters
from tractatus_simulator.model import LEVELS
from tractatus_simulator.pressure import LEVEL_METRICS
from tractatus_spaces import page
from tractatus_spaces import release as shared
from tractatus_spaces.aggregates import Aggregates
from tractatus_spaces.decision_flow import evidence, flow_html, level_table, notes_markdown

if TYPE_CHECKING:
    import gradio as gr

__all__ = [
    "SOURCES",
    "Simulator",
    "build_app",
    "launch",
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
