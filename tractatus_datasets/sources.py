"""Find a source's records: the files `--source` names (dumps, legacy files, both), or a live
MongoDB collection, read in a stable order, and the digest that identifies exactly what was read.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "auditLogs.json").write_text('{"a": {"$numberInt": "1"}}\\nnot json\\n')
>>> [(r.line, r.doc, r.reason) for r in read_records(discover(str(folder)))]
[(1, {'a': 1}, None), (2, None, 'unparseable')]
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from tractatus_datasets.errors import UsageError
from tractatus_datasets.records import (
    MAX_RECORD_BYTES,
    Kind,
    RawRecord,
    SourceFile,
    is_json_array,
    read_file,
    read_lines,
)

__all__ = [
    "Part",
    "PlannedParts",
    "Source",
    "discover",
    "files_digest",
    "read_part",
    "read_records",
    "source_digest",
]

_LEGACY_PATTERN = "decisions-*.jsonl"
_DUMP_SUFFIXES = (".json", ".json.gz")


@dataclass(frozen=True)
class Source:
    """What `--source` named: files (a dump, legacy files, or both), or a live MongoDB URI."""

    files: tuple[SourceFile, ...] = ()
    uri: str | None = None
    collection: str = "auditLogs"
    json_array: bool | None = None  # None: detect from the first byte
    ignored: tuple[str, ...] = ()
    max_record_bytes: int = MAX_RECORD_BYTES
    timeout_seconds: float = 10.0  # how long to wait for a MongoDB server

    @property
    def description(self) -> str:
        if self.uri is not None:
            return "live MongoDB collection"
        kinds = sorted({file.kind for file in self.files})
        return " + ".join(f"{kind} ({sum(f.kind == kind for f in self.files)} file(s))" for kind in kinds)

    @property
    def data_bytes(self) -> int:
        """About how many bytes of records the files hold: a `.gz` file counts as the size its gzip
        trailer records (modulo 4 GiB), or its own size if larger. A file that cannot be read
        counts as 0 here; reading it reports the error."""
        return sum(_data_bytes(file.path) for file in self.files)


def _data_bytes(path: Path) -> int:
    try:
        size = path.stat().st_size
        if not path.name.endswith(".gz") or size < 18:  # a gzip header and trailer alone are 18 bytes
            return size
        with path.open("rb") as file:
            file.seek(-4, os.SEEK_END)
            return max(size, int.from_bytes(file.read(4), "little"))
    except OSError:
        return 0


def _is_legacy(path: Path) -> bool:
    name = path.name.removesuffix(".gz")
    return Path(name).match(_LEGACY_PATTERN)


def _is_dump(path: Path) -> bool:
    return path.name.endswith(_DUMP_SUFFIXES)


def _files_under(root: Path) -> list[Path]:
    """Every file under `root`, sorted; a folder that cannot be listed is an error, not a silent gap."""

    def refuse(error: OSError) -> None:
        raise UsageError(
            f"cannot list source folder {error.filename}: {error.strerror}; check that this user may read it"
        )

    found = []
    for folder, _, names in os.walk(root, onerror=refuse):
        found += [Path(folder, name) for name in names]
    return sorted(path for path in found if path.is_file())


def discover(
    source: str,
    collection: str = "auditLogs",
    json_array: bool | None = None,
    *,
    max_record_bytes: int = MAX_RECORD_BYTES,
    timeout_seconds: float = 10.0,
) -> Source:
    """Resolve `--source` into the files to read, in a stable order; exit 2 if there is nothing."""
    limits = Source(max_record_bytes=max_record_bytes, timeout_seconds=timeout_seconds)
    if source.startswith(("mongodb://", "mongodb+srv://")):
        return replace(limits, uri=source, collection=collection)
    root = Path(source)
    if not root.exists():
        raise UsageError(
            f"source {source} does not exist: give a mongoexport file, a folder, or a mongodb:// URI"
        )
    if root.is_file():
        kind: Kind = "legacy" if _is_legacy(root) else "mongoexport"
        return replace(limits, files=(SourceFile(root, root.name, kind),), json_array=json_array)
    files, ignored = [], []
    for path in _files_under(root):
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
    return replace(limits, files=tuple(files), json_array=json_array, ignored=tuple(ignored))


def read_records(source: Source) -> Iterator[RawRecord]:
    """Every record of the source, in a stable order: files by name, lines in order."""
    if source.uri is not None:
        from tractatus_datasets.mongo import read_collection  # pymongo only when needed

        yield from read_collection(source.uri, source.collection, source.timeout_seconds)
        return
    for file in source.files:
        yield from read_file(file, source.json_array, source.max_record_bytes)


def _digested(digest: Any, name: str, path: Path) -> Iterator[bytes]:
    """The bytes of one file, in chunks, each added to `digest` (after the name) as it is read."""
    digest.update(name.encode() + b"\x00")
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 23):
            digest.update(chunk)
            yield chunk
    digest.update(b"\x00")


def files_digest(files: Iterable[tuple[str, Path]]) -> str:
    """sha256 over each (name, file)'s name and bytes, in the order given: identifies exactly which
    files, with which content, a release was built from."""
    digest = hashlib.sha256()
    for name, path in files:
        for _ in _digested(digest, name, path):
            pass
    return "sha256:" + digest.hexdigest()


def source_digest(source: Source) -> str:
    """The digest of every source file; identifies exactly what was exported."""
    return files_digest((file.name, file.path) for file in source.files)


@dataclass(frozen=True)
class Part:
    """A stretch of one source file that a worker reads on its own: whole lines, from byte `start`
    (line `first_line`) up to byte `stop` (None: the end). A compressed file or a `--jsonArray`
    dump cannot be entered in the middle, so it is one part."""

    index: int
    file: SourceFile
    start: int = 0
    stop: int | None = None
    first_line: int = 1
    json_array: bool = False


def _line_parts(
    file: SourceFile, first_index: int, lines_per_part: int, chunks: Iterable[bytes]
) -> Iterator[Part]:
    """Cut a line-per-record file, read as `chunks`, every `lines_per_part` lines, each part
    given as soon as its last line has been read."""
    index, start, line, lines, offset = first_index, 0, 1, 0, 0  # `lines`: read of the next part
    for chunk in chunks:
        newlines = np.flatnonzero(np.frombuffer(chunk, np.uint8) == ord("\n"))
        cuts = newlines[lines_per_part - lines - 1 :: lines_per_part]  # each part's last newline
        for cut in cuts.tolist():
            stop = offset + cut + 1
            yield Part(index, file, start, stop, line)
            index, start, line = index + 1, stop, line + lines_per_part
        lines += len(newlines) - len(cuts) * lines_per_part
        offset += len(chunk)
    if offset > start or index == first_index:
        yield Part(index, file, start, None, line)


class PlannedParts:
    """The parts of a file source, in order, planned while they are iterated, so that workers can
    start on the first parts while the rest of the files is still being read; and, once iterated
    to the end, the digest of the files (`source_digest`), from the same single pass."""

    def __init__(self, source: Source, lines_per_part: int) -> None:
        if source.uri is not None:
            raise ValueError("a live collection is read by the driver, not in parts")
        self.source, self.lines_per_part = source, lines_per_part
        self._digest: str | None = None

    @property
    def digest(self) -> str:
        if self._digest is None:
            raise RuntimeError("the files' digest is known once every part has been planned")
        return self._digest

    def __iter__(self) -> Iterator[Part]:
        digest = hashlib.sha256()
        index = 0
        for file in self.source.files:
            chunks = _digested(digest, file.name, file.path)
            json_array = is_json_array(file, self.source.json_array)
            if json_array or file.path.name.endswith(".gz"):
                for _ in chunks:
                    pass
                yield Part(index, file, json_array=json_array)
                index += 1
            else:
                for part in _line_parts(file, index, self.lines_per_part, chunks):
                    yield part
                    index = part.index + 1
        self._digest = "sha256:" + digest.hexdigest()


def read_part(part: Part, limit: int) -> Iterator[RawRecord]:
    """The records of one part, in order."""
    if part.json_array:
        yield from read_file(part.file, True, limit)
    else:
        yield from read_lines(part.file, part.start, part.stop, part.first_line, limit)
