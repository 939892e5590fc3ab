"""`MANIFEST.json`: what a release holds and how it was made, so anyone can check it.

It carries the key's fingerprint, never the key, and counts, never dropped values.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tractatus_datasets import __version__
from tractatus_datasets.parquet import ShardInfo

__all__ = ["MANIFEST_NAME", "Counts", "KeyInfo", "Manifest", "SourceInfo", "read_manifest", "write_manifest"]

MANIFEST_NAME = "MANIFEST.json"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Counts(_Strict):
    """`read == exported + quarantined + duplicates` always holds in a written release."""

    read: int
    exported: int
    quarantined: int
    duplicates: int = 0
    quarantined_by_reason: dict[str, int] = Field(default_factory=dict)
    rows_by_config: dict[str, int] = Field(default_factory=dict)
    values_dropped_by_reason: dict[str, int] = Field(default_factory=dict)
    normalisation: dict[str, int] = Field(default_factory=dict)
    scrubbed: dict[str, int] = Field(default_factory=dict)
    rare_values: dict[str, int] = Field(default_factory=dict)
    suppressed: dict[str, int] = Field(default_factory=dict)


class KeyInfo(_Strict):
    fingerprint: str
    demo: bool


class SourceInfo(_Strict):
    kind: str
    digest: str
    files_by_kind: dict[str, int] = Field(default_factory=dict)


class ShardEntry(_Strict):
    config: str
    path: str
    rows: int
    bytes: int
    sha256: str


class Manifest(_Strict):
    dataset: str
    version: str
    release_date: dt.date
    schema_version: str
    schema_hash: str
    tool: str = f"tractatus-datasets {__version__}"
    source: SourceInfo
    key: KeyInfo | None  # None for a dataset with no pseudonyms
    counts: Counts
    options: dict[str, Any]
    gate: dict[str, int] = Field(default_factory=dict)
    shards: list[ShardEntry]

    @staticmethod
    def shard_entries(shards: list[ShardInfo]) -> list[ShardEntry]:
        return [ShardEntry(**vars(shard)) for shard in shards]


def write_manifest(manifest: Manifest, root: Path) -> Path:
    path = root / MANIFEST_NAME
    text = json.dumps(manifest.model_dump(mode="json"), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def read_manifest(root: Path) -> Manifest:
    return Manifest.model_validate_json((root / MANIFEST_NAME).read_text(encoding="utf-8"))
