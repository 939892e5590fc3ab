"""Benchmark of the Audit Log Viewer: how long one "Apply filters" takes over a large release.

One answer is what the app computes per click (`Release.answer`): the matching count, the newest
100 rows and the two time series (by decision and by pressure level). It is timed twice: through the query layer in this
process, and end to end through the running app's HTTP API with `gradio_client` (queue, JSON and
the plot tables included), each filter several times, median and slowest printed.

    python scripts/bench_viewer.py --records 1000000 --workdir /tmp/bench   # builds the release once
    python scripts/bench_viewer.py --data build/audit-decisions
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tractatus_spaces.decisions import Filters, Release
from tractatus_viewer.app import build_app

FILTERS = {  # name → (filters, plot period)
    "no filter, per day": (Filters(), "day"),
    "decision block, per week": (Filters(decision=("block",)), "week"),
    "pressure HIGH+CRITICAL+DANGEROUS, one service": (
        Filters(pressure=("HIGH", "CRITICAL", "DANGEROUS"), service=("BoundaryEnforcer",)),
        "day",
    ),
    "date range and boundary": (
        Filters(start="2025-10-23", end="2025-10-24", boundary=("12.3 Wisdom",)),
        "day",
    ),
    "search a rule id": (Filters(search="inst_016", outcome=("allowed_with_warning", "blocked")), "week"),
}
REPEAT = 5


def build_release(records: int, workdir: Path) -> Path:
    """A release of `records` sample decisions, exported by the CLI (kept in `workdir` for next time)."""
    script = Path(sys.executable).with_name("tractatus-datasets")
    source, release = workdir / f"source-{records}", workdir / f"release-{records}"
    if not source.exists():
        subprocess.run([script, "sample", "--out", source, "--records", str(records)], check=True)
    if not release.exists():
        started = time.perf_counter()
        export = [script, "export", "audit", "--source", source, "--out", release, "--version", "1.0.0"]
        subprocess.run([*export, "--demo-key"], check=True, stdout=subprocess.DEVNULL)
        print(f"exported {records:,} records in {time.perf_counter() - started:.1f} s")
    return release


def timed(answer: Callable[[], object]) -> tuple[float, float]:
    seconds = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        answer()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), max(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, help="an existing audit release folder")
    parser.add_argument("--records", type=int, default=1_000_000, help="else: build a release of this many")
    parser.add_argument("--workdir", type=Path, help="keep the built source and release here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tractatus-bench-viewer-") as scratch:
        folder = args.data or build_release(args.records, args.workdir or Path(scratch))
        started = time.perf_counter()
        release = Release(folder)
        print(f"release: {folder} ({release.total:,} rows), opened in {time.perf_counter() - started:.2f} s")

        def in_process(filters: Filters, period: str) -> None:
            release.answer(filters, period)

        app = build_app(release)
        app.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, ssr_mode=False)
        from gradio_client import Client

        client = Client(app.local_url, verbose=False, analytics_enabled=False, download_files=False)

        def over_http(filters: Filters, period: str) -> None:
            status, *_ = client.predict(
                filters.search,
                list(filters.service),
                list(filters.decision),
                list(filters.outcome),
                list(filters.pressure),
                list(filters.boundary),
                filters.start,
                filters.end,
                period,
                api_name="/filter",
            )
            assert not str(status).startswith("**Check"), status

        print(
            f"{'filter':<48} {'matches':>9}   query layer: median / slowest   app over HTTP: median / slowest"
        )
        slowest = 0.0
        for name, (filters, period) in FILTERS.items():
            local = timed(lambda f=filters, p=period: in_process(f, p))
            http = timed(lambda f=filters, p=period: over_http(f, p))
            slowest = max(slowest, http[1])
            print(
                f"{name:<48} {release.count(filters):>9,}   {local[0]:>8.3f} s / {local[1]:.3f} s"
                f"            {http[0]:>8.3f} s / {http[1]:.3f} s"
            )
        print(f"slowest answer over HTTP: {slowest:.3f} s ({'under' if slowest < 1 else 'OVER'} 1 s)")
        app.close()


if __name__ == "__main__":
    main()
