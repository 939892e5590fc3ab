"""How dataset packages plug into the CLI without the core importing them.

Each package exposes a `DatasetPlugin` object and names it in the `tractatus_datasets.datasets`
entry point group of `pyproject.toml`; `load_plugins` finds them by that name.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Protocol

from tractatus_datasets.manifest import Manifest
from tractatus_datasets.spec import DatasetSpec
from tractatus_datasets.timing import Stages

__all__ = ["ENTRY_POINT_GROUP", "DatasetPlugin", "ExportOptions", "demo_order", "load_plugins"]

ENTRY_POINT_GROUP = "tractatus_datasets.datasets"


@dataclass(frozen=True)
class ExportOptions:
    """Options every export shares; each plugin adds its own from its parser arguments."""

    source: str | None  # None: the plugin's default source, if it has one
    out: Path
    version: str
    max_shard_rows: int
    release_date: dt.date | None = None
    stages: Stages = field(default_factory=Stages, compare=False)  # filled in: seconds per stage


class DatasetPlugin(Protocol):
    spec: DatasetSpec
    demo_uses: tuple[str, ...]  # plugins whose demo release this one's demo reads, when installed

    def add_export_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add `--source` and the options only this dataset has to `export <name>`."""

    def export(self, options: ExportOptions, args: argparse.Namespace) -> Manifest:
        """Build the release at `options.out`; raise UsageError (exit 2) or ProblemsFound (exit 1)."""
        ...

    def build_demo(self, workdir: Path, built: dict[str, Path]) -> tuple[Path, Manifest]:
        """Build this dataset's demo release under `workdir`; return its folder and manifest.

        `built` holds the demo releases already built, by plugin name: those named in `demo_uses`
        are built first."""
        ...


def load_plugins() -> dict[str, DatasetPlugin]:
    """Installed dataset plugins by CLI name, in name order."""
    found = {ep.name: ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return dict(sorted(found.items()))


def demo_order(plugins: dict[str, DatasetPlugin]) -> list[str]:
    """Plugin names in an order where each comes after the installed plugins it `demo_uses`.

    >>> class P:
    ...     def __init__(self, *uses): self.demo_uses = uses
    >>> demo_order({"evolution": P("audit"), "audit": P(), "other": P("missing")})
    ['audit', 'other', 'evolution']
    """
    order: list[str] = []
    pending = sorted(plugins)
    while pending:
        ready = [n for n in pending if all(u in order or u not in plugins for u in plugins[n].demo_uses)]
        if not ready:
            raise ValueError(f"the demos of {', '.join(pending)} use each other")  # a packaging bug
        order += ready
        pending = [n for n in pending if n not in ready]
    return order
