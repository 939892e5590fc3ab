"""Reading a simulation's inputs from text (the command line's and the Space's boxes), and showing
its steps as text. A bad value is named with its field.

>>> parse_metrics("tokens=0.9, messages=100,errors=3")
Metrics(tokens=0.9, messages=100, tasks=0.0, errors=3, instructions=0)
>>> parse_parameters(["port=27017", "force=true"])
{'port': '27017', 'force': True}
"""

from __future__ import annotations

import re
from dataclasses import fields

from tractatus_simulator.model import Metrics
from tractatus_simulator.simulation import Simulation

__all__ = ["InputError", "parse_metrics", "parse_parameters", "render"]

METRIC_FIELDS = {f.name: f.type for f in fields(Metrics)}


class InputError(ValueError):
    """A value the simulator cannot read; the message names the field."""


def parse_metrics(text: str) -> Metrics:
    values: dict[str, float | int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, equals, value = item.partition("=")
        name = name.strip()
        if not equals or name not in METRIC_FIELDS:
            raise InputError(
                f"metrics: {item!r} is not NAME=NUMBER with NAME one of {', '.join(METRIC_FIELDS)}"
            )
        whole = METRIC_FIELDS[name] == "int"
        try:
            number: float | int = int(value) if whole else float(value)
        except ValueError:
            kind = "a whole number" if whole else "a number"
            raise InputError(f"metrics: {name} must be {kind}, not {value.strip()!r}") from None
        if number < 0 or number != number or number in (float("inf"), float("-inf")):
            raise InputError(f"metrics: {name} must be a finite number of at least 0, not {value.strip()!r}")
        values[name] = number
    return Metrics(**values)  # type: ignore[arg-type]


def parse_parameters(items: list[str]) -> dict[str, str | bool]:
    """KEY=VALUE items; `true`/`false` are booleans, as a JSON action's flags would be."""
    found: dict[str, str | bool] = {}
    for item in filter(None, (item.strip() for item in items)):
        key, equals, value = item.partition("=")
        key = key.strip()
        if not equals or not re.fullmatch(r"[A-Za-z_]\w*", key, re.ASCII):
            raise InputError(f"parameter: {item!r} is not KEY=VALUE with KEY a name such as port")
        value = value.strip()
        found[key] = {"true": True, "false": False}.get(value, value)
    return found


def render(simulation: Simulation) -> str:
    """The steps as plain text, one block per service, then the decision."""
    lines = [f"Action: {simulation.action.description}"]
    p = simulation.pressure
    lines.append(f"Context pressure: {p.level} (score {p.score:.3f}; label {simulation.label})")
    for number, step in enumerate(simulation.steps, 1):
        where = ", ".join(
            f"{name} {value}"
            for name, value in (
                ("boundary", step.boundary),
                ("section", step.section),
                ("domain", step.domain),
            )
            if value
        )
        lines.append(f"{number}. {step.service}: {step.result}" + (f" ({where})" if where else ""))
        lines.append(f"   why: {step.reason}")
        lines.append(
            f"   in the corpus: {step.decision} / {step.outcome}"
            + (f" / {step.corpus_boundary}" if step.corpus_boundary else "")
        )
        for record, kept in zip(step.audits, step.stored, strict=True):
            fate = "stored" if kept else "refused by MongoDB (string violations)"
            lines.append(f"   audit: {record['action']} allowed={str(record['allowed']).lower()} — {fate}")
        if not step.audits:
            lines.append("   audit: none written")
    lines.append(
        f"Decision: {simulation.decision} (MetacognitiveVerifier {simulation.verification.decision})"
    )
    lines.append(
        "Combined as MetacognitiveVerifier.verify does: CrossReferenceValidator, then BoundaryEnforcer, then ContextPressureMonitor."
    )
    for note in simulation.notes:
        lines.append(f"Docs and code differ — {note.topic}. Docs: {note.docs} Code: {note.code}")
    return "\n".join(lines)
