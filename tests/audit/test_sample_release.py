"""The default sample (3,500 records) end to end: its realism, and the release a researcher loads."""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import datasets
import pandas as pd
import pytest
from bson import json_util

from tests.helpers import leaks_in
from tractatus_audit_corpus.builder import AuditOptions, export_audit
from tractatus_audit_corpus.sample import write_sample
from tractatus_datasets.keys import DEMO_KEY, ExportKey
from tractatus_datasets.manifest import Manifest
from tractatus_datasets.plugins import ExportOptions
from tractatus_datasets.records import EJSON_OPTIONS

SERVICES = [
    "BoundaryEnforcer",
    "ContextPressureMonitor",
    "CrossReferenceValidator",
    "InstructionPersistenceClassifier",
    "MetacognitiveVerifier",
    "BlogCuration",
    "PluralisticDeliberationOrchestrator",
    "BashCommandValidator",
    "Other",
]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample") / "source"
    write_sample(folder)
    return folder


@pytest.fixture(scope="module")
def release(sample: Path) -> tuple[Path, Manifest]:
    out = sample.parent / "release"
    options = ExportOptions(source=str(sample), out=out, version="1.0.0", max_shard_rows=1500)
    return out, export_audit(options, AuditOptions(key=ExportKey(DEMO_KEY, demo=True)))


def source_docs(sample: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dump = [
        json_util.loads(line, json_options=EJSON_OPTIONS)
        for line in (sample / "auditLogs.json").read_text().splitlines()
    ]
    legacy = [
        json.loads(line)
        for path in sorted((sample / "legacy").glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]
    return dump, legacy


def test_the_sample_is_deterministic(sample: Path, tmp_path: Path) -> None:
    write_sample(tmp_path / "again")
    write_sample(tmp_path / "other", seed=1)
    files = sorted(p.relative_to(sample) for p in sample.rglob("*") if p.is_file())
    assert files == sorted(
        p.relative_to(tmp_path / "again") for p in (tmp_path / "again").rglob("*") if p.is_file()
    )
    assert all((sample / f).read_bytes() == (tmp_path / "again" / f).read_bytes() for f in files)
    assert (sample / "auditLogs.json").read_bytes() != (tmp_path / "other" / "auditLogs.json").read_bytes()


def test_the_sample_holds_every_source_shape(sample: Path) -> None:
    dump, legacy = source_docs(sample)
    auditlogs = [d for d in dump if "sessionId" in d]
    assert len(dump) + len(legacy) == 3_500
    quirk = [
        d for d in auditlogs if d["service"] == "BoundaryEnforcer" and d["action"] != "boundary_enforcement"
    ]
    assert len(quirk) > 20  # the default-service quirk
    assert any(v and all(isinstance(x, str) for x in v) for v in (d["violations"] for d in auditlogs))
    subdocs = [x for d in auditlogs for x in d["violations"] if isinstance(x, dict)]
    assert any("rulText" in x for x in subdocs) and any(
        "rulText" not in x for x in subdocs
    )  # fixed vs migrated
    assert len([d for d in dump if "audit_id" in d]) == 35
    assert {d["action"] for d in auditlogs} >= {
        "boundary_enforcement",
        "context_pressure_analysis",
        "cross_reference_validation",
        "instruction_classification",
        "metacognitive_verification",
        "content_validation",
    }
    assert len(legacy) == 105 and any(
        set(line) == {"timestamp", "sessionId", "action", "allowed"} for line in legacy
    )
    for path in (sample / "legacy").glob("*.jsonl"):  # files are named by the UTC date of their lines
        assert {json.loads(x)["timestamp"][:10] for x in path.read_text().splitlines()} == {path.stem[10:]}


def test_the_sample_has_the_real_proportions(sample: Path) -> None:
    dump, _ = source_docs(sample)
    fixed = [
        d for d in dump if "sessionId" in d and d["timestamp"] >= dt.datetime(2025, 10, 24, tzinfo=dt.UTC)
    ]
    services = collections.Counter(d["service"] for d in fixed)
    assert services["BoundaryEnforcer"] == services["ContextPressureMonitor"]  # exactly paired
    shares = {name: 100 * n / len(fixed) for name, n in services.items()}
    assert shares["BoundaryEnforcer"] == pytest.approx(49.2, abs=0.5)
    assert shares["InstructionPersistenceClassifier"] == pytest.approx(0.63, abs=0.1)
    assert shares["CrossReferenceValidator"] == pytest.approx(0.47, abs=0.1)
    assert shares["MetacognitiveVerifier"] == pytest.approx(0.39, abs=0.1)
    assert services["PluralisticDeliberationOrchestrator"] == 3
    nz_day = [d for d in fixed if dt.datetime(2025, 10, 24, 11, tzinfo=dt.UTC) <= d["timestamp"]]
    assert len(nz_day) / len(fixed) > 0.94  # most logs were written on 2025-10-25, New Zealand time


def test_the_sample_holds_personal_data_for_the_anonymiser(sample: Path) -> None:
    text = (sample / "auditLogs.json").read_text()
    assert re.search(r'"userId": \{"\$oid"', text) and re.search(
        r'"ipAddress": "(192\.0\.2|198\.51\.100|203\.0\.113|2001:db8)', text
    )
    assert re.search(r"/home/\w+/projects", text) and re.search(r"@example\.(org|com|net)", text)


def test_every_config_loads_with_its_types(release: tuple[Path, Manifest]) -> None:
    out, manifest = release
    full = datasets.load_dataset(str(out))
    assert list(full) == ["train"] and full["train"].num_rows == manifest.counts.exported == 3_500
    features = full["train"].features
    assert features["decision"] == datasets.ClassLabel(names=["allow", "warn", "ask", "block"])
    assert features["coordination"] == datasets.List(datasets.ClassLabel(names=SERVICES))
    assert features["timestamp"] == datasets.Value("timestamp[s, tz=UTC]")
    assert full["train"][0]["timestamp"].utcoffset() == dt.timedelta(0)
    for config in ("aggregated", "incidents"):
        loaded = datasets.load_dataset(str(out), config, split="train")
        assert loaded.num_rows == manifest.counts.rows_by_config[config] > 0
        streamed = list(datasets.load_dataset(str(out), config, split="train", streaming=True))
        assert streamed == loaded.to_list()
    assert (
        len(manifest.counts.rows_by_config) == 3 and len(list((out / "data" / "full").glob("*.parquet"))) == 3
    )


def full_frame(out: Path) -> pd.DataFrame:
    frame = datasets.load_dataset(str(out), split="train").to_pandas()
    frame["day"] = frame["timestamp"].dt.date
    return frame


def none(value: Any) -> Any:
    return None if pd.isna(value) else value


def cell(r: Any) -> tuple[Any, ...]:
    return (r.day, r.service, r.decision, r.outcome, r.context_pressure, none(r.boundary))


def test_aggregated_matches_an_independent_computation(release: tuple[Path, Manifest]) -> None:
    out, manifest = release
    frame = full_frame(out)
    keys = ["day", "service", "decision", "outcome", "context_pressure", "boundary"]
    grouped = (
        frame.groupby(keys, dropna=False)
        .agg(n=("decision_id", "size"), s=("session", "nunique"))
        .reset_index()
    )
    expected = {cell(r): (r.n, r.s) if r.n >= 5 else (None, None) for r in grouped.itertuples()}
    aggregated = datasets.load_dataset(str(out), "aggregated", split="train").to_pandas()
    actual = {cell(r): (none(r.count), none(r.sessions)) for r in aggregated.itertuples()}
    assert actual == expected
    masked = grouped[grouped.n < 5]
    assert manifest.counts.suppressed == {
        "aggregated_cells": len(masked),
        "aggregated_decisions": int(masked.n.sum()),
    }


def test_incidents_are_exactly_the_flagged_decisions(release: tuple[Path, Manifest]) -> None:
    out, _ = release
    frame = full_frame(out)
    names = datasets.load_dataset(str(out), split="train").features
    decision, outcome, pressure = (names[c].str2int for c in ("decision", "outcome", "context_pressure"))
    flagged = frame[
        (frame.decision == decision("warn"))
        | frame.outcome.isin([outcome("blocked"), outcome("human_approval_required")])
        | frame.context_pressure.isin([pressure(p) for p in ("HIGH", "CRITICAL", "DANGEROUS")])
    ]
    incidents = datasets.load_dataset(str(out), "incidents", split="train")
    assert incidents["decision_id"] == flagged.decision_id.tolist()
    assert all(reasons for reasons in incidents["incident_reasons"])


def test_no_personal_value_of_the_source_reaches_the_release(
    sample: Path, release: tuple[Path, Manifest]
) -> None:
    out, _ = release
    dump, legacy = source_docs(sample)
    identifiers = {str(d["_id"]) for d in dump} | {d["audit_id"] for d in dump if "audit_id" in d}
    identifiers |= {d["sessionId"] for d in dump + legacy if "sessionId" in d}
    identifiers |= {str(d[k]) for d in dump for k in ("userId", "ipAddress", "userAgent") if d.get(k)}
    text = (sample / "auditLogs.json").read_text() + "".join(
        p.read_text() for p in (sample / "legacy").glob("*")
    )
    identifiers |= set(re.findall(r"[\w.]+@example\.(?:org|com|net)", text)) | set(
        re.findall(r"/home/\w+", text)
    )
    identifiers |= set(re.findall(r"vps-[0-9a-f]{8}\.vps\.ovh\.net", text))
    assert len(identifiers) > 3_000
    assert leaks_in(out, sorted(identifiers)) == []


def test_the_demo_release_says_it_is_synthetic(release: tuple[Path, Manifest]) -> None:
    out, manifest = release
    assert manifest.key.demo is True
    assert "**Synthetic data.**" in (out / "README.md").read_text()


def test_rare_values_are_suppressed_in_the_release(release: tuple[Path, Manifest]) -> None:
    out, manifest = release
    full = datasets.load_dataset(str(out), split="train")
    for column in ("service", "action", "verdict", "boundary"):
        counts = collections.Counter(full[column])
        rare = {value for value, n in counts.items() if n < 5 and value is not None}
        assert rare <= {full.features[column].str2int("Other")} if column == "service" else True
        if column in ("verdict", "boundary"):
            assert rare <= {"OTHER", "other"}, (column, rare)
    rule_counts = collections.Counter(r for rules in full["rules_checked"] for r in set(rules))
    assert all(n >= 5 for rule, n in rule_counts.items() if rule != "other")
    assert manifest.counts.rare_values["service"] == 3  # the three PluralisticDeliberationOrchestrator rows
