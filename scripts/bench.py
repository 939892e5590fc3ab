"""End-to-end benchmark of `export audit`: records/s, MB/s, peak RSS and seconds per stage.

It generates N source documents with the sample generator (credential-shaped text included, so
the scrubbers work), then runs the whole export, leak gate and load check included, in a fresh
process of its own, so that the peak RSS is the export's alone (its worker processes included). `--baseline` also runs, on the
same input in the same run, the straightforward pipeline: `bson.json_util` per line, a pydantic
model per record, `Dataset.from_list`, `to_parquet`; and prints how many times faster the export is.
Every run also prints the floor: DuckDB's typed read of the mongoexport dump alone, every document
read with the columns of `tractatus_audit_corpus.typed_read` (the least a columnar export does).
`--continued` also times a quarterly update: each engine's release continued (`--previous`) by an
export of the same source, which finds every record already released.

    python scripts/bench.py --records 100000 --baseline
    python scripts/bench.py --records 1000000 --engines columnar,python --baseline
    python scripts/bench.py --records 1000000 --workdir /tmp/bench   # keeps the source for next time
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tractatus_audit_corpus.sample import write_sample


def _source_bytes(source: Path) -> int:
    return sum(path.stat().st_size for path in source.rglob("*") if path.is_file())


def run_export(
    source: Path, out: Path, engine: str = "python", previous: Path | None = None
) -> dict[str, Any]:
    """In this process: the export as `tractatus-datasets export audit --engine ENGINE` runs it
    (with `--previous PREVIOUS --version 1.0.1` when `previous` is given)."""
    from tractatus_audit_corpus.builder import AuditOptions, export_audit
    from tractatus_audit_corpus.engines import Engine
    from tractatus_audit_corpus.plugin import incident_links
    from tractatus_datasets.keys import DEMO_KEY, ExportKey
    from tractatus_datasets.parquet import DEFAULT_MAX_SHARD_ROWS
    from tractatus_datasets.plugins import ExportOptions

    version = "1.0.0" if previous is None else "1.0.1"
    options = ExportOptions(
        source=str(source), out=out, version=version, max_shard_rows=DEFAULT_MAX_SHARD_ROWS
    )
    started = time.perf_counter()
    key = ExportKey(DEMO_KEY, demo=True)
    audit = AuditOptions(key=key, links=incident_links(), engine=Engine(engine), previous=previous)
    manifest = export_audit(options, audit)
    return {
        "seconds": time.perf_counter() - started,
        "read": manifest.counts.read,
        "rows": manifest.counts.rows_by_config["full"],
        "routed": manifest.options["engine"].get("routed_records"),
        "stages": options.stages.seconds,
        "spans": options.stages.spans,
    }


def run_floor(source: Path, out: Path) -> dict[str, Any]:
    """In this process: DuckDB's typed read of the mongoexport dump(s), nothing else."""
    from tractatus_audit_corpus.typed_read import read_floor

    dumps = sorted(path for path in source.rglob("*.json") if not path.name.startswith("decisions-"))
    floor = read_floor(dumps)
    return {
        "seconds": floor.seconds,
        "read": floor.documents,
        "rows": floor.documents,
        "stages": {"typed read (documents, distinct sessions, rule ids)": floor.seconds},
    }


def run_baseline(source: Path, out: Path) -> dict[str, Any]:
    """In this process: the straightforward pipeline, record by record, on the same stage functions."""
    import datasets
    from bson import json_util

    from tractatus_audit_corpus.models import FullRow
    from tractatus_audit_corpus.normalise import Normalised, normalise
    from tractatus_audit_corpus.stages import anonymise
    from tractatus_datasets.anonymise import Granularity
    from tractatus_datasets.features import features_of
    from tractatus_datasets.keys import DEMO_KEY, ExportKey
    from tractatus_datasets.pipeline import Tally
    from tractatus_datasets.records import EJSON_OPTIONS, RawRecord

    datasets.disable_progress_bars()
    key, stages = ExportKey(DEMO_KEY, demo=True), {}
    started = time.perf_counter()
    rows, read = [], 0
    files = sorted(path for path in source.rglob("*") if path.is_file())
    for path in files:
        kind = "legacy" if path.name.startswith("decisions-") else "mongoexport"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            read += 1
            doc = json_util.loads(line, json_options=EJSON_OPTIONS)
            record = RawRecord(path.name, number, kind, doc, line)  # type: ignore[arg-type]
            decision = normalise(record, Tally())
            if isinstance(decision, Normalised):
                values = anonymise(decision, key, Granularity.MINUTE)
                rows.append(FullRow.model_validate(values).model_dump())
    stages["parse, normalise, validate"] = time.perf_counter() - started
    mark = time.perf_counter()
    dataset = datasets.Dataset.from_list(rows, features=features_of(FullRow))
    out.mkdir(parents=True)
    dataset.to_parquet(str(out / "full.parquet"))
    stages["Dataset.from_list, to_parquet"] = time.perf_counter() - mark
    return {"seconds": time.perf_counter() - started, "read": read, "rows": len(rows), "stages": stages}


PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree_rss(root: int) -> int:
    """The resident bytes of process `root` and all its descendants (its worker processes)."""
    parents: dict[int, int] = {}
    sizes: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        pid = int(stat.parent.name)
        parents[pid], sizes[pid] = int(fields[1]), int(fields[21]) * PAGE
    tree = {root}
    changed = True  # a child's pid may be lower than its parent's: repeat until nothing is added
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                changed = True
    return sum(sizes.get(pid, 0) for pid in tree)


def measured(kind: str, source: Path, out: Path) -> dict[str, Any]:
    """Run one pipeline in a fresh process; its figures, with the peak RSS of that process and its
    workers together (sampled every 0.1 s), overall and per stage."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", kind, str(source), str(out)],
        stdout=subprocess.PIPE,
        env={**os.environ, "HF_HUB_DISABLE_PROGRESS_BARS": "1"},
    )
    samples: list[tuple[float, int]] = []  # (time.perf_counter(), bytes): the clock the stages use
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            samples.append((time.perf_counter(), _tree_rss(child.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    done.set()
    sampler.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"the {kind} run failed with exit code {child.returncode}")
    figures: dict[str, Any] = json.loads(output)
    peak = max((size for _, size in samples), default=0)
    # The sampler can miss a short spike; the kernel's own peak of the main process cannot.
    figures["peak_rss_mb"] = max(peak, usage.ru_maxrss * 1024) / 1e6
    stage_peaks: dict[str, float] = {}
    for name, start, end in figures.get("spans", []):
        # a stage shorter than the sampling period still gets the samples on either side of it
        inside = [size for moment, size in samples if start - 0.1 <= moment <= end + 0.1]
        stage_peaks[name] = max(stage_peaks.get(name, 0.0), max(inside, default=0) / 1e6)
    figures["stage_peak_rss_mb"] = stage_peaks
    return figures


def report(name: str, figures: dict[str, Any], megabytes: float) -> str:
    seconds = figures["seconds"]
    lines = [
        f"{name}: {figures['read']:,} records → {figures['rows']:,} rows in {seconds:.1f} s: "
        f"{figures['read'] / seconds:,.0f} records/s, {megabytes / seconds:,.1f} MB/s, "
        f"peak RSS {figures['peak_rss_mb']:,.0f} MB (all processes)"
    ]
    peaks = figures.get("stage_peak_rss_mb", {})
    lines += [
        f"    {stage:<48} {spent:7.2f} s" + (f"   peak RSS {peaks[stage]:6,.0f} MB" if stage in peaks else "")
        for stage, spent in figures["stages"].items()
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--baseline", action="store_true", help="also run the straightforward pipeline")
    parser.add_argument(
        "--engines",
        default="columnar,python",
        help="comma-separated export engines to run, each on the same source (default: columnar,python)",
    )
    parser.add_argument(
        "--continued",
        action="store_true",
        help="after each engine's export, export the source again continuing that release "
        "(--previous), as a quarterly update that finds every record already released",
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep the generated source here (default: a temporary folder)"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        write_sample(args.generate, records=args.records)
        return
    if args.child:
        kind, source, out = args.child
        if kind.startswith("export-"):
            print(json.dumps(run_export(Path(source), Path(out), kind.removeprefix("export-"))))
            return
        if kind.startswith("continued-"):
            engine = kind.removeprefix("continued-")
            previous = Path(out).parent / f"export-{engine}"
            print(json.dumps(run_export(Path(source), Path(out), engine, previous)))
            return
        run = {"baseline": run_baseline, "floor": run_floor}[kind]
        print(json.dumps(run(Path(source), Path(out))))
        return
    engines = [name.strip() for name in args.engines.split(",") if name.strip()]
    if unknown := [name for name in engines if name not in ("columnar", "python")]:
        parser.error(f"--engines {unknown[0]}: the engines are columnar and python")
    with tempfile.TemporaryDirectory(prefix="tractatus-bench-") as scratch:
        workdir = args.workdir or Path(scratch)
        source = workdir / f"source-{args.records}"
        if not source.exists():
            started = time.perf_counter()
            # In a process of its own: the kernel counts a parent's resident pages in the peak of
            # every child it forks, until the child execs, so this process must stay small.
            command = [sys.executable, __file__, "--records", str(args.records), "--generate", str(source)]
            subprocess.run(command, check=True)
            print(f"generated {args.records:,} source documents in {time.perf_counter() - started:.1f} s")
        megabytes = _source_bytes(source) / 1e6
        print(f"source: {megabytes:,.1f} MB ({megabytes * 1e6 / args.records:,.0f} bytes a record)")
        runs = Path(tempfile.mkdtemp(prefix="runs-", dir=workdir))
        floor = measured("floor", source, runs / "floor")
        print(report("floor (DuckDB typed read of the dump)", floor, megabytes))
        times: dict[str, float] = {}
        for engine in engines:
            export = measured(f"export-{engine}", source, runs / f"export-{engine}")
            times[engine] = export["seconds"]
            print(report(f"export --engine {engine}", export, megabytes))
            if export.get("routed") is not None:
                print(f"    routed through the per-record stages: {export['routed']:,} records")
            print(
                f"export --engine {engine} vs the floor: {export['seconds'] / floor['seconds']:.1f}× its time"
            )
            if args.continued:
                again = measured(f"continued-{engine}", source, runs / f"continued-{engine}")
                print(report(f"export --engine {engine} --previous (its release)", again, megabytes))
        if {"columnar", "python"} <= set(times):
            print(f"columnar vs python: {times['python'] / times['columnar']:.1f}× faster")
        if args.baseline:
            baseline = measured("baseline", source, runs / "baseline")
            print(report("baseline", baseline, megabytes))
            for engine, seconds in times.items():
                print(f"export --engine {engine} vs baseline: {baseline['seconds'] / seconds:.1f}× faster")


if __name__ == "__main__":
    main()
