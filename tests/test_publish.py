"""`publish`: what it refuses, what it would send to the Hub, and the researcher's pinned load end
to end against a real Hub-compatible server (olah) on 127.0.0.1, serving what `--to-git` wrote."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.audit import shapes
from tests.helpers import ONE_SHARD_RELEASE, export, run
from tractatus_datasets.commands import release_spec
from tractatus_datasets.keys import DEMO_KEY, ExportKey
from tractatus_datasets.plugins import ExportOptions, load_plugins
from tractatus_datasets.publish import plan_publication
from tractatus_evolution_log.builder import EvolutionOptions, export_evolution
from tractatus_evolution_log.events import SHIPPED_EVENTS

REPO = "tractatus-framework/evolution-log"
TODAY = dt.date(2026, 11, 24)
NEW_EVENT = """\
---
id: test-release-event
date: 2025-11-10
date_precision: day
kind: milestone
title: "An event added for the second release"
---
Only in version 1.1.0.
"""


def build(out: Path, version: str, source: Path | None = None) -> Path:
    options = ExportOptions(
        source=str(source) if source else None, out=out, version=version, max_shard_rows=1000
    )
    export_evolution(options, EvolutionOptions(today=TODAY))
    return out


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("publish")
    events = root / "events"
    shutil.copytree(SHIPPED_EVENTS, events)
    (events / "2025-11-10-test-release-event.md").write_text(NEW_EVENT)
    return {"1.0.0": build(root / "v1.0.0", "1.0.0"), "1.1.0": build(root / "v1.1.0", "1.1.0", events)}


def test_dry_run_prints_the_hub_operations_and_sends_nothing(releases: dict[str, Path]) -> None:
    result = run("publish", releases["1.0.0"], "--repo", REPO, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"dry run: would publish {releases['1.0.0']} to the Hugging Face Hub:",
        f"  create dataset repository {REPO} if it does not exist",
        "  refuse if tag v1.0.0 exists",
        f'  upload 8 files in one commit "Release 1.0.0 of {REPO}": CHANGELOG.md, CITATION.cff, MANIFEST.json, '
        "README.md, croissant.json, data/aggregated/train-00000-of-00001.parquet, "
        "data/full/train-00000-of-00001.parquet, data/incidents/train-00000-of-00001.parquet",
        "    and delete in that commit every other file of the repository but .gitattributes",
        "  tag that commit v1.0.0",
    ]


def with_unscanned_folders(release: Path, copy: Path) -> Path:
    """A copy of `release` holding what the leak gate does not scan: a `.cache` and a `.git` folder."""
    shutil.copytree(release, copy)
    (copy / ".cache").mkdir()
    (copy / ".cache" / "notes.txt").write_text("contact " + "ops" + "@" + "example.org\n")
    (copy / ".git").mkdir()
    (copy / ".git" / "config").write_text("[core]\n")
    return copy


def test_files_the_gate_does_not_scan_are_neither_listed_nor_committed(
    releases: dict[str, Path], tmp_path: Path
) -> None:
    release = with_unscanned_folders(releases["1.0.0"], tmp_path / "release")
    dry = run("publish", release, "--repo", REPO, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert lines[3] == "  leave out 2 file(s) in .git or .cache folders: not part of a release"
    assert lines[4].endswith(": " + ", ".join(ONE_SHARD_RELEASE))

    (tmp_path / "mirrors").mkdir()
    published = run("publish", release, "--repo", REPO, "--to-git", tmp_path / "mirrors")
    assert published.returncode == 0, published.stderr
    listed = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", "v1.0.0"],
        cwd=tmp_path / "mirrors" / "datasets" / REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert listed.stdout.splitlines() == ONE_SHARD_RELEASE


def test_the_hub_commit_adds_the_release_and_deletes_what_an_earlier_one_left(
    releases: dict[str, Path],
) -> None:
    """A release with fewer shards than the last: the old shards would still match `data/full/train-*`."""
    root = releases["1.0.0"]
    manifest, spec = release_spec(root, load_plugins())
    plan = plan_publication(root, spec, manifest, REPO, None)
    remote = [
        ".gitattributes",
        "README.md",
        "data/full/train-00000-of-00002.parquet",
        "data/full/train-00001-of-00002.parquet",
        "notes/old.md",
    ]
    operations = plan.repo_commit().operations(remote)
    assert [(type(op).__name__, op.path_in_repo) for op in operations] == [
        ("CommitOperationDelete", "data/full/train-00000-of-00002.parquet"),
        ("CommitOperationDelete", "data/full/train-00001-of-00002.parquet"),
        ("CommitOperationDelete", "notes/old.md"),
        *(("CommitOperationAdd", name) for name in ONE_SHARD_RELEASE),
    ]
    assert all(Path(op.path_or_fileobj) == root / op.path_in_repo for op in operations[3:])


def test_a_demo_key_release_a_wrong_tag_and_an_invalid_release_are_refused(
    releases: dict[str, Path], tmp_path: Path
) -> None:
    demo = tmp_path / "demo"
    export(shapes.write_source(tmp_path / "source"), demo, key=ExportKey(DEMO_KEY, demo=True))
    refused = run("publish", demo, "--repo", "tractatus-framework/audit-decisions", "--dry-run")
    assert refused.returncode == 2 and "was built with the public demo key" in refused.stderr

    wrong_tag = run("publish", releases["1.0.0"], "--repo", REPO, "--tag", "v2.0.0", "--dry-run")
    assert wrong_tag.returncode == 2
    assert wrong_tag.stderr == "error: --tag v2.0.0 does not match the release's version 1.0.0: use v1.0.0\n"

    broken = tmp_path / "broken"
    shutil.copytree(releases["1.0.0"], broken)
    (broken / "data/incidents/train-00000-of-00001.parquet").unlink()
    invalid = run("publish", broken, "--repo", REPO, "--dry-run")
    assert invalid.returncode == 1
    assert invalid.stderr.startswith(
        f"error: 4 problem(s): {broken} does not validate; nothing was published\n"
    )
    assert (
        "  data/incidents/train-00000-of-00001.parquet: is listed in MANIFEST.json but missing\n"
        in invalid.stderr
    )


LOAD = """
from datasets import load_dataset
repo = "tractatus-framework/evolution-log"
for revision in ("v1.0.0", "v1.1.0", "main"):
    full = load_dataset(repo, split="train", revision=revision)
    incidents = load_dataset(repo, "incidents", split="train", revision=revision)
    print(revision, full.num_rows, full["id"][-1], incidents[0]["incident_id"])
streamed = load_dataset(repo, split="train", revision="v1.0.0", streaming=True)
print("streamed", next(iter(streamed))["id"])
"""


def test_pinned_and_latest_revisions_load_from_a_hub_compatible_server(
    releases: dict[str, Path], mirror: tuple[Path, str], tmp_path: Path
) -> None:
    mirrors, endpoint = mirror
    for version in ("1.0.0", "1.1.0"):
        result = run("publish", releases[version], "--repo", REPO, "--to-git", mirrors)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(
            f"published {REPO} {version} to {mirrors / 'datasets' / REPO}, tag v{version}"
        )
    again = run("publish", releases["1.0.0"], "--repo", REPO, "--to-git", mirrors)
    assert again.returncode == 2 and "already has tag v1.0.0" in again.stderr

    env = {k: v for k, v in os.environ.items() if not k.endswith("_OFFLINE")}
    env |= {
        "HF_ENDPOINT": endpoint,
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    }
    loaded = subprocess.run(
        [sys.executable, "-c", LOAD], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert loaded.stdout.splitlines() == [
        "v1.0.0 28 agent-lightning-integration 27027-incident",
        "v1.1.0 29 test-release-event 27027-incident",
        "main 29 test-release-event 27027-incident",
        "streamed inception",
    ]
