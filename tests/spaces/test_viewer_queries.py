"""The viewer's query layer on the demo release, checked against the same release read with pyarrow."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from datasets import Features

from tractatus_spaces.decisions import PAGE_ROWS, Filters, Release
from tractatus_spaces.release import FilterError, ReleaseError
from tractatus_viewer.app import detail_markdown, status_line


@pytest.fixture(scope="module")
def release(demo: Path) -> Release:
    return Release(demo / "audit-decisions", demo / "evolution-log")


def read(folder: Path, config: str) -> tuple[pa.Table, Features]:
    shards = sorted((folder / "data" / config).glob("*.parquet"))
    table = pa.concat_tables(pq.read_table(shard) for shard in shards)
    return table, Features.from_arrow_schema(table.schema)


@pytest.fixture(scope="module")
def full(demo: Path) -> tuple[pa.Table, Features]:
    return read(demo / "audit-decisions", "full")


def code(features: Features, column: str, name: str) -> int:
    return int(features[column].str2int(name))


def test_no_filter_is_the_whole_release(release: Release, full: tuple[pa.Table, Features]) -> None:
    table, _ = full
    assert release.total == table.num_rows == 3_500
    assert release.title == "tractatus-framework/audit-decisions 1.0.0"
    with release.con.cursor() as cursor:  # each answer has a cursor of its own; days are UTC days in all
        assert cursor.execute("SELECT current_setting('TimeZone')").fetchall() == [("UTC",)]
    assert (
        status_line(release, release.total)
        == "**3,500** of 3,500 decisions match; the newest 100 are listed."
    )
    assert status_line(release, 7) == "**7** of 3,500 decisions match."
    assert status_line(release, 0) == "No decisions match these filters."


def test_label_filters_count_what_pyarrow_counts(release: Release, full: tuple[pa.Table, Features]) -> None:
    table, features = full
    filters = Filters(decision=("block", "ask"), pressure=("HIGH", "CRITICAL", "DANGEROUS"))
    decisions = pa.array([code(features, "decision", "block"), code(features, "decision", "ask")])
    levels = pa.array([code(features, "context_pressure", x) for x in ("HIGH", "CRITICAL", "DANGEROUS")])
    expected = table.filter(
        pc.and_(pc.is_in(table["decision"], decisions), pc.is_in(table["context_pressure"], levels))
    )
    assert 0 < release.count(filters) == expected.num_rows < table.num_rows

    service = Filters(service=("ContextPressureMonitor",), outcome=("allowed_with_warning",))
    expected = table.filter(
        pc.and_(
            pc.equal(table["service"], code(features, "service", "ContextPressureMonitor")),
            pc.equal(table["outcome"], code(features, "outcome", "allowed_with_warning")),
        )
    )
    assert 0 < release.count(service) == expected.num_rows


def test_boundary_filter_with_and_without_a_boundary(
    release: Release, full: tuple[pa.Table, Features]
) -> None:
    table, _ = full
    boundaries = sorted(set(table["boundary"].drop_null().to_pylist()))
    assert release.boundaries == ["(none)", *boundaries]
    none = table["boundary"].null_count
    wisdom = table.filter(pc.equal(table["boundary"], "12.3 Wisdom")).num_rows
    assert release.count(Filters(boundary=("(none)",))) == none
    assert release.count(Filters(boundary=("12.3 Wisdom",))) == wisdom > 0
    assert release.count(Filters(boundary=("(none)", "12.3 Wisdom"))) == none + wisdom


def test_dates_include_both_ends_in_utc(release: Release, full: tuple[pa.Table, Features]) -> None:
    table, _ = full
    start = pa.scalar(dt.datetime(2025, 10, 20, tzinfo=dt.UTC), table["timestamp"].type)
    end = pa.scalar(dt.datetime(2025, 10, 23, tzinfo=dt.UTC), table["timestamp"].type)
    expected = table.filter(
        pc.and_(pc.greater_equal(table["timestamp"], start), pc.less(table["timestamp"], end))
    )
    assert release.count(Filters(start="2025-10-20", end="2025-10-22")) == expected.num_rows > 0
    assert (
        release.count(Filters(start=" 2025-10-20 "))
        == table.filter(pc.greater_equal(table["timestamp"], start)).num_rows
    )


def test_search_finds_ids_prefixes_verdicts_and_rules(
    release: Release, full: tuple[pa.Table, Features]
) -> None:
    table, _ = full
    row = table.slice(1234, 1).to_pylist()[0]
    assert row["session"] is not None
    assert release.count(Filters(search=row["decision_id"])) == 1
    assert release.count(Filters(search=row["session"][:12])) == sum(
        1 for session in table["session"].to_pylist() if session and session.startswith(row["session"][:12])
    )
    checked = sum(1 for rules in table["rules_checked"].to_pylist() if "inst_016" in rules)
    violated_only = sum(
        1
        for checked_rules, violated in zip(
            table["rules_checked"].to_pylist(), table["violated_rules"].to_pylist(), strict=True
        )
        if "inst_016" in violated and "inst_016" not in checked_rules
    )
    assert release.count(Filters(search="inst_016")) == checked + violated_only > 0
    assert release.count(Filters(search="blocked")) == pc.sum(pc.equal(table["verdict"], "BLOCKED")).as_py()
    assert release.count(Filters(search="no-such-decision")) == 0


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (Filters(start="2025-13-01"), "start date '2025-13-01' is not a date like 2025-10-25"),
        (Filters(end="yesterday"), "end date 'yesterday' is not a date like 2025-10-25"),
        (
            Filters(start="2025-10-20", end="2025-10-19"),
            "the end date 2025-10-19 is before the start date 2025-10-20",
        ),
        (Filters(decision=("deny",)), "unknown decision 'deny': choose from allow, warn, ask, block"),
        (
            Filters(pressure=("SEVERE",)),
            "unknown pressure 'SEVERE': choose from NORMAL, ELEVATED, HIGH, CRITICAL, DANGEROUS, UNKNOWN",
        ),
        (Filters(boundary=("12.9 Nowhere",)), "no decision in this release has boundary '12.9 Nowhere'"),
    ],
)
def test_bad_filter_values_say_what_is_wrong(release: Release, filters: Filters, message: str) -> None:
    with pytest.raises(FilterError) as raised:
        release.count(filters)
    assert str(raised.value) == message


def test_a_page_is_the_newest_rows_with_labels(release: Release, full: tuple[pa.Table, Features]) -> None:
    table, features = full
    blocked = table.filter(pc.equal(table["decision"], code(features, "decision", "block")))
    newest = blocked.sort_by([("timestamp", "descending"), ("decision_id", "ascending")]).slice(0, PAGE_ROWS)
    answer = release.answer(Filters(decision=("block",)))
    page = answer.page
    assert answer.count == blocked.num_rows
    assert [row[0] for row in page] == newest["decision_id"].to_pylist()
    incidents, _ = read(release.folder, "incidents")
    linked = dict(
        zip(incidents["decision_id"].to_pylist(), incidents["incident_id"].to_pylist(), strict=True)
    )
    first = newest.to_pylist()[0]
    assert page[0] == [
        first["decision_id"],
        first["timestamp"].strftime("%Y-%m-%d %H:%M"),
        features["service"].int2str(first["service"]),
        "block",
        features["outcome"].int2str(first["outcome"]),
        features["context_pressure"].int2str(first["context_pressure"]),
        first["boundary"] or "",
        ", ".join(features["coordination"].feature.int2str(c) for c in first["coordination"]),
        linked[first["decision_id"]] or "yes",  # every blocked decision is an incident
    ]
    assert len(release.answer(Filters(), offset=3_450).page) == 50


def test_counts_over_time_add_up_per_day_and_week(release: Release, full: tuple[pa.Table, Features]) -> None:
    table, _ = full
    filters = Filters(pressure=("ELEVATED", "HIGH"))
    days = release.answer(filters, "day").by_decision
    weeks = release.answer(filters, "week").by_pressure
    total = release.count(filters)
    assert sum(n for _, _, n in days) == sum(n for _, _, n in weeks) == total
    assert {label for _, label, _ in weeks} == {"ELEVATED", "HIGH"}
    assert all(start.weekday() == 0 for start, _, _ in weeks)  # weeks start on Monday
    per_day: dict[tuple[dt.date, str], int] = {}
    for row in table.to_pylist():
        if row["context_pressure"] in (1, 2):
            key = (row["timestamp"].date(), ["allow", "warn", "ask", "block"][row["decision"]])
            per_day[key] = per_day.get(key, 0) + 1
    assert {(day, label): n for day, label, n in days} == per_day
    with pytest.raises(FilterError, match="unknown period 'month'"):
        release.answer(filters, "month")


def row_where(table: pa.Table, mask: Any) -> dict[str, Any]:
    return dict(table.filter(mask).slice(0, 1).to_pylist()[0])


def test_detail_shows_the_coordinating_services_and_their_decisions(
    release: Release, full: tuple[pa.Table, Features]
) -> None:
    table, features = full
    row = row_where(table, pc.greater(pc.list_value_length(table["coordination"]), 0))
    detail = release.detail(row["decision_id"])
    assert detail is not None
    services = [features["coordination"].feature.int2str(c) for c in row["coordination"]]
    assert detail.fields["coordination"] == services
    assert detail.fields["decision_id"] == row["decision_id"]
    assert detail.fields["timestamp"] == row["timestamp"].strftime("%Y-%m-%d %H:%M UTC")
    # The coordinating decisions: same session, a coordinating service, within a minute and the window.
    near = [
        other["decision_id"]
        for other in table.to_pylist()
        if other["session"] == row["session"]
        and other["decision_id"] != row["decision_id"]
        and other["service"] in row["coordination"]
        and abs((other["timestamp"] - row["timestamp"]).total_seconds()) <= 62
    ]
    assert sorted(other[0] for other in detail.coordinating) == sorted(near) != []
    assert {other[2] for other in detail.coordinating} <= set(services)
    text = detail_markdown(release, detail, row["decision_id"])
    assert f"**Coordinated with:** {', '.join(services)}" in text
    assert "this decision is not in the `incidents` config" in text or "**Incident:** in the" in text


def test_detail_of_an_incident_shows_the_linked_event(release: Release, demo: Path) -> None:
    incidents, _ = read(demo / "audit-decisions", "incidents")
    row = row_where(incidents, pc.equal(incidents["incident_id"], "prohibited-term-blocked"))
    events, _ = read(demo / "evolution-log", "incidents")
    event = row_where(events, pc.equal(events["incident_id"], "prohibited-term-blocked"))
    detail = release.detail(row["decision_id"])
    assert detail is not None and detail.incident is not None and detail.event is not None
    assert detail.incident["incident_id"] == "prohibited-term-blocked"
    assert detail.event["title"] == event["title"]
    text = detail_markdown(release, detail, row["decision_id"])
    assert f"#### {event['title']}" in text
    assert f"**Root cause.** {event['root_cause']}" in text


def test_an_unknown_id_and_no_id_say_so(release: Release) -> None:
    assert release.detail("0" * 32) is None
    assert detail_markdown(release, None, "0" * 32) == f"No decision with id “{'0' * 32}” in this release."
    # A visitor's text is quoted literally: Markdown and HTML in it are escaped, not rendered.
    assert detail_markdown(release, None, "![i](http://h/x.png) <b>") == (
        "No decision with id “\\!\\[i\\]\\(http\\:\\/\\/h\\/x\\.png\\) &lt;b&gt;” in this release."
    )
    assert (
        detail_markdown(release, None, " ") == "Choose a decision in the table, or paste its `decision_id`."
    )


def test_a_release_without_the_evolution_log_shows_only_the_incident_id(demo: Path) -> None:
    release = Release(demo / "audit-decisions")
    incidents, _ = read(demo / "audit-decisions", "incidents")
    row = row_where(incidents, pc.equal(incidents["incident_id"], "prohibited-term-blocked"))
    detail = release.detail(row["decision_id"])
    assert detail is not None and detail.event is None
    assert "linked event: `prohibited-term-blocked`" in detail_markdown(release, detail, row["decision_id"])


def test_a_folder_of_plain_parquet_is_refused_plainly(tmp_path: Path) -> None:
    shard = tmp_path / "data/full/train-00000-of-00001.parquet"
    shard.parent.mkdir(parents=True)
    pq.write_table(pa.table({"decision_id": ["a"]}), shard)
    with pytest.raises(ReleaseError) as raised:
        Release(tmp_path)
    assert str(raised.value) == f"{shard} carries no `datasets` features in its schema: is it from a release?"
