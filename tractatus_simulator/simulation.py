"""One action through the services, as `MetacognitiveVerifier.verify` runs them, named in the corpus' words.

The steps are shown in the order the framework's pictures draw them (BoundaryEnforcer,
CrossReferenceValidator, ContextPressureMonitor, then the decision), but the final step is the
verifier's: it calls CrossReferenceValidator in its Alignment check, BoundaryEnforcer in its Safety
check, then ContextPressureMonitor, and combines their verdicts into its own. No code of the
framework runs BoundaryEnforcer → CrossReferenceValidator → ContextPressureMonitor → decision.

Every step also carries the corpus vocabulary (`allow`/`warn`/`ask`/`block` and the outcome), from
`tractatus_audit_corpus.mapping`, the tables the audit export reads its rows with.

>>> sim = simulate(Action("Edit values.html"), context=at_level("HIGH"))
>>> [(step.service, step.result, step.decision) for step in sim.steps]  # doctest: +NORMALIZE_WHITESPACE
[('BoundaryEnforcer', 'REQUEST_APPROVAL', 'block'), ('CrossReferenceValidator', 'APPROVED', 'allow'),
 ('ContextPressureMonitor', 'HIGH', 'warn'), ('MetacognitiveVerifier', 'REQUIRE_REVIEW', 'ask')]
>>> sim.decision, round(sim.verification.confidence, 2)
('ask', 0.39)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Any

from tractatus_audit_corpus.mapping import outcome_of, verdict_decision
from tractatus_audit_corpus.vocab import BOUNDARIES, Service
from tractatus_simulator import documents
from tractatus_simulator.boundary import ENFORCEMENT_RULES
from tractatus_simulator.classifier import Classification, classify
from tractatus_simulator.model import LEVELS, Action, Context, Reasoning
from tractatus_simulator.pressure import LEVEL_METRICS, Pressure, analyze
from tractatus_simulator.verifier import PRESSURE_REDUCTION, Verification, verify

__all__ = [
    "Simulation",
    "Step",
    "across_levels",
    "at_level",
    "changes",
    "simulate",
]

# The order MetacognitiveVerifier.verify calls the others in (what really runs).
CALLS = ("CrossReferenceValidator", "BoundaryEnforcer", "ContextPressureMonitor")
DECISION_ORDER = ("PROCEED", "PROCEED_WITH_CAUTION", "REQUEST_CONFIRMATION", "REQUIRE_REVIEW", "BLOCK")


@dataclass(frozen=True)
class Step:
    """One service's verdict, in its own words and in the corpus'."""

    service: str
    result: str  # the service's own string (its action, status, level or decision)
    boundary: str | None
    section: str | None
    domain: str | None
    reason: str  # why, in the simulator's words: which keyword, indicator, threshold or score
    verdict: str  # what the corpus records as the row's verdict
    decision: str  # allow / warn / ask / block
    outcome: str  # allowed / allowed_with_warning / human_approval_required / blocked
    corpus_boundary: str | None  # the boundary label the corpus uses ("12.1 Values")
    audits: tuple[dict[str, Any], ...]  # what the service sends to `auditDecision`, in order (may be none)

    @property
    def stored(self) -> tuple[bool, ...]:
        """Whether each audit record would persist at commit 77ada42: MongoDB refuses the plain
        string `violations` every service sends, so a record with any is never written."""
        return tuple(not record["violations"] for record in self.audits)

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "result": self.result,
            "boundary": self.boundary,
            "section": self.section,
            "domain": self.domain,
            "reason": self.reason,
            "corpus": {
                "verdict": self.verdict,
                "decision": self.decision,
                "outcome": self.outcome,
                "boundary": self.corpus_boundary,
            },
            "audit": [
                {"record": record, "stored": kept}
                for record, kept in zip(self.audits, self.stored, strict=True)
            ],
        }


@dataclass(frozen=True)
class Simulation:
    action: Action
    reasoning: Reasoning
    context: Context
    label: str | None  # the `pressure_level` label the services were given
    classifications: tuple[Classification, ...]
    verification: Verification
    steps: tuple[Step, ...]
    calls: tuple[str, ...] = CALLS
    notes: tuple[documents.Note, ...] = field(default=())

    @property
    def pressure(self) -> Pressure:
        return self.verification.pressure

    @property
    def decision(self) -> str:
        """The final decision, in the corpus' vocabulary (the verifier's, through its table)."""
        return self.steps[-1].decision

    def step(self, service: str) -> Step:
        return next(step for step in self.steps if step.service == service)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.description,
            "steps": [step.to_dict() for step in self.steps],
            "decision": self.decision,
            "combined_by": "MetacognitiveVerifier.verify (CrossReferenceValidator, then BoundaryEnforcer, then ContextPressureMonitor)",
            "pressure": {"level": self.pressure.level, "score": self.pressure.score, "label": self.label},
            "notes": [note.to_dict() for note in self.notes],
            "documented_only": [entry.to_dict() for entry in documents.DOCUMENTED_ONLY],
        }


def _step(
    service: Service,
    result: str,
    reason: str,
    recorded: str | None,
    allowed: bool,
    audits: tuple[dict[str, Any], ...],
    where: tuple[str | None, str | None, str | None] = (None, None, None),
) -> Step:
    """A step, named in the corpus' words: `recorded` is the verdict its record carries (None when
    it has none), read through the export's tables with the `allowed` flag; `where` is the
    boundary, section and domain."""
    verdict, decision = verdict_decision(service, recorded, allowed)
    boundary = where[0]
    label = BOUNDARIES[boundary][1] if boundary in BOUNDARIES else None
    outcome = outcome_of(decision, allowed).value
    return Step(service.value, result, *where, reason, verdict, decision.value, outcome, label, audits)


def _boundary_step(v: Verification) -> Step:
    e = v.enforcement
    recorded = ("ALLOWED" if e.allowed else "BLOCKED") if e.audit else None
    reason = e.rule if e.audit else f"{e.rule}; not audited (only hard blocks and PROCEED are)"
    if e.escalation_required:
        reason += "; escalation_required, since the context's pressure_level is CRITICAL"
    audits = (e.audit,) if e.audit else ()
    return _step(
        Service.BOUNDARY_ENFORCER,
        e.action,
        reason,
        recorded,
        e.allowed,
        audits,
        (e.boundary, e.section, e.domain),
    )


def _validation_reason(v: Verification, classifications: tuple[Classification, ...]) -> str:
    validation = v.validation
    if not classifications:
        return "no instructions given, so none is relevant"
    if not validation.relevant:
        best = max(score for _, score in validation.scored)
        return f"no instruction reaches relevance 0.30 (the best scores {best:.3f}); not audited"
    scores = ", ".join(f"{score:.3f}" for _, score in validation.relevant)
    if not validation.conflicts:
        found = ", ".join(f"{k}={val}" for k, val in validation.parameters.items()) or "none"
        return f"relevant instruction(s) at {scores}; parameters read from the action: {found}; no conflict"
    first = validation.conflicts[0]
    return (
        f"relevant instruction(s) at {scores}; '{first.parameter}' {first.action_value} against "
        f"{first.instruction_value}: {first.severity} ({first.why})"
    )


def _validation_step(v: Verification, classifications: tuple[Classification, ...]) -> Step:
    validation = v.validation
    audits = tuple(c.audit for c in classifications) + ((validation.audit,) if validation.audit else ())
    reason = _validation_reason(v, classifications)
    allowed = validation.status == "APPROVED"
    return _step(
        Service.CROSS_REFERENCE_VALIDATOR, validation.status, reason, validation.status, allowed, audits
    )


def _pressure_step(v: Verification, session: str | None) -> Step:
    p = v.pressure
    reason = (
        f"score {p.score:.3f} ≥ {LEVELS[p.level]:.2f}, so {p.level} ({p.action}); top metric {p.top_metric}; "
        f"{len(p.warnings)} warning(s)"
    )
    audit = p.audit(session, ENFORCEMENT_RULES)
    return _step(Service.CONTEXT_PRESSURE_MONITOR, p.level, reason, p.action, p.number < 4, (audit,))


def _verification_reason(v: Verification) -> str:
    scores = " · ".join(f"{d.name} {d.score:.2f}" for d in v.dimensions)
    raw = f"raw confidence {v.original_confidence:.2f} ({scores})"
    if v.decided_by == ("pressure",):
        cause = "pressure DANGEROUS" if v.pressure.number >= 4 else "the pressure_level label DANGEROUS"
        return f"{raw}; {cause} forces BLOCK"
    critical = [f for f in v.failures if f.severity == "CRITICAL"]
    if critical:
        named = ", ".join(f"{f.dimension} {f.score:.2f} < 0.30" for f in critical)
        return f"{raw}; a CRITICAL failure ({named}) forces BLOCK"
    reduction = PRESSURE_REDUCTION[v.pressure.level]
    return f"{raw} − {reduction:.2f} for {v.pressure.level} = {v.confidence:.2f}, so {v.decision}"


def _verification_step(v: Verification) -> Step:
    reason = _verification_reason(v)
    return _step(Service.METACOGNITIVE_VERIFIER, v.decision, reason, v.decision, v.allowed, (v.audit,))


def at_level(level: str, **changes: Any) -> Context:
    """A context whose metrics compute `level` (the reference's §3 contexts where it gives one)."""
    if level not in LEVEL_METRICS:
        raise ValueError(f"unknown pressure level {level!r}: one of {', '.join(LEVELS)}")
    return replace(Context(metrics=LEVEL_METRICS[level]), **changes)


def simulate(
    action: Action, reasoning: Reasoning | None = None, context: Context | None = None
) -> Simulation:
    """The services' verdicts on `action`, each from a fresh service, and the verifier's decision."""
    reasoning = reasoning or Reasoning()
    context = context or Context()
    label = context.label if context.label is not None else analyze(context.metrics).level
    classifications = tuple(
        classify(instruction, context.session, ENFORCEMENT_RULES) for instruction in context.instructions
    )
    explicit = [i.text for i in context.instructions] if context.explicit_instructions else []
    ages = {i.text: i.age_seconds for i in context.instructions}
    verification = verify(
        action,
        reasoning,
        context.metrics,
        list(classifications),
        explicit,
        label,
        context.session,
        ages,
    )
    steps = (
        _boundary_step(verification),
        _validation_step(verification, classifications),
        _pressure_step(verification, context.session),
        _verification_step(verification),
    )
    simulation = Simulation(action, reasoning, context, label, classifications, verification, steps)
    return replace(simulation, notes=tuple(documents.notes_for(simulation)))


def across_levels(
    action: Action, reasoning: Reasoning | None = None, context: Context | None = None
) -> dict[str, Simulation]:
    """The same action at each of the five levels (each computed from metrics, and so labelled)."""
    context = context or Context()
    return {
        level: simulate(action, reasoning, replace(context, metrics=LEVEL_METRICS[level], label=None))
        for level in LEVELS
    }


def changes(simulations: dict[str, Simulation]) -> list[str]:
    """The levels at which the verifier's decision differs from the level below."""
    levels = list(simulations)
    return [
        level
        for below, level in itertools.pairwise(levels)
        if simulations[level].verification.decision != simulations[below].verification.decision
    ]
