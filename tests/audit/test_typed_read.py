"""The typed read of a dump that the benchmark's floor measures: every document read, the same
counts as a plain JSON reading of the lines."""

from __future__ import annotations

import json
from pathlib import Path

from tractatus_audit_corpus.sample import write_sample
from tractatus_audit_corpus.typed_read import read_floor


def test_the_typed_read_counts_what_a_line_by_line_reading_counts(tmp_path: Path) -> None:
    write_sample(tmp_path / "source", records=2_000)
    dump = tmp_path / "source" / "auditLogs.json"
    docs = [json.loads(line) for line in dump.read_text(encoding="utf-8").splitlines()]
    floor = read_floor([dump], threads=1)
    assert (floor.documents, floor.sessions, floor.rule_ids) == (
        len(docs),
        len({doc["sessionId"] for doc in docs if doc.get("sessionId") is not None}),
        sum(len(doc.get("rulesChecked", [])) for doc in docs),
    )
    assert floor.documents > 1_500 and floor.sessions > 1 and floor.rule_ids > 0
