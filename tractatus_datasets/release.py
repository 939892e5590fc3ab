"""Build a release folder in a hidden sibling and move it into place only when it is complete.

Releases are immutable: an existing output folder is never overwritten (exit 2). A run that
fails part-way leaves no release folder behind.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tractatus_datasets.errors import UsageError

__all__ = ["VERSION_PATTERN", "check_version", "quarantine_path", "staged_release"]

VERSION_PATTERN = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


def check_version(version: str) -> str:
    """Accept `X.Y.Z` only: the revision tag `vX.Y.Z` that papers pin is derived from it."""
    if not VERSION_PATTERN.match(version):
        raise UsageError(f"--version {version!r} is not X.Y.Z (for example 1.0.0)")
    return version


def quarantine_path(out: Path) -> Path:
    """Where rejected raw records go: beside the release (`OUT.quarantine.jsonl`), never inside."""
    return out.with_name(out.name + ".quarantine.jsonl")


def _refuse_existing(out: Path) -> None:
    if out.exists():
        raise UsageError(f"{out} already exists; releases are never overwritten: choose a new --out")


@contextmanager
def staged_release(out: Path) -> Iterator[Path]:
    """Yield a staging folder; on success rename it to `out`, on any error remove it."""
    _refuse_existing(out)
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=parent))
    except OSError as error:
        raise UsageError(f"cannot create the release folder in {parent}: {error.strerror}") from None
    try:
        yield staging
        _refuse_existing(out)  # another run may have finished meanwhile
        staging.chmod(0o755)  # mkdtemp makes it private; a release is meant to be read
        staging.replace(out)  # atomic on one filesystem: the release appears complete or not at all
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
