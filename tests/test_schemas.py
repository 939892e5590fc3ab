"""Checked-in JSON Schemas: generated from the models, and a contract the written rows satisfy."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pyarrow.parquet as pq
import pytest

from tests.audit import shapes
from tests.helpers import as_json, export
from tractatus_audit_corpus.builder import SPEC
from tractatus_datasets.schemas import check_schemas, render_schemas
from tractatus_datasets.spec import DatasetSpec
from tractatus_evolution_log.builder import SPEC as EVOLUTION
from tractatus_evolution_log.events import front_matter_schema

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


@pytest.mark.parametrize("spec", [SPEC, EVOLUTION], ids=lambda spec: spec.name)
def test_checked_in_schemas_match_the_models(spec: DatasetSpec) -> None:
    assert check_schemas(spec, SCHEMAS) == []


def test_the_event_reader_validates_with_the_checked_in_schema() -> None:
    checked_in = json.loads((SCHEMAS / "evolution_log" / "source-event.schema.json").read_text())
    assert front_matter_schema() == checked_in
    assert checked_in["additionalProperties"] is False
    assert checked_in["then"]["required"] == ["severity", "root_cause", "response"]


def test_drift_is_reported_per_file(tmp_path: Path) -> None:
    for relative, text in render_schemas(SPEC).items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    stale = tmp_path / "audit_corpus" / "full.schema.json"
    stale.write_text(stale.read_text().replace('"allow"', '"permit"'))
    (tmp_path / "audit_corpus" / "incidents.schema.json").unlink()
    problems = [(Path(p.file).name, p.message.split(";")[0]) for p in check_schemas(SPEC, tmp_path)]
    assert problems == [("full.schema.json", "differs from the model"), ("incidents.schema.json", "missing")]


@pytest.mark.parametrize("config", ["full", "aggregated", "incidents"])
def test_written_rows_satisfy_the_schema(tmp_path: Path, config: str) -> None:
    out = tmp_path / "release"
    export(shapes.write_source(tmp_path / "source"), out)
    schema = json.loads((SCHEMAS / "audit_corpus" / f"{config}.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    features = SPEC.config(config).features
    rows = [
        as_json(row, features)
        for row in pq.read_table(out / f"data/{config}/train-00000-of-00001.parquet").to_pylist()
    ]
    assert rows
    for row in rows:
        validator.validate(row)
    bad = dict(rows[0], decision="perhaps") if config != "aggregated" else dict(rows[0], count=0)
    assert not validator.is_valid(bad)


# The schema each published schema version stands for. A model change that alters a column, type or
# label changes the hash: then bump the spec's `schema_version` and add a row here, never edit one.
SCHEMA_VERSIONS = {
    ("audit", "1"): "sha256:18dbc6f4e1bff954a841c9d304dfe31fa5611b94fb520be36df86db9a636b8d0",
    ("evolution", "1"): "sha256:e0e369daf8dd236af8a44c30623e348f20ea8c01c47de0a799e4441caf273509",
}


@pytest.mark.parametrize("spec", [SPEC, EVOLUTION], ids=lambda spec: spec.name)
def test_a_schema_change_comes_with_a_new_schema_version(spec: DatasetSpec) -> None:
    assert SCHEMA_VERSIONS.get((spec.name, spec.schema_version)) == spec.schema_hash, (
        f"{spec.name}'s features changed: bump its schema_version and record the new hash here"
    )
