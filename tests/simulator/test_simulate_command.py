"""`tractatus-datasets simulate`: the same steps as the library, as text or JSON; bad input, one line."""

from __future__ import annotations

import json

from tests.helpers import run
from tractatus_simulator import Action, Context, Metrics, simulate
from tractatus_simulator.examples import PORT_INSTRUCTION


def test_json_gives_each_step_in_the_services_own_words_and_the_decision() -> None:
    result = run(
        "simulate", "Change the MongoDB port to 27017", "--parameter", "port=27017",
        "--instruction", PORT_INSTRUCTION, "--pressure", "critical", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert [
        {key: step[key] for key in ("service", "result", "boundary", "section", "domain")} for step in shown["steps"]
    ] == [
        {"service": "BoundaryEnforcer", "result": "PROCEED", "boundary": None, "section": None, "domain": "TECHNICAL_IMPLEMENTATION"},
        {"service": "CrossReferenceValidator", "result": "REJECTED", "boundary": None, "section": None, "domain": None},
        {"service": "ContextPressureMonitor", "result": "CRITICAL", "boundary": None, "section": None, "domain": None},
        {"service": "MetacognitiveVerifier", "result": "REQUIRE_REVIEW", "boundary": None, "section": None, "domain": None},
    ]  # fmt: skip
    assert list(shown["steps"][0])[:6] == ["service", "result", "boundary", "section", "domain", "reason"]
    assert shown["decision"] == "ask"
    assert shown["pressure"]["level"] == "CRITICAL" and round(shown["pressure"]["score"], 3) == 0.745
    assert (
        shown["steps"][1]["audit"][-1]["record"]["metadata"]["conflict_details"][0]["instruction_value"]
        == "27027"
    )


def test_metrics_are_read_as_the_monitor_reads_them() -> None:
    result = run(
        "simulate",
        "Fix a typo in the README",
        "--metrics",
        "tokens=1.0,messages=150,errors=3,instructions=10",
        "--json",
    )
    shown = json.loads(result.stdout)
    library = simulate(
        Action("Fix a typo in the README"), context=Context(metrics=Metrics(1.0, 150, 0, 3, 10))
    )
    assert (
        (shown["pressure"]["level"], shown["decision"])
        == ("DANGEROUS", "block")
        == (library.pressure.level, library.decision)
    )
    assert shown["steps"][3]["reason"] == library.step("MetacognitiveVerifier").reason


def test_text_names_each_step_and_the_combining_verifier() -> None:
    result = run("simulate", "Publish a blog post claiming 95% uptime guaranteed", "--pressure", "CRITICAL")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert (
        lines[2]
        == "1. BoundaryEnforcer: REQUIRE_HUMAN_DECISION (boundary VALUES, section inst_017, domain VALUES)"
    )
    assert lines[3].startswith("   why: content rule inst_017 (ABSOLUTE_ASSURANCE: 'guarantee'), inst_016")
    assert lines[3].endswith("; escalation_required, since the context's pressure_level is CRITICAL")
    assert "Decision: ask (MetacognitiveVerifier REQUIRE_REVIEW)" in lines


def test_bad_input_is_one_line_naming_the_field() -> None:
    result = run("simulate", "x", "--metrics", "tokens=lots")
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "error: metrics: tokens must be a number, not 'lots'\n",
    )
    result = run("simulate", "x", "--parameter", "port")
    assert result.stderr == "error: parameter: 'port' is not KEY=VALUE with KEY a name such as port\n"
    result = run("simulate", "x", "--pressure", "HIGH", "--metrics", "tokens=1")
    assert result.returncode == 2 and "not allowed with argument" in result.stderr
