"""Derived columns and configs, as the DuckDB stages compute them: coordination, pressure
inheritance, aggregation, incidents."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.audit.stages import release
from tests.helpers import T0, make
from tractatus_audit_corpus import relational
from tractatus_audit_corpus.models import FullRow
from tractatus_audit_corpus.vocab import Service
from tractatus_datasets.errors import UsageError
from tractatus_datasets.links import IncidentWindow


def names(row: FullRow) -> list[str]:
    return [service.value for service in row.coordination]


def test_coordination_is_other_services_within_the_window_inclusive() -> None:
    rows = [
        make("BoundaryEnforcer", 0),
        make("ContextPressureMonitor", 2.0),
        make("MetacognitiveVerifier", 4.001),
        make("BoundaryEnforcer", 1.0),
    ]
    out = release(rows)
    assert [names(out.by_id(r)) for r in rows] == [
        ["ContextPressureMonitor"],  # same service at 1.0 s does not count
        ["BoundaryEnforcer"],  # 2.0 s before and 1.0 s before; 2.001 s after is out
        [],
        ["ContextPressureMonitor"],
    ]


def test_coordination_never_crosses_sessions_and_sessionless_rows_have_none() -> None:
    rows = [
        make("BoundaryEnforcer", 0, session="a" * 32),
        make("ContextPressureMonitor", 0.1, session="b" * 32),
        make("CrossReferenceValidator", 0.1, session=None),
    ]
    out = release(rows)
    assert [names(out.by_id(r)) for r in rows] == [[], [], []]


def test_coordination_lists_services_once_in_label_order() -> None:
    rows = [
        make("MetacognitiveVerifier", 0),
        make("ContextPressureMonitor", 0.2),
        make("BoundaryEnforcer", 0.3),
        make("ContextPressureMonitor", 0.4),
    ]
    assert names(release(rows).by_id(rows[0])) == ["BoundaryEnforcer", "ContextPressureMonitor"]


def test_pressure_comes_from_the_latest_analysis_up_to_the_window_after() -> None:
    analyses = [
        make("ContextPressureMonitor", 0, context_pressure="NORMAL", pressure_score=0.25),
        make("ContextPressureMonitor", 60, context_pressure="HIGH", pressure_score=0.625),
    ]
    early = make("BoundaryEnforcer", -5)  # before any analysis: stays UNKNOWN
    between = make("BoundaryEnforcer", 30)
    just_before = make("BoundaryEnforcer", 58.5)  # the analysis 1.5 s later belongs to the same trigger
    own = make("MetacognitiveVerifier", 70, context_pressure="ELEVATED")
    out = release([*analyses, early, between, just_before, own])
    assert [
        (out.by_id(r).context_pressure.value, out.by_id(r).pressure_score)
        for r in (early, between, just_before, own)
    ] == [
        ("UNKNOWN", None),
        ("NORMAL", 0.25),  # float32 in the release: exact binary fractions
        ("HIGH", 0.625),
        ("ELEVATED", None),
    ]
    assert out.derived.events["pressure_inherited_from_session"] == 2


def test_aggregate_counts_cells_and_masks_the_small_ones() -> None:
    rows = [make("BoundaryEnforcer", i, session=f"{i % 2:032x}") for i in range(6)]
    rows += [make("ContextPressureMonitor", 200 + i) for i in range(5)]  # not a rare service
    rows += [
        make(
            "ContextPressureMonitor",
            100 + i,
            decision="warn",
            verdict="INCREASE_VERIFICATION",
            outcome="allowed_with_warning",
        )
        for i in range(2)
    ]
    out = release(rows, k=5)
    assert [(c.service.value, c.decision.value, c.count, c.sessions) for c in out.aggregated] == [
        ("BoundaryEnforcer", "allow", 6, 2),
        ("ContextPressureMonitor", "allow", 5, 1),
        ("ContextPressureMonitor", "warn", None, None),
    ]
    assert out.derived.suppressed == {"aggregated_cells": 1, "aggregated_decisions": 2}


def reasons(row: FullRow) -> list[str] | None:
    """The incident reasons of `row`, or None when it is not in `incidents`."""
    picked = [r for r in release([row]).incidents if r.decision_id == row.decision_id]
    return [reason.value for reason in picked[0].incident_reasons] if picked else None


def test_incident_reasons() -> None:
    assert reasons(make("BoundaryEnforcer", 0)) is None
    warned = make(
        "CrossReferenceValidator",
        0,
        decision="warn",
        verdict="WARNING",
        outcome="human_approval_required",
        context_pressure="CRITICAL",
    )
    assert reasons(warned) == ["warned", "human_approval", "high_pressure"]
    blocked = make("BoundaryEnforcer", 0, decision="allow", outcome="blocked", context_pressure="ELEVATED")
    assert reasons(blocked) == ["blocked"]
    picked = release(
        [
            make("BoundaryEnforcer", 0),
            make("BlogCuration", 1, decision="ask", outcome="human_approval_required"),
        ]
    ).incidents
    assert [(r.service.value, r.incident_id, [x.value for x in r.incident_reasons]) for r in picked] == [
        ("BlogCuration", None, ["human_approval"])
    ]


def test_incidents_are_the_full_rows_that_qualify_in_release_order_across_read_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The incidents are picked from the full rows as DuckDB hands them over, two at a time here:
    each row keeps every reason it has, in the reasons' order, and its incident link."""
    monkeypatch.setattr(relational, "_BATCH_ROWS", 2)
    window = IncidentWindow("term-blocked", T0, T0 + dt.timedelta(minutes=10), frozenset({"inst_018"}))
    later = 3600.0  # outside the window
    rows = [
        make("BoundaryEnforcer", 0),
        make(
            "CrossReferenceValidator",
            1,
            decision="warn",
            verdict="WARNING",
            outcome="human_approval_required",
            context_pressure="CRITICAL",
        ),
        make("BoundaryEnforcer", 2, outcome="blocked", violated_rules=["inst_018"]),
        make("MetacognitiveVerifier", 3),
        make("ContextPressureMonitor", 4, context_pressure="HIGH", violated_rules=["inst_017", "inst_018"]),
        make("BoundaryEnforcer", later, outcome="blocked", violated_rules=["inst_018"]),
        make(
            "BoundaryEnforcer",
            5,
            outcome="blocked",
            context_pressure="DANGEROUS",
            violated_rules=["inst_099"],
        ),
        make("BlogCuration", 6, decision="ask", outcome="human_approval_required", session=None),
    ]
    carried = [make("PluralisticDeliberationOrchestrator", -60, decision="warn", session=None)]
    out = release(rows, carried=carried, windows=[window])
    # The session's HIGH analysis (row 4) reaches rows 2, 3, 5 and 6; rows 2 and 4 violate the
    # window's rule inside it, row 5 outside it, row 6 another rule. Release order: by minute, then
    # sessionless rows first.
    assert [(r.decision_id, [x.value for x in r.incident_reasons], r.incident_id) for r in out.incidents] == [
        (carried[0].decision_id, ["warned"], None),
        (rows[7].decision_id, ["human_approval"], None),
        (rows[1].decision_id, ["warned", "human_approval", "high_pressure"], None),
        (rows[2].decision_id, ["blocked", "high_pressure"], "term-blocked"),
        (rows[3].decision_id, ["high_pressure"], None),
        (rows[4].decision_id, ["high_pressure"], "term-blocked"),
        (rows[6].decision_id, ["blocked", "high_pressure"], None),
        (rows[5].decision_id, ["blocked", "high_pressure"], None),
    ]
    assert out.derived.tables["incidents"].num_rows == 8
    full = {r.decision_id: r for r in out.full}
    assert all(
        FullRow.model_validate(r.model_dump(exclude={"incident_reasons", "incident_id"}))
        == full[r.decision_id]
        for r in out.incidents
    )


def _coordination_by_brute_force(rows: list[tuple[str | None, int, int]], window_us: int) -> list[int]:
    """Each row's mask as the rule says it: the other services of its session within ± the window."""
    masks = []
    for session, service, at in rows:
        near = {
            s for other, s, t in rows if session is not None and other == session and abs(t - at) <= window_us
        }
        masks.append(sum(1 << s for s in near - {service}))
    return masks


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", None]),
            st.integers(0, len(Service) - 1),
            st.integers(-5_000_000, 5_000_000) | st.sampled_from([-2_000_000, 0, 1_999_999, 2_000_000]),
        ),
        min_size=1,
        max_size=40,
    ),
    window_us=st.sampled_from([0, 1, 500_000, 2_000_000, 3_000_001]),
)
# Either side of zero (before 1970 is bucketed like any other time), 3.8 s apart: not coordinated.
@example(rows=[("a", 0, -1_900_000), ("a", 1, 1_900_000)], window_us=2_000_000)
def test_coordination_by_buckets_equals_the_rule_at_every_time_and_window(
    rows: list[tuple[str | None, int, int]], window_us: int
) -> None:
    with duckdb.connect() as con:
        con.execute("CREATE TABLE collected (_seq BIGINT, session VARCHAR, service BIGINT, _exact BIGINT)")
        con.executemany(
            "INSERT INTO collected VALUES (?, ?, ?, ?)",
            [(seq, session, service, at) for seq, (session, service, at) in enumerate(rows)],
        )
        relational._coordination(con, window_us)
        found = dict(con.execute("SELECT _seq, _mask FROM masks").fetchall())
    assert [found.get(seq, 0) for seq in range(len(rows))] == _coordination_by_brute_force(rows, window_us)


def test_duckdb_out_of_memory_says_to_give_it_more_whether_deriving_or_writing() -> None:
    rows = [make("BoundaryEnforcer", 0), make("ContextPressureMonitor", 1.0)]
    told = (
        "DuckDB needed more than its {} memory limit to deduplicate, derive and sort the rows; no release "
        "was written. Run the export again with a larger --memory-limit (e.g. {}): it spills to the work "
        "folder beyond the limit, so that disk needs room too"
    )
    with pytest.raises(UsageError) as deriving:
        release(rows, memory_limit="1MB")
    assert str(deriving.value) == told.format("1MB", "2MB")
    assert isinstance(deriving.value.__cause__, duckdb.OutOfMemoryException)

    # The rows are read from DuckDB as they are written, after the block has been entered: an
    # out-of-memory there (here a real one, from a query of the same kind) is told the same way.
    def sort_too_much() -> None:
        small = duckdb.connect(config={"memory_limit": "1MB", "threads": 1})
        small.sql("SELECT range FROM range(10000000) ORDER BY range DESC").fetchall()

    with pytest.raises(UsageError) as writing:
        release(rows, memory_limit="64MiB", before_reading=sort_too_much)
    assert str(writing.value) == told.format("64MiB", "128MiB")
    assert isinstance(writing.value.__cause__, duckdb.OutOfMemoryException)
    assert release(rows, memory_limit="64MiB").full == release(rows).full
