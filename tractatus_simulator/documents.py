"""Where the framework's documents describe something other than its code does (reference §5), and
what is documented but has no public code. The simulator follows the code and shows these beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tractatus_simulator.simulation import Simulation

__all__ = ["DOCUMENTED_ONLY", "NOTES", "DocumentedOnly", "Note", "notes_for"]


@dataclass(frozen=True)
class Note:
    topic: str
    docs: str  # what a document says, naming it
    code: str  # what the code at 77ada42 does

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.topic, "docs": self.docs, "code": self.code}


NOTES: dict[str, Note] = {
    "pipeline": Note(
        "The order of the services",
        "The seed's hook diagram (research-v0.1 `hook-flow.mmd`) runs BoundaryEnforcer → CrossReferenceValidator → "
        "ContextPressureMonitor → allow or block; `technical-architecture.md` draws IPC → CRV → BE → CPM → MV; "
        "`core-concepts.md` MV → CRV → BE → execute → CPM.",
        "No code runs a fixed chain. The only orchestrator is MetacognitiveVerifier.verify, which calls "
        "CrossReferenceValidator (Alignment), then BoundaryEnforcer (Safety), then ContextPressureMonitor, and "
        "decides itself; the diagram here is drawn in the seed's order, the decision is the verifier's.",
    ),
    "irreversible": Note(
        "12.3 Irreversible Changes",
        "`core-concepts.md` names boundary 12.2 User Agency and 12.3 Irreversible Changes, and says "
        '"delete user data" is blocked.',
        "12.2 is INNOVATION, 12.3 WISDOM and 12.6 AGENCY; nothing checks irreversibility, so BoundaryEnforcer lets a "
        "deletion through. The verifier's Completeness and Safety checks are what react to destructive words.",
    ),
    "correction": Note(
        "CrossReferenceValidator's answer to a conflict",
        "`core-concepts.md`: it auto-corrects the action to 27027 and returns `corrected_action`, a confidence and "
        "`instruction_violated`; `technical-architecture.md`: it audits `BLOCK` with `SYS-001`; the research paper: "
        "it blocks conflicts with MANDATORY rules and warns for RECOMMENDED ones.",
        "It returns REJECTED with REQUEST_CLARIFICATION (it asks the user) and corrects nothing; severity comes from "
        "the instruction's persistence, explicitness and recency, never from its verification label.",
    ),
    "bands": Note(
        "The verifier's confidence bands",
        "`core-concepts.md`: 0.4–0.6 is REQUIRE_REVIEW and below 0.4 is BLOCKED; weights Alignment 25%, Alternatives 15%.",
        "0.4–0.6 is REQUEST_CONFIRMATION and below 0.4 REQUIRE_REVIEW; BLOCK comes only from a CRITICAL failure or "
        "DANGEROUS pressure; weights are Alignment 0.3 and Alternatives 0.1.",
    ),
    "reason": Note(
        "The verifier's stated reason",
        "The reason should say why the verifier chose its decision.",
        'For PROCEED_WITH_CAUTION and REQUIRE_REVIEW the code says "Proceeding with high confidence" (a bug in '
        "`_getDecisionReason`).",
    ),
    "zero": Note(
        "A score of exactly 0",
        "A dimension below 0.3 is a CRITICAL failure, which blocks.",
        "`_checkCriticalFailures` reads `score || 0.5`, so a 0 is judged as 0.5: a WARNING, not CRITICAL. A worse "
        "input can get a milder decision.",
    ),
    "dangerous": Note(
        "What DANGEROUS pressure stops",
        '`src/services/index.js`: "Dangerous pressure conditions block execution"; `technical-architecture.md` '
        "puts DANGEROUS at 90%+.",
        "Only the verifier's decision and `shouldProceed` say so, and nothing enforces them; DANGEROUS starts at 0.85.",
    ),
    "classification": Note(
        "How the classifier reads the 27027 instruction",
        '`core-concepts.md`: "Check MongoDB at port 27027" is SYSTEM/HIGH and only explicitness ≥ 0.6 is stored; '
        '`technical-architecture.md`: "Always use MongoDB port 27027" is SYSTEM/HIGH/session.',
        "It gives TACTICAL/HIGH (0.70) and STRATEGIC/HIGH/PERMANENT (0.85), and `persist()` filters nothing.",
    ),
    "audit": Note(
        "What reaches the audit log",
        '`technical-architecture.md`: a "comprehensive audit trail".',
        "Every service sends `violations` as plain strings, which MongoDB's schema refuses: a record with any "
        "violation is never written, so blocked decisions rarely persist.",
    ),
}


def notes_for(simulation: Simulation) -> list[Note]:
    """The notes this run touches, the pipeline note first."""
    v = simulation.verification
    keys = ["pipeline"]
    destructive = any("destructive" in why for d in v.dimensions for why, _ in d.adjustments)
    if destructive and v.enforcement.allowed:
        keys.append("irreversible")
    if v.validation.status in ("REJECTED", "WARNING"):
        keys.append("correction")
    if simulation.classifications:
        keys.append("classification")
    if v.decision in ("REQUEST_CONFIRMATION", "REQUIRE_REVIEW") or v.decided_by != ("confidence",):
        keys.append("bands")
    if v.decision in ("PROCEED_WITH_CAUTION", "REQUIRE_REVIEW"):
        keys.append("reason")
    if any(d.score == 0 for d in v.dimensions):
        keys.append("zero")
    if v.pressure.level == "DANGEROUS" or simulation.label == "DANGEROUS":
        keys.append("dangerous")
    if any(not kept for step in simulation.steps for kept in step.stored):
        keys.append("audit")
    return [NOTES[key] for key in keys]


@dataclass(frozen=True)
class DocumentedOnly:
    name: str
    documented: str
    code: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "documented": self.documented, "code": self.code}


DOCUMENTED_ONLY = (
    DocumentedOnly(
        "PluralisticDeliberationOrchestrator",
        'Research paper v0.1 §2.4: "Surfaces values conflicts and ensures multi-perspective consideration"; '
        '"Requires documented deliberation before proceeding"; one audit log on 2025-10-25.',
        "No source in any public commit: shown as documented, never simulated.",
    ),
    DocumentedOnly(
        "Hooks (PreToolUse) and BashCommandValidator",
        "Central in research-v0.1: a hook runs the services before each tool call and blocks at CRITICAL pressure.",
        "Not public; the public hook file is a pattern with stub functions.",
    ),
)
