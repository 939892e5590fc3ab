"""The ten facts a simulator must respect (reference §0), one test each."""

from __future__ import annotations

from dataclasses import replace

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
from tractatus_simulator.crossref import extract_parameters
from tractatus_simulator.documents import DOCUMENTED_ONLY
from tractatus_simulator.examples import EXAMPLES, PORT_INSTRUCTION
from tractatus_simulator.simulation import CALLS


def test_1_no_code_runs_the_drawn_chain_the_verifier_combines() -> None:
    sim = simulate(Action("Fix a typo in the README"))
    assert sim.calls == CALLS == ("CrossReferenceValidator", "BoundaryEnforcer", "ContextPressureMonitor")
    assert [step.service for step in sim.steps][-1] == "MetacognitiveVerifier"
    assert sim.to_dict()["combined_by"].startswith("MetacognitiveVerifier.verify")
    assert sim.notes[0].topic == "The order of the services"


def test_2_the_boundary_enforcer_never_depends_on_pressure() -> None:
    for example in EXAMPLES.values():
        sims = across_levels(example.action, example.reasoning, Context(instructions=example.instructions))
        results = {
            (
                s.verification.enforcement.action,
                s.verification.enforcement.allowed,
                s.verification.enforcement.boundary,
            )
            for s in sims.values()
        }
        assert len(results) == 1, example.key
        flags = {level: s.verification.enforcement.escalation_required for level, s in sims.items()}
        blocked = sims["NORMAL"].verification.enforcement.action == "REQUIRE_HUMAN_DECISION"
        assert flags == {level: blocked and level == "CRITICAL" for level in sims}, example.key


def test_3_the_cross_reference_validator_has_no_pressure_input() -> None:
    example = EXAMPLES["B2"]
    sims = across_levels(example.action, context=Context(instructions=example.instructions))
    assert {(s.verification.validation.status, s.verification.validation.message) for s in sims.values()} == {
        (
            "REJECTED",
            "CRITICAL CONFLICT: Action parameter 'port' uses '27017' but user explicitly specified '27027' 0 seconds ago",
        )
    }


def test_4_pressure_changes_decisions_only_in_the_verifier_and_a_label_alone_changes_nothing() -> None:
    action = Action("Fix a typo in the README")
    bare = simulate(action, context=Context(metrics=Metrics(), label="NORMAL"))
    labelled = simulate(action, context=Context(metrics=Metrics(), label="CRITICAL"))
    assert labelled.pressure.level == "NORMAL" and labelled.pressure.score == 0.03
    assert labelled.verification.decision == bare.verification.decision == "PROCEED_WITH_CAUTION"
    dangerous_label = simulate(action, context=Context(metrics=Metrics(), label="DANGEROUS"))
    assert (dangerous_label.pressure.level, dangerous_label.verification.decision) == ("NORMAL", "BLOCK")
    # The unit test's CRITICAL label with token_usage 0.9 computes ELEVATED (0.345): only 0.05 off.
    unit = simulate(action, context=Context(metrics=Metrics(tokens=0.9), label="CRITICAL"))
    assert (unit.pressure.level, round(unit.pressure.score, 3)) == ("ELEVATED", 0.345)
    assert round(unit.verification.original_confidence - unit.verification.confidence, 2) == 0.05


def test_5_values_html_is_not_the_word_value() -> None:
    sim = simulate(Action("Edit values.html"))
    be = sim.verification.enforcement
    assert (be.boundary, be.keywords, be.domain, be.action) == (
        None,
        (),
        "VALUES_SENSITIVE",
        "REQUEST_APPROVAL",
    )
    assert simulate(Action("Edit the value")).verification.enforcement.boundary == "VALUES"


def test_6_deleting_the_production_database_passes_the_enforcer_and_the_verifier_blocks_it() -> None:
    sim = simulate(Action("Delete the production database"))
    assert sim.step("BoundaryEnforcer").result == "PROCEED"
    assert sim.verification.decided_by == ("Completeness",)
    assert any(note.topic == "12.3 Irreversible Changes" for note in sim.notes)


def test_7_the_port_pattern_needs_port_then_colon_space_or_equals() -> None:
    assert "port" not in extract_parameters(Action("Change the MongoDB port to 27017"))
    for typed in ("port 27017", "port: 27017", "port=27017", "mongosh --port 27017"):
        assert extract_parameters(Action(f"Use {typed}"))["port"] == "27017", typed
    assert extract_parameters(Action("Write the report 2025"))["port"] == "2025"  # "port" is not word-bounded


def test_8_a_score_of_zero_is_judged_as_half_so_the_worse_input_escapes_the_block() -> None:
    worse = simulate(EXAMPLES["B2"].action, context=Context(instructions=(Instruction(PORT_INSTRUCTION),)))
    milder = simulate(
        EXAMPLES["B2"].action,
        context=Context(instructions=(Instruction(PORT_INSTRUCTION),), explicit_instructions=False),
    )
    assert worse.verification.dimension("Alignment").score == 0.0
    assert worse.verification.failures[0].severity == "WARNING" and worse.verification.decision != "BLOCK"
    assert (
        round(milder.verification.dimension("Alignment").score, 2) == 0.2
        and milder.verification.decision == "BLOCK"
    )
    assert any(note.topic == "A score of exactly 0" for note in worse.notes)


def test_9_every_run_starts_from_fresh_services() -> None:
    action, context = Action("Fix a typo in the README"), at_level("NORMAL")
    runs = [simulate(action, context=replace(context, metrics=Metrics(tokens=t))) for t in (0.1, 0.5, 0.9)]
    assert all("trend" not in run.step("ContextPressureMonitor").audits[0]["metadata"] for run in runs)
    assert simulate(action, context=context) == simulate(action, context=context)
    told = Context(instructions=(Instruction(PORT_INSTRUCTION),))
    simulate(EXAMPLES["B2"].action, context=told)
    assert simulate(EXAMPLES["E"].action).verification.validation.relevant == ()  # no instruction cached


def test_10_the_deliberation_orchestrator_is_documented_only() -> None:
    sim = simulate(Action("Decide for the user which values matter"), Reasoning())
    assert "PluralisticDeliberationOrchestrator" not in [step.service for step in sim.steps]
    assert DOCUMENTED_ONLY[0].name == "PluralisticDeliberationOrchestrator"
    assert sim.to_dict()["documented_only"][0]["code"].startswith("No source in any public commit")
