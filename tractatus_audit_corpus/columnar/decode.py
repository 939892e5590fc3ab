"""The columnar engine's second step: the typed decode of a block's lines into the Arrow columns
the SQL reads (`INPUT_SCHEMA`), with dropped values counted by reason as the allow-list counts them."""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Sequence
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa

from tractatus_audit_corpus import mapping
from tractatus_audit_corpus.columnar.scan import Lines
from tractatus_audit_corpus.privacy import METADATA_REASONS, TOP_LEVEL_REASONS, VIOLATION_READ, leaves
from tractatus_audit_corpus.readings import split_rule_ids
from tractatus_audit_corpus.vocab import Severity, SourceFormat

__all__ = ["INPUT_SCHEMA", "READ_METADATA", "REASONS", "SHAPE", "VERDICT_KEYS", "RuleLists", "decode"]

SHAPE = SourceFormat.MONGODB_AUDITLOG
_TOP_REASONS = TOP_LEVEL_REASONS[SHAPE]


class _Oid(msgspec.Struct, forbid_unknown_fields=True):
    hex: str = msgspec.field(name="$oid")


class _Date(msgspec.Struct, forbid_unknown_fields=True):
    text: str = msgspec.field(name="$date")


# The metadata keys the SQL reads, by the type it reads them as. Every other known key holds any
# value, and is dropped for the same reason whatever the service (checked below).
VERDICT_KEYS = sorted({key for key, _ in mapping.VERDICTS.values()})
READ_METADATA: dict[str, Any] = {
    **dict.fromkeys(["boundary", "domain", "quadrant", "pressure_level", "tractatus_section"], str),
    **dict.fromkeys(VERDICT_KEYS, str),
    "overall_pressure": float,
    "pressure_level_numeric": int,
}
_ANY_METADATA = sorted({key for reasons in METADATA_REASONS.values() for key in reasons} - set(READ_METADATA))


def _uniform_reason(key: str) -> str | None:
    """Why a metadata key that holds any value is dropped: the same for every service (None: a
    key some service reads, counted only when it holds a nested value), or the decode is wrong."""
    (why, *others) = {reasons.get(key, "unknown_metadata_key") for reasons in METADATA_REASONS.values()}
    if others:
        raise RuntimeError(f"metadata key {key!r} is dropped for some services and read for others")
    return why


_ANY_METADATA_REASONS = [_uniform_reason(key) for key in _ANY_METADATA]

_Meta = msgspec.defstruct(
    "_Meta",
    [(key, kind | None, None) for key, kind in READ_METADATA.items()]
    + [(key, Any, None) for key in _ANY_METADATA],
    forbid_unknown_fields=True,
)
_FIRST_ANY_METADATA = len(READ_METADATA)


class _Doc(msgspec.Struct, forbid_unknown_fields=True):
    id: _Oid | str = msgspec.field(name="_id")
    sessionId: str
    action: str
    allowed: bool
    timestamp: _Date | None = None
    createdAt: _Date | None = None
    updatedAt: _Date | None = None
    rulesChecked: msgspec.Raw = msgspec.Raw(b"[]")  # read once per distinct list: `RuleLists`
    violations: list[Any] | None = None
    metadata: _Meta | None = None  # type: ignore[valid-type]
    service: str | None = None
    domain: str | None = None
    boundary: str | None = None
    tractatus_section: str | None = None
    durationMs: float | None = None
    userId: _Oid | str | None = None
    ipAddress: str | None = None
    userAgent: str | None = None
    version: Any = msgspec.field(name="__v", default=None)
    reason: Any = None
    context: Any = None


_DOC_KEYS = {f.encode_name for f in msgspec.structs.fields(_Doc)}
if set(_TOP_REASONS) != _DOC_KEYS:
    raise RuntimeError(
        f"the typed document's keys differ from the allow-list's: {_DOC_KEYS ^ set(_TOP_REASONS)}"
    )

_DECODER = msgspec.json.Decoder(_Doc)
_RULES_DECODER = msgspec.json.Decoder(list[Any] | None)
REASONS = sorted(
    {why for why in _TOP_REASONS.values() if why}
    | {why for table in METADATA_REASONS.values() for why in table.values() if why}
    | {"unknown_metadata_key"}
)
_REASON = {reason: index for index, reason in enumerate(REASONS)}
# Where each metadata key that holds any value is counted; a read key counts only a nested value.
_ANY_METADATA_SLOTS = [_REASON[why or "unknown_metadata_key"] for why in _ANY_METADATA_REASONS]
_ANY_METADATA_READ = np.array([why is None for why in _ANY_METADATA_REASONS], bool)
_ANY_METADATA_BY_SLOT = {
    slot: [index for index, other in enumerate(_ANY_METADATA_SLOTS) if other == slot]
    for slot in sorted(set(_ANY_METADATA_SLOTS))
}
_NO_METADATA = (None,) * (len(READ_METADATA) + len(_ANY_METADATA))
_LEVEL_NUMERIC = list(READ_METADATA).index("pressure_level_numeric")
_HEX24 = re.compile("[0-9a-f]{24}")
_SEVERITIES = frozenset(s.value for s in Severity)
_MEDIUM = Severity.MEDIUM.value
_CONTAINERS = (dict, list)
_NULL = np.array(None, object)
_NONE_READ = np.zeros(3, bool)


def _count(value: Any) -> int:
    """How many values a dropped value holds (none for null), as `privacy.leaves` counts them."""
    if value is None:
        return 0
    return leaves(value) if isinstance(value, _CONTAINERS) else 1


class RuleLists:
    """A part's distinct `rulesChecked` values (sessions repeat the same list), each read once, as
    the per-record engine reads it: its rule ids in order without repeats, and how many of its
    entries are not rule ids."""

    def __init__(self) -> None:
        self.index: dict[bytes, int] = {}
        self.ids: list[list[str]] = []
        self.dropped: list[int] = []
        self.exact: list[bool] = []  # False: not a list; the line is routed

    def at(self, raw: bytes) -> int:
        found = self.index.get(raw)
        if found is None:
            found = self.index[raw] = len(self.ids)
            try:
                rules = _RULES_DECODER.decode(raw) or []
            except msgspec.ValidationError:  # not a list: the per-record path says what it is
                rules = []
                self.exact.append(False)
            else:
                self.exact.append(True)
            ids, dropped = split_rule_ids(rules)
            self.ids.append(ids)
            self.dropped.append(dropped)
        return found

    def array(self) -> pa.Array:
        return pa.array(self.ids, pa.list_(pa.string()))


def _violations(
    items: list[Any], counts: np.ndarray, row: int
) -> tuple[list[str], list[str], int, list[str], int, int]:
    """A row's violations: its string entries; the rule ids they name, each once, in order, as the
    per-record engine reads them (`readings.split_rule_ids`), and how many entries name none; the
    objects' severities; how many entries are neither strings nor objects; and how many `$oid`
    wrappers the objects' `_id`s are. Dropped values go into `counts`."""
    strings: list[str] = []
    texts: list[Any] = []  # None where an object has no string `ruleId`
    severities: list[str] = []
    odd = wrappers = 0
    for item in items:
        if type(item) is str:
            strings.append(item)
            texts.append(item)
        elif type(item) is dict:
            rule = item.get("ruleId")
            texts.append(rule if type(rule) is str else None)
            severity = item.get("severity")
            severities.append(severity if type(severity) is str and severity in _SEVERITIES else _MEDIUM)
            for key, value in item.items():
                if key in VIOLATION_READ or value is None or value == "":
                    continue
                if key == "_id":
                    counts[_REASON["bookkeeping"], row] += _count(value)
                    oid = value.get("$oid") if type(value) is dict and len(value) == 1 else None
                    wrappers += type(oid) is str and _HEX24.fullmatch(oid) is not None
                else:
                    counts[_REASON["free_text"], row] += _count(value)
        else:
            odd += 1
    ids, dropped = split_rule_ids(texts)
    return strings, ids, dropped, severities, odd, wrappers


def _present(values: Sequence[Any], n: int) -> np.ndarray:
    """1 for each value that is not None, else 0."""
    return np.fromiter(map(operator.is_not, values, itertools.repeat(None)), np.int64, n)


def _weights(values: np.ndarray, nested_only: np.ndarray) -> np.ndarray:
    """How many values each of `values` (objects, a column per key) holds when dropped, as `_count`
    counts them; a scalar counts none in a column of `nested_only` (a key read when it is one)."""
    weights: np.ndarray = np.not_equal(values, _NULL).astype(np.int64)
    flat, at = values.ravel(), np.flatnonzero(weights)
    found = flat[at]
    nested = np.fromiter(map(isinstance, found, itertools.repeat(_CONTAINERS)), bool, len(found))
    cells = weights.ravel()  # a view: setting a cell sets `weights`
    cells[at[nested]] = [leaves(value) for value in found[nested]]
    cells[at[~nested & nested_only[at % values.shape[1]]]] = 0
    return weights


def decode(
    block: bytes, lines: Lines, window: slice, routed: np.ndarray, first: int, rule_lists: RuleLists
) -> pa.Table:
    """The typed columns of the block's lines in `window` that are not routed (`first`: the block's
    first line's index in the part). A line the decode refuses, or whose `"$` are other wrappers,
    is marked in `routed`."""
    view = memoryview(block)
    decode = _DECODER.decode
    starts, ends = lines.starts.tolist(), lines.stripped.tolist()
    docs: list[Any] = []
    taken: list[int] = []
    wanted = ~lines.routed[window] & (lines.stripped[window] > lines.starts[window])
    for index in (np.flatnonzero(wanted) + window.start).tolist():
        try:
            docs.append(decode(view[starts[index] : ends[index]]))
        except (msgspec.DecodeError, msgspec.ValidationError):
            routed[index] = True
        else:
            taken.append(index)
    at = np.array(taken, np.int64)
    n = len(docs)
    counts = np.zeros((len(REASONS), n), np.int64)

    ids = [doc.id for doc in docs]
    id_oid = [type(value) is _Oid for value in ids]
    users = [doc.userId for doc in docs]
    user_oid = [type(value) is _Oid for value in users]
    ips = [doc.ipAddress for doc in docs]
    agents = [doc.userAgent for doc in docs]
    stamps = [doc.timestamp for doc in docs]
    created = [doc.createdAt for doc in docs]
    updated = [doc.updatedAt for doc in docs]
    wrappers = _present(stamps, n) + _present(created, n) + _present(updated, n)
    wrappers += np.array(id_oid, np.int64) + np.array(user_oid, np.int64)
    counts[_REASON["personal"]] += _present(users, n) + _present(ips, n) + _present(agents, n)
    counts[_REASON["bookkeeping"]] += _present(created, n) + _present(updated, n)
    anything = np.fromiter(  # `__v`, `reason`, `context`: dropped whatever they hold
        itertools.chain.from_iterable((doc.version, doc.reason, doc.context) for doc in docs), object, n * 3
    ).reshape(n, 3)
    held = _weights(anything, _NONE_READ)
    counts[_REASON["bookkeeping"]] += held[:, 0]
    counts[_REASON["free_text"]] += held[:, 1] + held[:, 2]
    empty: list[Any] = []
    v_strings, v_ids, v_severities = [empty] * n, [empty] * n, [empty] * n
    v_dropped, v_odd = np.zeros(n, np.int64), np.zeros(n, np.int64)
    violations = [doc.violations for doc in docs]
    for row in np.flatnonzero(np.fromiter(map(bool, violations), bool, n)).tolist():
        v_strings[row], v_ids[row], v_dropped[row], v_severities[row], v_odd[row], found = _violations(
            violations[row], counts, row
        )
        wrappers[row] += found
    width = len(_NO_METADATA)
    metadata = np.fromiter(  # a row per document, a column per key: each value as decoded
        itertools.chain.from_iterable(
            _NO_METADATA if doc.metadata is None else msgspec.structs.astuple(doc.metadata) for doc in docs
        ),
        object,
        n * width,
    ).reshape(n, width)
    read = metadata[:, :_FIRST_ANY_METADATA]
    held = _weights(metadata[:, _FIRST_ANY_METADATA:], _ANY_METADATA_READ)
    for slot, keys in _ANY_METADATA_BY_SLOT.items():
        counts[slot] += held[:, keys].sum(axis=1)
    rule_at = np.fromiter((rule_lists.at(bytes(doc.rulesChecked)) for doc in docs), np.int64, n)
    exact = np.array(rule_lists.exact, bool)[rule_at] if n else np.zeros(0, bool)
    exact &= wrappers == lines.dollars[at]  # else another Extended JSON wrapper, or a `"$` in a string
    exact &= np.fromiter(
        (level is None or -(1 << 62) < level < (1 << 62) for level in read[:, _LEVEL_NUMERIC]), bool, n
    )  # a 64-bit integer holds it
    routed[at[~exact]] = True
    columns = {
        "line": at + first,
        "source_id": [value.hex if type(value) is _Oid else value for value in ids],
        "id_oid": id_oid,
        "session_raw": [doc.sessionId for doc in docs],
        "action_text": [doc.action for doc in docs],
        "allowed": [doc.allowed for doc in docs],
        "service_raw": [doc.service for doc in docs],
        "ts": [None if value is None else value.text for value in stamps],
        "created": [None if value is None else value.text for value in created],
        "updated": [None if value is None else value.text for value in updated],
        "rule_at": rule_at,
        "rule_dropped": np.array(rule_lists.dropped, np.int64)[rule_at] if n else np.zeros(0, np.int64),
        "domain_top": [doc.domain for doc in docs],
        "boundary_top": [doc.boundary for doc in docs],
        "section_top": [doc.tractatus_section for doc in docs],
        "duration": [doc.durationMs for doc in docs],
        "user_oid": user_oid,
        "user": [value.hex if type(value) is _Oid else value for value in users],
        "ip": ips,
        "agent": agents,
        **{f"m_{key}": read[:, index] for index, key in enumerate(READ_METADATA)},
        "v_strings": v_strings,
        "v_ids": v_ids,
        "v_dropped": v_dropped,
        "v_severities": v_severities,
        "v_odd": v_odd,
        **{f"d_{reason}": counts[slot] for slot, reason in enumerate(REASONS)},
    }
    return pa.table(columns, schema=INPUT_SCHEMA).filter(exact)


_ARROW = {str: pa.string(), float: pa.float64(), int: pa.int64()}
INPUT_SCHEMA = pa.schema(
    [
        ("line", pa.int64()),
        ("source_id", pa.string()),
        ("id_oid", pa.bool_()),
        ("session_raw", pa.string()),
        ("action_text", pa.string()),
        ("allowed", pa.bool_()),
        ("service_raw", pa.string()),
        ("ts", pa.string()),
        ("created", pa.string()),
        ("updated", pa.string()),
        ("rule_at", pa.int64()),
        ("rule_dropped", pa.int64()),
        ("domain_top", pa.string()),
        ("boundary_top", pa.string()),
        ("section_top", pa.string()),
        ("duration", pa.float64()),
        ("user_oid", pa.bool_()),
        ("user", pa.string()),
        ("ip", pa.string()),
        ("agent", pa.string()),
        *((f"m_{key}", _ARROW[kind]) for key, kind in READ_METADATA.items()),
        ("v_strings", pa.list_(pa.string())),
        ("v_ids", pa.list_(pa.string())),
        ("v_dropped", pa.int64()),
        ("v_severities", pa.list_(pa.string())),
        ("v_odd", pa.int64()),
        *((f"d_{reason}", pa.int64()) for reason in REASONS),
    ]
)
