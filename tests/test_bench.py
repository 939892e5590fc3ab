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
    documents = (tmp_path / "source-300" / "auditLogs.json").read_text().count("\n")  # the dump's, not legacy
    assert re.fullmatch(
        rf"floor \(DuckDB typed read of the dump\): {documents} records → {documents} rows {figures}",
        lines[2],
    ), lines[2]
    assert re.fullmatch(r"    typed read \(documents, distinct sessions, rule ids\) +[\d.]+ s", lines[3]), (
        lines[3]
    )
    assert re.fullmatch(rf"export --engine python: 300 records → 300 rows {figures}", lines[4]), lines[4]
    for line in lines[5:11]:  # seconds and peak RSS per stage
        assert re.fullmatch(r"    \S.*\S +[\d.]+ s   peak RSS +[1-9][\d,]* MB", line), line
    assert [line.split()[0] for line in lines[5:11]] == [
        "read,",
        "deduplicate,",
        "write",
        "leak",
        "manifest,",
        "validate",
    ]
    assert re.fullmatch(r"export --engine python vs the floor: [\d.]+× its time", lines[11]), lines[11]
    assert re.fullmatch(rf"baseline: 300 records → 300 rows {figures}", lines[12]), lines[12]
    assert re.fullmatch(r"export vs baseline: [\d.]+× faster", lines[-1])
    assert (tmp_path / "source-300" / "auditLogs.json").exists()  # kept for the next run


def test_an_engine_not_built_is_refused_before_any_work(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, BENCH, "--records", "300", "--engines", "python,columnar", "--workdir", tmp_path],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and result.stderr.rstrip().endswith(
        "--engines columnar: only the python engine exists so far (the columnar one is issue 25)"
    )
    assert list(tmp_path.iterdir()) == []
