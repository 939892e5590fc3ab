"""MetacognitiveVerifier.verify, the only place in the code where the services combine (reference §1.5, §2).

Alignment calls CrossReferenceValidator, Safety calls BoundaryEnforcer, then ContextPressureMonitor
gives the level that lowers the confidence. Each dimension keeps the adjustments it made, in the
code's order, so the doubles (and every threshold test) come out as the JavaScript's do.

>>> v = verify(Action("Fix a typo in the README"), Reasoning(), Metrics(tokens=0.2, messages=20))
>>> [round(d.score, 2) for d in v.dimensions], round(v.original_confidence, 2), v.decision
([0.8, 0.5, 0.3, 0.9, 0.3], 0.61, 'PROCEED_WITH_CAUTION')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tractatus_simulator import boundary, crossref, pressure
from tractatus_simulator.classifier import Classification
from tractatus_simulator.js import js_string, lower, search
from tractatus_simulator.model import Action, Metrics, Reasoning

__all__ = ["CONFIDENCE_LEVELS", "DIMENSIONS", "PRESSURE_REDUCTION", "Dimension", "Verification", "verify"]

# name → (weight, threshold below which it fails), in the code's order.
DIMENSIONS = {
    "Alignment": (0.3, 0.7),
    "Coherence": (0.2, 0.7),
    "Completeness": (0.2, 0.8),
    "Safety": (0.2, 0.9),
    "Alternatives": (0.1, 0.6),
}
CONFIDENCE_LEVELS = (
    (0.8, "PROCEED"),
    (0.6, "PROCEED_WITH_CAUTION"),
    (0.4, "REQUEST_CONFIRMATION"),
    (0.0, "REQUIRE_REVIEW"),
)
PRESSURE_REDUCTION = {"NORMAL": 0.0, "ELEVATED": 0.05, "HIGH": 0.10, "CRITICAL": 0.15, "DANGEROUS": 0.25}
DECISION_REASONS = {
    "REQUEST_CLARIFICATION": "Low confidence in alignment or completeness",
    "REQUEST_CONFIRMATION": "Moderate confidence, user confirmation recommended",
}
PRESSURE_BLOCK = "Operation blocked: pressure too high for safe execution"
# Which service's verdict feeds which dimension (the rest read only the action and reasoning).
FED_BY = {"Alignment": "CrossReferenceValidator", "Safety": "BoundaryEnforcer"}


@dataclass
class Dimension:
    name: str
    score: float = 0.0
    adjustments: list[tuple[str, float]] = field(default_factory=list)  # (why, how much), in order
    risk: str | None = None  # Safety's risk level

    def adjust(self, amount: float, why: str) -> None:
        self.score += amount
        self.adjustments.append((why, amount))

    def clamp(self) -> None:
        self.score = min(1.0, max(0.0, self.score))

    @property
    def weight(self) -> float:
        return DIMENSIONS[self.name][0]

    @property
    def threshold(self) -> float:
        return DIMENSIONS[self.name][1]


@dataclass(frozen=True)
class Failure:
    dimension: str
    score: float  # as the code reports it: a score of exactly 0 is reported (and judged) as 0.5
    severity: str  # CRITICAL below 0.3, else WARNING


@dataclass(frozen=True)
class Verification:
    dimensions: tuple[Dimension, ...]
    original_confidence: float
    level: str  # from the raw confidence
    failures: tuple[Failure, ...]
    pressure: pressure.Pressure
    label: str | None
    confidence: float
    decision: str
    reason: str | None
    decided_by: tuple[str, ...]  # what made the decision: failed dimensions, the pressure, or the confidence
    validation: crossref.Validation
    enforcement: boundary.Enforcement
    audit: dict[str, Any]

    @property
    def allowed(self) -> bool:
        return self.decision in ("PROCEED", "PROCEED_WITH_CAUTION")

    def dimension(self, name: str) -> Dimension:
        return next(d for d in self.dimensions if d.name == name)


def _steps_text(reasoning: Reasoning) -> str:
    return " ".join(reasoning.steps or ())


def _action_text(action: Action) -> str:
    return f"{action.type or ''} {action.description or ''} {action.command or ''}"


def _alignment(
    action: Action, reasoning: Reasoning, explicit: list[str], validation: crossref.Validation
) -> Dimension:
    score = Dimension("Alignment", 0.5)
    if action.parameters and reasoning.explanation and _parameter_conflict(action, reasoning):
        score.adjust(-0.4, "a parameter contradicts the explanation")
    if explicit and action.parameters:
        for text in explicit:
            said = lower(text)
            for key, value in action.parameters.items():
                for pattern in (rf"{key}\s+(\d+)", rf"{key}[:\s=]+(\d+)"):
                    match = search(pattern, said)
                    if match:
                        if match[1] != js_string(value):
                            score.adjust(
                                -0.6, f"'{key}' {js_string(value)} against the instruction's {match[1]}"
                            )
                        else:
                            score.adjust(0.5, f"'{key}' {match[1]} as the instruction says")
                        break
    bonus = {"APPROVED": 0.3, "WARNING": 0.1, "REJECTED": -0.3}.get(validation.status)
    if bonus is not None:
        score.adjust(bonus, f"CrossReferenceValidator {validation.status}")
    if reasoning.user_goal_addressed:
        score.adjust(0.2, "addresses the user's stated goal")
    score.clamp()
    return score


def _parameter_conflict(action: Action, reasoning: Reasoning) -> bool:
    text = f"{reasoning.explanation or ''} {' '.join(reasoning.evidence or ())}"
    for key, value in action.parameters.items():
        wanted = js_string(value)
        explicit = search(rf"\b{key}\s*[:=]\s*([\w.-]+)", text)
        if explicit and explicit[1] != wanted:
            return True
        if not explicit and search(r"^\d+$", wanted, ignore_case=False):
            natural = search(rf"\b{key}\s+(\d+)", text)
            if natural and natural[1] != wanted:
                return True
    return False


def _contradicts(reasoning: Reasoning) -> bool:
    if not reasoning.explanation and reasoning.steps is None:
        return False
    text = f"{reasoning.explanation or ''} {_steps_text(reasoning)}"
    pairs = (("should use", "should not use"), ("will use", "will not use"), ("must.*true", "must.*false"),
             ("enable", "disable"))  # fmt: skip
    if any(search(first, text) and search(second, text) for first, second in pairs):
        return True
    clashes = (
        ("react", "vue"),
        ("angular", "react"),
        ("angular", "vue"),
        ("mysql", "postgresql"),
        ("mongodb", "sql"),
    )
    return any(first in lower(text) and second in lower(text) for first, second in clashes)


def _coherence(reasoning: Reasoning) -> Dimension:
    score = Dimension("Coherence", 0.7)
    if not reasoning.steps:
        score.adjust(-0.2, "no reasoning steps")
    if reasoning.evidence is not None and len(reasoning.evidence) == 0:
        score.adjust(-0.5, "evidence given, but empty")
    text = f"{reasoning.explanation or ''} {_steps_text(reasoning)}"
    if search(r"\b(maybe|perhaps|might|possibly|not sure|uncertain)\b", text):
        score.adjust(-0.2, "uncertain language")
    if reasoning.assumptions_and_conclusions:
        score.adjust(0.2, "assumptions and conclusions")
    if _contradicts(reasoning):
        score.adjust(-0.4, "the reasoning contradicts itself")
    score.clamp()
    return score


def _completeness(action: Action, reasoning: Reasoning, explicit: list[str]) -> Dimension:
    score = Dimension("Completeness", 0.5)
    parameters = action.parameters
    destructive = bool(search("delete|remove|drop|truncate|destroy|force", _action_text(action))) or any(
        bool(parameters.get(key)) for key in ("destructive", "force", "delete")
    )
    steps = reasoning.steps or ()
    if destructive and len(steps) < 4:
        score.adjust(-0.2, "destructive, with fewer than 4 steps")
    if explicit:
        score.adjust(0.2, "explicit instructions to follow")
    if steps:
        score.adjust(0.2, "reasoning steps given")
        if len(steps) >= 4:
            score.adjust(0.2, "4 or more steps")
        elif len(steps) < 2:
            score.adjust(-0.1, "a single step")
        if action.type == "deploy" or parameters.get("environment") == "production":
            said = lower(_steps_text(reasoning))
            if "test" not in said:
                score.adjust(-0.2, "a deployment whose steps do not test")
            if "backup" not in said:
                score.adjust(-0.1, "a deployment whose steps take no backup")
    else:
        score.adjust(-0.2, "no reasoning steps")
    if reasoning.edge_cases:
        score.adjust(0.1, "edge cases considered")
    if reasoning.error_handling or action.error_handling:
        score.adjust(0.1, "error handling")
    score.clamp()
    return score


DESTRUCTIVE = (
    r"delete|remove|drop|truncate",
    r"force|--force|-f\s",
    r"rm\s+-rf",
    r"modify_schema|alter.*table|migrate.*database",
)


def _safety(action: Action, reasoning: Reasoning, enforcement: boundary.Enforcement) -> Dimension:
    score = Dimension("Safety", 0.9, risk="LOW")
    if not enforcement.allowed:
        score.adjust(-0.5, f"BoundaryEnforcer {enforcement.action} (not allowed)")
        score.risk = "CRITICAL"
    text = _action_text(action)
    hit = next((m[0] for m in (search(p, text) for p in DESTRUCTIVE) if m), None)
    flagged = any(action.parameters.get(key) is True for key in ("destructive", "force", "delete"))
    if hit is not None or flagged:
        score.adjust(-0.9, f"destructive ('{hit}')" if hit else "a destructive parameter")
        score.risk = "HIGH"
    backup = reasoning.backup_mentioned or bool(search("backup", lower(_steps_text(reasoning))))
    if score.score < 0.7 and not backup:
        score.adjust(-0.1, "risky, and no backup mentioned")
    if action.requires_validation and not reasoning.validation_planned:
        score.adjust(-0.1, "needs validation, none planned")
    score.clamp()
    return score


def _alternatives(reasoning: Reasoning) -> Dimension:
    score = Dimension("Alternatives", 0.5)
    if reasoning.alternatives:
        score.adjust(0.3, "alternatives considered")
    if reasoning.chosen_because:
        score.adjust(0.2, "a reason for the choice")
    if reasoning.alternatives is None and not reasoning.explored:
        score.adjust(-0.2, "the first idea, unexplored")
    score.clamp()
    return score


def _decision(
    confidence: float, failures: list[Failure], level: pressure.Pressure, label: str | None
) -> tuple[str, tuple[str, ...]]:
    critical = tuple(f.dimension for f in failures if f.severity == "CRITICAL")
    if critical:
        return "BLOCK", critical
    if level.number >= 4 or label == "DANGEROUS":
        return "BLOCK", ("pressure",)
    for floor, decision in (
        (0.4, "REQUIRE_REVIEW"),
        (0.6, "REQUEST_CONFIRMATION"),
        (0.8, "PROCEED_WITH_CAUTION"),
    ):
        if confidence < floor:
            return decision, ("confidence",)
    return "PROCEED", ("confidence",)


def verify(
    action: Action,
    reasoning: Reasoning,
    metrics: Metrics,
    instructions: list[Classification] | None = None,
    explicit: list[str] | None = None,
    label: str | None = None,
    session: str | None = None,
    ages: dict[str, float] | None = None,
) -> Verification:
    """`verify(action, reasoning, context)` on fresh services; `instructions` are the context's
    `recent_instructions`, `explicit` the texts of its `explicit_instructions`, `label` its
    `pressure_level`."""
    explicit = explicit or []
    validation = crossref.validate(action, instructions or [], ages, session)
    alignment = _alignment(action, reasoning, explicit, validation)
    coherence = _coherence(reasoning)
    completeness = _completeness(action, reasoning, explicit)
    enforcement = boundary.enforce(action, label, session)
    safety = _safety(action, reasoning, enforcement)
    alternatives = _alternatives(reasoning)
    dimensions = (alignment, coherence, completeness, safety, alternatives)
    total = 0.0
    for dimension in dimensions:
        total += dimension.score * dimension.weight
    raw = min(1.0, max(0.0, total))
    level = next(name for floor, name in CONFIDENCE_LEVELS if raw >= floor)
    failures = []
    for dimension in dimensions:
        judged = dimension.score or 0.5  # `scoreData.score || 0.5`: a 0 is judged as 0.5
        if judged < dimension.threshold:
            failures.append(Failure(dimension.name, judged, "CRITICAL" if judged < 0.3 else "WARNING"))
    analysis = pressure.analyze(metrics)
    confidence = max(0.0, raw - PRESSURE_REDUCTION[analysis.level])
    decision, decided_by = _decision(confidence, failures, analysis, label)
    if decision == "BLOCK" and (analysis.number >= 4 or label == "DANGEROUS"):
        reason: str | None = PRESSURE_BLOCK
    elif decision == "BLOCK":
        reason = "Critical failures detected: " + ", ".join(f.dimension for f in failures)
    elif decision == "PROCEED":
        reason = None
    else:
        reason = DECISION_REASONS.get(decision, "Proceeding with high confidence")
    critical = [f.dimension for f in failures if f.severity == "CRITICAL"]
    recommendations = len(failures) + len(analysis.recommendations)
    audit = {
        "sessionId": session or "verifier-service",
        "action": "metacognitive_verification",
        "rulesChecked": list(boundary.ENFORCEMENT_RULES),
        "violations": critical,
        "allowed": decision in ("PROCEED", "PROCEED_WITH_CAUTION"),
        "metadata": {
            "action_description": action.description[:100] if action.description else None,
            "confidence": confidence,
            "original_confidence": raw,
            "decision": decision,
            "level": level,
            "pressure_level": analysis.level,
            "pressure_adjustment": confidence - raw,
            "checks": {d.name.lower(): d.score >= d.threshold for d in dimensions},
            "critical_failures": len(critical),
            "failed_checks": [f.dimension for f in failures],
            "recommendations_count": recommendations,
        },
    }
    return Verification(
        dimensions=dimensions,
        original_confidence=raw,
        level=level,
        failures=tuple(failures),
        pressure=analysis,
        label=label,
        confidence=confidence,
        decision=decision,
        reason=reason,
        decided_by=decided_by,
        validation=validation,
        enforcement=enforcement,
        audit=audit,
    )
