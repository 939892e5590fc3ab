"""How a dataset package declares itself: its configs, once, and its Hub identity.

The one `configs` tuple feeds the writer, the card, the export loop and the schema files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from datasets import Features
from pydantic import BaseModel

from tractatus_datasets.features import features_of

__all__ = ["ConfigSpec", "DatasetSpec", "SourceSpec"]


class _Shard(Protocol):
    """A shard as the writer lists it and as the manifest does."""

    @property
    def config(self) -> str: ...
    @property
    def path(self) -> str: ...  # relative to the release root


@dataclass(frozen=True)
class ConfigSpec:
    """One config: its name, the pydantic model of one row, and what a row is."""

    name: str
    model: type[BaseModel]
    description: str
    default: bool = False

    @property
    def features(self) -> Features:
        return features_of(self.model)

    def data_files_glob(self) -> str:
        return f"data/{self.name}/train-*"


@dataclass(frozen=True)
class SourceSpec:
    """A source format checked against a JSON Schema; `schema` is what the reader validates with,
    and `schemas/<dir>/source-<name>.schema.json` is its checked-in copy."""

    name: str
    schema: Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset: Hub repository, card metadata, and its configs in one tuple."""

    name: str  # the CLI's name for it: `export audit`
    repo_id: str
    pretty_name: str
    schema_dir: str  # folder under `schemas/`
    configs: tuple[ConfigSpec, ...]
    tags: tuple[str, ...] = ()
    license: str = "cc-by-sa-4.0"
    pseudonym_columns: frozenset[str] = frozenset()  # must hold keyed pseudonyms and nothing else
    sources: tuple[SourceSpec, ...] = ()
    # The manifest's `summary` (the figures a card or page quotes), from the default config's
    # shards: the export writes it, `validate` computes it again and compares.
    summarise: Callable[[list[Path]], dict[str, Any]] | None = None
    # Bump whenever `schema_hash` changes (a column, type or label); releases name both, and a test
    # holds the hash each version stands for.
    schema_version: str = "1"

    @property
    def default_config(self) -> ConfigSpec:
        """The config `load_dataset(repo)` gives without a name; its rows are the dataset's records."""
        return next(config for config in self.configs if config.default)

    def summary(self, root: Path, shards: Iterable[_Shard]) -> dict[str, Any]:
        """`summarise` of the default config's shards among `shards` (none without `summarise`)."""
        if self.summarise is None:
            return {}
        default = self.default_config.name
        return self.summarise([root / shard.path for shard in shards if shard.config == default])

    def config(self, name: str) -> ConfigSpec:
        for config in self.configs:
            if config.name == name:
                return config
        raise KeyError(f"no config {name!r}; the configs are {', '.join(c.name for c in self.configs)}")

    @property
    def schema_hash(self) -> str:
        """Changes whenever any column, type or label of any config changes."""
        canonical = json.dumps({c.name: c.features.to_dict() for c in self.configs}, sort_keys=True)
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
