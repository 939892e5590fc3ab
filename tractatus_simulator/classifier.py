"""InstructionPersistenceClassifier: how an instruction is classified, and how relevant it is to an
action (reference §1.3), as CrossReferenceValidator uses both.

>>> c = classify(Instruction("Always use MongoDB on port 27027"))
>>> c.scope, c.quadrant, round(c.explicitness, 2), c.persistence, c.verification, c.parameters
('PERMANENT', 'STRATEGIC', 0.85, 'HIGH', 'MANDATORY', {'port': '27027'})
>>> round(relevance(c, "Change the MongoDB port to 27017"), 3)
0.698
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tractatus_simulator.js import compile_js, lower, search, split_words, trim, word
from tractatus_simulator.model import Instruction

__all__ = ["QUADRANTS", "Classification", "classify", "relevance", "semantic_similarity"]

QUADRANTS: dict[str, tuple[str, ...]] = {
    "STRATEGIC": ("always", "never", "core", "values", "mission", "principle", "philosophy"),
    "OPERATIONAL": ("project", "process", "policy", "workflow", "standard", "convention"),
    "TACTICAL": ("now", "today", "this", "current", "immediate", "check", "verify"),
    "SYSTEM": ("code", "technical", "architecture", "infrastructure", "database", "api", "fix", "bug", "error",
               "authentication", "security", "system", "implementation", "function", "method", "class", "module",
               "component", "service"),
    "STOCHASTIC": ("explore", "experiment", "innovate", "brainstorm", "creative", "try", "alternative",
                   "alternatives", "consider", "possibility", "investigate", "research", "discover", "prototype",
                   "test", "suggest", "idea"),
}  # fmt: skip
SCOPES: dict[str, tuple[str, ...]] = {
    "PERMANENT": ("always", "never", "all", "every", "forever"),
    "PROJECT": ("project", "this phase", "going forward", "from now on"),
    "SESSION": ("session", "conversation", "while"),
    "IMMEDIATE": ("now", "today", "currently", "right now", "this"),
}
HEDGES = (
    "could",
    "would",
    "might",
    "maybe",
    "perhaps",
    "consider",
    "possibly",
    "potentially",
    "suggestion",
    "recommend",
)
FIRM = (
    "specifically",
    "exactly",
    "must",
    "should",
    "explicitly",
    "clearly",
    "definitely",
    "always",
    "never",
    "require",
)
QUADRANT_BASE = {"STRATEGIC": 0.9, "OPERATIONAL": 0.7, "TACTICAL": 0.5, "SYSTEM": 0.7, "STOCHASTIC": 0.4}
SCOPE_ADJUSTMENT = {"PERMANENT": 0.15, "PROJECT": 0.05, "SESSION": -0.2, "IMMEDIATE": -0.25}
SCOPE_QUADRANT = {"PERMANENT": "STRATEGIC", "PROJECT": "OPERATIONAL", "IMMEDIATE": "TACTICAL"}
DOMAIN_QUADRANT = {"technical": "SYSTEM", "innovation": "STOCHASTIC"}  # the classifying context's `domain`
PERSISTENCE_SCORES = {"HIGH": 0.9, "MEDIUM": 0.6, "LOW": 0.3, "VARIABLE": 0.5}


@dataclass(frozen=True)
class Classification:
    text: str
    scope: str
    quadrant: str
    quadrant_scores: dict[str, int]
    explicitness: float
    persistence: str
    persistence_rule: str
    verification: str
    parameters: dict[str, Any]
    recency_weight: float
    source: str
    id: str | None = None
    audit: dict[str, Any] = field(default_factory=dict)

    @property
    def persistence_score(self) -> float:
        return PERSISTENCE_SCORES[self.persistence]


def _scope(text: str) -> str:
    if search(
        r"\b(?:for|during|in)\s+(?:the\s+)?(?:rest\s+of\s+)?(?:this|current)\s+(?:session|conversation)\b",
        text,
    ):
        return "SESSION"
    return next((scope for scope, words in SCOPES.items() if any(w in text for w in words)), "IMMEDIATE")


def _quadrant(text: str, scope: str, domain: str | None) -> tuple[str, dict[str, int]]:
    if not trim(text):
        return "STOCHASTIC", dict.fromkeys(QUADRANTS, 0)
    scores: dict[str, int] = {}
    for quadrant, keywords in QUADRANTS.items():
        score = sum(1 for keyword in keywords if word(keyword, text))
        if quadrant == "OPERATIONAL" and search(r"\b(?:for|in|during)\s+this\s+project\b", text):
            score += 3
        if quadrant == "SYSTEM":
            score += 2 if search(r"\b(?:fix|debug|resolve).*(?:bug|error|issue)\b", text) else 0
            score += 1 if search(r"\b(?:code|function|method|class|component)\b", text) else 0
        if quadrant == "STOCHASTIC":
            score += 2 if search(r"\b(?:explore|investigate|research|discover)\b", text) else 0
            score += 2 if search(r"\balternative(?:s)?\b", text) else 0
        if SCOPE_QUADRANT.get(scope) == quadrant:
            score += 1
        if DOMAIN_QUADRANT.get(domain or "") == quadrant:
            score += 1
        scores[quadrant] = score
    best = max(scores.values())
    if best == 0:
        return SCOPE_QUADRANT.get(scope, "TACTICAL"), scores
    return next(q for q, s in scores.items() if s == best), scores  # a stable sort keeps the first of a tie


def _explicitness(text: str, source: str) -> float:
    score = 0.3
    hedges = sum(1 for hedge in HEDGES if hedge in text)
    if hedges > 0:
        score -= hedges * 0.15
    if source == "user":
        score += 0.15
    if source == "inferred":
        score -= 0.2
    score += sum(1 for marker in FIRM if marker in text) * 0.15
    if search(r"\d{4,}", text):
        score += 0.25
    if search(r"[\"'][\w-]+[\"']", text):
        score += 0.1
    return min(1.0, max(0.0, score))


def _persistence(quadrant: str, scope: str, explicitness: float, source: str, text: str) -> tuple[str, str]:
    if search(r"\b(?:not|never|don't\s+use|avoid)\s+\w+", text):
        return "HIGH", "a prohibition (not / never / don't use / avoid + word)"
    if search(r"\bport\s+\d{4,5}\b", text) and explicitness > 0.6:
        return "HIGH", "an explicit port, with explicitness above 0.6"
    if quadrant == "STOCHASTIC" and search(r"\b(?:explore|investigate|research|discover)\b", text):
        return "MEDIUM", "exploration"
    if search(r"\b(?:try|aim|strive)\s+to\b", text) or search(r"\bprefer(?:s|red)?\s+(?:to|using)\b", text):
        return "MEDIUM", "preference language"
    base = QUADRANT_BASE[quadrant]
    base += SCOPE_ADJUSTMENT[scope]
    if explicitness > 0.8:
        base += 0.15
    elif explicitness > 0.6:
        base += 0.05
    if source == "user":
        base += 0.05
    if source == "inferred":
        base -= 0.15
    score = min(1.0, max(0.0, base))
    why = f"score {score:.2f}"
    if score >= 0.75:
        return "HIGH", why + " ≥ 0.75"
    if score >= 0.45:
        return "MEDIUM", why + " ≥ 0.45"
    if quadrant == "TACTICAL" and explicitness > 0.7 and score >= 0.4:
        return "VARIABLE", why + ", tactical and explicit"
    return "LOW", why


def _verification(quadrant: str, persistence: str, explicitness: float, source: str) -> str:
    # Its high-pressure test reads token_usage, errors_recent and conversation_length of the
    # context the instruction was classified in; the simulator classifies in an empty one.
    if persistence == "HIGH" or quadrant == "STRATEGIC" or (explicitness > 0.8 and source == "user"):
        return "MANDATORY"
    if persistence == "MEDIUM" or quadrant == "OPERATIONAL":
        return "REQUIRED"
    if persistence == "VARIABLE" or (quadrant == "TACTICAL" and explicitness > 0.5):
        return "RECOMMENDED"
    return "OPTIONAL"


def _parameters(text: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    best, best_score = None, -100
    for match in compile_js(r"\bport\s+(?:is\s+)?(\d{4,5})").finditer(text):
        before = text[max(0, match.start() - 30) : match.start()]
        if search(r"\b(?:never|not|don't|avoid|no)\s+(?:use\s+)?$", before):
            score = -10
        elif search(r"\b(?:always|use|should|must|require)\s+$", before):
            score = 10
        else:
            score = 1
        if score > best_score:
            best, best_score = match[1], score
    if best:
        found["port"] = best
    if url := search(r"https?://[\w.-]+(?::\d+)?", text, ignore_case=False):
        found["url"] = url[0]
    protocol, protocol_score = None, -1
    for match in compile_js(r"\b(https?|ftp|ssh|ws|wss)\b").finditer(text):
        near = text[max(0, match.start() - 15) : match.start()]
        if search(r"\b(never|not|don't|avoid|no)\s+use\b", near):
            score = -10
        elif search(r"\b(always|prefer|require|must|should)\s+use\b", near):
            score = 10
        elif search(r"\buse\b", near):
            score = 5
        else:
            score = 1
        if score > protocol_score:
            protocol, protocol_score = match[1].lower(), score
    if protocol:
        found["protocol"] = protocol
    if host := search(r"(?:host|server|hostname)[:\s]+([\w.-]+)", text):
        found["host"] = host[1]
    if path := search(r"(?:/[\w.-]+)+", text, ignore_case=False):
        found["path"] = path[0]
    if search(r"api[_-]?key", text):
        found["hasApiKey"] = True
    if database := search(r"\b(?:database|db)[:\s]+([\w-]+)", text):
        found["database"] = database[1]
    if collection := search(r"\bcollection[:\s]+([\w-]+)", text):
        found["collection"] = collection[1]
    framework = next(
        (f for f in ("react", "vue", "angular", "svelte", "ember", "backbone") if word(f, text)), None
    )
    if framework:
        found["framework"] = framework
    if search(r"\b(?:esm|es6|es modules?)\b", text):
        found["module_type"] = "esm"
    if search(r"\b(?:commonjs|cjs|require)\b", text):
        found["module_type"] = "commonjs"
    if package := search(r"(?:package|library|module)[:\s]+([\w-]+)", text):
        found["package"] = package[1]
    required = r"\b(?:with confirmation|require confirmation|must confirm|need confirmation)\b"
    if search(r"\b(?:never|don't|do not).*without\s+confirmation\b", text) or search(required, text):
        found["confirmed"] = True  # "never … without confirmation" is a requirement too
    elif search(r"\b(?:without confirmation|no confirmation|skip confirmation)\b", text):
        found["confirmed"] = False
    if search(r"\b(?:callback|callbacks)\b", text):
        found["pattern"] = "callback"
    if search(r"\b(?:promise|promises)\b", text):
        found["pattern"] = "promise"
    if search(r"\b(?:async/await|async-await)\b", text):
        found["pattern"] = "async/await"
    return found


def classify(
    instruction: Instruction, session: str | None = None, rules: tuple[str, ...] = ()
) -> Classification:
    """`classify({text, context: {}, timestamp, source})`, with the audit record it writes."""
    text = trim(lower(instruction.text))
    scope = _scope(text)
    quadrant, scores = _quadrant(text, scope, None)
    explicitness = _explicitness(text, instruction.source)
    persistence, why = _persistence(quadrant, scope, explicitness, instruction.source, text)
    verification = _verification(quadrant, persistence, explicitness, instruction.source)
    parameters = _parameters(text)
    audit = {
        "sessionId": session or "classifier-service",
        "action": "instruction_classification",
        "rulesChecked": list(rules),
        "violations": [],
        "allowed": True,
        "metadata": {
            "instruction_text": instruction.text[:100],
            "quadrant": quadrant,
            "persistence": persistence,
            "persistence_score": PERSISTENCE_SCORES[persistence],
            "explicitness": explicitness,
            "verification": verification,
            "temporal_scope": scope,
            "source": instruction.source,
            "recency_weight": instruction.recency_weight,
            "parameters": parameters,
        },
    }
    return Classification(
        text=instruction.text,
        scope=scope,
        quadrant=quadrant,
        quadrant_scores=scores,
        explicitness=explicitness,
        persistence=persistence,
        persistence_rule=why,
        verification=verification,
        parameters=parameters,
        recency_weight=instruction.recency_weight,
        source=instruction.source,
        id=instruction.id,
        audit=audit,
    )


def semantic_similarity(first: str, second: str) -> float:
    """The Jaccard overlap of whitespace-split, lower-cased words longer than 3 characters."""
    if not first or not second:
        return 0.0
    words1 = {w for w in split_words(lower(first)) if len(w) > 3}
    words2 = {w for w in split_words(lower(second)) if len(w) > 3}
    union = words1 | words2
    return len(words1 & words2) / len(union) if union else 0.0


def relevance(instruction: Classification, description: str) -> float:
    """`calculateRelevance`: a missing or zero weight counts as 0.5 (JavaScript's `||`)."""
    semantic = semantic_similarity(instruction.text, description)
    value = (
        semantic * 0.4
        + (instruction.recency_weight or 0.5) * 0.3
        + (instruction.persistence_score or 0.5) * 0.2
        + (instruction.explicitness or 0.5) * 0.1
    )
    return min(1.0, max(0.0, value))
