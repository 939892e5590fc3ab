"""`--previous RELEASE`: continue an earlier release, so that the corpus keeps every row it ever had.

The source may forget (the audit collection deletes records after 90 days); a release does not.
A release made with `--previous` holds every row of the previous one, byte for byte as published,
plus the rows of new records. It is refused (exit 2) unless it continues the previous release
exactly: same dataset and schema, the same pseudonym key (else the same record would get another
`decision_id`), the same options that shape rows, and a greater version. The previous release must
itself validate (exit 1 otherwise): rows are only carried from a release known to be sound.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from tractatus_datasets.citation import CHANGELOG_NAME
from tractatus_datasets.errors import Problem, ProblemsFound, UsageError
from tractatus_datasets.keys import ExportKey
from tractatus_datasets.manifest import MANIFEST_NAME, Manifest, PreviousInfo
from tractatus_datasets.release import parse_version
from tractatus_datasets.spec import DatasetSpec
from tractatus_datasets.validate import read_release_manifest, validate_release

__all__ = ["APART_ROWS", "Previous", "open_previous"]


@dataclass(frozen=True)
class Previous:
    info: PreviousInfo
    # Its default config's shards, in release order, with their rows: read where they are needed
    # (by DuckDB, for the audit corpus), never held whole in memory.
    shards: tuple[tuple[Path, int], ...]
    changelog: str  # its CHANGELOG.md entries as published, newest first

    @property
    def rows(self) -> int:
        return sum(rows for _, rows in self.shards)


def _entries(changelog: str) -> str:
    """The version entries of a CHANGELOG.md, without its header."""
    start = changelog.find("\n## [")
    return changelog[start + 1 :] if start >= 0 else ""


def _refuse(manifest: Manifest, spec: DatasetSpec, version: str, key: ExportKey | None, root: Path) -> None:
    if manifest.dataset != spec.repo_id:
        raise UsageError(f"--previous {root} is a release of {manifest.dataset}, not of {spec.repo_id}")
    if parse_version(version) <= parse_version(manifest.version):
        raise UsageError(
            f"--version {version} is not greater than {manifest.version}, the version of --previous {root}: "
            "choose a greater one"
        )
    ours = None if key is None else key.fingerprint
    theirs = None if manifest.key is None else manifest.key.fingerprint
    if ours != theirs:
        raise UsageError(
            f"the pseudonym key (fingerprint {ours}) is not the key of --previous {root} (fingerprint "
            f"{theirs}): the same record would get another id; export with the key that made {manifest.version}"
        )
    if manifest.schema_hash != spec.schema_hash:
        raise UsageError(
            f"--previous {root} has schema version {manifest.schema_version} ({manifest.schema_hash}), this "
            f"tool writes {spec.schema_version} ({spec.schema_hash}): its rows cannot be carried as they are"
        )


def _refuse_other_options(manifest: Manifest, options: Mapping[str, Any], root: Path) -> None:
    differing = [
        f"{name} is {manifest.options[name]!r} there, {value!r} here"
        for name, value in options.items()
        if name in manifest.options and manifest.options[name] != value
    ]
    if differing:
        raise UsageError(
            f"--previous {root} was made with other options ({'; '.join(differing)}): "
            "pass the same ones, so that old and new rows mean the same"
        )


# A previous release of this many rows or more is validated in a process of its own, so that what
# validating it leaves resident (about 300 MB for 1,000,000 rows: the allocators' pages, the load
# check's imports) is not held while the export's workers run; a smaller one is validated here,
# sooner than a process could start (about 1.5 s).
APART_ROWS = 250_000


def _validate_into(pipe: Connection, root: Path, spec: DatasetSpec) -> None:
    """In the process apart: send back `validate_release`'s problems, or the exception it raised
    (the parent raises it), unless the parent is gone."""
    answer: list[Problem] | BaseException
    try:
        answer = validate_release(root, spec)
    except BaseException as error:  # an interrupt too: the parent reports it once
        answer = error
    with pipe, contextlib.suppress(BrokenPipeError):
        pipe.send(answer)


def _validated(root: Path, spec: DatasetSpec, rows: int) -> list[Problem]:
    """`validate_release` of the release at `root`, which holds `rows` rows in all."""
    if rows < APART_ROWS:
        return validate_release(root, spec)
    # A process and a pipe, nothing more: an interrupt here ends the process at once.
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe(duplex=False)
    apart = context.Process(target=_validate_into, args=(theirs, root, spec), daemon=True)
    apart.start()
    theirs.close()
    try:
        answer = ours.recv()
        apart.join()  # let it end by itself: its semaphores are unregistered as it exits
    except EOFError:
        raise UsageError(
            f"the process validating --previous {root} ended abruptly (killed, or out of memory?)"
        ) from None
    finally:
        if apart.is_alive():  # interrupted
            apart.terminate()
            apart.join()
        ours.close()
    if isinstance(answer, BaseException):
        raise answer
    problems: list[Problem] = answer
    return problems


def open_previous(
    root: Path, spec: DatasetSpec, *, version: str, key: ExportKey | None, options: Mapping[str, Any]
) -> Previous:
    """Check that a release of `version` with `key` and `options` may continue the release at `root`
    (see the module docstring), and read what it carries forward."""
    if not root.is_dir():
        raise UsageError(f"--previous {root} is not a folder: give the folder of the release to continue")
    manifest, problems = read_release_manifest(root)
    if manifest is None:
        raise UsageError(f"--previous {root} is not a release: {problems[0]}")
    _refuse(manifest, spec, version, key, root)
    _refuse_other_options(manifest, options, root)
    problems = _validated(root, spec, sum(shard.rows for shard in manifest.shards))
    if problems:
        raise ProblemsFound(
            problems, f"--previous {root} does not validate; its rows cannot be carried forward"
        )
    default = spec.default_config
    shards = tuple(
        (root / shard.path, shard.rows) for shard in manifest.shards if shard.config == default.name
    )
    info = PreviousInfo(
        version=manifest.version,
        release_date=manifest.release_date,
        manifest_digest="sha256:" + hashlib.sha256((root / MANIFEST_NAME).read_bytes()).hexdigest(),
        rows_by_config=manifest.counts.rows_by_config,
    )
    return Previous(info, shards, _entries((root / CHANGELOG_NAME).read_text(encoding="utf-8")))
