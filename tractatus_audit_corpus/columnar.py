"""The columnar engine: a mongoexport dump read and normalised by DuckDB, a part at a time, with the
per-record engine (`batches.run_records`) as its oracle and its fallback.

How one part of a dump becomes rows:

1. `_scan` passes once over the part's bytes (numpy) and finds every line, and the lines the JSON
   reader is not trusted with: one that does not start with `{` and end with `}`, holds a control
   character (a tab, a lone `\\r`…), a space or comma before a closing bracket (DuckDB accepts
   trailing commas, Python's json does not), is over the size limit, or is not UTF-8.
2. DuckDB reads the part twice side by side, positionally: the known fields as JSON text, and each
   line whole. `_select` turns every row either into corpus values, by SQL generated from the
   tables of `mapping` and `privacy`, or into a *routed* row: any row whose values the SQL cannot
   take exactly as the per-record path would (a wrong type, an Extended JSON form other than
   `$oid`/`$date`, an unknown or repeated key, a non-ASCII boundary, NaN, a pre-2020 time…).
3. Routed lines are read again by `records` and go through `run_records`, so their rows,
   quarantine reasons and counts are the per-record engine's own.

Files that are not plain line-per-record dumps (legacy `decisions-*.jsonl`, `.gz`, `--jsonArray`)
are routed whole. Should DuckDB's rows not pair one to one with the lines, the whole part is.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
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
    decode_counts,
    run_records,
    with_internal,
)
from tractatus_audit_corpus.fields import EARLIEST_TIME
from tractatus_audit_corpus.models import FullRow, check_rows
from tractatus_audit_corpus.privacy import METADATA_REASONS, TOP_LEVEL_REASONS, VIOLATION_READ
from tractatus_audit_corpus.readings import LEVELS_BY_NUMBER, SECTION_KEYS, SEVERITY_ORDER
from tractatus_audit_corpus.vocab import (
    BOUNDARIES,
    RULE_ID_PATTERN,
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
from tractatus_datasets.records import read_lines
from tractatus_datasets.release import PATTERN_CHARACTERS
from tractatus_datasets.sources import Part, read_part

__all__ = ["PER_RECORD_ONLY", "run_columnar_part"]

# Tables of `mapping` for the shapes this engine routes whole (the AuditLogger pattern): only the
# per-record engine uses them. A test holds every other table to be used by both engines.
PER_RECORD_ONLY = frozenset({"PATTERN_VERDICTS", "SERVICE_ACTION"})

_CHUNK = 64 << 20  # bytes scanned at a time
_ROWS_PER_FILE = 20_000  # rows per scratch file
_MEMORY_LIMIT = "200MB"
_SHAPE = SourceFormat.MONGODB_AUDITLOG
_TOP_REASONS = TOP_LEVEL_REASONS[_SHAPE]
_METADATA_KEYS = sorted({key for reasons in METADATA_REASONS.values() for key in reasons})


# ----------------------------------------------------------------------------------------------
# 1. The scan: where the lines are, and which the reader must not be given


@dataclass
class _Lines:
    starts: np.ndarray  # each line's first byte, in the file
    ends: np.ndarray  # each line's end (its `\n`, or the end of the part)
    stripped: np.ndarray  # each line's end without a final `\r`
    routed: np.ndarray  # bool: for the per-record path


def _scan_block(block: bytes, base: int, limit: int) -> _Lines:
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
    closing = (data[1:] == ord("}")) | (data[1:] == ord("]"))
    before = data[:-1]
    odd = np.flatnonzero(closing & ((before == ord(",")) | (before == ord(" "))))
    if len(odd):
        routed[np.searchsorted(starts, odd, side="right") - 1] = True
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        for line, (start, end) in enumerate(zip(starts.tolist(), stripped.tolist(), strict=True)):
            try:
                block[start:end].decode("utf-8")
            except UnicodeDecodeError:
                routed[line] = True
    return _Lines(starts + base, ends + base, stripped + base, routed)


def _scan(path: Path, start: int, stop: int | None, limit: int) -> _Lines:
    """Every line of the part from byte `start` to `stop` (None: the end of the file)."""
    found: list[_Lines] = []
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
                found.append(_scan_block(block, offset, limit))
                offset += len(block)
            if not data or remaining == 0:
                if carry:
                    found.append(_scan_block(carry, offset, limit))
                break
    if not found:
        empty = np.zeros(0, np.int64)
        return _Lines(empty, empty, empty, np.zeros(0, bool))
    return _Lines(*(np.concatenate([getattr(f, name) for f in found]) for name in _Lines.__annotations__))


def _reader_input(path: Path, part: Part, lines: _Lines, scratch: Path) -> tuple[Path, np.ndarray]:
    """The file DuckDB reads, and which lines give its rows. When some lines are routed (or the part
    is a stretch of a file), a copy in which each routed line reads as `{}`, or as a blank line if
    the per-record path would skip it: then DuckDB's rows still pair with the lines."""
    routed, blank = lines.routed, lines.stripped == lines.starts
    if part.start == 0 and part.stop is None and not routed.any():
        return path, np.flatnonzero(~blank)
    copy = scratch / f"reader-{part.index:06d}.json"
    rows = ~blank
    with path.open("rb") as source, copy.open("wb") as out:
        source.seek(part.start)
        position = part.start
        for line in np.flatnonzero(routed).tolist():
            start, end = int(lines.starts[line]), int(lines.ends[line])
            out.write(source.read(start - position))
            text = source.read(end - start)
            position = end
            is_blank = not text.rstrip(b"\r").strip()
            out.write(b"" if is_blank else b"{}")
            rows[line] = not is_blank
        out.write(source.read(-1 if part.stop is None else part.stop - position))
    return copy, np.flatnonzero(rows)


# ----------------------------------------------------------------------------------------------
# 2. The SQL, generated from the tables the per-record engine reads by


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
    # The string a JSON text holds, or NULL when it is not a string.
    """CREATE MACRO jstr(v) AS CASE WHEN (v::VARCHAR)[1] = '"' THEN
        CASE WHEN contains(v::VARCHAR, '\\') THEN json_extract_string(v::VARCHAR, '$') ELSE (v::VARCHAR)[2:-2] END END""",
    # A JSON string of printable ASCII without escapes: what `str.upper()` reads as SQL `upper` does.
    """CREATE MACRO plain(v) AS regexp_full_match(v::VARCHAR, '"[ !#-\\[\\]-~]*"')""",
    # A finite number, as Python's `float` reads the same text; NULL for anything else.
    """CREATE MACRO num(v) AS CASE WHEN regexp_full_match(v::VARCHAR, '-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?')
        AND isfinite(TRY_CAST(v::VARCHAR AS DOUBLE)) THEN CAST(v::VARCHAR AS DOUBLE) END""",
    """CREATE MACRO container(v) AS (v::VARCHAR)[1] IN ('{', '[')""",
    # Whether a container holds another (its text has a bracket after the first character).
    """CREATE MACRO nests(v) AS regexp_matches(v::VARCHAR, '^.[^\\[{]*[\\[{]')""",
    # How many values a dropped value holds, as `privacy._leaves` counts them.
    """CREATE MACRO leaves(v) AS CASE WHEN v IS NULL THEN 0 WHEN NOT container(v) THEN 1
        WHEN NOT nests(v) THEN greatest(1, CASE WHEN (v::VARCHAR)[1] = '{' THEN len(json_keys(v::VARCHAR))
            ELSE json_array_length(v::VARCHAR) END)
        ELSE greatest(1, len(list_filter(json_extract(v::VARCHAR, '$..*')::VARCHAR[],
            lambda x: NOT container(x) OR x IN ('{}', '[]')))) END""",
    """CREATE MACRO repeats(v) AS (v::VARCHAR)[1] = '{'
        AND len(json_keys(v::VARCHAR)) <> len(list_distinct(json_keys(v::VARCHAR)))""",
    # Whether an object at any depth repeats a key (Python keeps the last value, DuckDB the first).
    """CREATE MACRO nested_repeats(v) AS container(v) AND (repeats(v) OR (nests(v) AND
        len(list_filter(json_extract(v::VARCHAR, '$..*')::VARCHAR[], lambda x: repeats(x))) > 0))""",
    """CREATE MACRO ordered_distinct(l) AS list_filter(l, lambda x, i: list_position(l, x) = i)""",
]

_OID = '\\{"\\$oid":"[0-9a-f]{24}"\\}'
_DATE = '\\{"\\$date":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](\\.[0-9]{1,9})?Z"\\}'
_RULE = RULE_ID_PATTERN.removeprefix("^").removesuffix("$")
_SIMPLE_LIST = '\\[("[ !#-\\[\\]-~]*"(,"[ !#-\\[\\]-~]*")*)?\\]'


def _time(column: str) -> str:
    """The microseconds since 1970 of a `{"$date": "…Z"}`, as `records._utc_date` computes them
    (the fraction through a float, truncated); NULL for an impossible date."""
    text = f"{column}[11:-4]"
    fraction = f"regexp_extract({text}, '\\.([0-9]+)', 1)"
    micro = f"CASE WHEN {fraction} = '' THEN 0 ELSE trunc(CAST('0.' || {fraction} AS DOUBLE) * 1000000)::BIGINT END"
    return f"(epoch_us(TRY_STRPTIME({text}[1:19], '%Y-%m-%dT%H:%M:%S')) + {micro})"


def _metadata_reason(key: str) -> str:
    """SQL: why metadata key `key` is dropped for the row's service (NULL when read as a scalar)."""
    by_service = {
        service.value: METADATA_REASONS[service].get(key, "unknown_metadata_key") for service in Service
    }
    kinds = set(by_service.values())
    if kinds == {None}:
        reason = "NULL"
    elif len(kinds) == 1:
        reason = _text(str(kinds.pop()))
    else:
        reason = (
            "CASE service "
            + " ".join(
                f"WHEN {_text(name)} THEN {'NULL' if why is None else _text(why)}"
                for name, why in by_service.items()
            )
            + " END"
        )
    column = f"m.{_column(key)}"
    return (
        f"CASE WHEN ({reason}) IS NULL AND container({column}) THEN 'unknown_metadata_key' ELSE {reason} END"
    )


@functools.cache
def _select() -> str:
    """One SELECT over the typed and whole rows (`typed`, `whole`) giving each row's values or `route`."""
    top = {name: _column("src_" + name) for name in _TOP_REASONS}  # apart from the names made below
    renamed = ", ".join(f"t.{_column(name)}::VARCHAR AS {column}" for name, column in top.items())
    metadata_spec = "{" + ", ".join(f'"{key}": "JSON"' for key in _METADATA_KEYS) + "}"
    metadata_type = "STRUCT(" + ", ".join(f"{_column(key)} VARCHAR" for key in _METADATA_KEYS) + ")"
    action_values = _set(a.value for a in Action)
    service_values = _set(s.value for s in Service)
    default = _text(mapping.DEFAULT_SERVICE.value)
    verdict_key = _case("service", {s.value: key for s, (key, _) in mapping.VERDICTS.items()})
    verdict_json = (
        "CASE verdict_key "
        + " ".join(
            f"WHEN {_text(key)} THEN m.{_column(key)}"
            for key in sorted({k for k, _ in mapping.VERDICTS.values()})
        )
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
    top_reason_sql = {
        column: _text(reason) for name, reason in _TOP_REASONS.items() if reason for column in [top[name]]
    }
    # Every value that may be dropped, with the reason it would be (NULL: read, not dropped).
    dropped_values = (
        "["
        + ", ".join(
            [f"{{'r': {reason}, 'v': {column}}}" for column, reason in top_reason_sql.items()]
            + [f"{{'r': {_metadata_reason(key)}, 'v': m.{_column(key)}}}" for key in _METADATA_KEYS]
        )
        + "]"
    )
    violation_read = _set(VIOLATION_READ)
    known_top = "[" + ", ".join(_text(name) for name in sorted(_TOP_REASONS)) + "]"
    known_meta = "[" + ", ".join(_text(name) for name in _METADATA_KEYS) + "]"
    rule = _text(_RULE)
    simple_list = f"regexp_full_match({top['rulesChecked']}, '{_SIMPLE_LIST}')"
    not_a_number = "regexp_matches(_j, '(?i)[:,\\[]-?(nan|inf)')"
    dollars = "(strlen(_j) - strlen(replace(_j, '\"$', ''))) // 2"
    events = {
        "boundary_section_mismatch": "boundary IS NOT NULL AND section IS NOT NULL AND starts_with(section, '12.') "
        f"AND section IS DISTINCT FROM ({boundary_section})",
        "duration_not_a_duration": f"{top['durationMs']} IS NOT NULL AND coalesce(num({top['durationMs']}) < 0, true)",
        "pressure_score_out_of_range": "score_raw IS NOT NULL AND NOT score_raw BETWEEN 0 AND 1",
        "rule_reference_dropped": "len(rules) - len(_rule_ids)",
        "service_defaulted": f"service_raw IS NULL AND ({by_action}) IS NULL",
        "service_derived_from_action": f"(service_raw IS NULL OR service_raw = {default}) "
        f"AND ({by_action}) IS DISTINCT FROM service_raw AND ({by_action}) IS NOT NULL",
        "unknown_action": "action = 'other'",
        "unknown_boundary": "boundary_key IS NOT NULL AND boundary IS NULL",
        "unknown_service": f"service_raw IS NOT NULL AND service_raw <> {default} AND service_raw NOT IN {service_values}",
        "unknown_verdict": "verdict_key IS NOT NULL AND verdict_decision IS NULL AND verdict_json IS NOT NULL",
        "verdict_from_allowed_flag": "verdict_decision IS NULL",
        "verdict_from_pressure_level": "from_level",
        "violation_not_understood": "len(list_filter(items, lambda x: x[1] NOT IN ('\"', '{')))",
        "violation_text_dropped": "len(candidates) - len(_violation_ids)",
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
    # Every reason a value is dropped for, as the allow-list's tables name them.
    reasons = sorted(
        {why for why in _TOP_REASONS.values() if why}
        | {why for table in METADATA_REASONS.values() for why in table.values() if why}
        | {"unknown_metadata_key"}
    )
    dropped_columns = ", ".join(
        f"coalesce(list_sum(list_transform(list_filter(_counted, lambda p: p.r = {_text(reason)}), lambda p: p.n)), 0)"
        f" AS {_column('d_' + reason)}"
        for reason in reasons
    )
    encode_dropped = (
        "concat_ws(';', "
        + ", ".join(
            f"CASE WHEN {_column('d_' + reason)} > 0 THEN '{reason}=' || {_column('d_' + reason)} END"
            for reason in reasons
        )
        + ")"
    )
    user = top["userId"]
    user_identifier = (
        f"CASE WHEN regexp_full_match({user}, '{_OID}') THEN {user}[10:-3] ELSE jstr({user}) END"
    )
    metadata_struct = f"json_transform({top['metadata']}, '{metadata_spec}')::{metadata_type}"
    violation_items = f"json_extract({top['violations']}, '$[*]')::VARCHAR[]"
    action_text = f"jstr({top['action']})"
    other_action, other_service = _text(Action.OTHER.value), _text(Service.OTHER.value)
    source_id = f"CASE WHEN regexp_full_match({top['_id']}, '{_OID}') THEN {top['_id']}[10:-3] ELSE jstr({top['_id']}) END"
    not_enforcer = f"service <> {_text(Service.BOUNDARY_ENFORCER.value)}"
    quadrants = [
        _case(f"upper(jstr({top['domain']}))", domains),
        _case("upper(jstr(m.quadrant))", domains),
        f"CASE WHEN {not_enforcer} THEN {_case('upper(jstr(m.domain))', domains)} END",
        _text(Domain.UNKNOWN.value),
    ]
    domain = f"coalesce({', '.join(quadrants)})"
    severity_values, medium = _set(s.value for s in SEVERITY_ORDER), _text(Severity.MEDIUM.value)
    bad_dates = " OR ".join(
        f"({top[name]} IS NOT NULL AND (NOT regexp_full_match({top[name]}, '{_DATE}') OR {_time(top[name])} IS NULL))"
        for name in ("timestamp", "createdAt", "updatedAt")
    )
    # Built from vocabularies and key names of our own: no value of the data becomes SQL text.
    return f"""
WITH rows AS (
    SELECT {renamed}, whole.json::VARCHAR AS _j FROM typed AS t POSITIONAL JOIN whole
), docs AS (
    SELECT *, json_keys(_j) AS _keys,
        CASE WHEN {top["metadata"]}[1] = '{{' THEN {metadata_struct} END AS m,
        CASE WHEN {top["metadata"]}[1] = '{{' THEN json_keys({top["metadata"]}) END AS _meta_keys,
        CASE WHEN {top["violations"]}[1] = '[' THEN {violation_items} ELSE [] END AS items
    FROM rows
), read AS (
    SELECT *,
        jstr({top["sessionId"]}) AS session_raw,
        CASE WHEN {action_text} IN {action_values} THEN {action_text} ELSE {other_action} END AS action,
        {top["allowed"]} = 'true' AS allowed,
        jstr({top["service"]}) AS service_raw,
        {source_id} AS source_id,
        {_time(f"coalesce({top['timestamp']}, {top['createdAt']})")} AS exact,
        CASE WHEN {top["rulesChecked"]} IS NULL OR {top["rulesChecked"]} = '[]' THEN []::VARCHAR[]
            ELSE string_split({top["rulesChecked"]}[3:-3], '","') END AS rules,
        list_transform(items, lambda x: CASE WHEN x[1] = '"' THEN jstr(x)
            WHEN x[1] = '{{' THEN jstr(json_extract(x, '$.ruleId')) END) AS _item_texts,
        list_filter(items, lambda x: x[1] = '{{') AS _objects,
        jstr(m.pressure_level) AS level_name,
        num(m.overall_pressure) AS score_raw,
        coalesce(jstr({top["boundary"]}), jstr(m.boundary)) AS boundary_raw,
        coalesce(jstr({top["tractatus_section"]}), jstr(m.tractatus_section)) AS section
    FROM docs
), derived AS (
    SELECT *,
        CASE WHEN service_raw IS NULL OR service_raw = {default} THEN coalesce({by_action}, {default})
            WHEN service_raw IN {service_values} THEN service_raw ELSE {other_service} END AS service,
        list_filter(list_transform(list_zip(items, _item_texts), lambda x: CASE WHEN x[1][1] IN ('"', '{{') THEN [x[2]] END),
            lambda x: x IS NOT NULL) AS _candidates,
        CASE WHEN level_name IN {level_values} AND level_name <> 'UNKNOWN' THEN level_name
            WHEN regexp_full_match(m.pressure_level_numeric, '-?[0-9]+')
                AND TRY_CAST(m.pressure_level_numeric AS BIGINT) BETWEEN 0 AND 4
            THEN {levels_by_number}[TRY_CAST(m.pressure_level_numeric AS BIGINT) + 1]
            ELSE 'UNKNOWN' END AS level
    FROM read
), keyed AS (
    SELECT *, list_transform(_candidates, lambda x: x[1]) AS candidates, {verdict_key} AS verdict_key
    FROM derived
), judged AS (
    SELECT *, {verdict_json} AS verdict_json FROM keyed
), decided AS (
    SELECT *, service = {cpm} AND verdict_json IS NULL AND level <> 'UNKNOWN' AS from_level FROM judged
), worded AS (
    SELECT *, CASE WHEN from_level THEN {level_action} ELSE jstr(verdict_json) END AS verdict_text
    FROM decided
), verdicts AS (
    SELECT *, {verdict_decision} AS verdict_decision FROM worded
), settled AS (
    SELECT *,
        CASE WHEN verdict_decision IS NOT NULL THEN verdict_text
            WHEN allowed THEN {_text(allowed_label)} ELSE {_text(stopped_label)} END AS verdict,
        coalesce(verdict_decision, CASE WHEN allowed THEN {_text(allowed_decision.value)}
            ELSE {_text(stopped_decision.value)} END) AS decision,
        CASE WHEN boundary_raw IS NULL OR lower(boundary_raw) = 'none'
            THEN coalesce({section_key}, list_filter(list_transform(list_filter(items, lambda x: x[1] = '"'),
                lambda x: jstr(x)), lambda x: x IN {boundary_keys})[1])
            ELSE boundary_raw END AS boundary_key
    FROM verdicts
), shaped AS (
    SELECT *,
        {boundary_label} AS boundary,
        CASE WHEN score_raw BETWEEN 0 AND 1 THEN score_raw END AS pressure_score,
        CASE WHEN num({top["durationMs"]}) >= 0 THEN num({top["durationMs"]}) END AS duration_ms,
        {domain} AS domain,
        list_transform(list_filter(items, lambda x: x[1] IN ('"', '{{')), lambda x: CASE WHEN x[1] = '"'
            THEN {string_severity}
            ELSE coalesce(CASE WHEN jstr(json_extract(x, '$.severity')) IN {severity_values}
                THEN jstr(json_extract(x, '$.severity')) END, {medium}) END) AS _severities,
        list_transform(_objects, lambda o: list_filter(map_entries(json_transform(o, '"MAP(VARCHAR, JSON)"')),
            lambda e: e.key NOT IN {violation_read} AND e.value IS NOT NULL AND e.value::VARCHAR <> '""'))
            AS _object_entries,
        list_filter({dropped_values}, lambda p: p.v IS NOT NULL) AS _dropped_values,
        list_filter(rules, lambda x: regexp_full_match(x, {rule})) AS _rule_ids,
        list_filter(candidates, lambda x: regexp_full_match(x, {rule})) AS _violation_ids
    FROM settled
), counted AS (
    SELECT *, list_concat(
        list_transform(list_filter(_dropped_values, lambda p: p.r IS NOT NULL),
            lambda p: {{'r': p.r, 'n': leaves(p.v)}}),
        flatten(list_transform(_object_entries, lambda es: list_transform(es, lambda e: {{
            'r': CASE WHEN e.key = '_id' THEN 'bookkeeping' ELSE 'free_text' END, 'n': leaves(e.value)}})))
    ) AS _counted
    FROM shaped
), final AS (
    SELECT *,
        {outcomes} AS outcome,
        CASE WHEN len(_severities) > 0 THEN {rank_severity}[list_max(list_transform(_severities,
            lambda x: {severity_rank})) + 1] END AS severity,
        ordered_distinct(_rule_ids) AS rules_checked,
        ordered_distinct(_violation_ids) AS violated_rules,
        -- Anything the SQL cannot take exactly as the per-record path would: that line is routed.
        (_j IS NULL OR _j[1] <> '{{'
        OR len(_keys) <> len(list_distinct(_keys))
        OR len(list_filter(_keys, lambda k: NOT list_contains({known_top}, k))) > 0
        OR strlen(_j) - strlen(replace(replace(_j, '{{', ''), '[', '')) > 100
        OR {not_a_number}  -- NaN, Infinity, and spellings of them only DuckDB reads
        OR {dollars} <> (
            coalesce(regexp_full_match({top["_id"]}, '{_OID}')::INTEGER, 0)
            + coalesce(regexp_full_match({top["userId"]}, '{_OID}')::INTEGER, 0)
            + coalesce(regexp_full_match({top["timestamp"]}, '{_DATE}')::INTEGER, 0)
            + coalesce(regexp_full_match({top["createdAt"]}, '{_DATE}')::INTEGER, 0)
            + coalesce(regexp_full_match({top["updatedAt"]}, '{_DATE}')::INTEGER, 0)
            + coalesce(len(regexp_extract_all({top["violations"]}, '"_id":{_OID}')), 0))
        OR session_raw IS NULL OR NOT regexp_matches(session_raw, '[!-~]')
        OR jstr({top["action"]}) IS NULL OR NOT regexp_matches(jstr({top["action"]}), '[!-~]')
        OR {top["allowed"]} IS NULL OR {top["allowed"]} NOT IN ('true', 'false')
        OR source_id IS NULL OR source_id = ''
        OR ({top["_id"]}[1] = '{{' AND NOT regexp_full_match({top["_id"]}, '{_OID}'))
        OR exact IS NULL OR exact < {_EARLIEST_US}
        OR {bad_dates}
        OR ({top["metadata"]} IS NOT NULL AND {top["metadata"]}[1] <> '{{')
        OR len(_meta_keys) <> len(list_distinct(_meta_keys))
        OR len(list_filter(_meta_keys, lambda k: NOT list_contains({known_meta}, k))) > 0
        OR ({top["service"]} IS NOT NULL AND {top["service"]}[1] <> '"')
        OR ({top["rulesChecked"]} IS NOT NULL AND NOT {simple_list})
        OR ({top["violations"]} IS NOT NULL AND {top["violations"]}[1] <> '[')
        OR len(list_filter(_objects, lambda o: repeats(o))) > 0
        OR len(list_filter(candidates, lambda x: regexp_matches(x, '[^ -~]'))) > 0
        OR len(list_filter(items, lambda x: x[1] = '"' AND NOT plain(x))) > 0
        OR len(list_filter(flatten(_object_entries), lambda e: nested_repeats(e.value))) > 0
        OR len(list_filter([{top["boundary"]}, {top["tractatus_section"]}, m.boundary, m.tractatus_section],
            lambda x: x IS NOT NULL AND (NOT plain(x) OR x = '""'))) > 0
        OR len(list_filter([{top["domain"]}, m.quadrant, m.domain],
            lambda x: x[1] = '"' AND NOT plain(x))) > 0
        OR len(list_filter([{top["userId"]}, {top["ipAddress"]}, {top["userAgent"]}],
            lambda x: container(x) AND NOT regexp_full_match(x, '{_OID}'))) > 0
        OR len(list_filter(list_filter(_dropped_values, lambda p: container(p.v)), lambda p: nested_repeats(p.v))) > 0)
        AS _route
    FROM counted
), routed AS (
    SELECT *, coalesce(_route, true) AS route FROM final
), counts AS (
    SELECT *, {event_columns}, {dropped_columns} FROM routed
)
SELECT route, source_id, session_raw AS session, exact,
    service, action, decision, verdict, outcome, boundary, domain, level AS context_pressure, pressure_score,
    rules_checked, violated_rules, severity, duration_ms,
    {encode_events} AS events,
    {encode_dropped} AS dropped,
    [{user_identifier}, jstr({top["ipAddress"]}), jstr({top["userAgent"]})] AS identifiers
FROM counts
"""  # noqa: S608


_EARLIEST_US = (EARLIEST_TIME - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


def _connect(threads: int | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"threads": threads or os.cpu_count() or 1, "memory_limit": _MEMORY_LIMIT})
    con.execute("SET TimeZone = 'UTC'")
    for macro in _MACROS:
        con.execute(macro)
    return con


def _views(con: duckdb.DuckDBPyConnection, reader: Path, limit: int) -> None:
    """`typed` (each known field as JSON text) and `whole` (each line), both read from `reader`. A
    view takes no parameters: the path goes in as a quoted literal, the columns are our own names."""
    columns = "{" + ", ".join(f"{_text(name)}: 'JSON'" for name in sorted(_TOP_REASONS)) + "}"
    common = f"format='newline_delimited', ignore_errors=true, maximum_object_size={limit + 16}"
    source = _text(str(reader))
    con.execute(f"CREATE VIEW typed AS SELECT * FROM read_json({source}, columns={columns}, {common})")  # noqa: S608
    whole = f"read_json({source}, records=false, columns={{'json': 'JSON'}}, {common})"
    con.execute(f"CREATE VIEW whole AS SELECT * FROM {whole}")  # noqa: S608


# ----------------------------------------------------------------------------------------------
# 3. Rows, and the routed lines through the per-record path

_FEATURES = features_of(FullRow)
_LABELS = {name: pa.array(f.names) for name, f in _FEATURES.items() if isinstance(f, ClassLabel)}


_SOURCE_FORMAT_CODE = _LABELS["source_format"].to_pylist().index(_SHAPE.value)


def _labels(column: pa.Array, name: str) -> pa.Array:
    return pc.index_in(column, value_set=_LABELS[name])


def _rows(batch: pa.RecordBatch, task: Task, part: Part, lines: np.ndarray, result: PartResult) -> pa.Table:
    """The `full` rows (and internal columns) of a batch's accepted rows; `lines` their line numbers."""
    key, step = task.key, STEP_SECONDS[task.granularity]
    count = batch.num_rows
    sessions = batch.column("session").to_pylist()
    distinct = sorted(set(sessions))
    pseudonym = dict(zip(distinct, key.pseudonyms("session", distinct), strict=True))
    source_ids = batch.column("source_id").to_pylist()
    exact = batch.column("exact")
    seconds = pc.divide(exact, 1_000_000)
    coarse = pc.multiply(pc.divide(seconds, step), step)  # whole numbers: `divide` truncates
    columns: dict[str, Any] = {
        "decision_id": pa.array(key.pseudonyms("decision", source_ids)),
        "timestamp": coarse,
        "session": pa.array([pseudonym[s] for s in sessions]),
        "coordination": pa.array([[]] * count, FULL_SCHEMA.field("coordination").type),  # derived later
        "source_format": pa.array([_SOURCE_FORMAT_CODE] * count),
    }
    for name in FULL_SCHEMA.names:
        if name not in columns:
            column = batch.column(name)
            columns[name] = _labels(column, name) if name in _LABELS else column
    arrays = [columns[f.name].cast(f.type) for f in FULL_SCHEMA]
    table = pa.Table.from_arrays(arrays, schema=FULL_SCHEMA)
    check_rows(table)
    events, dropped = batch.column("events"), batch.column("dropped")
    _add_counts(result.events, events)
    _add_counts(result.dropped, dropped)
    found = Identifiers()  # folded in as fingerprints, not kept as a growing set of strings
    found.add_all(distinct)
    found.add_all(source_ids)
    found.add_all(pc.list_flatten(batch.column("identifiers")).drop_null().to_pylist())
    result.identifiers.update(found)
    seq = (np.int64(part.index) << PART_SHIFT) | (lines - part.first_line)
    return with_internal(table, (seq, exact, events, dropped))


def _add_counts(tally: Tally, encoded: pa.Array) -> None:
    counts = pc.value_counts(encoded)
    for text, rows in zip(
        counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True
    ):
        for name, count in decode_counts(text).items():
            tally.add(name, count * rows)


def _routed_records(task: Task, part: Part, lines: _Lines, routed: np.ndarray) -> Iterator[Any]:
    """The records of the routed lines (indices into `lines`), read as the per-record path reads them."""
    indices = np.flatnonzero(routed)
    if not len(indices):
        return
    runs = np.split(indices, np.flatnonzero(np.diff(indices) != 1) + 1)
    for run in runs:
        first, last = int(run[0]), int(run[-1])
        yield from read_lines(
            part.file,
            int(lines.starts[first]),
            int(lines.ends[last]) + 1,
            part.first_line + first,
            task.limit,
        )


def _whole_part(task: Task) -> PartResult:
    """The whole part through the per-record path."""
    result = run_records(
        read_part(task.part, task.limit), task.part.index, task.key, task.granularity, task.out
    )
    result.routed = result.read
    return result


def run_columnar_part(
    task: Task, threads: int | None = None, progress: Callable[[int], None] | None = None
) -> PartResult:
    """The rows of one part, as `batches.run_part` gives them; see the module docstring. A part is
    a whole file, read for a while: `progress` is told of the records DuckDB reads as it goes (and
    takes them back, negative, if the part then goes the per-record way)."""
    part = task.part
    if part.file.kind != "mongoexport" or part.json_array or part.file.path.name.endswith(".gz"):
        return _whole_part(task)
    if set(PATTERN_CHARACTERS).intersection(str(part.file.path.absolute())):
        return _whole_part(task)  # DuckDB would read the path as a pattern, perhaps of other files
    lines = _scan(part.file.path, part.start, part.stop, task.limit)
    reader, row_lines = _reader_input(part.file.path, part, lines, task.out.parent)
    result = PartResult()
    routed = lines.routed.copy()
    con = _connect(threads)
    told = 0

    def tell(count: int) -> None:
        nonlocal told
        told += count
        if progress is not None:
            progress(count)

    try:
        _read(con, reader, task, row_lines, routed, result, tell)
    except (_Unpaired, duckdb.Error):
        for path in task.out.parent.glob(f"{task.out.stem}-*.parquet"):
            path.unlink()
        tell(-told)
        return _whole_part(task)
    finally:
        con.close()
        if reader != part.file.path:
            reader.unlink()
    fallback = run_records(
        _routed_records(task, part, lines, routed),
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
    return result


def _read(
    con: duckdb.DuckDBPyConnection,
    reader: Path,
    task: Task,
    row_lines: np.ndarray,
    routed: np.ndarray,
    result: PartResult,
    tell: Callable[[int], None],
) -> None:
    """DuckDB's rows of the part: accepted ones into scratch files of `_ROWS_PER_FILE` rows, routed
    ones marked in `routed`. Raises `_Unpaired` when the rows and the lines do not pair."""
    part = task.part
    _views(con, reader, task.limit)
    tables: list[pa.Table] = []
    files = 0

    def flush() -> None:
        nonlocal tables, files
        if tables and result.error is None:
            rows = pa.concat_tables(tables)
            try:
                write_scratch(rows, task.out.with_name(f"{task.out.stem}-{files:04d}.parquet"))
            except OSError as error:  # counted on, as `run_records` does: the quarantine still gets written
                result.error = error
            result.rows += rows.num_rows
            tables, files = [], files + 1

    position = 0
    for batch in con.sql(_select()).to_arrow_reader(_ROWS_PER_FILE):
        if position + batch.num_rows > len(row_lines):
            raise _Unpaired
        numbers = row_lines[position : position + batch.num_rows]
        position += batch.num_rows
        route = batch.column("route").to_numpy(zero_copy_only=False)
        routed[numbers[route]] = True
        accepted = batch.filter(pc.invert(batch.column("route")))
        if accepted.num_rows:
            result.read += accepted.num_rows
            tables.append(_rows(accepted, task, part, numbers[~route] + part.first_line, result))
            tell(accepted.num_rows)
        if sum(table.num_rows for table in tables) >= _ROWS_PER_FILE:
            flush()
    if position != len(row_lines):
        raise _Unpaired
    flush()


class _Unpaired(Exception):
    """DuckDB's rows do not pair one to one with the lines: the part goes the per-record way."""
