"""`tractatus-datasets view` end to end: the real command on 127.0.0.1, driven in Debian's chromium by
Playwright, its counts checked against DuckDB queries written here, and no request to any other host
from the browser or from the app's process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from datasets import Features

from tests.helpers import run
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


@pytest.fixture
def viewer(demo: Path, tmp_path: Path) -> Iterator[Served]:
    """The view command serving the demo build."""
    with serve(tmp_path, "view", "--data", demo / "audit-decisions") as served:
        yield served


class Independent:
    """The same questions the app answers, asked of the shards directly."""

    def __init__(self, release: Path) -> None:
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        files = [str(p) for p in sorted((release / "data/full").glob("*.parquet"))]
        self.con.read_parquet(files).create_view("t")
        self.features = Features.from_arrow_schema(pq.read_schema(files[0]))

    def codes(self, column: str, *names: str) -> list[int]:
        return [int(self.features[column].str2int(name)) for name in names]

    def one(self, sql: str, **params: Any) -> Any:
        row = self.con.execute(sql, params).fetchone()
        assert row is not None
        return row[0]


def apply(page: Any) -> str:
    """Press "Apply filters" and return the status line it leads to."""
    return press(page, "#apply")


# The table's columns whose header or cells reach past the right edge of the table's frame.
CUT_COLUMNS = """() => {
    const edge = document.querySelector('#table').getBoundingClientRect().right;
    const cells = [...document.querySelectorAll('#table th, #table [role=gridcell]')];
    return [...new Set(cells.filter(c => c.getBoundingClientRect().right > edge + 1).map(c => c.cellIndex))];
}"""


@pytest.mark.browser
def test_filters_detail_and_plots_in_chromium(viewer: Served, demo: Path, tmp_path: Path) -> None:
    truth = Independent(demo / "audit-decisions")
    total = truth.one("SELECT count(*) FROM t")
    requests: list[str] = []
    with browser_page(requests) as page:
        page.goto(viewer.url)
        page.wait_for_selector("#status")
        assert status(page) == f"{total:,} of {total:,} decisions match; the newest 100 are listed."

        # Decision and pressure level.
        choose(page, "decision", "block")
        choose(page, "pressure", "HIGH", "CRITICAL")
        blocked = truth.one(
            "SELECT count(*) FROM t WHERE list_contains($d, decision) AND list_contains($p, context_pressure)",
            d=truth.codes("decision", "block"),
            p=truth.codes("context_pressure", "HIGH", "CRITICAL"),
        )
        assert 0 < blocked < 100
        assert apply(page) == f"{blocked:,} of {total:,} decisions match."
        cells = page.locator("#table").get_by_role("gridcell")
        page.wait_for_function(
            "n => document.querySelectorAll('#table [role=gridcell]').length === n", arg=blocked * 9
        )
        newest = truth.one(
            "SELECT decision_id FROM t WHERE decision = $d AND list_contains($p, context_pressure) "
            "ORDER BY timestamp DESC, decision_id LIMIT 1",
            d=truth.codes("decision", "block")[0],
            p=truth.codes("context_pressure", "HIGH", "CRITICAL"),
        )
        assert cells.first.inner_text().strip() == newest
        # Every column fits the page's width: none is cut at the right edge until scrolled to.
        assert page.evaluate(CUT_COLUMNS) == []

        # A date range on top, then a bad date, then one that matches nothing.
        fill(page, "start", "2025-10-24")
        fill(page, "end", "2025-10-25")
        ranged = truth.one(
            "SELECT count(*) FROM t WHERE decision = $d AND list_contains($p, context_pressure) "
            "AND timestamp >= '2025-10-24T00:00:00Z' AND timestamp < '2025-10-26T00:00:00Z'",
            d=truth.codes("decision", "block")[0],
            p=truth.codes("context_pressure", "HIGH", "CRITICAL"),
        )
        shown = f"{ranged:,} of {total:,} decisions match." if ranged else "No decisions match these filters."
        assert apply(page) == shown
        fill(page, "start", "2025-13-01")
        assert apply(page) == ("Check the filters: start date '2025-13-01' is not a date like 2025-10-25.")
        fill(page, "start", "2024-01-01")
        fill(page, "end", "2024-01-31")
        assert apply(page) == "No decisions match these filters."
        fill(page, "start", "")
        fill(page, "end", "")
        assert apply(page) == f"{blocked:,} of {total:,} decisions match."

        # The time plots render, stacked by decision and by pressure level.
        page.get_by_role("tab", name="Over time").click()
        for plot, legend in (("plot-decision", ["block"]), ("plot-pressure", ["HIGH", "CRITICAL"])):
            page.wait_for_selector(f"#{plot} svg .mark-rect path")
            box = page.locator(f"#{plot} svg").first.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 100
            text = page.inner_text(f"#{plot}")
            assert all(label in text for label in legend), text
        page.screenshot(path=tmp_path / "plots.png")

        # A decision's detail, from a click on its row.
        page.get_by_role("tab", name="Decisions").click()
        cells.first.click()
        page.wait_for_function(
            "id => (document.querySelector('#detail')?.innerText ?? '').includes('Decision ' + id)",
            arg=newest,
        )
        detail = page.inner_text("#detail")
        services = truth.one("SELECT coordination FROM t WHERE decision_id = $id", id=newest)
        names = [truth.features["coordination"].feature.int2str(code) for code in services]
        assert f"Coordinated with: {', '.join(names) if names else 'no other service'}" in detail
        assert "Incident: in the incidents config (blocked" in detail

        # The incident an event links to, from its id pasted into the detail view.
        linked = truth.con.execute(
            "SELECT decision_id FROM read_parquet($files) WHERE incident_id = 'prohibited-term-blocked' LIMIT 1",
            {"files": [str(p) for p in (demo / "audit-decisions/data/incidents").glob("*.parquet")]},
        ).fetchone()
        assert linked is not None
        fill(page, "decision-id", linked[0])
        page.click("#show")
        page.wait_for_function(
            "() => (document.querySelector('#detail')?.innerText ?? '').includes('linked event: prohibited-term-blocked')"
        )
        title = truth.con.execute(
            "SELECT title FROM read_parquet($files) WHERE incident_id = 'prohibited-term-blocked'",
            {"files": [str(p) for p in (demo / "evolution-log/data/incidents").glob("*.parquet")]},
        ).fetchone()
        assert title is not None and title[0] in page.inner_text("#detail")
        if os.environ.get("TRACTATUS_VIEWER_SCREENSHOT"):  # how the README's picture is made
            page.get_by_role("tab", name="Decisions").click()
            screenshot(page, os.environ["TRACTATUS_VIEWER_SCREENSHOT"])

    assert elsewhere(requests) == []
    assert viewer.outside_calls() == ""  # the app's process looked up and called no other host


@pytest.mark.browser
def test_a_visitors_text_is_shown_never_interpreted(viewer: Served) -> None:
    """Typed into each text box, HTML, Markdown links and images and LaTeX come back as text: in
    the status line for a date or search, in the detail view for an id; no other host is asked."""
    requests: list[str] = []
    with browser_page(requests) as page:
        page.goto(viewer.url)
        page.wait_for_selector("#status")
        status(page)
        for typed in HOSTILE:
            for box in ("start", "end"):
                fill(page, box, typed)
                shown = apply(page)
                assert shown.startswith("Check the filters:"), shown
                assert_literal(page, "#status", typed)
                fill(page, box, "")
            fill(page, "search", typed)
            assert apply(page) == "No decisions match these filters."
            fill(page, "search", "")
            page.get_by_role("tab", name="Detail").click()
            fill(page, "decision-id", typed)
            page.click("#show")
            page.wait_for_function(
                "t => (document.querySelector('#detail')?.innerText ?? '').includes(t)",
                arg=typed,
                timeout=15_000,
            )
            assert_literal(page, "#detail", typed)
            page.get_by_role("tab", name="Decisions").click()
    assert elsewhere(requests) == []
    assert viewer.outside_calls() == ""


def test_view_of_a_missing_release_says_what_to_do(tmp_path: Path) -> None:
    result = run("view", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "error: build/audit-decisions is not a folder: run `tractatus-datasets demo` first, or pass --data PATH\n"
    )
    (tmp_path / "empty").mkdir()
    result = run("view", "--data", tmp_path / "empty", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr
        == f"error: {tmp_path / 'empty'} holds no data/full/*.parquet: is it an audit release?\n"
    )
