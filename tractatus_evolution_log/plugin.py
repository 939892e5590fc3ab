"""The evolution log as a CLI plugin (`export evolution` and its part of `demo`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from tractatus_datasets.manifest import Manifest
from tractatus_datasets.parquet import DEFAULT_MAX_SHARD_ROWS
from tractatus_datasets.plugins import ExportOptions
from tractatus_evolution_log.builder import SPEC, EvolutionOptions, export_evolution

__all__ = ["PLUGIN", "EvolutionPlugin"]

DEMO_VERSION = "1.0.0"


class EvolutionPlugin:
    spec = SPEC
    demo_uses = ("audit",)  # its demo counts the decisions of the audit demo linked to each incident

    def add_export_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--source",
            help="folder of event files (YAML front matter + Markdown); default: the shipped history",
        )
        parser.add_argument(
            "--audit",
            type=Path,
            metavar="RELEASE",
            help="an audit corpus release: count its incident decisions linked to each incident",
        )

    def export(self, options: ExportOptions, args: argparse.Namespace) -> Manifest:
        return export_evolution(options, EvolutionOptions(audit=args.audit))

    def build_demo(self, workdir: Path, built: dict[str, Path]) -> tuple[Path, Manifest]:
        out = workdir / "evolution-log"
        options = ExportOptions(
            source=None, out=out, version=DEMO_VERSION, max_shard_rows=DEFAULT_MAX_SHARD_ROWS
        )
        return out, export_evolution(options, EvolutionOptions(audit=built.get("audit")))


PLUGIN = EvolutionPlugin()
