"""How dataset packages plug into the CLI without the core importing them.

Each package exposes a `DatasetPlugin` object and names it in the `tractatus_datasets.datasets`
entry point group of `pyproject.toml`; `load_plugins` finds them by that name.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Protocol

from tractatus_datasets.anonymise import Granularity
from tractatus_datasets.keys import ExportKey
from tractatus_datasets.manifest import Manifest
from tractatus_datasets.pipeline import BadRecordPolicy
from tractatus_datasets.spec import DatasetSpec

__all__ = ["ENTRY_POINT_GROUP", "DatasetPlugin", "ExportOptions", "load_plugins"]

ENTRY_POINT_GROUP = "tractatus_datasets.datasets"


@dataclass(frozen=True)
class ExportOptions:
    """Options every export shares; each plugin adds its own from its parser arguments."""

    source: str | None
    out: Path
    version: str
    key: ExportKey
    time_granularity: Granularity
    max_shard_rows: int
    on_bad_record: BadRecordPolicy
    release_date: dt.date | None = None


class DatasetPlugin(Protocol):
    spec: DatasetSpec

    def add_export_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add the options only this dataset has to `export <name>`."""

    def export(self, options: ExportOptions, args: argparse.Namespace) -> Manifest:
        """Build the release at `options.out`; raise UsageError (exit 2) or ProblemsFound (exit 1)."""
        ...

    def build_demo(self, workdir: Path) -> tuple[Path, Manifest]:
        """Build this dataset's demo release under `workdir`; return its folder and manifest."""
        ...


def load_plugins() -> dict[str, DatasetPlugin]:
    """Installed dataset plugins by CLI name, in name order."""
    found = {ep.name: ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return dict(sorted(found.items()))
