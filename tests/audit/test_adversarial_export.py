"""Every leak category, planted in every field and depth of realistic source records: none survives an
export, and the vocabulary a release is made of (the negative controls) does."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import datasets
import pytest
from bson import ObjectId, json_util

from tests.helpers import export, leaks_in
from tests.leaks import NEGATIVE_CONTROLS, Leak, leaks
from tractatus_datasets.manifest import Manifest

WHEN = dt.datetime(2025, 10, 25, 1, 0, tzinfo=dt.UTC)
Plant = Callable[[dict[str, Any], str], None]


def _set(*path: str | int) -> Plant:
    def plant(doc: dict[str, Any], value: str) -> None:
        target: Any = doc
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return plant


def _key(where: str) -> Plant:
    def plant(doc: dict[str, Any], value: str) -> None:
        (doc if where == "top" else doc["metadata"])[value] = 1

    return plant


# Every place a value can sit in an AuditLog document, including key names and deep nesting.
AUDITLOG_PLACES: dict[str, Plant] = {
    **{
        name: _set(name)
        for name in (
            "sessionId",
            "action",
            "service",
            "boundary",
            "tractatus_section",
            "domain",
            "userId",
            "ipAddress",
            "userAgent",
            "_id",
            "durationMs",
            "unknown_field",
        )
    },
    **{
        f"metadata.{name}": _set("metadata", name)
        for name in (
            "actionType",
            "action_description",
            "instruction_text",
            "content_title",
            "enforcement_decision",
            "validation_status",
            "decision",
            "pressure_level",
            "quadrant",
            "boundary",
            "service",
            "unknown_key",
        )
    },
    "metadata.parameters.path": _set("metadata", "parameters", "path"),
    "metadata.conflict_details[0].instruction_value": _set(
        "metadata", "conflict_details", 0, "instruction_value"
    ),
    "metadata.deep.a.b[0].c": _set("metadata", "deep", "a", "b", 0, "c"),
    "violations[0]": _set("violations", 0),
    "violations[1].ruleId": _set("violations", 1, "ruleId"),
    "violations[1].rulText": _set("violations", 1, "rulText"),
    "violations[1].details": _set("violations", 1, "details"),
    "rulesChecked[0]": _set("rulesChecked", 0),
    "key name, top level": _key("top"),
    "key name, metadata": _key("metadata"),
}
LEGACY_PLACES: dict[str, Plant] = {
    name: _set(*name.split("."))
    for name in (
        "sessionId",
        "action",
        "metadata.service",
        "metadata.domain",
        "metadata.instruction_text",
        "metadata.unknown",
    )
} | {"violations[0]": _set("violations", 0), "rulesChecked[0]": _set("rulesChecked", 0)}
PATTERN_PLACES: dict[str, Plant] = {
    name: _set(*name.split("."))
    for name in ("audit_id", "service", "rule_id", "context", "reason", "metadata.note")
}


def auditlog(index: int) -> dict[str, Any]:
    return {
        "_id": ObjectId(f"68fc27a5{index:016x}"),
        "sessionId": f"2025-10-25-{index % 1000:03d}",
        "action": "cross_reference_validation",
        "allowed": False,
        "rulesChecked": ["inst_016"],
        "violations": [
            "inst_017",
            {"ruleId": "inst_018", "rulText": "x", "details": "y", "severity": "HIGH"},
        ],
        "metadata": {
            "validation_status": "REJECTED",
            "parameters": {"port": "27027"},
            "conflict_details": [{"parameter": "port"}],
            "deep": {"a": {"b": [{"c": 1}]}},
        },
        "domain": "UNKNOWN",
        "boundary": None,
        "tractatus_section": None,
        "durationMs": None,
        "service": "CrossReferenceValidator",
        "userId": None,
        "ipAddress": None,
        "userAgent": None,
        "timestamp": WHEN + dt.timedelta(seconds=index),
        "createdAt": WHEN,
        "updatedAt": WHEN,
        "__v": 0,
    }


def controls() -> list[dict[str, Any]]:
    """Six each of the values that must survive: above the rare-value threshold."""
    docs = []
    for _ in range(6):
        for boundary, section in (("VALUES", "12.1"), ("INNOVATION", "12.2")):
            docs.append(
                auditlog(90_000 + len(docs))
                | {
                    "action": "boundary_enforcement",
                    "service": "BoundaryEnforcer",
                    "boundary": boundary,
                    "tractatus_section": section,
                    "rulesChecked": NEGATIVE_CONTROLS["rules"],
                    "violations": [],
                    "metadata": {"enforcement_decision": "BLOCKED"},
                }
            )
        for level in NEGATIVE_CONTROLS["pressure"]:
            docs.append(
                auditlog(90_000 + len(docs))
                | {
                    "action": "context_pressure_analysis",
                    "service": "ContextPressureMonitor",
                    "allowed": True,
                    "violations": [],
                    "metadata": {"pressure_level": level},
                }
            )
    return docs


def write_corpus(folder: Path, corpus: list[Leak]) -> int:
    folder.mkdir()
    (folder / "legacy").mkdir()
    docs, lines, planted = controls(), [], 0
    for leak in corpus:
        for place in AUDITLOG_PLACES.values():
            doc = copy.deepcopy(auditlog(len(docs)))
            place(doc, leak.value)
            docs.append(doc)
        for place in LEGACY_PLACES.values():
            line = {
                "timestamp": "2025-10-10T01:00:00.000Z",
                "sessionId": "session1-integration-test",
                "action": "instruction_classification",
                "rulesChecked": ["inst_001"],
                "violations": ["VALUES"],
                "allowed": True,
                "metadata": {"quadrant": "TACTICAL"},
            }
            place(line, leak.value)
            lines.append(json.dumps(line))
        for place in PATTERN_PLACES.values():
            entry = {
                "_id": ObjectId(f"68fc30890000{len(docs):012x}"),
                "audit_id": f"audit_{len(docs)}",
                "timestamp": "2025-10-25T02:10:00.000Z",
                "service": "BashCommandValidator",
                "decision": "BLOCK",
                "rule_id": "inst_020",
                "context": "c",
                "reason": "r",
                "metadata": {"note": "n"},
            }
            place(entry, leak.value)
            docs.append(entry)
        planted += len(AUDITLOG_PLACES) + len(LEGACY_PLACES) + len(PATTERN_PLACES)
    (folder / "auditLogs.json").write_text("".join(json_util.dumps(d) + "\n" for d in docs))
    (folder / "legacy" / "decisions-2025-10-10.jsonl").write_text("\n".join(lines) + "\n")
    return planted


@pytest.fixture(scope="module")
def adversarial(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest, int]:
    root = tmp_path_factory.mktemp("adversarial")
    planted = write_corpus(root / "source", leaks())
    return root / "release", export(root / "source", root / "release", k=5), planted


def test_no_planted_value_survives_an_export(adversarial: tuple[Path, Manifest, int]) -> None:
    out, manifest, planted = adversarial
    corpus = leaks()
    assert planted >= 40 * 40 and len({leak.category for leak in corpus}) >= 40
    assert manifest.counts.exported > planted * 0.9  # the planted records were exported, not just rejected
    needles = sorted({needle for leak in corpus for needle in leak.needles})
    assert leaks_in(out, needles) == []


def test_the_negative_controls_survive(adversarial: tuple[Path, Manifest, int]) -> None:
    out, _, _ = adversarial
    full = datasets.load_dataset(str(out), split="train")
    features = full.features
    rules = {rule for rules in full["rules_checked"] for rule in rules}
    services = {features["service"].int2str(s) for s in full["service"]}
    pressure = {features["context_pressure"].int2str(p) for p in full["context_pressure"]}
    assert set(NEGATIVE_CONTROLS["rules"]) <= rules
    assert set(NEGATIVE_CONTROLS["services"]) <= services
    assert set(NEGATIVE_CONTROLS["boundaries"]) <= set(full["boundary"])
    assert set(NEGATIVE_CONTROLS["pressure"]) <= pressure


def test_the_release_reports_what_the_gate_checked(adversarial: tuple[Path, Manifest, int]) -> None:
    out, manifest, _ = adversarial
    assert manifest.gate["findings"] == 0 and manifest.gate["identifiers"] > 1_000
    assert manifest.gate["cells"] > manifest.counts.exported
    card = (out / "README.md").read_text()
    assert f"for the {manifest.gate['identifiers']:,} raw identifiers of the source" in card
    assert manifest.counts.values_dropped_by_reason["unknown_metadata_key"] > len(leaks())
