"""Property: whatever a source record holds outside the allow-listed values, none of it reaches a row."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import make_key
from tractatus_audit_corpus.mapping import ACTION_SERVICE
from tractatus_audit_corpus.normalise import Normalised, normalise
from tractatus_audit_corpus.stages import anonymise
from tractatus_datasets.anonymise import Granularity
from tractatus_datasets.pipeline import Tally
from tractatus_datasets.sources import RawRecord

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


@settings(max_examples=300, deadline=None)
@given(auditlogs())
def test_no_free_value_reaches_a_row(doc: dict[str, Any]) -> None:
    result = normalise(RawRecord("dump.json", 1, "mongoexport", doc, ""), Tally())
    if not isinstance(result, Normalised):
        return  # rejected records go to the quarantine, never to the release
    row = anonymise(result, KEY, Granularity.MINUTE)
    assert MARKER not in repr(row)
    assert (
        result.session_id is not None and MARKER in result.session_id
    )  # it was there, and was pseudonymised
