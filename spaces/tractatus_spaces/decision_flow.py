"""A simulation as the Boundary Decision Simulator shows it: the services' steps drawn as a flow with
the deciding path marked, the same action at every pressure level, the Audit Decision Corpus'
evidence for each step's outcome, and the notes where the framework's documents and code differ.

The visitor's text (the action, its parameters, instructions and reasoning steps) is escaped
wherever it is echoed: it is shown, never rendered.
"""

from __future__ import annotations

import html

import pandas as pd  # gradio's own dependency; only the small tables become frames

from tractatus_simulator import changes
from tractatus_simulator.documents import DOCUMENTED_ONLY
from tractatus_simulator.simulation import Simulation
from tractatus_spaces import page
from tractatus_spaces.aggregates import Aggregates

__all__ = ["DRAWN", "evidence", "flow_html", "level_table", "notes_markdown"]

DRAWN = ("BoundaryEnforcer", "CrossReferenceValidator", "ContextPressureMonitor", "MetacognitiveVerifier")
# What made the verifier's decision → the step drawn as deciding it.
DECIDERS = {
    "Alignment": "CrossReferenceValidator",
    "Safety": "BoundaryEnforcer",
    "pressure": "ContextPressureMonitor",
}


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
