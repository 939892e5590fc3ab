"""Build a release in a private work folder beside it and move it into place only when complete.

Releases are immutable: an existing output folder is never overwritten (exit 2). A run works in
`.OUT.partial-XXXX/` next to `OUT`, holding a lock on it for as long as it runs:

    .OUT.partial-XXXX/lock               locked while the run is alive (the kernel frees it on kill)
    .OUT.partial-XXXX/release/           becomes OUT, by one rename, once written and validated
    .OUT.partial-XXXX/quarantine.jsonl   becomes OUT.quarantine.jsonl, just before
    .OUT.partial-XXXX/scratch/           throw-away space (the load check's cache)

So whenever a run stops, even by SIGKILL or power loss before the rename, `OUT` is either absent
or complete. The next run for the same `OUT` removes work folders whose lock nobody holds.
"""

from __future__ import annotations

import fcntl
import glob
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tractatus_datasets.errors import UsageError

__all__ = [
    "VERSION_PATTERN",
    "Staging",
    "check_version",
    "parse_version",
    "quarantine_path",
    "remove_abandoned",
    "staged_release",
]

VERSION_PATTERN = re.compile(r"\A(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\Z")  # ASCII, whole
_LOCK = "lock"


def check_version(version: str) -> str:
    """Accept `X.Y.Z` only: the revision tag `vX.Y.Z` that papers pin is derived from it."""
    if not VERSION_PATTERN.fullmatch(version):
        raise UsageError(f"--version {version!r} is not X.Y.Z (for example 1.0.0)")
    return version


def parse_version(version: str) -> tuple[int, int, int]:
    """`X.Y.Z` as numbers, for ordering: 1.10.0 comes after 1.9.0.

    >>> parse_version("1.10.0") > parse_version("1.9.0")
    True
    """
    major, minor, patch = check_version(version).split(".")
    return int(major), int(minor), int(patch)


def quarantine_path(out: Path) -> Path:
    """Where rejected raw records go: beside the release (`OUT.quarantine.jsonl`), never inside."""
    return out.with_name(out.name + ".quarantine.jsonl")


@dataclass(frozen=True)
class Staging:
    """The private places of one run; see the module docstring."""

    work: Path
    folder: Path  # becomes the release
    quarantine: Path  # becomes OUT.quarantine.jsonl
    scratch: Path


# `datasets.load_dataset` and DuckDB's file readers read these in a path as a file pattern.
PATTERN_CHARACTERS = "*?[]{}"


def _refuse_existing(out: Path) -> None:
    if found := sorted(set(PATTERN_CHARACTERS).intersection(str(out.absolute()))):
        raise UsageError(
            f"{out}: its path holds {' '.join(found)}, which datasets.load_dataset reads as a file "
            f"pattern, so the release could not be loaded from there: choose an --out without any "
            f"of {' '.join(PATTERN_CHARACTERS)}"
        )
    if out.exists():
        raise UsageError(f"{out} already exists; releases are never overwritten: choose a new --out")


def _prefix(out: Path) -> str:
    return f".{out.name}.partial-"


def remove_abandoned(out: Path) -> list[Path]:
    """Remove the work folders that runs for `out` left when they were killed; return them.

    A folder whose lock can be taken belongs to no live run. One killed between creating its
    folder and its lock file, microseconds apart, gets a lock file here and is taken the same way.
    """
    removed = []
    for work in sorted(out.parent.glob(glob.escape(_prefix(out)) + "*")):
        if not work.is_dir() or work.is_symlink():
            continue
        try:
            with (work / _LOCK).open("a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(work)
        except BlockingIOError:
            continue  # a live run: leave it alone
        except FileNotFoundError:
            continue  # another run removed it meanwhile
        removed.append(work)
    return removed


@contextmanager
def staged_release(out: Path) -> Iterator[Staging]:
    """Yield a `Staging`; on success move the quarantine, then the release, into place. On any
    error remove the release being built but keep the quarantine, which says what was rejected."""
    _refuse_existing(out)
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        for work in remove_abandoned(out):
            print(f"removed {work.name}, left by an interrupted run for {out}", file=sys.stderr)
        work = Path(tempfile.mkdtemp(prefix=_prefix(out), dir=parent))
    except OSError as error:
        raise UsageError(
            f"cannot create the release {out} in {parent}: {error.strerror}; "
            "choose an --out on a writable disk with free space"
        ) from None
    lock = (work / _LOCK).open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        staging = Staging(work, work / "release", work / "quarantine.jsonl", work / "scratch")
        staging.folder.mkdir(mode=0o755)
        staging.scratch.mkdir()
        try:
            yield staging
        except Exception:
            _keep_quarantine(staging, out)
            raise
        _refuse_existing(out)  # another run may have finished meanwhile
        _keep_quarantine(staging, out)
        staging.folder.chmod(0o755)  # whatever the umask: a release is meant to be read
        _flush(staging.folder)
        staging.folder.replace(out)  # atomic on one filesystem: the release appears complete or not at all
        _flush(parent, recursive=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        lock.close()


def _flush(folder: Path, recursive: bool = True) -> None:
    """fsync the files and folders under `folder` (or the folder alone), so that after a power cut
    the rename cannot reveal files whose bytes never reached the disk."""
    paths = [*sorted(folder.rglob("*")), folder] if recursive else [folder]
    for path in paths:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _keep_quarantine(staging: Staging, out: Path) -> None:
    """This run's quarantine replaces any an earlier run left; a run that quarantined nothing
    removes the stale one, so that `OUT.quarantine.jsonl` always belongs to the last run."""
    if staging.quarantine.exists():
        _flush(staging.quarantine, recursive=False)
        staging.quarantine.replace(quarantine_path(out))
    else:
        quarantine_path(out).unlink(missing_ok=True)
