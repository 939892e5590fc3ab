"""The Evolution Log release: loaded back with `datasets`, and linked to an audit corpus release."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import datasets
import jsonschema
import pyarrow.parquet as pq
import pytest
from bson import json_util

from tests.audit.shapes import auditlog, subdoc
from tests.helpers import as_json, export, file_digests, run
from tractatus_audit_corpus.builder import SPEC as AUDIT_SPEC
from tractatus_audit_corpus.plugin import incident_links
from tractatus_datasets.plugins import ExportOptions
from tractatus_evolution_log.builder import SPEC, EvolutionOptions, export_evolution
from tractatus_evolution_log.events import SHIPPED_EVENTS, read_events

TODAY = dt.date(2026, 11, 24)
SCHEMAS = Path(__file__).resolve().parents[2] / "schemas" / "evolution_log"


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


# Blocked decisions around the incidents' windows, each with the incident it must link to, worked
# out by hand. New Zealand is UTC+13 in October 2025, so NZ day 2025-10-25 is 10-24 11:00Z to 10-25 11:00Z.
DECISIONS = [
    ("a1", at(2025, 10, 24, 10, 59), ["inst_018"], None),  # 23:59 on 10-24 in NZ: the day before
    ("a2", at(2025, 10, 24, 11, 0), ["inst_018"], "prohibited-term-blocked"),  # NZ midnight: first minute
    ("a3", at(2025, 10, 25, 10, 59), ["inst_018"], "prohibited-term-blocked"),  # last minute of the day
    ("a4", at(2025, 10, 25, 11, 0), ["inst_018"], None),  # NZ 10-26
    ("a5", at(2025, 10, 25, 2, 0), ["inst_083"], "handoff-skipped"),
    (
        "a6",
        at(2025, 10, 25, 2, 1),
        ["inst_002", "inst_018"],
        "closedown-killed-dev-server",
    ),  # tie: smaller id
    (
        "a7",
        at(2025, 10, 7, 12, 0),
        ["inst_017"],
        "fabricated-statistics",
    ),  # NZ 10-08: only the 3-day incident
    ("a8", at(2025, 10, 8, 12, 0), ["inst_017"], "pre-publication-security-audit"),  # NZ 10-09: 1 day beats 3
    ("a9", at(2025, 10, 25, 2, 2), ["INNOVATION"], None),  # blocked, but by no incident's rule
]


def write_audit_source(folder: Path) -> Path:
    folder.mkdir(parents=True)
    lines = []
    for index, (_, when, rules, _) in enumerate(DECISIONS):
        doc = auditlog(
            f"68fc27a5000000000000{index:04x}",
            when,
            sessionId=f"session-{index}",
            action="boundary_enforcement",
            allowed=False,
            violations=[subdoc(rule, "HIGH") for rule in rules],
            metadata={"enforcement_decision": "BLOCKED"},
        )
        lines.append(json_util.dumps(doc))
    (folder / "auditLogs.json").write_text("\n".join(lines) + "\n")
    return folder


def options(out: Path, source: Path | None = None, version: str = "1.0.0") -> ExportOptions:
    return ExportOptions(
        source=str(source) if source else None, out=out, version=version, max_shard_rows=1000
    )


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("evolution")
    audit = root / "audit"
    export(write_audit_source(root / "audit-source"), audit, links=incident_links())
    linked, plain = root / "linked", root / "plain"
    export_evolution(options(linked), EvolutionOptions(audit=audit, today=TODAY))
    export_evolution(options(plain), EvolutionOptions(today=TODAY))
    return {"audit": audit, "linked": linked, "plain": plain}


def load(root: Path, config: str, tmp_path: Path) -> datasets.Dataset:
    return datasets.load_dataset(str(root), config, split="train", cache_dir=str(tmp_path / "cache"))


def test_incidents_has_the_27027_incident_with_its_date_precision(
    releases: dict[str, Path], tmp_path: Path
) -> None:
    incidents = load(releases["plain"], "incidents", tmp_path)
    rows = {row["incident_id"]: row for row in incidents}
    assert list(rows) == [
        "27027-incident",
        "fabricated-statistics",
        "pre-publication-security-audit",
        "closedown-killed-dev-server",
        "handoff-skipped",
        "prohibited-term-blocked",
    ]
    canonical = rows["27027-incident"]
    precision = incidents.features["date_precision"]
    assert precision.int2str(canonical["date_precision"]) == "estimated"
    assert (canonical["date"], canonical["end_date"]) == (dt.date(2025, 9, 1), dt.date(2025, 9, 30))
    assert incidents.features["severity"].int2str(canonical["severity"]) == "HIGH"
    assert canonical["instructions"] == ["STR-002"]
    # NZ September: NZST (UTC+12) until daylight saving starts on 2025-09-28, then NZDT (UTC+13).
    assert canonical["window_start"] == at(2025, 8, 31, 12, 0)
    assert canonical["window_end"] == at(2025, 9, 30, 11, 0)
    assert canonical["linked_decisions"] is None  # built without an audit release
    assert "27027" in rows["handoff-skipped"]["title"]


def test_full_has_every_event_with_typed_columns(releases: dict[str, Path], tmp_path: Path) -> None:
    full = load(releases["plain"], "full", tmp_path)
    shipped = read_events(SHIPPED_EVENTS, TODAY).events
    assert full["id"] == [e.meta.id for e in shipped] and full.num_rows == 28
    assert full.features["kind"] == datasets.ClassLabel(
        names=[
            "incident",
            "rule_addition",
            "service_addition",
            "architecture_change",
            "version",
            "milestone",
            "publication",
        ]
    )
    assert isinstance(full.features["services"], datasets.List)
    services = full.features["services"].feature
    assert isinstance(services, datasets.ClassLabel)
    audit_services = AUDIT_SPEC.config("full").features["service"].names
    assert services.names[:8] == audit_services[:8]  # the same service, the same integer
    assert full.features["instructions"] == datasets.List(datasets.Value("string"))
    assert full.features["date"] == datasets.Value("date32")
    row = full[full["id"].index("inst-016-018")]
    assert row["instructions"] == ["inst_016", "inst_017", "inst_018"] and row["active_rules"] == 18
    assert [full.features["services"].feature.int2str(s) for s in row["services"]] == [
        "BoundaryEnforcer",
        "BlogCuration",
        "CrossReferenceValidator",
    ]
    assert row["body"].startswith("In answer to the fabricated statistics, three rules")
    assert row["severity"] is None and row["root_cause"] is None


def test_every_written_row_satisfies_its_checked_in_schema(releases: dict[str, Path]) -> None:
    for config in SPEC.configs:
        schema = json.loads((SCHEMAS / f"{config.name}.schema.json").read_text())
        table = pq.read_table(next((releases["linked"] / "data" / config.name).glob("*.parquet")))
        for stored in table.to_pylist():
            row = as_json(stored, config.features)
            jsonschema.validate(row, schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_aggregated_counts_events_per_month_and_kind(releases: dict[str, Path], tmp_path: Path) -> None:
    aggregated = load(releases["plain"], "aggregated", tmp_path)
    kind = aggregated.features["kind"]
    rows = [
        (r["month"].isoformat(), kind.int2str(r["kind"]), r["events"], r["approximate"], r["active_rules"], r["active_services"])
        for r in aggregated
    ]  # fmt: skip
    assert rows == [
        ("2024-07-01", "milestone", 1, 1, None, None),
        ("2025-09-01", "incident", 1, 1, None, None),
        ("2025-10-01", "incident", 5, 0, 56, 6),
        ("2025-10-01", "rule_addition", 2, 1, 56, 6),
        ("2025-10-01", "service_addition", 4, 1, 56, 6),
        ("2025-10-01", "architecture_change", 5, 2, 56, 6),
        ("2025-10-01", "version", 4, 0, 56, 6),
        ("2025-10-01", "milestone", 4, 0, 56, 6),
        ("2025-10-01", "publication", 1, 0, 56, 6),
        ("2025-11-01", "publication", 1, 0, 56, 6),
    ]


def test_audit_decisions_link_to_incidents_on_both_sides(releases: dict[str, Path]) -> None:
    audit = pq.read_table(next((releases["audit"] / "data" / "incidents").glob("*.parquet")))
    by_time = dict(
        zip(audit.column("timestamp").to_pylist(), audit.column("incident_id").to_pylist(), strict=True)
    )
    assert by_time == {when: incident for _, when, _, incident in DECISIONS}

    evolution = pq.read_table(next((releases["linked"] / "data" / "incidents").glob("*.parquet")))
    counts = dict(
        zip(*evolution.select(["incident_id", "linked_decisions"]).to_pydict().values(), strict=True)
    )
    assert counts == {
        "27027-incident": 0,
        "fabricated-statistics": 1,
        "pre-publication-security-audit": 1,
        "closedown-killed-dev-server": 1,
        "handoff-skipped": 1,
        "prohibited-term-blocked": 2,
    }
    manifest = json.loads((releases["linked"] / "MANIFEST.json").read_text())
    assert manifest["options"] == {
        "max_shard_rows": 1000,
        "audit_release": "1.0.0",
        "audit_release_synthetic": False,
        "audit_decisions_examined": 9,
    }
    assert manifest["key"] is None
    audit_manifest = json.loads((releases["audit"] / "MANIFEST.json").read_text())
    assert audit_manifest["options"]["incident_links"] == read_events(SHIPPED_EVENTS, TODAY).digest
    card = (releases["linked"] / "README.md").read_text()
    assert "`linked_decisions` counts the 9 decisions of audit corpus release 1.0.0." in card


def test_the_card_lists_every_disagreement_and_the_timeline(releases: dict[str, Path]) -> None:
    card = (releases["plain"] / "README.md").read_text()
    events = read_events(SHIPPED_EVENTS, TODAY).events
    for event in events:
        assert f"| {event.meta.title} | `{event.meta.id}` |" in card
        for sentence in event.meta.disagreements:
            assert f"(`{event.meta.id}`): {sentence}" in card
    assert "| 2025-09-01 → 2025-09-30 (estimated) | incident |" in card
    assert "| 2024-Q3 | milestone | Inception |" in card
    assert "This release was built without an audit release: `linked_decisions` is null." in card
    assert "pseudonym key" not in card  # no key: nothing in this dataset is pseudonymised


def test_two_exports_of_the_same_events_are_byte_identical(releases: dict[str, Path], tmp_path: Path) -> None:
    again = tmp_path / "again"
    export_evolution(options(again), EvolutionOptions(today=TODAY))
    assert file_digests(again) == file_digests(releases["plain"])
    assert len(file_digests(again)) == 8  # card, manifest, citation, changelog, croissant, three shards


def test_the_command_checks_what_audit_points_at(releases: dict[str, Path], tmp_path: Path) -> None:
    base = ["export", "evolution", "--out", tmp_path / "out", "--version", "1.0.0"]
    not_a_release = run(*base, "--audit", tmp_path)
    assert not_a_release.returncode == 2
    assert not_a_release.stderr == (
        f"error: --audit {tmp_path} is not an audit corpus release: no readable MANIFEST.json in it\n"
    )
    wrong_dataset = run(*base, "--audit", releases["plain"])
    assert wrong_dataset.returncode == 2
    assert (
        "is a release of tractatus-framework/evolution-log, not of tractatus-framework/audit-decisions"
        in (wrong_dataset.stderr)
    )
    assert not (tmp_path / "out").exists()


def test_the_command_builds_the_shipped_history_by_default(tmp_path: Path) -> None:
    result = run("export", "evolution", "--out", tmp_path / "out", "--version", "2.1.0", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        f"Tractatus Framework Evolution Log 2.1.0 written to {tmp_path / 'out'}",
        "  read 28, exported 28, quarantined 0, duplicates 0",
        "  rows: full 28, aggregated 10, incidents 6",
    ]
