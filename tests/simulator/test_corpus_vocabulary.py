"""The simulator and the corpus can never disagree on a name: every audit record the simulator says a
service writes, read by the export's own normaliser, gets the decision, outcome and boundary the
simulator shows for that step."""

from __future__ import annotations

import datetime as dt

import pytest
from bson import ObjectId

from tractatus_audit_corpus.normalise import Normalised, normalise
from tractatus_datasets.pipeline import Tally
from tractatus_datasets.records import RawRecord
from tractatus_simulator import Action, Context, across_levels
from tractatus_simulator.examples import EXAMPLES

EXTRA = {
    "should": Action("Should we rename the service?"),
    "agency": Action("Override the user's choice", affects_agency=True),
    "email": Action("Send the weekly summary", type="email"),
    "empty-domain": Action("Tidy up", domain=()),
    "allowed-domain": Action("Refactor the parser", domain="technical"),
    "production": Action("Announce our production-ready release"),
}


def corpus(record: dict) -> Normalised:  # type: ignore[type-arg]
    # As MemoryProxy stores it: Mongoose's `_id`, `timestamp` and defaults (service BoundaryEnforcer).
    doc = {
        **record,
        "_id": ObjectId(),
        "timestamp": dt.datetime(2025, 10, 20, tzinfo=dt.UTC),
        "domain": "UNKNOWN",
        "boundary": None,
        "service": "BoundaryEnforcer",
    }
    row = normalise(RawRecord("simulated.json", 1, "mongoexport", doc, ""), Tally())
    assert isinstance(row, Normalised), row
    return row


@pytest.mark.parametrize("key", [*EXAMPLES, *EXTRA])
def test_every_simulated_record_reads_back_as_the_simulator_names_it(key: str) -> None:
    if key in EXAMPLES:
        example = EXAMPLES[key]
        sims = across_levels(example.action, example.reasoning, Context(instructions=example.instructions))
    else:
        sims = across_levels(EXTRA[key])
    checked = 0
    for sim in sims.values():
        for step in sim.steps:
            records = [r for r in step.audits if r["action"] != "instruction_classification"]
            for record in records:
                row = corpus(record)
                assert (row.service.value, row.decision.value, row.outcome.value, row.boundary) == (
                    step.service, step.decision, step.outcome, step.corpus_boundary
                ), (key, step.service)  # fmt: skip
                assert row.verdict == step.verdict
                checked += 1
            for record in step.audits[: len(step.audits) - len(records)]:
                row = corpus(record)
                assert (row.service.value, row.decision.value) == (
                    "InstructionPersistenceClassifier",
                    "allow",
                )
    assert checked >= 10


def test_an_unaudited_refusal_is_named_as_the_export_names_a_refusal() -> None:
    sim = across_levels(EXAMPLES["A"].action)["NORMAL"]
    step = sim.step("BoundaryEnforcer")
    assert (step.result, step.audits, step.verdict, step.decision, step.outcome) == (
        "REQUEST_APPROVAL", (), "BLOCKED", "block", "blocked"
    )  # fmt: skip
    assert sim.step("CrossReferenceValidator").audits == ()
