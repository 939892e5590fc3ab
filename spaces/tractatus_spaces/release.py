"""Opening a release for a Space: where it comes from (a folder, a Hub revision, the Space's
variables), its shards and their `datasets` features, and a DuckDB connection that fetches nothing.

    >>> parse_date(" 2025-10-25 ", "start")
    datetime.date(2025, 10, 25)
    >>> sql_paths([Path("it's.parquet"), Path("v[1]/*.parquet")])
    "['it''s.parquet', 'v[[]1]/[*].parquet']"
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow.parquet as pq

__all__ = [
    "DEFAULT_DATASET",
    "DEFAULT_EVENTS_DATASET",
    "VARIABLES",
    "FilterError",
    "Opened",
    "ReleaseError",
    "Sources",
    "connect",
    "date_range",
    "download",
    "features",
    "label_names",
    "parse_date",
    "run_space",
    "shards",
    "sql_paths",
]

DEFAULT_DATASET = "tractatus-framework/audit-decisions"
DEFAULT_EVENTS_DATASET = "tractatus-framework/evolution-log"
HUB_FILES = ["README.md", "MANIFEST.json", "data/**"]
# The Space variables that name, for each dataset a Space shows, its repository and pinned revision.
VARIABLES = {
    "audit-decisions": ("TRACTATUS_DATASET", "TRACTATUS_REVISION"),
    "evolution-log": ("TRACTATUS_EVENTS_DATASET", "TRACTATUS_EVENTS_REVISION"),
}


class ReleaseError(Exception):
    """The release cannot be opened: missing folder, not the release expected, download refused."""


class FilterError(ValueError):
    """A filter value the release cannot answer; the message says which and what is allowed."""


def parse_date(text: str, which: str) -> dt.date | None:
    """A YYYY-MM-DD date typed into a filter, None when the box is empty."""
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FilterError(f"{which} date {text!r} is not a date like 2025-10-25") from None


def date_range(start: str, end: str) -> tuple[dt.date | None, dt.date | None]:
    """Both ends of a date filter, checked together.

    >>> date_range("2025-10-25", "2025-10-01")
    Traceback (most recent call last):
    ...
    tractatus_spaces.release.FilterError: the end date 2025-10-01 is before the start date 2025-10-25
    """
    first, last = parse_date(start, "start"), parse_date(end, "end")
    if first and last and last < first:
        raise FilterError(f"the end date {last} is before the start date {first}")
    return first, last


def features(shard: Path) -> dict[str, Any]:
    """The `datasets.Features` a shard's schema carries, as the plain JSON `datasets` writes."""
    metadata = pq.read_schema(shard).metadata or {}
    if b"huggingface" not in metadata:
        raise ReleaseError(f"{shard} carries no `datasets` features in its schema: is it from a release?")
    return dict(json.loads(metadata[b"huggingface"])["info"]["features"])


def label_names(feature: dict[str, Any]) -> list[str]:
    """The ClassLabel names of a feature (of its items, for a list); empty for any other type."""
    while feature.get("_type") in ("List", "Sequence", "LargeList"):
        feature = feature["feature"]
    return list(feature.get("names", []))


def shards(folder: Path, config: str) -> list[Path]:
    return sorted((folder / "data" / config).glob("*.parquet"))


# DuckDB reads a file name holding any of these as a pattern: `x[1]/a.parquet` would read
# `x1/a.parquet`, another release's file, if there is one. Each becomes a class of itself.
_GLOB = re.compile(r"([*?\[{}])")


def sql_paths(paths: Sequence[Path]) -> str:
    """A SQL list of file names as string literals, quotes doubled (DDL takes no parameters) and
    pattern characters escaped, so that each names exactly its file."""
    literal = (_GLOB.sub(r"[\1]", str(path)).replace("'", "''") for path in paths)
    return "[" + ", ".join(f"'{name}'" for name in literal) + "]"


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that never fetches an extension (parquet is built in) and counts days
    and weeks in UTC, for every cursor made from it."""
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    con.execute("SET GLOBAL TimeZone = 'UTC'")
    return con


@dataclass(frozen=True)
class Opened:
    """A release folder and where it came from, as a page names it."""

    folder: Path
    dataset: str | None = None  # the Hub repository, when downloaded
    revision: str | None = None  # as asked for: a tag, a branch, a commit; None for the default branch
    commit: str | None = None  # the commit the Hub resolved it to

    @property
    def manifest(self) -> dict[str, Any]:
        path = self.folder / "MANIFEST.json"
        return dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else {}

    @property
    def where(self) -> str:
        """`org/name@v1.0.0 (commit 1a2b3c4)`, or the local folder."""
        if self.dataset is None:
            return f"local folder {self.folder}"
        commit = f" (commit {self.commit[:7]})" if self.commit else ""
        return f"{self.dataset}@{self.revision or 'main'}{commit}"


def download(dataset: str, revision: str | None) -> Opened:
    """A revision of a Hub dataset, in the local Hub cache (honours HF_ENDPOINT and HF_HUB_OFFLINE)."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError

    try:
        folder = snapshot_download(dataset, repo_type="dataset", revision=revision, allow_patterns=HUB_FILES)
    except (OSError, HFValidationError) as error:  # the Hub's HTTP and cache errors are OSErrors
        at = f" at {revision}" if revision else ""
        raise ReleaseError(f"cannot download {dataset}{at} from the Hub: {error}") from error
    return Opened(Path(folder), dataset, revision, Path(folder).name)  # snapshots/<commit>


@dataclass(frozen=True)
class Sources:
    """What a Space reads, declared once in its `app.py`: the config its audit release must hold,
    and whether it shows the Framework Evolution Log (`events`). Its arguments (the Space's and its
    CLI command's), the Space's defaults and the opening of the releases all follow from it.

    >>> parser = argparse.ArgumentParser()
    >>> Sources("aggregated", events=False).add_arguments(parser)
    >>> sorted(vars(parser.parse_args([])))
    ['data', 'dataset', 'host', 'port', 'revision']
    """

    config: str = "full"
    events: bool = True

    def add_arguments(self, parser: argparse.ArgumentParser, default_data: Path | None = None) -> None:
        """Which releases to show and where to serve them (the Evolution Log's only with `events`)."""
        parser.add_argument(
            "--data",
            type=Path,
            default=default_data,
            metavar="PATH",
            help="a local audit release folder" + (f" (default: {default_data})" if default_data else ""),
        )
        parser.add_argument(
            "--dataset", metavar="ORG/NAME", help=f"a Hub dataset instead, e.g. {DEFAULT_DATASET}"
        )
        parser.add_argument("--revision", help="with --dataset: a tag such as v1.0.0, a branch or a commit")
        if self.events:
            parser.add_argument(
                "--events",
                type=Path,
                metavar="PATH",
                help="a local Framework Evolution Log release "
                "(default: the evolution-log folder beside --data, where `tractatus-datasets demo` puts it)",
            )
            parser.add_argument(
                "--events-dataset",
                metavar="ORG/NAME",
                help=f"the same from the Hub, e.g. {DEFAULT_EVENTS_DATASET}",
            )
            parser.add_argument("--events-revision", help="with --events-dataset")
        parser.add_argument(
            "--host",
            default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
            help="address to serve on (default: 127.0.0.1, this machine only)",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
            help="default: 7860",
        )

    def space_defaults(self, args: argparse.Namespace) -> None:
        """With neither --data nor --dataset (as on a Space), the Hub releases the Space's variables
        name (the Evolution Log's only with `events`)."""
        if args.data is not None or args.dataset is not None:
            return
        dataset, revision = VARIABLES["audit-decisions"]
        args.dataset = os.environ.get(dataset, DEFAULT_DATASET)
        args.revision = args.revision or os.environ.get(revision)
        if self.events and args.events is None and args.events_dataset is None:
            dataset, revision = VARIABLES["evolution-log"]
            args.events_dataset = os.environ.get(dataset, DEFAULT_EVENTS_DATASET)
            args.events_revision = args.events_revision or os.environ.get(revision)

    def open(self, args: argparse.Namespace) -> tuple[Opened, Opened | None]:
        """The audit release the arguments name (`--dataset`, downloaded, wins over `--data`), which
        must hold `config`, and, with `events`, the Evolution Log: `--events`, `--events-dataset`,
        else the `evolution-log` folder beside a local `--data`, else none. Without, none is looked for."""
        audit = _audit(args, self.config)
        if not self.events:
            return audit, None
        events = Opened(args.events) if args.events is not None else None
        sibling = audit.folder.parent / "evolution-log"  # for a local --data only
        if events is None and not args.dataset and not args.events_dataset and sibling.is_dir():
            events = Opened(sibling)
        if events is None and args.events_dataset:
            events = download(args.events_dataset, args.events_revision)
        if events is not None and not shards(events.folder, "incidents"):
            raise ReleaseError(
                f"{events.folder} holds no data/incidents/*.parquet: is it a Framework Evolution Log release?"
            )
        return audit, events


def _audit(args: argparse.Namespace, config: str) -> Opened:
    """The audit release the arguments name (`--dataset`, downloaded, wins over `--data`), which
    must hold `config`."""
    if args.dataset:
        audit = download(args.dataset, args.revision)
    elif args.data is not None:
        audit = Opened(args.data)
        if not audit.folder.is_dir():
            raise ReleaseError(
                f"{audit.folder} is not a folder: run `tractatus-datasets demo` first, or pass --data PATH"
            )
    else:
        raise ReleaseError("pass --data PATH or --dataset ORG/NAME")
    if not shards(audit.folder, config):
        raise ReleaseError(f"{audit.folder} holds no data/{config}/*.parquet: is it an audit release?")
    return audit


T = TypeVar("T")


def run_space(
    description: str,
    sources: Sources,
    opener: Callable[[argparse.Namespace], T],
    launcher: Callable[[T, str, int | None], None],
    argv: Sequence[str] | None = None,
) -> None:
    """A Space's `python app.py`: the arguments of its `sources` (else the Space's variables), what
    `opener` makes of them, served by `launcher`; a release that cannot be opened exits 2 with one
    line."""
    parser = argparse.ArgumentParser(description=description)
    sources.add_arguments(parser)
    args = parser.parse_args(argv)
    sources.space_defaults(args)
    try:
        opened = opener(args)
    except ReleaseError as error:
        parser.exit(2, f"error: {error}\n")
    launcher(opened, args.host, args.port)
