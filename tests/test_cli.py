"""The command line as an operator uses it: the installed console script, exit codes and messages."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.audit import shapes
from tests.helpers import audit_export, export, make_key, run
from tractatus_boundary_simulator import app as simulator
from tractatus_evolution_log.events import SHIPPED_EVENTS, read_events
from tractatus_spaces.release import ReleaseError, Sources


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return shapes.write_source(tmp_path / "source")


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "source")


def test_export_without_a_key_stops_with_exit_2_and_says_how(source: Path) -> None:
    result = run(*audit_export(source, source.parent / "out"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: no pseudonym key: set TRACTATUS_PSEUDONYM_KEY")
    assert "--key-file" in result.stderr and "Traceback" not in result.stderr
    assert leftovers(source.parent) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--version", "1.0"], "is not X.Y.Z"),
        (["--version", "1.0.0", "--source", "missing-folder"], "does not exist"),
    ],
)
def test_operator_mistakes_are_one_line_and_exit_2(source: Path, args: list[str], message: str) -> None:
    base = {"--source": str(source), "--out": str(source.parent / "out")}
    pairs = dict(zip(args[::2], args[1::2], strict=True))
    argv = [x for k, v in {**base, **pairs}.items() for x in (k, v)]
    result = run("export", "audit", *argv, key=make_key().secret, cwd=source.parent)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert leftovers(source.parent) == []


def test_export_prints_where_things_are_and_refuses_to_overwrite(source: Path) -> None:
    out = source.parent / "release"
    result = run(*audit_export(source, out), key=make_key().secret)
    assert result.returncode == 0, result.stderr
    assert "read 25, exported 15, quarantined 9, duplicates 1" in result.stdout
    assert f"{out}.quarantine.jsonl" in result.stdout
    assert f'incidents = load_dataset("{out}", "incidents")' in result.stdout
    assert leftovers(source.parent) == ["release", "release.quarantine.jsonl"]
    again = run(*audit_export(source, out, version="1.0.1"), key=make_key().secret)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_fail_on_bad_record_stops_at_the_first_and_writes_no_release(source: Path) -> None:
    out = source.parent / "release"
    result = run(*audit_export(source, out, "--on-bad-record", "fail"), key=make_key().secret)
    assert result.returncode == 1
    assert "auditLogs.json:2: invalid JSON" in result.stderr and "[unparseable]" in result.stderr
    assert leftovers(source.parent) == []


def test_sample_refuses_an_existing_folder(tmp_path: Path) -> None:
    first = run("sample", "--out", tmp_path / "s", "--records", "50")
    assert first.returncode == 0
    assert first.stdout.startswith(f"sample source written to {tmp_path / 's'}: ")
    assert (
        sum(1 for _ in (tmp_path / "s" / "auditLogs.json").open())
        + sum(1 for p in (tmp_path / "s" / "legacy").iterdir() for _ in p.open())
        == 50
    )
    assert run("sample", "--out", tmp_path / "s").returncode == 2


def test_demo_runs_to_the_end_and_prints_the_lines_to_try(tmp_path: Path) -> None:
    result = run("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert 'full = load_dataset("build/audit-decisions")' in result.stdout
    assert result.stdout.endswith(
        "Browse the audit decisions: tractatus-datasets view --data build/audit-decisions\n"
        "See the metrics dashboard: tractatus-datasets dashboard --data build/audit-decisions\n"
        "Try the boundary simulator: tractatus-datasets simulator --data build/audit-decisions\n"
    )
    for line in (
        'load_dataset("tractatus-framework/audit-decisions", revision="v1.0.0")',
        'load_dataset("tractatus-framework/audit-decisions", "aggregated", revision="v1.0.0")',
        'load_dataset("tractatus-framework/audit-decisions", "incidents", revision="v1.0.0")',
        'load_dataset("tractatus-framework/evolution-log", "incidents", revision="v1.0.0")',
    ):
        assert line in result.stdout
    build = tmp_path / "build"
    assert sorted(p.name for p in build.iterdir()) == ["audit-decisions", "evolution-log", "sample"]
    assert run("demo", cwd=tmp_path).returncode == 2

    # The two releases agree on their links: each incident's count is the number of audit
    # incident rows that name it.
    audit = pq.read_table(sorted((build / "audit-decisions/data/incidents").glob("*.parquet")))
    named = Counter(audit.column("incident_id").to_pylist())
    evolution = pq.read_table(sorted((build / "evolution-log/data/incidents").glob("*.parquet")))
    counts = dict(
        zip(*evolution.select(["incident_id", "linked_decisions"]).to_pydict().values(), strict=True)
    )
    assert counts == {incident: named.get(incident, 0) for incident in counts}
    assert counts["prohibited-term-blocked"] > 0  # the sample's inst_018 blocks on 2025-10-25 (NZ)
    assert sum(counts.values()) == audit.num_rows - named[None]


def test_export_links_incidents_to_the_shipped_history_or_to_the_given_events(source: Path) -> None:
    out = source.parent / "release"
    result = run(*audit_export(source, out), key=make_key().secret)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "MANIFEST.json").read_text())
    assert manifest["options"]["incident_links"] == read_events(SHIPPED_EVENTS).digest
    assert "**Incident links.** `incidents.incident_id` names the incident" in (out / "README.md").read_text()

    broken = source.parent / "events"
    broken.mkdir()
    (broken / "x.md").write_text("no front matter\n")
    second = audit_export(source, source.parent / "second", "--evolution-events", broken)
    result = run(*second, key=make_key().secret)
    assert result.returncode == 1
    assert "  x.md:1: must start with a '---' line opening the front matter" in result.stderr
    assert not (source.parent / "second").exists()


def test_the_simulator_takes_and_looks_for_no_evolution_log(source: Path, tmp_path: Path) -> None:
    """The simulator shows no event: it takes no `--events` options, and, as a Space, neither
    downloads the Evolution Log nor opens the one beside its `--data`."""
    shown = run("simulator", "--help")
    assert shown.returncode == 0 and "--data" in shown.stdout and "--events" not in shown.stdout
    refused = run("simulator", "--events", str(tmp_path))
    assert refused.returncode == 2 and "unrecognized arguments: --events" in refused.stderr
    parser = argparse.ArgumentParser()
    simulator.SOURCES.add_arguments(parser)
    args = parser.parse_args([])
    simulator.SOURCES.space_defaults(args)  # on a Space: neither --data nor --dataset
    assert sorted(vars(args)) == ["data", "dataset", "host", "port", "revision"]
    export(source, tmp_path / "audit-decisions")
    (tmp_path / "evolution-log").mkdir()  # beside it, and no Evolution Log release
    args = parser.parse_args(["--data", str(tmp_path / "audit-decisions")])
    assert simulator.SOURCES.open(args)[1] is None
    with_events = argparse.ArgumentParser()
    Sources("aggregated").add_arguments(with_events)
    with pytest.raises(ReleaseError, match="evolution-log holds no data/incidents"):
        Sources("aggregated").open(with_events.parse_args(["--data", str(tmp_path / "audit-decisions")]))
