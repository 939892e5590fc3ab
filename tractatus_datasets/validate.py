"""Check a written release against its spec and its own manifest, listing every problem at once.

What is checked: the manifest reads and names this dataset and schema; the card, `CITATION.cff`
`CHANGELOG.md` and `croissant.json` are there and name the manifest's version; every shard it lists is
there with its sha256, row count and the config's Arrow schema (features included), and no other
Parquet file is; the manifest's summary is what the default config's rows give; the card's YAML
declares exactly the spec's configs, each `data_files` pattern matches files and every shard is
matched; the leak gate finds nothing; and `datasets`, opening every config afresh, resolves it to
files holding the promised rows, with the promised features, and streams its first row (`loadcheck`).
This is what the dataset repositories' CI runs on every push, and what `publish` runs first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from datasets import Features
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard

from tractatus_datasets.card import CARD_NAME
from tractatus_datasets.citation import CHANGELOG_NAME, CITATION_NAME
from tractatus_datasets.croissant import CROISSANT_NAME
from tractatus_datasets.errors import Problem
from tractatus_datasets.gate import scan_release
from tractatus_datasets.loadcheck import check_loadable
from tractatus_datasets.manifest import MANIFEST_NAME, Manifest, read_manifest
from tractatus_datasets.parquet import file_sha256
from tractatus_datasets.spec import DatasetSpec

__all__ = ["read_release_manifest", "validate_release"]


def read_release_manifest(root: Path) -> tuple[Manifest | None, list[Problem]]:
    try:
        return read_manifest(root), []
    except OSError as error:
        return None, [Problem(MANIFEST_NAME, None, None, f"cannot be read: {error.strerror or error}")]
    except ValueError as error:
        first = str(error).splitlines()[0]
        return None, [Problem(MANIFEST_NAME, None, None, f"is not a release manifest: {first}")]


def _as_stored(type_: pa.DataType) -> pa.DataType:
    """The type as Parquet gives it back: seconds come back as milliseconds, list items unnamed."""
    if pa.types.is_timestamp(type_) and type_.unit == "s":
        return pa.timestamp("ms", tz=type_.tz)
    if pa.types.is_list(type_):
        return pa.list_(_as_stored(type_.value_type))
    return type_


def _same_schema(schema: pa.Schema, features: Features) -> bool:
    """Same columns, same stored types, and the same `datasets` features in the metadata."""
    expected = features.arrow_schema
    if schema.names != expected.names:
        return False
    if any(not _as_stored(a.type).equals(_as_stored(b.type)) for a, b in zip(schema, expected, strict=True)):
        return False
    try:  # the features `datasets` decodes the columns with
        stored = json.loads((schema.metadata or {})[b"huggingface"])["info"]["features"]
        return bool(Features.from_dict(stored) == features)
    except (ValueError, KeyError, TypeError):
        return False


def _shard_problems(root: Path, spec: DatasetSpec, manifest: Manifest) -> list[Problem]:
    problems = []
    configs = {config.name: config for config in spec.configs}
    listed = {shard.path for shard in manifest.shards}
    present = {p.relative_to(root).as_posix() for p in root.glob("data/**/*.parquet")}
    for extra in sorted(present - listed):
        problems.append(Problem(extra, None, None, f"is not listed in {MANIFEST_NAME}"))
    rows: dict[str, int] = {}
    for shard in manifest.shards:
        if shard.path not in present:
            problems.append(Problem(shard.path, None, None, f"is listed in {MANIFEST_NAME} but missing"))
            continue
        config = configs.get(shard.config)
        if config is None:
            problems.append(
                Problem(shard.path, None, None, f"belongs to config {shard.config!r}, not in the spec")
            )
            continue
        path = root / shard.path
        if file_sha256(path) != shard.sha256:
            problems.append(
                Problem(shard.path, None, None, f"sha256 differs from {MANIFEST_NAME}: changed after release")
            )
        try:
            metadata = pq.read_metadata(path)
            schema = pq.read_schema(path)
        except (OSError, pa.ArrowException) as error:
            problems.append(Problem(shard.path, None, None, f"is not readable Parquet: {error}"))
            continue
        if metadata.num_rows != shard.rows:
            problems.append(
                Problem(
                    shard.path, None, None, f"has {metadata.num_rows} rows, {MANIFEST_NAME} says {shard.rows}"
                )
            )
        if not _same_schema(schema, config.features):
            problems.append(
                Problem(shard.path, None, None, f"schema differs from the {config.name!r} row model")
            )
        rows[shard.config] = rows.get(shard.config, 0) + metadata.num_rows
    for config in spec.configs:
        expected = manifest.counts.rows_by_config.get(config.name, 0)
        if rows.get(config.name, 0) != expected:
            problems.append(
                Problem(
                    MANIFEST_NAME,
                    None,
                    f"counts.rows_by_config.{config.name}",
                    f"says {expected}, its shards hold {rows.get(config.name, 0)}",
                )
            )
    return problems


def _summary_problems(root: Path, spec: DatasetSpec, manifest: Manifest) -> list[Problem]:
    """The manifest's summary against the same figures computed again from the default config's
    shards. A release made before manifests carried a summary has none, and is not held to one."""
    if spec.summarise is None or not manifest.summary:
        return []
    default = spec.default_config.name
    actual = spec.summary(root, manifest.shards)
    return [
        Problem(
            MANIFEST_NAME,
            None,
            f"summary.{key}",
            f"says {manifest.summary.get(key)!r}, the {default} rows give {actual.get(key)!r}",
        )
        for key in sorted(set(actual) | set(manifest.summary))
        if manifest.summary.get(key) != actual.get(key)
    ]


def _patterns(data_files: Any) -> list[str]:
    """Every path pattern of a card's `data_files`, in any of the forms `datasets` accepts."""
    if isinstance(data_files, str):
        return [data_files]
    if isinstance(data_files, dict):
        return _patterns(data_files.get("path", []))
    if isinstance(data_files, list):
        return [pattern for item in data_files for pattern in _patterns(item)]
    return []


def _card_problems(root: Path, spec: DatasetSpec, manifest: Manifest) -> list[Problem]:
    try:
        card = DatasetCard.load(root / CARD_NAME)
        declared = MetadataConfigs.from_dataset_card_data(card.data)
    except Exception as error:  # any unreadable card is a finding
        return [Problem(CARD_NAME, None, None, f"its YAML cannot be read: {type(error).__name__}: {error}")]
    problems = []
    names = [config.name for config in spec.configs]
    for name in sorted(set(declared) - set(names)):
        problems.append(Problem(CARD_NAME, None, f"configs.{name}", "is not a config of this dataset"))
    for name in names:
        if name not in declared:
            problems.append(Problem(CARD_NAME, None, f"configs.{name}", "is missing"))
            continue
        shards = {shard.path for shard in manifest.shards if shard.config == name}
        matched: set[str] = set()
        for pattern in _patterns(declared[name].get("data_files")):
            files = {p.relative_to(root).as_posix() for p in root.glob(pattern) if p.is_file()}
            if not files:
                problems.append(
                    Problem(CARD_NAME, None, f"configs.{name}.data_files", f"{pattern!r} matches no file")
                )
            matched |= files
        for path in sorted(shards - matched):
            problems.append(
                Problem(CARD_NAME, None, f"configs.{name}.data_files", f"no pattern matches {path}")
            )
        for path in sorted(matched - shards):
            problems.append(
                Problem(
                    CARD_NAME, None, f"configs.{name}.data_files", f"matches {path}, not a shard of {name}"
                )
            )
    return problems


def _citation_problems(root: Path, manifest: Manifest) -> list[Problem]:
    problems = []
    for name in (CARD_NAME, CITATION_NAME, CHANGELOG_NAME, CROISSANT_NAME):
        if not (root / name).is_file():
            problems.append(Problem(name, None, None, "is missing"))
    if not problems:
        try:
            citation = yaml.safe_load((root / CITATION_NAME).read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            return [Problem(CITATION_NAME, None, None, f"is not YAML: {error}")]
        if not isinstance(citation, dict) or citation.get("version") != manifest.version:
            problems.append(
                Problem(CITATION_NAME, None, "version", f"does not name version {manifest.version}")
            )
        if f"## [{manifest.version}]" not in (root / CHANGELOG_NAME).read_text(encoding="utf-8"):
            problems.append(Problem(CHANGELOG_NAME, None, None, f"has no entry for {manifest.version}"))
        try:
            croissant = json.loads((root / CROISSANT_NAME).read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            return [*problems, Problem(CROISSANT_NAME, None, None, f"is not JSON: {error}")]
        if not isinstance(croissant, dict) or croissant.get("version") != manifest.version:
            problems.append(
                Problem(CROISSANT_NAME, None, "version", f"does not name version {manifest.version}")
            )
    return problems


def validate_release(
    root: Path, spec: DatasetSpec, *, scan: bool = True, load: bool = True, scratch: Path | None = None
) -> list[Problem]:
    """Every problem of the release at `root`; empty when it is what its manifest says.

    `scan=False` skips the leak gate (for a caller that has just run it); the load check runs only
    when the files are sound, since loading broken files says nothing new, and keeps its cache
    under `scratch` (default: the system's temporary folder).
    """
    manifest, problems = read_release_manifest(root)
    if manifest is None:
        return problems
    if manifest.dataset != spec.repo_id:
        problems.append(
            Problem(MANIFEST_NAME, None, "dataset", f"is {manifest.dataset}, expected {spec.repo_id}")
        )
    if manifest.schema_hash != spec.schema_hash:
        problems.append(
            Problem(
                MANIFEST_NAME,
                None,
                "schema_hash",
                "differs from this version's models: validate with the release's own version",
            )
        )
    default_rows = manifest.counts.rows_by_config.get(spec.default_config.name, 0)
    problems += [Problem(MANIFEST_NAME, None, "counts", p) for p in manifest.counts.problems(default_rows)]
    shard_problems = _shard_problems(root, spec, manifest)
    problems += shard_problems
    if not shard_problems:
        problems += _summary_problems(root, spec, manifest)
    problems += _card_problems(root, spec, manifest)
    problems += _citation_problems(root, manifest)
    if scan:
        result = scan_release(root, None, spec.pseudonym_columns)
        problems += [finding.problem() for finding in result.findings]
    if load and not problems:
        problems += check_loadable(root, spec, manifest.counts.rows_by_config, scratch)
    return problems
