"""Helpers the tests share: a test key, an export with it, a leak search, and the command line."""

from __future__ import annotations

import ctypes
import datetime as dt
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import datasets
import pytest

from tractatus_audit_corpus.builder import AuditOptions, export_audit
from tractatus_audit_corpus.models import FullRow
from tractatus_datasets.keys import ExportKey
from tractatus_datasets.manifest import Manifest
from tractatus_datasets.plugins import ExportOptions
from tractatus_datasets.release import quarantine_path

GOLDEN = Path(__file__).parent / "golden"
# Every file of a release whose configs fit in one shard each, sorted.
ONE_SHARD_RELEASE = [
    "CHANGELOG.md",
    "CITATION.cff",
    "MANIFEST.json",
    "README.md",
    "croissant.json",
    "data/aggregated/train-00000-of-00001.parquet",
    "data/full/train-00000-of-00001.parquet",
    "data/incidents/train-00000-of-00001.parquet",
]


def make_key(label: str = "tests") -> ExportKey:
    """A key derived at run time; no key material is written in the test sources."""
    return ExportKey(hashlib.sha256(f"tractatus-datasets {label}".encode()).hexdigest().encode(), demo=False)


def check_golden(path: Path, actual: str, update: bool) -> None:
    """Compare with a golden file, or rewrite it under --update-golden (then review the diff)."""
    if update or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        if not update:
            pytest.fail(f"golden file {path} did not exist; written now, review it and re-run")
    assert actual == path.read_text(encoding="utf-8"), (
        f"{path} differs; if intended, re-run with --update-golden"
    )


KEY = make_key("golden shapes")


def export(source: Path | str, out: Path, k: int = 1, **overrides: Any) -> Manifest:
    """Export with the test key. k=1 turns rare-value suppression off: these tests are about exact
    normalisation; suppression has tests of its own."""
    common = {"source": str(source), "out": out, "version": "1.0.0", "max_shard_rows": 1000}
    audit = {"key": KEY, "k_threshold": k}
    for name, value in overrides.items():
        (common if name in ExportOptions.__dataclass_fields__ else audit)[name] = value
    return export_audit(ExportOptions(**common), AuditOptions(**audit))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in [str(key), *_strings(item)]]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def leaks_in(root: Path, needles: list[str]) -> list[tuple[str, str]]:
    """(file, needle) for every needle found in any raw string of any file: Parquet cells at any
    depth, column names and schema metadata, and every text file."""
    import pyarrow.parquet as pq

    hits = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            metadata = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
            strings = _strings(table.to_pylist()) + table.column_names + _strings(metadata)
        else:
            strings = [path.read_text(encoding="utf-8")]
        blob = "\x00".join(strings)
        hits += [(path.relative_to(root).as_posix(), needle) for needle in needles if needle in blob]
    return hits


T0 = dt.datetime(2025, 10, 25, 1, 0, tzinfo=dt.UTC)
EXACT: dict[str, dt.datetime] = {}  # the exact source time of each row `make` made, by decision_id


def make(service: str, seconds: float, session: str | None = "a" * 32, **fields: Any) -> FullRow:
    exact = T0 + dt.timedelta(seconds=seconds)
    values = {
        "decision_id": hashlib.md5(f"{service}{seconds}".encode(), usedforsecurity=False).hexdigest(),
        "timestamp": exact.replace(second=0, microsecond=0),
        "session": session,
        "service": service,
        "action": "other",
        "decision": "allow",
        "verdict": "ALLOWED",
        "outcome": "allowed",
        "boundary": None,
        "domain": "UNKNOWN",
        "context_pressure": "UNKNOWN",
        "pressure_score": None,
        "coordination": [],
        "rules_checked": [],
        "violated_rules": [],
        "severity": None,
        "duration_ms": None,
        "source_format": "mongodb_auditlog",
    } | fields
    row = FullRow.model_validate(values)
    EXACT[row.decision_id] = exact
    return row


SCRIPT = Path(sys.executable).with_name("tractatus-datasets")


def cli(*args: str | Path) -> list[str]:
    """The installed console script with `args`, as an operator types it."""
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "tractatus_datasets.cli"]
    return [*command, *map(str, args)]


def audit_export(
    source: Path | str, out: Path, *extra: str | Path, version: str = "1.0.0"
) -> list[str | Path]:
    """The arguments of `export audit` from `source` into `out`, then `extra`."""
    return ["export", "audit", "--source", source, "--out", out, "--version", version, *extra]


def cli_env(key: bytes | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TRACTATUS_PSEUDONYM_KEY"}
    if key is not None:
        env["TRACTATUS_PSEUDONYM_KEY"] = key.decode()
    return env


def run(
    *args: str | Path, key: bytes | None = None, cwd: Path | None = None, **options: Any
) -> subprocess.CompletedProcess[str]:
    """Run the command line to its end; `options` go to `subprocess.run` (e.g. `preexec_fn`)."""
    return subprocess.run(
        cli(*args),
        capture_output=True,
        text=True,
        env=cli_env(key),
        cwd=cwd,
        timeout=300,
        check=False,
        **options,
    )


def git(repo: Path, *args: str) -> str:
    """A git command's output in `repo`; it must succeed."""
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


def file_digests(root: Path) -> dict[str, str]:
    """sha256 of every file under `root`, by relative path: what `sha256sum` of a release shows."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def release_contents(out: Path, *, engine: bool = True) -> dict[str, Any]:
    """Every file of a release by digest, and the quarantine beside it as text; without `engine`,
    the manifest as JSON with its `options.engine` (which engine read the source) set apart."""
    contents: dict[str, Any] = file_digests(out)
    if not engine:
        manifest = json.loads((out / "MANIFEST.json").read_text())
        contents["MANIFEST.json"] = manifest | {"options": {**manifest["options"], "engine": None}}
    quarantine = quarantine_path(out)
    if quarantine.exists():
        contents["<quarantine>"] = quarantine.read_text()
    return contents


def as_json(row: dict[str, Any], features: datasets.Features) -> dict[str, Any]:
    """A stored row as the JSON its model serialises to: label names, ISO times."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        feature = features[name]
        if isinstance(feature, datasets.ClassLabel) and value is not None:
            value = feature.int2str(value)
        elif isinstance(feature, datasets.List) and isinstance(feature.feature, datasets.ClassLabel):
            value = [feature.feature.int2str(v) for v in value]
        elif isinstance(value, dt.date):
            value = value.isoformat()
        out[name] = value
    return out


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, server: subprocess.Popen[Any], what: str, seconds: float = 120) -> None:
    """Return once `server` accepts connections on 127.0.0.1:`port`; fail if it exits or is too slow."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.2)


def child_processes(root: int) -> set[int]:
    """The pids of the processes whose parent is `root`."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == root:
                children.add(int(stat.parent.name))
        except (OSError, IndexError):
            continue  # gone meanwhile
    return children


def spawned_workers(parent: int) -> set[int]:
    """The pids of the worker processes `parent` has spawned (multiprocessing's `spawn`) and that run."""
    return {pid for pid in child_processes(parent) if b"spawn_main" in command_line(pid)}


def processes_spawned_by(work: Callable[[], object]) -> int:
    """How many processes this process spawned (multiprocessing's `spawn`) while `work` ran, polled
    every 20 ms (a spawned process lives at least the second its imports take)."""
    seen: set[int] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.02):
            seen.update(spawned_workers(os.getpid()))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        work()
    finally:
        done.set()
        watcher.join()
    return len(seen)


def command_line(pid: int) -> bytes:
    """A process's command line, NUL-separated; empty once it has ended."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""  # gone meanwhile


_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def drop_root_powers() -> None:
    """In the child, before exec: as root, give up overriding file permissions."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@contextmanager
def serve_mirrors(mirrors: Path, workdir: Path) -> Iterator[str]:
    """A real olah server on 127.0.0.1 serving the git repositories under `mirrors`, offline; its URL."""
    port = free_port()
    config = workdir / "olah.toml"
    config.write_text(
        f'[basic]\nhost = "127.0.0.1"\nport = {port}\nmirrors-path = ["{mirrors}"]\n'
        f'repos-path = "{workdir / "olah-repos"}"\n\n[accessibility]\noffline = true\n'
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "olah.server", "-c", str(config)],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, server, "olah", seconds=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)
