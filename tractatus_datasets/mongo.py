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
from pymongo.errors import ConfigurationError, PyMongoError

from tractatus_datasets.errors import UsageError
from tractatus_datasets.sources import RawRecord

__all__ = ["TIMEOUT_MS", "read_collection"]

TIMEOUT_MS = 10_000


def read_collection(uri: str, collection: str) -> Iterator[RawRecord]:
    """Every document of `collection` in the URI's database, sorted by `_id`."""
    client: MongoClient[dict[str, object]] = MongoClient(
        uri, tz_aware=True, tzinfo=dt.UTC, serverSelectionTimeoutMS=TIMEOUT_MS
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
        except PyMongoError as error:
            # The message names the host but never the credentials: pymongo redacts them.
            raise UsageError(f"cannot read {origin}: {type(error).__name__}: {error}") from None
    finally:
        client.close()
