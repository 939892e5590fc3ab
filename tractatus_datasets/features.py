"""Derive `datasets.Features` and Arrow tables from a config's pydantic model.

The pydantic model of a config is the single source of truth. Its annotations say everything:

* a `StrEnum` field becomes a `ClassLabel` whose names are the enum values, in declaration order
  (so new labels must be appended, never inserted, to keep the integers stable across releases);
* `list[X]` becomes `List(X)`;
* `Annotated[..., ArrowType("float32")]` pins an Arrow type where Python's own is too vague;
* `X | None` marks a nullable column.

>>> from pydantic import create_model
>>> from tractatus_datasets.anonymise import Granularity
>>> Row = create_model("Row", granularity=Granularity, tags=list[str])
>>> features_of(Row)
{'granularity': ClassLabel(names=['second', 'minute', 'hour', 'day']), 'tags': List(Value('string'))}
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import pyarrow as pa
from datasets import ClassLabel, Features, List, Value
from pydantic import AwareDatetime, BaseModel
from pydantic.fields import FieldInfo

__all__ = [
    "ArrowType",
    "Float32",
    "LocalDate",
    "UtcDate",
    "UtcTimestamp",
    "describe_type",
    "features_of",
    "field_rows",
    "is_nullable",
    "label_order",
    "rows_from_table",
    "to_arrow_table",
]


@dataclass(frozen=True)
class ArrowType:
    """Annotation metadata that pins the `datasets.Value` dtype of a field."""

    dtype: str


def label_order(member: StrEnum) -> int:
    """The member's ClassLabel integer: its position in its enum (sort by this, not by name)."""
    return list(type(member)).index(member)


Float32 = Annotated[float, ArrowType("float32")]
UtcTimestamp = Annotated[AwareDatetime, ArrowType("timestamp[s, tz=UTC]")]
UtcDate = Annotated[dt.date, ArrowType("date32")]
LocalDate = Annotated[dt.date, ArrowType("date32")]  # a calendar date as the sources give it, no time zone

Model = typing.TypeVar("Model", bound=BaseModel)

_PLAIN_VALUES: dict[Any, str] = {str: "string", int: "int64", float: "float64", bool: "bool"}


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0], True
        raise TypeError(f"unions other than X | None cannot be stored: {annotation!r}")
    return annotation, False


def _feature(annotation: Any, metadata: Sequence[Any] = ()) -> Any:
    annotation, _ = _strip_optional(annotation)
    pinned = [m for m in metadata if isinstance(m, ArrowType)]
    if typing.get_origin(annotation) is Annotated:
        inner, *extra = typing.get_args(annotation)
        return _feature(inner, [*metadata, *extra])
    if pinned:
        return Value(pinned[0].dtype)
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return ClassLabel(names=[member.value for member in annotation])
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        return List(_feature(item))
    if annotation in _PLAIN_VALUES:
        return Value(_PLAIN_VALUES[annotation])
    raise TypeError(f"no datasets feature for {annotation!r}; annotate it with ArrowType")


def features_of(model: type[BaseModel]) -> Features:
    """The `datasets.Features` of a config, derived from its row model."""
    return Features(
        {name: _feature(field.annotation, field.metadata) for name, field in model.model_fields.items()}
    )


def describe_type(feature: Any, nullable: bool = False) -> str:
    """A short human-readable type, as shown in the dataset card's field table."""
    if isinstance(feature, ClassLabel):
        text = f"ClassLabel ({', '.join(feature.names)})"
    elif isinstance(feature, List):
        text = f"List of {describe_type(feature.feature)}"
    else:
        text = str(feature.dtype)
    return f"{text}, nullable" if nullable else text


def is_nullable(field: FieldInfo) -> bool:
    """Whether the column may hold nulls (`X | None`)."""
    return _strip_optional(field.annotation)[1]


def field_rows(model: type[BaseModel]) -> list[tuple[str, str, str]]:
    """(column, type, description) for every column, in schema order."""
    features = features_of(model)
    return [
        (name, describe_type(features[name], is_nullable(field)), field.description or "")
        for name, field in model.model_fields.items()
    ]


def _encoder(feature: Any) -> Callable[[Any], Any] | None:
    """How one Python value becomes Arrow storage; None when pyarrow takes it as is."""
    if isinstance(feature, ClassLabel):
        index = {name: position for position, name in enumerate(feature.names)}
        return lambda value: None if value is None else index[str(value)]
    if isinstance(feature, List):
        inner = _encoder(feature.feature)
        if inner is not None:
            return lambda values: [inner(value) for value in values]
    return None


def to_arrow_table(rows: Iterable[BaseModel], model: type[BaseModel]) -> pa.Table:
    """Build an Arrow table column by column, with the features in the schema metadata."""
    features = features_of(model)
    schema = features.arrow_schema
    rows = list(rows)
    arrays = []
    for name in model.model_fields:
        values = [getattr(row, name) for row in rows]
        encode = _encoder(features[name])
        if encode is not None:
            values = [encode(value) for value in values]
        arrays.append(pa.array(values, type=schema.field(name).type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _decoder(feature: Any) -> Callable[[Any], Any] | None:
    """The inverse of `_encoder`: Arrow storage back to the values the model validates."""
    if isinstance(feature, ClassLabel):
        names = feature.names
        return lambda value: None if value is None else names[value]
    if isinstance(feature, List):
        inner = _decoder(feature.feature)
        if inner is not None:
            return lambda values: [inner(value) for value in values]
    return None


def rows_from_table(table: pa.Table, model: type[Model]) -> list[Model]:
    """The rows of a table that `to_arrow_table` built, validated again by the model.

    >>> from pydantic import create_model
    >>> from tractatus_datasets.anonymise import Granularity
    >>> Row = create_model("Row", granularity=Granularity, tags=list[str])
    >>> rows = [Row(granularity="hour", tags=["a"])]
    >>> rows_from_table(to_arrow_table(rows, Row), Row) == rows
    True
    """
    features = features_of(model)
    columns = {}
    for name in model.model_fields:
        values = table.column(name).to_pylist()
        decode = _decoder(features[name])
        columns[name] = values if decode is None else [decode(value) for value in values]
    return [
        model.model_validate(dict(zip(columns, values, strict=True)))
        for values in zip(*columns.values(), strict=True)
    ]
