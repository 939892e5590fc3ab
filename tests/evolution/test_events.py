"""Event files: the shipped history as facts §4 dates it, and every way a file can be wrong."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.helpers import run
from tractatus_datasets.errors import ProblemsFound, UsageError
from tractatus_evolution_log.events import SHIPPED_EVENTS, read_events

TODAY = dt.date(2026, 11, 24)

# Every dated entry of facts §4, worked out by hand: (id, date, end_date, precision, kind).
HISTORY = [
    ("inception", "2024-07-01", None, "quarter", "milestone"),
    ("27027-incident", "2025-09-01", "2025-09-30", "estimated", "incident"),
    ("project-initialised", "2025-10-06", None, "day", "milestone"),
    ("fabricated-statistics", "2025-10-07", "2025-10-09", "day", "incident"),
    ("framework-core-services", "2025-10-07", None, "day", "service_addition"),
    ("implementation-guide-v1-0", "2025-10-07", None, "day", "version"),
    ("unit-tests-and-statistics", "2025-10-07", None, "day", "milestone"),
    ("case-studies-and-rule-proliferation", "2025-10-09", None, "day", "publication"),
    ("inst-016-018", "2025-10-09", None, "day", "rule_addition"),
    ("phase-5-poc-memoryproxy", "2025-10-09", "2025-10-10", "estimated", "architecture_change"),
    ("pre-publication-security-audit", "2025-10-09", None, "day", "incident"),
    ("phase-5-priority", "2025-10-10", None, "day", "architecture_change"),
    ("phase-5-session-1", "2025-10-10", None, "day", "service_addition"),
    ("phase-5-session-2", "2025-10-10", None, "day", "service_addition"),
    ("implementation-guide-v1-1", "2025-10-11", None, "day", "version"),
    ("technical-architecture-and-quickstart", "2025-10-12", None, "day", "version"),
    ("inst-026-027", "2025-10-13", "2025-10-24", "estimated", "rule_addition"),
    ("multi-project-governance", "2025-10-13", "2025-10-24", "estimated", "architecture_change"),
    ("session-handoffs", "2025-10-22", "2025-10-24", "day", "milestone"),
    ("closedown-killed-dev-server", "2025-10-25", None, "day", "incident"),
    ("enforcement-wave-1", "2025-10-25", None, "day", "architecture_change"),
    ("enforcement-waves-2-5", "2025-10-25", None, "day", "architecture_change"),
    ("handoff-skipped", "2025-10-25", None, "day", "incident"),
    ("phase-0-complete", "2025-10-25", None, "day", "milestone"),
    ("pluralistic-deliberation-orchestrator", "2025-10-25", None, "estimated", "service_addition"),
    ("prohibited-term-blocked", "2025-10-25", None, "day", "incident"),
    ("research-v0-1", "2025-10-25", None, "day", "version"),
    ("agent-lightning-integration", "2025-11-03", None, "day", "publication"),
]


def test_the_shipped_history_is_every_dated_entry_of_the_facts_in_date_order() -> None:
    source = read_events(SHIPPED_EVENTS, TODAY)
    found = [
        (
            e.meta.id,
            e.meta.date.isoformat(),
            e.meta.end_date and e.meta.end_date.isoformat(),
            e.meta.date_precision.value,
            e.meta.kind.value,
        )
        for e in source.events
    ]
    assert found == HISTORY
    assert source.files == 28 and source.ignored == []
    assert all(e.file == f"{e.meta.date.isoformat()}-{e.meta.id}.md" for e in source.events)


def test_both_stories_named_27027_are_told_and_point_at_each_other() -> None:
    events = {e.meta.id: e for e in read_events(SHIPPED_EVENTS, TODAY).events}
    canonical, paper = events["27027-incident"], events["handoff-skipped"]
    assert canonical.meta.instructions == ["STR-002"] and paper.meta.instructions == ["inst_083"]
    assert "27027" in canonical.body and "27027" in paper.meta.title
    assert any("handoff-skipped" in sentence for sentence in canonical.meta.disagreements)
    assert any("27027-incident" in sentence for sentence in paper.meta.disagreements)
    assert any(
        "107k tokens" in sentence for sentence in canonical.meta.disagreements
    )  # tech-architecture's version


def test_the_sources_contradictions_are_recorded_not_resolved() -> None:
    events = {e.meta.id: e.meta for e in read_events(SHIPPED_EVENTS, TODAY).events}
    assert events["framework-core-services"].active_services == 5
    assert "PluralisticDeliberationOrchestrator" in events["framework-core-services"].disagreements[0]
    assert "BlogCuration" in events["phase-5-session-2"].disagreements[0]
    assert any("1,298" in s for s in events["research-v0-1"].disagreements)
    assert any("203" in s for s in events["phase-5-session-2"].disagreements)


VALID = """\
---
id: test-event
date: 2025-10-25
date_precision: day
kind: milestone
title: "A test event"
services:
  - BoundaryEnforcer
---
What happened.
"""

INCIDENT = """\
---
id: test-incident
date: 2025-10-25
date_precision: day
kind: incident
title: "A test incident"
instructions:
  - inst_018
severity: LOW
root_cause: "Why."
response: "What changed."
---
What happened.
"""


def folder_with(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "events"
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.md").write_text(text, encoding="utf-8")
    return folder


def problems(folder: Path) -> list[str]:
    with pytest.raises(ProblemsFound) as caught:
        read_events(folder, TODAY)
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (VALID.replace('title: "A test event"', "title: [unclosed"), "e.md:7: title: invalid YAML: expected ',' or ']', but got ':'"),
        (VALID.replace("  - BoundaryEnforcer", "  - BoundaryEnforcer\n - CrossReferenceValidator"), "e.md:9: services: invalid YAML: expected <block end>, but found '<block sequence start>'"),
        (VALID.replace('title: "A test event"', 'title: "A test: event'), "e.md:9: title: invalid YAML: found unexpected end of stream"),
        (VALID.replace("kind: milestone\n", ""), "e.md:1: kind: a required field is missing"),
        (VALID.replace("kind: milestone", "kind: incidnet"), "e.md:5: kind: 'incidnet' is not one of ['incident', 'rule_addition', 'service_addition', 'architecture_change', 'version', 'milestone', 'publication']"),
        (VALID.replace("date: 2025-10-25", "date: 2026-11-25"), "e.md:3: date: 2026-11-25 is in the future (today is 2026-11-24)"),
        (VALID.replace("date: 2025-10-25", "date: 2025-10"), "e.md:3: date: '2025-10' is not a date written YYYY-MM-DD"),
        (VALID.replace("date: 2025-10-25", "date: 2025-10-32"), "e.md:3: date: '2025-10-32' is not a date written YYYY-MM-DD"),
        (VALID.replace("  - BoundaryEnforcer", "  - BoundaryEnforcer\n  - Boundary Enforcer"), "e.md:9: services.1: 'Boundary Enforcer' is not one of ['BoundaryEnforcer', 'ContextPressureMonitor', 'CrossReferenceValidator', 'InstructionPersistenceClassifier', 'MetacognitiveVerifier', 'BlogCuration', 'PluralisticDeliberationOrchestrator', 'BashCommandValidator', 'MemoryProxy', 'RuleOptimizer', 'ClaudeMdAnalyzer', 'VariableSubstitution', 'enforcement hooks', 'session lifecycle']"),
        (VALID.replace("kind: milestone", "kind: milestone\nauthor: someone"), "e.md:6: author: is not a known field; the fields are id, date, date_precision, end_date, kind, title, services, instructions, framework_version, references, disagreements, active_rules, active_services, severity, root_cause, response"),
        (VALID.replace("kind: milestone", "kind: milestone\nkind: incident"), "e.md:6: kind: appears twice"),
        (VALID.replace("kind: milestone", "kind: milestone\nframework_version: 1.0"), "e.md:6: framework_version: 1.0 is not valid under any of the given schemas"),
        (VALID.replace("date_precision: day", "date_precision: month"), "e.md:3: date: precision 'month' needs the first of the month, not 2025-10-25"),
        (VALID.replace("date: 2025-10-25", "date: 2025-10-25\nend_date: 2025-10-24"), "e.md:4: end_date: 2025-10-24 is before date 2025-10-25"),
        (VALID.replace("kind: milestone", "kind: milestone\nseverity: HIGH"), "e.md:6: severity: only incidents have severity; this event is a milestone"),
        (VALID.replace("What happened.\n", "  \n"), "e.md: the Markdown body is empty; say what happened"),
        (VALID.removeprefix("---\n"), "e.md:1: must start with a '---' line opening the front matter"),
        (VALID.replace("---\nWhat", "What"), "e.md:1: the front matter is never closed by a '---' line"),
        (VALID.replace("kind: milestone", "kind: milestone\ninstructions:\n  - never fabricate statistics"), "e.md:7: instructions.0: 'never fabricate statistics' does not match '^(?:inst_\\\\d{3}|(?:STR|OPS|TAC|SYS|SEC|VAL|QUAL)-\\\\d{3}|TRA-[A-Z]{3}-\\\\d{4})$'"),
        (INCIDENT.replace("severity: LOW\n", ""), "e.md:1: severity: a required field is missing"),
        (INCIDENT.replace("severity: LOW", "severity: null"), "e.md:9: severity: None should not be valid under {'type': 'null'}"),
    ],
    ids=[
        "bad-yaml", "bad-indent", "unclosed-quote", "missing-field", "unknown-kind", "future-date", "month-only-date", "impossible-date",
        "unknown-service", "unknown-field", "duplicate-key", "unquoted-version", "precision-mismatch",
        "end-before-start", "incident-field-elsewhere", "empty-body", "no-front-matter", "unclosed",
        "rule-text-not-id", "incident-without-severity", "incident-null-severity",
    ],
)  # fmt: skip
def test_each_malformed_file_is_named_with_its_line_and_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert problems(folder_with(tmp_path, e=text)) == [expected]


def test_a_duplicate_id_names_both_files(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, a=VALID, b=VALID.replace("A test event", "Another"))
    assert problems(folder) == ["b.md:2: id: 'test-event' is already the id of a.md"]


def test_every_problem_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    """Schema problems first; the checks that need a well-formed event run once it is one."""
    folder = folder_with(
        tmp_path,
        a=VALID.replace("kind: milestone", "kind: nope"),
        b=INCIDENT.replace('response: "What changed."\n', ""),
        c=VALID.replace("id: test-event", "id: c-event")
        .replace("date: 2025-10-25", "date: 2030-01-01\nend_date: 2029-12-31")
        .replace("kind: milestone", "kind: milestone\nroot_cause: nobody knows"),
    )
    assert problems(folder) == [
        "a.md:5: kind: 'nope' is not one of ['incident', 'rule_addition', 'service_addition', 'architecture_change', 'version', 'milestone', 'publication']",
        "b.md:1: response: a required field is missing",
        "c.md:3: date: 2030-01-01 is in the future (today is 2026-11-24)",
        "c.md:4: end_date: 2029-12-31 is before date 2030-01-01",
        "c.md:4: end_date: 2029-12-31 is in the future (today is 2026-11-24)",
        "c.md:7: root_cause: only incidents have root_cause; this event is a milestone",
    ]


def test_a_bom_crlf_and_other_files_are_accepted(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, e="\ufeff" + VALID.replace("\n", "\r\n"))
    (folder / "notes.txt").write_text("not an event")
    source = read_events(folder, TODAY)
    assert [e.meta.id for e in source.events] == ["test-event"]
    assert source.events[0].body == "What happened.\n"
    assert source.ignored == ["notes.txt"]


def test_yaml_tags_that_build_python_objects_are_refused(tmp_path: Path) -> None:
    evil = VALID.replace('title: "A test event"', "title: !!python/object/apply:os.system ['true']")
    [problem] = problems(folder_with(tmp_path, e=evil))
    assert problem.startswith("e.md:6: title: invalid YAML: could not determine a constructor for the tag")


def test_a_missing_or_empty_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is not a folder of event files"):
        read_events(tmp_path / "absent", TODAY)
    with pytest.raises(UsageError, match="holds no event files"):
        read_events(tmp_path, TODAY)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (VALID.replace("title: ", "title: ["), "e.md:7: title: invalid YAML"),
        (VALID.replace('title: "A test event"\n', ""), "e.md:1: title: a required field is missing"),
        (VALID.replace("kind: milestone", "kind: outage"), "e.md:5: kind: 'outage' is not one of"),
        (VALID.replace("date: 2025-10-25", "date: 2099-01-01"), "e.md:3: date: 2099-01-01 is in the future"),
    ],
    ids=["bad-yaml", "missing-field", "unknown-kind", "future-date"],
)
def test_the_command_exits_1_names_the_file_and_field_and_writes_nothing(
    tmp_path: Path, text: str, where: str
) -> None:
    folder = folder_with(tmp_path, e=text)
    out = tmp_path / "release"
    result = run("export", "evolution", "--source", folder, "--out", out, "--version", "1.0.0")
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"error: 1 problem(s) in the event files of {folder}; nothing was written\n"
    )
    assert f"  {where}" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events"]


def test_the_command_reports_a_duplicate_id_with_exit_1(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, a=VALID, b=VALID)
    result = run("export", "evolution", "--source", folder, "--out", tmp_path / "r", "--version", "1.0.0")
    assert result.returncode == 1
    assert "  b.md:2: id: 'test-event' is already the id of a.md" in result.stderr
    assert not (tmp_path / "r").exists()


def test_the_readme_example_event_is_a_valid_event(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = readme.split("```markdown\n", 1)[1].split("```", 1)[0]
    [event] = read_events(folder_with(tmp_path, e=example), TODAY).events
    assert (event.meta.id, event.meta.kind.value, event.meta.instructions) == (
        "prohibited-term-blocked",
        "incident",
        ["inst_018"],
    )
