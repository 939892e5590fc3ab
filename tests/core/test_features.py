"""Features and Arrow tables derived from pydantic models."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import pyarrow as pa
import pytest
from datasets import ClassLabel, Features, List, Value
from pydantic import BaseModel

from tractatus_datasets.features import (
    Float32,
    UtcDate,
    UtcTimestamp,
    features_of,
    field_rows,
    to_arrow_table,
)


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class Row(BaseModel):
    name: str
    colour: Colour
    maybe: Colour | None
    tags: list[Colour]
    words: list[str]
    score: Float32 | None
    at: UtcTimestamp
    day: UtcDate
    count: int


def test_every_annotation_maps_to_its_feature() -> None:
    colour = ClassLabel(names=["red", "blue"])
    assert features_of(Row) == Features(
        {
            "name": Value("string"),
            "colour": colour,
            "maybe": colour,
            "tags": List(colour),
            "words": List(Value("string")),
            "score": Value("float32"),
            "at": Value("timestamp[s, tz=UTC]"),
            "day": Value("date32"),
            "count": Value("int64"),
        }
    )


def test_arrow_table_stores_labels_as_integers_and_nulls_as_nulls() -> None:
    when = dt.datetime(2025, 10, 25, 3, 19, tzinfo=dt.UTC)
    rows = [
        Row(
            name="a",
            colour="blue",
            maybe=None,
            tags=["blue", "red"],
            words=["x"],
            score=0.5,
            at=when,
            day=when.date(),
            count=1,
        )
    ]
    table = to_arrow_table(rows, Row)
    assert table.schema == features_of(Row).arrow_schema
    assert table.to_pylist() == [
        {
            "name": "a",
            "colour": 1,
            "maybe": None,
            "tags": [1, 0],
            "words": ["x"],
            "score": 0.5,
            "at": when,
            "day": when.date(),
            "count": 1,
        }
    ]
    assert table.schema.field("at").type == pa.timestamp("s", tz="UTC")


def test_unstorable_annotations_are_refused() -> None:
    class Bad(BaseModel):
        either: int | str

    with pytest.raises(TypeError, match="unions"):
        features_of(Bad)


def test_field_rows_describe_types_for_the_card() -> None:
    rows = dict((name, kind) for name, kind, _ in field_rows(Row))
    assert rows["maybe"] == "ClassLabel (red, blue), nullable"
    assert rows["tags"] == "List of ClassLabel (red, blue)"
    assert rows["score"] == "float32, nullable"
