"""Reading dumps and legacy files: every accepted encoding, every unreadable line located."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from bson import ObjectId, json_util
from bson.json_util import CANONICAL_JSON_OPTIONS, RELAXED_JSON_OPTIONS
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tractatus_datasets.errors import ProblemsFound, UsageError
from tractatus_datasets.records import EJSON_OPTIONS, _object_hook, loads
from tractatus_datasets.sources import (
    PlannedParts,
    _line_parts,
    discover,
    read_records,
    source_digest,
)

DOCS = [
    {
        "_id": ObjectId("68fc27a50000000000000001"),
        "sessionId": "s",
        "allowed": True,
        "n": 3,
        "x": 0.5,
        "timestamp": dt.datetime(2025, 10, 25, 3, 19, 7, 261000, tzinfo=dt.UTC),
    },
    {
        "_id": ObjectId("68fc27a50000000000000002"),
        "sessionId": "t",
        "allowed": False,
        "n": 2**40,
        "x": -1.0,
        "timestamp": dt.datetime(1969, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
    },  # canonical-only date form in relaxed
]


def records(path: Path, **kwargs: object) -> list[tuple[str, int, object, str | None]]:
    return [(r.origin, r.line, r.doc, r.error) for r in read_records(discover(str(path), **kwargs))]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "options", [CANONICAL_JSON_OPTIONS, RELAXED_JSON_OPTIONS], ids=["canonical", "relaxed"]
)
def test_extended_json_gives_the_types_a_cursor_gives(tmp_path: Path, options: object) -> None:
    dump = tmp_path / "auditLogs.json"
    dump.write_text("".join(json_util.dumps(d, json_options=options) + "\n" for d in DOCS))
    assert records(dump) == [("auditLogs.json", 1, DOCS[0], None), ("auditLogs.json", 2, DOCS[1], None)]


def test_bom_crlf_blank_lines_and_gzip_are_accepted(tmp_path: Path) -> None:
    text = "\ufeff" + "\r\n\r\n".join(json_util.dumps(d) for d in DOCS) + "\r\n\r\n"
    with gzip.open(tmp_path / "auditLogs.json.gz", "wt", encoding="utf-8") as stream:
        stream.write(text)
    assert [(line, doc) for _, line, doc, _ in records(tmp_path / "auditLogs.json.gz")] == [
        (1, DOCS[0]),
        (3, DOCS[1]),
    ]


def test_json_array_dumps_are_detected_or_forced(tmp_path: Path) -> None:
    dump = tmp_path / "auditLogs.json"
    dump.write_text("  \n" + json_util.dumps(DOCS, json_options=RELAXED_JSON_OPTIONS, indent=2))
    assert [(line, doc) for _, line, doc, _ in records(dump)] == [(1, DOCS[0]), (2, DOCS[1])]
    assert [doc for _, _, doc, _ in records(dump, json_array=True)] == DOCS
    dump.write_text('[{"a": 1}, 7]')
    assert [(line, doc, error) for _, line, doc, error in records(dump)] == [
        (1, {"a": 1}, None),
        (2, None, "expected a JSON object, found int"),
    ]


def test_a_broken_json_array_is_one_located_problem(tmp_path: Path) -> None:
    dump = tmp_path / "auditLogs.json"
    dump.write_text('[\n{"a": 1},\n{"b": \n]')
    with pytest.raises(ProblemsFound) as caught:
        records(dump)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("auditLogs.json", 4)


def test_unreadable_lines_come_out_with_their_line_and_reason(tmp_path: Path) -> None:
    dump = tmp_path / "auditLogs.json"
    dump.write_bytes(
        b'{"a": 1}\n{"a": \n"just a string"\n{"a": "\xff\xfe"}\n{"a": {"$date": "not a date"}}\n'
    )
    got = records(dump)
    assert [(line, doc) for _, line, doc, _ in got] == [
        (1, {"a": 1}),
        (2, None),
        (3, None),
        (4, None),
        (5, None),
    ]
    errors = [error or "" for *_, error in got]
    assert errors[1].startswith("invalid JSON: Expecting value")
    assert errors[2] == "expected a JSON object, found str"
    assert errors[3] == "not valid UTF-8 at byte 7"
    assert errors[4].startswith("invalid Extended JSON")


def test_a_folder_holds_dumps_and_legacy_files_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "decisions-2025-10-10.jsonl").write_text(json.dumps({"b": 2}) + "\n")
    (tmp_path / "legacy" / "decisions-2025-10-09.jsonl.gz").write_bytes(gzip.compress(b'{"a": 1}\n'))
    (tmp_path / "auditLogs.json").write_text('{"c": 3}\n')
    (tmp_path / "notes.txt").write_text("not a source")
    source = discover(str(tmp_path))
    assert [(f.name, f.kind) for f in source.files] == [
        ("auditLogs.json", "mongoexport"),
        ("legacy/decisions-2025-10-09.jsonl.gz", "legacy"),
        ("legacy/decisions-2025-10-10.jsonl", "legacy"),
    ]
    assert source.ignored == ("notes.txt",)
    assert [(r.kind, r.doc) for r in read_records(source)] == [
        ("mongoexport", {"c": 3}),
        ("legacy", {"a": 1}),
        ("legacy", {"b": 2}),
    ]


def test_the_data_bytes_count_a_gzipped_file_by_what_it_holds(tmp_path: Path) -> None:
    (tmp_path / "legacy").mkdir()
    held = b'{"a": 1}\n' * 100_000  # 900,000 bytes that gzip to a few kB
    (tmp_path / "legacy" / "decisions-2025-10-09.jsonl.gz").write_bytes(gzip.compress(held))
    (tmp_path / "legacy" / "decisions-2025-10-10.jsonl.gz").write_bytes(b"")  # not gzip: its own size, 0
    (tmp_path / "auditLogs.json").write_text('{"c": 3}\n')
    source = discover(str(tmp_path))
    assert (tmp_path / "legacy" / "decisions-2025-10-09.jsonl.gz").stat().st_size < 10_000
    assert source.data_bytes == 900_000 + 9


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("decisions-2025-10-10.jsonl", "legacy"),
        ("decisions-2025-10-09.jsonl.gz", "legacy"),
        ("auditLogs.json", "mongoexport"),
    ],
)
def test_a_single_file_given_as_the_source_keeps_the_kind_its_name_says(
    tmp_path: Path, name: str, kind: str
) -> None:
    """A legacy file read as a dump would have every line refused for want of an `_id`."""
    (tmp_path / name).write_bytes(b"{}\n")
    assert [(f.name, f.kind) for f in discover(str(tmp_path / name)).files] == [(name, kind)]


def test_the_source_digest_changes_with_any_byte(tmp_path: Path) -> None:
    dump = tmp_path / "auditLogs.json"
    dump.write_text('{"a": 1}\n')
    before = source_digest(discover(str(dump)))
    assert before == source_digest(discover(str(dump)))
    dump.write_text('{"a": 2}\n')
    assert source_digest(discover(str(dump))) != before


@pytest.mark.parametrize("make", ["missing", "empty folder"])
def test_nothing_to_read_is_a_usage_error(tmp_path: Path, make: str) -> None:
    target = tmp_path / "nowhere" if make == "missing" else tmp_path
    with pytest.raises(UsageError, match=r"does not exist|holds no mongoexport dump"):
        discover(str(target))


def test_a_mongodb_uri_is_a_live_source() -> None:
    source = discover("mongodb://db.example.com/tractatus", collection="auditLogs")
    assert (source.uri, source.collection, source.files) == (
        "mongodb://db.example.com/tractatus",
        "auditLogs",
        (),
    )


def _parsed(text: str) -> tuple[str, object]:
    try:
        return "ok", loads(text)
    except Exception as error:  # the same exception, with the same words
        return type(error).__name__, str(error)


def _parsed_by_bson(text: str) -> tuple[str, object]:
    try:
        return "ok", json_util.loads(text, json_options=EJSON_OPTIONS)
    except Exception as error:
        return type(error).__name__, str(error)


@given(
    date=st.one_of(
        st.datetimes(timezones=st.just(dt.UTC)).map(lambda d: d.isoformat().replace("+00:00", "Z")),
        st.datetimes(timezones=st.just(dt.UTC)).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"),
        st.from_regex(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)?\Z"),
    )
)
@example(date="0001-0\u0661-01T00:00:00Z")  # an Arabic-Indic digit: a digit to `re`'s `\d`, not to bson
def test_the_date_shortcut_parses_as_bson_does(date: str) -> None:
    for text in (json.dumps({"t": {"$date": date}}), json.dumps({"t": {"$date": date, "x": 1}})):
        assert _parsed(text) == _parsed_by_bson(text)


def _parsed_slowly(text: str) -> tuple[str, object]:
    try:
        return "ok", json.loads(text, object_hook=_object_hook)
    except Exception as error:
        return type(error).__name__, str(error)


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),  # past 64 bits, as mongoexport never writes
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["$HOME", 'say "$5"', "\\u0041", "x\\"]),
)
_WRAPPERS = st.one_of(
    st.builds(lambda h: {"$oid": h}, st.sampled_from(["68e99f0975ac09f853d994a5", "68E99F", "zz"])),
    st.builds(
        lambda d: {"$date": d},
        st.sampled_from(
            ["2025-10-11T00:04:25.057Z", "2025-10-11T00:04:25Z", "2025-02-30T00:00:00.000Z", "1969-12-31"]
        ),
    ),
    st.builds(lambda n: {"$numberLong": n}, st.sampled_from(["7", "-9223372036854775809", "x"])),
    st.builds(lambda d: {"$date": {"$numberLong": d}}, st.sampled_from(["1760140800000", "-1"])),
)
_VALUES = st.recursive(
    st.one_of(_SCALARS, _WRAPPERS),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b", "$c", "_id"]), inner, max_size=3),
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)  # an escaped wrapper under an unescaped one is rare
@given(
    doc=st.dictionaries(
        st.sampled_from(["_id", "timestamp", "metadata", "violations", "n", "$set"]), _VALUES, max_size=5
    ),
    spaced=st.booleans(),
    escaped=st.sets(st.integers(min_value=0, max_value=5), max_size=2),
)
def test_the_fast_parse_gives_what_the_bson_hook_gives(
    doc: dict[str, object], spaced: bool, escaped: set[int]
) -> None:
    """`loads` takes msgspec's way for typical lines: values and errors must be json's with the hook,
    also when some `$` are written as the escape `\\u0024`."""
    text = json.dumps(doc, separators=(", ", ": ") if spaced else (",", ":"))
    pieces = text.split('"$')
    text = "".join(
        piece if place == 0 else ('"\\u0024' if place - 1 in escaped else '"$') + piece
        for place, piece in enumerate(pieces)
    )
    assert _parsed(text) == _parsed_slowly(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": NaN, "_id": {"$oid": "68e99f0975ac09f853d994a5"}}',
        '{"a": 1e400}',
        '{"a": "\\ud800", "t": {"$date": "2025-10-11T00:04:25.057Z"}}',
        '{"n": 123456789012345678901234567890}',
        '{"a": 1, "a": {"$oid": "68e99f0975ac09f853d994a5"}}',
        '{"$oid": "68e99f0975ac09f853d994a5"}',
        '[{"$date": "2025-10-11T00:04:25.057Z"}]',
        '{"t": {"$date": "2025-10-11T00:04:25.057Z"}, "u": {"$date": "2025-10-11T00:04:25.057Z"}}',
        # Wrappers deeper down, repeated keys, a wrapper key written as an escape: json's way.
        '{"v": [{"_id": {"$oid": "68e99f0975ac09f853d994a5"}}], "m": {"t": {"$date": "2025-10-11T00:04:25Z"}}}',
        '{"m": {"t": {"$date": {"$numberLong": "1760140800000"}}, "n": {"$numberLong": "x"}}}',
        '{"m": {"a": {"$oid": "zz"}, "b": {"$oid": "yy"}}}',
        '{"m": {"a": {"$oid": "zz"}, "a": {"$oid": "68e99f0975ac09f853d994a5"}}}',
        '{"m": {"a": {"$oid": "68e99f0975ac09f853d994a5"}, "a": {"$oid": "zz"}}}',
        '{"m": {"\\u0024oid": "68e99f0975ac09f853d994a5"}, "s": "$HOME"}',
        '{"m": {"t": {"$date": "2025-10-11T00:04:25.057Z"}}, "s": "$HOME"}',
        # An escaped wrapper key deeper down, where the count of `"$` matches the top level's.
        '{"_id": {"$oid": "68e99f0975ac09f853d994a5"}, "m": {"p": {"\\u0024numberDouble": "0.5"}}}',
        '{"m": {"p": {"\\u0024numberLong": "5"}}}',
        # Two bad wrappers: the last in the text is under a repeated key, which the dict holds first.
        '{"a": 1, "b": {"$oid": "zz"}, "a": {"$oid": "yy"}}',
        '{"violations": [{"_id": {"$oid": "zz"}}], "_id": {"$oid": "yy"}}',
    ],
)
def test_texts_msgspec_reads_otherwise_are_parsed_as_json_does(text: str) -> None:
    assert _parsed(text) == _parsed_slowly(text)


@given(
    lines=st.lists(st.binary(max_size=4).map(lambda b: b.replace(b"\n", b"")), max_size=30),
    last_newline=st.booleans(),
    lines_per_part=st.integers(1, 6),
    chunk=st.integers(1, 9),
)
def test_parts_end_every_n_lines_wherever_the_chunks_are_cut(
    lines: list[bytes], last_newline: bool, lines_per_part: int, chunk: int
) -> None:
    """A part ends after every `lines_per_part`-th line and knows its first line's number, whatever
    chunks the file was read in; the rest of the file, if any, is the last part."""
    data = b"\n".join(lines) + (b"\n" if last_newline and lines else b"")
    file = SimpleNamespace()
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    got = [(p.index, p.start, p.stop, p.first_line) for p in _line_parts(file, 3, lines_per_part, chunks)]  # type: ignore[arg-type]
    ends = [i + 1 for i, byte in enumerate(data) if byte == ord("\n")]
    stops = ends[lines_per_part - 1 :: lines_per_part]
    starts = [0, *stops]
    expected = [
        (3 + i, start, stop, 1 + i * lines_per_part)
        for i, (start, stop) in enumerate(zip(starts, stops, strict=False))
    ]
    if len(data) > starts[-1] or not stops:
        expected.append((3 + len(stops), starts[-1], None, 1 + len(stops) * lines_per_part))
    assert got == expected


def test_parts_are_planned_while_iterated_and_the_digest_comes_at_the_end(tmp_path: Path) -> None:
    (tmp_path / "auditLogs.json").write_bytes(b"{}\n" * 7)
    source = discover(str(tmp_path))
    planned = PlannedParts(source, 3)
    parts = iter(planned)
    assert next(parts).stop == 9
    with pytest.raises(RuntimeError, match="once every part has been planned"):
        _ = planned.digest
    assert [(p.start, p.stop, p.first_line) for p in parts] == [(9, 18, 4), (18, None, 7)]
    assert planned.digest == source_digest(source)
