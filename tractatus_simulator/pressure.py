"""ContextPressureMonitor.analyzePressure: a 0–1 score from five metrics, and its level (reference §1.4).

>>> analysis = analyze(Metrics(tokens=0.9, messages=100, errors=3))
>>> analysis.level, round(analysis.score, 3), len(analysis.recommendations), len(analysis.warnings)
('CRITICAL', 0.745, 5, 5)
>>> analyze(Metrics()).score  # the task fallback counts one task: no context scores below 0.03
0.03
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tractatus_simulator.model import LEVELS, Metrics, level_of

__all__ = ["ACTIONS", "LEVEL_METRICS", "WEIGHTS", "Pressure", "analyze"]

WEIGHTS = {
    "tokenUsage": 0.35,
    "conversationLength": 0.25,
    "taskComplexity": 0.15,
    "errorFrequency": 0.15,
    "instructionDensity": 0.10,
}
TOKEN_BUDGET = 200_000
# level → (action, verification multiplier, baseline recommendation (severity, action)).
ACTIONS: dict[str, tuple[str, float, tuple[str, str]]] = {
    "NORMAL": ("PROCEED", 1.0, ("NORMAL", "CONTINUE_NORMAL")),
    "ELEVATED": ("INCREASE_VERIFICATION", 1.3, ("MEDIUM", "INCREASE_VERIFICATION")),
    "HIGH": ("MANDATORY_VERIFICATION", 1.6, ("HIGH", "SUGGEST_CONTEXT_REFRESH")),
    "CRITICAL": ("RECOMMEND_REFRESH", 2.0, ("CRITICAL", "MANDATORY_VERIFICATION")),
    "DANGEROUS": ("REQUIRE_HUMAN_INTERVENTION", 3.0, ("CRITICAL", "IMMEDIATE_HALT")),
}
BASELINE_MESSAGES = {
    "NORMAL": "Continue normal operations",
    "ELEVATED": "Increase verification level",
    "HIGH": "Suggest context refresh",
    "CRITICAL": "Mandatory verification required",
    "DANGEROUS": "Immediate halt required",
}
# Metrics that compute each level (NORMAL, CRITICAL and DANGEROUS are the reference's §3 contexts):
# choosing a level in the simulator means these metrics, since a label alone changes no decision.
LEVEL_METRICS: dict[str, Metrics] = {
    "NORMAL": Metrics(tokens=0.2, messages=20),
    "ELEVATED": Metrics(tokens=0.5, messages=50),
    "HIGH": Metrics(tokens=0.8, messages=80, errors=1),
    "CRITICAL": Metrics(tokens=0.9, messages=100, errors=3),
    "DANGEROUS": Metrics(tokens=1.0, messages=150, errors=3, instructions=10),
}


@dataclass(frozen=True)
class Recommendation:
    type: str
    severity: str
    message: str
    action: str


@dataclass(frozen=True)
class Pressure:
    score: float
    level: str
    metrics: dict[str, float]  # each metric's normalised 0–1 score, by the code's name
    recommendations: tuple[Recommendation, ...]

    @property
    def number(self) -> int:
        return list(LEVELS).index(self.level)

    @property
    def action(self) -> str:
        return ACTIONS[self.level][0]

    @property
    def multiplier(self) -> float:
        return ACTIONS[self.level][1]

    @property
    def warnings(self) -> list[str]:
        return [r.message for r in self.recommendations if r.severity in ("HIGH", "CRITICAL")]

    @property
    def top_metric(self) -> str:
        return max(self.metrics, key=lambda name: self.metrics[name])  # the first of equal scores

    def audit(self, session: str | None, rules: tuple[str, ...]) -> dict[str, Any]:
        """What `_auditPressureAnalysis` sends; no `trend`, since a fresh monitor has no history."""
        return {
            "sessionId": session or "pressure-monitor",
            "action": "context_pressure_analysis",
            "rulesChecked": list(rules),
            "violations": self.warnings,
            "allowed": self.number < 4,
            "metadata": {
                "overall_pressure": self.score,
                "pressure_level": self.level,
                "pressure_level_numeric": self.number,
                "action_required": self.action,
                "verification_multiplier": self.multiplier,
                "metrics": {
                    "token_usage": self.metrics["tokenUsage"],
                    "conversation_length": self.metrics["conversationLength"],
                    "task_complexity": self.metrics["taskComplexity"],
                    "error_frequency": self.metrics["errorFrequency"],
                    "instruction_density": self.metrics["instructionDensity"],
                },
                "top_metric": self.top_metric,
                "warnings_count": len(self.warnings),
                "recommendations_count": len(self.recommendations),
            },
        }


def _scores(metrics: Metrics) -> dict[str, float]:
    tokens = max(metrics.tokens, 0.0)
    ratio = tokens if tokens <= 2.0 else tokens / TOKEN_BUDGET
    tasks = metrics.tasks or 1  # `context.activeTasks?.length || context.taskComplexity || 1`
    return {
        "tokenUsage": min(1.0, max(0.0, ratio)),
        "conversationLength": min(1.0, metrics.messages / 100),
        "taskComplexity": min(1.0, tasks / 5),
        "errorFrequency": min(1.0, metrics.errors / 3),
        "instructionDensity": min(1.0, metrics.instructions / 10),
    }


def _recommendations(level: str, scores: dict[str, float]) -> list[Recommendation]:
    severity, action = ACTIONS[level][2]
    found = [Recommendation("GENERAL", severity, BASELINE_MESSAGES[level], action)]
    number = list(LEVELS).index(level)
    tokens = scores["tokenUsage"]
    if tokens >= 0.95:
        if number < 4:
            message = "Token budget at dangerous levels - immediate halt required"
            found.append(Recommendation("TOKEN_MANAGEMENT", "CRITICAL", message, "IMMEDIATE_HALT"))
    elif tokens > 0.8:
        found.append(
            Recommendation(
                "TOKEN_MANAGEMENT",
                "HIGH",
                "Token budget critically low - consider context refresh",
                "Summarize conversation and start new context window",
            )
        )
    elif tokens > 0.6:
        found.append(
            Recommendation(
                "TOKEN_MANAGEMENT",
                "MEDIUM",
                "Token usage elevated - monitor carefully",
                "Be concise in responses, consider pruning context if needed",
            )
        )
    if scores["conversationLength"] > 0.8:
        found.append(
            Recommendation(
                "CONVERSATION_MANAGEMENT",
                "HIGH",
                "Very long conversation - attention may degrade",
                "Consider summarizing progress and starting fresh session",
            )
        )
    if scores["errorFrequency"] > 0.6:
        found.append(
            Recommendation(
                "ERROR_MANAGEMENT",
                "HIGH",
                "High error frequency detected - operating conditions degraded",
                "Increase verification, slow down, consider pausing for review",
            )
        )
    if scores["taskComplexity"] > 0.7:
        found.append(
            Recommendation(
                "COMPLEXITY_MANAGEMENT",
                "MEDIUM",
                "High task complexity - risk of context confusion",
                "Focus on one task at a time, explicitly track task switching",
            )
        )
    if scores["instructionDensity"] > 0.7:
        found.append(
            Recommendation(
                "INSTRUCTION_MANAGEMENT",
                "MEDIUM",
                "Many active instructions - risk of conflicts",
                "Review and consolidate instructions, resolve conflicts",
            )
        )
    if number >= 3:
        found.append(
            Recommendation(
                "GENERAL",
                "CRITICAL",
                "Critical pressure level - degraded performance likely",
                "Strongly recommend context refresh or human intervention",
            )
        )
    return found


def analyze(metrics: Metrics) -> Pressure:
    """`analyzePressure(context)` on a fresh monitor (no error history, no trend)."""
    scores = _scores(metrics)
    total = 0.0
    for name, weight in WEIGHTS.items():  # summed in the code's order, so the doubles agree
        total += scores[name] * weight
    score = min(1.0, max(0.0, total))
    level = level_of(score)
    return Pressure(score, level, scores, tuple(_recommendations(level, scores)))
