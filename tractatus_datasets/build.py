"""Write a complete release from the config tables: shards, manifest, card, then a fresh load.

Shared by every dataset package; a package only supplies its tables, counts and card prose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from tractatus_datasets.card import CARD_NAME, CardContent, render_card
from tractatus_datasets.citation import CHANGELOG_NAME, CITATION_NAME, render_changelog, render_citation
from tractatus_datasets.croissant import CROISSANT_NAME, render_croissant
from tractatus_datasets.errors import Problem, ProblemsFound
from tractatus_datasets.gate import GateResult, scan_release
from tractatus_datasets.identifiers import Identifiers
from tractatus_datasets.keys import ExportKey
from tractatus_datasets.manifest import MANIFEST_NAME, Counts, KeyInfo, Manifest, SourceInfo, write_manifest
from tractatus_datasets.parquet import Rows, shard_nbytes, write_shards
from tractatus_datasets.previous import Previous
from tractatus_datasets.progress import progress
from tractatus_datasets.release import Staging
from tractatus_datasets.spec import DatasetSpec
from tractatus_datasets.timing import Stages
from tractatus_datasets.validate import validate_release

__all__ = ["CARD_NAME", "write_release"]


def write_release(
    staging: Staging,
    spec: DatasetSpec,
    tables: Mapping[str, pa.Table | Rows],
    *,
    version: str,
    release_date: dt.date,
    source: SourceInfo,
    key: ExportKey | None,
    counts: Counts,
    options: dict[str, Any],
    content: Callable[[Manifest], CardContent],
    max_shard_rows: int,
    identifiers: Identifiers | None = None,
    previous: Previous | None = None,
    stages: Stages | None = None,
    rows_written: Callable[[], None] | None = None,
) -> Manifest:
    """Write everything into `staging.folder`, pass it through the leak gate, and validate it as
    `tractatus-datasets validate` would (which includes a fresh load); exit 1 if either fails.
    `staged_release` moves the folder into place only after this returns.

    The gate scans the data first, so that the manifest and card can report what it scanned, then
    the card and manifest once they are written. With `previous` (the release this one continues),
    the manifest and card name it and the changelog keeps its entries. `rows_written` is called
    once the shards are written, to free what produced `tables` (a database) before the checks.
    The manifest's `summary` is `spec.summary` of the shards as written.
    """
    root, stage = staging.folder, stages or Stages()
    counts = counts.model_copy(
        update={"rows_by_config": {c.name: tables[c.name].num_rows for c in spec.configs}}
    )
    unreconciled = counts.problems(counts.rows_by_config[spec.default_config.name])
    if unreconciled:
        raise ProblemsFound(
            [Problem(MANIFEST_NAME, None, "counts", problem) for problem in unreconciled],
            "the counts do not reconcile, so a record may have been lost; nothing was published",
        )
    shards = []
    with stage("write shards"):
        for config in progress(spec.configs, desc="Writing shards", unit="config"):
            table = tables[config.name]
            if table.schema != config.features.arrow_schema:  # a bug, not bad data
                raise ValueError(f"table for {config.name} does not match its features")
            shards += write_shards(table, root, config.name, max_shard_rows)
    if rows_written is not None:
        rows_written()
    summary = spec.summary(root, shards)
    _return_unused_memory()
    with stage("leak gate"):
        data_gate = _gate(root, spec, identifiers, part="data")
    _return_unused_memory(identifiers)
    manifest = Manifest(
        dataset=spec.repo_id,
        version=version,
        release_date=release_date,
        schema_version=spec.schema_version,
        schema_hash=spec.schema_hash,
        source=source,
        key=None if key is None else KeyInfo(fingerprint=key.fingerprint, demo=key.demo),
        previous=None if previous is None else previous.info,
        counts=counts,
        options=options,
        gate=data_gate.summary(),
        summary=summary,
        shards=Manifest.shard_entries(shards),
    )
    with stage("manifest, card, citation, changelog, croissant"):
        write_manifest(manifest, root)
        # Measured on the shards as read back, so the figure depends on the rows alone, not on
        # how the writer's tables happened to be laid out in memory.
        with ThreadPoolExecutor(2) as pool:  # side by side: Arrow decodes outside the GIL
            sizes = list(pool.map(shard_nbytes, [root / s.path for s in shards]))
        table_bytes = {
            config.name: sum(size for s, size in zip(shards, sizes, strict=True) if s.config == config.name)
            for config in spec.configs
        }
        prose = content(manifest)
        (root / CARD_NAME).write_text(render_card(spec, manifest, prose, table_bytes), encoding="utf-8")
        (root / CITATION_NAME).write_text(render_citation(spec, manifest, prose.summary), encoding="utf-8")
        (root / CHANGELOG_NAME).write_text(
            render_changelog(spec, manifest, previous.changelog if previous else ""), encoding="utf-8"
        )
        (root / CROISSANT_NAME).write_text(render_croissant(spec, manifest, prose.summary), encoding="utf-8")
    with stage("leak gate"):
        _gate(root, spec, identifiers, part="text")
    _return_unused_memory(identifiers)
    with stage("validate and load back"):
        problems = validate_release(root, spec, scan=False, scratch=staging.scratch)  # both parts scanned
    if problems:
        raise ProblemsFound(problems, "the written release does not validate; it was not published")
    return manifest


def _return_unused_memory(identifiers: Identifiers | None = None) -> None:
    """Give back the pages Arrow's allocator keeps for reuse once a stage is done with them (after
    the shards of 1,000,000 rows, about 120 MB that would otherwise stay resident to the end), and
    after a gate the pages of the identifier files it searched (at 4,000,000 documents, 128 MB)."""
    pa.default_memory_pool().release_unused()
    if identifiers is not None:
        identifiers.drop_pages()


def _gate(
    root: Path, spec: DatasetSpec, identifiers: Identifiers | None, part: Literal["data", "text"]
) -> GateResult:
    result = scan_release(root, identifiers, spec.pseudonym_columns, part)
    if result.findings:
        raise ProblemsFound(
            [finding.problem() for finding in result.findings],
            "the leak gate found personal data or secrets in the release; it was not published",
        )
    return result
