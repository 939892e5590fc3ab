"""Operator mistakes and a hostile machine: each is one line saying what and how to fix it, exit 2,
no traceback (unless --debug), and no release left behind.

Permissions are real: as root, the command runs without the capabilities that let root ignore
them (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH). A full disk is a real file-size limit
(RLIMIT_FSIZE), under which writes fail with EFBIG exactly where a full disk fails with ENOSPC.
"""

from __future__ import annotations

import resource
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.audit import shapes
from tests.helpers import audit_export, run


def _small_disk(limit: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write (EFBIG) instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return shapes.write_source(tmp_path / "source")


def export(source: Path | str, out: Path, *extra: str | Path, **options: object) -> tuple[int, list[str]]:
    result = run(*audit_export(source, out, *extra), **options)
    return result.returncode, result.stderr.splitlines()


def test_an_unreadable_source_file(source: Path, unprivileged: Callable[[], None]) -> None:
    dump = source / "auditLogs.json"
    dump.chmod(0)
    code, lines = export(dump, source.parent / "out", "--demo-key", preexec_fn=unprivileged)
    assert (code, lines) == (
        2,
        [
            f"error: cannot read source file {dump}: Permission denied; "
            "check that it exists and that this user may read it"
        ],
    )
    assert not (source.parent / "out").exists()


def test_an_unlistable_source_folder(source: Path, unprivileged: Callable[[], None]) -> None:
    (source / "legacy").chmod(0)
    code, lines = export(source, source.parent / "out", "--demo-key", preexec_fn=unprivileged)
    assert (code, lines) == (
        2,
        [
            f"error: cannot list source folder {source / 'legacy'}: Permission denied; "
            "check that this user may read it"
        ],
    )


@pytest.mark.parametrize(
    ("content", "mode", "message"),
    [
        (None, 0o600, "cannot read key file {key}: No such file or directory; set TRACTATUS_PSEUDONYM_KEY"),
        (b"short", 0o600, "key file {key} holds 5 bytes, too short to be a key: set TRACTATUS_PSEUDONYM_KEY"),
        (b"k" * 40, 0, "cannot read key file {key}: Permission denied; set TRACTATUS_PSEUDONYM_KEY"),
    ],
)
def test_a_wrong_key_file(
    source: Path, unprivileged: Callable[[], None], content: bytes | None, mode: int, message: str
) -> None:
    key = source.parent / "key"
    if content is not None:
        key.write_bytes(content)
        key.chmod(mode)
    code, lines = export(source, source.parent / "out", "--key-file", key, preexec_fn=unprivileged)
    assert code == 2 and len(lines) == 1
    assert lines[0].startswith("error: " + message.format(key=key)), lines


def test_an_output_on_a_read_only_path(source: Path, unprivileged: Callable[[], None]) -> None:
    locked = source.parent / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    code, lines = export(source, locked / "release", "--demo-key", preexec_fn=unprivileged)
    assert (code, lines) == (
        2,
        [
            f"error: cannot create the release {locked / 'release'} in {locked}: Permission denied; "
            "choose an --out on a writable disk with free space"
        ],
    )
    assert list(locked.iterdir()) == []


@pytest.mark.parametrize("name", ["release[2]", "release-*", "{a,b}"])
def test_an_output_whose_path_reads_as_a_file_pattern(source: Path, name: str) -> None:
    # datasets.load_dataset would take the path as a pattern, and DuckDB read other files through it.
    out = source.parent / "releases" / name
    code, lines = export(source, out, "--demo-key")
    found = " ".join(sorted(set("*?[]{}").intersection(name)))
    assert (code, lines) == (
        2,
        [
            f"error: {out}: its path holds {found}, which datasets.load_dataset reads as a file pattern, "
            "so the release could not be loaded from there: choose an --out without any of * ? [ ] { }"
        ],
    )
    assert not (source.parent / "releases").exists()


def test_a_full_disk_while_writing_shards(source: Path) -> None:
    out = source.parent / "release"
    code, lines = export(source, out, "--demo-key", preexec_fn=_small_disk(4_000))
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith(f"error: no space left to write under {out} (")
    assert lines[0].endswith("): free some space on that disk, or choose an --out on another one")
    # The quarantine of what was read is kept, as after any failed run; no release, no work folder.
    assert sorted(p.name for p in source.parent.iterdir()) == ["release.quarantine.jsonl", "source"]


def test_too_little_memory_for_duckdb(source: Path) -> None:
    out = source.parent / "release"
    code, lines = export(source, out, "--demo-key", "--memory-limit", "1MB")
    assert (code, lines) == (
        2,
        [
            "error: DuckDB needed more than its 1MB memory limit to deduplicate, derive and sort the rows; "
            "no release was written. Run the export again with a larger --memory-limit (e.g. 2MB): it spills "
            "to the work folder beyond the limit, so that disk needs room too"
        ],
    )
    assert sorted(p.name for p in source.parent.iterdir()) == ["release.quarantine.jsonl", "source"]
    code, lines = export(source, out, "--demo-key", "--memory-limit", "lots")
    assert code == 2 and lines[-1].endswith(
        "argument --memory-limit: 'lots' is not a memory size: a number and a unit, e.g. 320MB, 2GB or 1.5GiB"
    )


def test_debug_shows_the_traceback(source: Path) -> None:
    result = run(
        "--debug",
        *audit_export(source, source.parent / "release", "--demo-key"),
        preexec_fn=_small_disk(4_000),
    )
    assert result.returncode == 1  # Python's own exit code for an uncaught exception
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("OSError: [Errno 27]")
