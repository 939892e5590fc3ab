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

__all__ = [
    "MANIFEST_NAME",
    "Counts",
    "KeyInfo",
    "Manifest",
    "PreviousInfo",
    "SourceInfo",
    "read_manifest",
    "write_manifest",
]

MANIFEST_NAME = "MANIFEST.json"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Counts(_Strict):
    """What happened to every record read, and how the release's rows came to be.

    Always, in a written release: `read == exported + quarantined + duplicates`, the quarantine
    reasons add up to `quarantined`, and the default config holds `carried + exported -
    already_released` rows (a release made with `--previous` carries its predecessor's rows).
    """

    read: int
    exported: int
    quarantined: int
    duplicates: int = 0
    carried: int = 0  # rows of the previous release, kept as published
    already_released: int = 0  # exported records whose row the previous release already holds
    quarantined_by_reason: dict[str, int] = Field(default_factory=dict)
    rows_by_config: dict[str, int] = Field(default_factory=dict)
    values_dropped_by_reason: dict[str, int] = Field(default_factory=dict)
    normalisation: dict[str, int] = Field(default_factory=dict)
    scrubbed: dict[str, int] = Field(default_factory=dict)
    rare_values: dict[str, int] = Field(default_factory=dict)
    suppressed: dict[str, int] = Field(default_factory=dict)

    @property
    def added(self) -> int:
        """Rows new in this release."""
        return self.exported - self.already_released

    @property
    def no_longer_in_source(self) -> int:
        """Carried rows whose record the source no longer has (expired, for the audit corpus)."""
        return self.carried - self.already_released

    def problems(self, default_rows: int) -> list[str]:
        """Where the counts do not add up, given the rows of the default config; empty when they do.

        >>> Counts(read=5, exported=3, quarantined=1, duplicates=1, quarantined_by_reason={"x": 1}).problems(3)
        []
        >>> Counts(read=5, exported=3, quarantined=1).problems(4)
        ['read 5 != exported 3 + quarantined 1 + duplicates 0', 'quarantined 1 != 0, the sum of quarantined_by_reason', 'the default config has 4 rows, not carried 0 + exported 3 - already_released 0']
        """
        found = []
        if self.read != self.exported + self.quarantined + self.duplicates:
            found.append(
                f"read {self.read} != exported {self.exported} + quarantined {self.quarantined} "
                f"+ duplicates {self.duplicates}"
            )
        if self.quarantined != sum(self.quarantined_by_reason.values()):
            found.append(
                f"quarantined {self.quarantined} != {sum(self.quarantined_by_reason.values())}, "
                "the sum of quarantined_by_reason"
            )
        if not 0 <= self.already_released <= min(self.carried, self.exported):
            found.append(f"already_released {self.already_released} is not within 0..min(carried, exported)")
        if default_rows != self.carried + self.added:
            found.append(
                f"the default config has {default_rows} rows, not carried {self.carried} + exported "
                f"{self.exported} - already_released {self.already_released}"
            )
        return found


class KeyInfo(_Strict):
    fingerprint: str
    demo: bool


class SourceInfo(_Strict):
    kind: str
    digest: str
    files_by_kind: dict[str, int] = Field(default_factory=dict)


class PreviousInfo(_Strict):
    """The release this one continues (`--previous`): every row of it is in this one."""

    version: str
    release_date: dt.date
    manifest_digest: str  # "sha256:…" of its MANIFEST.json, which names and hashes all its files
    rows_by_config: dict[str, int]


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
    previous: PreviousInfo | None = None
    counts: Counts
    options: dict[str, Any]
    gate: dict[str, int] = Field(default_factory=dict)
    # The figures a reader quotes (decisions, sessions, period…), computed from the rows by the
    # dataset package; pages and cards show these rather than figures typed in by hand.
    summary: dict[str, Any] = Field(default_factory=dict)
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
