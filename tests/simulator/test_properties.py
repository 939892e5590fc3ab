"""Properties the code's own semantics guarantee, over generated actions and metrics."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from tractatus_simulator import Action, Context, Metrics, across_levels, simulate
from tractatus_simulator.boundary import BOUNDARIES, keyword_hits
from tractatus_simulator.examples import EXAMPLES
from tractatus_simulator.pressure import analyze
from tractatus_simulator.simulation import DECISION_ORDER

WORDS = [kw for _, _, keywords in BOUNDARIES.values() for kw in keywords] + [
    "values.html", "delete", "guaranteed", "95%", "port", "27017", "firewall", "rules", "the", "Fix", "README",
]  # fmt: skip
texts = st.lists(
    st.one_of(
        st.sampled_from(WORDS), st.text(alphabet=string.ascii_letters + string.digits + " .:=-%", max_size=12)
    ),
    max_size=8,
).map(" ".join)


def results(text: str) -> list[tuple[str, str, str | None]]:
    sim = simulate(Action(text))
    return [(step.service, step.result, step.boundary) for step in sim.steps] + [
        ("reason", sim.verification.reason or "", None)
    ]


@settings(max_examples=150, deadline=None)
@given(texts)
def test_the_result_never_depends_on_letter_case(text: str) -> None:
    assert results(text) == results(text.swapcase()) == results(text.upper())


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from([kw for _, _, keywords in BOUNDARIES.values() for kw in keywords if kw.isalpha()]),
    st.text(alphabet=string.ascii_letters + string.digits + "_", min_size=1, max_size=4),
    st.booleans(),
)
def test_a_whole_word_keyword_never_matches_inside_a_longer_word(
    keyword: str, extra: str, before: bool
) -> None:
    longer = extra + keyword if before else keyword + extra
    found = {kw for words in keyword_hits(f"Please {longer} now").values() for kw in words}
    assert keyword not in found  # (a longer word may be a keyword of its own: "matter" + "s")
    assert keyword in {kw for words in keyword_hits(f"Please {keyword} now").values() for kw in words}


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(EXAMPLES)), texts)
def test_raising_the_level_never_softens_the_verifiers_decision(key: str, text: str) -> None:
    example = EXAMPLES[key]
    for action in (example.action, Action(text)):
        sims = across_levels(action, example.reasoning, Context(instructions=example.instructions))
        ranks = [DECISION_ORDER.index(sim.verification.decision) for sim in sims.values()]
        assert ranks == sorted(ranks), (action, ranks)


ratios = st.floats(min_value=0, max_value=2.0)
counts = st.integers(min_value=0, max_value=300)


@settings(max_examples=150, deadline=None)
@given(st.tuples(ratios, counts, counts, counts), st.tuples(ratios, counts, counts, counts), texts)
def test_raising_any_metric_never_softens_the_decision(low: tuple, high: tuple, text: str) -> None:  # type: ignore[type-arg]
    lower = Metrics(
        tokens=min(low[0], high[0]),
        messages=min(low[1], high[1]),
        errors=min(low[2], high[2]),
        instructions=min(low[3], high[3]),
    )
    upper = Metrics(
        tokens=max(low[0], high[0]),
        messages=max(low[1], high[1]),
        errors=max(low[2], high[2]),
        instructions=max(low[3], high[3]),
    )
    assert analyze(upper).score >= analyze(lower).score
    before, after = (
        simulate(Action(text), context=Context(metrics=m)).verification.decision for m in (lower, upper)
    )
    assert DECISION_ORDER.index(after) >= DECISION_ORDER.index(before)


def test_the_documented_exceptions_where_more_pressure_is_milder() -> None:
    """The reference documents two: more tokens past 2.0 are read as a count, not a share (2.0 is
    the whole budget, 2.1 tokens almost nothing), and BoundaryEnforcer's escalation flag is set at a
    CRITICAL label and dropped again at DANGEROUS."""
    assert analyze(Metrics(tokens=2.0)).score > analyze(Metrics(tokens=2.1)).score
    action = Action("Edit values.html")
    assert (
        simulate(action, context=Context(metrics=Metrics(tokens=2.0, messages=100))).verification.decision
        == "REQUIRE_REVIEW"
    )
    assert (
        simulate(action, context=Context(metrics=Metrics(tokens=2.1, messages=100))).verification.decision
        == "REQUEST_CONFIRMATION"
    )
    claim = across_levels(EXAMPLES["C"].action)
    assert [sim.verification.enforcement.escalation_required for sim in claim.values()] == [
        False,
        False,
        False,
        True,
        False,
    ]
