"""The leak gate: re-scan every file of a written release before it may be published.

Every Parquet cell (list items, struct fields, map keys and values, dictionary and byte values
included, and the schema's metadata, field names and field metadata) and every text file is checked with the
detectors, for the exact raw identifiers seen in the source, and for unkeyed hashes of
those identifiers. Pseudonym columns must hold nothing but pseudonyms. A finding names the file,
the column (or JSON path) and row (or line), and the detector — never the value. A column of a
type the gate cannot read as text is itself a finding (`unscannable_column`), never a pass.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tractatus_datasets.detectors import DETECTORS
from tractatus_datasets.errors import Problem
from tractatus_datasets.scrub import detect

__all__ = ["MIN_IDENTIFIER_LENGTH", "Finding", "GateResult", "Identifiers", "release_files", "scan_release"]

MIN_IDENTIFIER_LENGTH = 6  # shorter ids ("s-1") would match ordinary words; they are not searched
_PSEUDONYM = re.compile(r"^[0-9a-f]{32}$")
_HEX_TOKEN = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{16,64}(?![0-9a-fA-F])")
_DIGEST = re.compile(r"sha256:[0-9a-f]{16,64}")
_DIGEST_KEYS = frozenset({"sha256", "digest", "schema_hash", "fingerprint"})
_TEXT_SUFFIXES = frozenset(
    {".md", ".json", ".jsonl", ".cff", ".txt", ".yaml", ".yml", ".csv", ".bib", ".gitattributes"}
)
_SKIPPED_DIRS = frozenset({".git", ".cache"})


# Identifiers are kept as 64-bit fingerprints, not as text: a source has one per record, and the
# gate must not hold millions of strings. A fingerprint is a polynomial hash of the code points
# (mod 2**64), so every window of a text can be fingerprinted at once with numpy; two equal strings
# always agree, so nothing is missed, and a chance collision can only stop a release, never pass one.
_BASE = 0x100000001B3
_INVERSE = pow(_BASE, -1, 1 << 64)
_MASK = (1 << 64) - 1
_DIGEST_LENGTHS = frozenset({16, 32, 40, 64})  # whole md5, sha1, sha256, and their 16/32 prefixes


def _fingerprint(value: str) -> int:
    total = 0
    for char in value:
        total = (total * _BASE + ord(char)) & _MASK
    return total


def _fingerprints(values: list[str]) -> np.ndarray:
    """`_fingerprint` of each of `values` (none empty), all at once."""
    if not values:
        return np.empty(0, dtype=np.uint64)
    text = "".join(values).encode("utf-32-le", "surrogatepass")  # a lone surrogate is its code point
    codes = np.frombuffer(text, dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    ends = np.cumsum(lengths)
    from_end = np.repeat(ends, lengths) - 1 - np.arange(len(codes))  # each code's power of the base
    terms = codes * _powers(_BASE, int(lengths.max()))[from_end]
    prints: np.ndarray = np.add.reduceat(terms, ends - lengths, dtype=np.uint64)
    return prints


_HASHES = ("md5", "sha1", "sha256")


@functools.cache
def _hasher() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(config={"threads": 1})


def _digest_prefixes(values: list[str]) -> np.ndarray:
    """The first 64 bits of the md5, sha1 and sha256 digests of each of `values`' UTF-8, each
    value's three in a row. By DuckDB, on all the values at once: twice as fast as `hashlib`
    value by value, and a source has several identifiers a record."""
    if not values:
        return np.empty(0, dtype=np.uint64)
    heads = ", ".join(f"('0x' || {name}(value)[1:16])::UBIGINT AS {name}" for name in _HASHES)
    con = _hasher().cursor()  # a cursor of its own: safe in a thread of a Dask worker too
    try:
        con.register("identifiers", pa.table({"value": pa.array(values, pa.string())}))
        found = con.execute(f"SELECT {heads} FROM identifiers").fetchnumpy()  # noqa: S608
    finally:
        con.close()
    prefixes: np.ndarray = np.stack([found[name] for name in _HASHES], axis=1).astype(np.uint64)
    return prefixes.reshape(-1)


def _powers(base: int, count: int) -> np.ndarray:
    """base**0 … base**(count - 1), wrapping mod 2**64."""
    factors = np.full(count, base, dtype=np.uint64)
    factors[0] = 1
    powers: np.ndarray = np.cumprod(factors, dtype=np.uint64)
    return powers


def _windows(text: str, lengths: np.ndarray) -> np.ndarray:
    """The fingerprint of every substring of `text` whose length is in `lengths`."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    count = len(codes)
    powers, inverse = _powers(_BASE, count + 1), _powers(_INVERSE, count + 1)
    sums = np.zeros(count + 1, dtype=np.uint64)
    np.cumsum(codes * inverse[:count], dtype=np.uint64, out=sums[1:])
    found = [(sums[size:] - sums[:-size]) * powers[size - 1 : count] for size in lengths if size <= count]
    return np.concatenate(found) if found else np.empty(0, dtype=np.uint64)


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    # Looked up in sorted order, the searches walk the set forwards: about 3x faster on a large set.
    order = np.argsort(values)
    ordered = values[order]
    places = np.minimum(np.searchsorted(sorted_set, ordered), len(sorted_set) - 1)
    found = np.empty(len(values), dtype=bool)
    found[order] = sorted_set[places] == ordered
    return found


_HEX_ONLY = "^[0-9a-fA-F]+$"
_NIBBLES = np.zeros(256, dtype=np.uint64)
for _digit in "0123456789abcdefABCDEF":
    _NIBBLES[ord(_digit)] = int(_digit, 16)


def _hex_prefixes(tokens: pa.Array) -> np.ndarray:
    """The first 16 hex digits of each token (all at least 16 long) as 64-bit integers."""
    heads = pc.utf8_slice_codeunits(tokens, 0, 16).cast(pa.binary())
    offsets = np.frombuffer(heads.buffers()[1], dtype=np.int32)[heads.offset : heads.offset + len(heads) + 1]
    data = np.frombuffer(heads.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    digits = _NIBBLES[data.reshape(len(heads), 16)]
    shifts = np.arange(60, -4, -4, dtype=np.uint64)
    prefixes: np.ndarray = np.bitwise_or.reduce(digits << shifts, axis=1)
    return prefixes


_NONE = np.empty(0, dtype=np.uint64)


def _sorted_union(arrays: list[np.ndarray]) -> np.ndarray:
    """The distinct values of `arrays`, sorted; sorted in place, so that at most about twice
    their size is ever held (`np.unique` would hold four times as much)."""
    joined = np.concatenate(arrays)
    arrays.clear()  # the caller's arrays stay alive only if the caller holds them
    joined.sort()
    if len(joined) < 2:
        return joined
    first = np.empty(len(joined), dtype=bool)
    first[0] = True
    np.not_equal(joined[1:], joined[:-1], out=first[1:])
    distinct: np.ndarray = joined[first]
    return distinct


def _mapped(path: Path | str) -> np.ndarray:
    """A `.npy` file's array, mapped into memory read-only: its pages are read when searched."""
    array: np.ndarray = np.load(path, mmap_mode="r")
    return array


def _remapped(array: np.ndarray) -> np.ndarray:
    return _mapped(array.filename) if isinstance(array, np.memmap) and array.filename else array


class Identifiers:
    """The raw identifiers of a source (session ids, user ids, IPs…) and their unkeyed hashes, as
    fingerprints. Workers fill one each; `update` merges them.

    >>> import hashlib
    >>> ids = Identifiers(["2025-10-07-001", "203.0.113.7", "s-1"])
    >>> [ids.in_text(t) for t in ("session 2025-10-07-001 ended", "from 203.0.113.70", "s-1", "")]
    [True, True, False, False]
    >>> ids.count, ids.is_unkeyed_hash(hashlib.sha1(b"203.0.113.7").hexdigest()[:32].upper())
    (2, True)
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._new: set[str] = set()  # added since the last `freeze`: repeats cost nothing
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []  # from `update`, not yet folded in
        self._prints = self._digests = _NONE
        self._lengths: set[int] = set()
        for value in values:
            self.add(value)

    def add(self, value: str) -> None:
        value = value.strip()
        if len(value) >= MIN_IDENTIFIER_LENGTH:
            self._new.add(value)

    def add_all(self, values: Iterable[str]) -> None:
        """`add` each of `values`."""
        for value in values:
            self.add(value)

    def freeze(self) -> Identifiers:
        """Fold what was added into the sorted fingerprints (small to pickle, quick to search)."""
        if self._new:
            new = list(self._new)
            self._new = set()
            self._lengths.update(map(len, new))
            self._pending.append((_fingerprints(new), _digest_prefixes(new)))
        if self._pending:
            prints = [self._prints, *(p for p, _ in self._pending)]
            digests = [self._digests, *(d for _, d in self._pending)]
            # Only the lists hold the arrays now, so each is freed once it has been joined.
            self._pending = []
            self._prints = self._digests = _NONE
            self._prints = _sorted_union(prints)
            self._digests = _sorted_union(digests)
        return self

    def keep_on_disk(self, folder: Path) -> Identifiers:
        """Fold everything in, then keep the fingerprints in files under `folder`, mapped into
        memory and read only when searched: at 32 bytes an identifier, a large source's need not
        stay resident through the stages that do not search them."""
        self.freeze()
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "prints.npy", self._prints)
        np.save(folder / "digests.npy", self._digests)
        self._prints, self._digests = _mapped(folder / "prints.npy"), _mapped(folder / "digests.npy")
        return self

    def drop_pages(self) -> None:
        """Map the files `keep_on_disk` wrote afresh: the pages a search read stop counting in
        this process's memory (they stay in the system's page cache). Arrays that are not in
        files are left as they are."""
        self.freeze()
        self._prints, self._digests = _remapped(self._prints), _remapped(self._digests)

    def update(self, other: Identifiers) -> None:
        """Add another's identifiers. They are folded in once as many are waiting as are already
        folded, so that a source's millions of identifiers never wait as thousands of arrays, nor
        are re-sorted for every part."""
        other.freeze()
        self._pending.append((other._prints, other._digests))
        self._lengths |= other._lengths
        if sum(len(prints) for prints, _ in self._pending) >= max(len(self._prints), 1 << 16):
            self.freeze()

    @property
    def count(self) -> int:
        return len(self.freeze()._prints)

    def in_text(self, text: str) -> bool:
        """Whether any identifier occurs anywhere in `text`."""
        self.freeze()
        if not self._lengths or len(text) < min(self._lengths):
            return False
        lengths = np.array(sorted(self._lengths), dtype=np.int64)
        return bool(_member(_windows(text, lengths), self._prints).any())

    def is_unkeyed_hash(self, token: str) -> bool:
        """Whether a hex token is an md5, sha1 or sha256 digest of an identifier, whole or cut to
        16 or 32 digits (by its first 64 bits)."""
        return bool(self.unkeyed_hashes([token])[0])

    def unkeyed_hashes(self, tokens: Sequence[str] | pa.Array) -> np.ndarray:
        """`is_unkeyed_hash` of many tokens at once (Python strings, or an Arrow string array
        without nulls), with Arrow and numpy."""
        self.freeze()
        tokens = pa.array(tokens, pa.string()) if not isinstance(tokens, pa.Array) else tokens
        lengths = pc.utf8_length(tokens)
        shaped = pc.and_(
            pc.is_in(lengths, pa.array(sorted(_DIGEST_LENGTHS), lengths.type)),
            pc.match_substring_regex(tokens, _HEX_ONLY),
        ).to_numpy(zero_copy_only=False)
        found = np.zeros(len(tokens), dtype=bool)
        if shaped.any():
            found[shaped] = _member(_hex_prefixes(tokens.filter(pa.array(shaped))), self._digests)
        return found


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
