"""Property: whatever a source record holds outside the allow-listed values, none of it reaches a row."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import make_key
from tractatus_audit_corpus.mapping import ACTION_SERVICE
from tractatus_audit_corpus.normalise import Normalised, normalise
from tractatus_audit_corpus.stages import anonymise
from tractatus_datasets.anonymise import Granularity
from tractatus_datasets.keys import ExportKey
from tractatus_datasets.pipeline import Tally
from tractatus_datasets.records import RawRecord

KEY = make_key("properties")
# A marker that cannot occur by chance in any vocabulary value, id or pseudonym.
MARKER = "Zq9" + "x" * 3

free_text = st.text(min_size=0, max_size=12).map(lambda s: f"{MARKER}{s}")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | free_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(free_text, inner, max_size=3),
    max_leaves=8,
)
actions = st.sampled_from([action.value for action in ACTION_SERVICE])


@st.composite
def auditlogs(draw: st.DrawFn) -> dict[str, Any]:
    metadata_keys = [
        "actionType",
        "action_description",
        "instruction_text",
        "content_title",
        "boundary",
        "domain",
        "quadrant",
        "decision",
        "validation_status",
        "enforcement_decision",
        "recommendation",
        "pressure_level",
        "parameters",
        "conflict_details",
    ]
    metadata = {key: draw(json_values) for key in draw(st.lists(st.sampled_from(metadata_keys), unique=True))}
    metadata |= draw(st.dictionaries(free_text, json_values, max_size=3))
    violations = draw(
        st.lists(
            free_text
            | st.fixed_dictionaries({"ruleId": free_text, "rulText": free_text, "details": free_text}),
            max_size=3,
        )
    )
    return {
        "_id": ObjectId(draw(st.binary(min_size=12, max_size=12))),
        "sessionId": draw(free_text),
        "action": draw(actions | free_text),
        "allowed": draw(st.booleans()),
        "rulesChecked": draw(st.lists(free_text | st.just("inst_016"), max_size=3)),
        "violations": violations,
        "metadata": metadata,
        "service": draw(st.none() | st.just("BoundaryEnforcer") | free_text),
        "boundary": draw(st.none() | free_text),
        "domain": draw(st.none() | free_text),
        "userId": ObjectId(),
        "ipAddress": draw(free_text),
        "userAgent": draw(free_text),
        "timestamp": dt.datetime(2025, 10, 25, tzinfo=dt.UTC),
        **draw(st.dictionaries(free_text, json_values, max_size=2)),
    }


@st.composite
def legacy_lines(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "timestamp": "2025-10-10T01:00:00.000Z",
        "sessionId": draw(free_text),
        "action": draw(actions | free_text),
        "rulesChecked": draw(st.lists(free_text, max_size=2)),
        "violations": draw(st.lists(free_text, max_size=2)),
        "allowed": draw(st.booleans()),
        "metadata": draw(
            st.dictionaries(
                st.sampled_from(["service", "domain", "boundary", "quadrant"]) | free_text,
                json_values,
                max_size=4,
            )
        ),
        **draw(st.dictionaries(free_text, json_values, max_size=2)),
    }


@st.composite
def pattern_entries(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "audit_id": draw(free_text),
        "timestamp": "2025-10-25T02:10:00.000Z",
        "service": draw(st.just("BoundaryEnforcer") | free_text),
        "decision": draw(st.sampled_from(["ALLOW", "WARN", "BLOCK"])),
        "rule_id": draw(st.none() | free_text),
        "context": draw(free_text),
        "reason": draw(free_text),
        "metadata": draw(json_values),
    }


records = (
    auditlogs().map(lambda doc: ("mongoexport", doc))
    | legacy_lines().map(lambda doc: ("legacy", doc))
    | pattern_entries().map(lambda doc: ("mongoexport", doc))
)


@settings(max_examples=400, deadline=None)
@given(records)
def test_no_free_value_reaches_a_row(record: tuple[str, dict[str, Any]]) -> None:
    kind, doc = record
    result = normalise(RawRecord("dump.json", 1, kind, doc, ""), Tally())  # type: ignore[arg-type]
    if not isinstance(result, Normalised):
        return  # rejected records go to the quarantine, never to the release
    row = anonymise(result, KEY, Granularity.MINUTE)
    assert MARKER not in repr(row)


@settings(max_examples=200, deadline=None)
@given(
    st.binary(min_size=16, max_size=64),
    st.binary(min_size=16, max_size=64),
    st.text(min_size=1),
    st.text(min_size=1),
)
def test_pseudonyms_are_stable_for_a_key_and_differ_across_keys(
    one: bytes, two: bytes, value: str, other: str
) -> None:
    first, again, second = (
        ExportKey(one, demo=False),
        ExportKey(bytes(one), demo=False),
        ExportKey(two, demo=False),
    )
    assert first.pseudonym("session", value) == again.pseudonym("session", value)
    if one != two:
        assert first.pseudonym("session", value) != second.pseudonym("session", value)
        assert first.fingerprint != second.fingerprint
    if value != other:
        assert first.pseudonym("session", value) != first.pseudonym("session", other)
