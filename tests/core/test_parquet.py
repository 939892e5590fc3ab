"""Shards written from a stream of batches are the shards one `pq.write_table` per shard gives."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tractatus_datasets import parquet
from tractatus_datasets.parquet import ROW_GROUP_ROWS, Rows, write_shards

ROWS = 2 * ROW_GROUP_ROWS + 1_234
TABLE = pa.table(
    {
        "n": pa.array(range(ROWS), pa.int64()),
        "text": pa.array([f"v{i % 97}" for i in range(ROWS)]),
        "items": pa.array([[i % 5] * (i % 3) for i in range(ROWS)], pa.list_(pa.int8())),
    }
)


def _one_write_per_shard(table: pa.Table, folder: Path, max_rows: int) -> list[str]:
    digests = []
    for start in range(0, table.num_rows, max_rows):
        path = folder / f"{start}.parquet"
        pq.write_table(
            table.slice(start, max_rows), path, row_group_size=ROW_GROUP_ROWS, **parquet._WRITER_SETTINGS
        )
        digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
    return digests


@settings(max_examples=10, deadline=None)
@given(
    max_rows=st.sampled_from([999, ROW_GROUP_ROWS, ROW_GROUP_ROWS + 7_000, 10 * ROW_GROUP_ROWS]),
    batch=st.integers(1, 3 * ROW_GROUP_ROWS),
)
def test_streamed_shards_are_byte_for_byte_those_of_whole_tables(
    tmp_path_factory: pytest.TempPathFactory, max_rows: int, batch: int
) -> None:
    folder = tmp_path_factory.mktemp("shards")
    (folder / "whole").mkdir()
    rows = Rows(TABLE.schema, ROWS, lambda: iter(TABLE.to_batches(max_chunksize=batch)))
    shards = write_shards(rows, folder, "c", max_rows)
    assert [s.sha256 for s in shards] == _one_write_per_shard(TABLE, folder / "whole", max_rows)
    assert [s.rows for s in shards] == [min(max_rows, ROWS - i) for i in range(0, ROWS, max_rows)]


def test_rows_from_another_engine_are_cast_to_the_schema_batch_by_batch() -> None:
    other = pa.schema([("n", pa.int32()), ("text", pa.large_string()), ("items", pa.list_(pa.int16()))])
    batches = TABLE.cast(other).to_batches(max_chunksize=ROW_GROUP_ROWS)
    rows = Rows.casting(TABLE.schema, ROWS, lambda: iter(batches))
    read = list(rows.batches())
    assert [b.num_rows for b in read] == [ROW_GROUP_ROWS, ROW_GROUP_ROWS, 1_234]
    assert pa.Table.from_batches(read).equals(TABLE)


@pytest.mark.parametrize(("announced", "message"), [(ROWS + 1, "fewer rows"), (ROWS - 1, "more rows")])
def test_a_stream_that_is_not_as_long_as_announced_is_a_bug(
    tmp_path: Path, announced: int, message: str
) -> None:
    rows = Rows(TABLE.schema, announced, lambda: iter(TABLE.to_batches()))
    with pytest.raises(ValueError, match=message):
        write_shards(rows, tmp_path, "c", 10 * ROW_GROUP_ROWS)
