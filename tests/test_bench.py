"""The benchmarks run end to end and print their figures (the figures themselves are not tested)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tractatus_audit_corpus.memory import MEMORY_LIMIT
from tractatus_audit_corpus.sample import write_sample

BENCH = Path(__file__).parents[1] / "scripts" / "bench.py"


def _printed(script: Path, *args: object) -> list[str]:
    """The lines a benchmark script prints, once it has exited 0."""
    result = subprocess.run(
        [sys.executable, script, *map(str, args)], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_the_benchmark_prints_rates_memory_and_stages_for_both_engines_and_the_baseline(
    tmp_path: Path,
) -> None:
    lines = _printed(
        BENCH, "--records", 300, "--engines", "columnar,python", "--baseline", "--workdir", tmp_path
    )
    figures = r"in [\d.]+ s: [\d,]+ records/s, [\d.,]+ MB/s, peak RSS [\d,]+ MB \(all processes\)"
    documents = (tmp_path / "source-300" / "auditLogs.json").read_text().count("\n")  # the dump's, not legacy
    assert re.fullmatch(
        rf"floor \(DuckDB typed read of the dump\): {documents} records → {documents} rows {figures}",
        lines[2],
    ), lines[2]
    assert re.fullmatch(r"    typed read \(documents, distinct sessions, rule ids\) +[\d.]+ s", lines[3]), (
        lines[3]
    )
    stages = ["read,", "deduplicate,", "write", "leak", "manifest,", "validate"]
    columnar, python = lines[4:13], lines[13:21]
    assert re.fullmatch(rf"export --engine columnar: 300 records → 300 rows {figures}", columnar[0]), (
        columnar[0]
    )
    assert [line.split()[0] for line in columnar[1:7]] == stages
    for line in columnar[1:7] + python[1:7]:  # seconds and peak RSS per stage
        assert re.fullmatch(r"    \S.*\S +[\d.]+ s   peak RSS +[1-9][\d,]* MB", line), line
    # The legacy files' records and the dump's AuditLogger entries (shapes the SQL does not read).
    routed = 300 - documents + (tmp_path / "source-300" / "auditLogs.json").read_text().count('"audit_id"')
    assert columnar[7] == f"    routed through the per-record stages: {routed:,} records", columnar[7]
    assert re.fullmatch(r"export --engine columnar vs the floor: [\d.]+× its time", columnar[8]), columnar[8]
    assert re.fullmatch(rf"export --engine python: 300 records → 300 rows {figures}", python[0]), python[0]
    assert [line.split()[0] for line in python[1:7]] == stages
    assert re.fullmatch(r"export --engine python vs the floor: [\d.]+× its time", python[7]), python[7]
    assert re.fullmatch(r"columnar vs python: [\d.]+× faster", lines[21]), lines[21]
    assert re.fullmatch(rf"baseline: 300 records → 300 rows {figures}", lines[22]), lines[22]
    assert re.fullmatch(r"export --engine columnar vs baseline: [\d.]+× faster", lines[-2]), lines[-2]
    assert re.fullmatch(r"export --engine python vs baseline: [\d.]+× faster", lines[-1]), lines[-1]
    assert (tmp_path / "source-300" / "auditLogs.json").exists()  # kept for the next run


def test_continued_times_a_quarterly_update_of_each_release(tmp_path: Path) -> None:
    lines = _printed(BENCH, "--records", 300, "--engines", "columnar", "--continued", "--workdir", tmp_path)
    start = lines.index(
        next(line for line in lines if line.startswith("export --engine columnar --previous"))
    )
    assert re.fullmatch(
        r"export --engine columnar --previous \(its release\): 300 records → 300 rows in [\d.]+ s: .*",
        lines[start],
    ), lines[start]
    stages = [line.split()[0] for line in lines[start + 1 : start + 8]]
    assert stages == ["check", "read,", "deduplicate,", "write", "leak", "manifest,", "validate"]
    (continued,) = tmp_path.glob("runs-*/continued-columnar/MANIFEST.json")
    manifest = json.loads(continued.read_text())
    assert (manifest["version"], manifest["counts"]["carried"], manifest["counts"]["already_released"]) == (
        "1.0.1", 300, 300
    )  # fmt: skip


def test_an_unknown_engine_is_refused_before_any_work(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, BENCH, "--records", "300", "--engines", "python,polars", "--workdir", tmp_path],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and result.stderr.rstrip().endswith(
        "--engines polars: the engines are columnar and python"
    )
    assert list(tmp_path.iterdir()) == []


def test_the_prototype_without_python_per_record_prints_its_figures(tmp_path: Path) -> None:
    """`scripts/bench_sql_only.py`, which the README's estimate for the 12× target quotes, runs on a
    sample dump, and its pseudonyms computed in SQL are `ExportKey`'s."""
    write_sample(tmp_path / "sample", records=400)
    lines = _printed(BENCH.with_name("bench_sql_only.py"), "--dump", tmp_path / "sample" / "auditLogs.json")
    assert lines[0] == "pseudonyms in SQL equal to ExportKey.pseudonym: 1000 of 1000"
    assert re.fullmatch(
        r"stage 1 in DuckDB, 2 threads, dropped keys counted: [1-9][\d,]* rows in [\d.]+ s", lines[1]
    )
    assert re.fullmatch(r"the same with the lines numbered \(row_number\): [\d.]+ s", lines[2])
    assert re.fullmatch(
        r"leaves of nested dropped metadata \(json_tree\), one thread: [\d.]+ µs a record .*", lines[3]
    )
    assert [re.sub(r"[\d.]+ s$", "", line) for line in lines[4:]] == [
        f"those rows sorted into release order and written by DuckDB, memory limit {memory}: "
        for memory in (MEMORY_LIMIT, "700MB", "2GB")
    ]
