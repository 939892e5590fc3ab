"""DuckDB's memory limit for the stages that need every row at once (`relational`): its default,
a size given on the command line, and what to say when it is not enough.

    >>> memory_size(" 1.5GiB ")
    '1.5GiB'
    >>> twice("320MB"), twice("1GB"), twice("512MiB")
    ('640MB', '2GB', '1GiB')
"""

from __future__ import annotations

import argparse
import math
import re

__all__ = ["MEMORY_LIMIT", "memory_size", "not_enough", "twice"]

# Measured with the benchmark: 320 MB exports 4,000,000 documents; 256 MB fails there ("failed
# to pin block") while streaming the sorted `full` rows. A larger corpus may need more, which
# `--memory-limit` gives; beyond the limit DuckDB spills to the work folder.
MEMORY_LIMIT = "320MB"

_SIZE = re.compile(r"(\d+(?:\.\d+)?)(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)
_KINDS = (  # each kind's units, largest first
    {"TB": 10**12, "GB": 10**9, "MB": 10**6, "KB": 10**3},
    {"TiB": 2**40, "GiB": 2**30, "MiB": 2**20, "KiB": 2**10},
)
_SCALES = {unit.lower(): (kind, scale) for kind in _KINDS for unit, scale in kind.items()}


def memory_size(text: str) -> str:
    """`text` if it is a memory size as DuckDB reads one (a number and a unit: `320MB`, `2GB`,
    `1.5GiB`), for `--memory-limit`; an argparse error otherwise."""
    match = _SIZE.fullmatch(text.strip())
    if match is None or float(match[1]) == 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a memory size: a number and a unit, e.g. 320MB, 2GB or 1.5GiB"
        )
    return match[0]


def twice(size: str) -> str:
    """The next limit to try: `size` doubled, in the largest unit of its kind that keeps it whole."""
    match = _SIZE.fullmatch(size)
    if match is None:
        raise ValueError(f"not a memory size: {size!r}")
    kind, scale = _SCALES[match[2].lower()]
    doubled = math.ceil(2 * float(match[1]) * scale)
    return next(f"{doubled // one}{unit}" for unit, one in (*kind.items(), ("B", 1)) if doubled % one == 0)


def not_enough(limit: str) -> str:
    """The one line an export that ran out of DuckDB memory ends with."""
    return (
        f"DuckDB needed more than its {limit} memory limit to deduplicate, derive and sort the rows; "
        f"no release was written. Run the export again with a larger --memory-limit (e.g. {twice(limit)}): "
        "it spills to the work folder beyond the limit, so that disk needs room too"
    )
