"""The framework's card: a model repository (`<org>/tractatus`) holding a card and no weights.

Built with `huggingface_hub`'s `ModelCard`. Its figures (the Evaluation section, the share of blocked
decisions under Limitations) are counted from the audit release being published; its known issues
come from the tables the rest of the project already keeps: the audit card's limits, and the
simulator's notes on where the framework's documents and code disagree.
"""

from __future__ import annotations

from huggingface_hub import ModelCard, ModelCardData

from tractatus_audit_corpus.card_text import EXPIRY
from tractatus_audit_corpus.vocab import Service
from tractatus_datasets.card import markdown_table
from tractatus_presence.figures import AuditFigures, EvolutionFigures
from tractatus_presence.links import Links
from tractatus_simulator.documents import DOCUMENTED_ONLY, NOTES

__all__ = ["FRAMEWORK_REPO", "framework_card"]

FRAMEWORK_REPO = "tractatus"  # the model repository's name in the organisation
CODE = "https://github.com/AgenticGovernance/tractatus-framework"

ROLES = {
    Service.BOUNDARY_ENFORCER: "Stops decisions that belong to people (values, innovation, wisdom, agency…) "
    "and names the boundary (12.1–12.6) that stopped them.",
    Service.CONTEXT_PRESSURE_MONITOR: "Scores how stretched a session is (tokens, messages, tasks, errors, "
    "instructions) into NORMAL, ELEVATED, HIGH, CRITICAL or DANGEROUS.",
    Service.CROSS_REFERENCE_VALIDATOR: "Checks a proposed action against the instructions the user gave "
    "(the 27027 port mix-up) and asks when they conflict.",
    Service.INSTRUCTION_PERSISTENCE_CLASSIFIER: "Classifies each instruction by quadrant, persistence and "
    "explicitness, so the others know how long it binds.",
    Service.METACOGNITIVE_VERIFIER: "Weighs the reasoning behind an action (alignment, coherence, "
    "completeness, safety, alternatives) into a confidence and a decision.",
    Service.BLOG_CURATION: "Checks generated posts against the content rules (no fabricated statistics, "
    "no guarantees).",
}

PROBLEM = """\
An AI agent that works for hours forgets, drifts and overrides what it was told: in the 27027
incident a model replaced the port a user had stated with the one its training made familiar.
Prompted guidelines compete with everything else in the context and lose under pressure. Tractatus
moves governance out of the prompt into services around the model that decide before an action runs:
what must stay with a human, what contradicts an earlier instruction, and when the session itself
has become too strained to trust."""

USES = """\
* Intended: a reference architecture for AI governance research; a worked, audited example of
  boundary enforcement, instruction persistence and pressure monitoring; the subject of studies that
  use the two datasets below and the Boundary Decision Simulator.
* Not intended: a certified safety layer. The public code is a research prototype; its thresholds
  and keyword lists are heuristics, and part of it is not public (see Limitations).
* This repository holds no weights: the framework wraps a model, it is not one."""

ETHICS = """\
* The audit decisions come from the framework's own development sessions. They are published
  anonymised: sessions and decisions are keyed pseudonyms, free text is dropped or scrubbed, and a
  fail-closed gate re-scans every file for paths, secrets, e-mails, addresses and raw identifiers.
* Counts of blocked and escalated decisions describe how one project used the framework; they are
  not a measure of how safe any model is.
* Keyword-based boundary checks both miss harmful actions phrased otherwise and stop harmless ones
  that use the words; the simulator shows both."""


def _evaluation(audit: AuditFigures, events: EvolutionFigures, links: Links) -> str:
    services = [(name, f"{count:,}", audit.share(count)) for name, count in audit.by_service.items()]
    decided = [(name, f"{count:,}", audit.share(count)) for name, count in audit.by_decision.items()]
    boundaries = [
        (label, f"{total:,}", f"{100 * blocked / total:.1f}%", f"{100 * asked / total:.1f}%")
        for label, (total, blocked, asked) in audit.by_boundary.items()
    ]
    pressure = [(level, f"{count:,}", audit.share(count)) for level, count in audit.by_pressure.items()]
    return "\n\n".join(
        [
            f"Counted from every decision of the [Audit Decision Corpus]({links.dataset_url('audit-decisions')}) "
            f"{links.datasets['audit-decisions'].tag}: {audit.decisions:,} decisions from {audit.sessions:,} sessions, "
            f"{audit.first_day} to {audit.last_day} (UTC days).",
            "**Decisions**\n\n" + markdown_table(["decision", "decisions", "share"], decided),
            "**Decisions per service**\n\n" + markdown_table(["service", "decisions", "share"], services),
            "**Block and ask rates per boundary** (`ask`: sent to a human)\n\n"
            + markdown_table(["boundary", "decisions", "blocked", "asked"], boundaries),
            "**Context pressure when deciding**\n\n"
            + markdown_table(["level", "decisions", "share"], pressure),
            f"The [Framework Evolution Log]({links.dataset_url('evolution-log')}) {links.datasets['evolution-log'].tag} dates "
            f"{events.events:,} events from {events.first_day} to {events.last_day}, {events.incidents:,} of "
            "them incidents.",
        ]
    )


def _limitations(audit: AuditFigures) -> str:
    blocked = audit.by_decision.get("block", 0)
    notes = [
        f"* **{note.topic}.** Documents: {note.docs} Code: {note.code}"
        for key, note in NOTES.items()
        if key != "audit"  # the first limitation
    ]
    hidden = [f"* **{item.name}.** {item.documented} {item.code}" for item in DOCUMENTED_ONLY]
    return "\n".join(
        [
            f"* **Blocked decisions rarely persist.** {NOTES['audit'].code} In the audit release, "
            f"{blocked:,} of {audit.decisions:,} decisions ({audit.share(blocked)}) are blocks.",
            f"* **90-day expiry.** {' '.join(EXPIRY.split())}",
            "",
            "Services and parts whose code is not public:",
            "",
            *hidden,
            "",
            "Where the framework's documents describe something other than its code (the simulator follows "
            "the code and shows these beside it):",
            "",
            *notes,
        ]
    )


def framework_card(audit: AuditFigures, events: EvolutionFigures, links: Links) -> ModelCard:
    data = ModelCardData(
        license="apache-2.0",
        language="en",
        tags=["ai-governance", "ai-safety", "audit-logs", "agents"],
        datasets=[links.dataset_id("audit-decisions"), links.dataset_id("evolution-log")],
    )
    roles = [(f"`{service.value}`", role) for service, role in ROLES.items()]
    sections = [
        ("What problem it solves", PROBLEM),
        (
            "How it works",
            f"Services around the model each decide one question ([code]({CODE}), Apache-2.0):\n\n"
            + markdown_table(["service", "what it decides"], roles)
            + "\n\nEach decision is written to an audit log; that log, anonymised, is the Audit Decision Corpus.",
        ),
        ("Intended uses", USES),
        ("Evaluation", _evaluation(audit, events, links)),
        ("Limitations and known issues", _limitations(audit)),
        ("Ethical considerations", ETHICS),
        ("Licenses", links.licenses()),
        ("How to cite", links.citation()),
    ]
    banner = [links.synthetic_banner()] if links.synthetic else []
    body = "\n\n".join(
        [
            "# Tractatus",
            "An architectural governance framework for AI agents. This repository holds the framework's "
            "card and no weights.",
            *banner,
            *(f"## {title}\n\n{text}" for title, text in sections),
        ]
    )
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n{body}\n")
