"""Read a live MongoDB collection. The only module that talks to a MongoDB server.

Documents come out as the same `RawRecord`s the dump reader gives, in `_id` order so that two
exports of an unchanged collection read the same sequence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from bson import json_util
from bson.json_util import CANONICAL_JSON_OPTIONS
from pymongo import MongoClient
from pymongo.errors import ConfigurationError, OperationFailure, PyMongoError, ServerSelectionTimeoutError

from tractatus_datasets.errors import UsageError
from tractatus_datasets.records import RawRecord

__all__ = ["read_collection"]


def _one_line(error: PyMongoError) -> str:
    """pymongo's messages can run to a topology description over many lines; keep the first."""
    return str(error).splitlines()[0].split(", Timeout:")[0] if str(error) else type(error).__name__


def read_collection(uri: str, collection: str, timeout_seconds: float = 10.0) -> Iterator[RawRecord]:
    """Every document of `collection` in the URI's database, sorted by `_id`.

    Every wait is bounded by `timeout_seconds`: finding the server, connecting, and each read, so
    an unreachable or stalled server ends the run with exit 2 instead of hanging it.
    """
    timeout_ms = max(1, int(timeout_seconds * 1000))
    client: MongoClient[dict[str, object]] = MongoClient(
        uri,
        tz_aware=True,
        tzinfo=dt.UTC,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=timeout_ms,
    )
    try:
        try:
            database = client.get_default_database()
        except ConfigurationError:
            raise UsageError(
                "the MongoDB URI names no database: add it, e.g. mongodb://HOST/tractatus"
            ) from None
        origin = f"mongodb:{database.name}.{collection}"
        try:
            cursor = database[collection].find({}, sort=[("_id", 1)])
            for number, doc in enumerate(cursor, start=1):
                yield RawRecord(
                    origin,
                    number,
                    "mongodb",
                    dict(doc),
                    json_util.dumps(doc, json_options=CANONICAL_JSON_OPTIONS),
                )
        except ServerSelectionTimeoutError as error:
            # The message names the host but never the credentials: pymongo redacts them.
            raise UsageError(
                f"cannot reach the MongoDB server for {origin} within {timeout_seconds:g} s "
                f"({_one_line(error)}): check the host and port in the URI, that the server runs, "
                "and the network; or allow longer with --mongo-timeout"
            ) from None
        except OperationFailure as error:
            raise UsageError(
                f"MongoDB refused to read {origin} ({_one_line(error)}): check the user and password "
                "in the URI and that the user may read the collection"
            ) from None
        except PyMongoError as error:
            raise UsageError(f"cannot read {origin}: {type(error).__name__}: {_one_line(error)}") from None
    finally:
        client.close()
