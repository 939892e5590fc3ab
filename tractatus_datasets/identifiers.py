"""The raw identifiers of a source (session ids, user ids, IPs…) as the leak gate searches for them:
64-bit fingerprints of each identifier and of its unkeyed md5, sha1 and sha256 digests, sorted, so
that a source's millions of identifiers are neither held nor pickled as strings."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["MIN_IDENTIFIER_LENGTH", "Identifiers"]

MIN_IDENTIFIER_LENGTH = 6  # shorter ids ("s-1") would match ordinary words; they are not searched


# Identifiers are kept as 64-bit fingerprints, not as text: a source has one per record, and the
# gate must not hold millions of strings. A fingerprint is a polynomial hash of the code points
# (mod 2**64), so every window of a text can be fingerprinted at once with numpy; two equal strings
# always agree, so nothing is missed, and a chance collision can only stop a release, never pass one.
_BASE = 0x100000001B3
_INVERSE = pow(_BASE, -1, 1 << 64)
_MASK = (1 << 64) - 1
_DIGEST_LENGTHS = frozenset({16, 32, 40, 64})  # whole md5, sha1, sha256, and their 16/32 prefixes


def _fingerprint(value: str) -> int:
    total = 0
    for char in value:
        total = (total * _BASE + ord(char)) & _MASK
    return total


def _fingerprints(values: list[str]) -> np.ndarray:
    """`_fingerprint` of each of `values` (none empty), all at once."""
    if not values:
        return np.empty(0, dtype=np.uint64)
    text = "".join(values).encode("utf-32-le", "surrogatepass")  # a lone surrogate is its code point
    codes = np.frombuffer(text, dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    ends = np.cumsum(lengths)
    from_end = np.repeat(ends, lengths) - 1 - np.arange(len(codes))  # each code's power of the base
    terms = codes * _powers(_BASE, int(lengths.max()))[from_end]
    prints: np.ndarray = np.add.reduceat(terms, ends - lengths, dtype=np.uint64)
    return prints


_HASHES = ("md5", "sha1", "sha256")


@functools.cache
def _hasher() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(config={"threads": 1})


def _digest_prefixes(values: list[str]) -> np.ndarray:
    """The first 64 bits of the md5, sha1 and sha256 digests of each of `values`' UTF-8, each
    value's three in a row. By DuckDB, on all the values at once: twice as fast as `hashlib`
    value by value, and a source has several identifiers a record."""
    if not values:
        return np.empty(0, dtype=np.uint64)
    heads = ", ".join(f"('0x' || {name}(value)[1:16])::UBIGINT AS {name}" for name in _HASHES)
    con = _hasher().cursor()  # a cursor of its own: safe in a thread of a Dask worker too
    try:
        con.register("identifiers", pa.table({"value": pa.array(values, pa.string())}))
        found = con.execute(f"SELECT {heads} FROM identifiers").fetchnumpy()  # noqa: S608
    finally:
        con.close()
    prefixes: np.ndarray = np.stack([found[name] for name in _HASHES], axis=1).astype(np.uint64)
    return prefixes.reshape(-1)


def _powers(base: int, count: int) -> np.ndarray:
    """base**0 … base**(count - 1), wrapping mod 2**64."""
    factors = np.full(count, base, dtype=np.uint64)
    factors[0] = 1
    powers: np.ndarray = np.cumprod(factors, dtype=np.uint64)
    return powers


def _windows(text: str, lengths: np.ndarray) -> np.ndarray:
    """The fingerprint of every substring of `text` whose length is in `lengths`."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    count = len(codes)
    powers, inverse = _powers(_BASE, count + 1), _powers(_INVERSE, count + 1)
    sums = np.zeros(count + 1, dtype=np.uint64)
    np.cumsum(codes * inverse[:count], dtype=np.uint64, out=sums[1:])
    found = [(sums[size:] - sums[:-size]) * powers[size - 1 : count] for size in lengths if size <= count]
    return np.concatenate(found) if found else np.empty(0, dtype=np.uint64)


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    # Looked up in sorted order, the searches walk the set forwards: about 3x faster on a large set.
    order = np.argsort(values)
    ordered = values[order]
    places = np.minimum(np.searchsorted(sorted_set, ordered), len(sorted_set) - 1)
    found = np.empty(len(values), dtype=bool)
    found[order] = sorted_set[places] == ordered
    return found


_HEX_ONLY = "^[0-9a-fA-F]+$"
_NIBBLES = np.zeros(256, dtype=np.uint64)
for _digit in "0123456789abcdefABCDEF":
    _NIBBLES[ord(_digit)] = int(_digit, 16)


def _hex_prefixes(tokens: pa.Array) -> np.ndarray:
    """The first 16 hex digits of each token (all at least 16 long) as 64-bit integers."""
    heads = pc.utf8_slice_codeunits(tokens, 0, 16).cast(pa.binary())
    offsets = np.frombuffer(heads.buffers()[1], dtype=np.int32)[heads.offset : heads.offset + len(heads) + 1]
    data = np.frombuffer(heads.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    digits = _NIBBLES[data.reshape(len(heads), 16)]
    shifts = np.arange(60, -4, -4, dtype=np.uint64)
    prefixes: np.ndarray = np.bitwise_or.reduce(digits << shifts, axis=1)
    return prefixes


_NONE = np.empty(0, dtype=np.uint64)


def _sorted_union(arrays: list[np.ndarray]) -> np.ndarray:
    """The distinct values of `arrays`, sorted; sorted in place, so that at most about twice
    their size is ever held (`np.unique` would hold four times as much)."""
    joined = np.concatenate(arrays)
    arrays.clear()  # the caller's arrays stay alive only if the caller holds them
    joined.sort()
    if len(joined) < 2:
        return joined
    first = np.empty(len(joined), dtype=bool)
    first[0] = True
    np.not_equal(joined[1:], joined[:-1], out=first[1:])
    distinct: np.ndarray = joined[first]
    return distinct


def _mapped(path: Path | str) -> np.ndarray:
    """A `.npy` file's array, mapped into memory read-only: its pages are read when searched."""
    array: np.ndarray = np.load(path, mmap_mode="r")
    return array


def _remapped(array: np.ndarray) -> np.ndarray:
    return _mapped(array.filename) if isinstance(array, np.memmap) and array.filename else array


class Identifiers:
    """The raw identifiers of a source (session ids, user ids, IPs…) and their unkeyed hashes, as
    fingerprints. Workers fill one each; `update` merges them.

    >>> import hashlib
    >>> ids = Identifiers(["2025-10-07-001", "203.0.113.7", "s-1"])
    >>> [ids.in_text(t) for t in ("session 2025-10-07-001 ended", "from 203.0.113.70", "s-1", "")]
    [True, True, False, False]
    >>> ids.count, ids.is_unkeyed_hash(hashlib.sha1(b"203.0.113.7").hexdigest()[:32].upper())
    (2, True)
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._new: set[str] = set()  # added since the last `freeze`: repeats cost nothing
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []  # from `update`, not yet folded in
        self._prints = self._digests = _NONE
        self._lengths: set[int] = set()
        for value in values:
            self.add(value)

    def add(self, value: str) -> None:
        value = value.strip()
        if len(value) >= MIN_IDENTIFIER_LENGTH:
            self._new.add(value)

    def add_all(self, values: Iterable[str]) -> None:
        """`add` each of `values`."""
        for value in values:
            self.add(value)

    def freeze(self) -> Identifiers:
        """Fold what was added into the sorted fingerprints (small to pickle, quick to search)."""
        if self._new:
            new = list(self._new)
            self._new = set()
            self._lengths.update(map(len, new))
            self._pending.append((_fingerprints(new), _digest_prefixes(new)))
        if self._pending:
            prints = [self._prints, *(p for p, _ in self._pending)]
            digests = [self._digests, *(d for _, d in self._pending)]
            # Only the lists hold the arrays now, so each is freed once it has been joined.
            self._pending = []
            self._prints = self._digests = _NONE
            self._prints = _sorted_union(prints)
            self._digests = _sorted_union(digests)
        return self

    def keep_on_disk(self, folder: Path) -> Identifiers:
        """Fold everything in, then keep the fingerprints in files under `folder`, mapped into
        memory and read only when searched: at 32 bytes an identifier, a large source's need not
        stay resident through the stages that do not search them."""
        self.freeze()
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "prints.npy", self._prints)
        np.save(folder / "digests.npy", self._digests)
        self._prints, self._digests = _mapped(folder / "prints.npy"), _mapped(folder / "digests.npy")
        return self

    def drop_pages(self) -> None:
        """Map the files `keep_on_disk` wrote afresh: the pages a search read stop counting in
        this process's memory (they stay in the system's page cache). Arrays that are not in
        files are left as they are."""
        self.freeze()
        self._prints, self._digests = _remapped(self._prints), _remapped(self._digests)

    def update(self, other: Identifiers) -> None:
        """Add another's identifiers. They are folded in once as many are waiting as are already
        folded, so that a source's millions of identifiers never wait as thousands of arrays, nor
        are re-sorted for every part."""
        other.freeze()
        self._pending.append((other._prints, other._digests))
        self._lengths |= other._lengths
        if sum(len(prints) for prints, _ in self._pending) >= max(len(self._prints), 1 << 16):
            self.freeze()

    @property
    def count(self) -> int:
        return len(self.freeze()._prints)

    def in_text(self, text: str) -> bool:
        """Whether any identifier occurs anywhere in `text`."""
        self.freeze()
        if not self._lengths or len(text) < min(self._lengths):
            return False
        lengths = np.array(sorted(self._lengths), dtype=np.int64)
        return bool(_member(_windows(text, lengths), self._prints).any())

    def is_unkeyed_hash(self, token: str) -> bool:
        """Whether a hex token is an md5, sha1 or sha256 digest of an identifier, whole or cut to
        16 or 32 digits (by its first 64 bits)."""
        return bool(self.unkeyed_hashes([token])[0])

    def unkeyed_hashes(self, tokens: Sequence[str] | pa.Array) -> np.ndarray:
        """`is_unkeyed_hash` of many tokens at once (Python strings, or an Arrow string array
        without nulls), with Arrow and numpy."""
        self.freeze()
        tokens = pa.array(tokens, pa.string()) if not isinstance(tokens, pa.Array) else tokens
        lengths = pc.utf8_length(tokens)
        shaped = pc.and_(
            pc.is_in(lengths, pa.array(sorted(_DIGEST_LENGTHS), lengths.type)),
            pc.match_substring_regex(tokens, _HEX_ONLY),
        ).to_numpy(zero_copy_only=False)
        found = np.zeros(len(tokens), dtype=bool)
        if shaped.any():
            found[shaped] = _member(_hex_prefixes(tokens.filter(pa.array(shaped))), self._digests)
        return found
