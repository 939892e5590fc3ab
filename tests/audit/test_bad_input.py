"""A messy dump: every kind of malformed line the export must survive, interleaved with good records.

Each bad line is quarantined with its line number and reason (or, under `--on-bad-record fail`,
stops the run at the first one), every good record is exported, and the counts reconcile.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datasets
import pytest
from bson import json_util
from bson.json_util import RELAXED_JSON_OPTIONS

from tests.audit.shapes import auditlog, t
from tests.helpers import KEY, audit_export, export, run
from tractatus_audit_corpus.card_counts import MEANINGS
from tractatus_datasets.manifest import read_manifest
from tractatus_datasets.records import MAX_DEPTH, MAX_RECORD_BYTES

MIB = 1024 * 1024


def oid(n: int) -> str:
    return f"68fc3089{n:016x}"


def good(n: int, **fields: Any) -> dict[str, Any]:
    """A valid AuditLog document of the v3 era, with its own id and session."""
    doc = auditlog(
        oid(n),
        t(2025, 10, 20, 3, n % 60, 7),
        sessionId=f"2025-10-20-{n:03d}",
        action="boundary_enforcement",
        rulesChecked=["inst_016"],
        metadata={"boundary": "none", "enforcement_decision": "ALLOWED"},
    )
    return doc | fields


def dumped(doc: dict[str, Any]) -> bytes:
    return json_util.dumps(doc, json_options=RELAXED_JSON_OPTIONS).encode()


def without(doc: dict[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in doc.items() if key not in names}


def nested(depth: int) -> bytes:
    return b'{"_id": "x", "deep": ' + b"[" * depth + b"]" * depth + b"}"


# (kind, the line's bytes, the quarantine reason, the field named). Ids 1000+ are bad records'.
BAD: list[tuple[str, bytes, str, str | None]] = [
    ("plain text", b"this is not json", "unparseable", None),
    ("cut short", dumped(good(1001))[:40], "unparseable", None),
    ("trailing comma", b'{"_id": "x",}', "unparseable", None),
    ("single quotes", b"{'_id': 'x'}", "unparseable", None),
    ("two objects on a line", b"{} {}", "unparseable", None),
    ("raw control character", b'{"sessionId": "a\x01b"}', "unparseable", None),
    ("NUL after the object", dumped(good(1002)) + b"\x00", "unparseable", None),
    ("UTF-16 text", '{"_id": "x"}'.encode("utf-16-le"), "unparseable", None),
    ("invalid UTF-8 bytes", b'{"sessionId": "\xff\xfe"}', "not_utf8", None),
    ("Latin-1 text", '{"sessionId": "café"}'.encode("latin-1"), "not_utf8", None),
    ("array", b"[1, 2]", "not_an_object", None),
    ("string", b'"a string"', "not_an_object", None),
    ("number", b"42", "not_an_object", None),
    ("null", b"null", "not_an_object", None),
    ("boolean", b"true", "not_an_object", None),
    ("bare ObjectId", b'{"$oid": "68fc30890000000000000b01"}', "not_an_object", None),
    ("over 16 MiB", b'{"_id": "x", "pad": "' + b"x" * MAX_RECORD_BYTES + b'"}', "too_large", None),
    (f"nested {MAX_DEPTH + 1} levels", nested(MAX_DEPTH), "too_deep", None),
    ("nested 100,000 levels", nested(100_000), "too_deep", None),
    ("bad $oid", b'{"_id": {"$oid": "xyz"}}', "invalid_extended_json", None),
    (
        "bad $date",
        b'{"_id": "x", "timestamp": {"$date": "2025-13-45T00:00:00Z"}}',
        "invalid_extended_json",
        None,
    ),
    ("bad $numberLong", b'{"_id": "x", "durationMs": {"$numberLong": "abc"}}', "invalid_extended_json", None),
    (
        "$date out of range",
        b'{"_id": "x", "timestamp": {"$date": {"$numberLong": "99999999999999999"}}}',
        "invalid_extended_json",
        None,
    ),
    ("unpaired surrogate", b'{"_id": "x", "sessionId": "\\ud800"}', "invalid_unicode", None),
    ("empty object", b"{}", "unrecognised_shape", None),
    ("unknown shape", b'{"foo": 1}', "unrecognised_shape", None),
    (
        "no timestamp",
        dumped(without(good(1003), "timestamp", "createdAt", "updatedAt")),
        "missing_field",
        "timestamp",
    ),
    ("timestamp not a date", dumped(good(1004, timestamp="yesterday")), "invalid_value", "timestamp"),
    ("timestamp a number", dumped(good(1005, timestamp=17)), "wrong_type", "timestamp"),
    ("sessionId a number", dumped(good(1006, sessionId=42)), "wrong_type", "sessionId"),
    ("no allowed flag", dumped(without(good(1007), "allowed")), "missing_field", "allowed"),
    ("allowed a string", dumped(good(1008, allowed="yes")), "wrong_type", "allowed"),
    ("_id a list", dumped(good(1009, _id=[1])), "wrong_type", "_id"),
    ("action a number", dumped(good(1010, action=7)), "wrong_type", "action"),
    ("rulesChecked a string", dumped(good(1011, rulesChecked="inst_016")), "wrong_type", "rulesChecked"),
    ("violations a number", dumped(good(1012, violations=3)), "wrong_type", "violations"),
    ("metadata a string", dumped(good(1013, metadata="none")), "wrong_type", "metadata"),
    (
        "AuditLogger entry with an unknown decision",
        b'{"audit_id": "audit_x", "timestamp": "2025-10-25T02:00:00Z", "service": "BoundaryEnforcer", '
        b'"decision": "MAYBE"}',
        "invalid_value",
        "decision",
    ),
]

GOOD = 45  # good records 1..45; the bad lines sit between them
# Good records with a value that cannot be kept: the record is exported, the value left empty.
ODD_DURATIONS = {11: -5.0, 12: float("nan"), 13: float("inf"), 14: "fast"}


def dump_bytes() -> tuple[bytes, dict[int, tuple[str, str, str | None]]]:
    """The dump (BOM, CRLF and LF line ends, blank lines, a duplicate, an unknown service) and, by
    line number, what each bad line must be quarantined as."""
    lines: list[bytes] = []
    expected: dict[int, tuple[str, str, str | None]] = {}
    for n in range(1, GOOD + 1):
        doc = good(n, service="SomeFutureService") if n == 7 else good(n)
        if n in ODD_DURATIONS:
            doc["durationMs"] = ODD_DURATIONS[n]
        lines.append(dumped(doc) + (b"\r\n" if n % 2 else b"\n"))
        if n % 5 == 0:
            lines.append(b"\r\n" if n % 10 else b"   \n")  # blank lines are skipped, not counted
        if n <= len(BAD):
            kind, raw, reason, field = BAD[n - 1]
            lines.append(raw + b"\n")
            expected[len(lines)] = (kind, reason, field)
    lines.append(dumped(good(3)) + b"\n")  # the same _id again: exported once, counted
    return b"\xef\xbb\xbf" + b"".join(lines), expected


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[int, tuple[str, str, str | None]]]:
    folder = tmp_path_factory.mktemp("messy")
    data, expected = dump_bytes()
    (folder / "source").mkdir()
    (folder / "source" / "auditLogs.json").write_bytes(data)
    return folder, expected


@pytest.fixture(scope="module")
def quarantined(messy: tuple[Path, dict[int, tuple[str, str, str | None]]]) -> Path:
    folder, _ = messy
    result = run(*audit_export(folder / "source", folder / "release"), key=KEY.secret)
    assert result.returncode == 0, result.stderr
    return folder / "release"


def test_there_are_at_least_30_kinds_of_bad_line() -> None:
    assert len({kind for kind, *_ in BAD}) == len(BAD) >= 30
    assert len({reason for _, _, reason, _ in BAD}) == 11


def test_every_bad_line_is_quarantined_with_its_line_and_reason(
    messy: tuple[Path, dict[int, tuple[str, str, str | None]]], quarantined: Path
) -> None:
    _, expected = messy
    entries = [json.loads(line) for line in quarantined.with_name("release.quarantine.jsonl").open()]
    got = {entry["line"]: (entry["reason"], entry["field"]) for entry in entries}
    want = {line: (reason, field) for line, (_, reason, field) in expected.items()}
    assert got == want
    assert all(entry["source"] == "auditLogs.json" and entry["detail"] for entry in entries)


def test_the_quarantine_keeps_the_raw_text(
    messy: tuple[Path, dict[int, tuple[str, str, str | None]]], quarantined: Path
) -> None:
    folder, expected = messy
    raw_lines = (folder / "source" / "auditLogs.json").read_bytes().removeprefix(b"\xef\xbb\xbf").split(b"\n")
    entries = {
        e["line"]: e["raw"] for e in map(json.loads, quarantined.with_name("release.quarantine.jsonl").open())
    }
    for line, (kind, reason, _) in expected.items():
        raw = raw_lines[line - 1]
        if reason == "too_large":
            assert entries[line] == raw[: 64 * 1024].decode(), (
                kind
            )  # the head only; the size is in the detail
        elif reason == "not_utf8":
            assert entries[line] == raw.decode("utf-8", errors="replace"), kind
        else:
            assert entries[line] == raw.decode(), kind


def test_every_good_record_is_exported_once_and_the_counts_reconcile(quarantined: Path) -> None:
    manifest = read_manifest(quarantined)
    counts = manifest.counts
    assert (counts.read, counts.exported, counts.quarantined, counts.duplicates) == (
        GOOD + len(BAD) + 1,
        GOOD,
        len(BAD),
        1,
    )
    assert counts.read == counts.exported + counts.quarantined + counts.duplicates
    by_reason: dict[str, int] = {}
    for _, _, reason, _ in BAD:
        by_reason[reason] = by_reason.get(reason, 0) + 1
    assert counts.quarantined_by_reason == dict(sorted(by_reason.items()))
    assert counts.normalisation["unknown_service"] == 1
    assert counts.normalisation["duration_not_a_duration"] == len(ODD_DURATIONS)
    ids = datasets.load_dataset(str(quarantined), split="train")["decision_id"]
    assert sorted(ids) == sorted(KEY.pseudonym("decision", oid(n)) for n in range(1, GOOD + 1))
    row = datasets.load_dataset(str(quarantined), split="train").filter(
        lambda r: r["decision_id"] == KEY.pseudonym("decision", oid(7))
    )
    assert row.features["service"].int2str(row[0]["service"]) == "Other"
    odd = {KEY.pseudonym("decision", oid(n)) for n in ODD_DURATIONS}
    full = datasets.load_dataset(str(quarantined), split="train")
    assert [r["duration_ms"] for r in full if r["decision_id"] in odd] == [None] * len(ODD_DURATIONS)


def test_every_quarantine_reason_is_explained_on_the_card(quarantined: Path) -> None:
    card = (quarantined / "README.md").read_text(encoding="utf-8")
    for reason in {reason for _, _, reason, _ in BAD}:
        assert MEANINGS.get(reason), reason
        assert f"| `{reason}` | {MEANINGS[reason]} |" in card


def test_failing_on_bad_records_stops_at_the_first_and_leaves_nothing(
    messy: tuple[Path, dict[int, tuple[str, str, str | None]]], tmp_path: Path
) -> None:
    folder, expected = messy
    result = run(
        *audit_export(folder / "source", tmp_path / "release", "--on-bad-record", "fail"), key=KEY.secret
    )
    first = min(expected)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: stopped at the first bad record (--on-bad-record fail)",
        f"  auditLogs.json:{first}: invalid JSON: Expecting value at column 1 [unparseable]",
    ]
    assert list(tmp_path.iterdir()) == []


def test_a_smaller_size_limit_applies_to_each_line(tmp_path: Path) -> None:
    small, big = dumped(good(1)), dumped(good(2, metadata={"x": "y" * 500}))
    assert len(small) < 1000 < len(big)
    (tmp_path / "auditLogs.json").write_bytes(small + b"\n" + big)
    manifest = export(tmp_path / "auditLogs.json", tmp_path / "release", max_record_bytes=1000)
    assert (manifest.counts.exported, manifest.counts.quarantined_by_reason) == (1, {"too_large": 1})
    (entry,) = map(json.loads, (tmp_path / "release.quarantine.jsonl").open())
    assert entry["line"] == 2 and entry["detail"].endswith("over the limit of 1,000")


def test_a_json_array_dump_applies_the_same_limits_per_element(tmp_path: Path) -> None:
    deep: list[Any] = []
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    elements = [
        good(1),
        5,
        good(2, metadata={"deep": deep}),
        good(3, metadata={"x": "y" * 2000}),
        good(4, sessionId="\ud800"),
        good(5),
    ]
    (tmp_path / "auditLogs.json").write_text(json_util.dumps(elements, json_options=RELAXED_JSON_OPTIONS))
    manifest = export(tmp_path / "auditLogs.json", tmp_path / "release", max_record_bytes=1500)
    entries = [json.loads(line) for line in (tmp_path / "release.quarantine.jsonl").open()]
    assert [(e["line"], e["reason"]) for e in entries] == [
        (2, "not_an_object"),
        (3, "too_deep"),
        (4, "too_large"),
        (5, "invalid_unicode"),
    ]
    assert (manifest.counts.read, manifest.counts.exported) == (6, 2)
