"""What every Space's browser test shares: Debian's chromium, a Space's command served on 127.0.0.1
with the network guard in its process, waiting for Gradio to answer, and the visitor's text that
must be shown literally."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.helpers import cli, cli_env, free_port, wait_for_port

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
# What a visitor may type that must never be interpreted: HTML that runs or fetches, Markdown links
# and images (to a host that does not exist here), LaTeX, and Mermaid. Built at run time.
HOSTILE = [
    "<b>bold</b>",
    '<img src="http://images.invalid/x.png" onerror="window.hostile=1">',
    "<script>window.hostile=1</script>",
    "[a link](http://links.invalid/)",
    "![an image](http://images.invalid/y.png)",
    "$x^2$",
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


@dataclass
class Served:
    url: str
    outside: Path  # every lookup of another host by the app's process, one a line

    def outside_calls(self) -> str:
        return self.outside.read_text()


@contextmanager
def serve(folder: Path, *args: str | Path) -> Iterator[Served]:
    """`tractatus-datasets ARGS --port N` with the network guard; yields its URL."""
    port, outside = free_port(), folder / "outside.log"
    outside.touch()
    # No HF_HUB_OFFLINE: nothing but the app itself may keep it from calling out.
    env = {k: v for k, v in cli_env().items() if not k.endswith("_OFFLINE")}
    env |= {"PYTHONPATH": str(NETGUARD), "TRACTATUS_TEST_OUTSIDE_LOG": str(outside)}
    log_path = folder / f"{args[0]}.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            cli(*args, "--port", str(port)), env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_for_port(port, server, f"`{args[0]}` (its output: {log_path})")
            yield Served(f"http://127.0.0.1:{port}/", outside)
        finally:
            server.terminate()
            server.wait(timeout=30)


@contextmanager
def browser_page(requests: list[str]) -> Iterator[Any]:
    """A page in Debian's chromium that records the URL of every request it makes."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("request", lambda request: requests.append(request.url))
            yield page
        finally:
            browser.close()


def elsewhere(requests: list[str]) -> list[str]:
    return [url for url in requests if urlparse(url).hostname != "127.0.0.1"]


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
STATUS = "#status [data-testid=markdown]"


def status(page: Any) -> str:
    page.wait_for_function(IDLE)
    return str(page.inner_text(STATUS)).strip()


def screenshot(page: Any, path: str | None, *, full_page: bool = False) -> None:
    """Save what the page shows at `path` (None: nothing) once no event is running, so that no
    view is caught greyed out half-way through an update."""
    if path:
        page.wait_for_function(IDLE)
        page.screenshot(path=path, full_page=full_page)


def press(page: Any, button: str) -> str:
    """Press `button` (a CSS selector) and return the status line it leads to."""
    page.evaluate(WATCH)
    page.click(button)
    page.wait_for_function("() => window.answered")
    return status(page)


def fill(page: Any, box: str, text: str) -> None:
    page.fill(f"#{box} input, #{box} textarea", text)


def choose(page: Any, box: str, *options: str) -> None:
    for option in options:
        page.click(f"#{box} input")
        page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def assert_literal(page: Any, selector: str, typed: str) -> None:
    """The element shows `typed` as text, and nothing it holds was turned into markup."""
    text = page.inner_text(selector)
    assert typed in text, (typed, text)
    found = page.evaluate(
        "s => [...document.querySelectorAll(s + ' img, ' + s + ' a, ' + s + ' b, ' + s + ' script, ' + s + ' .katex')].length",
        selector,
    )
    assert found == 0, f"{typed!r} was rendered as markup in {selector}"
    assert page.evaluate("() => window.hostile === undefined")
