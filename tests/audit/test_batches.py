"""The per-record stages over one part: rows built column by column are the row model's rows."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from bson import json_util
from pydantic import TypeAdapter

from tests.audit import shapes
from tests.helpers import make_key
from tractatus_audit_corpus.batches import INTERNAL_COLUMNS, run_records
from tractatus_audit_corpus.models import FullRow, RuleId, check_rows
from tractatus_audit_corpus.normalise import Normalised, normalise
from tractatus_audit_corpus.stages import anonymise, validate
from tractatus_datasets.anonymise import Granularity
from tractatus_datasets.features import to_arrow_table
from tractatus_datasets.pipeline import Rejected, Tally
from tractatus_datasets.records import RawRecord, loads


def _records(docs: list[dict[str, object]]) -> list[RawRecord]:
    lines = [json_util.dumps(doc) for doc in docs]
    return [
        RawRecord("auditLogs.json", number, "mongoexport", loads(line), line)
        for number, line in enumerate(lines, start=1)
    ]


def _by_the_model(records: list[RawRecord], granularity: Granularity) -> pa.Table:
    """The rows as the row model makes them: one `FullRow` per record, then `to_arrow_table`."""
    rows = []
    for record in records:
        decision = normalise(record, Tally())
        if isinstance(decision, Normalised):
            row = validate(anonymise(decision, make_key(), granularity), record)
            if isinstance(row, FullRow):
                rows.append(row)
    return to_arrow_table(rows, FullRow)


@pytest.mark.parametrize("granularity", list(Granularity))
def test_columns_are_the_row_models_rows(tmp_path: Path, granularity: Granularity) -> None:
    records = _records(list(shapes.DUMP.values()))
    result = run_records(records, 3, make_key(), granularity, tmp_path / "part.parquet")
    written = pq.read_table(tmp_path / "part.parquet")
    pq.write_table(_by_the_model(records, granularity), tmp_path / "model.parquet")
    expected = pq.read_table(tmp_path / "model.parquet")  # stored alike: seconds come back as ms
    assert result.rows == expected.num_rows > 10
    assert written.drop_columns(INTERNAL_COLUMNS.names).equals(expected, check_metadata=True)
    assert written["_seq"].to_pylist()[:2] == [3 << 32, (3 << 32) | 1]


def test_a_rule_id_ending_in_a_line_feed_is_refused_by_the_model(tmp_path: Path) -> None:
    """Python's `$` accepts `inst_001` and a line feed; the published pattern does not."""
    when = shapes.t(2025, 10, 25, 3)
    docs = [
        shapes.auditlog("68fc27a50000000000000001", when, sessionId="s-1", action="boundary_enforcement"),
        shapes.auditlog(
            "68fc27a50000000000000002",
            when,
            sessionId="s-1",
            action="boundary_enforcement",
            rulesChecked=["inst_002", "inst_001\n"],
        ),
    ]
    result = run_records(_records(docs), 0, make_key(), Granularity.MINUTE, tmp_path / "part.parquet")
    assert result.rows == 1
    [(rejected, raw)] = result.rejected
    assert (rejected.line, rejected.reason, rejected.field) == (2, "invalid_row", "rules_checked.1")
    assert isinstance(rejected, Rejected) and "should match pattern" in rejected.detail
    assert "inst_001\\n" in raw


def _good_table() -> pa.Table:
    return _by_the_model(_records(list(shapes.DUMP.values())), Granularity.MINUTE)


def test_the_guard_passes_the_row_models_rows() -> None:
    check_rows(_good_table())


@pytest.mark.parametrize(
    ("column", "value", "constraint"),
    [
        ("decision_id", "68fc27a50000000000000001", "decision_id pattern"),
        ("session", "ABCDEF0123456789ABCDEF0123456789", "session pattern"),
        ("verdict", "MAYBE", "verdict vocabulary"),
        ("boundary", "12.9 Elsewhere", "boundary vocabulary"),
        ("service", 99, "service label"),
        ("pressure_score", 1.5, "pressure_score range"),
        ("duration_ms", -1.0, "duration_ms range"),
        ("rules_checked", ["inst_001", "Never push to main"], "rules_checked pattern"),
        ("violated_rules", ["inst_001\n"], "violated_rules pattern"),
        ("timestamp", None, "timestamp"),
    ],
)
def test_the_guard_names_the_broken_constraint_and_row(column: str, value: object, constraint: str) -> None:
    table = _good_table()
    place = table.schema.get_field_index(column)
    values = table[column].to_pylist()
    values[4] = value
    table = table.set_column(
        place, table.schema.field(place), pa.array(values, table.schema.field(place).type)
    )
    with pytest.raises(ValueError, match=f"^row 4 breaks the FullRow constraint on {constraint}$"):
        check_rows(table)


def test_the_guard_takes_every_decimal_digit_as_the_model_does() -> None:
    """RE2's `\\d` is ASCII; the model's pattern takes any decimal digit, and so must the guard."""
    rule = "inst_\u0663\u0664"
    assert TypeAdapter(RuleId).validate_python(rule) == rule
    table = _good_table()
    place = table.schema.get_field_index("rules_checked")
    values = [[rule], *table["rules_checked"].to_pylist()[1:]]
    table = table.set_column(
        place, table.schema.field(place), pa.array(values, table.schema.field(place).type)
    )
    check_rows(table)
