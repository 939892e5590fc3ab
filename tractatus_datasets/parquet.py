"""Write a config's rows as Parquet shards in the Hub's layout. The only module that writes Parquet.

Shards are `data/<config>/train-0000i-of-0000N.parquet`, cut every `max_rows` rows, with the
`datasets.Features` in the schema metadata and fixed writer settings, so the same rows always
give the same bytes.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "DEFAULT_MAX_SHARD_ROWS",
    "ROW_GROUP_ROWS",
    "Rows",
    "ShardInfo",
    "file_sha256",
    "read_shards",
    "shard_nbytes",
    "write_shards",
]

DEFAULT_MAX_SHARD_ROWS = 500_000
ROW_GROUP_ROWS = 50_000  # small row groups keep the Hub's viewer and streaming reads cheap

_WRITER_SETTINGS = {
    "compression": "zstd",
    "compression_level": 1,
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_version": "1.0",
}


@dataclass(frozen=True)
class ShardInfo:
    config: str
    path: str  # relative to the release root, POSIX separators
    rows: int
    bytes: int
    sha256: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Rows:
    """A config's rows, in their final order, without holding them all: their schema, how many
    there are, and how to read them again in record batches (e.g. from a work-folder file)."""

    schema: pa.Schema
    num_rows: int
    batches: Callable[[], Iterator[pa.RecordBatch]]

    @classmethod
    def of(cls, table: pa.Table) -> Rows:
        return cls(table.schema, table.num_rows, lambda: iter(table.to_batches()))

    @classmethod
    def casting(
        cls, schema: pa.Schema, num_rows: int, batches: Callable[[], Iterable[pa.RecordBatch]]
    ) -> Rows:
        """Rows from batches in another engine's types (e.g. DuckDB's), each cast to `schema`."""

        def cast() -> Iterator[pa.RecordBatch]:
            for batch in batches():
                yield from pa.Table.from_batches([batch]).cast(schema).to_batches()

        return cls(schema, num_rows, cast)


class _Reader:
    """Take rows off a stream of batches, any number at a time."""

    def __init__(self, rows: Rows) -> None:
        self.schema = rows.schema
        self._batches = rows.batches()
        self._left: pa.RecordBatch | None = None

    def take(self, count: int) -> pa.Table:
        taken: list[pa.RecordBatch] = []
        while count > 0:
            batch = self._left if self._left is not None else next(self._batches, None)
            if batch is None:
                break
            taken.append(batch.slice(0, count))
            self._left = batch.slice(count) if batch.num_rows > count else None
            count -= taken[-1].num_rows
        return pa.Table.from_batches(taken, schema=self.schema).combine_chunks()


def write_shards(rows: pa.Table | Rows, root: Path, config: str, max_rows: int) -> list[ShardInfo]:
    """Write `rows` (already in their final order) as shards, one row group at a time, giving the
    bytes one `pq.write_table` per shard would; an empty config still gets one shard, so every
    config the card declares has a file with its schema."""
    if max_rows < 1:
        raise ValueError("max_rows must be at least 1")
    rows = Rows.of(rows) if isinstance(rows, pa.Table) else rows
    count = max(1, math.ceil(rows.num_rows / max_rows))
    folder = root / "data" / config
    folder.mkdir(parents=True, exist_ok=True)
    reader = _Reader(rows)
    shards = []
    for index in range(count):
        relative = f"data/{config}/train-{index:05d}-of-{count:05d}.parquet"
        path = root / relative
        size = min(max_rows, rows.num_rows - index * max_rows)
        # No row group at all in an empty shard: a zero-row group makes `datasets` fail.
        with pq.ParquetWriter(path, rows.schema, **_WRITER_SETTINGS) as writer:
            for start in range(0, size, ROW_GROUP_ROWS):
                group = reader.take(min(ROW_GROUP_ROWS, size - start))
                if group.num_rows < min(ROW_GROUP_ROWS, size - start):
                    raise ValueError(f"{config}: fewer rows than the {rows.num_rows} announced")
                writer.write_table(group, row_group_size=ROW_GROUP_ROWS)
        shards.append(ShardInfo(config, relative, size, path.stat().st_size, file_sha256(path)))
    if reader.take(1).num_rows:
        raise ValueError(f"{config}: more rows than the {rows.num_rows} announced")
    return shards


def shard_nbytes(path: Path) -> int:
    """The Arrow size (`Table.nbytes`) of a shard's rows, read one row group at a time."""
    shard = pq.ParquetFile(path)
    return sum(shard.read_row_group(group).nbytes for group in range(shard.num_row_groups))


def read_shards(root: Path, paths: list[str], schema: pa.Schema) -> pa.Table:
    """The rows of the shards at `paths` (relative to `root`), in that order, as `schema` says:
    what `write_shards` wrote, with the types it was given (Parquet keeps seconds as milliseconds)."""
    tables = [pq.read_table(root / path).cast(schema) for path in paths]
    return pa.concat_tables(tables) if tables else schema.empty_table()
