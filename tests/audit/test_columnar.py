"""The columnar engine against its oracle, the per-record engine: both must give the same release,
byte for byte (every shard, the card, the quarantine; the manifest apart from which engine read the
source), on the sample, on every source shape, on the bad-input dump, and on generated dumps that
mix valid, odd and malformed lines."""

from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.audit import shapes
from tests.audit.test_bad_input import dump_bytes
from tests.helpers import KEY, audit_export, export, release_contents, run
from tractatus_audit_corpus import columnar, mapping
from tractatus_audit_corpus.batches import Task
from tractatus_audit_corpus.engines import Engine
from tractatus_audit_corpus.sample import write_sample
from tractatus_datasets.anonymise import Granularity
from tractatus_datasets.errors import ProblemsFound
from tractatus_datasets.manifest import Manifest
from tractatus_datasets.release import quarantine_path
from tractatus_datasets.sources import PlannedParts, discover

AUDIT = Path(mapping.__file__).parent


def _both(source: Path, out: Path, **options: Any) -> tuple[Manifest, Manifest]:
    python = export(source, out / "python", engine=Engine.PYTHON, **options)
    columnar_ = export(source, out / "columnar", engine=Engine.COLUMNAR, **options)
    assert release_contents(out / "columnar", engine=False) == release_contents(out / "python", engine=False)
    return python, columnar_


def test_the_sample_gives_the_same_release_and_most_of_it_is_read_in_columns(tmp_path: Path) -> None:
    source = tmp_path / "source"
    write_sample(source, records=3_000)  # credentials in free text included
    python, manifest = _both(source, tmp_path, k=5)
    assert python.options["engine"] == {"name": "python"}
    assert manifest.options["engine"] == {"name": "columnar", "routed_records": _routed_in_sample(source)}
    assert manifest.counts.read == 3_000


def _routed_in_sample(source: Path) -> int:
    """What the columnar engine routes in a sample: the legacy files, the dump's AuditLogger
    entries (a shape it does not read), and the deliberation orchestrator's decisions, whose
    metadata keys are unknown to the allow-list."""
    legacy = sum(len(path.read_text().splitlines()) for path in (source / "legacy").iterdir())
    dump = (source / "auditLogs.json").read_text()
    return legacy + dump.count('"audit_id"') + dump.count('"pluralistic_deliberation"')


@pytest.mark.parametrize("canonical", [False, True], ids=["relaxed", "canonical"])
def test_every_source_shape_gives_the_same_release(tmp_path: Path, canonical: bool) -> None:
    source = shapes.write_source(tmp_path / "source", canonical=canonical)
    _, manifest = _both(source, tmp_path, k=2)
    assert manifest.counts.quarantined > 0 and manifest.counts.duplicates > 0


def test_the_bad_input_dump_gives_the_same_release_and_quarantine(tmp_path: Path) -> None:
    data, expected = dump_bytes()
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "auditLogs.json").write_bytes(data)
    _, manifest = _both(tmp_path / "source", tmp_path)
    assert manifest.counts.quarantined == len(expected)
    assert manifest.options["engine"]["routed_records"] >= len(expected)


def test_a_line_holding_two_objects_is_routed_not_read_as_two_rows(tmp_path: Path) -> None:
    good = shapes.write_source(tmp_path / "shapes")
    lines = (good / "auditLogs.json").read_bytes().splitlines()
    (tmp_path / "source").mkdir()
    doubled = [lines[0] + b" " + lines[0], *lines[1:]]
    (tmp_path / "source" / "auditLogs.json").write_bytes(b"\n".join(doubled))
    _both(tmp_path / "source", tmp_path, k=2)
    quarantine = json.loads(quarantine_path(tmp_path / "python").read_text().splitlines()[0])
    assert (quarantine["line"], quarantine["reason"]) == (1, "unparseable")


def test_a_document_nested_too_deep_is_quarantined_by_both(tmp_path: Path) -> None:
    write_sample(tmp_path / "source", records=200, credentials=False)
    dump = tmp_path / "source" / "auditLogs.json"
    lines = dump.read_text().splitlines()
    doc = json.loads(lines[0])
    deep: Any = "bottom"
    for _ in range(101):
        deep = {"in": deep}
    doc["metadata"] = {"parameters": deep}  # a dropped value: only its depth matters
    dump.write_text("\n".join([json.dumps(doc), *lines[1:]]) + "\n")
    _, manifest = _both(tmp_path / "source", tmp_path)
    assert manifest.counts.quarantined == 1
    assert json.loads(quarantine_path(tmp_path / "columnar").read_text())["reason"] == "too_deep"


def test_a_row_the_model_would_refuse_goes_the_per_record_way(tmp_path: Path) -> None:
    # Python's `$` lets a rule id end with a line feed; the row model's pattern does not. The
    # columnar row breaks a constraint, so its line goes through the per-record stages, which
    # quarantine it as the model refuses it.
    write_sample(tmp_path / "source", records=200, credentials=False)
    dump = tmp_path / "source" / "auditLogs.json"
    lines = dump.read_text().splitlines()
    doc = json.loads(lines[0]) | {"rulesChecked": ["inst_002", "inst_001\n"]}
    dump.write_text("\n".join([*lines[1:], json.dumps(doc)]) + "\n")
    _, manifest = _both(tmp_path / "source", tmp_path, k=5)
    assert manifest.counts.quarantined_by_reason == {"invalid_row": 1}
    assert manifest.options["engine"]["routed_records"] == _routed_in_sample(tmp_path / "source") + 1


def test_a_date_in_a_form_the_sql_does_not_read_goes_the_per_record_way(tmp_path: Path) -> None:
    # `bson` reads a date with a UTC offset; its first 19 characters alone would be another moment.
    write_sample(tmp_path / "source", records=200, credentials=False)
    dump = tmp_path / "source" / "auditLogs.json"
    lines = dump.read_text().splitlines()
    offset = json.loads(lines[0]) | {"timestamp": {"$date": "2025-10-25T01:00:00+13:00"}}
    created = json.loads(lines[1]) | {"createdAt": {"$date": "2025-10-25T01:00:00.000+13:00"}}
    dump.write_text("\n".join([*lines[2:], json.dumps(offset), json.dumps(created)]) + "\n")
    _, columnar_ = _both(tmp_path / "source", tmp_path, k=1)
    assert columnar_.options["engine"]["routed_records"] == _routed_in_sample(tmp_path / "source") + 2
    times = pq.read_table(tmp_path / "columnar" / "data" / "full").column("timestamp").to_pylist()
    assert dt.datetime(2025, 10, 24, 12, 0, tzinfo=dt.UTC) in times  # 01:00 at +13:00


def test_violation_rule_ids_are_read_in_columns_as_the_per_record_engine_reads_them(tmp_path: Path) -> None:
    # Python's `\d` takes any decimal digit, Arabic-Indic ones included: such an id is a rule id
    # to both engines, and the columnar one reads it without routing the line.
    write_sample(tmp_path / "source", records=200, credentials=False)
    dump = tmp_path / "source" / "auditLogs.json"
    lines = dump.read_text().splitlines()
    arabic = "inst_\u0661\u0662"
    violations = [arabic, {"ruleId": "inst_003", "severity": "HIGH"}, {"ruleId": 7}, "inst_003", "free words"]
    doc = json.loads(lines[0]) | {"violations": violations}
    dump.write_text("\n".join([*lines[1:], json.dumps(doc)]) + "\n")
    _, columnar_ = _both(tmp_path / "source", tmp_path, k=1)
    assert columnar_.options["engine"]["routed_records"] == _routed_in_sample(tmp_path / "source")
    full = pq.read_table(tmp_path / "columnar" / "data" / "full").column("violated_rules").to_pylist()
    assert full.count([arabic, "inst_003"]) == 1
    lines[0] = json.dumps(json.loads(lines[0]) | {"violations": []})
    dump.write_text("\n".join([*lines[1:], lines[0]]) + "\n")
    without = export(tmp_path / "source", tmp_path / "without", engine=Engine.COLUMNAR, k=1)
    dropped = "violation_text_dropped"
    assert columnar_.counts.normalisation.get(dropped, 0) - without.counts.normalisation.get(dropped, 0) == 2


def test_top_level_free_text_is_counted_leaf_by_leaf_by_both(tmp_path: Path) -> None:
    write_sample(tmp_path / "source", records=200, credentials=False)
    dump = tmp_path / "source" / "auditLogs.json"
    lines = dump.read_text().splitlines()
    doc = json.loads(lines[0]) | {"reason": "free words", "context": {"a": [1, 2], "b": None}}
    dump.write_text("\n".join([*lines[1:], json.dumps(doc)]) + "\n")
    _, with_text = _both(tmp_path / "source", tmp_path, k=1)
    dump.write_text("\n".join([*lines[1:], lines[0]]) + "\n")
    without = export(tmp_path / "source", tmp_path / "without", engine=Engine.COLUMNAR, k=1)
    free = "free_text"
    assert (
        with_text.counts.values_dropped_by_reason[free] - without.counts.values_dropped_by_reason.get(free, 0)
        == 4
    )


def test_a_dump_whose_name_reads_as_a_pattern_is_not_read_as_another_file(tmp_path: Path) -> None:
    # As a pattern, `auditLogs[1].json` names `auditLogs1.json`: a dump of as many lines, other records.
    shaped = shapes.write_source(tmp_path / "shapes") / "auditLogs.json"
    lines = [line for line in shaped.read_bytes().splitlines() if line.strip()]
    write_sample(tmp_path / "sample", records=len(lines) * 2, credentials=False)
    other = (tmp_path / "sample" / "auditLogs.json").read_bytes().splitlines()[: len(lines)]
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "auditLogs[1].json").write_bytes(b"\n".join(lines) + b"\n")
    (tmp_path / "source" / "auditLogs1.json").write_bytes(b"\n".join(other) + b"\n")
    _both(tmp_path / "source", tmp_path, k=2)  # each engine reads each file as itself


# ----------------------------------------------------------------------------------------------
# Generated dumps: valid documents with odd values, and malformed lines, in any mix


def _oid(n: int) -> dict[str, str]:
    return {"$oid": f"{n:024x}"}


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**20), st.floats(allow_nan=False), _TEXT)
_VALUE = st.recursive(
    _SCALAR,
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(_TEXT, children, max_size=3)),
    max_leaves=6,
)


def _mostly(normal: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`normal`, and one time in eight `odd`: most documents stay ones the SQL reads itself."""
    return st.integers(0, 7).flatmap(lambda i: odd if i == 0 else normal)


_VOCAB = {
    "action": _mostly(
        st.sampled_from([*(a.value for a in mapping.ACTION_SERVICE), "test_action"]),
        st.sampled_from(["made_up", ""]),
    ),
    "service": _mostly(
        st.sampled_from([None, *(s.value for s in mapping.VERDICTS), "Other", "SomeFuture"]), st.just(5)
    ),
    "domain": _mostly(st.sampled_from([None, "STR", "ops", "SYSTEM", "UNKNOWN", 3]), st.just("Wısdom")),
    "boundary": _mostly(
        st.sampled_from([None, "VALUES", "values", "none", "PURPOSE", "ERROR", "nonsense"]),
        st.sampled_from(["", 1]),
    ),
    "tractatus_section": _mostly(st.sampled_from([None, "12.1", "12.4", "12.9", "13"]), st.just("")),
    "durationMs": st.one_of(st.none(), st.floats(allow_nan=False), st.integers(-5, 10**6), st.just("fast")),
}
_METADATA = st.fixed_dictionaries(
    {},
    optional={
        "pressure_level": st.sampled_from(["NORMAL", "HIGH", "DANGEROUS", "UNKNOWN", "weird", 2]),
        "pressure_level_numeric": st.one_of(st.integers(-1, 6), st.floats(0, 5), st.booleans()),
        "overall_pressure": st.one_of(st.floats(-1, 2), st.just("0.5"), st.none()),
        "action_required": st.sampled_from(["PROCEED", "RECOMMEND_REFRESH", "NOPE", 7]),
        "enforcement_decision": st.sampled_from(["ALLOWED", "BLOCKED", "MAYBE"]),
        "validation_status": st.sampled_from(["APPROVED", "WARNING", "REJECTED", "ESCALATE", None]),
        "decision": st.sampled_from(["PROCEED", "BLOCK", "REQUIRE_REVIEW", "?"]),
        "boundary": _VOCAB["boundary"],
        "quadrant": _VOCAB["domain"],
        "domain": _VOCAB["domain"],
        "metrics": _VALUE,
        "parameters": _VALUE,
        "instruction_text": _TEXT,
    },
)
_VIOLATION = st.one_of(
    _mostly(st.sampled_from(["inst_016", "VALUES", "some text"]), st.just("inst_١٢")),
    st.fixed_dictionaries(
        {
            "ruleId": st.sampled_from(["inst_017", "STR-001", "text", 5]),
            "severity": st.sampled_from(["HIGH", "LOW", "odd"]),
        },
        optional={"details": _VALUE, "_id": st.just({"$oid": "68fc0a0b0c0d0e0f1011ffff"})},
    ),
    st.integers(0, 3),
)


@st.composite
def _document(draw: st.DrawFn, n: int) -> dict[str, Any]:
    day = draw(st.integers(1, 28))
    when = {
        "$date": f"2025-10-{day:02d}T{draw(st.integers(0, 23)):02d}:00:{draw(st.integers(0, 59)):02d}.{draw(st.integers(0, 999)):03d}Z"
    }
    doc: dict[str, Any] = {
        "_id": draw(_mostly(st.sampled_from([_oid(n), f"id-{n}"]), st.just(n))),
        "sessionId": draw(
            _mostly(st.sampled_from(["2025-10-07-001", "s-2"]), st.sampled_from(["  ", "", None, 4]))
        ),
        "action": draw(_VOCAB["action"]),
        "allowed": draw(_mostly(st.booleans(), st.sampled_from([None, "yes"]))),
        "rulesChecked": draw(
            st.lists(
                _mostly(
                    st.sampled_from(["inst_001", "TRA-OPS-0001", "text"]),
                    st.sampled_from(["x\ny", "inst_002\n", 3, "inst_١٢", [1], {"a": "inst_003"}]),
                ),
                max_size=4,
            )
        ),
        "violations": draw(st.lists(_VIOLATION, max_size=3)),
        "metadata": draw(_METADATA),
        "timestamp": draw(
            _mostly(
                st.just(when),
                st.sampled_from(
                    [
                        {"$date": "2019-12-31T23:59:59Z"},
                        {"$date": True},
                        {"$date": "2025-10-01T12:00:00+13:00"},  # `bson` reads the offset
                        "2025-10-01T00:00:00Z",
                        None,
                    ]
                ),
            )
        ),
        "createdAt": when,
        "__v": 0,
    }
    for name in ("service", "domain", "boundary", "tractatus_section", "durationMs"):
        if draw(st.booleans()):
            doc[name] = draw(_VOCAB[name])
    if draw(st.integers(0, 9)) == 0:
        doc["userId"] = draw(st.sampled_from([_oid(999), "u-12345678", 7]))
        doc["ipAddress"] = "203.0.113.9"
    if draw(st.integers(0, 9)) == 0:
        doc["surprise"] = draw(_VALUE)
    for name in ("reason", "context"):  # free text, dropped leaf by leaf
        if draw(st.integers(0, 5)) == 0:
            doc[name] = draw(_VALUE)
    if draw(st.integers(0, 7)) == 0:  # what the allow-list does not know, and Extended JSON in metadata
        doc["metadata"] |= draw(
            st.sampled_from(
                [
                    {"unexpected_key": [1, {"a": None}]},
                    {"when": {"$date": "2025-10-10T00:00:00Z"}},
                    {"count": {"$numberLong": "7"}},
                    {"checks": {"$numberLong": "seven"}},  # `bson` refuses it: the record is quarantined
                    {"trend": {"$regex": "^a", "$options": "i"}},  # one value to `bson`, two to a dict
                ]
            )
        )
    return doc


_MALFORMED = st.sampled_from(
    [
        b"not json",
        b'{"a": 1,}',
        b'{"_id": {"$oid": "000000000000000000000001"}, "sessionId": "s-1", "action": "x", "allowed": NaN}',
        b"[1, 2]",
        b"",
        b"   ",
        b'{"sessionId": "s\x01-1"}',
        b'{"sessionId": "\xff"}',
        b'{"sessionId": "a", "sessionId": "b"}',
        b'{"x": "\\ud800"}',
        b"{}",
    ]
)


def _line(doc: dict[str, Any], spacing: str) -> bytes:
    separators = (", ", ": ") if spacing == "mongoexport" else (",", ":")
    return json.dumps(doc, separators=separators, ensure_ascii=spacing == "ascii", allow_nan=True).encode()


def _with_repeated_key(line: bytes) -> bytes:
    """`line` with a metadata value whose object repeats a key (no Python dict can hold one)."""
    repeated = b'"checks": {"x": 1, "x": {"y": [1, 2]}}'
    for opening in (b'"metadata": {', b'"metadata":{'):
        if opening + b"}" in line:
            return line.replace(opening + b"}", opening + repeated + b"}", 1)
        if opening in line:
            return line.replace(opening, opening + repeated + b", ", 1)
    return line


@st.composite
def _dump(draw: st.DrawFn) -> bytes:
    lines = []
    for n in range(1, draw(st.integers(1, 12)) + 1):
        if draw(st.integers(0, 4)) == 0:
            lines.append(draw(_MALFORMED))
            continue
        line = _line(draw(_document(n)), draw(st.sampled_from(["mongoexport", "compact", "ascii"])))
        if draw(st.integers(0, 9)) == 0:  # a repeated key, the later value different
            line = line[:-1] + b', "sessionId": "2025-10-07-009"}'
        if draw(st.integers(0, 4)) == 0:  # a repeated key deep in a dropped value: fewer leaves in Python
            line = _with_repeated_key(line)
        if draw(st.booleans()):  # a wrapper's `$` as an escape: `bson` still reads the wrapper
            line = line.replace(b'"$numberLong', b'"\\u0024numberLong')
        lines.append(line + draw(st.sampled_from([b"\n", b"\r\n"])))
    return b"\n".join(lines)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_dump())
def test_generated_dumps_give_the_same_release(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    folder = tmp_path_factory.mktemp("generated")
    (folder / "source").mkdir()
    (folder / "source" / "auditLogs.json").write_bytes(data)
    outcomes = []
    for engine in (Engine.PYTHON, Engine.COLUMNAR):
        try:
            export(folder / "source", folder / engine.value, engine=engine)
        except ProblemsFound as error:  # nothing exportable, or not a dump at all: refused alike
            outcomes.append(str(error))
        else:
            outcomes.append(release_contents(folder / engine.value, engine=False))
    assert outcomes[1] == outcomes[0]


# ----------------------------------------------------------------------------------------------
# One source of truth


def _mapping_names(tree: ast.AST) -> set[str]:
    """The names a module's code reads from `mapping` (`mapping.X`), or, in `mapping` itself, uses."""
    return {
        node.attr if isinstance(node, ast.Attribute) else node.id
        for node in ast.walk(tree)
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "mapping"
        )
        or (isinstance(node, ast.Name) and node.id in mapping.__all__)
    }


def _used(*modules: str) -> set[str]:
    """The tables of `mapping` that `modules` use, directly or through a function of `mapping`."""
    functions = {
        node.name: _mapping_names(node)
        for node in ast.parse((AUDIT / "mapping.py").read_text()).body
        if isinstance(node, ast.FunctionDef)
    }
    names = set().union(*(_mapping_names(ast.parse((AUDIT / m).read_text())) for m in modules))
    return {name for name in names | set().union(*(functions.get(n, set()) for n in names)) if name.isupper()}


def test_every_mapping_table_is_used_by_both_engines() -> None:
    per_record = _used("readings.py", "normalise.py")
    in_sql = _used(*(str(path.relative_to(AUDIT)) for path in sorted((AUDIT / "columnar").glob("*.py"))))
    assert per_record - in_sql == columnar.PER_RECORD_ONLY
    assert in_sql == per_record - columnar.PER_RECORD_ONLY
    assert {"VERDICTS", "DOMAIN_ALIASES", "OUTCOMES", "LEVEL_ACTION", "ACTION_SERVICE"} <= in_sql


def test_the_command_line_chooses_the_engine_by_name(tmp_path: Path) -> None:
    sample = Path(__file__).parents[2] / "samples" / "audit"
    for name, options in (
        ("default", []),
        ("columnar", ["--engine", "columnar"]),
        ("python", ["--engine", "python"]),
    ):
        result = run(*audit_export(sample, tmp_path / name, "--demo-key", *options))
        assert result.returncode == 0, result.stderr
    engine = json.loads((tmp_path / "columnar" / "MANIFEST.json").read_text())["options"]["engine"]
    assert engine == {"name": "columnar", "routed_records": _routed_in_sample(sample)}
    assert release_contents(tmp_path / "default") == release_contents(tmp_path / "columnar")  # the default
    python = json.loads((tmp_path / "python" / "MANIFEST.json").read_text())["options"]["engine"]
    assert python == {"name": "python"}
    refused = run(*audit_export(sample, tmp_path / "old", "--demo-key", "--engine", "local"))
    assert refused.returncode == 2
    assert refused.stderr.rstrip().endswith(
        "argument --engine: invalid choice: 'local' (choose from 'python', 'columnar', 'dask')"
    )


def test_a_dump_cut_into_parts_gives_the_same_release(tmp_path: Path) -> None:
    write_sample(tmp_path / "source", records=3_000, credentials=False)
    _both(tmp_path / "source", tmp_path, k=5, lines_per_part=333, workers=2)


def test_a_part_writes_the_rows_it_counts(tmp_path: Path) -> None:
    write_sample(tmp_path / "source", records=3_000, credentials=False)
    dump = discover(str(tmp_path / "source" / "auditLogs.json"))
    parts = list(PlannedParts(dump, 1_000))
    (tmp_path / "rows").mkdir()
    task = Task(
        parts[1], KEY, Granularity.MINUTE, dump.max_record_bytes, tmp_path / "rows" / "part-000001.parquet"
    )
    result = columnar.run_columnar_part(task)
    assert result.read == 1_000 and 0 < result.routed < 100
    written = sum(pq.read_metadata(path).num_rows for path in (tmp_path / "rows").glob("*.parquet"))
    assert written == result.rows == result.read - len(result.rejected)
