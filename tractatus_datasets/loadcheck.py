"""Open a written release with a fresh `datasets.load_dataset`, as a researcher would.

Every config is opened from the folder alone, without importing this package, into a throw-away
cache, and compared with what the spec and the manifest promise: `datasets` resolves the card's
configs to data files and features, its rows are counted from the footers of the files it
resolved, and its first row is streamed. The rows are not read again: `validate` has already
hashed every shard against the manifest and the leak gate has read every row group, so a full
load (which converts every row into an Arrow cache) would only repeat them.

`datasets` reads the folder's path as a pattern: from `q[1]/release` it would load the files of
`q1/release`. A release at such a path is opened through a link to it whose path holds no pattern
character, and a file resolved outside the release is a problem of its own.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import datasets
import pyarrow.parquet as pq

from tractatus_datasets.errors import Problem, out_of_space
from tractatus_datasets.release import PATTERN_CHARACTERS
from tractatus_datasets.spec import ConfigSpec, DatasetSpec

__all__ = ["check_loadable"]


def _check_config(root: Path, config: ConfigSpec, expected: int, cache: str) -> list[Problem]:
    where = f"data/{config.name}"
    try:
        builder = datasets.load_dataset_builder(str(root), config.name, cache_dir=cache)
        features = builder.info.features
        files = builder.config.data_files["train"] if builder.config.data_files else []
        outside = [file for file in files if not Path(file).resolve().is_relative_to(root.resolve())]
        if outside:
            return [Problem(where, None, None, f"load_dataset read files outside the release: {outside[0]}")]
        rows = sum(pq.read_metadata(file).num_rows for file in files)
        streamed = datasets.load_dataset(str(root), config.name, split="train", streaming=True)
        first = next(iter(streamed), None)
    except Exception as error:  # any failure to load is a finding, not a crash…
        if out_of_space(error):
            raise  # …unless the disk is full: that is the operator's to fix, not the release's
        return [Problem(where, None, None, f"load_dataset failed: {type(error).__name__}: {error}")]
    problems = []
    if features != config.features or streamed.features != config.features:
        problems.append(Problem(where, None, None, "loaded features differ from the spec's features"))
    if rows != expected:
        problems.append(Problem(where, None, None, f"loaded {rows} rows, manifest says {expected}"))
    if (first is None) != (expected == 0):
        problems.append(
            Problem(where, None, None, f"streaming gave {'no' if first is None else 'a'} first row")
        )
    return problems


def check_loadable(
    root: Path, spec: DatasetSpec, expected_rows: dict[str, int], scratch: Path | None = None
) -> list[Problem]:
    """Problems found loading each config of the release at `root`; empty when all is well. The
    cache is a new folder under `scratch` (default: the system's temporary folder), removed after."""
    problems = []
    bars_were_on = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        with tempfile.TemporaryDirectory(prefix="tractatus-loadcheck-", dir=scratch) as cache:
            if set(PATTERN_CHARACTERS).intersection(str(root.absolute())):
                alias = Path(cache) / "release"
                alias.symlink_to(root.resolve(), target_is_directory=True)
                root = alias
            for config in spec.configs:
                expected = expected_rows.get(config.name, 0)
                problems += _check_config(root, config, expected, cache)
    finally:
        if bars_were_on:
            datasets.enable_progress_bars()
    return problems
