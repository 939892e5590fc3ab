"""The reference's worked examples (§4), at every pressure level it gives: intermediate values and results."""

from __future__ import annotations

import pytest

from tractatus_simulator import (
    Action,
    Context,
    Instruction,
    Metrics,
    Reasoning,
    across_levels,
    at_level,
    simulate,
)
from tractatus_simulator.classifier import classify, relevance
from tractatus_simulator.examples import EXAMPLES, PORT_INSTRUCTION
from tractatus_simulator.pressure import LEVEL_METRICS, analyze


def run(key: str, level: str = "NORMAL"):  # type: ignore[no-untyped-def]
    example = EXAMPLES[key]
    context = at_level(
        level, instructions=example.instructions, explicit_instructions=example.explicit_instructions
    )
    return simulate(example.action, example.reasoning, context)


def scores(key: str) -> list[float]:
    return [round(d.score, 2) for d in run(key).verification.dimensions]


def table(key: str) -> dict[str, tuple[float, str]]:
    example = EXAMPLES[key]
    context = Context(instructions=example.instructions, explicit_instructions=example.explicit_instructions)
    return {
        level: (round(sim.verification.confidence, 2), sim.verification.decision)
        for level, sim in across_levels(example.action, example.reasoning, context).items()
    }


def test_the_reference_contexts_compute_their_levels() -> None:
    assert analyze(LEVEL_METRICS["NORMAL"]).score == pytest.approx(0.15)
    assert [r.action for r in analyze(LEVEL_METRICS["NORMAL"]).recommendations] == ["CONTINUE_NORMAL"]
    critical = analyze(LEVEL_METRICS["CRITICAL"])
    assert (round(critical.score, 3), len(critical.recommendations), len(critical.warnings)) == (0.745, 5, 5)
    assert critical.audit(None, ())["allowed"] is True
    assert round(analyze(LEVEL_METRICS["DANGEROUS"]).score, 2) == 0.88
    assert {level: analyze(metrics).level for level, metrics in LEVEL_METRICS.items()} == {
        level: level for level in LEVEL_METRICS
    }


def test_a_edit_values_html() -> None:
    sim = run("A")
    be = sim.verification.enforcement
    assert (be.action, be.allowed, be.requirement_type, be.domain, be.boundary, be.keywords) == (
        "REQUEST_APPROVAL", False, "APPROVAL_REQUIRED", "VALUES_SENSITIVE", None, ()
    )  # fmt: skip
    assert be.audit is None and sim.step("BoundaryEnforcer").audits == ()
    assert sim.verification.validation.status == "APPROVED" and sim.verification.validation.audit is None
    safety = sim.verification.dimension("Safety")
    assert (round(safety.score, 2), safety.risk) == (0.3, "CRITICAL")
    assert scores("A") == [0.8, 0.5, 0.3, 0.3, 0.3]
    assert [(f.dimension, f.severity) for f in sim.verification.failures] == [
        ("Coherence", "WARNING"), ("Completeness", "WARNING"), ("Safety", "WARNING"), ("Alternatives", "WARNING")
    ]  # fmt: skip
    assert table("A") == {
        "NORMAL": (0.49, "REQUEST_CONFIRMATION"),
        "ELEVATED": (0.44, "REQUEST_CONFIRMATION"),
        "HIGH": (0.39, "REQUIRE_REVIEW"),
        "CRITICAL": (0.34, "REQUIRE_REVIEW"),
        "DANGEROUS": (0.24, "BLOCK"),
    }
    mv = sim.step("MetacognitiveVerifier").audits[0]
    assert (mv["allowed"], mv["violations"]) == (False, [])


def test_b_the_instruction_is_classified_as_the_reference_traces() -> None:
    c = classify(Instruction(PORT_INSTRUCTION))
    assert (c.scope, c.quadrant, c.quadrant_scores["STRATEGIC"], c.quadrant_scores["SYSTEM"]) == (
        "PERMANENT", "STRATEGIC", 2, 0
    )  # fmt: skip
    assert c.explicitness == pytest.approx(0.85)
    assert (c.persistence, c.verification, c.parameters, c.recency_weight) == (
        "HIGH",
        "MANDATORY",
        {"port": "27027"},
        1.0,
    )
    assert round(relevance(c, "Change the MongoDB port to 27017"), 3) == 0.698


@pytest.mark.parametrize(
    ("key", "crv", "expected_scores", "normal", "critical"),
    [
        (
            "B1",
            "APPROVED",
            [0.8, 0.5, 0.5, 0.9, 0.3],
            (0.65, "PROCEED_WITH_CAUTION"),
            (0.5, "REQUEST_CONFIRMATION"),
        ),
        (
            "B2",
            "REJECTED",
            [0.0, 0.5, 0.5, 0.9, 0.3],
            (0.41, "REQUEST_CONFIRMATION"),
            (0.26, "REQUIRE_REVIEW"),
        ),
        ("B3", "REJECTED", [0.2, 0.5, 0.5, 0.9, 0.3], (0.47, "BLOCK"), (0.32, "BLOCK")),
    ],
)
def test_b_the_27027_variants(
    key: str, crv: str, expected_scores: list[float], normal: tuple[float, str], critical: tuple[float, str]
) -> None:
    assert run(key).step("BoundaryEnforcer").result == "PROCEED"
    assert run(key).verification.validation.status == crv
    assert scores(key) == expected_scores
    assert table(key)["NORMAL"] == normal and table(key)["CRITICAL"] == critical


def test_b_details() -> None:
    assert table("B1")["ELEVATED"] == (0.6, "PROCEED_WITH_CAUTION")  # exactly 0.60 in doubles, not below
    b1 = run("B1").verification.validation
    assert (b1.parameters, b1.audit is not None, b1.audit and b1.audit["allowed"]) == ({}, True, True)
    b2 = run("B2")
    alignment = b2.verification.dimension("Alignment")
    assert [amount for _, amount in alignment.adjustments] == [-0.6, -0.3] and alignment.score == 0.0
    first = b2.verification.failures[0]
    assert (first.dimension, first.score, first.severity) == (
        "Alignment",
        0.5,
        "WARNING",
    )
    audit = b2.verification.validation.audit
    assert audit is not None
    assert (audit["allowed"], audit["violations"], audit["metadata"]["conflict_details"]) == (
        False,
        [PORT_INSTRUCTION],
        [
            {
                "parameter": "port",
                "severity": "CRITICAL",
                "action_value": "27017",
                "instruction_value": "27027",
            }
        ],
    )
    assert b2.verification.validation.action == "REQUEST_CLARIFICATION"
    assert set(table("B2-alone").values()) == {(v, "BLOCK") for v, _ in table("B2-alone").values()}
    alone = run("B2-alone").verification
    assert (
        round(alone.dimension("Alignment").score, 2),
        round(alone.dimension("Completeness").score, 2),
    ) == (0.2, 0.3)
    assert all(decision == "BLOCK" for _, decision in table("B3").values())


def test_c_a_claim_of_a_guarantee() -> None:
    sims = {level: run("C", level) for level in LEVEL_METRICS}
    be = sims["NORMAL"].verification.enforcement
    assert (be.action, be.boundary, be.section) == ("REQUIRE_HUMAN_DECISION", "VALUES", "inst_017")
    assert be.message.startswith("This decision crosses Tractatus boundary inst_017: ")
    assert be.violated_boundaries == ["VALUES", "VALUES"]
    assert [v.violation_type for v in be.violations] == ["ABSOLUTE_ASSURANCE", "FABRICATED_STATISTIC"]
    assert be.violations[0].term == "guarantee"
    assert {level: sim.verification.enforcement.escalation_required for level, sim in sims.items()} == {
        "NORMAL": False, "ELEVATED": False, "HIGH": False, "CRITICAL": True, "DANGEROUS": False
    }  # fmt: skip
    assert be.audit is not None
    assert (be.audit["allowed"], be.audit["metadata"]["enforcement_decision"]) == (False, "BLOCKED")
    assert round(sims["NORMAL"].verification.original_confidence, 2) == 0.49
    assert [sims[level].verification.decision for level in ("NORMAL", "CRITICAL", "DANGEROUS")] == [
        "REQUEST_CONFIRMATION", "REQUIRE_REVIEW", "BLOCK"
    ]  # fmt: skip


def test_d_delete_the_production_database() -> None:
    sims = {level: run("D", level) for level in LEVEL_METRICS}
    normal = sims["NORMAL"]
    be = normal.verification.enforcement
    assert (be.action, be.domain, be.audit and be.audit["allowed"]) == (
        "PROCEED",
        "TECHNICAL_IMPLEMENTATION",
        True,
    )
    v = normal.verification
    assert round(v.dimension("Completeness").score, 2) == 0.1 and v.dimension("Safety").score == 0.0
    assert v.dimension("Safety").risk == "HIGH"
    assert [(f.dimension, f.severity) for f in v.failures] == [
        ("Coherence", "WARNING"), ("Completeness", "CRITICAL"), ("Safety", "WARNING"), ("Alternatives", "WARNING")
    ]  # fmt: skip
    assert (round(v.original_confidence, 2), v.level) == (0.39, "REQUIRE_REVIEW")
    assert {sim.verification.decision for sim in sims.values()} == {"BLOCK"}
    reasons = {level: sim.verification.reason for level, sim in sims.items()}
    assert (
        reasons["NORMAL"]
        == reasons["CRITICAL"]
        == "Critical failures detected: Coherence, Completeness, Safety, Alternatives"
    )
    assert reasons["DANGEROUS"] == "Operation blocked: pressure too high for safe execution"
    assert v.audit["violations"] == ["Completeness"]
    planned = run("D-planned").verification
    assert [round(d.score, 2) for d in planned.dimensions] == [0.8, 0.7, 0.9, 0.0, 0.3]
    assert round(planned.original_confidence, 2) == 0.59
    assert table("D-planned")["NORMAL"] == (0.59, "REQUEST_CONFIRMATION")
    assert table("D-planned")["CRITICAL"] == (0.44, "REQUEST_CONFIRMATION")


def test_e_fix_a_typo() -> None:
    sim = run("E")
    assert (sim.step("BoundaryEnforcer").result, sim.step("CrossReferenceValidator").result) == (
        "PROCEED",
        "APPROVED",
    )
    assert scores("E") == [0.8, 0.5, 0.3, 0.9, 0.3]
    assert (round(sim.verification.original_confidence, 2), sim.verification.level) == (
        0.61,
        "PROCEED_WITH_CAUTION",
    )
    assert sim.verification.audit["allowed"] is True
    assert table("E") == {
        "NORMAL": (0.61, "PROCEED_WITH_CAUTION"),
        "ELEVATED": (0.56, "REQUEST_CONFIRMATION"),
        "HIGH": (0.51, "REQUEST_CONFIRMATION"),
        "CRITICAL": (0.46, "REQUEST_CONFIRMATION"),
        "DANGEROUS": (0.36, "BLOCK"),
    }
    assert (
        run("E", "CRITICAL").verification.level == "PROCEED_WITH_CAUTION"
    )  # the level reads the raw confidence


def test_with_empty_reasoning_proceed_is_unreachable() -> None:
    best = simulate(
        Action("Fix a typo"), Reasoning(), at_level("NORMAL", instructions=(Instruction(PORT_INSTRUCTION),))
    )
    assert best.verification.original_confidence <= 0.77 and best.verification.decision != "PROCEED"
    assert simulate(Action("x"), Reasoning(), Context(metrics=Metrics())).pressure.score == 0.03
