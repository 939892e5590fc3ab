"""CrossReferenceValidator.validate: does the action contradict an instruction the user gave?
(reference §1.2). It has no pressure input; an instruction's age enters through its recency.

>>> from tractatus_simulator.classifier import classify
>>> from tractatus_simulator.model import Instruction
>>> told = [classify(Instruction("Always use MongoDB on port 27027"))]
>>> validate(Action("Change the MongoDB port to 27017"), told).status  # "port to" is not a port
'APPROVED'
>>> result = validate(Action("Change the MongoDB connection to port 27017"), told)
>>> result.status, result.action, [(c.parameter, c.severity) for c in result.conflicts]
('REJECTED', 'REQUEST_CLARIFICATION', [('port', 'CRITICAL')])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tractatus_simulator.classifier import Classification, relevance
from tractatus_simulator.js import compile_js, js_string, lower, search, trim
from tractatus_simulator.model import Action

__all__ = ["PARAMETER_PATTERNS", "Conflict", "Validation", "extract_parameters", "validate"]

PARAMETER_PATTERNS = {
    "port": (r"port[:\s=]\s*(\d{4,5})", True),
    "host": (r"(?:host|server)[:=]\s*([\w.-]+)", True),
    "database": (r"(?:database|db)[:=]\s*([\w-]+)", True),
    "path": (r"(/[\w./-]+)", False),
    "url": (r"(https?://[\w.-]+(?::\d+)?[\w./-]*)", False),
    "collection": (r"collection[:=]\s*([\w-]+)", True),
    "model": (r"model[:=]\s*([\w-]+)", True),
    "function": (r"function[:=]\s*([\w-]+)", True),
}
PROHIBITIONS = (r"\bnot\s+(\w+)", r"don't\s+use\s+(\w+)", r"\bavoid\s+(\w+)", r"\bnever\s+(\w+)")
CRITICAL_PARAMETERS = ("port", "database", "host", "url", "confirmed")
RELEVANT = 0.3


@dataclass(frozen=True)
class Conflict:
    parameter: str
    action_value: Any
    instruction_value: Any
    instruction: str
    severity: str
    why: str  # which row of the severity table, or the prohibition


@dataclass(frozen=True)
class Validation:
    status: str  # APPROVED, WARNING, REJECTED (ESCALATE only on an error)
    action: str  # PROCEED, NOTIFY_USER, REQUEST_CLARIFICATION
    message: str
    parameters: dict[str, Any]
    relevant: tuple[tuple[Classification, float], ...]  # each relevant instruction with its relevance
    scored: tuple[tuple[Classification, float], ...]  # every instruction with its relevance
    conflicts: tuple[Conflict, ...] = ()
    audit: dict[str, Any] | None = field(default=None)


def extract_parameters(action: Action) -> dict[str, Any]:
    """What the validator reads off the text (`description`, else `command`), then `parameters` over it."""
    text = action.description or action.command or ""
    found: dict[str, Any] = {}
    for name, (pattern, ignore_case) in PARAMETER_PATTERNS.items():
        match = search(pattern, text, ignore_case)
        if match:
            found[name] = match[1]
    found.update(action.parameters)
    return found


def _severity(parameter: str, instruction: Classification) -> tuple[str, str]:
    explicitness, persistence = instruction.explicitness, instruction.persistence
    if persistence == "HIGH":
        return "CRITICAL", "the instruction's persistence is HIGH"
    if instruction.recency_weight > 0.8 and explicitness > 0.7:
        return "CRITICAL", "recent (weight above 0.8) and explicit (above 0.7)"
    if parameter in CRITICAL_PARAMETERS and explicitness > 0.6:
        return "CRITICAL", f"'{parameter}' must be explicit, and explicitness is above 0.6"
    if explicitness > 0.6:
        return "WARNING", "explicitness above 0.6"
    if persistence == "MEDIUM":
        return "WARNING", "persistence MEDIUM"
    return "MINOR", "low persistence and explicitness"


def _conflicts(parameters: dict[str, Any], instruction: Classification) -> list[Conflict]:
    found: list[Conflict] = []
    for name in [key for key in parameters if key in instruction.parameters]:
        ours, theirs = parameters[name], instruction.parameters[name]
        if trim(lower(js_string(ours))) != trim(lower(js_string(theirs))):
            severity, why = _severity(name, instruction)
            found.append(Conflict(name, ours, theirs, instruction.text, severity, why))
    if instruction.persistence == "HIGH":
        text = lower(instruction.text)
        for name, value in parameters.items():
            ours = lower(js_string(value))
            for pattern in PROHIBITIONS:
                for match in compile_js(pattern).finditer(text):
                    word = match[1].lower()
                    if word in ours or ours in word:
                        why = f"the instruction prohibits '{word}'"
                        found.append(
                            Conflict(name, value, f"prohibited: {word}", instruction.text, "CRITICAL", why)
                        )
    return found


def _ago(seconds: float) -> str:
    whole = int(seconds)
    if whole < 60:
        return f"{whole} seconds"
    if whole < 3600:
        return f"{whole // 60} minutes"
    if whole < 86400:
        return f"{whole // 3600} hours"
    return f"{whole // 86400} days"


def _decision(conflicts: list[Conflict], ages: dict[str, float]) -> tuple[str, str, str]:
    if not conflicts:
        return "APPROVED", "PROCEED", "No conflicts detected"
    critical = [c for c in conflicts if c.severity == "CRITICAL"]
    if critical:
        first = critical[0]
        return (
            "REJECTED",
            "REQUEST_CLARIFICATION",
            f"CRITICAL CONFLICT: Action parameter '{first.parameter}' uses '{js_string(first.action_value)}' but user "
            f"explicitly specified '{js_string(first.instruction_value)}' {_ago(ages[first.instruction])} ago",
        )
    warning = [c for c in conflicts if c.severity == "WARNING"]
    if warning:
        first = warning[0]
        return (
            "WARNING",
            "NOTIFY_USER",
            f"Potential conflict in parameter '{first.parameter}': action uses '{js_string(first.action_value)}' "
            f"but user instruction specified '{js_string(first.instruction_value)}' ({_ago(ages[first.instruction])} ago)",
        )
    return "APPROVED", "PROCEED", "Minor conflicts resolved in favor of user instruction"


def validate(
    action: Action,
    instructions: list[Classification],
    ages: dict[str, float] | None = None,
    session: str | None = None,
) -> Validation:
    """`validate(action, {recent_instructions})` with instructions already classified; `ages` gives
    each instruction's age in seconds by its text (for the message), 0 when not given."""
    ages = ages or {}
    parameters = extract_parameters(action)
    scored = tuple((instruction, relevance(instruction, action.description)) for instruction in instructions)
    relevant = tuple(sorted(((i, r) for i, r in scored if r >= RELEVANT), key=lambda pair: -pair[1]))
    if not relevant:
        return Validation(
            "APPROVED", "PROCEED", "No relevant instructions to validate against", parameters, (), scored
        )
    conflicts = [conflict for instruction, _ in relevant for conflict in _conflicts(parameters, instruction)]
    status, verb, message = _decision(
        conflicts, {c.instruction: ages.get(c.instruction, 0.0) for c in conflicts}
    )
    shown = conflicts  # all of them minor when APPROVED
    if status == "REJECTED":
        shown = [c for c in conflicts if c.severity == "CRITICAL"]
    elif status == "WARNING":
        shown = [c for c in conflicts if c.severity == "WARNING"]
    critical = [c.instruction or c.parameter for c in shown if c.severity == "CRITICAL"]
    audit = {
        "sessionId": session or "validator-service",
        "action": "cross_reference_validation",
        "rulesChecked": [instruction.id or "instruction" for instruction, _ in relevant],
        "violations": critical,
        "allowed": status == "APPROVED",
        "metadata": {
            "action_description": action.description[:100] if action.description else None,
            "validation_status": status,
            "conflicts_found": len(shown),
            "critical_conflicts": len(critical),
            "relevant_instructions": len(relevant),
            "validation_action": verb,
            "conflict_details": [
                {
                    "parameter": c.parameter,
                    "severity": c.severity,
                    "action_value": c.action_value,
                    "instruction_value": c.instruction_value,
                }
                for c in shown[:3]
            ],
        },
    }
    return Validation(status, verb, message, parameters, relevant, scored, tuple(shown), audit)
