"""The quarterly update as the workflow runs it, against a Hub-compatible server (olah) on 127.0.0.1:
download the newest release, export the next one continuing it, rebuild the Evolution Log, validate,
publish the presence; the Spaces then pin the new tags."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.audit import shapes
from tests.helpers import KEY, export, run

ORG = "tractatus-framework"


@pytest.fixture
def online(mirror: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The commands below reach the mirror as they would reach the Hub."""
    mirrors, endpoint = mirror
    for name in [k for k in os.environ if k.endswith("_OFFLINE")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    return mirrors


def outputs(stdout: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in stdout.splitlines())


def test_a_quarter_continues_the_last_release_and_moves_the_spaces_to_the_new_tags(
    online: Path, tmp_path: Path
) -> None:
    source = shapes.write_source(tmp_path / "source")
    export(source, tmp_path / "q1" / "audit-decisions", version="1.0.0")
    built = run("export", "evolution", "--audit", tmp_path / "q1" / "audit-decisions", "--out",
                tmp_path / "q1" / "evolution-log", "--version", "1.0.0")  # fmt: skip
    assert built.returncode == 0, built.stderr

    nothing = run("download", f"{ORG}/audit-decisions", "--out", tmp_path / "none")
    assert nothing.returncode == 2 and nothing.stderr.startswith(
        f"error: {ORG}/audit-decisions has no vX.Y.Z tag: there is no release to continue"
    )
    first = run("publish-presence", "--audit", tmp_path / "q1" / "audit-decisions", "--evolution",
                tmp_path / "q1" / "evolution-log", "--to-git", online)  # fmt: skip
    assert first.returncode == 0, first.stderr

    # The workflow's steps, in its order.
    previous = tmp_path / "previous"
    audit_out = run("download", f"{ORG}/audit-decisions", "--out", previous / "audit-decisions")
    events_out = run("download", f"{ORG}/evolution-log", "--out", previous / "evolution-log")
    assert audit_out.returncode == 0 and events_out.returncode == 0, audit_out.stderr + events_out.stderr
    assert outputs(audit_out.stdout) == {
        "tag": "v1.0.0",
        "version": "1.0.0",
        "next_version": "1.1.0",
        "folder": str(previous / "audit-decisions"),
    }
    assert outputs(events_out.stdout)["next_version"] == "1.1.0"
    again = run("download", f"{ORG}/audit-decisions", "--out", previous / "audit-decisions")
    assert (again.returncode, again.stderr) == (
        2,
        f"error: --out {previous / 'audit-decisions'} already exists: give a new folder\n",
    )

    build = tmp_path / "build"
    secret = KEY.secret
    steps = [
        ("export", "audit", "--source", source, "--previous", previous / "audit-decisions", "--version", "1.1.0",
         "--out", build / "audit-decisions", "--k-threshold", "1"),
        ("export", "evolution", "--audit", build / "audit-decisions", "--version", "1.1.0", "--out",
         build / "evolution-log"),
        ("validate", build / "audit-decisions"),
        ("validate", build / "evolution-log"),
        ("publish-presence", "--audit", build / "audit-decisions", "--evolution", build / "evolution-log",
         "--to-git", online),
    ]  # fmt: skip
    for step in steps:
        done = run(*step, key=secret)
        assert done.returncode == 0, (step, done.stderr[-3000:])
    published = online / "datasets" / ORG / "audit-decisions"
    assert (build / "audit-decisions.quarantine.jsonl").is_file()  # the source's bad lines, kept beside
    assert [p.name for p in online.rglob("*quarantine*")] == []  # and published nowhere
    rows = sum(pq.read_metadata(p).num_rows for p in (published / "data" / "full").glob("*.parquet"))
    first_rows = sum(
        pq.read_metadata(p).num_rows
        for p in (tmp_path / "q1" / "audit-decisions" / "data" / "full").glob("*.parquet")
    )
    assert rows == first_rows  # the same source again: every row carried, none new
    for name, shows in [("audit-log-viewer", 2), ("metrics-dashboard", 2), ("boundary-simulator", 1)]:
        variables = json.loads((online / "spaces" / ORG / f"{name}.variables.json").read_text())
        assert [v for k, v in variables.items() if k.endswith("REVISION")] == ["v1.1.0"] * shows
    org = (online / "spaces" / ORG / "README" / "README.md").read_text()
    assert "| v1.1.0 |" in org and "| v1.0.0 |" not in org
