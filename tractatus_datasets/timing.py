"""Wall time per stage of an export, for the benchmark and for anyone asking where the time went.

>>> stages = Stages()
>>> with stages("write"):
...     pass
>>> list(stages.seconds)
['write']
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Stages"]


class Stages:
    """Seconds spent in each named stage, in the order the stages first ran; a stage entered
    twice adds up."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.spans: list[tuple[str, float, float]] = []  # (stage, start, end) on `time.perf_counter`

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            end = time.perf_counter()
            self.seconds[name] = self.seconds.get(name, 0.0) + end - start
            self.spans.append((name, start, end))
