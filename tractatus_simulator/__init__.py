"""The Boundary Decision Simulator's library: the Tractatus services' decision logic, as pure functions.

Each module follows one service of the framework's public code (commit 77ada42) as
`../shared/reference/service-decision-logic.md` sets it out: `boundary` (BoundaryEnforcer),
`classifier` (InstructionPersistenceClassifier), `crossref` (CrossReferenceValidator), `pressure`
(ContextPressureMonitor) and `verifier` (MetacognitiveVerifier, which calls the other three, as the
only orchestrator in the code does). `simulation` runs one action through them and names every
result in the audit corpus' vocabulary, from the tables the export uses (`tractatus_audit_corpus.mapping`);
`documents` says where the framework's documents describe something else; `examples` holds the
reference's worked examples.

Nothing here reads a file, the clock or the network, and every run starts from fresh services
(the real ones are process-wide singletons with history). Importing it pulls in no Arrow,
`datasets` or Gradio, so a Space can ship it beside its app.
"""

from tractatus_simulator.model import LEVELS, Action, Context, Instruction, Metrics, Reasoning
from tractatus_simulator.simulation import (
    Simulation,
    Step,
    across_levels,
    at_level,
    changes,
    simulate,
)

__all__ = [
    "LEVELS",
    "Action",
    "Context",
    "Instruction",
    "Metrics",
    "Reasoning",
    "Simulation",
    "Step",
    "across_levels",
    "at_level",
    "changes",
    "simulate",
]
