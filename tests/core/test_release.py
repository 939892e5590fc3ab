"""The release folder's life: staged in a locked work folder, renamed into place, cleaned up after a kill."""

from __future__ import annotations

import datetime as dt
import fcntl
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from tractatus_datasets.build import write_release
from tractatus_datasets.card import CardContent
from tractatus_datasets.errors import ProblemsFound, UsageError
from tractatus_datasets.manifest import Counts, Manifest, read_manifest
from tractatus_datasets.parquet import read_shards
from tractatus_datasets.plugins import ExportOptions
from tractatus_datasets.release import (
    Staging,
    check_version,
    quarantine_path,
    remove_abandoned,
    staged_release,
)
from tractatus_evolution_log.builder import SPEC, EvolutionOptions, export_evolution


def test_a_work_folder_is_removed_only_when_no_live_run_holds_its_lock(tmp_path: Path) -> None:
    out = tmp_path / "release[v1]"  # glob characters in the name are taken literally
    live, dead, unlocked = (tmp_path / f".release[v1].partial-{name}" for name in ("live", "dead", "new"))
    for work in (live, dead):
        work.mkdir()
        (work / "lock").touch()
    unlocked.mkdir()
    (tmp_path / ".release-other.partial-x").mkdir()  # another release's: never touched
    with (live / "lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert remove_abandoned(out) == [dead, unlocked]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".release-other.partial-x",
        ".release[v1].partial-live",
    ]


def test_the_release_appears_only_at_the_end_with_its_quarantine_beside_it(tmp_path: Path) -> None:
    out = tmp_path / "release"
    with staged_release(out) as staging:
        (staging.folder / "README.md").write_text("card")
        staging.quarantine.write_text("{}\n")
        assert not out.exists() and staging.work.parent == tmp_path
    assert (out / "README.md").read_text() == "card"
    assert quarantine_path(out).read_text() == "{}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["release", "release.quarantine.jsonl"]


def test_a_failed_run_keeps_its_quarantine_but_writes_no_release(tmp_path: Path) -> None:
    out = tmp_path / "release"
    quarantine_path(out).write_text("stale\n")
    with pytest.raises(RuntimeError), staged_release(out) as staging:
        staging.quarantine.write_text("this run's\n")
        (staging.folder / "README.md").write_text("half a card")
        raise RuntimeError("stopped")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["release.quarantine.jsonl"]
    assert quarantine_path(out).read_text() == "this run's\n"


def test_an_existing_release_is_never_replaced(tmp_path: Path) -> None:
    out = tmp_path / "release"
    out.mkdir()
    with pytest.raises(UsageError, match="already exists"), staged_release(out):
        pass


def _built(folder: Path, max_shard_rows: int) -> tuple[Manifest, dict[str, pa.Table]]:
    """An evolution-log release written to `folder`: its manifest and its rows, config by config."""
    export_evolution(
        ExportOptions(source=None, out=folder, version="1.0.0", max_shard_rows=max_shard_rows),
        EvolutionOptions(today=dt.date(2026, 11, 24)),
    )
    manifest = read_manifest(folder)
    tables = {
        config.name: read_shards(
            folder, [s.path for s in manifest.shards if s.config == config.name], config.features.arrow_schema
        )
        for config in SPEC.configs
    }
    return manifest, tables


def _release_again(
    staging: Staging,
    manifest: Manifest,
    tables: dict[str, pa.Table],
    counts: Counts,
    max_shard_rows: int,
    **extra: Any,
) -> Manifest:
    """Those rows written again as version 1.0.1, with `counts`."""
    return write_release(
        staging,
        SPEC,
        tables,
        version="1.0.1",
        release_date=manifest.release_date,
        source=manifest.source,
        key=None,
        counts=counts,
        options=manifest.options,
        content=lambda m: CardContent(summary="s", sections=[]),
        max_shard_rows=max_shard_rows,
        **extra,
    )


def test_counts_that_do_not_reconcile_stop_the_release_before_anything_is_written(tmp_path: Path) -> None:
    manifest, tables = _built(tmp_path / "built", max_shard_rows=100)
    lost_one = manifest.counts.model_copy(update={"read": manifest.counts.read + 1})
    with pytest.raises(ProblemsFound) as caught, staged_release(tmp_path / "again") as staging:
        _release_again(staging, manifest, tables, lost_one, max_shard_rows=100)
    assert caught.value.report() == (
        "the counts do not reconcile, so a record may have been lost; nothing was published\n"
        "  MANIFEST.json: counts: read 29 != exported 28 + quarantined 0 + duplicates 0"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["built"]


def test_what_made_the_rows_is_let_go_once_the_shards_are_written(tmp_path: Path) -> None:
    """`rows_written` runs after the last shard and before the checks (a database closes there)."""
    manifest, tables = _built(tmp_path / "built", max_shard_rows=10)
    seen: list[list[str]] = []
    with staged_release(tmp_path / "again") as staging:
        _release_again(
            staging,
            manifest,
            tables,
            manifest.counts,
            max_shard_rows=10,
            rows_written=lambda: seen.append(
                sorted(p.relative_to(staging.folder).as_posix() for p in staging.folder.rglob("*.*"))
            ),
        )
    assert seen == [sorted(s.path for s in manifest.shards)]  # every shard, and nothing else yet
    assert len(seen[0]) > 3


@pytest.mark.parametrize("version", ["1.0", "01.0.0", "1.0.0\n", "1.1\u0662.0", "v1.0.0", "1.0.0-rc1"])
def test_a_version_is_refused_unless_it_is_plain_ascii_x_y_z(version: str) -> None:
    with pytest.raises(UsageError, match=r"is not X\.Y\.Z"):
        check_version(version)
    assert check_version("1.10.0") == "1.10.0"
