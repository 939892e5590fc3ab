"""Every source shape, exported and loaded back with `datasets.load_dataset`: exact rows, exact counts."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path
from typing import Any

import datasets
import pytest

from tests.audit import shapes
from tests.helpers import GOLDEN, KEY, ONE_SHARD_RELEASE, check_golden, export, file_digests, leaks_in
from tractatus_datasets.keys import ExportKey
from tractatus_datasets.manifest import Manifest


def pseudonym(key: ExportKey, namespace: str, value: str) -> str:
    """Written out again here, independently: a release's ids must never silently change."""
    return hmac.new(key.secret, f"{namespace}\x00{value}".encode(), hashlib.sha256).hexdigest()[:32]


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    root = tmp_path_factory.mktemp("shapes")
    source = shapes.write_source(root / "source")
    out = root / "release"
    return out, export(source, out)


def decoded(dataset: datasets.Dataset) -> list[dict[str, Any]]:
    """Rows with ClassLabel integers turned back into their names."""
    features = dataset.features
    rows = []
    for item in dataset:
        out = {}
        for name, value in item.items():
            feature = features[name]
            if isinstance(feature, datasets.ClassLabel):
                value = None if value is None else feature.int2str(value)
            elif isinstance(feature, datasets.List) and isinstance(feature.feature, datasets.ClassLabel):
                value = [feature.feature.int2str(v) for v in value]
            out[name] = value
        rows.append(out)
    return rows


def expected_rows() -> dict[str, dict[str, Any]]:
    rows = {}
    for label, (source_id, row) in shapes.EXPECTED.items():
        row = dict(row)
        row["session"] = None if row["session"] is None else pseudonym(KEY, "session", row["session"])
        rows[label] = {"decision_id": pseudonym(KEY, "decision", source_id), **row}
    return rows


def test_every_shape_becomes_its_exact_row(release: tuple[Path, Manifest]) -> None:
    out, _ = release
    loaded = {row["decision_id"]: row for row in decoded(datasets.load_dataset(str(out), split="train"))}
    expected = expected_rows()
    assert len(loaded) == len(expected)
    for label, want in expected.items():
        got = loaded[want["decision_id"]]
        for number in ("pressure_score", "duration_ms"):  # float32 in the release
            if want[number] is not None:
                assert got[number] == pytest.approx(want[number], rel=1e-6), (label, number)
                got = {**got, number: want[number]}
        assert got == want, label


def test_rows_are_in_release_order(release: tuple[Path, Manifest]) -> None:
    out, _ = release
    timestamps = datasets.load_dataset(str(out), split="train")["timestamp"]
    assert timestamps == sorted(timestamps)


def test_bad_records_are_quarantined_beside_the_release_with_reason_and_line(
    release: tuple[Path, Manifest],
) -> None:
    out, _ = release
    quarantine = out.with_name(out.name + ".quarantine.jsonl")
    entries = [json.loads(line) for line in quarantine.read_text().splitlines()]
    # Bad line i follows good document i, so it sits on line 2 * (i + 1) of the dump.
    assert [(e["source"], e["line"], e["reason"], e["field"]) for e in entries] == [
        ("auditLogs.json", 2 * (i + 1), reason, field)
        for i, (_, reason, field) in enumerate(shapes.BAD_LINES)
    ]
    assert [e["raw"] for e in entries] == [raw for raw, _, _ in shapes.BAD_LINES]
    assert not list(out.rglob("*quarantine*"))


def test_counts_reconcile_and_say_why(release: tuple[Path, Manifest]) -> None:
    _, manifest = release
    counts = manifest.counts
    assert (counts.read, counts.exported, counts.quarantined, counts.duplicates) == (25, 15, 9, 1)
    assert counts.quarantined_by_reason == {
        "implausible_time": 2,  # a `$date` of true (read as 1970) and a 2019 legacy time
        "invalid_value": 2,
        "missing_field": 1,
        "not_an_object": 1,
        "unparseable": 1,
        "unrecognised_shape": 1,
        "wrong_type": 1,
    }
    assert counts.normalisation["service_derived_from_action"] == 3  # B, C and J carry Mongoose's default
    assert counts.normalisation["unknown_service"] == 1
    assert counts.normalisation["unknown_action"] == 1
    assert counts.normalisation["service_defaulted"] == 1  # the minimal legacy line
    assert counts.values_dropped_by_reason["personal"] == 9  # three personal fields on D, F and H
    assert (
        counts.values_dropped_by_reason["unknown_metadata_key"] == 2
    )  # K's two keys; their names go nowhere


def stable(text: str) -> str:
    """Mask what depends on the installed pyarrow/zstd build (file bytes), not on our code."""
    text = re.sub(r'("sha256": )"[0-9a-f]{64}"', r'\1"<sha256>"', text)
    text = re.sub(r'("bytes": )\d+', r"\1<bytes>", text)
    return re.sub(r"(download_size: )\d+", r"\1<bytes>", text)


def test_card_matches_golden(release: tuple[Path, Manifest], update_golden: bool) -> None:
    out, _ = release
    card = stable((out / "README.md").read_text(encoding="utf-8"))
    check_golden(GOLDEN / "audit_shapes_card.md", card, update_golden)


def test_manifest_matches_golden(release: tuple[Path, Manifest], update_golden: bool) -> None:
    out, _ = release
    manifest = stable((out / "MANIFEST.json").read_text(encoding="utf-8"))
    check_golden(GOLDEN / "audit_shapes_manifest.json", manifest, update_golden)


def test_manifest_hashes_and_rows_describe_the_shards(release: tuple[Path, Manifest]) -> None:
    out, manifest = release
    import pyarrow.parquet as pq

    assert sorted(s.path for s in manifest.shards) == sorted(
        p.relative_to(out).as_posix() for p in out.rglob("*.parquet")
    )
    for shard in manifest.shards:
        path = out / shard.path
        assert hashlib.sha256(path.read_bytes()).hexdigest() == shard.sha256
        assert (pq.ParquetFile(path).metadata.num_rows, path.stat().st_size) == (shard.rows, shard.bytes)


def test_canonical_extended_json_gives_the_same_release(
    release: tuple[Path, Manifest], tmp_path: Path
) -> None:
    out, manifest = release
    canonical = export(shapes.write_source(tmp_path / "source", canonical=True), tmp_path / "release")
    for relative in ("data/full/train-00000-of-00001.parquet", "data/incidents/train-00000-of-00001.parquet"):
        assert (tmp_path / "release" / relative).read_bytes() == (out / relative).read_bytes()
    assert canonical.counts == manifest.counts


def test_no_raw_identifier_reaches_any_file(release: tuple[Path, Manifest]) -> None:
    out, _ = release
    found = leaks_in(out, shapes.RAW_IDENTIFIERS)
    assert found == []


def test_two_exports_into_different_folders_are_byte_identical(
    release: tuple[Path, Manifest], tmp_path: Path
) -> None:
    out, _ = release
    again = tmp_path / "another-name"
    export(shapes.write_source(tmp_path / "source"), again)
    assert file_digests(again) == file_digests(out)
    assert sorted(file_digests(out)) == ONE_SHARD_RELEASE
