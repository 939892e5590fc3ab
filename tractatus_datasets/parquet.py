"""Write a config's rows as Parquet shards in the Hub's layout. The only module that writes Parquet.

Shards are `data/<config>/train-0000i-of-0000N.parquet`, cut every `max_rows` rows, with the
`datasets.Features` in the schema metadata and fixed writer settings, so the same rows always
give the same bytes.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "DEFAULT_MAX_SHARD_ROWS",
    "ROW_GROUP_ROWS",
    "ShardInfo",
    "file_sha256",
    "read_shards",
    "write_shards",
]

DEFAULT_MAX_SHARD_ROWS = 500_000
ROW_GROUP_ROWS = 50_000  # small row groups keep the Hub's viewer and streaming reads cheap

_WRITER_SETTINGS = {
    "compression": "zstd",
    "compression_level": 9,
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


def write_shards(table: pa.Table, root: Path, config: str, max_rows: int) -> list[ShardInfo]:
    """Write `table` (already in its final order) as shards; an empty table still gets one shard,
    so every config the card declares has a file with its schema."""
    if max_rows < 1:
        raise ValueError("max_rows must be at least 1")
    count = max(1, math.ceil(table.num_rows / max_rows))
    folder = root / "data" / config
    folder.mkdir(parents=True, exist_ok=True)
    shards = []
    for index in range(count):
        part = table.slice(index * max_rows, max_rows)
        relative = f"data/{config}/train-{index:05d}-of-{count:05d}.parquet"
        path = root / relative
        if part.num_rows:
            pq.write_table(part, path, row_group_size=ROW_GROUP_ROWS, **_WRITER_SETTINGS)
        else:  # no row group at all: a zero-row group makes `datasets` fail (batch size 0)
            pq.ParquetWriter(path, part.schema, **_WRITER_SETTINGS).close()
        shards.append(ShardInfo(config, relative, part.num_rows, path.stat().st_size, file_sha256(path)))
    return shards


def read_shards(root: Path, paths: list[str], schema: pa.Schema) -> pa.Table:
    """The rows of the shards at `paths` (relative to `root`), in that order, as `schema` says:
    what `write_shards` wrote, with the types it was given (Parquet keeps seconds as milliseconds)."""
    tables = [pq.read_table(root / path).cast(schema) for path in paths]
    return pa.concat_tables(tables) if tables else schema.empty_table()
