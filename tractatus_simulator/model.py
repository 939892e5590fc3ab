"""What a simulation reads: the action, the reasoning behind it, the instructions given, the context.

Each field is one the services read (reference §1); anything they never read is not here. Text
fields are plain strings; an absent list is `None` where the code tells absent from empty (an
empty `evidence` or `alternatives` list is not the same as none given).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["LEVELS", "Action", "Context", "Instruction", "Metrics", "Reasoning", "level_of"]

# ContextPressureMonitor's levels and the lowest score of each (its PRESSURE_LEVELS thresholds).
LEVELS: dict[str, float] = {"NORMAL": 0.0, "ELEVATED": 0.3, "HIGH": 0.5, "CRITICAL": 0.7, "DANGEROUS": 0.85}


def level_of(score: float) -> str:
    """The level a score reaches.

    >>> level_of(0.745), level_of(0.85)
    ('CRITICAL', 'DANGEROUS')
    """
    return next(name for name, floor in reversed(LEVELS.items()) if score >= floor)


ParameterValue = str | int | bool


@dataclass(frozen=True)
class Action:
    """The proposed action: `description` is the text every service reads."""

    description: str
    type: str | None = None
    command: str | None = None
    domain: str | tuple[str, ...] | None = None
    involves_values: bool = False
    affects_human_choice: bool = False
    affects_agency: bool = False
    novelty: str | None = None
    pre_approved: bool = False
    quadrant: str | None = None  # `classification.quadrant`
    parameters: Mapping[str, ParameterValue] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    testing_evidence: bool = False
    validation_evidence: bool = False
    requires_validation: bool = False
    error_handling: bool = False


@dataclass(frozen=True)
class Reasoning:
    """What MetacognitiveVerifier reads of the reasoning (`{}` when nothing is given)."""

    explanation: str | None = None
    steps: tuple[str, ...] | None = None
    evidence: tuple[str, ...] | None = None
    assumptions_and_conclusions: bool = False
    user_goal_addressed: bool = False
    edge_cases: tuple[str, ...] | None = None
    error_handling: bool = False
    backup_mentioned: bool = False
    validation_planned: bool = False
    alternatives: tuple[str, ...] | None = None
    chosen_because: str | None = None
    explored: bool = False


@dataclass(frozen=True)
class Instruction:
    """An instruction the user gave, `age_seconds` before the action (0: just now)."""

    text: str
    age_seconds: float = 0.0
    source: str = "user"
    id: str | None = None

    @property
    def recency_weight(self) -> float:
        """`Math.exp(-age / 3600)`: 0.37 after an hour, though the code calls 3600 a half-life."""
        return min(1.0, max(0.0, math.exp(-self.age_seconds / 3600)))


@dataclass(frozen=True)
class Metrics:
    """The five inputs ContextPressureMonitor scores (the `--metrics` of `simulate`).

    `tokens` up to 2.0 is a share of the budget, above it a count of tokens (budget 200,000).
    """

    tokens: float = 0.0
    messages: int = 0
    tasks: float = 0.0  # `taskComplexity`, read only when no complexity factor is given (then 0 counts as 1)
    errors: int = 0
    instructions: int = 0  # the length of `activeInstructions`


@dataclass(frozen=True)
class Context:
    """The context every service is given. `label` is `context.pressure_level`; left out, it is the
    level the metrics compute, as the framework's integration test passes it on."""

    metrics: Metrics = Metrics()
    instructions: tuple[Instruction, ...] = ()
    explicit_instructions: bool = True  # pass them to MV too, as the integration test does
    label: str | None = None
    session: str | None = None
