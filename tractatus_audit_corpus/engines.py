"""How the source becomes rows: `python` (the per-record stages on this machine's cores), `dask`
(the columnar stage on a Dask cluster), or `columnar` (typed columns normalised by SQL; see
`columnar`).

All three cut the source into the same parts. `python` runs `batches.run_part` on each, on this
machine's cores; `columnar` and `dask` run `columnar.run_columnar_part`, which sends the lines it
cannot read exactly through `run_part`'s own stages, on this machine's cores or on a Dask
cluster. All give back the parts' results in source order, so the quarantine, the counts and the
rows do not depend on the engine, the number of workers or the part size.

With `dask`, every worker reads its part from the source path and writes its rows into the work
folder, so on a real cluster both must be on storage every worker mounts at the same path (NFS, a
cloud file system). A live `mongodb://` source is read by this process, in batches, on the local
engine only.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from enum import StrEnum
from itertools import chain, islice
from pathlib import Path

from tractatus_audit_corpus.batches import PartResult, Task, run_part, run_records
from tractatus_audit_corpus.columnar import run_columnar_part
from tractatus_datasets.anonymise import Granularity
from tractatus_datasets.errors import UsageError
from tractatus_datasets.keys import ExportKey
from tractatus_datasets.records import RawRecord

__all__ = ["IN_PROCESS_BYTES", "LINES_PER_PART", "Engine", "default_workers", "run_batches", "run_tasks"]

LINES_PER_PART = 20_000  # a worker holds one part's rows: about 3.5 kB of memory a line
IN_PROCESS_BYTES = 64 * 2**20  # a smaller source is read in this process unless --workers is given


class Engine(StrEnum):
    PYTHON = "python"
    COLUMNAR = "columnar"
    DASK = "dask"


def default_workers(source_bytes: int) -> int:
    """How many processes read a file source holding `source_bytes` of records (`Source.data_bytes`,
    which counts a gzipped file by what it holds) when `--workers` is not given.

    Each worker is a new process that imports the export's libraries before its first part, about
    1.5 s here. Measured on dumps of 40,000 and 80,000 documents (39 and 86 MB), one process was
    faster than two with either engine (columnar 4.2 s against 5.8 s, and 7.4 against 8.0), so
    a source under `IN_PROCESS_BYTES` is read in this process; a larger one, on every core.

    >>> default_workers(4_000_000), default_workers(1_000_000_000) == (os.cpu_count() or 1)
    (1, True)
    """
    return 1 if source_bytes < IN_PROCESS_BYTES else os.cpu_count() or 1


def _exit_with(parent: int) -> None:
    """In a worker: end it as soon as the process that started the pool has ended, even by SIGKILL,
    which gives the pool no chance to stop its workers (they would wait for work forever)."""

    def watch() -> None:
        try:
            with os.fdopen(os.pidfd_open(parent), "rb") as pidfd:
                select.select([pidfd], [], [])  # readable once the process has ended
        except (AttributeError, OSError):  # no pidfd here: ask every second
            while _alive(parent):
                time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _local(tasks: Iterable[Task], workers: int, run: Callable[[Task], PartResult]) -> Iterator[PartResult]:
    """Each task's result, in order. Tasks are handed to the workers as they come, so the first
    run while the later ones are still being planned; one task alone runs in this process."""
    tasks = iter(tasks)
    first = list(islice(tasks, 2))
    if workers <= 1 or len(first) <= 1:
        yield from map(run, chain(first, tasks))
        return
    # Spawned, not forked: safe where forking a process with running threads is not, and, unlike
    # a fork server, nothing stays behind once the pool is done (a fork server would keep its
    # imports, some 160 MB, resident through every later stage).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_exit_with, initargs=(os.getpid(),)
    ) as pool:
        try:
            yield from pool.map(run, chain(first, tasks))
        except BrokenProcessPool:
            raise UsageError(
                "a worker process ended abruptly (killed, or out of memory?): run again with "
                "fewer --workers or a smaller --lines-per-part"
            ) from None
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _dask(tasks: Iterable[Task], scheduler: str | None) -> Iterator[PartResult]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - dask is a declared dependency
        raise UsageError("--engine dask needs dask[distributed]: pip install 'dask[distributed]'") from None
    if scheduler is None:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2, threads_per_worker=1, dashboard_address=None, processes=True
        )
        client = Client(cluster)  # type: ignore[no-untyped-call]
    else:
        cluster = None
        try:
            client = Client(scheduler, timeout=30)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as error:
            raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
    try:
        futures = client.map(run_columnar_part, list(tasks), pure=False)
        for future in futures:  # in source order
            yield future.result()
    finally:
        client.close()  # type: ignore[no-untyped-call]
        if cluster is not None:
            cluster.close()


def run_tasks(
    tasks: Iterable[Task],
    engine: Engine,
    *,
    workers: int,
    scheduler: str | None = None,
) -> Iterator[PartResult]:
    """Each task's result, in the tasks' order; `workers` local processes (see `default_workers`),
    or the Dask cluster's own."""
    if engine is Engine.DASK:
        yield from _dask(tasks, scheduler)
    else:
        run = run_columnar_part if engine is Engine.COLUMNAR else run_part
        yield from _local(tasks, workers, run)


def run_batches(
    records: Iterable[RawRecord],
    key: ExportKey,
    granularity: Granularity,
    folder: Path,
    size: int = LINES_PER_PART,
) -> Iterator[PartResult]:
    """Records read by this process (a live collection), in batches of `size`, one part each."""
    iterator = iter(records)
    index = 0
    while batch := list(islice(iterator, size)):
        yield run_records(batch, index, key, granularity, folder / f"part-{index:06d}.parquet")
        index += 1
