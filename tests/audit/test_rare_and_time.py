"""Rare values become `other`; time is coarsened but order within a session is kept; the allow-list
covers every column."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import datasets
import pytest
from bson import ObjectId, json_util
from hypothesis import given
from hypothesis import strategies as st

from tests.audit.stages import release
from tests.helpers import KEY, export, make
from tractatus_audit_corpus.models import FullRow
from tractatus_audit_corpus.privacy import ALLOW_LIST
from tractatus_datasets.anonymise import Granularity, coarsen


def test_the_allow_list_names_a_sanitiser_for_exactly_the_published_columns() -> None:
    assert list(ALLOW_LIST) == list(FullRow.model_fields)
    assert all(entry.sources and entry.sanitiser for entry in ALLOW_LIST.values())


def rows_for_rare() -> list[FullRow]:
    common = [
        make("BoundaryEnforcer", i, rules_checked=["inst_016"], boundary="12.1 Values") for i in range(5)
    ]
    rare = [
        make(
            "PluralisticDeliberationOrchestrator",
            10,
            verdict="ESCALATE",
            rules_checked=["inst_016", "inst_1761360000000"],
            boundary="12.5 Meaning",
            action="test_action",
        ),
        make("MetacognitiveVerifier", 11, violated_rules=["inst_1761360000000"]),  # coordinated with PDO
    ]
    return common + rare


def test_values_seen_fewer_than_k_times_become_other_everywhere() -> None:
    rows = rows_for_rare()
    out = release(rows, k=5)
    pdo, mv, common = out.by_id(rows[5]), out.by_id(rows[6]), out.by_id(rows[0])
    assert (pdo.service.value, pdo.action.value, pdo.verdict, pdo.boundary) == (
        "Other",
        "other",
        "OTHER",
        "other",
    )
    assert pdo.rules_checked == ["inst_016", "other"] and mv.violated_rules == ["other"]
    assert mv.service.value == "Other" and [s.value for s in mv.coordination] == ["Other"]
    assert [s.value for s in pdo.coordination] == ["Other"]
    assert common.boundary == "12.1 Values" and common.rules_checked == ["inst_016"]  # seen 5 times: kept
    assert out.derived.rare_values == {
        "action": 1,
        "boundary": 1,
        "coordination": 2,
        "rules_checked": 1,
        "service": 2,
        "verdict": 1,
        "violated_rules": 1,
    }


def test_published_rows_count_towards_k_but_are_never_changed() -> None:
    published = rows_for_rare()[:3]  # "12.1 Values" and inst_016 three times
    fresh = rows_for_rare()[3:5]  # and twice more: five in all
    out = release(fresh, k=5, carried=published)
    assert out.derived.rare_values == {}
    assert [out.by_id(row).boundary for row in fresh] == ["12.1 Values"] * 2
    lonely = rows_for_rare()[5:6]  # PDO, seen once in all: becomes Other, the published rows stay
    out = release(lonely, k=5, carried=published)
    assert out.derived.rare_values["service"] == 1
    assert out.by_id(lonely[0]).service.value == "Other"
    assert [out.by_id(row).model_dump() for row in published] == [row.model_dump() for row in published]


@given(
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.sampled_from(list(Granularity)),
)
def test_coarsening_twice_equals_once(moment: dt.datetime, granularity: Granularity) -> None:
    once = coarsen(moment.replace(tzinfo=dt.UTC), granularity)
    assert coarsen(once, granularity) == once <= moment.replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("granularity", "expected"),
    [
        ("second", dt.datetime(2025, 10, 25, 13, 47, 21, tzinfo=dt.UTC)),
        ("minute", dt.datetime(2025, 10, 25, 13, 47, tzinfo=dt.UTC)),
        ("hour", dt.datetime(2025, 10, 25, 13, tzinfo=dt.UTC)),
        ("day", dt.datetime(2025, 10, 25, tzinfo=dt.UTC)),
    ],
)
def test_time_granularity_and_order_within_a_session(
    tmp_path: Path, granularity: str, expected: dt.datetime
) -> None:
    source = tmp_path / "source"
    source.mkdir()
    start = dt.datetime(2025, 10, 25, 13, 47, 21, 600_000, tzinfo=dt.UTC)
    # One session's decisions written out of order, plus another session interleaved in time.
    offsets = [5.0, 0.0, 3.2, 1.1, 0.4]
    docs = [
        {
            "_id": ObjectId(f"68fc27a5{i:016x}"),
            "sessionId": "2025-10-25-001" if i < 5 else "2025-10-25-002",
            "action": "instruction_classification",
            "allowed": True,
            "timestamp": start + dt.timedelta(seconds=offsets[i % 5] + (i >= 5) * 0.05),
        }
        for i in range(10)
    ]
    (source / "auditLogs.json").write_text("".join(json_util.dumps(d) + "\n" for d in docs))
    out = tmp_path / "release"
    export(source, out, time_granularity=Granularity(granularity))
    full = datasets.load_dataset(str(out), split="train")
    assert min(full["timestamp"]) == expected
    assert all(t.microsecond == 0 for t in full["timestamp"])
    by_session: dict[str, list[str]] = {}
    for session, decision_id in zip(full["session"], full["decision_id"], strict=True):
        by_session.setdefault(session, []).append(decision_id)
    true_order = [
        KEY.pseudonym("decision", str(docs[i]["_id"])) for i in sorted(range(5), key=lambda i: offsets[i])
    ]
    assert by_session[KEY.pseudonym("session", "2025-10-25-001")] == true_order
