"""The release folder's life: staged in a locked work folder, renamed into place, cleaned up after a kill."""

from __future__ import annotations

import fcntl
from pathlib import Path

import pytest

from tractatus_datasets.errors import UsageError
from tractatus_datasets.release import quarantine_path, remove_abandoned, staged_release


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
