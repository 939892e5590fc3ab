"""Read source records from files: `mongoexport` dumps and legacy `decisions-*.jsonl` files.

A dump is parsed with `bson.json_util`, so canonical and relaxed Extended JSON both give the types
a live `pymongo` cursor gives (ObjectId, tz-aware datetime, int, float). A line that cannot be
parsed is not an exception: it comes out as a `RawRecord` with `error` set, so the pipeline can
quarantine it with its file and line and go on.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "auditLogs.json").write_text('{"a": {"$numberInt": "1"}}\\nnot json\\n')
>>> [(r.line, r.doc, r.error is not None) for r in read_records(discover(str(folder)))]
[(1, {'a': 1}, False), (2, None, True)]
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, cast

from bson import json_util
from bson.errors import BSONError
from bson.json_util import JSONOptions

from tractatus_datasets.errors import Problem, ProblemsFound, UsageError

__all__ = ["RawRecord", "Source", "SourceFile", "discover", "files_digest", "read_records", "source_digest"]

Kind = Literal["mongoexport", "legacy", "mongodb"]

# The same types a live cursor created with tz_aware=True returns.
EJSON_OPTIONS = JSONOptions(tz_aware=True, tzinfo=dt.UTC)
_LEGACY_PATTERN = "decisions-*.jsonl"
_DUMP_SUFFIXES = (".json", ".json.gz")


@dataclass(frozen=True)
class RawRecord:
    """One source record, or the reason it could not be read."""

    origin: str  # file name relative to the source, or "mongodb:<db>.<collection>"
    line: int  # 1-based line (or array element) number
    kind: Kind
    doc: dict[str, Any] | None
    raw: str
    error: str | None = None


@dataclass(frozen=True)
class SourceFile:
    path: Path
    name: str  # relative to the source root; this is what reports and the manifest show
    kind: Kind


@dataclass(frozen=True)
class Source:
    """What `--source` named: files (a dump, legacy files, or both), or a live MongoDB URI."""

    files: tuple[SourceFile, ...] = ()
    uri: str | None = None
    collection: str = "auditLogs"
    json_array: bool | None = None  # None: detect from the first byte
    ignored: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        if self.uri is not None:
            return "live MongoDB collection"
        kinds = sorted({file.kind for file in self.files})
        return " + ".join(f"{kind} ({sum(f.kind == kind for f in self.files)} file(s))" for kind in kinds)


def _is_legacy(path: Path) -> bool:
    name = path.name.removesuffix(".gz")
    return Path(name).match(_LEGACY_PATTERN)


def _is_dump(path: Path) -> bool:
    return path.name.endswith(_DUMP_SUFFIXES)


def discover(source: str, collection: str = "auditLogs", json_array: bool | None = None) -> Source:
    """Resolve `--source` into the files to read, in a stable order; exit 2 if there is nothing."""
    if source.startswith(("mongodb://", "mongodb+srv://")):
        return Source(uri=source, collection=collection)
    root = Path(source)
    if not root.exists():
        raise UsageError(
            f"source {source} does not exist: give a mongoexport file, a folder, or a mongodb:// URI"
        )
    if root.is_file():
        kind: Kind = "legacy" if _is_legacy(root) else "mongoexport"
        return Source(files=(SourceFile(root, root.name, kind),), json_array=json_array)
    files, ignored = [], []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        name = path.relative_to(root).as_posix()
        if _is_legacy(path):
            files.append(SourceFile(path, name, "legacy"))
        elif _is_dump(path):
            files.append(SourceFile(path, name, "mongoexport"))
        else:
            ignored.append(name)
    if not files:
        raise UsageError(
            f"source folder {source} holds no mongoexport dump (*.json, *.json.gz) "
            f"and no legacy {_LEGACY_PATTERN} file"
        )
    return Source(files=tuple(files), json_array=json_array, ignored=tuple(ignored))


def _open(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _parse(text: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        doc = json_util.loads(text, json_options=EJSON_OPTIONS)
    except json.JSONDecodeError as error:
        return None, f"invalid JSON: {error.msg} at column {error.colno}"
    except (BSONError, ValueError, TypeError, OverflowError) as error:
        return None, f"invalid Extended JSON: {error}"
    if not isinstance(doc, dict):
        return None, f"expected a JSON object, found {type(doc).__name__}"
    return doc, None


def _lines(file: SourceFile) -> Iterator[RawRecord]:
    with _open(file.path) as stream:
        for number, data in enumerate(stream, start=1):
            if number == 1:
                data = data.removeprefix(b"\xef\xbb\xbf")
            data = data.rstrip(b"\r\n")
            if not data.strip():
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as error:
                raw = data.decode("utf-8", errors="replace")
                yield RawRecord(
                    file.name, number, file.kind, None, raw, f"not valid UTF-8 at byte {error.start}"
                )
                continue
            doc, problem = _parse(text)
            yield RawRecord(file.name, number, file.kind, doc, text, problem)


def _array(file: SourceFile) -> Iterator[RawRecord]:
    with _open(file.path) as stream:
        text = stream.read().decode("utf-8-sig")
    try:
        items = json_util.loads(text, json_options=EJSON_OPTIONS)
    except (json.JSONDecodeError, BSONError, ValueError) as error:
        line = getattr(error, "lineno", None)
        raise ProblemsFound(
            [Problem(file.name, line, None, f"not a valid --jsonArray dump: {error}")],
            "the source file cannot be read as a JSON array",
        ) from None
    if not isinstance(items, list):
        raise ProblemsFound([Problem(file.name, 1, None, "expected a JSON array")], "unreadable source")
    for number, item in enumerate(items, start=1):
        raw = json_util.dumps(item)
        if isinstance(item, dict):
            yield RawRecord(file.name, number, file.kind, item, raw)
        else:
            yield RawRecord(
                file.name,
                number,
                file.kind,
                None,
                raw,
                f"expected a JSON object, found {type(item).__name__}",
            )


def _starts_with_bracket(path: Path) -> bool:
    with _open(path) as stream:
        head = stream.read(4096).removeprefix(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"[")


def read_records(source: Source) -> Iterator[RawRecord]:
    """Every record of the source, in a stable order: files by name, lines in order."""
    if source.uri is not None:
        from tractatus_datasets.mongo import read_collection  # pymongo only when needed

        yield from read_collection(source.uri, source.collection)
        return
    for file in source.files:
        as_array = source.json_array
        if as_array is None:
            as_array = file.kind == "mongoexport" and _starts_with_bracket(file.path)
        yield from _array(file) if as_array else _lines(file)


def files_digest(files: Iterable[tuple[str, Path]]) -> str:
    """sha256 over each (name, file)'s name and bytes, in the order given: identifies exactly which
    files, with which content, a release was built from."""
    digest = hashlib.sha256()
    for name, path in files:
        digest.update(name.encode() + b"\x00")
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
        digest.update(b"\x00")
    return "sha256:" + digest.hexdigest()


def source_digest(source: Source) -> str:
    """The digest of every source file; identifies exactly what was exported."""
    return files_digest((file.name, file.path) for file in source.files)
