"""The dashboard's figures: exact on a release whose distribution is known by construction, equal to
queries of the shards written here on the demo build, and the bad inputs a visitor can type."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.helpers import export, run
from tests.spaces.known import DECISIONS, MASKED_CELLS, MASKED_DECISIONS, write_known_source
from tractatus_spaces.aggregates import BOUNDARIES, Aggregates, Scope
from tractatus_spaces.dashboard import NAMED_INCIDENT, Dashboard, headline, overlaps
from tractatus_spaces.events import span
from tractatus_spaces.history import incident_markdown, timeline_html
from tractatus_spaces.release import FilterError, Opened


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("known")
    export(write_known_source(folder / "source"), folder / "audit-decisions", k=5)
    return folder / "audit-decisions"


@pytest.fixture(scope="module")
def board(known: Path) -> Dashboard:
    return Dashboard(Opened(known))


@pytest.fixture(scope="module")
def demo_board(demo: Path) -> Dashboard:
    return Dashboard(Opened(demo / "audit-decisions"), Opened(demo / "evolution-log"))


def rows(frame: object) -> list[tuple[object, ...]]:
    return [tuple(row) for row in frame.itertuples(index=False)]  # type: ignore[attr-defined]


def test_known_distribution_gives_exact_figures(board: Dashboard) -> None:
    views = board.views(Scope())
    shown = DECISIONS - MASKED_DECISIONS
    assert views.status == (
        f"In this range (all services): **{shown}** decisions in 7 shown cells; "
        f"**{MASKED_CELLS}** cells are masked (fewer than 5 decisions each) and not counted."
    )
    assert [row[:3] for row in rows(views.pressure)] == [
        ("2025-10-20", "NORMAL", 6),
        ("2025-10-20", "ELEVATED", 5),
        ("2025-10-20", "UNKNOWN", 7),
        ("2025-10-21", "HIGH", 10),
        ("2025-10-21", "UNKNOWN", 5),
        ("2025-10-23", "CRITICAL", 5),
        ("2025-10-23", "UNKNOWN", 6),
    ]
    assert [row[3] for row in rows(views.pressure)] == [
        0.3333,
        0.2778,
        0.3889,
        0.6667,
        0.3333,
        0.4545,
        0.5455,
    ]
    assert [row[:2] for row in rows(views.boundaries)] == [(name, BOUNDARIES[name]) for name in BOUNDARIES]
    values = {row[0]: row[2:] for row in rows(views.boundaries)}
    assert values["12.1 Values"] == (7, 7, 0, 1.0, 0.0)
    assert values["12.6 Agency"] == (6, 6, 0, 1.0, 0.0)
    assert values["12.3 Wisdom"][0] == 0  # its two decisions are a masked cell, never filled in
    assert rows(views.boundary_stack)[:3] == [
        ("12.1 Values", "blocked", 7),
        ("12.1 Values", "sent to a human", 0),
        ("12.1 Values", "went ahead", 0),
    ]
    assert rows(views.services) == [
        ("2025-10-20", "BoundaryEnforcer", 7, 0.3889),
        ("2025-10-20", "ContextPressureMonitor", 11, 0.6111),
        ("2025-10-21", "BoundaryEnforcer", 5, 0.3333),
        ("2025-10-21", "ContextPressureMonitor", 10, 0.6667),
        ("2025-10-23", "BoundaryEnforcer", 6, 0.5455),
        ("2025-10-23", "ContextPressureMonitor", 5, 0.4545),
    ]
    assert rows(views.boundary_time) == [
        ("2025-10-20", "12.1 Values", 7, 1.0),
        ("2025-10-23", "12.6 Agency", 6, 1.0),
    ]
    assert views.boundary_overlaps == ""  # each point alone in its day


def test_boundaries_whose_points_coincide_are_named(board: Dashboard) -> None:
    """Per week, both boundaries are always stopped in the same week: the plot draws one point, and
    the line under it names both."""
    views = board.views(Scope(), "week")
    assert rows(views.boundary_time) == [
        ("2025-10-20", "12.1 Values", 7, 1.0),
        ("2025-10-20", "12.6 Agency", 6, 1.0),
    ]
    assert views.boundary_overlaps == (  # Markdown, the release's values escaped
        r"Several boundaries share one point: **2025\-10\-20** at 1.00: 12\.1 Values, 12\.6 Agency."
    )
    many = pd.DataFrame(
        {
            "period": [f"2025-10-{day}" for day in (20, 20, 21, 21, 22, 22, 23, 23, 24, 24, 24)],
            "boundary": ["V", "A"] * 5 + ["I"],
            "decisions": [5] * 11,
            "share_stopped": [0.0] * 10 + [0.5],  # five points of two boundaries, one of one
        }
    )
    assert overlaps(many) == (
        r"Several boundaries share one point: **2025\-10\-20** at 0.00: V, A; **2025\-10\-21** at 0.00: V, A; "
        r"**2025\-10\-22** at 0.00: V, A; and 2 more (the table lists every point)."
    )
    hostile = pd.DataFrame(  # a release's text is never read as Markdown or HTML
        {
            "period": ["2025-10-24"] * 2,
            "boundary": ["12.1 Values", "<b>I</b>"],
            "decisions": [5, 5],
            "share_stopped": [0.0, 0.0],
        }
    )
    assert overlaps(hostile) == (
        r"Several boundaries share one point: **2025\-10\-24** at 0.00: 12\.1 Values, &lt;b&gt;I&lt;\/b&gt;."
    )


def test_filters_narrow_every_view(board: Dashboard) -> None:
    views = board.views(
        Scope(start="2025-10-21", end="2025-10-23", services=("ContextPressureMonitor",)), "week"
    )
    assert views.status.startswith(
        "In this range (ContextPressureMonitor): **15** decisions in 2 shown cells; **1** cells"
    )
    assert rows(views.pressure) == [("2025-10-20", "HIGH", 10, 0.6667), ("2025-10-20", "CRITICAL", 5, 0.3333)]
    assert rows(views.services) == [("2025-10-20", "ContextPressureMonitor", 15, 1.0)]
    assert {row[0]: row[2] for row in rows(views.boundaries)}["12.6 Agency"] == 0
    empty = board.views(Scope(start="2024-01-01", end="2024-01-31"))
    assert empty.status.startswith("**No decisions in this range**")
    assert len(empty.pressure) == 0


@pytest.mark.parametrize(
    ("scope", "period", "message"),
    [
        (Scope(start="2025-13-01"), "day", "start date '2025-13-01' is not a date like 2025-10-25"),
        (Scope(end="<b>x</b>"), "day", "end date '<b>x</b>' is not a date like 2025-10-25"),
        (
            Scope(start="2025-10-25", end="2025-10-01"),
            "day",
            "the end date 2025-10-01 is before the start date 2025-10-25",
        ),
        (Scope(services=("Nobody",)), "day", "unknown service 'Nobody': choose from BoundaryEnforcer"),
        (Scope(), "month", "unknown period 'month': choose day or week"),
    ],
)
def test_a_bad_filter_is_named(board: Dashboard, scope: Scope, period: str, message: str) -> None:
    with pytest.raises(FilterError) as raised:
        board.views(scope, period)
    assert str(raised.value).startswith(message)


def test_headline_comes_from_the_manifest_and_equals_the_rows(known: Path, board: Dashboard) -> None:
    con = duckdb.connect()
    full = str(known / "data/full/*.parquet")
    decisions, sessions, first, last = con.execute(
        "SELECT count(*), count(DISTINCT session), min(timestamp AT TIME ZONE 'UTC')::DATE, "
        "max(timestamp AT TIME ZONE 'UTC')::DATE FROM read_parquet($f)",
        {"f": full},
    ).fetchall()[0]
    blocked = con.execute("SELECT count(*) FROM read_parquet($f) WHERE decision = 3", {"f": full}).fetchall()[
        0
    ][0]
    assert (decisions, sessions, first, last, blocked) == (
        DECISIONS,
        DECISIONS,
        dt.date(2025, 10, 20),
        dt.date(2025, 10, 23),
        15,
    )
    text = headline(board)
    assert f"**{decisions}** decisions · **{sessions}** sessions · {first} to {last} (UTC)" in text
    assert (
        f"blocked **{100 * blocked / decisions:.1f}%** · warned **{100 * 20 / 49:.1f}%** · asked a human **{100 * 3 / 49:.1f}%**"
        in text
    )
    # Edit the manifest's figure and the page follows it: nothing is typed in or recounted.
    manifest = json.loads((known / "MANIFEST.json").read_text())
    manifest["summary"]["sessions"] = 4321
    copy = known.parent / "edited"
    copy.mkdir(exist_ok=True)
    (copy / "MANIFEST.json").write_text(json.dumps(manifest))
    (copy / "data").symlink_to(known / "data")
    assert "**4,321** sessions" in headline(Dashboard(Opened(copy)))


def test_the_27027_view_shows_both_events_and_their_windows(demo: Path, demo_board: Dashboard) -> None:
    views = demo_board.views(Scope())
    incidents = (
        duckdb.connect()
        .execute(
            "SELECT incident_id, linked_decisions FROM read_parquet($f) WHERE title ILIKE '%27027%' ORDER BY date",
            {"f": str(demo / "evolution-log/data/incidents/*.parquet")},
        )
        .fetchall()
    )
    assert [name for name, _ in incidents] == ["27027-incident", "handoff-skipped"]
    for name, linked in incidents:
        assert f"`{name}`" in views.incident
        assert f"**Linked audit decisions:** {linked:,} (" in views.incident
    assert (
        "The sources disagree about which event is **the 27027 incident**: 2 incident reports"
        in views.incident
    )
    assert "STR\\-002" in views.incident or "`STR-002`" in views.incident
    mix = rows(views.mix)
    # The handoff skip's window is the NZ day 2025-10-25: UTC 10-24 11:00 to 10-25 11:00.
    during = [row for row in mix if row[0] == "handoff-skipped" and row[1] == "during"]
    assert {row[2:4] for row in during} == {("2025-10-24", "2025-10-25")}
    expected = (
        duckdb.connect()
        .execute(
            "SELECT sum(count) FROM read_parquet($f) WHERE day BETWEEN '2025-10-24' AND '2025-10-25' AND decision = 3",
            {"f": str(demo / "audit-decisions/data/aggregated/*.parquet")},
        )
        .fetchall()[0][0]
    )
    assert [row[5] for row in during if row[4] == "block"] == [expected]
    assert not [
        row for row in mix if row[0] == "27027-incident" and row[1] in ("before", "during")
    ]  # before the corpus


def test_the_timeline_draws_spans_and_escapes_titles(demo_board: Dashboard) -> None:
    views = demo_board.views(Scope())
    assert views.timeline.count('<g class="event"') == 28 == len(views.events)
    assert views.timeline.count('<section class="account"') == 28
    estimated = views.events[views.events["id"] == "27027-incident"].iloc[0]
    assert (estimated["start"], estimated["end"]) == ("2025-09-01", "2025-09-30")
    assert span(dt.date(2025, 9, 1), None, "month") == (dt.date(2025, 9, 1), dt.date(2025, 9, 30))
    event = {
        "id": "x", "kind": "incident", "start": dt.date(2025, 1, 1), "end": dt.date(2025, 1, 1),
        "date_precision": "day", "title": "<img src=x onerror=alert(1)>", "body": "<script>", "disagreements": [],
        "active_rules": None, "active_services": None,
    }  # fmt: skip
    drawn = timeline_html([event], ["incident"])
    assert "<img" not in drawn and "<script>" not in drawn and "&lt;img src=x" in drawn
    narrowed = demo_board.views(Scope(start="2025-10-25", end="2025-10-25", services=("BoundaryEnforcer",)))
    assert sorted(narrowed.events["id"]) == ["prohibited-term-blocked", "research-v0-1"]
    assert incident_markdown([], NAMED_INCIDENT) == "The Evolution Log has no incident named 27027."


def test_demo_views_equal_independent_queries(demo: Path, demo_board: Dashboard) -> None:
    views = demo_board.views(Scope(services=("BoundaryEnforcer",)), "week")
    con = duckdb.connect()
    cells = str(demo / "audit-decisions/data/aggregated/*.parquet")
    expected = con.execute(
        "SELECT strftime(date_trunc('week', day), '%Y-%m-%d'), context_pressure, sum(count) FROM read_parquet($f) "
        "WHERE service = 0 AND count IS NOT NULL GROUP BY ALL ORDER BY 1, 2",
        {"f": cells},
    ).fetchall()
    levels = ["NORMAL", "ELEVATED", "HIGH", "CRITICAL", "DANGEROUS", "UNKNOWN"]
    assert [row[:3] for row in rows(views.pressure)] == [
        (week, levels[code], n) for week, code, n in expected
    ]
    masked = con.execute(
        "SELECT count(*) FROM read_parquet($f) WHERE service = 0 AND count IS NULL", {"f": cells}
    )
    assert f"**{masked.fetchall()[0][0]}** cells are masked" in views.status


def test_dashboard_command_names_a_missing_release(tmp_path: Path) -> None:
    result = run("dashboard", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        2,
        "error: build/audit-decisions is not a folder: run `tractatus-datasets demo` first, or pass --data PATH\n",
    )
    (tmp_path / "empty").mkdir()
    result = run("dashboard", "--data", tmp_path / "empty", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        2,
        f"error: {tmp_path / 'empty'} holds no data/aggregated/*.parquet: is it an audit release?\n",
    )


def test_a_release_whose_path_reads_as_a_pattern_is_read_and_no_other(
    known: Path, demo: Path, tmp_path: Path
) -> None:
    """DuckDB reads `v[1]/…` as a pattern, which names `v1/…`: the Spaces escape it."""
    shutil.copytree(known, tmp_path / "v[1]")
    shutil.copytree(demo / "audit-decisions", tmp_path / "v1")

    def decisions(folder: Path) -> int:
        with Aggregates(Opened(folder)).con.cursor() as cursor:
            return int(cursor.execute("SELECT sum(count) FROM cells").fetchall()[0][0])

    assert decisions(tmp_path / "v[1]") == decisions(known) != decisions(tmp_path / "v1")
