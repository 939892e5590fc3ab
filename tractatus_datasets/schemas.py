"""JSON Schemas of every config, generated from the row models and checked in under `schemas/`.

`scripts/generate_schemas.py` writes them; `check_schemas` reports drift between the checked-in
files and the models, so a model change cannot ship without its schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tractatus_datasets.errors import Problem
from tractatus_datasets.spec import ConfigSpec, DatasetSpec

__all__ = ["check_schemas", "json_schema", "render_schemas", "write_schemas"]

_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def json_schema(spec: DatasetSpec, config: ConfigSpec) -> dict[str, Any]:
    schema = config.model.model_json_schema(mode="serialization")
    return {
        "$schema": _DRAFT,
        "$id": f"https://huggingface.co/datasets/{spec.repo_id}/schemas/{config.name}.schema.json",
        "description": config.description,
        **{key: value for key, value in schema.items() if key != "description"},
    }


def render_schemas(spec: DatasetSpec) -> dict[str, str]:
    """Relative path under `schemas/` → file text, for every config."""
    return {
        f"{spec.schema_dir}/{config.name}.schema.json": json.dumps(json_schema(spec, config), indent=2) + "\n"
        for config in spec.configs
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
