"""The tooling gate, configured in pyproject.toml: lint, formatting and strict typing must pass."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
        # Each Space's app.py is a module named `app`: mypy checks one of them per run.
        ["mypy", "spaces/metrics-dashboard/app.py"],
        ["mypy", "spaces/boundary-simulator/app.py"],
    ],
    ids=["ruff-check", "ruff-format", "mypy", "mypy-dashboard", "mypy-simulator"],
)
def test_tool_passes(command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# What writing a release involves; only the shared core may do it (`tractatus_datasets.build`).
RELEASE_WRITING = (
    "write_table",
    "ParquetWriter",
    "to_parquet",
    "MetadataConfigs",
    "DatasetCardData",
    "DatasetInfosDict",
    "to_yaml",
    "yaml.dump",
    "safe_dump",
    "write_manifest",
    "render_card",
    "write_shards",
)


@pytest.mark.parametrize("package", ["tractatus_audit_corpus", "tractatus_evolution_log"])
def test_dataset_packages_hold_no_copy_of_the_writer_card_or_manifest(package: str) -> None:
    sources = {path.name: path.read_text() for path in (ROOT / package).glob("*.py")}
    copies = [(name, word) for name, text in sources.items() for word in RELEASE_WRITING if word in text]
    assert copies == []
    assert "from tractatus_datasets.build import write_release" in sources["builder.py"]
    assert "write_release(" in sources["builder.py"].split("def ", 1)[1]


def test_the_ci_workflow_runs_the_tests_then_validates_both_sample_releases() -> None:

    workflow = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    steps = [step.get("run", "") for step in workflow["jobs"]["test-and-validate"]["steps"]]
    commands = [line.strip() for step in steps for line in step.splitlines() if line.strip()]
    assert commands[:2] == [".ci/run", ".venv/bin/tractatus-datasets demo --out build"]
    assert ".venv/bin/tractatus-datasets validate build/audit-decisions" in commands
    assert ".venv/bin/tractatus-datasets validate build/evolution-log" in commands
    assert (ROOT / ".ci/run").stat().st_mode & 0o111  # executable, as the workflow calls it
