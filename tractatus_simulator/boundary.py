"""BoundaryEnforcer.enforce: which Tractatus boundary an action crosses, if any (reference §1.1).

The first step that answers wins: a pre-approved verification, an allowed domain, the content
rules inst_017/inst_016/inst_018, a STRATEGIC classification, the boundaries (explicit domain and
flags first, else whole-word keywords), then the decision domain from substring indicators.
Pressure never enters; only a `CRITICAL` label sets `escalation_required` on a hard block.

>>> enforce(Action("Edit values.html")).action  # "values" is not the word `value`
'REQUEST_APPROVAL'
>>> result = enforce(Action("Should we rename the service?"))
>>> result.action, result.boundary, result.section, result.keywords
('REQUIRE_HUMAN_DECISION', 'VALUES', '12.1', ('should',))
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from tractatus_simulator.js import lower, search, word
from tractatus_simulator.model import Action

__all__ = [
    "BOUNDARIES",
    "CONTENT_RULES",
    "DECISION_DOMAINS",
    "ENFORCEMENT_RULES",
    "Enforcement",
    "enforce",
]

# key → (section, principle, keywords matched as whole words), in the order the code checks them.
BOUNDARIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "VALUES": (
        "12.1",
        "Values cannot be automated, only verified",
        ("value", "principle", "ethic", "moral", "should", "ought", "right", "wrong", "privacy", "policy",
         "trade-off", "tradeoff", "prioritize", "priority", "belief", "virtue", "integrity", "fairness", "justice"),
    ),
    "INNOVATION": (
        "12.2",
        "Innovation cannot be proceduralized, only facilitated",
        ("innovate", "create", "invent", "breakthrough", "novel", "creative", "architectural", "architecture",
         "design", "fundamental", "revolutionary", "transform"),
    ),
    "WISDOM": (
        "12.3",
        "Wisdom cannot be encoded, only supported",
        ("wisdom", "judgment", "discernment", "prudence", "insight", "strategic", "direction", "guidance",
         "wise", "counsel", "experience"),
    ),
    "PURPOSE": (
        "12.4",
        "Purpose cannot be generated, only preserved",
        ("purpose", "mission", "why", "meaning", "goal", "objective", "vision", "intent", "aim", "reason for",
         "raison", "fundamental goal"),
    ),
    "MEANING": (
        "12.5",
        "Meaning cannot be computed, only recognized",
        ("meaning", "significance", "importance", "matter", "meaningful", "significant", "important", "matters",
         "valuable", "worthwhile"),
    ),
    "AGENCY": (
        "12.6",
        "Agency cannot be simulated, only respected",
        ("agency", "autonomy", "choice", "freedom", "sovereignty", "self-determination", "decide for",
         "on behalf", "override", "substitute", "replace human"),
    ),
}  # fmt: skip

ENFORCEMENT_RULES = ("inst_016", "inst_017", "inst_018")  # what `initialize()` loads, for rulesChecked

ABSOLUTE_TERMS = (
    "guarantee", "guaranteed", "guarantees", "ensures 100%", "eliminates all", "completely prevents",
    "never fails", "always works", "100% safe", "100% secure", "perfect protection", "zero risk",
    "entirely eliminates",
)  # fmt: skip
STATISTIC = (
    r"\d+(\.\d+)?%|\$[\d,]+|\d+x\s*roi|payback\s*(period)?\s*of\s*\d+|\d+[\s-]*(month|year)s?\s*payback"
    r"|\d+(\.\d+)?m\s*(saved|savings)"
)
PRODUCTION_TERMS = (
    "production-ready", "battle-tested", "production-proven", "validated", "enterprise-proven",
    "industry-standard", "existing customers", "market leader", "widely adopted", "proven track record",
    "field-tested", "extensively tested",
)  # fmt: skip
# rule → (violationType, principle), in the order the code checks and reports them.
CONTENT_RULES: dict[str, tuple[str, str]] = {
    "inst_017": (
        "ABSOLUTE_ASSURANCE",
        "Values cannot be automated - honesty requires evidence-based language, not absolute guarantees",
    ),
    "inst_016": (
        "FABRICATED_STATISTIC",
        "Values cannot be automated - all statistics require verifiable sources or human approval",
    ),
    "inst_018": (
        "UNVERIFIED_PRODUCTION_CLAIM",
        "Values cannot be automated - testing/validation status claims require documented evidence",
    ),
}

# decision domain → (substring indicators, the result when it is the domain, reason), in order.
DECISION_DOMAINS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "STRATEGIC": (
        ("always", "never", "mission", "vision", "strategy", "long-term", "fundamental", "core principle"),
        "REQUEST_APPROVAL",
        "Strategic decisions affect long-term direction and values",
    ),
    "VALUES_SENSITIVE": (
        ("value", "principle", "ethic", "moral", "right", "wrong", "should we", "ought to", "better to"),
        "REQUEST_APPROVAL",
        "Values-sensitive decisions must preserve human agency",
    ),
    "RESOURCE_ALLOCATION": (
        ("budget", "allocate", "spend", "invest", "cost", "hire", "fire", "purchase"),
        "REQUEST_APPROVAL",
        "Resource decisions reflect priorities and values",
    ),
    "POLICY_CREATION": (
        ("policy", "rule", "guideline", "standard", "procedure", "process", "workflow", "protocol"),
        "REQUEST_APPROVAL",
        "Policy creation is operational stewardship domain",
    ),
    "USER_COMMUNICATION": (
        ("send", "email", "message", "notify", "inform", "communicate"),
        "PROCEED_WITH_NOTIFICATION",
        "Communications should be reviewed but not blocked",
    ),
    "TECHNICAL_IMPLEMENTATION": ((), "PROCEED", "Technical implementations can proceed with validation"),
}
ALLOWED_DOMAINS = ("verification", "support", "preservation", "recognition", "system", "technical")
VERIFYING = ("verify", "check", "validate", "confirm", "review", "analyze", "assess")
MODIFYING = ("change", "modify", "update", "redefine", "set", "create", "define", "decide")


@dataclass(frozen=True)
class Violation:
    boundary: str
    section: str | None
    principle: str | None
    match_count: int
    violation_type: str | None = None
    term: str | None = None


@dataclass(frozen=True)
class Enforcement:
    """BoundaryEnforcer's result, with why (`rule`) and what it would audit (`audit`, or None)."""

    action: str  # REQUIRE_HUMAN_DECISION, REQUEST_APPROVAL, PROCEED_WITH_NOTIFICATION or PROCEED
    allowed: bool
    requirement_type: str
    domain: str | None
    boundary: str | None
    section: str | None
    principle: str | None
    reason: str | None  # the service's own `reason` (PROCEED carries none)
    message: str
    rule: str  # which step of the procedure answered, in words (the simulator's, not the service's)
    keywords: tuple[str, ...] = ()  # the boundary keywords (or content terms) that matched
    violations: tuple[Violation, ...] = ()
    escalation_required: bool = False
    audit: dict[str, Any] | None = None

    @property
    def violated_boundaries(self) -> list[str]:
        return [violation.boundary for violation in self.violations]


def _text(action: Action) -> str:
    return lower(action.description)


def _verification_only(action: Action) -> bool:
    text = _text(action)
    if any(keyword in text for keyword in MODIFYING):
        return False
    return any(keyword in text for keyword in VERIFYING)


def _domains(action: Action) -> list[str] | None:
    if action.domain is None or action.domain == "":
        return None
    return [action.domain] if isinstance(action.domain, str) else list(action.domain)


def _content_violations(action: Action) -> list[Violation]:
    text = _text(action)
    found: list[Violation] = []
    term = next((term for term in ABSOLUTE_TERMS if term in text), None)
    if term is not None:
        found.append(
            Violation(
                "VALUES", "inst_017", CONTENT_RULES["inst_017"][1], 1, CONTENT_RULES["inst_017"][0], term
            )
        )
    statistic = search(STATISTIC, text)
    if statistic is not None and not action.sources:
        found.append(
            Violation(
                "VALUES",
                "inst_016",
                CONTENT_RULES["inst_016"][1],
                1,
                CONTENT_RULES["inst_016"][0],
                statistic[0],
            )
        )
    term = next((term for term in PRODUCTION_TERMS if term in text), None)
    if term is not None and not action.testing_evidence and not action.validation_evidence:
        found.append(
            Violation(
                "VALUES", "inst_018", CONTENT_RULES["inst_018"][1], 1, CONTENT_RULES["inst_018"][0], term
            )
        )
    return found


def keyword_hits(text: str) -> dict[str, tuple[str, ...]]:
    """Each boundary's keywords found as whole words in the text, in the code's order."""
    hits = {
        key: tuple(kw for kw in keywords if word(kw, lower(text)))
        for key, (_, _, keywords) in BOUNDARIES.items()
    }
    return {key: found for key, found in hits.items() if found}


def _boundary_violations(
    action: Action, explicit: list[str], flagged: list[str]
) -> tuple[list[Violation], str]:
    named: list[str] = []
    for key in [*explicit, *flagged]:
        if key in BOUNDARIES and key not in named:
            named.append(key)
    if named:
        how = "the action's domain or flags name it"
        return [Violation(key, BOUNDARIES[key][0], BOUNDARIES[key][1], 1) for key in named], how
    hits = keyword_hits(action.description)
    found = [
        Violation(key, BOUNDARIES[key][0], BOUNDARIES[key][1], len(words)) for key, words in hits.items()
    ]
    return found, "keyword " + ", ".join(f"'{kw}'" for words in hits.values() for kw in words)


def _decision_domain(action: Action) -> tuple[str, str | None]:
    text = _text(action)
    for domain, (indicators, _, _) in DECISION_DOMAINS.items():
        if domain == "USER_COMMUNICATION" and action.type in ("email", "message"):
            return domain, f"type '{action.type}'"
        hit = next((indicator for indicator in indicators if indicator in text), None)
        if hit is not None:
            return domain, hit
    return "TECHNICAL_IMPLEMENTATION", None


def _audit(result: Enforcement, action: Action, session: str | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "boundary": result.boundary or "none",
        "domain": result.domain,
        "requirementType": result.requirement_type,
        "actionType": action.type or action.description,
        "enforcement_decision": "ALLOWED" if result.allowed else "BLOCKED",
    }
    if result.section is not None:
        metadata["tractatus_section"] = result.section
    return {
        "sessionId": session or "boundary-enforcer-session",
        "action": "boundary_enforcement",
        "rulesChecked": list(ENFORCEMENT_RULES),
        "violations": result.violated_boundaries,
        "allowed": result.allowed,
        "metadata": metadata,
    }


def _judgment(
    violations: list[Violation], rule: str, keywords: tuple[str, ...], label: str | None
) -> Enforcement:
    first = violations[0]
    return Enforcement(
        action="REQUIRE_HUMAN_DECISION",
        allowed=False,
        requirement_type="MANDATORY",
        domain=first.boundary,
        boundary=first.boundary,
        section=first.section,
        principle=first.principle,
        reason=first.principle,
        message=f'This decision crosses Tractatus boundary {_js(first.section)}: "{_js(first.principle)}"',
        rule=rule,
        keywords=keywords,
        violations=tuple(violations),
        escalation_required=label == "CRITICAL",
    )


def _js(value: str | None) -> str:
    return "undefined" if value is None else value  # a template literal prints a missing field so


def _allow(domain: str, rule: str) -> Enforcement:
    return Enforcement(
        action="PROCEED",
        allowed=True,
        requirement_type="NONE",
        domain=domain,
        boundary=None,
        section=None,
        principle=None,
        reason=None,
        message=f"Action approved for {domain}",
        rule=rule,
    )


def _decide(action: Action, label: str | None) -> Enforcement:
    domains = _domains(action)
    if action.pre_approved and _verification_only(action):
        return _allow("VERIFICATION", "pre-approved, and the text only verifies")
    if domains is not None and all(d.lower() in ALLOWED_DOMAINS for d in domains):
        if not domains:  # `[].every(...)` is true, then `domain[0].toUpperCase()` throws
            return _judgment(
                [Violation("ERROR", None, None, 1)],
                "an error (an empty domain list): the fail-safe",
                (),
                label,
            )
        return _allow(domains[0].upper(), f"domain '{domains[0]}' is allowed")
    explicit = [{"values": "VALUES", "innovation": "INNOVATION", "wisdom": "WISDOM", "purpose": "PURPOSE",
                 "meaning": "MEANING", "agency": "AGENCY"}.get(d.lower(), "") for d in domains or []]  # fmt: skip
    flagged = []
    if action.involves_values:
        flagged.append("VALUES")
    if action.affects_human_choice or action.affects_agency:
        flagged.append("AGENCY")
    if action.novelty == "high":
        flagged.append("INNOVATION")
    content = _content_violations(action)
    if content:
        terms = tuple(violation.term or "" for violation in content)
        rule = "content rule " + ", ".join(f"{v.section} ({v.violation_type}: '{v.term}')" for v in content)
        return _judgment(content, rule, terms, label)
    if action.quadrant == "STRATEGIC":
        wisdom = Violation("WISDOM", "12.3", BOUNDARIES["WISDOM"][1], 1)
        return _judgment([wisdom], "classification quadrant STRATEGIC", (), label)
    violations, how = _boundary_violations(action, [e for e in explicit if e], flagged)
    if violations:
        keywords = tuple(kw for words in keyword_hits(action.description).values() for kw in words)
        return _judgment(violations, how, keywords if how.startswith("keyword") else (), label)
    domain, indicator = _decision_domain(action)
    _, outcome, reason = DECISION_DOMAINS[domain]
    rule = f"decision domain {domain}" + (
        f" (indicator '{indicator}')" if indicator else " (no indicator: the default)"
    )
    if outcome == "PROCEED":
        return _allow(domain, rule)
    asks = outcome == "REQUEST_APPROVAL"  # else PROCEED_WITH_NOTIFICATION: allowed, a review recommended
    return Enforcement(
        action=outcome,
        allowed=not asks,
        requirement_type="APPROVAL_REQUIRED" if asks else "REVIEW_RECOMMENDED",
        domain=domain,
        boundary=None,
        section=None,
        principle=None,
        reason=reason,
        message=f"{domain} decisions require human approval: {reason}" if asks else f"{domain}: {reason}",
        rule=rule,
    )


def enforce(action: Action, label: str | None = None, session: str | None = None) -> Enforcement:
    """`BoundaryEnforcer.enforce(action, context)`, with `label` the context's `pressure_level`.

    Audited (after `initialize()`) only on the hard-block and PROCEED paths.
    """
    result = _decide(action, label)
    if result.action in ("REQUIRE_HUMAN_DECISION", "PROCEED"):
        result = replace(result, audit=_audit(result, action, session))
    return result
