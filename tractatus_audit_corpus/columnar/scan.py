"""The columnar engine's first step: a part read in blocks of whole lines, and one numpy pass over
each block that finds its lines and the ones the typed decoder must not be given (see the package
docstring for which)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tractatus_datasets.records import MAX_DEPTH

__all__ = ["Lines", "blocks", "scan"]

_CHUNK = 8 << 20  # bytes scanned at a time


@dataclass
class Lines:
    """A block's lines, one entry each, as byte offsets in the block."""

    starts: np.ndarray  # each line's first byte, in the block
    ends: np.ndarray  # each line's end (its `\n`, or the end of the block)
    stripped: np.ndarray  # each line's end without a final `\r`
    routed: np.ndarray  # bool: for the per-record path
    dollars: np.ndarray  # how many `"$` each line holds


def _per_line(positions: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """How many of `positions` (sorted byte offsets) fall in each line."""
    owner = np.searchsorted(starts, positions, side="right") - 1
    return np.bincount(owner, minlength=len(starts))


def scan(block: bytes, limit: int) -> Lines:
    """The lines of `block` (whole lines), those over `limit` bytes or otherwise not for the typed
    decoder marked `routed`."""
    data = np.frombuffer(block, np.uint8)
    control = np.flatnonzero(data < 0x20)
    newline = data[control] == 0x0A
    ends = control[newline]
    starts = np.concatenate(([0], ends + 1))
    if block.endswith(b"\n"):
        starts = starts[:-1]
    else:
        ends = np.append(ends, len(block))
    stripped = ends.copy()
    carriage = (ends > starts) & (data[np.maximum(ends - 1, 0)] == 0x0D)
    stripped[carriage] -= 1
    routed = np.zeros(len(starts), bool)
    others = control[~newline]
    if len(others):
        owner = np.searchsorted(starts, others, side="right") - 1
        routed[owner[others != stripped[owner]]] = True  # any control byte but a final `\r`
    present = stripped > starts
    first = data[starts[present]]
    last = data[stripped[present] - 1]
    routed[present] |= (first != ord("{")) | (last != ord("}"))
    routed |= (stripped - starts) > limit
    brackets = np.flatnonzero((data == ord("{")) | (data == ord("[")))
    routed |= _per_line(brackets, starts) > MAX_DEPTH  # perhaps too deep: `records` tells
    escapes = np.flatnonzero(data[:-5] == ord("\\"))
    if len(escapes):
        dollar = np.ones(len(escapes), bool)
        for offset, byte in enumerate(b"u0024", 1):
            dollar &= data[escapes + offset] == byte
        routed[np.searchsorted(starts, escapes[dollar], side="right") - 1] = True
    dollars = _per_line(np.flatnonzero((data[:-1] == ord('"')) & (data[1:] == ord("$"))), starts)
    beyond_ascii = np.flatnonzero(data >= 0x80)
    if len(beyond_ascii):  # the lines holding such bytes, each decoded to see whether it is UTF-8
        for line in np.unique(np.searchsorted(starts, beyond_ascii, side="right") - 1).tolist():
            try:
                block[starts[line] : stripped[line]].decode("utf-8")
            except UnicodeDecodeError:
                routed[line] = True
    return Lines(starts, ends, stripped, routed, dollars)


def blocks(path: Path, start: int, stop: int | None) -> Iterator[tuple[int, bytes]]:
    """The part from byte `start` to `stop` (None: the end of the file) in blocks of whole lines,
    each with its offset in the file."""
    with path.open("rb") as stream:
        stream.seek(start)
        offset, carry = start, b""
        remaining = -1 if stop is None else stop - start
        while True:
            data = stream.read(_CHUNK if remaining < 0 else min(_CHUNK, remaining))
            if remaining > 0:
                remaining -= len(data)
            block = carry + data
            if data and remaining != 0:
                cut = block.rfind(b"\n") + 1
                block, carry = block[:cut], block[cut:]
            else:
                carry = b""
            if block:
                yield offset, block
                offset += len(block)
            if not data or remaining == 0:
                if carry:
                    yield offset, carry
                return
