"""The columnar engine: each part of a mongoexport dump decoded into typed columns and normalised
by SQL over them, with the per-record engine (`batches.run_records`) as its oracle and its fallback.

How one part becomes rows:

1. `_scan` passes once over the part's bytes (numpy) and finds every line, how many `"$` and
   brackets it holds, and the lines the typed decoder is not trusted with: one that does not start
   with `{` and end with `}`, holds a control character (a tab, a lone `\\r`…) or a `\\u0024`, is
   nested past `records.MAX_DEPTH` by its bracket count, is over the size limit, or is not UTF-8.
2. `msgspec` decodes every other line into `_Doc`, whose fields take only the types the SQL reads
   (a field of another type, an unknown key, NaN or a trailing comma fail the decode). Like
   Python's `json`, it keeps the last of two equal keys. Dropped values are counted by reason as
   `privacy.account_dropped` counts them; a line whose `"$` are not exactly the `$oid`/`$date`
   wrappers the decode took is routed (`bson` would read any other wrapper).
3. `_select` turns the typed columns into corpus values by SQL generated from the tables of
   `mapping` and `privacy`, or routes the row when a value is one the SQL does not take exactly as
   the per-record path would (a non-ASCII boundary, a pre-2020 or impossible time…).
4. Routed lines are read again by `records` and go through `run_records`, so their rows, quarantine
   reasons and counts are the per-record engine's own.

Files that are not plain line-per-record dumps (legacy `decisions-*.jsonl`, `.gz`, `--jsonArray`)
go through the per-record path whole.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import operator
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from datasets import ClassLabel

from tractatus_audit_corpus import mapping
from tractatus_audit_corpus.batches import (
    FULL_SCHEMA,
    PART_SHIFT,
    STEP_SECONDS,
    PartResult,
    Task,
    collector_paused,
    decode_counts,
    run_records,
    with_internal,
)
from tractatus_audit_corpus.fields import EARLIEST_TIME
from tractatus_audit_corpus.models import FullRow, broken_rows
from tractatus_audit_corpus.privacy import METADATA_REASONS, TOP_LEVEL_REASONS, VIOLATION_READ, leaves
from tractatus_audit_corpus.readings import LEVELS_BY_NUMBER, SECTION_KEYS, SEVERITY_ORDER, split_rule_ids
from tractatus_audit_corpus.vocab import (
    BOUNDARIES,
    Action,
    Domain,
    PressureLevel,
    Service,
    Severity,
    SourceFormat,
)
from tractatus_datasets.features import features_of
from tractatus_datasets.gate import Identifiers
from tractatus_datasets.pipeline import Tally, write_scratch
from tractatus_datasets.records import MAX_DEPTH, read_lines
from tractatus_datasets.sources import read_part

__all__ = ["PER_RECORD_ONLY", "run_columnar_part"]

# Tables of `mapping` for the shapes this engine routes whole (the AuditLogger pattern): only the
# per-record engine uses them. A test holds every other table to be used by both engines.
PER_RECORD_ONLY = frozenset({"PATTERN_VERDICTS", "SERVICE_ACTION"})

_CHUNK = 8 << 20  # bytes scanned at a time
_LINES_PER_DECODE = 4_096  # lines decoded into documents at a time
_MEMORY_LIMIT = "200MB"
_SHAPE = SourceFormat.MONGODB_AUDITLOG
_TOP_REASONS = TOP_LEVEL_REASONS[_SHAPE]


# ----------------------------------------------------------------------------------------------
# 1. The scan: where the lines are, and which the decoder must not be given


@dataclass
class _Lines:
    starts: np.ndarray  # each line's first byte, in the block
    ends: np.ndarray  # each line's end (its `\n`, or the end of the block)
    stripped: np.ndarray  # each line's end without a final `\r`
    routed: np.ndarray  # bool: for the per-record path
    dollars: np.ndarray  # how many `"$` each line holds


def _per_line(positions: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """How many of `positions` (sorted byte offsets) fall in each line."""
    owner = np.searchsorted(starts, positions, side="right") - 1
    return np.bincount(owner, minlength=len(starts))


def _scan(block: bytes, limit: int) -> _Lines:
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
    return _Lines(starts, ends, stripped, routed, dollars)


def _blocks(path: Path, start: int, stop: int | None) -> Iterator[tuple[int, bytes]]:
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


# ----------------------------------------------------------------------------------------------
# 2. The typed decode: the types the SQL reads, and dropped values counted as the allow-list does


class _Oid(msgspec.Struct, forbid_unknown_fields=True):
    hex: str = msgspec.field(name="$oid")


class _Date(msgspec.Struct, forbid_unknown_fields=True):
    text: str = msgspec.field(name="$date")


# The metadata keys the SQL reads, by the type it reads them as. Every other known key holds any
# value, and is dropped for the same reason whatever the service (checked below).
_VERDICT_KEYS = sorted({key for key, _ in mapping.VERDICTS.values()})
_READ_METADATA: dict[str, Any] = {
    **dict.fromkeys(["boundary", "domain", "quadrant", "pressure_level", "tractatus_section"], str),
    **dict.fromkeys(_VERDICT_KEYS, str),
    "overall_pressure": float,
    "pressure_level_numeric": int,
}
_ANY_METADATA = sorted(
    {key for reasons in METADATA_REASONS.values() for key in reasons} - set(_READ_METADATA)
)


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
    [(key, kind | None, None) for key, kind in _READ_METADATA.items()]
    + [(key, Any, None) for key in _ANY_METADATA],
    forbid_unknown_fields=True,
)
_FIRST_ANY_METADATA = len(_READ_METADATA)


class _Doc(msgspec.Struct, forbid_unknown_fields=True):
    id: _Oid | str = msgspec.field(name="_id")
    sessionId: str
    action: str
    allowed: bool
    timestamp: _Date | None = None
    createdAt: _Date | None = None
    updatedAt: _Date | None = None
    rulesChecked: msgspec.Raw = msgspec.Raw(b"[]")  # read once per distinct list: `_RuleLists`
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
_REASONS = sorted(
    {why for why in _TOP_REASONS.values() if why}
    | {why for table in METADATA_REASONS.values() for why in table.values() if why}
    | {"unknown_metadata_key"}
)
_REASON = {reason: index for index, reason in enumerate(_REASONS)}
# Where each metadata key that holds any value is counted; a read key counts only a nested value.
_ANY_METADATA_SLOTS = [_REASON[why or "unknown_metadata_key"] for why in _ANY_METADATA_REASONS]
_ANY_METADATA_READ = np.array([why is None for why in _ANY_METADATA_REASONS], bool)
_ANY_METADATA_BY_SLOT = {
    slot: [index for index, other in enumerate(_ANY_METADATA_SLOTS) if other == slot]
    for slot in sorted(set(_ANY_METADATA_SLOTS))
}
_NO_METADATA = (None,) * (len(_READ_METADATA) + len(_ANY_METADATA))
_LEVEL_NUMERIC = list(_READ_METADATA).index("pressure_level_numeric")
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


class _RuleLists:
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


def _decode(
    block: bytes, lines: _Lines, window: slice, routed: np.ndarray, first: int, rule_lists: _RuleLists
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
    counts = np.zeros((len(_REASONS), n), np.int64)

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
        **{f"m_{key}": read[:, index] for index, key in enumerate(_READ_METADATA)},
        "v_strings": v_strings,
        "v_ids": v_ids,
        "v_dropped": v_dropped,
        "v_severities": v_severities,
        "v_odd": v_odd,
        **{f"d_{reason}": counts[slot] for slot, reason in enumerate(_REASONS)},
    }
    return pa.table(columns, schema=_INPUT_SCHEMA).filter(exact)


_ARROW = {str: pa.string(), float: pa.float64(), int: pa.int64()}
_INPUT_SCHEMA = pa.schema(
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
        *((f"m_{key}", _ARROW[kind]) for key, kind in _READ_METADATA.items()),
        ("v_strings", pa.list_(pa.string())),
        ("v_ids", pa.list_(pa.string())),
        ("v_dropped", pa.int64()),
        ("v_severities", pa.list_(pa.string())),
        ("v_odd", pa.int64()),
        *((f"d_{reason}", pa.int64()) for reason in _REASONS),
    ]
)


# ----------------------------------------------------------------------------------------------
# 3. The SQL, generated from the tables the per-record engine reads by


def _text(value: str) -> str:
    """A SQL string literal (vocabulary and key names only; data never becomes SQL text)."""
    return "'" + value.replace("'", "''") + "'"


def _set(values: Any) -> str:
    return "(" + ", ".join(_text(str(v)) for v in sorted(values)) + ")"


def _case(subject: str, table: dict[Any, Any], default: str = "NULL") -> str:
    whens = " ".join(f"WHEN {_text(str(k))} THEN {_text(str(v))}" for k, v in table.items())
    return f"CASE {subject} {whens} ELSE {default} END"


def _column(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_MACROS = [
    # Printable ASCII: what `str.upper()` reads as SQL `upper` does, and `\\d` as `[0-9]`.
    "CREATE MACRO ascii(v) AS regexp_full_match(v, '[ -~]*')",
]

_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](\\.[0-9]{1,9})?Z"


def _time(column: str) -> str:
    """The microseconds since 1970 of a `$date` text, as `records._utc_date` computes them (the
    fraction through a float, truncated); NULL for an impossible date."""
    fraction = f"regexp_extract({column}, '\\.([0-9]+)', 1)"
    micro = f"CASE WHEN {fraction} = '' THEN 0 ELSE trunc(CAST('0.' || {fraction} AS DOUBLE) * 1000000)::BIGINT END"
    return f"(epoch_us(TRY_STRPTIME({column}[1:19], '%Y-%m-%dT%H:%M:%S')) + {micro})"


@functools.cache
def _select() -> str:
    """One SELECT over the typed columns (`docs`) giving each row's values or `route`."""
    action_values = _set(a.value for a in Action)
    service_values = _set(s.value for s in Service)
    default = _text(mapping.DEFAULT_SERVICE.value)
    verdict_key = _case("service", {s.value: key for s, (key, _) in mapping.VERDICTS.items()})
    verdict_value = (
        "CASE verdict_key "
        + " ".join(f"WHEN {_text(key)} THEN {_column('m_' + key)}" for key in _VERDICT_KEYS)
        + " END"
    )
    verdict_decision = (
        "CASE "
        + " ".join(
            f"WHEN service = {_text(s.value)} AND verdict_text = {_text(v)} THEN {_text(d.value)}"
            for s, (_, table) in mapping.VERDICTS.items()
            for v, d in table.items()
        )
        + " END"
    )
    cpm = _text(Service.CONTEXT_PRESSURE_MONITOR.value)
    level_action = _case("level", {level.value: action for level, action in mapping.LEVEL_ACTION.items()})
    by_action = _case("action", {a.value: s.value for a, s in mapping.ACTION_SERVICE.items()})
    string_severity = _case(
        "service",
        {s.value: sev.value for s, sev in mapping.STRING_VIOLATION_SEVERITY.items()},
        _text(Severity.MEDIUM.value),
    )
    outcomes = (
        "CASE decision "
        + " ".join(
            f"WHEN {_text(d.value)} THEN CASE WHEN allowed THEN {_text(went.value)} ELSE {_text(stopped.value)} END"
            for d, (went, stopped) in mapping.OUTCOMES.items()
        )
        + " END"
    )
    (allowed_label, allowed_decision) = mapping.FALLBACK_VERDICTS[True]
    (stopped_label, stopped_decision) = mapping.FALLBACK_VERDICTS[False]
    domains = {
        alias: domain.value
        for alias, domain in mapping.DOMAIN_ALIASES.items()
        if domain is not Domain.UNKNOWN
    }
    boundary_keys = _set(BOUNDARIES)
    section_key = _case("section", SECTION_KEYS)
    boundary_label = _case("upper(boundary_key)", {k: label for k, (_, label) in BOUNDARIES.items()})
    boundary_section = _case("upper(boundary_key)", {k: sec for k, (sec, _) in BOUNDARIES.items() if sec})
    severity_rank = (
        "CASE x " + " ".join(f"WHEN {_text(s.value)} THEN {i}" for i, s in enumerate(SEVERITY_ORDER)) + " END"
    )
    rank_severity = "[" + ", ".join(_text(s.value) for s in SEVERITY_ORDER) + "]"
    levels_by_number = "[" + ", ".join(_text(level.value) for level in LEVELS_BY_NUMBER) + "]"
    level_values = _set(level.value for level in PressureLevel)
    events = {
        "boundary_section_mismatch": "boundary IS NOT NULL AND section IS NOT NULL AND starts_with(section, '12.') "
        f"AND section IS DISTINCT FROM ({boundary_section})",
        "duration_not_a_duration": "duration < 0",
        "pressure_score_out_of_range": "score_raw IS NOT NULL AND NOT score_raw BETWEEN 0 AND 1",
        "rule_reference_dropped": "rule_dropped",
        "service_defaulted": f"service_raw IS NULL AND ({by_action}) IS NULL",
        "service_derived_from_action": f"(service_raw IS NULL OR service_raw = {default}) "
        f"AND ({by_action}) IS DISTINCT FROM service_raw AND ({by_action}) IS NOT NULL",
        "unknown_action": "action = 'other'",
        "unknown_boundary": "boundary_key IS NOT NULL AND boundary IS NULL",
        "unknown_service": f"service_raw IS NOT NULL AND service_raw <> {default} AND service_raw NOT IN {service_values}",
        "unknown_verdict": "verdict_key IS NOT NULL AND verdict_decision IS NULL AND verdict_value IS NOT NULL",
        "verdict_from_allowed_flag": "verdict_decision IS NULL",
        "verdict_from_pressure_level": "from_level",
        "violation_not_understood": "v_odd",
        "violation_text_dropped": "v_dropped",
    }
    encode_events = (
        "concat_ws(';', "
        + ", ".join(
            f"CASE WHEN {_column('e_' + name)} > 0 THEN '{name}=' || {_column('e_' + name)} END"
            for name in sorted(events)
        )
        + ")"
    )
    event_columns = ", ".join(
        f"({sql})::INTEGER AS {_column('e_' + name)}" for name, sql in sorted(events.items())
    )
    # A verdict key is read for its service's rows, and dropped as not in the schema for the others.
    other_verdicts = " + ".join(
        f"({_column('m_' + key)} IS NOT NULL AND verdict_key IS DISTINCT FROM {_text(key)})::INTEGER"
        for key in _VERDICT_KEYS
    )
    dropped = {reason: _column("d_" + reason) for reason in _REASONS}
    dropped["not_in_schema"] += f" + {other_verdicts}"
    encode_dropped = (
        "concat_ws(';', "
        + ", ".join(
            f"CASE WHEN ({count}) > 0 THEN '{reason}=' || ({count}) END" for reason, count in dropped.items()
        )
        + ")"
    )
    other_action, other_service = _text(Action.OTHER.value), _text(Service.OTHER.value)
    not_enforcer = f"service <> {_text(Service.BOUNDARY_ENFORCER.value)}"
    quadrants = [
        _case("upper(domain_top)", domains),
        _case("upper(m_quadrant)", domains),
        f"CASE WHEN {not_enforcer} THEN {_case('upper(m_domain)', domains)} END",
        _text(Domain.UNKNOWN.value),
    ]
    domain = f"coalesce({', '.join(quadrants)})"

    def bad_date(name: str) -> str:
        return f"(NOT regexp_full_match({name}, '{_DATE}') OR {_time(name)} IS NULL)"

    # `createdAt` and `updatedAt` are most often the decision time itself: checked once, then. A
    # `timestamp`'s time is `exact`, itself checked: only its form is checked here.
    bad_dates = f"(ts IS NOT NULL AND NOT regexp_full_match(ts, '{_DATE}')) OR " + " OR ".join(
        f"CASE WHEN {name} IS NULL OR {name} = ts THEN false ELSE {bad_date(name)} END"
        for name in ("created", "updated")
    )
    # Built from vocabularies and key names of our own: no value of the data becomes SQL text.
    return f"""
WITH read AS (
    SELECT *,
        CASE WHEN action_text IN {action_values} THEN action_text ELSE {other_action} END AS action,
        {_time("coalesce(ts, created)")} AS exact,
        m_pressure_level AS level_name,
        m_overall_pressure AS score_raw,
        coalesce(boundary_top, m_boundary) AS boundary_raw,
        coalesce(section_top, m_tractatus_section) AS section
    FROM docs
), derived AS (
    SELECT *,
        CASE WHEN service_raw IS NULL OR service_raw = {default} THEN coalesce({by_action}, {default})
            WHEN service_raw IN {service_values} THEN service_raw ELSE {other_service} END AS service,
        CASE WHEN level_name IN {level_values} AND level_name <> 'UNKNOWN' THEN level_name
            WHEN m_pressure_level_numeric BETWEEN 0 AND 4
            THEN {levels_by_number}[m_pressure_level_numeric + 1]
            ELSE 'UNKNOWN' END AS level
    FROM read
), keyed AS (
    SELECT *, {verdict_key} AS verdict_key FROM derived
), judged AS (
    SELECT *, {verdict_value} AS verdict_value FROM keyed
), decided AS (
    SELECT *, service = {cpm} AND verdict_value IS NULL AND level <> 'UNKNOWN' AS from_level FROM judged
), worded AS (
    SELECT *, CASE WHEN from_level THEN {level_action} ELSE verdict_value END AS verdict_text FROM decided
), verdicts AS (
    SELECT *, {verdict_decision} AS verdict_decision FROM worded
), settled AS (
    SELECT *,
        CASE WHEN verdict_decision IS NOT NULL THEN verdict_text
            WHEN allowed THEN {_text(allowed_label)} ELSE {_text(stopped_label)} END AS verdict,
        coalesce(verdict_decision, CASE WHEN allowed THEN {_text(allowed_decision.value)}
            ELSE {_text(stopped_decision.value)} END) AS decision,
        CASE WHEN boundary_raw IS NULL OR lower(boundary_raw) = 'none'
            THEN coalesce({section_key}, list_filter(v_strings, lambda x: x IN {boundary_keys})[1])
            ELSE boundary_raw END AS boundary_key
    FROM verdicts
), shaped AS (
    SELECT *,
        {boundary_label} AS boundary,
        CASE WHEN score_raw BETWEEN 0 AND 1 THEN score_raw END AS pressure_score,
        CASE WHEN duration >= 0 THEN duration END AS duration_ms,
        {domain} AS domain,
        CASE WHEN len(v_strings) > 0 THEN list_append(v_severities, {string_severity})
            ELSE v_severities END AS _severities
    FROM settled
), final AS (
    SELECT *,
        {outcomes} AS outcome,
        CASE WHEN len(_severities) > 0 THEN {rank_severity}[list_max(list_transform(_severities,
            lambda x: {severity_rank})) + 1] END AS severity,
        v_ids AS violated_rules,
        -- A value the SQL cannot take exactly as the per-record path would: that line is routed.
        (NOT regexp_matches(session_raw, '[!-~]')
        OR NOT regexp_matches(action_text, '[!-~]')
        OR source_id = ''
        OR (id_oid AND NOT regexp_full_match(source_id, '[0-9a-f]{{24}}'))
        OR (user_oid AND NOT regexp_full_match(user, '[0-9a-f]{{24}}'))
        OR exact IS NULL OR exact < {_EARLIEST_US}
        OR {bad_dates}
        OR len(list_filter([boundary_top, section_top, m_boundary, m_tractatus_section],
            lambda x: x IS NOT NULL AND (NOT ascii(x) OR x = ''))) > 0
        OR len(list_filter([domain_top, m_quadrant, m_domain], lambda x: NOT ascii(x))) > 0)
        AS _route
    FROM shaped
), counts AS (
    SELECT *, coalesce(_route, true) AS route, {event_columns} FROM final
)
SELECT line, route, source_id, session_raw AS session, exact,
    service, action, decision, verdict, outcome, boundary, domain, level AS context_pressure, pressure_score,
    rule_at, violated_rules, severity, duration_ms,
    {encode_events} AS events,
    {encode_dropped} AS dropped,
    user, ip, agent
FROM counts
"""  # noqa: S608


_EARLIEST_US = (EARLIEST_TIME - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


@functools.cache
def _connection() -> duckdb.DuckDBPyConnection:
    """This process's connection: a worker runs part after part, on one core."""
    con = duckdb.connect(config={"threads": 1, "memory_limit": _MEMORY_LIMIT})
    con.execute("SET GLOBAL TimeZone = 'UTC'")  # for its cursors too
    for macro in _MACROS:
        con.execute(macro)
    return con


# ----------------------------------------------------------------------------------------------
# 4. Rows, and the routed lines through the per-record path

_FEATURES = features_of(FullRow)
_LABELS = {name: pa.array(f.names) for name, f in _FEATURES.items() if isinstance(f, ClassLabel)}
_SOURCE_FORMAT_CODE = _LABELS["source_format"].to_pylist().index(_SHAPE.value)


def _labels(column: pa.Array, name: str) -> pa.Array:
    return pc.index_in(column, value_set=_LABELS[name])


def _rows(batch: pa.Table, rules: pa.Array, task: Task, result: PartResult) -> tuple[pa.Table, np.ndarray]:
    """The `full` rows (and internal columns) of the accepted rows of a part; `rules` holds the
    rule ids of each distinct `rulesChecked` the rows point at. Rows that break a constraint of
    `FullRow` are left out: their line numbers come back, for the per-record path to judge."""
    part, key, step = task.part, task.key, STEP_SECONDS[task.granularity]
    count = batch.num_rows
    sessions = batch.column("session").to_pylist()
    distinct = sorted(set(sessions))
    pseudonym = dict(zip(distinct, key.pseudonyms("session", distinct), strict=True))
    seconds = pc.divide(batch.column("exact"), 1_000_000)
    coarse = pc.multiply(pc.divide(seconds, step), step)  # whole numbers: `divide` truncates
    columns: dict[str, Any] = {
        "decision_id": pa.array(key.pseudonyms("decision", batch.column("source_id").to_pylist())),
        "timestamp": coarse,
        "session": pa.array([pseudonym[s] for s in sessions]),
        "rules_checked": rules.take(batch.column("rule_at")),
        "coordination": pa.array([[]] * count, FULL_SCHEMA.field("coordination").type),  # derived later
        "source_format": pa.array([_SOURCE_FORMAT_CODE] * count),
    }
    for name in FULL_SCHEMA.names:
        if name not in columns:
            column = batch.column(name)
            columns[name] = _labels(column, name) if name in _LABELS else column
    arrays = [columns[f.name].cast(f.type) for f in FULL_SCHEMA]
    table = pa.Table.from_arrays(arrays, schema=FULL_SCHEMA)
    broken = broken_rows(table)
    if broken.any():
        kept = pa.array(~broken)
        table, batch = table.filter(kept), batch.filter(kept)
    events, dropped = batch.column("events"), batch.column("dropped")
    _add_counts(result.events, events)
    _add_counts(result.dropped, dropped)
    found = Identifiers()  # folded in as fingerprints, not kept as a growing set of strings
    for name in ("session", "source_id", "user", "ip", "agent"):
        found.add_all(pc.unique(batch.column(name)).drop_null().to_pylist())
    result.identifiers.update(found)
    seq = (np.int64(part.index) << PART_SHIFT) | batch.column("line").to_numpy()
    return with_internal(table, (seq, batch.column("exact"), events, dropped)), np.flatnonzero(broken)


def _add_counts(tally: Tally, encoded: pa.ChunkedArray) -> None:
    counts = pc.value_counts(encoded)
    for text, rows in zip(
        counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True
    ):
        for name, count in decode_counts(text).items():
            tally.add(name, count * rows)


def _routed_records(task: Task, starts: np.ndarray, ends: np.ndarray, routed: np.ndarray) -> Iterator[Any]:
    """The records of the routed lines, read as the per-record path reads them."""
    part = task.part
    indices = np.flatnonzero(routed)
    if not len(indices):
        return
    for run in np.split(indices, np.flatnonzero(np.diff(indices) != 1) + 1):
        head, tail = int(run[0]), int(run[-1])
        yield from read_lines(
            part.file, int(starts[head]), int(ends[tail]) + 1, part.first_line + head, task.limit
        )


def _whole_part(task: Task) -> PartResult:
    """The whole part through the per-record path."""
    result = run_records(
        read_part(task.part, task.limit), task.part.index, task.key, task.granularity, task.out
    )
    result.routed = result.read
    return result


def run_columnar_part(task: Task) -> PartResult:
    """The rows of one part, as `batches.run_part` gives them; see the module docstring."""
    part = task.part
    if part.file.kind != "mongoexport" or part.json_array or part.file.path.name.endswith(".gz"):
        return _whole_part(task)
    rule_lists = _RuleLists()
    tables: list[pa.Table] = []
    starts, ends, routed = [], [], []
    first = 0
    with collector_paused():
        for offset, block in _blocks(part.file.path, part.start, part.stop):
            lines = _scan(block, task.limit)
            refused = lines.routed.copy()
            for start in range(0, len(lines.starts), _LINES_PER_DECODE):  # its decoded documents freed soon
                window = slice(start, start + _LINES_PER_DECODE)
                tables.append(_decode(block, lines, window, refused, first, rule_lists))
            starts.append(lines.starts + offset)
            ends.append(lines.ends + offset)
            routed.append(refused)
            first += len(lines.starts)
    every_routed = np.concatenate(routed) if routed else np.zeros(0, bool)
    result = PartResult()
    table = pa.concat_tables(tables) if tables else _INPUT_SCHEMA.empty_table()
    if table.num_rows:
        con = _connection().cursor()  # a cursor of its own: safe in a thread of a Dask worker too
        try:
            con.register("docs", table)
            selected = con.sql(_select()).to_arrow_table()
        finally:
            con.close()
        route = selected.column("route")
        every_routed[selected.filter(route).column("line").to_numpy()] = True
        accepted = selected.filter(pc.invert(route))
        if accepted.num_rows:
            rows, broken = _rows(accepted, rule_lists.array(), task, result)
            every_routed[accepted.column("line").to_numpy()[broken]] = True
            try:
                write_scratch(rows, task.out.with_name(f"{task.out.stem}-columnar.parquet"))
            except OSError as error:  # counted on, as `run_records` does: the quarantine still gets written
                result.error = error
            result.read = result.rows = rows.num_rows
    every_start = np.concatenate(starts) if starts else np.zeros(0, np.int64)
    every_end = np.concatenate(ends) if ends else np.zeros(0, np.int64)
    fallback = run_records(
        _routed_records(task, every_start, every_end, every_routed),
        part.index,
        task.key,
        task.granularity,
        task.out,
        first_line=part.first_line,
    )
    result.read += fallback.read
    result.rows += fallback.rows
    result.routed = fallback.read
    result.rejected = fallback.rejected
    result.events.merge(fallback.events)
    result.dropped.merge(fallback.dropped)
    result.identifiers.update(fallback.identifiers)
    result.error = result.error or fallback.error
    result.identifiers.freeze()
    pa.default_memory_pool().release_unused()  # a worker runs part after part: give back what this one took
    return result
