"""The leak gate: re-scan every file of a written release before it may be published.

Every Parquet cell (list items, struct fields, map keys and values, dictionary and byte values
included, and the schema's metadata, field names and field metadata) and every text file is checked with the
detectors, for the exact raw identifiers seen in the source, and for unkeyed hashes of
those identifiers. Pseudonym columns must hold nothing but pseudonyms. A finding names the file,
the column (or JSON path) and row (or line), and the detector — never the value. A column of a
type the gate cannot read as text is itself a finding (`unscannable_column`), never a pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tractatus_datasets.detectors import DETECTORS
from tractatus_datasets.errors import Problem
from tractatus_datasets.identifiers import Identifiers
from tractatus_datasets.scrub import detect

__all__ = ["Finding", "GateResult", "release_files", "scan_release"]

_PSEUDONYM = re.compile(r"^[0-9a-f]{32}$")
_HEX_TOKEN = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{16,64}(?![0-9a-fA-F])")
_DIGEST = re.compile(r"sha256:[0-9a-f]{16,64}")
_DIGEST_KEYS = frozenset({"sha256", "digest", "schema_hash", "fingerprint"})
_TEXT_SUFFIXES = frozenset(
    {".md", ".json", ".jsonl", ".cff", ".txt", ".yaml", ".yml", ".csv", ".bib", ".gitattributes"}
)
_SKIPPED_DIRS = frozenset({".git", ".cache"})


@dataclass(frozen=True)
class Finding:
    file: str
    column: str | None
    location: int | None  # first row (Parquet, 0-based) or line (text, 1-based)
    detector: str
    count: int = 1

    def problem(self) -> Problem:
        cells = "cell" if self.column and not self.column.startswith("$") else "place"
        return Problem(self.file, self.location, self.column, f"{self.detector} ({self.count} {cells}(s))")


@dataclass
class GateResult:
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    cells: int = 0
    identifiers: int = 0

    def summary(self) -> dict[str, int]:
        return {
            "files": self.files,
            "cells": self.cells,
            "detectors": len(DETECTORS),
            "identifiers": self.identifiers,
            "findings": sum(f.count for f in self.findings),
        }


class _Scanner:
    def __init__(self, identifiers: Identifiers, pseudonym_columns: frozenset[str]) -> None:
        self.identifiers = identifiers
        self.pseudonym_columns = pseudonym_columns

    def value(self, text: str) -> list[str]:
        """Detector names that fire on one value."""
        found = detect(_DIGEST.sub("sha256:<digest>", text))
        if self.identifiers.in_text(text):
            found.append("raw_identifier")
        tokens = [token.lower() for token in _HEX_TOKEN.findall(text)]
        if tokens and self.identifiers.unkeyed_hashes(tokens).any():
            found.append("unkeyed_hash")
        return found

    def pseudonyms(self, values: pa.Array) -> np.ndarray:
        """Which values of a pseudonym column (no nulls) are not pseudonyms, or are unkeyed hashes."""
        shaped = pc.match_substring_regex(values, _PSEUDONYM.pattern).to_numpy(zero_copy_only=False)
        wrong: np.ndarray = ~shaped | self.identifiers.unkeyed_hashes(values)
        return wrong


_TEXT_FREE = (
    pa.types.is_null,
    pa.types.is_boolean,
    pa.types.is_integer,
    pa.types.is_floating,
    pa.types.is_decimal,
    pa.types.is_temporal,
)
_LISTS = (
    pa.types.is_list,
    pa.types.is_large_list,
    pa.types.is_fixed_size_list,
    pa.types.is_list_view,
    pa.types.is_large_list_view,
)
_TEXTS = (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view)
_BYTES = (
    pa.types.is_binary,
    pa.types.is_large_binary,
    pa.types.is_fixed_size_binary,
    pa.types.is_binary_view,
)


def _is(kind: pa.DataType, tests: tuple[Callable[[pa.DataType], bool], ...]) -> bool:
    return any(test(kind) for test in tests)


def _stored(kind: pa.DataType) -> pa.DataType:
    """The type of the values as stored: an extension type's storage, a dictionary's values."""
    while isinstance(kind, pa.ExtensionType) or pa.types.is_dictionary(kind):
        kind = kind.storage_type if isinstance(kind, pa.ExtensionType) else kind.value_type
    return kind


def _nested(kind: pa.DataType) -> list[pa.Field] | None:
    """The fields nested in a stored container type (struct, map, list); None for any other type."""
    if pa.types.is_struct(kind):
        return list(kind)
    if pa.types.is_map(kind):
        return [kind.key_field, kind.item_field]
    if _is(kind, _LISTS):
        return [kind.value_field]
    return None


def _may_hold_text(kind: pa.DataType) -> bool:
    """False only for a type that cannot hold a character: numbers, booleans, times, nulls, and
    containers of nothing else."""
    kind = _stored(kind)
    nested = _nested(kind)
    if nested is not None:
        return any(_may_hold_text(field_.type) for field_ in nested)
    return not _is(kind, _TEXT_FREE)


@dataclass(frozen=True)
class _Text:
    """The text a column holds at one place in its type (`column`, `column.field`, `column.key`…):
    its values, and how to find the row each came from (only needed when a value is flagged, which
    is rare). `values` is None for a type the gate cannot read as text."""

    column: str
    values: pa.Array | None
    lists: tuple[pa.Array, ...] = ()  # the list levels above the values, outermost first
    valid: pa.Array | None = None

    def rows(self, count: int) -> pa.Array:
        rows = pa.array(np.arange(count, dtype=np.int64))
        for level in self.lists:
            rows = rows.take(pc.list_parent_indices(level))
        return rows.filter(self.valid)


def _texts(column: str, array: pa.Array, lists: tuple[pa.Array, ...] = ()) -> Iterator[_Text]:
    """Every place in `array` that holds text, at any depth of lists, structs, maps and
    dictionaries; bytes are read as UTF-8, an invalid sequence as U+FFFD."""
    kind = array.type
    if not _may_hold_text(kind):
        return
    if isinstance(kind, pa.ExtensionType):
        yield from _texts(column, array.storage, lists)
    elif pa.types.is_dictionary(kind):
        yield from _texts(column, array.dictionary_decode(), lists)
    elif pa.types.is_struct(kind):
        for field_, child in zip(kind, array.flatten(), strict=True):  # parents' nulls included
            yield from _texts(f"{column}.{field_.name}", child, lists)
    elif pa.types.is_map(kind):
        entries = pa.list_(pa.field("entries", pa.struct([kind.key_field, kind.item_field])))
        yield from _texts(column, array.cast(entries), lists)
    elif _is(kind, _LISTS):
        yield from _texts(column, pc.list_flatten(array), (*lists, array))
    elif _is(kind, _BYTES):
        decoded = [None if value is None else value.decode("utf-8", "replace") for value in array.to_pylist()]
        yield from _texts(column, pa.array(decoded, pa.large_string()), lists)
    elif _is(kind, _TEXTS):
        if pa.types.is_string_view(kind):
            array = array.cast(pa.large_string())
        valid = pc.is_valid(array)
        yield _Text(column, array.filter(valid), lists, valid)
    else:
        yield _Text(column, None)


def _labels(field_: pa.Field) -> Iterator[str]:
    """The text a field's schema holds: its name and metadata, and those of the fields nested in it."""
    yield field_.name
    for key, value in (field_.metadata or {}).items():
        yield key.decode("utf-8", "replace")
        yield value.decode("utf-8", "replace")
    for inner in _nested(_stored(field_.type)) or []:
        yield from _labels(inner)


def _scan_parquet(path: Path, name: str, scanner: _Scanner, result: GateResult) -> None:
    """Scan a shard one row group at a time, so that memory follows the row group, not the shard."""
    shard = pq.ParquetFile(path)
    schema = shard.schema_arrow
    metadata = json.dumps({k.decode(): v.decode() for k, v in (schema.metadata or {}).items()})
    labels = [label for field_ in schema for label in _labels(field_)]
    for detector in scanner.value(metadata + " " + " ".join(labels)):
        result.findings.append(Finding(name, "<schema>", None, detector))
    hits: dict[str, dict[str, tuple[int | None, int]]] = {}  # column → detector → (first row, cells)
    detected: dict[str, list[str]] = {}  # a value's detectors, for the values every row group repeats
    first_row = 0
    # Only columns that can hold text are read.
    columns = [column.name for column in schema if _may_hold_text(column.type)]
    for group in range(shard.num_row_groups):
        table = shard.read_row_group(group, columns=columns)
        for column_name in columns:
            for text in _texts(column_name, table.column(column_name).combine_chunks()):
                found = hits.setdefault(text.column, {})
                if text.values is None:
                    _merge(found, "unscannable_column", None, table.num_rows)
                    continue
                _scan_values(text, text.values, table.num_rows, first_row, scanner, detected, found)
                result.cells += len(text.values)
        first_row += shard.metadata.row_group(group).num_rows
    for column_name, found_here in hits.items():
        for detector, (first, count) in sorted(found_here.items()):
            result.findings.append(Finding(name, column_name, first, detector, count))


def _scan_values(
    text: _Text,
    values: pa.Array,
    count: int,
    first_row: int,
    scanner: _Scanner,
    detected: dict[str, list[str]],
    found: dict[str, tuple[int | None, int]],
) -> None:
    """Add to `found` each detector that fires on some of `values`, one row group's `text`
    (`count` rows, the first of them `first_row`)."""
    unique = pc.unique(values)
    flagged: list[tuple[str, pa.Array]] = []  # (detector, which cells)
    if text.column in scanner.pseudonym_columns:
        bad = unique.filter(pa.array(scanner.pseudonyms(unique)))
        if len(bad):
            flagged.append(("not_a_pseudonym", pc.is_in(values, bad)))
    else:
        for value in unique.to_pylist():
            if value not in detected:
                detected[value] = scanner.value(value)
            flagged += [(detector, pc.equal(values, value)) for detector in detected[value]]
    if flagged:
        rows = text.rows(count)
        for detector, cells in flagged:
            first = pc.min(rows.filter(cells)).as_py() + first_row
            _merge(found, detector, first, pc.sum(cells).as_py())


def _merge(found: dict[str, tuple[int | None, int]], detector: str, first: int | None, count: int) -> None:
    """Add `count` cells, the first in row `first`, to what `detector` found before."""
    before, counted = found.get(detector, (None, 0))
    if first is None or (before is not None and before < first):
        first = before
    found[detector] = (first, counted + count)


def _json_strings(value: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}", key
            if (
                isinstance(item, str)
                and key in _DIGEST_KEYS
                and re.fullmatch(r"(sha256:)?[0-9a-f]{16,64}", item)
            ):
                continue  # a digest this tool wrote: its format is the check
            yield from _json_strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_strings(item, f"{path}[{index}]")
    elif isinstance(value, str):
        yield path, value


def _scan_text(text: str, name: str, scanner: _Scanner, result: GateResult) -> None:
    hits: dict[str, list[int]] = {}
    if name.endswith(".json"):
        try:
            for path, value in _json_strings(json.loads(text)):
                for detector in scanner.value(value):
                    result.findings.append(Finding(name, path, None, detector))
        except ValueError:
            result.findings.append(Finding(name, None, None, "invalid_json"))
        return
    for number, line in enumerate(text.splitlines(), start=1):
        for detector in scanner.value(line):
            hits.setdefault(detector, []).append(number)
    for detector, lines in sorted(hits.items()):
        result.findings.append(Finding(name, None, lines[0], detector, len(lines)))


def release_files(root: Path) -> Iterator[Path]:
    """The files of the release in `root`, sorted: all but those in a `.git` or `.cache` folder (a
    clone's history, a download's metadata), which are neither scanned nor published."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and not _SKIPPED_DIRS.intersection(path.relative_to(root).parts):
            yield path


def _scan_shard(path: Path, name: str, scanner: _Scanner) -> GateResult:
    """One shard's findings and cells, on its own (shards are scanned side by side)."""
    result = GateResult()
    try:
        _scan_parquet(path, name, scanner, result)
    except (OSError, pa.ArrowException):
        result.findings = [Finding(name, None, None, "unreadable_parquet")]
    return result


# Shards scanned side by side: reading and matching are Arrow's and numpy's, outside the GIL
# (3.1 s to 2.3 s for the 1,000,000-decision benchmark's shards on two cores).
_SHARD_THREADS = 2


def scan_release(
    root: Path,
    identifiers: Identifiers | None = None,
    pseudonym_columns: frozenset[str] = frozenset(),
    part: Literal["all", "data", "text"] = "all",
) -> GateResult:
    """Scan every file under `root`, or only its Parquet data, or only its other files; see the
    module docstring. Findings come in the files' order, whatever order the shards were scanned in."""
    identifiers = identifiers or Identifiers()
    scanner = _Scanner(identifiers, pseudonym_columns)
    result = GateResult(identifiers=identifiers.count)  # `count` folds every identifier in first
    files = [
        path
        for path in release_files(root)
        if part == "all" or (path.suffix == ".parquet") == (part == "data")
    ]
    with ThreadPoolExecutor(_SHARD_THREADS) as pool:
        shards = {
            path: pool.submit(_scan_shard, path, path.relative_to(root).as_posix(), scanner)
            for path in files
            if path.suffix == ".parquet"
        }
        for path in files:
            name = path.relative_to(root).as_posix()
            result.files += 1
            if path in shards:
                scanned = shards[path].result()
                result.findings += scanned.findings
                result.cells += scanned.cells
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                result.findings.append(Finding(name, None, None, "unscannable_file"))
                continue
            if path.suffix not in _TEXT_SUFFIXES and path.name not in _TEXT_SUFFIXES:
                result.findings.append(Finding(name, None, None, "unexpected_file"))
            _scan_text(text, name, scanner, result)
    return result
