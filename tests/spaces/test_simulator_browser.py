"""`tractatus-datasets simulator` end to end in Debian's chromium: the flow diagram and the per-level
table against the simulation library, the evidence against a DuckDB query of the release's shards,
a change of pressure, a worked example clicked, a visitor's text in every box; no other host."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.helpers import run
from tests.spaces.browser import (
    HOSTILE,
    assert_literal,
    browser_page,
    elsewhere,
    fill,
    press,
    screenshot,
    serve,
    status,
)
from tractatus_simulator import Action, Context, across_levels, at_level, simulate
from tractatus_simulator.examples import EXAMPLES

TYPED = "Should we change the privacy policy?"


def shown_steps(page: Any) -> list[tuple[str, str, str]]:
    return [
        (
            step.get_attribute("data-service"),
            step.get_attribute("data-result"),
            step.get_attribute("data-decision"),
        )
        for step in page.locator("#flow .step").all()
    ]


def expected_steps(simulation: Any) -> list[tuple[str, str, str]]:
    return [(step.service, step.result, step.decision) for step in simulation.steps]


def levels_shown(page: Any) -> list[list[str]]:
    cells = page.locator("#levels [role=gridcell]")
    cells.nth(9 * 5 - 1).wait_for()
    texts = [cells.nth(i).inner_text().strip() for i in range(9 * 5)]
    return [texts[i : i + 9] for i in range(0, 45, 9)]


def evidence_shown(page: Any) -> list[list[str]]:
    cells = page.locator("#evidence [role=gridcell]")
    cells.nth(6 * 4 - 1).wait_for()
    texts = [cells.nth(i).inner_text().strip() for i in range(6 * 4)]
    return [texts[i : i + 6] for i in range(0, 24, 6)]


def corpus_count(release: Path, service: str, boundary: str | None, outcome: str | None) -> int:
    """Decisions of the service (and boundary) with the outcome, straight from the shards."""
    con = duckdb.connect()
    info = con.execute(
        f"SELECT * FROM read_parquet('{release}/data/aggregated/*.parquet') LIMIT 0"
    ).description
    assert [c[0] for c in info][:1]  # the config is there
    services = ["BoundaryEnforcer", "ContextPressureMonitor", "CrossReferenceValidator", "InstructionPersistenceClassifier",
                "MetacognitiveVerifier", "BlogCuration", "PluralisticDeliberationOrchestrator", "BashCommandValidator", "Other"]  # fmt: skip
    outcomes = ["allowed", "allowed_with_warning", "human_approval_required", "blocked"]
    sql = f"SELECT coalesce(sum(count), 0) FROM read_parquet('{release}/data/aggregated/*.parquet') WHERE service = ?"
    params: list[Any] = [services.index(service)]
    if boundary:
        sql += " AND boundary = ?"
        params.append(boundary)
    if outcome:
        sql += " AND outcome = ?"
        params.append(outcomes.index(outcome))
    return int(con.execute(sql, params).fetchone()[0])  # type: ignore[index]


@pytest.mark.browser
def test_simulator_steps_levels_and_evidence_equal_the_library_and_the_shards(
    demo: Path, tmp_path: Path
) -> None:
    release = demo / "audit-decisions"
    shots = os.environ.get("TRACTATUS_SIMULATOR_SCREENSHOTS")
    requests: list[str] = []
    with serve(tmp_path, "simulator", "--data", release) as served, browser_page(requests) as page:
        page.goto(served.url)
        page.wait_for_selector("#run")
        fill(page, "action", TYPED)
        truth = simulate(Action(TYPED), context=at_level("NORMAL"))
        assert press(page, "#run") == f"Simulated “{TYPED}” at NORMAL pressure: {truth.decision}."
        assert shown_steps(page) == expected_steps(truth)
        assert page.get_attribute("#flow .decision", "data-result") == truth.verification.decision
        be = truth.step("BoundaryEnforcer")
        assert (be.result, be.corpus_boundary) == ("REQUIRE_HUMAN_DECISION", "12.1 Values")
        assert page.inner_text("#flow .step[data-service=BoundaryEnforcer] .reason") == be.reason
        assert be.reason == "keyword 'should', 'privacy', 'policy'"

        by_level = across_levels(Action(TYPED))
        rows = levels_shown(page)
        assert [row[0] for row in rows] == list(by_level)
        for row, (level, sim) in zip(rows, by_level.items(), strict=True):
            assert row[1:8] == [
                f"{sim.pressure.score:.3f}".rstrip("0"),
                sim.step("BoundaryEnforcer").result,
                sim.step("CrossReferenceValidator").result,
                str(round(sim.verification.original_confidence, 2)),
                str(round(sim.verification.confidence, 2)),
                sim.verification.decision,
                sim.decision,
            ], level
        assert [row[8] for row in rows] == ["", "", "◀ changes here", "", "◀ changes here"]

        for row, step in zip(evidence_shown(page), truth.steps, strict=True):
            boundary = step.corpus_boundary
            assert row[:3] == [step.service, boundary or "(any)", step.outcome]
            assert int(row[3]) == corpus_count(release, step.service, boundary, step.outcome)
            assert int(row[4]) == corpus_count(release, step.service, boundary, None)
        assert int(evidence_shown(page)[0][4]) > 0  # the demo corpus holds 12.1 Values decisions
        screenshot(page, shots and f"{shots}/simulator.png", full_page=True)

        # Another pressure: the diagram and the status follow.
        page.evaluate("() => { window.answered = false }")
        page.click("#pressure label:has-text('DANGEROUS')")
        page.wait_for_function("() => document.querySelector('#status')?.innerText.includes('DANGEROUS')")
        dangerous = simulate(Action(TYPED), context=at_level("DANGEROUS"))
        assert status(page) == f"Simulated “{TYPED}” at DANGEROUS pressure: block."
        assert shown_steps(page) == expected_steps(dangerous)

        # A worked example, clicked: D is let through by the enforcer and blocked by the verifier.
        page.click("#pressure label:has-text('NORMAL')")
        page.wait_for_function("() => document.querySelector('#status')?.innerText.includes('NORMAL')")
        page.click("#examples label:has-text('D: Delete the production database')")
        page.wait_for_function(
            "() => document.querySelector('#status')?.innerText.includes('Delete the production')"
        )
        example = simulate(EXAMPLES["D"].action, context=at_level("NORMAL"))
        assert shown_steps(page) == expected_steps(example)
        assert shown_steps(page)[0][1] == "PROCEED" and example.decision == "block"
        assert "12.3 Irreversible Changes" in page.inner_text("#notes")
    assert elsewhere(requests) == []
    assert served.outside_calls() == ""


@pytest.mark.browser
def test_a_visitors_text_is_shown_never_interpreted_in_the_simulator(demo: Path, tmp_path: Path) -> None:
    requests: list[str] = []
    with (
        serve(tmp_path, "simulator", "--data", demo / "audit-decisions") as served,
        browser_page(requests) as page,
    ):
        page.goto(served.url)
        page.wait_for_selector("#run")
        for typed in HOSTILE:
            fill(page, "action", typed)
            assert press(page, "#run").startswith("Simulated “")
            assert_literal(page, "#status", typed)
            assert_literal(page, "#flow q.action-text", typed)
            for box, field in (("metrics", "metrics"), ("parameters", "parameter")):
                fill(page, box, typed)
                assert press(page, "#run").startswith(f"Check the inputs: {field}: ")
                assert_literal(page, "#status", typed)
                fill(page, box, "")
            for box in ("instructions", "steps", "type", "domain"):
                fill(page, box, typed)
                press(page, "#run")
                assert_literal(page, "#flow ul.inputs", typed)
                fill(page, box, "")
    assert elsewhere(requests) == []
    assert served.outside_calls() == ""


def test_simulator_of_a_missing_release_says_what_to_do(tmp_path: Path) -> None:
    result = run("simulator", "--data", tmp_path / "nothing", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"error: {tmp_path / 'nothing'} is not a folder: run `tractatus-datasets demo` first, or pass --data PATH\n"
    )


def test_context_for_a_level_is_the_reference_context() -> None:
    assert at_level("CRITICAL") == Context(metrics=at_level("CRITICAL").metrics)
