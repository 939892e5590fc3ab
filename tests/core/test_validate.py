"""`validate`: a fresh release passes; each way a release can be broken after the fact is reported."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import datasets
import jsonschema
import mlcroissant as mlc
import pyarrow.parquet as pq
import pytest
import yaml

from tests.helpers import run
from tractatus_datasets.citation import render_changelog
from tractatus_datasets.manifest import PreviousInfo, read_manifest
from tractatus_datasets.plugins import ExportOptions
from tractatus_datasets.validate import validate_release
from tractatus_evolution_log.builder import SPEC, EvolutionOptions, export_evolution

FULL = "data/full/train-00000-of-00002.parquet"  # 28 events in shards of 20


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("validate") / "evolution"
    options = ExportOptions(source=None, out=out, version="1.0.0", max_shard_rows=20)
    export_evolution(options, EvolutionOptions(today=dt.date(2026, 11, 24)))
    return out


@pytest.fixture
def release(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "release"
    shutil.copytree(built, copy)
    return copy


def problems(root: Path) -> list[str]:
    return [str(problem) for problem in validate_release(root, SPEC)]


def edit(path: Path, old: str, new: str) -> None:
    """Replace `old` in the file: it must be there, or the test would check an unchanged release."""
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path.name}"
    path.write_text(text.replace(old, new))


def test_a_fresh_release_is_valid_and_the_command_says_so(release: Path) -> None:
    assert problems(release) == []
    result = run("validate", release)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        f"{release}: a valid release of tractatus-framework/evolution-log 1.0.0; its 4 shard(s)"
    )


def test_a_changed_shard_is_caught_by_its_hash(release: Path) -> None:
    table = pq.read_table(release / FULL)
    pq.write_table(table.slice(1), release / FULL)  # one event quietly removed
    assert problems(release) == [
        f"{FULL}: sha256 differs from MANIFEST.json: changed after release",
        f"{FULL}: has 19 rows, MANIFEST.json says 20",
        "MANIFEST.json: counts.rows_by_config.full: says 28, its shards hold 27",
    ]


def test_counts_that_do_not_reconcile_are_reported(release: Path) -> None:
    manifest = release / "MANIFEST.json"
    data = json.loads(manifest.read_text())
    data["counts"] |= {"read": 30, "quarantined": 1}  # two records read, one of them unaccounted for
    manifest.write_text(json.dumps(data, indent=2))
    assert problems(release) == [
        "MANIFEST.json: counts: read 30 != exported 28 + quarantined 1 + duplicates 0",
        "MANIFEST.json: counts: quarantined 1 != 0, the sum of quarantined_by_reason",
    ]
    data["counts"] |= {"read": 28, "quarantined": 0, "carried": 10, "already_released": 5}
    manifest.write_text(json.dumps(data, indent=2))
    assert problems(release) == [
        "MANIFEST.json: counts: the default config has 28 rows, not carried 10 + exported 28 - already_released 5"
    ]


def test_a_missing_shard_and_a_stray_one_are_named(release: Path) -> None:
    (release / "data/full/train-00001-of-00002.parquet").rename(release / "data/full/extra.parquet")
    assert problems(release) == [
        "data/full/extra.parquet: is not listed in MANIFEST.json",
        "data/full/train-00001-of-00002.parquet: is listed in MANIFEST.json but missing",
        "MANIFEST.json: counts.rows_by_config.full: says 28, its shards hold 20",
        "README.md: configs.full.data_files: no pattern matches data/full/train-00001-of-00002.parquet",
    ]


def test_card_data_files_that_match_nothing_are_reported(release: Path) -> None:
    edit(release / "README.md", "path: data/incidents/train-*", "path: data/incident/train-*")
    assert problems(release) == [
        "README.md: configs.incidents.data_files: 'data/incident/train-*' matches no file",
        "README.md: configs.incidents.data_files: no pattern matches data/incidents/train-00000-of-00001.parquet",
    ]
    result = run("validate", release)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: 2 problem(s): {release} is not a valid release\n")


def test_a_card_config_that_is_not_the_dataset_s_and_one_that_is_missing_are_named(release: Path) -> None:
    edit(release / "README.md", "config_name: incidents\n", "config_name: incident\n")
    assert problems(release) == [
        "README.md: configs.incident: is not a config of this dataset",
        "README.md: configs.incidents: is missing",
    ]


def test_shards_matched_by_different_patterns_of_one_config_are_all_matched(release: Path) -> None:
    one_each = "    path:\n    - data/full/train-00000-*\n    - data/full/train-00001-*\n"
    edit(release / "README.md", "    path: data/full/train-*\n", one_each)
    assert problems(release) == []


def test_a_planted_leak_is_found_without_printing_it(release: Path) -> None:
    address = "ops" + "@" + "tractatus-internal" + ".example"
    card = release / "README.md"
    card.write_text(card.read_text() + f"\nContact {address}\n")
    found = problems(release)
    assert len(found) == 1 and found[0].startswith("README.md:") and "email" in found[0]
    result = run("validate", release)
    assert result.returncode == 1 and address not in result.stderr + result.stdout


def test_a_schema_change_and_a_foreign_manifest_are_reported(release: Path) -> None:
    table = pq.read_table(release / "data/aggregated/train-00000-of-00001.parquet")
    pq.write_table(
        table.drop_columns(["approximate"]), release / "data/aggregated/train-00000-of-00001.parquet"
    )
    manifest = json.loads((release / "MANIFEST.json").read_text())
    manifest["dataset"] = "someone/else"
    (release / "MANIFEST.json").write_text(json.dumps(manifest))
    found = problems(release)
    assert found[0] == "MANIFEST.json: dataset: is someone/else, expected tractatus-framework/evolution-log"
    assert (
        "data/aggregated/train-00000-of-00001.parquet: schema differs from the 'aggregated' row model"
        in found
    )
    result = run("validate", release)
    assert result.returncode == 1
    assert (
        "  MANIFEST.json: dataset: someone/else is not one of tractatus-framework/audit-decisions, "
        in result.stderr
    )


def test_a_release_whose_path_reads_as_a_pattern_is_loaded_from_its_own_files(
    built: Path, tmp_path: Path
) -> None:
    # `datasets` reads `q[1]/release` as a pattern, which matches `q1/release`: a copy whose first
    # `full` shard holds the second's rows, so that loading it gives other row counts.
    release, decoy = tmp_path / "q[1]" / "release", tmp_path / "q1" / "release"
    shutil.copytree(built, release)
    shutil.copytree(built, decoy)
    shutil.copyfile(decoy / "data/full/train-00001-of-00002.parquet", decoy / FULL)
    resolved = datasets.load_dataset_builder(str(release), "full").config.data_files["train"]
    assert all(Path(file).is_relative_to(decoy) for file in resolved)  # the trap is real
    assert problems(release) == []


def test_a_folder_without_a_manifest_is_not_a_release(tmp_path: Path) -> None:
    assert problems(tmp_path) == ["MANIFEST.json: cannot be read: No such file or directory"]
    missing = run("validate", tmp_path / "absent")
    assert missing.returncode == 2 and "is not a folder" in missing.stderr


def test_citation_and_changelog_name_the_version_and_the_revision(release: Path) -> None:
    citation = yaml.safe_load((release / "CITATION.cff").read_text())
    assert {
        key: citation[key]
        for key in ("cff-version", "type", "version", "date-released", "authors", "license")
    } == {
        "cff-version": "1.2.0",
        "type": "dataset",
        "version": "1.0.0",
        "date-released": "2025-11-03",
        "authors": [{"name": "Tractatus Framework contributors"}],
        "license": "CC-BY-SA-4.0",
    }
    assert (
        citation["repository"]
        == "https://huggingface.co/datasets/tractatus-framework/evolution-log/tree/v1.0.0"
    )
    assert 'revision="v1.0.0"' in citation["message"]
    card = (release / "README.md").read_text()
    assert "@misc{evolution_log_1_0_0," in card
    assert "howpublished = {Hugging Face dataset tractatus-framework/evolution-log, revision v1.0.0}," in card
    assert (
        'incidents = load_dataset("tractatus-framework/evolution-log", "incidents", revision="v1.0.0")'
        in card
    )
    changelog = (release / "CHANGELOG.md").read_text()
    assert (
        "## [1.0.0] - 2025-11-03\n\n### Added\n\n- First release: 28 rows in `full`, 10 rows in `aggregated`, 6 rows in `incidents`.\n"
        in changelog
    )


def test_the_changelog_has_one_entry_per_version_newest_first(release: Path) -> None:
    first = read_manifest(release)
    counts = first.counts.model_copy(
        update={
            "rows_by_config": {"full": 30, "aggregated": 11, "incidents": 6},
            "read": 29,
            "exported": 29,
            "carried": 28,
            "already_released": 27,
        }
    )
    previous = PreviousInfo(
        version="1.0.0",
        release_date=first.release_date,
        manifest_digest="sha256:" + "0" * 64,
        rows_by_config=first.counts.rows_by_config,
    )
    second = first.model_copy(update={"version": "1.1.0", "counts": counts, "previous": previous})
    earlier = (release / "CHANGELOG.md").read_text()
    text = render_changelog(SPEC, second, earlier[earlier.index("## [1.0.0]") :])
    assert text.index("## [1.1.0]") < text.index("## [1.0.0]")
    assert text.endswith(earlier[earlier.index("## [1.0.0]") :])
    assert "- 2 new rows since 1.0.0 (`full` 28 → 30, `aggregated` 10 → 11, `incidents` 6 → 6)." in text
    assert (
        "- Every row of 1.0.0 is kept as it was published (28 rows), 1 of them no longer in the source."
        in text
    )


def test_missing_citation_and_a_stale_changelog_are_reported(release: Path) -> None:
    (release / "CITATION.cff").unlink()
    edit(release / "CHANGELOG.md", "## [1.0.0]", "## [0.9.0]")
    assert problems(release) == ["CITATION.cff: is missing"]
    (release / "CITATION.cff").write_text("cff-version: 1.2.0\nversion: 0.9.0\n")
    assert problems(release) == [
        "CITATION.cff: version: does not name version 1.0.0",
        "CHANGELOG.md: has no entry for 1.0.0",
    ]


def test_croissant_json_loads_in_mlcroissant_without_errors_or_warnings(release: Path) -> None:
    dataset = mlc.Dataset(jsonld=release / "croissant.json")
    issues = dataset.metadata.ctx.issues
    assert (issues.errors, issues.warnings) == (set(), set())
    metadata = dataset.metadata.to_json()
    assert (metadata["version"], metadata["datePublished"]) == ("1.0.0", "2025-11-03")
    assert [record_set.name for record_set in dataset.metadata.record_sets] == [
        "full",
        "aggregated",
        "incidents",
    ]
    for config, record_set in zip(SPEC.configs, dataset.metadata.record_sets, strict=True):
        assert [field.name for field in record_set.fields] == list(config.features)
    incidents = {field.name: field for field in dataset.metadata.record_sets[2].fields}
    assert incidents["instructions"].repeated and not incidents["title"].repeated
    assert "0 = LOW, 1 = MEDIUM, 2 = HIGH, 3 = CRITICAL" in incidents["severity"].description
    assert "revision v1.0.0" in metadata["citeAs"]


def test_a_croissant_for_another_version_is_reported(release: Path) -> None:
    edit(release / "croissant.json", '"version": "1.0.0"', '"version": "0.9.0"')
    assert problems(release) == ["croissant.json: version: does not name version 1.0.0"]


# The keys of Citation File Format 1.2.0 that our CITATION.cff uses, as that version defines them.
# (The reference validator, cffconvert 2.0, requires jsonschema < 4 and cannot be installed beside
# datasets' own jsonschema 4, so this restates the rules for those keys.)
CFF_1_2_SUBSET = {
    "type": "object",
    "required": ["cff-version", "message", "title", "authors"],
    "additionalProperties": False,
    "properties": {
        "cff-version": {"const": "1.2.0"},
        "message": {"type": "string", "minLength": 1},
        "title": {"type": "string", "minLength": 1},
        "type": {"enum": ["dataset", "software"]},
        "version": {"type": "string", "minLength": 1},
        "date-released": {"type": "string", "format": "date"},
        "authors": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "object", "anyOf": [{"required": ["name"]}, {"required": ["family-names"]}]},
        },
        "license": {"type": "string", "pattern": "^[A-Za-z0-9.+-]+$"},
        "url": {"type": "string", "format": "uri", "pattern": "^https://"},
        "repository": {"type": "string", "format": "uri", "pattern": "^https://"},
        "abstract": {"type": "string", "minLength": 1},
        "keywords": {"type": "array", "items": {"type": "string", "minLength": 1}},
    },
}


def test_citation_cff_follows_cff_1_2(release: Path) -> None:
    citation = yaml.safe_load((release / "CITATION.cff").read_text())
    checker = jsonschema.Draft202012Validator(CFF_1_2_SUBSET, format_checker=jsonschema.FormatChecker())
    assert [error.message for error in checker.iter_errors(citation)] == []
