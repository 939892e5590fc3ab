"""Quarterly releases with `--previous`: the corpus keeps every record ever seen, exactly once.

The source forgets: its records expire after 90 days. Three successive exports each see a window
of the source that overlaps the one before but has lost its oldest records; the third release must
still hold every record of all three windows, with the ids and rows they were first published with.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from bson import json_util

from tests.helpers import KEY, audit_export, export, file_digests, make_key, processes_spawned_by, run
from tractatus_audit_corpus.builder import SPEC
from tractatus_audit_corpus.sample import write_sample
from tractatus_datasets import previous as previous_module
from tractatus_datasets.errors import ProblemsFound
from tractatus_datasets.manifest import Manifest, read_manifest
from tractatus_datasets.records import EJSON_OPTIONS
from tractatus_datasets.validate import validate_release

WINDOWS = ((0.0, 0.5), (0.3, 0.8), (0.6, 1.0))  # share of the records by time; each loses the oldest


def _time(line: str) -> dt.datetime:
    doc = json_util.loads(line, json_options=EJSON_OPTIONS)
    value = doc["timestamp"]
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)


@pytest.fixture(scope="module")
def windows(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three source folders; the legacy files (the oldest records) are only in the first."""
    root = tmp_path_factory.mktemp("quarters")
    write_sample(root / "sample", records=1_500, credentials=False)
    lines = (root / "sample" / "auditLogs.json").read_text().splitlines()
    order = sorted(range(len(lines)), key=lambda i: (_time(lines[i]), i))
    folders = []
    for number, (start, end) in enumerate(WINDOWS, start=1):
        kept = set(order[int(start * len(lines)) : int(end * len(lines))])
        folder = root / f"window{number}"
        folder.mkdir()
        (folder / "auditLogs.json").write_text("".join(lines[i] + "\n" for i in sorted(kept)))
        if number == 1:
            (root / "sample" / "legacy").rename(folder / "legacy")
        folders.append(folder)
    return folders


def full_rows(release: Path) -> dict[str, dict[str, Any]]:
    """The `full` rows of a release by decision_id (asserting that each id occurs once)."""
    manifest = read_manifest(release)
    rows = [
        row
        for shard in manifest.shards
        if shard.config == "full"
        for row in pq.read_table(release / shard.path).to_pylist()
    ]
    by_id = {row["decision_id"]: row for row in rows}
    assert len(by_id) == len(rows), "a decision_id occurs twice"
    return by_id


@pytest.fixture(scope="module")
def quarters(windows: list[Path]) -> list[tuple[Path, Manifest]]:
    releases: list[tuple[Path, Manifest]] = []
    for number, source in enumerate(windows):
        out = source.parent / f"release{number + 1}"
        previous = releases[-1][0] if releases else None
        manifest = export(source, out, k=5, version=f"1.{number}.0", previous=previous, max_shard_rows=400)
        releases.append((out, manifest))
    return releases


def test_the_third_release_holds_every_record_ever_seen_exactly_once(
    windows: list[Path], quarters: list[tuple[Path, Manifest]], tmp_path: Path
) -> None:
    everything = tmp_path / "everything"
    everything.mkdir()
    (everything / "auditLogs.json").write_text(
        "".join(
            sorted({line for w in windows for line in (w / "auditLogs.json").read_text().splitlines(True)})
        )
    )
    (windows[0] / "legacy").rename(everything / "legacy")
    try:
        once = export(everything, tmp_path / "once", k=5)
    finally:
        (everything / "legacy").rename(windows[0] / "legacy")
    third, manifest = quarters[-1]
    assert set(full_rows(third)) == set(full_rows(tmp_path / "once"))
    assert manifest.counts.rows_by_config["full"] == once.counts.exported == 1_500


def test_rows_keep_their_ids_and_values_from_release_to_release(
    quarters: list[tuple[Path, Manifest]],
) -> None:
    first, second, third = (full_rows(out) for out, _ in quarters)
    assert set(first) < set(second) < set(third)
    assert all(third[i] == row for i, row in first.items())
    assert all(third[i] == row for i, row in second.items())


def test_carried_rows_keep_their_order(quarters: list[tuple[Path, Manifest]]) -> None:
    for (before, _), (after, _) in itertools.pairwise(quarters):
        ids_before = list(full_rows(before))
        ids_after = [i for i in full_rows(after) if i in set(ids_before)]
        assert ids_after == ids_before


def test_the_counts_say_what_was_added_and_what_the_source_forgot(
    windows: list[Path], quarters: list[tuple[Path, Manifest]]
) -> None:
    lines = [set((w / "auditLogs.json").read_text().splitlines()) for w in windows]
    legacy = sum(1 for f in (windows[0] / "legacy").iterdir() for _ in f.open())
    previous_count = len(lines[0]) + legacy
    for number in (1, 2):
        counts = quarters[number][1].counts
        overlap = len(lines[number] & lines[number - 1])
        assert (counts.read, counts.exported, counts.carried) == (
            len(lines[number]),
            len(lines[number]),
            previous_count,
        )
        assert counts.already_released == overlap
        assert counts.added == len(lines[number]) - overlap
        assert counts.no_longer_in_source == previous_count - overlap > 0
        previous_count += counts.added


def test_the_manifest_card_and_changelog_name_the_previous_release(
    quarters: list[tuple[Path, Manifest]],
) -> None:
    (second, _), (third, manifest) = quarters[1], quarters[2]
    assert manifest.previous is not None
    assert manifest.previous.version == "1.1.0"
    assert (
        manifest.previous.manifest_digest
        == "sha256:" + hashlib.sha256((second / "MANIFEST.json").read_bytes()).hexdigest()
    )
    assert manifest.previous.rows_by_config == read_manifest(second).counts.rows_by_config
    counts = manifest.counts
    card = (third / "README.md").read_text(encoding="utf-8")
    assert (
        f"This release continues 1.1.0: it adds {counts.added:,} rows and keeps all {counts.carried:,} rows of "
        f"1.1.0 exactly as they were published, {counts.no_longer_in_source:,} of them for records the source "
        "no longer holds." in card
    )
    changelog = (third / "CHANGELOG.md").read_text(encoding="utf-8")
    assert [line for line in changelog.splitlines() if line.startswith("## [")] == [
        f"## [1.2.0] - {manifest.release_date}",
        f"## [1.1.0] - {read_manifest(second).release_date}",
        f"## [1.0.0] - {read_manifest(quarters[0][0]).release_date}",
    ]
    previous_changelog = (second / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.endswith(previous_changelog[previous_changelog.index("## [1.1.0]") :])


def test_a_continued_release_is_reproducible(
    windows: list[Path], quarters: list[tuple[Path, Manifest]], tmp_path: Path
) -> None:
    first = quarters[0][0]
    again = export(windows[1], tmp_path / "again", k=5, version="1.1.0", previous=first, max_shard_rows=400)
    assert again == quarters[1][1]
    for path in ("MANIFEST.json", "README.md", "CHANGELOG.md", *(s.path for s in again.shards)):
        assert (tmp_path / "again" / path).read_bytes() == (quarters[1][0] / path).read_bytes(), path


def _refusal(
    previous: Path, version: str, *extra: str, key: bytes = KEY.secret, source: Path | None = None
) -> tuple[int, str]:
    source = source or previous.parent / "window3"
    out = previous.parent / "refused"
    result = run(*audit_export(source, out, "--previous", previous, *extra, version=version), key=key)
    assert not out.exists()
    return result.returncode, result.stderr


def test_the_previous_release_is_read_from_its_own_files_whatever_its_path_holds(
    quarters: list[tuple[Path, Manifest]], tmp_path: Path
) -> None:
    # DuckDB reads the carried rows from the previous release's shards. A path such as `q[1]/...`
    # reads, as a pattern, `q1/...`: here a copy whose first shard holds other rows.
    (first, _), (second, _) = quarters[:2]
    previous, decoy = tmp_path / "q[1]" / "release1", tmp_path / "q1" / "release1"
    shutil.copytree(first, previous)
    shutil.copytree(first, decoy)
    shards = [shard.path for shard in read_manifest(first).shards if shard.config == "full"]
    shutil.copyfile(first / shards[1], decoy / shards[0])
    out = tmp_path / "again"
    export(
        quarters[1][0].parent / "window2", out, k=5, version="1.1.0", previous=previous, max_shard_rows=400
    )
    assert file_digests(out) == file_digests(second)


def test_a_large_previous_release_is_validated_in_a_process_of_its_own(
    quarters: list[tuple[Path, Manifest]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (first, _), (second, _) = quarters[:2]
    window2 = first.parent / "window2"  # a small source: the export itself spawns no worker

    def continued(previous: Path, out: Path) -> Callable[[], Manifest]:
        return partial(export, window2, out, k=5, version="1.1.0", previous=previous, max_shard_rows=400)

    assert processes_spawned_by(continued(first, tmp_path / "here")) == 0
    monkeypatch.setattr(previous_module, "APART_ROWS", 1)
    assert processes_spawned_by(continued(first, tmp_path / "apart")) == 1
    assert file_digests(tmp_path / "apart") == file_digests(tmp_path / "here") == file_digests(second)
    broken = tmp_path / "broken"
    shutil.copytree(first, broken)
    (broken / "CITATION.cff").write_text("cff-version: 1.2.0\n")
    with pytest.raises(ProblemsFound) as refused:
        continued(broken, tmp_path / "refused")()
    assert (
        refused.value.summary == f"--previous {broken} does not validate; its rows cannot be carried forward"
    )
    assert refused.value.problems == validate_release(broken, SPEC) != []


def test_a_version_not_greater_than_the_previous_is_refused(quarters: list[tuple[Path, Manifest]]) -> None:
    second = quarters[1][0]
    assert _refusal(second, "1.1.0", "--k-threshold", "5") == (
        2,
        f"error: --version 1.1.0 is not greater than 1.1.0, the version of --previous {second}: choose a greater one\n",
    )
    assert _refusal(second, "1.0.9")[0] == 2


def test_another_key_is_refused(quarters: list[tuple[Path, Manifest]]) -> None:
    second = quarters[1][0]
    other = make_key("another key")
    code, stderr = _refusal(second, "2.0.0", key=other.secret)
    assert code == 2
    assert stderr == (
        f"error: the pseudonym key (fingerprint {other.fingerprint}) is not the key of --previous {second} "
        f"(fingerprint {KEY.fingerprint}): the same record would get another id; export with the key that made 1.1.0\n"
    )


def test_other_row_options_are_refused(quarters: list[tuple[Path, Manifest]]) -> None:
    second = quarters[1][0]
    code, stderr = _refusal(second, "2.0.0", "--k-threshold", "5", "--time-granularity", "hour")
    assert code == 2
    assert "(time_granularity is 'minute' there, 'hour' here)" in stderr


def test_a_previous_release_that_does_not_validate_is_refused(
    quarters: list[tuple[Path, Manifest]], tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(quarters[0][0], broken)
    shard = broken / read_manifest(broken).shards[0].path
    shard.write_bytes(shard.read_bytes()[:-10] + b"0123456789")
    window2 = quarters[0][0].parent / "window2"
    result = run(
        *audit_export(window2, tmp_path / "out", "--k-threshold", "5", "--previous", broken, version="1.1.0"),
        key=KEY.secret,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"error: --previous {broken} does not validate; its rows cannot be carried forward\n"
    )
    assert "sha256" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken"]


def test_a_folder_that_is_not_a_release_is_refused(tmp_path: Path, windows: list[Path]) -> None:
    (tmp_path / "notes").mkdir()
    code, stderr = _refusal(tmp_path / "notes", "2.0.0", source=windows[2])
    assert code == 2
    assert stderr.startswith(
        f"error: --previous {tmp_path / 'notes'} is not a release: MANIFEST.json: cannot be read"
    )
    assert len(stderr.splitlines()) == 1
