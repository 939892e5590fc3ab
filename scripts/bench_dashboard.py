"""Benchmark of the Governance Metrics Dashboard over a large audit release.

Prints how long the first view takes to be ready (the releases opened, then the first answer of the
running app, cold, through its HTTP API as the page's load event asks for it), then how long each
filter takes: through the query layer in this process (`Dashboard.views`) and end to end through the
app's HTTP API with `gradio_client` (queue, JSON, plot tables and CSV files included), median and
slowest of several runs.

    python scripts/bench_dashboard.py --records 1000000 --workdir /tmp/bench   # builds the release once
    python scripts/bench_dashboard.py --data /tmp/bench/release-1000000 --events build/evolution-log
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench_viewer import build_release, timed  # the same release, timed the same way

from tractatus_dashboard.app import build_app
from tractatus_spaces.aggregates import Scope
from tractatus_spaces.dashboard import Dashboard
from tractatus_spaces.release import Opened

FILTERS = {  # name → (scope, period, measure)
    "no filter, per day": (Scope(), "day", "counts"),
    "no filter, per week, shares": (Scope(), "week", "shares"),
    "one service": (Scope(services=("BoundaryEnforcer",)), "day", "counts"),
    "date range, two services": (
        Scope(start="2025-10-20", end="2025-10-24", services=("ContextPressureMonitor", "BoundaryEnforcer")),
        "day",
        "counts",
    ),
    "an empty range": (Scope(start="2024-01-01", end="2024-01-31"), "week", "counts"),
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, help="an existing audit release folder")
    parser.add_argument("--events", type=Path, help="an Evolution Log release (default: none)")
    parser.add_argument("--records", type=int, default=1_000_000, help="else: build a release of this many")
    parser.add_argument("--workdir", type=Path, help="keep the built source and release here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tractatus-bench-dashboard-") as scratch:
        folder = args.data or build_release(args.records, args.workdir or Path(scratch))
        started = time.perf_counter()
        dashboard = Dashboard(Opened(folder), Opened(args.events) if args.events else None)
        opened = time.perf_counter() - started
        decisions = dashboard.audit.manifest.get("summary", {}).get("decisions", 0)
        cells = dashboard.cells.totals(Scope()).rows[0][1]
        print(
            f"release: {folder} ({decisions:,} decisions in {cells:,} aggregated cells), opened in {opened:.2f} s"
        )

        app = build_app(dashboard)
        app.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, ssr_mode=False)
        from gradio_client import Client

        client = Client(app.local_url, verbose=False, analytics_enabled=False, download_files=False)

        def over_http(scope: Scope, period: str, measure: str) -> None:
            status, *_ = client.predict(
                scope.start, scope.end, list(scope.services), period, measure, api_name="/apply"
            )
            assert not str(status).startswith("**Check"), status

        started = time.perf_counter()
        over_http(Scope(), "day", "counts")  # what the page's load event asks for, cold
        first = opened + time.perf_counter() - started
        print(f"first view ready: {first:.3f} s ({'under' if first < 2 else 'OVER'} 2 s)")
        print(f"{'filter':<32} query layer: median / slowest   app over HTTP: median / slowest")
        slowest = 0.0
        for name, (scope, period, measure) in FILTERS.items():
            local = timed(lambda s=scope, p=period: dashboard.views(s, p))
            http = timed(lambda s=scope, p=period, m=measure: over_http(s, p, m))
            slowest = max(slowest, http[1])
            print(
                f"{name:<32} {local[0]:>8.3f} s / {local[1]:.3f} s            {http[0]:>8.3f} s / {http[1]:.3f} s"
            )
        print(f"slowest filter over HTTP: {slowest:.3f} s ({'under' if slowest < 1 else 'OVER'} 1 s)")
        app.close()


if __name__ == "__main__":
    main()
