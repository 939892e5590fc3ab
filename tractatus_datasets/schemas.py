"""JSON Schemas of every config (and of source formats such as event front matter), generated from
the models and checked in under `schemas/`.

`scripts/generate_schemas.py` writes them; `check_schemas` reports drift between the checked-in
files and the models, so a model change cannot ship without its schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from tractatus_datasets.errors import Problem
from tractatus_datasets.spec import ConfigSpec, DatasetSpec

__all__ = ["check_schemas", "json_schema", "model_schema", "render_schemas", "schema_id", "write_schemas"]

_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def schema_id(repo_id: str, name: str) -> str:
    return f"https://huggingface.co/datasets/{repo_id}/schemas/{name}.schema.json"


def model_schema(
    model: type[BaseModel], schema_id: str, description: str, mode: JsonSchemaMode = "serialization"
) -> dict[str, Any]:
    """The JSON Schema of a pydantic model, with the draft, an id and a description."""
    schema = model.model_json_schema(mode=mode)
    return {
        "$schema": _DRAFT,
        "$id": schema_id,
        "description": description,
        **{key: value for key, value in schema.items() if key != "description"},
    }


def json_schema(spec: DatasetSpec, config: ConfigSpec) -> dict[str, Any]:
    return model_schema(config.model, schema_id(spec.repo_id, config.name), config.description)


def render_schemas(spec: DatasetSpec) -> dict[str, str]:
    """Relative path under `schemas/` → file text, for every config and every source format."""
    schemas = {f"{config.name}.schema.json": json_schema(spec, config) for config in spec.configs}
    schemas |= {f"source-{source.name}.schema.json": source.schema() for source in spec.sources}
    return {
        f"{spec.schema_dir}/{name}": json.dumps(schema, indent=2) + "\n" for name, schema in schemas.items()
    }


def write_schemas(spec: DatasetSpec, schemas_root: Path) -> list[Path]:
    written = []
    for relative, text in render_schemas(spec).items():
        path = schemas_root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def check_schemas(spec: DatasetSpec, schemas_root: Path) -> list[Problem]:
    """One problem per schema file that is missing or differs from what the models generate."""
    problems = []
    for relative, text in render_schemas(spec).items():
        path = schemas_root / relative
        if not path.exists():
            problems.append(Problem(str(path), None, None, "missing; run python scripts/generate_schemas.py"))
        elif path.read_text(encoding="utf-8") != text:
            problems.append(
                Problem(
                    str(path), None, None, "differs from the model; run python scripts/generate_schemas.py"
                )
            )
    return problems
