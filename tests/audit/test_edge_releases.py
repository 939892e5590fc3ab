"""Releases at the edges: an empty config, nothing exportable, several shards per config."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest
from bson import ObjectId, json_util

from tests.helpers import export
from tractatus_audit_corpus.builder import SPEC
from tractatus_datasets.card import EMPTY_SPLIT_ISSUE
from tractatus_datasets.errors import ProblemsFound, UsageError
from tractatus_datasets.loadcheck import _check_config, check_loadable
from tractatus_datasets.validate import validate_release


def calm_dump(folder: Path, count: int) -> Path:
    """Classifier decisions only: always allowed, no pressure, so no incident at all."""
    folder.mkdir()
    start = dt.datetime(2025, 10, 25, 1, tzinfo=dt.UTC)
    lines = [
        json_util.dumps(
            {
                "_id": ObjectId(f"68fc27a5{i:016x}"),
                "sessionId": "classifier-service",
                "action": "instruction_classification",
                "allowed": True,
                "rulesChecked": ["inst_001"],
                "timestamp": start + dt.timedelta(minutes=i),
            }
        )
        for i in range(count)
    ]
    (folder / "auditLogs.json").write_text("\n".join(lines) + "\n")
    return folder


def test_an_empty_config_is_written_declared_and_explained(tmp_path: Path) -> None:
    out = tmp_path / "release"
    manifest = export(calm_dump(tmp_path / "source", 7), out)
    assert manifest.counts.rows_by_config == {"full": 7, "aggregated": 1, "incidents": 0}  # one cell
    shard = out / "data/incidents/train-00000-of-00001.parquet"
    assert pq.ParquetFile(shard).metadata.num_rows == 0
    assert (
        datasets.Features.from_arrow_schema(pq.read_schema(shard))["incident_reasons"].feature.names[0]
        == "blocked"
    )
    assert list(datasets.load_dataset(str(out), "incidents", split="train", streaming=True)) == []
    card = (out / "README.md").read_text()
    assert "> **Empty in this release:** `incidents`." in card and EMPTY_SPLIT_ISSUE in card
    assert datasets.load_dataset(str(out), split="train").num_rows == 7


def test_nothing_exportable_is_exit_1_and_leaves_no_folder(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "auditLogs.json").write_text('{"foo": 1}\nnot json\n')
    with pytest.raises(ProblemsFound, match="nothing to release") as caught:
        export(source, tmp_path / "release")
    assert caught.value.exit_code == 1 and "none of 2 records" in caught.value.report()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["release.quarantine.jsonl", "source"]


def test_shards_are_cut_at_max_rows_and_load_as_one_split(tmp_path: Path) -> None:
    out = tmp_path / "release"
    manifest = export(calm_dump(tmp_path / "source", 25), out, max_shard_rows=10)
    assert [(s.path, s.rows) for s in manifest.shards if s.config == "full"] == [
        ("data/full/train-00000-of-00003.parquet", 10),
        ("data/full/train-00001-of-00003.parquet", 10),
        ("data/full/train-00002-of-00003.parquet", 5),
    ]
    loaded = datasets.load_dataset(str(out), split="train")
    assert loaded["timestamp"] == sorted(loaded["timestamp"]) and loaded.num_rows == 25


def test_a_stale_quarantine_file_is_replaced_but_an_existing_releases_is_kept(tmp_path: Path) -> None:
    source, out = calm_dump(tmp_path / "source", 7), tmp_path / "release"
    stale = tmp_path / "release.quarantine.jsonl"
    stale.write_text('{"line": 1, "reason": "from an earlier run"}\n')
    export(source, out)
    assert not stale.exists()  # this run quarantined nothing
    stale.write_text("belongs to the existing release\n")
    with pytest.raises(UsageError, match="already exists"):
        export(source, out)
    assert stale.read_text() == "belongs to the existing release\n"


def test_the_load_check_reports_a_broken_release(tmp_path: Path) -> None:
    out = tmp_path / "release"
    manifest = export(calm_dump(tmp_path / "source", 7), out)
    expected = manifest.counts.rows_by_config
    assert check_loadable(out, SPEC, expected) == []
    shard = out / "data/full/train-00000-of-00001.parquet"
    shard.write_bytes(shard.read_bytes()[: shard.stat().st_size // 2])
    problems = check_loadable(out, SPEC, {**expected, "aggregated": 3})
    assert [(p.file, p.message.split(":")[0]) for p in problems] == [
        ("data/full", "load_dataset failed"),
        ("data/aggregated", "loaded 1 rows, manifest says 3"),
    ]


def test_the_load_check_opens_every_config_without_converting_its_rows(tmp_path: Path) -> None:
    """What `validate` hashed and the gate read is not converted again into an Arrow cache."""
    out = tmp_path / "release"
    manifest = export(calm_dump(tmp_path / "source", 7), out)
    cache = tmp_path / "cache"
    for config in SPEC.configs:
        assert _check_config(out, config, manifest.counts.rows_by_config[config.name], str(cache)) == []
    assert [path.name for path in cache.rglob("*.arrow")] == []
    assert datasets.load_dataset(str(out), "full", split="train", cache_dir=str(cache)).num_rows == 7
    assert len(list(cache.rglob("*.arrow"))) == 1  # what a full load would have written


def test_validate_computes_the_summary_again_and_names_a_figure_that_differs(tmp_path: Path) -> None:
    out = tmp_path / "release"
    across_midnight = calm_dump(tmp_path / "source", 7)
    lines = (across_midnight / "auditLogs.json").read_text().replace("2025-10-25T01:0", "2025-10-24T23:5", 2)
    (across_midnight / "auditLogs.json").write_text(lines)
    manifest = export(across_midnight, out)
    assert manifest.summary == {
        "decisions": 7,
        "sessions": 1,
        "first_day": "2025-10-24",
        "last_day": "2025-10-25",
        "by_decision": {"allow": 7, "warn": 0, "ask": 0, "block": 0},
    }
    assert validate_release(out, SPEC, load=False) == []
    edited = json.loads((out / "MANIFEST.json").read_text())
    edited["summary"]["sessions"] = 2
    edited["summary"]["by_decision"]["block"] = 1
    (out / "MANIFEST.json").write_text(json.dumps(edited))
    assert [(p.file, p.field, p.message) for p in validate_release(out, SPEC, load=False)] == [
        (
            "MANIFEST.json",
            "summary.by_decision",
            "says {'allow': 7, 'warn': 0, 'ask': 0, 'block': 1}, the full rows give "
            "{'allow': 7, 'warn': 0, 'ask': 0, 'block': 0}",
        ),
        ("MANIFEST.json", "summary.sessions", "says 2, the full rows give 1"),
    ]
