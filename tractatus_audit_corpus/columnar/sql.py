"""The columnar engine's third step: one SELECT over the typed columns giving each row its corpus
values, normalisation events and dropped counts, or routing it; generated from the tables of
`mapping` and `privacy` that the per-record engine reads by."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import duckdb

from tractatus_audit_corpus import mapping
from tractatus_audit_corpus.columnar.decode import REASONS, VERDICT_KEYS
from tractatus_audit_corpus.fields import EARLIEST_TIME
from tractatus_audit_corpus.readings import LEVELS_BY_NUMBER, SECTION_KEYS, SEVERITY_ORDER
from tractatus_audit_corpus.vocab import (
    BOUNDARIES,
    Action,
    Domain,
    PressureLevel,
    Service,
    Severity,
)

__all__ = ["MACROS", "PER_RECORD_ONLY", "connection", "select"]

# Tables of `mapping` for the shapes this engine routes whole (the AuditLogger pattern): only the
# per-record engine uses them. A test holds every other table to be used by both engines.
PER_RECORD_ONLY = frozenset({"PATTERN_VERDICTS", "SERVICE_ACTION"})

_MEMORY_LIMIT = "200MB"


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


MACROS = [
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
def select() -> str:
    """One SELECT over the typed columns (`docs`) giving each row's values or `route`."""
    action_values = _set(a.value for a in Action)
    service_values = _set(s.value for s in Service)
    default = _text(mapping.DEFAULT_SERVICE.value)
    verdict_key = _case("service", {s.value: key for s, (key, _) in mapping.VERDICTS.items()})
    verdict_value = (
        "CASE verdict_key "
        + " ".join(f"WHEN {_text(key)} THEN {_column('m_' + key)}" for key in VERDICT_KEYS)
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
        for key in VERDICT_KEYS
    )
    dropped = {reason: _column("d_" + reason) for reason in REASONS}
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
def connection() -> duckdb.DuckDBPyConnection:
    """This process's connection: a worker runs part after part, on one core."""
    con = duckdb.connect(config={"threads": 1, "memory_limit": _MEMORY_LIMIT})
    con.execute("SET GLOBAL TimeZone = 'UTC'")  # for its cursors too
    for macro in MACROS:
        con.execute(macro)
    return con
