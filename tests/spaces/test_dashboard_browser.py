"""`tractatus-datasets dashboard` end to end in Debian's chromium: every headline figure and a value
of every plot (read from its table, and the whole of one CSV download) against DuckDB queries of
the shards written here; the filters, a bad date, an empty range, a visitor's HTML; no other host."""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.helpers import export
from tests.spaces.browser import (
    HOSTILE,
    Served,
    assert_literal,
    browser_page,
    choose,
    elsewhere,
    fill,
    press,
    screenshot,
    serve,
    status,
)
from tests.spaces.known import write_known_source

LEVELS = ["NORMAL", "ELEVATED", "HIGH", "CRITICAL", "DANGEROUS", "UNKNOWN"]
SERVICES = ["BoundaryEnforcer", "ContextPressureMonitor", "CrossReferenceValidator"]


class Truth:
    """The questions the dashboard answers, asked of the release's shards directly."""

    def __init__(self, release: Path, events: Path | None = None) -> None:
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.read_parquet(str(release / "data/aggregated/*.parquet")).create_view("cells")
        self.con.read_parquet(str(release / "data/full/*.parquet")).create_view("full_rows")
        if events is not None:
            self.con.read_parquet(str(events / "data/full/*.parquet")).create_view("events")
            self.con.read_parquet(str(events / "data/incidents/*.parquet")).create_view("incidents")

    def all(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, params).fetchall()

    def headline(self) -> str:
        total, sessions, first, last, block, warn, ask = self.all(
            "SELECT count(*), count(DISTINCT session), min(timestamp)::DATE, max(timestamp)::DATE, "
            "count(*) FILTER (decision = 3), count(*) FILTER (decision = 1), count(*) FILTER (decision = 2) "
            "FROM full_rows"
        )[0]
        return (
            f"{total:,} decisions · {sessions:,} sessions · {first} to {last} (UTC) · blocked "
            f"{100 * block / total:.1f}% · warned {100 * warn / total:.1f}% · asked a human {100 * ask / total:.1f}%"
        )


def table_row(page: Any, view: str, columns: int, row: int = 0, first: str | None = None) -> list[str]:
    """One row of a view's table, opened from its accordion; with `first`, once the table's first
    cell shows it (after a filter, the table may still show the previous answer)."""
    if page.locator(f"#{view}-accordion button.label-wrap.open").count() == 0:
        page.click(f"#{view}-accordion button.label-wrap")
    if first is not None:
        page.wait_for_function(
            "([view, first]) => document.querySelector(`#${view}-table [role=gridcell]`)?.innerText.trim() === first",
            arg=[view, first],
        )
    cells = page.locator(f"#{view}-table [role=gridcell]")
    cells.nth(columns * (row + 1) - 1).wait_for()
    return [cells.nth(columns * row + i).inner_text().strip() for i in range(columns)]


def number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


@pytest.fixture
def demo_dashboard(demo: Path, tmp_path: Path) -> Iterator[Served]:
    with serve(tmp_path, "dashboard", "--data", demo / "audit-decisions") as served:
        yield served


@pytest.mark.browser
def test_dashboard_views_equal_independent_queries(
    demo_dashboard: Served, demo: Path, tmp_path: Path
) -> None:
    truth = Truth(demo / "audit-decisions", demo / "evolution-log")
    shots = os.environ.get("TRACTATUS_DASHBOARD_SCREENSHOTS")
    requests: list[str] = []
    with browser_page(requests) as page:
        page.goto(demo_dashboard.url)
        page.wait_for_selector("#status")
        shown, masked = truth.all("SELECT sum(count), count(*) FILTER (count IS NULL), count(*) FROM cells")[
            0
        ][:2]
        assert status(page).startswith(f"In this range (all services): {shown:,} decisions in")
        assert f"{masked:,} cells are masked" in status(page)
        assert truth.headline() in page.inner_text("#headline")
        screenshot(page, shots and f"{shots}/dashboard-pressure.png")

        # Context pressure as shares, then its table's first row and the whole CSV download.
        page.click("#measure label:has-text('shares')")
        page.wait_for_function("() => document.querySelector('#plot-pressure')?.innerText.includes('share')")
        expected = truth.all(
            "SELECT strftime(day, '%Y-%m-%d'), context_pressure, sum(count)::BIGINT FROM cells "
            "WHERE count IS NOT NULL GROUP BY ALL ORDER BY 1, 2"
        )
        first = expected[0]
        assert table_row(page, "pressure", 4)[:3] == [first[0], LEVELS[first[1]], number(first[2])]
        with page.expect_download() as download:
            page.click("#pressure-csv")
        with Path(download.value.path()).open() as file:
            plotted = [
                (row["period"], row["context_pressure"], int(row["decisions"]))
                for row in csv.DictReader(file)
            ]
        assert plotted == [(day, LEVELS[code], n) for day, code, n in expected]

        # Service activation, per week.
        page.get_by_role("tab", name="Service activation").click()
        page.click("#period label:has-text('week')")
        page.wait_for_function("() => document.querySelector('#status')?.innerText.includes('In this range')")
        week, service, n = truth.all(
            "SELECT strftime(date_trunc('week', day), '%Y-%m-%d'), service, sum(count)::BIGINT FROM cells "
            "WHERE count IS NOT NULL GROUP BY ALL ORDER BY 1, 2 LIMIT 1"
        )[0]
        assert table_row(page, "services", 4, first=week)[:3] == [week, SERVICES[service], number(n)]
        assert "needs row-level data" not in page.inner_text("#coordination-note")  # says it in its own words
        assert "Audit Log Viewer" in page.inner_text("#coordination-note")
        screenshot(page, shots and f"{shots}/dashboard-services.png")

        # Boundary enforcement: 12.1 Values in total, and the first point over time.
        page.get_by_role("tab", name="Boundary enforcement").click()
        values = truth.all(
            "SELECT sum(count)::BIGINT, coalesce(sum(count) FILTER (outcome = 3), 0)::BIGINT FROM cells "
            "WHERE boundary = '12.1 Values' AND count IS NOT NULL"
        )[0]
        row = table_row(page, "boundaries", 7)
        assert row[:5] == [
            "12.1 Values",
            "Values cannot be automated, only verified",
            number(values[0]),
            number(values[1]),
            "0",
        ]
        period, boundary, decisions = truth.all(
            "SELECT strftime(date_trunc('week', day), '%Y-%m-%d'), boundary, sum(count)::BIGINT FROM cells "
            "WHERE boundary IS NOT NULL AND count IS NOT NULL GROUP BY ALL ORDER BY 1, 2 LIMIT 1"
        )[0]
        assert table_row(page, "boundary-time", 4)[:3] == [period, boundary, number(decisions)]
        limits = page.evaluate(  # a boundary always stopped (share 1.0) is drawn below the frame's edge
            "() => window.gradio_config.components.find(c => c.props.elem_id === 'plot-boundary-time').props.y_lim"
        )
        assert limits[0] == 0 and limits[1] > 1
        # A point for each week and boundary with unmasked decisions, a lone one included.
        (points,) = truth.all(
            "SELECT count(*) FROM (SELECT date_trunc('week', day), boundary FROM cells "
            "WHERE boundary IS NOT NULL AND count IS NOT NULL GROUP BY ALL)"
        )[0]
        drawn = (  # a line plot's points are there too, but seen only on hover (opacity 0)
            "e => [...e.querySelectorAll('[aria-roledescription=point]')]"
            ".filter(p => Number(getComputedStyle(p).opacity) > 0).length"
        )
        assert page.eval_on_selector("#plot-boundary-time", drawn) == points > 0
        # Boundaries with the same share in the same week are one drawn point: the line below names them.
        week, share, together = truth.all(
            "SELECT strftime(week, '%Y-%m-%d'), share, string_agg(boundary, ', ' ORDER BY boundary) FROM ("
            "SELECT date_trunc('week', day) AS week, boundary, round(coalesce(sum(count) FILTER "
            "(outcome IN (2, 3)), 0) / sum(count), 4) AS share FROM cells "  # human approval, blocked
            "WHERE boundary IS NOT NULL AND count IS NOT NULL GROUP BY ALL"
            ") GROUP BY ALL HAVING count(*) > 1 ORDER BY 1, 2 LIMIT 1"
        )[0]
        assert f"Several boundaries share one point: {week} at {share:.2f}: {together}" in page.inner_text(
            "#boundary-overlaps"
        )
        screenshot(page, shots and f"{shots}/dashboard-boundaries.png")

        # The evolution timeline: one mark per event; a click shows that event's account.
        page.get_by_role("tab", name="Framework evolution").click()
        events = truth.all("SELECT id, title FROM events ORDER BY date, id")
        page.wait_for_selector("#timeline g.event")
        assert page.locator("#timeline g.event").count() == len(events)
        page.locator("#timeline g.event[data-event='27027-incident']").click()
        account = page.locator("#timeline section.account[data-event='27027-incident']")
        assert account.is_visible() and dict(events)["27027-incident"] in account.inner_text()
        assert page.locator("#timeline section.account:visible").count() == 1
        assert table_row(page, "events", 8)[:2] == [events[0][0], "milestone"]
        (largest,) = truth.all("SELECT greatest(max(active_rules), max(active_services)) FROM events")[0]
        y_axis = page.get_attribute(
            "#plot-counts [aria-roledescription=axis][aria-label^='Y-axis']", "aria-label"
        )
        scale = re.search(r"values from (\S+) to (\S+)$", y_axis or "")
        assert scale, y_axis
        low, high = map(float, scale.groups())
        assert low == 0 and high > largest > 0  # counts from zero, the largest not on the frame's edge
        screenshot(page, shots and f"{shots}/dashboard-evolution.png")

        # The 27027 incident: both events, their linked decisions, the mix around the windows.
        page.get_by_role("tab", name="The 27027 incident").click()
        text = page.inner_text("#incident")
        for title, linked in truth.all(
            "SELECT title, linked_decisions FROM incidents WHERE title LIKE '%27027%'"
        ):
            assert title in text
            assert f"Linked audit decisions: {linked:,} (" in text
        assert len(truth.all("SELECT 1 FROM incidents WHERE title LIKE '%27027%'")) == 2
        during = truth.all(
            "SELECT sum(count)::BIGINT FROM cells WHERE day BETWEEN '2025-10-24' AND '2025-10-25' "
            "AND decision = 0 AND count IS NOT NULL"
        )[0][0]
        assert table_row(page, "mix", 7)[:2] == ["27027-incident", "after"]  # nothing before the corpus began
        bars = page.inner_text("#plot-mix").splitlines()  # its axis: one bar per incident and period
        assert bars[:2] == ["27027-incident · after", "handoff-skipped · during"]
        with page.expect_download() as download:
            page.click("#mix-csv")
        with Path(download.value.path()).open() as file:
            mix = [
                (
                    r["incident"],
                    r["period"],
                    r["first_day"],
                    r["last_day"],
                    r["decision"],
                    int(r["decisions"]),
                )
                for r in csv.DictReader(file)
            ]
        assert ("handoff-skipped", "during", "2025-10-24", "2025-10-25", "allow", during) in mix
        screenshot(page, shots and f"{shots}/dashboard-27027.png", full_page=True)

        # The filters change every view; a bad date and an empty range are said plainly.
        page.get_by_role("tab", name="Context pressure").click()
        fill(page, "start", "2025-10-24")
        fill(page, "end", "2025-10-25")
        choose(page, "service", "ContextPressureMonitor")
        narrowed = truth.all(
            "SELECT sum(count)::BIGINT, count(*) FILTER (count IS NULL) FROM cells "
            "WHERE day BETWEEN '2025-10-24' AND '2025-10-25' AND service = 1"
        )[0]
        assert press(page, "#apply").startswith(
            f"In this range (ContextPressureMonitor): {narrowed[0]:,} decisions in"
        )
        week, level, n = truth.all(
            "SELECT strftime(date_trunc('week', day), '%Y-%m-%d'), context_pressure, sum(count)::BIGINT FROM cells "
            "WHERE day BETWEEN '2025-10-24' AND '2025-10-25' AND service = 1 AND count IS NOT NULL "
            "GROUP BY ALL ORDER BY 1, 2 LIMIT 1"
        )[0]
        assert table_row(page, "pressure", 4, first=week)[:3] == [week, LEVELS[level], number(n)]
        fill(page, "start", "2025-02-30")
        assert (
            press(page, "#apply")
            == "Check the filters: start date '2025-02-30' is not a date like 2025-10-25."
        )
        fill(page, "start", "2024-01-01")
        fill(page, "end", "2024-01-31")
        assert press(page, "#apply").startswith("No decisions in this range for these services")
        fill(page, "start", "")
        fill(page, "end", "")
        for typed in HOSTILE:
            for box in ("start", "end"):
                fill(page, box, typed)
                assert press(page, "#apply").startswith("Check the filters:")
                assert_literal(page, "#status", typed)
                fill(page, box, "")
    assert elsewhere(requests) == []
    assert demo_dashboard.outside_calls() == ""


@pytest.mark.browser
def test_dashboard_of_a_known_distribution(tmp_path: Path) -> None:
    release = tmp_path / "known" / "audit-decisions"
    export(write_known_source(tmp_path / "source"), release, k=5)
    truth = Truth(release)
    requests: list[str] = []
    with serve(tmp_path, "dashboard", "--data", release) as served, browser_page(requests) as page:
        page.goto(served.url)
        page.wait_for_selector("#status")
        assert status(page) == (
            "In this range (all services): 44 decisions in 7 shown cells; 2 cells are masked "
            "(fewer than 5 decisions each) and not counted."
        )
        assert truth.headline() in page.inner_text("#headline")
        assert "49 decisions · 49 sessions · 2025-10-20 to 2025-10-23 (UTC)" in page.inner_text("#headline")
        assert table_row(page, "pressure", 4) == ["2025-10-20", "NORMAL", "6", "0.3333"]
        assert "Evolution Log" not in page.inner_text("#headline")
    assert elsewhere(requests) == []
