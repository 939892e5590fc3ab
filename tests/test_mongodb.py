"""The live `mongodb://` source. The round trip needs a server: set TRACTATUS_TEST_MONGO_URI to one
(e.g. mongodb://127.0.0.1:27017); the test uses a fresh database and drops it afterwards.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from bson import json_util

from tests.audit import shapes
from tests.helpers import audit_export, export, run
from tractatus_datasets.errors import UsageError

LIVE_URI = os.environ.get("TRACTATUS_TEST_MONGO_URI")


@pytest.mark.mongodb
@pytest.mark.skipif(not LIVE_URI, reason="set TRACTATUS_TEST_MONGO_URI to run against a live MongoDB")
def test_a_live_collection_exports_exactly_like_its_mongoexport_dump(tmp_path: Path) -> None:
    import pymongo

    assert LIVE_URI is not None
    database = f"tractatus_test_{uuid.uuid4().hex[:12]}"
    parts = urlsplit(LIVE_URI)
    uri = urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(uri, tz_aware=True)
    try:
        client[database]["auditLogs"].insert_many([dict(doc) for doc in shapes.DUMP.values()])
        (tmp_path / "dump").mkdir()
        ordered = sorted(shapes.DUMP.values(), key=lambda d: str(d["_id"]))  # the reader's _id order
        (tmp_path / "dump" / "auditLogs.json").write_text("".join(json_util.dumps(d) + "\n" for d in ordered))
        live = export(uri, tmp_path / "live")
        dumped = export(tmp_path / "dump", tmp_path / "dumped")
    finally:
        client.drop_database(database)
        client.close()
    assert live.counts == dumped.counts and live.source.kind == "mongodb"
    for shard in dumped.shards:
        assert (tmp_path / "live" / shard.path).read_bytes() == (
            tmp_path / "dumped" / shard.path
        ).read_bytes()


def test_an_unreachable_server_is_one_line_exit_2_after_the_timeout(tmp_path: Path) -> None:
    started = time.monotonic()
    uri = "mongodb://127.0.0.1:9/tractatus"
    result = run(*audit_export(uri, tmp_path / "release", "--mongo-timeout", "0.5", "--demo-key"))
    elapsed = time.monotonic() - started
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        "error: cannot reach the MongoDB server for mongodb:tractatus.auditLogs within 0.5 s (127.0.0.1:9: "
    )
    assert line.endswith("or allow longer with --mongo-timeout")
    assert elapsed < 60  # bounded by the timeout, not a hang (the process start dominates)
    assert list(tmp_path.iterdir()) == []


def test_a_uri_without_a_database_says_how_to_name_one(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="names no database"):
        export("mongodb://127.0.0.1:9", tmp_path / "release")
