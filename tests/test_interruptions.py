"""SIGKILL an export at several points: there is never a partial release, and the next run cleans up.

Each kill waits for a sign on disk that the run has reached a stage (its work folder, its
quarantine, its first shard, its card, its load check), then sends SIGKILL, which no code can
catch: what is left is exactly what a power cut or an OOM kill would leave.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import KEY, audit_export, cli, cli_env, file_digests, run, spawned_workers
from tractatus_audit_corpus.builder import SPEC
from tractatus_audit_corpus.sample import write_sample
from tractatus_datasets.validate import validate_release


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample source, with a few bad lines so that the run writes a quarantine."""
    folder = tmp_path_factory.mktemp("interrupted") / "source"
    write_sample(folder, records=3_000, credentials=False)
    with (folder / "auditLogs.json").open("a") as dump:
        dump.write("not json\n[1]\n")
    return folder


@pytest.fixture(scope="module")
def reference(source: Path) -> dict[str, str]:
    """The release an uninterrupted run writes."""
    out = source.parent / "reference"
    result = run(*audit_export(source, out), key=KEY.secret)
    assert result.returncode == 0, result.stderr
    return file_digests(out)


def work_folders(out: Path) -> set[Path]:
    return set(out.parent.glob(f".{out.name}.partial-*"))


Reached = Callable[[Path, set[Path]], bool]  # (out, the run's work folders) → has the stage come?


def inside(test: Callable[[Path], bool]) -> Reached:
    return lambda out, work: any(test(folder) for folder in work)


def kill_when(out: Path, source: Path, stage: str, reached: Reached) -> None:
    """Start an export into `out`; SIGKILL it as soon as `reached` holds."""
    before = work_folders(out)
    process = subprocess.Popen(
        cli(*audit_export(source, out)),
        env=cli_env(KEY.secret),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            assert process.poll() is None, f"the export ended before {stage}"
            if reached(out, work_folders(out) - before):
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002)
        else:
            pytest.fail("the stage was not reached in time")
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL


STAGES: dict[str, Reached] = {
    "work folder created": inside(lambda work: True),
    "quarantine being written": inside(lambda work: (work / "quarantine.jsonl").exists()),
    "first shard written": inside(lambda work: any((work / "release").rglob("*.parquet"))),
    "card written": inside(lambda work: (work / "release" / "README.md").exists()),
    "load check running": inside(lambda work: any((work / "scratch").glob("tractatus-loadcheck-*"))),
}


def test_a_killed_export_leaves_no_release_and_the_next_run_cleans_up(
    source: Path, reference: dict[str, str]
) -> None:
    out = source.parent / "release"
    for stage, reached in STAGES.items():
        kill_when(out, source, stage, reached)
        assert not out.exists(), stage
        # Each run removed what the run before it left: only the one just killed remains.
        assert len(work_folders(out)) == 1, stage
        assert not out.with_name("release.quarantine.jsonl").exists(), stage
    (abandoned,) = work_folders(out)
    result = run(*audit_export(source, out), key=KEY.secret)
    assert result.returncode == 0, result.stderr
    assert f"removed {abandoned.name}, left by an interrupted run for {out}" in result.stderr
    assert work_folders(out) == set()
    assert file_digests(out) == reference
    assert out.with_name("release.quarantine.jsonl").read_text().count("\n") == 2


def test_a_kill_after_the_rename_leaves_a_complete_release(source: Path, reference: dict[str, str]) -> None:
    out = source.parent / "renamed"
    kill_when(out, source, "release renamed into place", lambda out, work: out.exists())
    assert validate_release(out, SPEC) == []
    assert file_digests(out) == reference


def test_a_killed_demo_leaves_no_demo_folder_and_a_rerun_succeeds(tmp_path: Path) -> None:
    out = tmp_path / "build"
    process = subprocess.Popen(
        cli("demo", "--out", out), env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        # The evolution log is built after the audit corpus: kill the demo half-way through.
        while not any(tmp_path.glob(".build.partial-*/release/.evolution-log.partial-*")):
            assert process.poll() is None, "the demo ended before the evolution log was started"
            time.sleep(0.002)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert not out.exists()
    result = run("demo", "--out", out)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]
    assert sorted(p.name for p in out.iterdir()) == ["audit-decisions", "evolution-log", "sample"]


def _start_with_workers(
    source: Path, out: Path, stderr: int = subprocess.DEVNULL
) -> tuple[subprocess.Popen[str], set[int]]:
    """Start an export on two local workers; return it, and the workers, once both run."""
    process = subprocess.Popen(
        cli(*audit_export(source, out, "--lines-per-part", "50", "--workers", "2")),
        env=cli_env(KEY.secret),
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
    )
    deadline, workers = time.monotonic() + 120, set()
    while time.monotonic() < deadline and process.poll() is None and len(workers) < 2:
        # The workers are the export's children that run `spawn_main` (not its resource tracker).
        workers = spawned_workers(process.pid)
        time.sleep(0.01)
    assert len(workers) == 2, "the export did not start its workers"
    return process, workers


def test_a_killed_export_leaves_no_worker_process_behind(source: Path, tmp_path: Path) -> None:
    process, workers = _start_with_workers(source, tmp_path / "release")
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in workers):
        time.sleep(0.1)
    assert [pid for pid in workers if Path(f"/proc/{pid}").exists()] == []


def test_a_worker_killed_under_a_running_export_is_one_clear_error(source: Path, tmp_path: Path) -> None:
    process, workers = _start_with_workers(source, tmp_path / "release", stderr=subprocess.PIPE)
    os.kill(min(workers), signal.SIGKILL)  # as the kernel's OOM killer would
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2
    assert stderr.splitlines()[-1] == (
        "error: a worker process ended abruptly (killed, or out of memory?): run again with fewer "
        "--workers or a smaller --lines-per-part"
    )
    assert not (tmp_path / "release").exists()
