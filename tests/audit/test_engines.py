"""The release does not depend on how the per-record stages were run: part size, number of local
processes, or a Dask cluster (a real local one, two worker processes)."""

from __future__ import annotations

import json
import os
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.audit import shapes
from tests.helpers import (
    audit_export,
    child_processes,
    command_line,
    export,
    processes_spawned_by,
    release_contents,
    run,
)
from tractatus_audit_corpus.engines import IN_PROCESS_BYTES, Engine
from tractatus_audit_corpus.sample import write_sample
from tractatus_datasets.errors import UsageError
from tractatus_datasets.sources import discover


@pytest.fixture(scope="module")
def shapes_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shapes.write_source(tmp_path_factory.mktemp("shapes") / "source")


@pytest.fixture(scope="module")
def sample_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("sample") / "source"
    write_sample(source, records=2_000, credentials=False)
    return source


@pytest.mark.parametrize(("lines_per_part", "workers"), [(1, 1), (7, 2), (50_000, 2)])
def test_part_size_and_processes_do_not_change_a_byte(
    shapes_source: Path, tmp_path: Path, lines_per_part: int, workers: int
) -> None:
    # Bad lines, a duplicate across parts, legacy files: every kind of record the counts follow.
    reference = export(shapes_source, tmp_path / "one", k=2, workers=1)
    export(shapes_source, tmp_path / "parts", k=2, lines_per_part=lines_per_part, workers=workers)
    assert release_contents(tmp_path / "parts") == release_contents(tmp_path / "one")
    assert reference.counts.quarantined > 0 and reference.counts.duplicates > 0


def test_a_sample_in_many_parts_gives_the_release_of_one_part(sample_source: Path, tmp_path: Path) -> None:
    export(sample_source, tmp_path / "one", k=5, lines_per_part=50_000, workers=1)
    manifest = export(sample_source, tmp_path / "many", k=5, lines_per_part=333, workers=2)
    assert release_contents(tmp_path / "many") == release_contents(tmp_path / "one")
    assert manifest.counts.read == 2_000
    assert (sample_source / "legacy").is_dir()  # the dump and the legacy files: several files are cut


def _helper_processes() -> set[tuple[int, bytes]]:
    """This process's children, by pid and command line, except multiprocessing's resource
    tracker (one per process, started once, a few MB)."""
    children = {(pid, command_line(pid)) for pid in child_processes(os.getpid())}
    return {(pid, command) for pid, command in children if b"resource_tracker" not in command}


def test_no_process_stays_behind_the_workers(sample_source: Path, tmp_path: Path) -> None:
    # A fork server would: resident through every later stage, with all the stages' imports.
    before = _helper_processes()
    export(sample_source, tmp_path / "many", k=5, lines_per_part=333, workers=2)
    assert _helper_processes() - before == set()


def test_a_small_source_is_read_in_this_process_unless_workers_are_asked_for(
    sample_source: Path, tmp_path: Path
) -> None:
    # 2,000 documents in four files, cut into seven parts: far under IN_PROCESS_BYTES.
    assert discover(str(sample_source)).data_bytes < IN_PROCESS_BYTES
    started = {
        workers: processes_spawned_by(
            partial(export, sample_source, tmp_path / str(workers), k=5, lines_per_part=333, workers=workers)
        )
        for workers in (None, 2)
    }
    assert started == {None: 0, 2: 2}
    assert release_contents(tmp_path / "None") == release_contents(tmp_path / "2")


def _rows(out: Path, config: str) -> list[dict[str, object]]:
    table = pa.concat_tables(
        pq.read_table(path) for path in sorted((out / "data" / config).glob("*.parquet"))
    )
    return table.to_pylist()


def test_dask_on_a_local_two_worker_cluster_gives_the_local_release(
    sample_source: Path, tmp_path: Path
) -> None:
    local, distributed = tmp_path / "local", tmp_path / "dask"
    assert run(*audit_export(sample_source, local, "--demo-key")).returncode == 0
    result = run(*audit_export(sample_source, distributed, "--demo-key", "--engine", "dask"))
    assert result.returncode == 0, result.stderr
    for config in ("full", "aggregated", "incidents"):
        assert _rows(distributed, config) == _rows(local, config), config
    # Lists stay lists: no engine may turn `coordination` into text on the way.
    schema = pq.read_schema(next((distributed / "data" / "full").glob("*.parquet")))
    assert pa.types.is_list(schema.field("coordination").type)
    assert any(row["coordination"] for row in _rows(distributed, "full"))
    # The design gives more than the same content: the same bytes, but for the manifest's word on
    # which engine read the source.
    assert release_contents(distributed, engine=False) == release_contents(local, engine=False)
    # Dask runs the columnar stage on each part: it routes what `--engine columnar` routes.
    columnar = tmp_path / "columnar"
    assert run(*audit_export(sample_source, columnar, "--demo-key", "--engine", "columnar")).returncode == 0
    engine = json.loads((distributed / "MANIFEST.json").read_text())["options"]["engine"]
    routed = json.loads((columnar / "MANIFEST.json").read_text())["options"]["engine"]["routed_records"]
    assert engine == {"name": "dask", "routed_records": routed} and 0 < routed < 1_000


@pytest.mark.parametrize(
    ("source", "options", "message"),
    [
        (
            "mongodb://localhost:27017/tractatus",
            {"engine": Engine.DASK},
            "a live mongodb:// source is read by the local engine only",
        ),
        (None, {"scheduler": "tcp://127.0.0.1:8786"}, "--scheduler is for --engine dask"),
        (None, {"engine": Engine.DASK, "workers": 3}, "--workers is for --engine python or columnar"),
    ],
)
def test_engine_options_that_do_not_go_together(
    shapes_source: Path, tmp_path: Path, source: str | None, options: dict[str, object], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        export(source or shapes_source, tmp_path / "out", **options)
    assert not (tmp_path / "out").exists()
