"""The leak gate: re-scan every file of a written release before it may be published.

Every Parquet cell (list items included, and the schema metadata) and every text file is checked
with the detectors, for the exact raw identifiers seen in the source, and for unkeyed hashes of
those identifiers. Pseudonym columns must hold nothing but pseudonyms. A finding names the file,
the column (or JSON path) and row (or line), and the detector — never the value.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tractatus_datasets.detectors import DETECTORS
from tractatus_datasets.errors import Problem
from tractatus_datasets.scrub import detect

__all__ = ["MIN_IDENTIFIER_LENGTH", "Finding", "GateResult", "Identifiers", "scan_release"]

MIN_IDENTIFIER_LENGTH = 6  # shorter ids ("s-1") would match ordinary words; they are not searched
_PSEUDONYM = re.compile(r"^[0-9a-f]{32}$")
_HEX_TOKEN = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{16,64}(?![0-9a-fA-F])")
_DIGEST = re.compile(r"sha256:[0-9a-f]{16,64}")
_DIGEST_KEYS = frozenset({"sha256", "digest", "schema_hash", "fingerprint"})
_TEXT_SUFFIXES = frozenset(
    {".md", ".json", ".jsonl", ".cff", ".txt", ".yaml", ".yml", ".csv", ".bib", ".gitattributes"}
)
_SKIPPED_DIRS = frozenset({".git", ".cache"})


class Identifiers:
    """The raw identifiers of a source (session ids, user ids, IPs…) and their unkeyed hashes.

    >>> ids = Identifiers(["2025-10-07-001", "203.0.113.7", "s-1"])
    >>> [ids.in_text(t) for t in ("session 2025-10-07-001 ended", "from 203.0.113.70", "s-1", "")]
    [True, True, False, False]
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        self.searched: set[str] = set()
        # By their first MIN_IDENTIFIER_LENGTH characters: a text is searched once, position by
        # position, however many identifiers there are (a source has one per session and record).
        self._by_prefix: dict[str, list[str]] = {}
        for value in values:
            self.add(value)

    def add(self, value: str) -> None:
        value = value.strip()
        if len(value) >= MIN_IDENTIFIER_LENGTH and value not in self.searched:
            self.searched.add(value)
            self._by_prefix.setdefault(value[:MIN_IDENTIFIER_LENGTH], []).append(value)

    def hashes(self) -> set[str]:
        """Unkeyed digests of every identifier, whole and truncated: none may appear in a release."""
        out = set()
        for value in self.searched:
            for name in ("md5", "sha1", "sha256"):
                digest = hashlib.new(name, value.encode()).hexdigest()
                out.update({digest, digest[:32], digest[:16]})
        return out

    def in_text(self, text: str) -> bool:
        """Whether any identifier occurs anywhere in `text`."""
        by_prefix, width = self._by_prefix, MIN_IDENTIFIER_LENGTH
        for start in range(len(text) - width + 1):
            candidates = by_prefix.get(text[start : start + width])
            if candidates and any(text.startswith(value, start) for value in candidates):
                return True
        return False


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
        self.hashes = identifiers.hashes()
        self.pseudonym_columns = pseudonym_columns

    def value(self, text: str, pseudonym: bool) -> list[str]:
        """Detector names that fire on one value."""
        if pseudonym:
            return [] if _PSEUDONYM.match(text) and text not in self.hashes else ["not_a_pseudonym"]
        found = detect(_DIGEST.sub("sha256:<digest>", text))
        if self.identifiers.in_text(text):
            found.append("raw_identifier")
        if any(token.lower() in self.hashes for token in _HEX_TOKEN.findall(text)):
            found.append("unkeyed_hash")
        return found


def _strings(column: pa.ChunkedArray) -> tuple[pa.Array, pa.Array] | None:
    """A column's string values at any list depth, with the row each came from."""
    array = column.combine_chunks()
    rows = pa.array(range(len(array)), type=pa.int64())
    while pa.types.is_list(array.type) or pa.types.is_large_list(array.type):
        rows = rows.take(pc.list_parent_indices(array))
        array = pc.list_flatten(array)
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return None
    valid = pc.is_valid(array)
    return array.filter(valid), rows.filter(valid)


def _scan_parquet(path: Path, name: str, scanner: _Scanner, result: GateResult) -> None:
    table = pq.read_table(path)
    metadata = json.dumps({k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()})
    for detector in scanner.value(metadata + " " + " ".join(table.column_names), pseudonym=False):
        result.findings.append(Finding(name, "<schema>", None, detector))
    for column_name in table.column_names:
        found = _strings(table.column(column_name))
        if found is None:
            continue
        values, rows = found
        result.cells += len(values)
        pseudonym = column_name in scanner.pseudonym_columns
        hits: dict[str, list[int]] = {}
        for value in pc.unique(values).to_pylist():
            for detector in scanner.value(value, pseudonym):
                positions = pc.indices_nonzero(pc.equal(values, value)).to_pylist()
                hits.setdefault(detector, []).extend(positions)
        for detector, positions in sorted(hits.items()):
            first_row = min(rows[i].as_py() for i in positions)
            result.findings.append(Finding(name, column_name, first_row, detector, len(positions)))


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
                for detector in scanner.value(value, pseudonym=False):
                    result.findings.append(Finding(name, path, None, detector))
        except ValueError:
            result.findings.append(Finding(name, None, None, "invalid_json"))
        return
    for number, line in enumerate(text.splitlines(), start=1):
        for detector in scanner.value(line, pseudonym=False):
            hits.setdefault(detector, []).append(number)
    for detector, lines in sorted(hits.items()):
        result.findings.append(Finding(name, None, lines[0], detector, len(lines)))


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not _SKIPPED_DIRS.intersection(path.relative_to(root).parts):
            yield path


def scan_release(
    root: Path,
    identifiers: Identifiers | None = None,
    pseudonym_columns: frozenset[str] = frozenset(),
    part: Literal["all", "data", "text"] = "all",
) -> GateResult:
    """Scan every file under `root`, or only its Parquet data, or only its other files; see the
    module docstring."""
    identifiers = identifiers or Identifiers()
    scanner = _Scanner(identifiers, pseudonym_columns)
    result = GateResult(identifiers=len(identifiers.searched))
    for path in _files(root):
        if part != "all" and (path.suffix == ".parquet") != (part == "data"):
            continue
        name = path.relative_to(root).as_posix()
        result.files += 1
        if path.suffix == ".parquet":
            try:
                _scan_parquet(path, name, scanner, result)
            except (OSError, pa.ArrowException):
                result.findings.append(Finding(name, None, None, "unreadable_parquet"))
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
