"""The leak gate on written releases: planted leaks are found, located, named, and never echoed."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.audit import shapes
from tests.helpers import export, run
from tests.leaks import leaks
from tractatus_audit_corpus.builder import SPEC
from tractatus_datasets.errors import ProblemsFound
from tractatus_datasets.gate import _texts, scan_release
from tractatus_datasets.identifiers import (
    MIN_IDENTIFIER_LENGTH,
    Identifiers,
    _digest_prefixes,
    _fingerprint,
    _fingerprints,
)

FULL = "data/full/train-00000-of-00001.parquet"
BY_CATEGORY = {leak.category: leak.value for leak in leaks()}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gate")
    export(shapes.write_source(root / "source"), root / "release")
    return root / "release"


@pytest.fixture
def release(clean: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "release"
    shutil.copytree(clean, copy)
    return copy


def rewrite_cell(root: Path, column: str, row: int, value: object) -> None:
    """Change one cell of the `full` shard, keeping its schema (and so its features)."""
    path = root / FULL
    table = pq.read_table(path)
    values = table.column(column).to_pylist()
    values[row] = value
    table = table.set_column(
        table.schema.get_field_index(column),
        table.schema.field(column),
        pa.array(values, type=table.schema.field(column).type),
    )
    pq.write_table(table, path)


def found(
    root: Path, identifiers: Identifiers | None = None
) -> list[tuple[str, str | None, int | None, str]]:
    result = scan_release(root, identifiers, SPEC.pseudonym_columns)
    return [(f.file, f.column, f.location, f.detector) for f in result.findings]


def test_a_clean_release_passes(clean: Path) -> None:
    assert found(clean, Identifiers(shapes.RAW_IDENTIFIERS)) == []


@pytest.mark.parametrize(
    "category", ["email", "posix_home_path", "github_classic_token", "base64_email", "jwt"]
)
def test_a_leak_in_a_vocabulary_cell_is_found(release: Path, category: str) -> None:
    rewrite_cell(release, "verdict", 3, BY_CATEGORY[category])
    assert {(file, column, row) for file, column, row, _ in found(release)} == {(FULL, "verdict", 3)}


def test_a_leak_inside_a_list_cell_is_found_with_its_row(release: Path) -> None:
    rewrite_cell(release, "rules_checked", 5, ["inst_016", BY_CATEGORY["ipv6_full"]])
    assert found(release) == [(FULL, "rules_checked", 5, "ipv6")]


def test_pseudonym_columns_hold_only_keyed_pseudonyms(release: Path) -> None:
    session_id = "boundary-enforcer-session"
    rewrite_cell(release, "session", 0, session_id)  # a raw id where a pseudonym belongs
    rewrite_cell(
        release, "decision_id", 1, hashlib.md5(session_id.encode(), usedforsecurity=False).hexdigest()
    )
    assert found(release, Identifiers([session_id])) == [
        (FULL, "decision_id", 1, "not_a_pseudonym"),  # an unkeyed hash of a raw identifier
        (FULL, "session", 0, "not_a_pseudonym"),
    ]


def test_leaks_in_text_files_are_found_by_line_or_json_path(release: Path) -> None:
    card = release / "README.md"
    lines = card.read_text().splitlines()
    lines.insert(40, f"Contact: {BY_CATEGORY['email']}")
    card.write_text("\n".join(lines) + "\n")
    manifest = json.loads((release / "MANIFEST.json").read_text())
    manifest["source"]["kind"] = BY_CATEGORY["mongodb_uri"]
    (release / "MANIFEST.json").write_text(json.dumps(manifest))
    assert found(release) == [
        ("MANIFEST.json", "$.source.kind", None, "database_uri"),
        ("README.md", None, 41, "email"),
    ]


def test_raw_identifiers_and_their_unkeyed_hashes_are_found_anywhere(release: Path) -> None:
    identifier = "2025-10-07-001"
    (release / "NOTES.md").write_text(
        f"built from session {identifier}\ndigest {hashlib.sha256(identifier.encode()).hexdigest()[:32]}\n"
    )
    assert found(release, Identifiers([identifier])) == [
        ("NOTES.md", None, 1, "raw_identifier"),
        ("NOTES.md", None, 1, "session_id"),
        ("NOTES.md", None, 2, "unkeyed_hash"),
    ]


def test_files_that_cannot_be_scanned_or_do_not_belong_are_findings(release: Path) -> None:
    (release / "loader.py").write_text("print('a loading script')\n")
    (release / "blob.bin").write_bytes(bytes(range(256)))
    shard = (release / FULL).read_bytes()  # cut short, as by an interrupted copy:
    (release / FULL).with_name("cut-short.parquet").write_bytes(shard[: len(shard) // 2])
    assert found(release) == [
        ("blob.bin", None, None, "unscannable_file"),
        ("data/full/cut-short.parquet", None, None, "unreadable_parquet"),
        ("loader.py", None, None, "unexpected_file"),
    ]


def test_scan_command_exits_1_and_reports_without_the_value(release: Path) -> None:
    assert run("scan", release).returncode == 0
    secret = BY_CATEGORY["openai_key"]
    rewrite_cell(release, "boundary", 2, f"see {secret}")
    result = run("scan", release)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: 1 finding(s), 1 cell(s) or place(s), in {release}; do not publish it",
        f"  {FULL}:2: boundary: openai_key (1 cell(s))",
    ]
    assert secret not in result.stderr + result.stdout


def test_scan_searches_identifiers_from_a_file(release: Path, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("Tractatus Audit Decision Corpus\n")  # printed in the card: found as a raw identifier
    result = run("scan", release, "--identifiers", ids)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: 5 finding(s), 7 cell(s) or place(s), in {release}; do not publish it"
    assert len(lines) == 1 + 5
    assert "  README.md:5: raw_identifier (3 place(s))" in lines  # YAML, title and BibTeX
    assert "CITATION.cff:4: raw_identifier (1 place(s))" in result.stderr  # its title


def test_the_export_fails_closed_when_the_gate_finds_something(tmp_path: Path) -> None:
    source = shapes.write_source(tmp_path / "source")
    dump = source / "auditLogs.json"
    # A session id that the card also prints (its license): harmless text, but the gate cannot tell.
    dump.write_text(dump.read_text().replace('"boundary-enforcer-session"', '"cc-by-sa-4.0"'))
    with pytest.raises(ProblemsFound) as caught:
        export(source, tmp_path / "release")
    assert "the leak gate found" in caught.value.summary
    assert "README.md:2: raw_identifier (1 place(s))" in caught.value.report()  # `license:` in the YAML
    assert not (tmp_path / "release").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["release.quarantine.jsonl", "source"]


@given(
    identifiers=st.lists(st.text("ab-1.é😀 ", min_size=1, max_size=9), max_size=8),
    text=st.text("ab-1.é😀 x", max_size=40),
    split=st.integers(0, 8),
)
def test_identifiers_are_found_wherever_they_occur(identifiers: list[str], text: str, split: int) -> None:
    searched = [value.strip() for value in identifiers if len(value.strip()) >= MIN_IDENTIFIER_LENGTH]
    expected = any(value in text for value in searched)
    assert Identifiers(identifiers).in_text(text) == expected
    # As the export gathers them: one set per part of the source, merged.
    merged, second = Identifiers(identifiers[:split]), Identifiers(identifiers[split:])
    merged.update(second)
    assert merged.in_text(text) == expected
    assert merged.count == len(set(searched))


def test_identifiers_merged_from_many_parts_are_all_kept_through_every_fold() -> None:
    # 40 parts of 5,000, each sharing half its ids with the part before: enough to be folded in
    # several times on the way (and once more at the end), as a large source's parts are.
    parts = [[f"session-{n:07d}" for n in range(start, start + 5_000)] for start in range(0, 100_000, 2_500)]
    merged = Identifiers()
    for part in parts:
        merged.update(Identifiers(part))
    assert merged.count == 102_500
    for value in ("session-0000000", "session-0051234", "session-0102499"):
        assert merged.in_text(f"from {value}.")
        assert merged.is_unkeyed_hash(hashlib.sha256(value.encode()).hexdigest())
    assert not merged.in_text("session-0102500") and not merged.is_unkeyed_hash("0" * 32)


def test_identifiers_kept_on_disk_answer_as_before_and_take_more(tmp_path: Path) -> None:
    values = ["2025-10-07-001", "203.0.113.7", "agent-session-9f3c"]
    kept = Identifiers(values[:2]).keep_on_disk(tmp_path / "ids")
    assert sorted(p.name for p in (tmp_path / "ids").iterdir()) == ["digests.npy", "prints.npy"]
    assert kept.count == 2 and kept.in_text("session 2025-10-07-001 ended")
    assert kept.is_unkeyed_hash(hashlib.sha256(b"203.0.113.7").hexdigest()[:16])
    assert not kept.in_text(values[2])
    kept.update(Identifiers(values[2:]))  # still open to more: they are folded in beside the files
    assert kept.count == 3 and kept.in_text(f"from {values[2]}") and kept.in_text("203.0.113.7")


@given(identifier=st.text(min_size=MIN_IDENTIFIER_LENGTH, max_size=30).filter(lambda v: v == v.strip()))
def test_unkeyed_hashes_of_identifiers_are_found_whole_cut_and_in_either_case(identifier: str) -> None:
    identifiers = Identifiers([identifier])
    for name in ("md5", "sha1", "sha256"):
        digest = hashlib.new(name, identifier.encode()).hexdigest()
        for token in (digest, digest[:32], digest[:16], digest.upper()):
            assert identifiers.is_unkeyed_hash(token), (name, token)
    other = hashlib.sha256(identifier.encode() + b"!").hexdigest()
    assert not any(identifiers.is_unkeyed_hash(t) for t in (other, other[:16], "0" * 16, "xyz"))


def _digest_like() -> st.SearchStrategy[str]:
    hex_text = st.text(alphabet="0123456789abcdefABCDEF", min_size=1, max_size=70)
    return st.one_of(hex_text, st.text(max_size=70), hex_text.map(lambda t: t + "\n"))


@given(
    identifier=st.text(min_size=MIN_IDENTIFIER_LENGTH, max_size=12).filter(lambda v: v == v.strip()),
    others=st.lists(_digest_like(), max_size=8),
    cut=st.sampled_from([16, 32, 40, 64, 15, 33]),
)
def test_unkeyed_hashes_of_many_tokens_are_each_tokens_answer(
    identifier: str, others: list[str], cut: int
) -> None:
    """The Arrow way through many tokens gives, token by token, what the definition says: a whole
    or cut md5, sha1 or sha256 of an identifier, in hex of 16, 32, 40 or 64 digits."""
    identifiers = Identifiers([identifier])
    digests = [hashlib.new(name, identifier.encode()).hexdigest() for name in ("md5", "sha1", "sha256")]
    tokens = [*others, *(digest[:cut] for digest in digests), digests[2].upper()]
    expected = [
        len(token) in {16, 32, 40, 64}
        and all(c in "0123456789abcdefABCDEF" for c in token)
        and any(d.startswith(token.lower()[:16]) for d in digests)
        for token in tokens
    ]
    assert identifiers.unkeyed_hashes(pa.array(tokens)).tolist() == expected
    assert identifiers.unkeyed_hashes(tokens).tolist() == expected


@given(values=st.lists(st.text(min_size=1, max_size=40), max_size=20))
def test_fingerprints_of_many_values_are_each_values_fingerprint(values: list[str]) -> None:
    """The numpy way gives, value by value, the polynomial hash the gate defines (`_fingerprint`)."""
    assert _fingerprints(values).tolist() == [_fingerprint(value) for value in values]
    lone = "id-\ud800-7"  # half a UTF-16 pair, as a JSON escape can give
    assert _fingerprints([*values, lone]).tolist()[-1] == _fingerprint(lone)


@given(values=st.lists(st.text(min_size=1, max_size=40), max_size=20))
def test_digest_prefixes_of_many_values_are_each_values_digests(values: list[str]) -> None:
    """DuckDB's digests, all values at once, are hashlib's, value by value, in the same order."""
    expected = [
        int.from_bytes(hashlib.new(name, value.encode()).digest()[:8], "big")
        for value in values
        for name in ("md5", "sha1", "sha256")
    ]
    assert _digest_prefixes(values).tolist() == expected


def test_a_shard_is_scanned_row_group_by_row_group_with_rows_counted_across_groups(tmp_path: Path) -> None:
    pseudonym = "0123456789abcdef" * 2
    ip = ".".join(["203", "0", "113", "9"])
    table = pa.table(
        {
            "decision_id": [
                pseudonym,
                pseudonym,
                pseudonym,
                "not-a-pseudonym",
                pseudonym,
                "x" * 32,
                pseudonym,
            ],
            "rules_checked": [["inst_1"], [], ["inst_2", ip], ["inst_3"], [ip, ip], ["inst_4"], [ip]],
        }
    )
    (tmp_path / "data").mkdir()
    pq.write_table(table, tmp_path / "data" / "shard.parquet", row_group_size=2)
    assert pq.ParquetFile(tmp_path / "data" / "shard.parquet").num_row_groups == 4
    result = scan_release(tmp_path, Identifiers(), frozenset({"decision_id"}), part="data")
    assert [(f.column, f.location, f.detector, f.count) for f in result.findings] == [
        ("decision_id", 3, "not_a_pseudonym", 2),
        ("rules_checked", 2, "ipv4", 4),
    ]
    assert result.cells == 7 + 8


def _resident_kb(path: Path) -> int:
    """How much of `path`, mapped into this process, is resident (Linux's /proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and len(fields) >= 5:  # a mapping's header line
            inside = fields[-1] == str(path)
        elif inside and fields[0] == "Rss:":
            total += int(fields[1])
    return total


def test_identifier_files_stop_counting_as_resident_once_their_pages_are_dropped(tmp_path: Path) -> None:
    values = [f"session-{n:07d}" for n in range(50_000)]
    kept = Identifiers(values).keep_on_disk(tmp_path / "ids")
    digests = [hashlib.sha256(value.encode()).hexdigest() for value in values]
    assert kept.unkeyed_hashes(digests).all() and kept.in_text(values[-1])
    assert _resident_kb(tmp_path / "ids" / "digests.npy") > 1000  # 1.2 MB searched through
    kept.drop_pages()
    assert (
        _resident_kb(tmp_path / "ids" / "digests.npy") == _resident_kb(tmp_path / "ids" / "prints.npy") == 0
    )
    assert kept.unkeyed_hashes(digests).all() and kept.count == 50_000  # and the answers are the same


def test_text_is_found_in_every_arrow_type_that_can_hold_it(tmp_path: Path) -> None:
    """A folder the gate did not write (`tractatus-datasets scan`) may store text as dictionaries,
    views, bytes, structs, maps or fixed-size lists: each is read, and a leak is named by its place."""
    email, ip = BY_CATEGORY["email"], BY_CATEGORY["ipv4"]
    invalid_utf8 = b"\xff " + ip.encode()
    struct = pa.struct([("kind", pa.string()), ("count", pa.int64())])
    table = pa.table(
        {
            "n": pa.array([1, 2, 3], pa.int64()),
            "dictionary": pa.array(["ok", email, "ok"]).dictionary_encode(),
            "view": pa.array([None, None, email], pa.string_view()),
            "bytes": pa.array([b"ok", invalid_utf8, None], pa.binary()),
            "fixed": pa.array([[None, None], ["ok", ip], None], pa.list_(pa.string(), 2)),
            "struct": pa.array([{"kind": "ok", "count": 1}, None, {"kind": email, "count": 2}], struct),
            "map": pa.array([[], [(email, "ok")], [("ok", ip)]], pa.map_(pa.string(), pa.string())),
            "deep": pa.array(
                [[{"kind": None, "count": 0}], [], [{"kind": ip, "count": 0}]], pa.list_(struct)
            ),
        }
    )
    pq.write_table(table, tmp_path / "foreign.parquet", row_group_size=2)
    assert found(tmp_path) == [
        ("foreign.parquet", "dictionary", 1, "email"),
        ("foreign.parquet", "view", 2, "email"),
        ("foreign.parquet", "bytes", 1, "ipv4"),
        ("foreign.parquet", "fixed", 1, "ipv4"),
        ("foreign.parquet", "struct.kind", 2, "email"),
        ("foreign.parquet", "map.key", 1, "email"),
        ("foreign.parquet", "map.value", 2, "ipv4"),
        ("foreign.parquet", "deep.kind", 2, "ipv4"),
    ]


def test_a_leak_is_counted_and_located_across_row_groups(tmp_path: Path) -> None:
    email = BY_CATEGORY["email"]
    kinds = pa.array([{"kind": email if row in (3, 5, 6) else "ok"} for row in range(8)])
    pq.write_table(pa.table({"s": kinds}), tmp_path / "groups.parquet", row_group_size=3)
    result = scan_release(tmp_path)
    assert [(f.column, f.location, f.detector, f.count) for f in result.findings] == [
        ("s.kind", 3, "email", 3)
    ]
    assert result.cells == 8


@pytest.mark.parametrize("place", ["nested name", "field metadata", "list item metadata"])
def test_text_anywhere_in_the_schema_is_scanned(tmp_path: Path, place: str) -> None:
    email = BY_CATEGORY["email"]
    item = pa.field("item", pa.int64(), metadata={"note": email} if place == "list item metadata" else None)
    kind = pa.struct([(email if place == "nested name" else "n", pa.list_(item))])
    outer = pa.field("s", kind, metadata={"note": email} if place == "field metadata" else None)
    pq.write_table(pa.table([pa.array([None], kind)], schema=pa.schema([outer])), tmp_path / "n.parquet")
    assert found(tmp_path) == [("n.parquet", "<schema>", None, "email")]


def test_a_type_the_gate_cannot_read_as_text_is_a_finding_not_a_pass() -> None:
    """Parquet cannot store a union, so this is the gate's own reader on one: whatever type it does
    not know is reported rather than passed over."""
    union = pa.UnionArray.from_sparse(
        pa.array([0, 1], pa.int8()), [pa.array(["a", "b"]), pa.array([1, 2], pa.int64())]
    )
    assert [(text.column, text.values) for text in _texts("u", union)] == [("u", None)]
    assert list(_texts("n", pa.array([[1]], pa.list_(pa.int64())))) == []


def test_maps_inside_lists_are_read_with_their_rows_from_any_offset() -> None:
    maps = pa.array(
        [[[("a", "x")]], None, [None, [("b", "y"), ("c", None)]], [[("d", "z")]]],
        pa.list_(pa.map_(pa.string(), pa.string())),
    ).slice(1)  # the flattened maps then start at an offset
    texts = [(t.column, t.values.to_pylist(), t.rows(len(maps)).to_pylist()) for t in _texts("m", maps)]
    assert texts == [("m.key", ["b", "c", "d"], [1, 1, 2]), ("m.value", ["y", "z"], [1, 2])]


_TEXTUAL = (pa.string(), pa.large_string(), pa.string_view())
_BYTES = (pa.binary(), pa.large_binary())
_LEAVES = (*_TEXTUAL, *_BYTES, pa.dictionary(pa.int32(), pa.string()))


def _nestings(leaf: pa.DataType) -> st.SearchStrategy[pa.DataType]:
    """Types holding `leaf` at any depth of lists, structs (beside numbers) and maps."""
    return st.recursive(
        st.just(leaf),
        lambda inner: st.one_of(
            inner.map(pa.list_),
            inner.map(pa.large_list),
            inner.map(lambda kind: pa.list_(kind, 2)),
            inner.map(lambda kind: pa.struct([("n", pa.int64()), ("t", kind)])),
            inner.map(lambda kind: pa.map_(pa.string(), kind)),
        ),
        max_leaves=3,
    )


def _values(kind: pa.DataType) -> st.SearchStrategy[object]:
    """Python values of an Arrow type, nulls included."""
    if kind in _TEXTUAL or pa.types.is_dictionary(kind):
        inner: st.SearchStrategy[object] = st.text(max_size=3)
    elif kind in _BYTES:
        inner = st.binary(max_size=3)
    elif pa.types.is_integer(kind):
        inner = st.integers(-5, 5)
    elif pa.types.is_fixed_size_list(kind):
        inner = st.lists(_values(kind.value_type), min_size=kind.list_size, max_size=kind.list_size)
    elif pa.types.is_map(kind):
        inner = st.lists(st.tuples(st.text(max_size=2), _values(kind.item_type)), max_size=2)
    elif pa.types.is_struct(kind):
        inner = st.fixed_dictionaries({field_.name: _values(field_.type) for field_ in kind})
    else:
        inner = st.lists(_values(kind.value_type), max_size=2)
    return st.none() | inner


def _leaves(path: str, kind: pa.DataType, value: object, row: int) -> list[tuple[str, str, int]]:
    """Every text a Python value holds, where the gate should name it: the oracle, walked apart from Arrow."""
    if value is None or pa.types.is_integer(kind):
        return []
    if isinstance(value, bytes):
        return [(path, value.decode("utf-8", "replace"), row)]
    if isinstance(value, str):
        return [(path, value, row)]
    if pa.types.is_map(kind):
        assert isinstance(value, list)
        return [
            leaf
            for key, item in value
            for leaf in [(f"{path}.key", key, row), *_leaves(f"{path}.value", kind.item_type, item, row)]
        ]
    if pa.types.is_struct(kind):
        assert isinstance(value, dict)
        return [leaf for f in kind for leaf in _leaves(f"{path}.{f.name}", f.type, value[f.name], row)]
    assert isinstance(value, list)
    return [leaf for item in value for leaf in _leaves(path, kind.value_type, item, row)]


@st.composite
def _columns(draw: st.DrawFn, leaf: pa.DataType) -> tuple[pa.DataType, list[object]]:
    kind = draw(_nestings(leaf))
    return kind, draw(st.lists(_values(kind), min_size=1, max_size=4))


@pytest.mark.parametrize("leaf", _LEAVES, ids=str)
@settings(max_examples=40, deadline=None)
@given(data=st.data(), start=st.integers(0, 2))
def test_the_gate_reads_every_text_of_any_nesting_with_its_row(
    leaf: pa.DataType, data: st.DataObject, start: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    kind, rows = data.draw(_columns(leaf))
    expected = sorted(
        leaf for row, value in enumerate(rows[start:]) for leaf in _leaves("c", kind, value, row)
    )
    array = pa.array(rows, kind).slice(start)
    path = tmp_path_factory.mktemp("nested") / "c.parquet"
    reads = [array]
    try:
        pq.write_table(pa.table({"c": array}), path)
    except pa.ArrowNotImplementedError:
        pass  # Arrow cannot write it (a string view inside a map): no file holds this type
    else:
        reads.append(pq.read_table(path).column("c").combine_chunks())
    for read in reads:
        texts = list(_texts("c", read))
        assert all(text.values is not None for text in texts)
        found = sorted(
            (text.column, value, row)
            for text in texts
            for value, row in zip(text.values.to_pylist(), text.rows(len(read)).to_pylist(), strict=True)
        )
        assert found == expected
