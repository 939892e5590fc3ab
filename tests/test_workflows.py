"""The GitHub Actions workflows: they parse, the quarterly one runs on a schedule and by hand, and every
`tractatus-datasets` command they run is one the command line accepts, with the arguments it has."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from tractatus_datasets.cli import _parser
from tractatus_datasets.plugins import load_plugins

WORKFLOWS = Path(__file__).parent.parent / ".github" / "workflows"
OPERATORS = {">", ">>", "<", "|", "||", "&&", ";", "&"}


def load(name: str) -> dict[Any, Any]:
    return dict(yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8")))


def runs(workflow: dict[Any, Any]) -> list[str]:
    return [step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step]


def commands(script: str) -> list[list[str]]:
    """Each `tractatus-datasets …` command of a step's script, expressions and variables replaced by
    sample values, cut at the first shell operator."""
    script = re.sub(r"\$\{\{\s*steps\.\w+\.outputs\.next_version\s*\}\}", "1.1.0", script)
    script = re.sub(r"\$\{?(\w+)\}?", lambda m: f"SAMPLE_{m.group(1)}", script)
    found = []
    for line in script.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words = list(lexer)
        while starts := [i for i, word in enumerate(words) if Path(word).name == "tractatus-datasets"]:
            words = words[starts[0] + 1 :]  # `tractatus-datasets` or `.venv/bin/tractatus-datasets`
            end = next((i for i, word in enumerate(words) if word in OPERATORS), len(words))
            found.append(words[:end])
            words = words[end:]
    return found


def parses(arguments: list[str]) -> bool:
    try:
        _parser(load_plugins()).parse_args(arguments)
    except SystemExit:
        return False
    return True


def test_the_quarterly_workflow_runs_each_quarter_and_by_hand() -> None:
    workflow = load("quarterly.yml")
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["schedule"] == [{"cron": "0 3 1 1,4,7,10 *"}]
    assert "workflow_dispatch" in triggers
    assert workflow["concurrency"]["cancel-in-progress"] is False
    env = workflow["jobs"]["publish"]["env"]
    assert {name: env[name] for name in ("TRACTATUS_PSEUDONYM_KEY", "HF_TOKEN", "TRACTATUS_MONGO_URI")} == {
        "TRACTATUS_PSEUDONYM_KEY": "${{ secrets.TRACTATUS_PSEUDONYM_KEY }}",
        "HF_TOKEN": "${{ secrets.HF_TOKEN }}",
        "TRACTATUS_MONGO_URI": "${{ secrets.TRACTATUS_MONGO_URI }}",
    }


def test_the_quarterly_workflow_calls_the_documented_commands_in_order() -> None:
    called = [words for script in runs(load("quarterly.yml")) for words in commands(script)]
    assert [words[:2] if words[0] == "export" else words[:1] for words in called] == [
        ["download"],
        ["download"],
        ["export", "audit"],
        ["export", "evolution"],
        ["validate"],
        ["validate"],
        ["publish-presence"],
    ]
    export_audit = called[2]
    assert export_audit[export_audit.index("--previous") + 1] == called[0][called[0].index("--out") + 1]
    assert export_audit[export_audit.index("--source") + 1] == "SAMPLE_TRACTATUS_MONGO_URI"
    readme = (WORKFLOWS.parent.parent / "README.md").read_text(encoding="utf-8")
    for words in called:
        assert f"tractatus-datasets {words[0]}" in readme, f"{words[0]} is not in the README"


@pytest.mark.parametrize("name", ["quarterly.yml", "ci.yml"])
def test_every_command_a_workflow_runs_parses(name: str) -> None:
    called = [words for script in runs(load(name)) for words in commands(script)]
    assert called, f"{name} runs no tractatus-datasets command"
    refused = [" ".join(words) for words in called if not parses(words)]
    assert refused == []


def test_the_quarantine_is_never_uploaded() -> None:
    steps = load("quarterly.yml")["jobs"]["publish"]["steps"]
    assert not any("upload-artifact" in step.get("uses", "") for step in steps)
    last = steps[-1]
    assert (last["if"], last["run"]) == ("always()", "rm -f build/*.quarantine.jsonl")


def test_a_wrong_command_would_be_caught() -> None:
    assert commands('tractatus-datasets export audit --sorce x >> "$GITHUB_OUTPUT"') == [
        ["export", "audit", "--sorce", "x"]
    ]
    assert not parses(["export", "audit", "--sorce", "x"])
