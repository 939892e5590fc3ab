"""`publish-presence` on the demo releases: every repository in the Hub's layout with a card the Hub's
card classes read, figures equal to independent counts of the published shards, Spaces pinned to the
published tags that start from their own checkout and answer from the tagged release on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import datasets
import pytest
from huggingface_hub import DatasetCard, ModelCard, SpaceCard

from tests.helpers import free_port, git, run, serve_mirrors

ORG = "tractatus-framework"
SPACES = ["audit-log-viewer", "metrics-dashboard", "boundary-simulator"]
SHOWS = {
    "audit-log-viewer": ["audit-decisions", "evolution-log"],
    "metrics-dashboard": ["audit-decisions", "evolution-log"],
    "boundary-simulator": ["audit-decisions"],
}


def table(text: str, heading: str) -> list[list[str]]:
    """The rows of the first Markdown table after `heading` (a line of the card)."""
    lines = text[text.index(heading) :].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


@pytest.fixture(scope="module")
def hub(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("presence") / "hub"
    root.mkdir()
    result = run(
        "publish-presence",
        "--audit",
        demo / "audit-decisions",
        "--evolution",
        demo / "evolution-log",
        "--to-git",
        root,
        "--allow-demo-key",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"published the {ORG} presence to git repositories under {root}:",
        f"  published dataset {ORG}/audit-decisions v1.0.0: {root}/datasets/{ORG}/audit-decisions",
        f"  published dataset {ORG}/evolution-log v1.0.0: {root}/datasets/{ORG}/evolution-log",
        *(f"  published Space {ORG}/{name}: {root}/spaces/{ORG}/{name}" for name in SPACES),
        f"  published framework card {ORG}/tractatus: {root}/models/{ORG}/tractatus",
        f"  published organisation card {ORG}/README: {root}/spaces/{ORG}/README",
    ]
    return root


@pytest.fixture(scope="module")
def counted(hub: Path) -> dict[str, object]:
    """Independent figures: `datasets.load_dataset` on the published repositories, counted here."""
    audit = datasets.load_dataset(str(hub / "datasets" / ORG / "audit-decisions"), "full", split="train")
    events = datasets.load_dataset(str(hub / "datasets" / ORG / "evolution-log"), "full", split="train")
    incidents = datasets.load_dataset(
        str(hub / "datasets" / ORG / "evolution-log"), "incidents", split="train"
    )
    named = {
        column: [audit.features[column].int2str(v) for v in audit[column]]
        for column in ("service", "decision", "context_pressure")
    }
    days = sorted(t.date() for t in audit["timestamp"])
    return {
        "audit": audit,
        "named": named,
        "headline": f"{audit.num_rows:,} anonymised governance decisions from {len(set(audit['session']) - {None}):,} "
        f"sessions, {days[0]} to {days[-1]}",
        "events": f"{events.num_rows:,} events in the framework's history, {min(events['date'])} to "
        f"{max(events['date'])}, {incidents.num_rows:,} of them incidents",
    }


def test_every_repository_is_written_in_the_hub_layout_with_a_valid_card(hub: Path) -> None:
    repos = sorted(str(p.parent.relative_to(hub)) for p in hub.glob("*/*/*/.git"))
    assert repos == [
        f"datasets/{ORG}/audit-decisions",
        f"datasets/{ORG}/evolution-log",
        f"models/{ORG}/tractatus",
        f"spaces/{ORG}/README",
        *(f"spaces/{ORG}/{name}" for name in sorted(SPACES)),
    ]
    for name in ("audit-decisions", "evolution-log"):
        repo = hub / "datasets" / ORG / name
        assert git(repo, "tag", "--points-at", "HEAD") == "v1.0.0"
        assert DatasetCard.load(repo / "README.md").data.license == "cc-by-sa-4.0"
    for name in SPACES:
        card = SpaceCard.load(hub / "spaces" / ORG / name / "README.md")
        assert (card.data.sdk, card.data.app_file) == ("gradio", "app.py")
        assert card.data.datasets == [f"{ORG}/{shown}" for shown in SHOWS[name]]
    org = SpaceCard.load(hub / "spaces" / ORG / "README" / "README.md")
    assert (org.data.sdk, org.data.title) == ("static", "Tractatus Framework")
    model = ModelCard.load(hub / "models" / ORG / "tractatus" / "README.md")
    assert model.data.license == "apache-2.0"
    assert model.data.datasets == [f"{ORG}/audit-decisions", f"{ORG}/evolution-log"]
    assert sorted(path.name for path in (hub / "models" / ORG / "tractatus").iterdir()) == [
        ".git",
        "README.md",
    ]
    sections = re.findall(r"^## (.+)$", model.text, flags=re.MULTILINE)
    assert sections == [
        "What problem it solves",
        "How it works",
        "Intended uses",
        "Evaluation",
        "Limitations and known issues",
        "Ethical considerations",
        "Licenses",
        "How to cite",
    ]


def test_the_framework_cards_evaluation_equals_counts_of_the_published_shards(
    hub: Path, counted: dict[str, object]
) -> None:
    text = ModelCard.load(hub / "models" / ORG / "tractatus" / "README.md").text
    audit, named = counted["audit"], counted["named"]
    assert isinstance(audit, datasets.Dataset) and isinstance(named, dict)
    total = audit.num_rows

    def shares(counts: Counter[str], order: list[str], every: bool) -> list[list[str]]:
        return [[n, f"{counts[n]:,}", f"{100 * counts[n] / total:.1f}%"] for n in order if every or counts[n]]

    services = audit.features["service"].names
    levels = audit.features["context_pressure"].names
    decisions = audit.features["decision"].names
    assert table(text, "**Decisions**") == shares(Counter(named["decision"]), decisions, True)
    assert table(text, "**Decisions per service**") == shares(Counter(named["service"]), services, False)
    assert table(text, "**Context pressure when deciding**") == shares(
        Counter(named["context_pressure"]), levels, True
    )
    per_boundary: dict[str, Counter[str]] = {}
    for boundary, decision in zip(audit["boundary"], named["decision"], strict=True):
        if boundary is not None:
            per_boundary.setdefault(boundary, Counter())[decision] += 1
    assert table(text, "**Block and ask rates per boundary**") == [
        [b, f"{c.total():,}", f"{100 * c['block'] / c.total():.1f}%", f"{100 * c['ask'] / c.total():.1f}%"]
        for b, c in sorted(per_boundary.items())
    ]
    assert len(per_boundary) == 6  # the demo's boundaries: the table is not trivially empty
    blocks = Counter(named["decision"])["block"]
    assert f"In the audit release, {blocks:,} of {total:,} decisions" in text
    assert "> **Synthetic data.**" in text  # a demo-key rehearsal says so


def test_the_organisation_card_names_every_space_and_dataset_with_the_releases_figures(
    hub: Path, counted: dict[str, object]
) -> None:
    text = SpaceCard.load(hub / "spaces" / ORG / "README" / "README.md").text
    assert f"in the open: {counted['headline']}, and {counted['events']}, published" in text
    rows = table(text, "## Datasets")
    assert [row[1:3] for row in rows] == [
        [str(counted["headline"]), "v1.0.0"],
        [str(counted["events"]), "v1.0.0"],
    ]
    assert [row[3] for row in rows] == ["[CC BY-SA 4.0](https://creativecommons.org/licenses/by-sa/4.0/)"] * 2
    spaces = table(text, "## Spaces")
    assert [row[0].split("](")[1] for row in spaces] == [
        f"https://huggingface.co/spaces/{ORG}/{n})" for n in SPACES
    ]
    licenses = text[text.index("## Licenses") :].split("\n\n")[1].splitlines()
    assert licenses == [
        "* The Tractatus framework's code and the Spaces: [Apache-2.0](https://www.apache.org/licenses/LICENSE-2.0).",
        *(
            f"* [{title}](https://huggingface.co/datasets/{ORG}/{name}): "
            "[CC BY-SA 4.0](https://creativecommons.org/licenses/by-sa/4.0/)."
            for name, title in [
                ("audit-decisions", "Tractatus Audit Decision Corpus"),
                ("evolution-log", "Tractatus Framework Evolution Log"),
            ]
        ),
    ]
    assert f'audit_decisions = load_dataset("{ORG}/audit-decisions", revision="v1.0.0")' in text


def test_each_spaces_variables_name_the_published_tags(hub: Path) -> None:
    for name in SPACES:
        variables = json.loads((hub / "spaces" / ORG / f"{name}.variables.json").read_text())
        expected = {}
        for shown in SHOWS[name]:
            dataset, revision = (
                ("TRACTATUS_DATASET", "TRACTATUS_REVISION")
                if shown == "audit-decisions"
                else ("TRACTATUS_EVENTS_DATASET", "TRACTATUS_EVENTS_REVISION")
            )
            expected |= {dataset: f"{ORG}/{shown}", revision: "v1.0.0"}
            assert variables[revision] in git(hub / "datasets" / ORG / shown, "tag", "--list").split()
        assert variables == expected


# Run a checked-out Space's app.py as the Hub would: with this project's installed packages hidden,
# so that every module of ours it imports must come from the checkout.
FROM_CHECKOUT = """
import runpy, sys
sys.meta_path[:] = [f for f in sys.meta_path if not type(f).__module__.startswith("__editable__")]
sys.path_hooks[:] = [h for h in sys.path_hooks if not getattr(h, "__module__", "").startswith("__editable__")]
sys.path.insert(0, ".")
sys.argv = ["app.py", *sys.argv[1:]]
code = 0
try:
    runpy.run_path("app.py", run_name="__main__")
except SystemExit as exit:
    code = exit.code
for name, module in sorted(sys.modules.items()):
    if name.startswith("tractatus"):
        print("module", name, getattr(module, "__file__", None), file=sys.stderr)
sys.exit(code)
"""


def checkout(hub: Path, name: str, into: Path) -> Path:
    subprocess.run(
        ["git", "clone", "--quiet", str(hub / "spaces" / ORG / name), str(into / name)], check=True
    )
    return into / name


def test_each_space_starts_from_its_own_checkout(hub: Path, tmp_path: Path) -> None:
    for name in SPACES:
        folder = checkout(hub, name, tmp_path)
        started = subprocess.run(
            [sys.executable, "-c", FROM_CHECKOUT, "--help"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
        )
        assert started.returncode == 0, started.stderr[-3000:]
        assert started.stdout.startswith("usage: app.py")
        modules = [line.split() for line in started.stderr.splitlines() if line.startswith("module ")]
        assert modules, "the app imported none of the shared packages"
        outside = [m for m in modules if m[2] != "None" and not m[2].startswith(str(folder))]
        assert outside == []


def strings(value: object) -> list[str]:
    """Every string in a Gradio config, as the page renders its Markdown (backslash escapes undone)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [text for item in value for text in strings(item)] if isinstance(value, list) else []


def _config(port: int, process: subprocess.Popen[str], seconds: float = 120) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the Space exited: {process.communicate()[1][-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=5) as response:
                return dict(json.load(response))
        except OSError:
            time.sleep(0.5)
    raise AssertionError("the Space never answered")


def test_each_space_answers_on_127_0_0_1_from_the_pinned_release(hub: Path, tmp_path: Path) -> None:
    with serve_mirrors(hub, tmp_path) as endpoint:
        started = {}
        for name in SPACES:
            folder, port = checkout(hub, name, tmp_path), free_port()
            variables = json.loads((hub / "spaces" / ORG / f"{name}.variables.json").read_text())
            env = {k: v for k, v in os.environ.items() if not k.endswith("_OFFLINE")}
            env |= variables | {
                "HF_ENDPOINT": endpoint,
                "HF_HOME": str(tmp_path / f"hf-{name}"),
                "GRADIO_SERVER_PORT": str(port),
                "GRADIO_ANALYTICS_ENABLED": "False",
            }
            process = subprocess.Popen(
                [sys.executable, "-c", FROM_CHECKOUT],
                cwd=folder,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            started[name] = (port, process)
        try:
            commit = git(hub / "datasets" / ORG / "audit-decisions", "rev-parse", "--short=7", "v1.0.0")
            events_commit = git(hub / "datasets" / ORG / "evolution-log", "rev-parse", "--short=7", "v1.0.0")
            for name, (port, process) in started.items():
                shown = re.sub(r"\\(.)", r"\1", "\n".join(strings(_config(port, process))))
                assert f"{ORG}/audit-decisions@v1.0.0 (commit {commit})" in shown, name
                if name == "metrics-dashboard":
                    assert f"{ORG}/evolution-log@v1.0.0 (commit {events_commit})" in shown
        finally:
            for _, process in started.values():
                process.terminate()
                process.wait(timeout=30)
