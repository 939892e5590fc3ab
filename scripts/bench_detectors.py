"""Detector throughput: how fast free text is scrubbed and scanned, in records per second.

Each record is the free text one audit record carries (action description, instruction text, title,
parameters, as the sample generator writes them). Compares the guarded detectors (a cheap substring
check before each pattern) with the same detectors unguarded, in the same run.

    python scripts/bench_detectors.py --records 20000
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from tractatus_audit_corpus.sample import write_sample
from tractatus_datasets import detectors
from tractatus_datasets.scrub import detect, scrub

FREE_TEXT_KEYS = (
    "actionType",
    "action_description",
    "instruction_text",
    "content_title",
    "parameters",
    "conflict_details",
    "context",
    "reason",
)


def free_texts(records: int) -> list[str]:
    """The free text of `records` sample records, one string per record."""
    with tempfile.TemporaryDirectory() as folder:
        write_sample(Path(folder) / "sample", records=records)
        lines = (Path(folder) / "sample" / "auditLogs.json").read_text().splitlines()
    texts = []
    for line in lines:
        doc = json.loads(line)
        found = {**doc.get("metadata", {}), **{k: doc[k] for k in ("context", "reason") if k in doc}}
        parts = [v if isinstance(v, str) else json.dumps(v) for k, v in found.items() if k in FREE_TEXT_KEYS]
        texts.append(" | ".join(parts))
    return texts


def measure(label: str, function: Callable[[str], object], texts: list[str]) -> float:
    start = time.perf_counter()
    for text in texts:
        function(text)
    seconds = time.perf_counter() - start
    megabytes = sum(len(t.encode()) for t in texts) / 1e6
    print(
        f"{label:<28} {len(texts) / seconds:>12,.0f} records/s {megabytes / seconds:>8.2f} MB/s {seconds:>8.3f} s"
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=20_000)
    args = parser.parse_args()
    texts = free_texts(args.records)
    print(
        f"{len(texts):,} records, {sum(map(len, texts)) / len(texts):.0f} characters of free text each on average"
    )
    guarded = measure("scrub (guarded)", scrub, texts)
    measure("detect (guarded)", detect, texts)
    original = detectors.DETECTORS
    detectors.DETECTORS = tuple(replace(d, guard=lambda _text: True) for d in original)
    try:
        unguarded = measure("scrub (unguarded)", scrub, texts)
    finally:
        detectors.DETECTORS = original
    print(f"guards save {1 - guarded / unguarded:.0%} of the scrubbing time")


if __name__ == "__main__":
    main()
