"""`scripts/bench.py` runs end to end and prints its figures (the figures themselves are not tested)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[1] / "scripts" / "bench.py"


def test_the_benchmark_prints_rates_memory_and_stages_for_both_pipelines(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, BENCH, "--records", "300", "--baseline", "--workdir", tmp_path],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    figures = r"in [\d.]+ s: [\d,]+ records/s, [\d.,]+ MB/s, peak RSS [\d,]+ MB \(all processes\)"
    assert re.fullmatch(rf"export: 300 records → 300 rows {figures}", lines[2]), lines[2]
    for line in lines[3:9]:  # seconds and peak RSS per stage
        assert re.fullmatch(r"    \S.*\S +[\d.]+ s   peak RSS +[1-9][\d,]* MB", line), line
    assert [line.split()[0] for line in lines[3:9]] == [
        "read,",
        "deduplicate,",
        "write",
        "leak",
        "manifest,",
        "validate",
    ]
    assert re.fullmatch(rf"baseline: 300 records → 300 rows {figures}", lines[9]), lines[9]
    assert re.fullmatch(r"export vs baseline: [\d.]+× faster", lines[-1])
    assert (tmp_path / "source-300" / "auditLogs.json").exists()  # kept for the next run
