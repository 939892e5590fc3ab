"""`tractatus-datasets view` end to end: the real command on 127.0.0.1, driven in Debian's chromium by
Playwright, its counts checked against DuckDB queries written here, and no request to any other host
from the browser or from the app's process."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import duckdb
import pyarrow.parquet as pq
import pytest
from datasets import Features

from tests.helpers import cli, cli_env, free_port, run, wait_for_port

NETGUARD = Path(__file__).parent / "netguard"
CHROMIUM_FLAGS = [  # as root, in a closed network: no sandbox, no background calls home
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


def chromium() -> str:
    path = os.environ.get("TRACTATUS_CHROMIUM") or shutil.which("chromium")
    if path is None:
        if os.environ.get("TRACTATUS_REQUIRE_BROWSER"):
            pytest.fail(
                "Debian's chromium is required here (.ci/run installs it): apt-get install -y chromium"
            )
        pytest.skip("no chromium on this machine: apt-get install -y chromium (.ci/run does)")
    return path


@pytest.fixture
def viewer(demo: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The view command serving the demo build; yields its URL and the file of outside lookups."""
    port, outside = free_port(), tmp_path / "outside.log"
    outside.touch()
    # No HF_HUB_OFFLINE: nothing but the app itself may keep it from calling out.
    env = {k: v for k, v in cli_env().items() if not k.endswith("_OFFLINE")}
    env |= {"PYTHONPATH": str(NETGUARD), "TRACTATUS_TEST_OUTSIDE_LOG": str(outside)}
    log = (tmp_path / "viewer.log").open("w")
    server = subprocess.Popen(
        cli("view", "--data", demo / "audit-decisions", "--port", str(port)),
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, server, f"the viewer (its output: {tmp_path / 'viewer.log'})")
        yield f"http://127.0.0.1:{port}/", outside
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


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


STATUS = "#status [data-testid=markdown]"
# Gradio shows a progress tracker on an output while an event runs and hides it when done: an event
# has been answered once the status line's tracker has been shown and hidden again.
WATCH = """() => {
    const tracker = document.querySelector('#status [data-testid=status-tracker]');
    window.answered = false;
    let shown = false;
    new MutationObserver((_, observer) => {
        if (!tracker.classList.contains('hide')) shown = true;
        else if (shown) { window.answered = true; observer.disconnect(); }
    }).observe(tracker, {attributes: true});
}"""
IDLE = "() => [...document.querySelectorAll('[data-testid=status-tracker]')].every(t => t.classList.contains('hide'))"


def status(page: Any) -> str:
    page.wait_for_function(IDLE)
    return str(page.inner_text(STATUS)).strip()


def apply(page: Any) -> str:
    """Press "Apply filters" and return the status line it leads to."""
    page.evaluate(WATCH)
    page.click("#apply")
    page.wait_for_function("() => window.answered")
    return status(page)


def choose(page: Any, box: str, *options: str) -> None:
    for option in options:
        page.click(f"#{box} input")
        page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


@pytest.mark.browser
def test_filters_detail_and_plots_in_chromium(viewer: tuple[str, Path], demo: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url, outside = viewer
    truth = Independent(demo / "audit-decisions")
    total = truth.one("SELECT count(*) FROM t")
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("request", lambda request: requests.append(request.url))
        page.goto(url)
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

        # A date range on top, then a bad date, then one that matches nothing.
        page.fill("#start input, #start textarea", "2025-10-24")
        page.fill("#end input, #end textarea", "2025-10-25")
        ranged = truth.one(
            "SELECT count(*) FROM t WHERE decision = $d AND list_contains($p, context_pressure) "
            "AND timestamp >= '2025-10-24T00:00:00Z' AND timestamp < '2025-10-26T00:00:00Z'",
            d=truth.codes("decision", "block")[0],
            p=truth.codes("context_pressure", "HIGH", "CRITICAL"),
        )
        shown = f"{ranged:,} of {total:,} decisions match." if ranged else "No decisions match these filters."
        assert apply(page) == shown
        page.fill("#start input, #start textarea", "2025-13-01")
        assert apply(page) == ("Check the filters: start date '2025-13-01' is not a date like 2025-10-25.")
        page.fill("#start input, #start textarea", "2024-01-01")
        page.fill("#end input, #end textarea", "2024-01-31")
        assert apply(page) == "No decisions match these filters."
        page.fill("#start input, #start textarea", "")
        page.fill("#end input, #end textarea", "")
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
        page.fill("#decision-id input, #decision-id textarea", linked[0])
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
            page.screenshot(path=os.environ["TRACTATUS_VIEWER_SCREENSHOT"])
        browser.close()

    assert [r for r in requests if urlparse(r).hostname != "127.0.0.1"] == []
    assert outside.read_text() == ""  # the app's process looked up and called no other host


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
