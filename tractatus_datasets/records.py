"""Read the records of one source file: a `mongoexport` dump or a legacy `decisions-*.jsonl` file.

A dump is parsed with `bson.json_util`, so canonical and relaxed Extended JSON both give the types
a live `pymongo` cursor gives (ObjectId, tz-aware datetime, int, float); the UTC `$date` strings
mongoexport writes take a shortcut that gives the same datetime (`loads`). A line that cannot be
parsed is not an exception: it comes out as a `RawRecord` with a `reason` code and an `error`, so
the pipeline can quarantine it with its file and line and go on. The limits are MongoDB's own: a
document of at most 16 MiB nested at most 100 levels deep; a longer line is never held in memory
whole. A byte-order mark, CRLF line ends and blank lines are accepted.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "auditLogs.json"
>>> _ = path.write_text('{"a": {"$numberInt": "1"}}\\r\\n\\n[1]\\n')
>>> [(r.line, r.doc, r.reason) for r in read_file(SourceFile(path, path.name, "mongoexport"))]
[(1, {'a': 1}, None), (3, None, 'not_an_object')]
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, cast

import msgspec
from bson import ObjectId, json_util
from bson.errors import BSONError
from bson.json_util import JSONOptions

from tractatus_datasets.errors import Problem, ProblemsFound, UsageError

__all__ = [
    "EJSON_OPTIONS",
    "MAX_DEPTH",
    "MAX_RECORD_BYTES",
    "Kind",
    "RawRecord",
    "SourceFile",
    "is_json_array",
    "loads",
    "read_file",
    "read_lines",
]

Kind = Literal["mongoexport", "legacy", "mongodb"]

# The same types a live cursor created with tz_aware=True returns.
EJSON_OPTIONS = JSONOptions(tz_aware=True, tzinfo=dt.UTC)
MAX_RECORD_BYTES = 16 * 1024 * 1024  # MongoDB's largest BSON document
MAX_DEPTH = 100  # MongoDB's deepest nesting of documents and arrays
_RAW_KEPT = 64 * 1024  # of a line over the size limit, the quarantine keeps this much
_TOO_DEEP = ("too_deep", f"nested more than {MAX_DEPTH} levels deep")


def _too_large(size: int, limit: int) -> tuple[str, str]:
    return "too_large", f"{size:,} bytes, over the limit of {limit:,}"


@dataclass(frozen=True)
class RawRecord:
    """One source record, or the reason it could not be read."""

    origin: str  # file name relative to the source, or "mongodb:<db>.<collection>"
    line: int  # 1-based line (or array element) number
    kind: Kind
    doc: dict[str, Any] | None
    raw: str
    error: str | None = None  # what is wrong, for humans
    reason: str | None = None  # what is wrong, as a stable code; set when `doc` is None


@dataclass(frozen=True)
class SourceFile:
    path: Path
    name: str  # relative to the source root; this is what reports and the manifest show
    kind: Kind


def _open(path: Path) -> IO[bytes]:
    try:
        if path.name.endswith(".gz"):
            return cast(IO[bytes], gzip.open(path, "rb"))
        return path.open("rb")
    except OSError as error:
        raise UsageError(
            f"cannot read source file {path}: {error.strerror}; check that it exists and that this user may read it"
        ) from None


def _too_deep(value: Any) -> bool:
    """Whether documents and arrays nest more than `MAX_DEPTH` levels (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > MAX_DEPTH:
                    return True
                stack.append((child, depth + 1))
    return False


def _has_lone_surrogate(value: Any) -> bool:
    """Whether any key or string holds half a UTF-16 pair (`"\\ud800"`), which no UTF-8 file can store."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            stack += item
    return False


# What mongoexport writes for a date: UTC, with milliseconds. `bson` parses it with `strptime`,
# which costs more than the rest of a record's parsing together.
_UTC_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d{1,9})?Z", re.ASCII)  # `\d`: 0-9 only


# A document's `timestamp`, `createdAt` and `updatedAt` are mostly one moment: the last few are kept.
@functools.lru_cache(maxsize=4)
def _utc_date(text: str) -> dt.datetime | None:
    """A mongoexport UTC date as `bson` reads it; None when it is another form, or impossible."""
    if (match := _UTC_DATE.fullmatch(text)) is None:
        return None
    year, month, day, hour, minute, second = map(int, match.groups()[:6])
    fraction = match[7]
    try:  # as `bson` computes it: the fraction through a float, truncated to microseconds
        micro = int(float(fraction) * 1_000_000) if fraction else 0
        return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=dt.UTC)
    except ValueError:
        return None  # an impossible date: let `bson` reject it in its own words


def _object_hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:  # the two wrappers of every AuditLog document, as `bson` reads them
        if type(oid := obj.get("$oid")) is str:
            return ObjectId(oid)
        if isinstance(date := obj.get("$date"), str) and (parsed := _utc_date(date)) is not None:
            return parsed
    return json_util.object_hook(obj, EJSON_OPTIONS)


_DECODER = msgspec.json.Decoder()


def _wrappers(doc: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """Where `doc` holds an Extended JSON wrapper of one string (`{"$oid": "…"}`) as a top-level
    value, or as a value of an item of `violations` (each of an AuditLog's violations has an `_id`),
    as (container, key)."""
    places = []
    for key, value in doc.items():
        if type(value) is dict:
            if _wraps(value):
                places.append((doc, key))
        elif key == "violations" and type(value) is list:
            for item in value:
                if type(item) is dict:
                    places += [
                        (item, name) for name, inner in item.items() if type(inner) is dict and _wraps(inner)
                    ]
    return places


def _converted(places: list[tuple[dict[str, Any], str]]) -> bool:
    """Convert the wrappers at `places` as `bson` would; False when one is invalid, so that json's
    way raises the error, of the wrapper it meets first."""
    try:
        for container, key in places:
            container[key] = _object_hook(container[key])
    except Exception:
        return False
    return True


def _wraps(value: dict[str, Any]) -> bool:
    if len(value) != 1:
        return False
    ((name, inner),) = value.items()
    return name.startswith("$") and type(inner) is str


def loads(text: str) -> Any:
    """`bson.json_util.loads(text, json_options=EJSON_OPTIONS)`, with the shortcut for UTC dates.

    A typical dump line takes a faster way to the same value: `msgspec` parses it, and when its
    only Extended JSON wrappers (every `"$` of the text) are top-level values such as `_id` and
    `timestamp`, or values of a violation such as its `_id`, those are converted as `bson` would.
    Anything else (a wrapper deeper down, a string starting with `$`, a `$` written as `\\u0024`,
    text `msgspec` refuses, an invalid wrapper) is parsed by `json` with the `bson` hook, so both
    ways give equal values and the same errors.

    >>> loads('{"t": {"$date": "2025-10-07T09:30:00.123Z"}, "n": {"$numberLong": "7"}}')
    {'t': datetime.datetime(2025, 10, 7, 9, 30, 0, 123000, tzinfo=datetime.timezone.utc), 'n': 7}
    """
    try:
        value = _DECODER.decode(text)
    except msgspec.DecodeError:
        pass
    else:
        wrappers = text.count('"$')
        if "\\u0024" in text:  # a `$` written as an escape is not counted: take json's way
            pass
        elif not wrappers:
            return value
        elif type(value) is dict:
            places = _wrappers(value)
            if len(places) == wrappers and _converted(places):
                return value
    return json.loads(text, object_hook=_object_hook)


Parsed = tuple[dict[str, Any], None, None] | tuple[None, str, str]


def _parse(text: str) -> Parsed:
    """The document of one line, or (None, reason, error)."""
    try:
        doc = loads(text)
    except json.JSONDecodeError as error:
        return None, "unparseable", f"invalid JSON: {error.msg} at column {error.colno}"
    except RecursionError:
        return None, *_TOO_DEEP
    except (BSONError, ValueError, TypeError, OverflowError, KeyError) as error:
        return None, "invalid_extended_json", f"invalid Extended JSON: {type(error).__name__}: {error}"
    if not isinstance(doc, dict):
        return None, "not_an_object", f"expected a JSON object, found {type(doc).__name__}"
    if problem := _limits_problem(text, doc):
        return None, *problem
    return doc, None, None


def _limits_problem(text: str, doc: dict[str, Any]) -> tuple[str, str] | None:
    """(reason, error) when a parsed document breaks MongoDB's limits. Cheap tests on the text
    guard the costly walks: only a text with many brackets can be too deep, only one with a `\\u`
    escape can hold a surrogate."""
    if text.count("{") + text.count("[") > MAX_DEPTH and _too_deep(doc):
        return _TOO_DEEP
    if "\\u" in text and _has_lone_surrogate(doc):
        return "invalid_unicode", "a string holds an unpaired UTF-16 surrogate escape"
    return None


def _bad(file: SourceFile, number: int, raw: str, reason: str, error: str) -> RawRecord:
    return RawRecord(file.name, number, file.kind, None, raw, error, reason)


def _line_record(file: SourceFile, number: int, data: bytes) -> RawRecord | None:
    """The record of one line (without its line end) of at most the size limit; None when blank."""
    if not data.strip():
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raw = data.decode("utf-8", errors="replace")
        return _bad(file, number, raw, "not_utf8", f"not valid UTF-8 at byte {error.start}")
    doc, reason, problem = _parse(text)
    if doc is None:
        return _bad(file, number, text, reason or "unparseable", problem or "")
    return RawRecord(file.name, number, file.kind, doc, text)


def _lines(
    file: SourceFile, limit: int, start: int = 0, stop: int | None = None, first_line: int = 1
) -> Iterator[RawRecord]:
    """The records of the lines from byte `start` (the beginning of line `first_line`) up to byte
    `stop` (a line's beginning, or None for the end of the file)."""
    number = first_line - 1
    try:
        with _open(file.path) as stream:
            if start:
                stream.seek(start)
            remaining = -1 if stop is None else stop - start
            while remaining and (data := stream.readline(limit + 3)):  # the line end, and one byte over
                remaining -= len(data)
                number += 1
                if number == 1:
                    data = data.removeprefix(b"\xef\xbb\xbf")
                ended = data.endswith(b"\n")
                data = data.rstrip(b"\r\n")
                if len(data) <= limit:
                    if (record := _line_record(file, number, data)) is not None:
                        yield record
                    continue
                size = len(data)
                while not ended and (rest := stream.readline(1 << 20)):  # skip the rest, chunk by chunk
                    remaining -= len(rest)
                    ended = rest.endswith(b"\n")
                    size += len(rest.rstrip(b"\r\n"))
                raw = data[:_RAW_KEPT].decode("utf-8", errors="replace")
                yield _bad(file, number, raw, *_too_large(size, limit))
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise ProblemsFound(
            [Problem(file.name, number + 1, None, f"the compressed file is damaged or cut short: {error}")],
            "a source file cannot be read to its end; its records after the damage would be lost",
        ) from None


def _array(file: SourceFile, limit: int) -> Iterator[RawRecord]:
    with _open(file.path) as stream:
        data = stream.read()
    try:
        items = loads(data.decode("utf-8-sig"))
    except (json.JSONDecodeError, BSONError, ValueError, RecursionError) as error:
        line = getattr(error, "lineno", None)
        raise ProblemsFound(
            [Problem(file.name, line, None, f"not a valid --jsonArray dump: {error}")],
            "the source file cannot be read as a JSON array",
        ) from None
    if not isinstance(items, list):
        raise ProblemsFound([Problem(file.name, 1, None, "expected a JSON array")], "unreadable source")
    for number, item in enumerate(items, start=1):
        raw = json_util.dumps(item)
        size = len(raw.encode("utf-8", errors="replace"))
        if not isinstance(item, dict):
            kind = type(item).__name__
            yield _bad(file, number, raw, "not_an_object", f"expected a JSON object, found {kind}")
        elif size > limit:
            yield _bad(file, number, raw[:_RAW_KEPT], *_too_large(size, limit))
        elif problem := _limits_problem(raw, item):
            yield _bad(file, number, raw, *problem)
        else:
            yield RawRecord(file.name, number, file.kind, item, raw)


def _starts_with_bracket(path: Path) -> bool:
    with _open(path) as stream:
        head = stream.read(4096).removeprefix(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"[")


def is_json_array(file: SourceFile, json_array: bool | None) -> bool:
    """Whether to read `file` as one `--jsonArray` dump; None: when a dump starts with `[`."""
    if json_array is None:
        return file.kind == "mongoexport" and _starts_with_bracket(file.path)
    return json_array


def read_file(
    file: SourceFile, json_array: bool | None = None, limit: int = MAX_RECORD_BYTES
) -> Iterator[RawRecord]:
    """Every record of one file, in order. `json_array` None: a dump starting with `[` is one array."""
    yield from _array(file, limit) if is_json_array(file, json_array) else _lines(file, limit)


def read_lines(
    file: SourceFile, start: int, stop: int | None, first_line: int, limit: int
) -> Iterator[RawRecord]:
    """The records of one stretch of a line-per-record file: from byte `start`, the beginning of
    line `first_line`, up to byte `stop` (None: the end). How a worker reads its partition."""
    yield from _lines(file, limit, start, stop, first_line)
