"""The whole presence in one publication: both datasets, the three Spaces, the framework card and the
organisation card, against the same tagged releases.

Everything that can be checked is checked before anything is sent: both releases validate, every
Space's card, every page renders, and no dataset tag already names another release. Then the steps
run in an order where each points only at what is already there: the datasets (tagged) first, the
Spaces pinned to those tags next, then the framework card and last the organisation card that links
them all. A failed step leaves the steps before it published and nothing after it. A dataset whose
tag already holds this very release (the same MANIFEST.json) is kept as it is, so a failed run can be
run again.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from tractatus_datasets.commands import release_spec
from tractatus_datasets.errors import UsageError
from tractatus_datasets.hub import RepoCommit, Target
from tractatus_datasets.manifest import MANIFEST_NAME
from tractatus_datasets.plugins import DatasetPlugin
from tractatus_datasets.publish import plan_publication
from tractatus_presence.figures import audit_figures, evolution_figures
from tractatus_presence.framework_card import FRAMEWORK_REPO, framework_card
from tractatus_presence.links import Links, Published
from tractatus_presence.org_card import ORG_SPACE, organisation_card
from tractatus_presence.space import SpaceFolder, read_space

__all__ = ["SPACE_PACKAGES", "Presence", "Step", "plan_presence", "publish_steps", "space_folder"]

# The three Spaces by their name on the Hub, and the package each folder is installed as.
SPACE_PACKAGES = {
    "audit-log-viewer": "tractatus_viewer",
    "metrics-dashboard": "tractatus_dashboard",
    "boundary-simulator": "tractatus_boundary_simulator",
}
DATASETS = ("audit-decisions", "evolution-log")  # in the order they are published


def space_folder(name: str) -> Path:
    """Where the Space's folder is: `spaces/<name>` in a checkout, its package when installed."""
    spec = importlib.util.find_spec(SPACE_PACKAGES[name])
    if spec is None or not spec.submodule_search_locations:
        raise UsageError(f"the {name} Space is not installed: install tractatus-datasets with its Spaces")
    return Path(next(iter(spec.submodule_search_locations)))


@dataclass(frozen=True)
class Step:
    what: str  # as the report names it: dataset, Space, framework card, organisation card
    commit: RepoCommit
    manifest: bytes | None = None  # a dataset's MANIFEST.json: what its tag must hold, if it exists


@dataclass(frozen=True)
class Presence:
    org: str
    steps: tuple[Step, ...]

    def describe(self) -> list[str]:
        lines = []
        for number, step in enumerate(self.steps, start=1):
            lines.append(f"{number}. {step.what} {step.commit.repo_id}:")
            for line in step.commit.describe():
                if step.manifest is not None and line.startswith("refuse if tag"):  # see _check_tags
                    tag = step.commit.tag
                    line = f"keep the repository as it is if tag {tag} already holds this release; refuse if another"
                lines.append(f"     {line}")
        return lines


def _published(
    folder: Path, expected: str, org: str, plugins: dict[str, DatasetPlugin], demo: bool
) -> tuple[Published, Step]:
    manifest, spec = release_spec(folder, plugins)
    name = spec.repo_id.split("/")[1]
    if name != expected:
        raise UsageError(f"{folder} is a release of {manifest.dataset}, not of the {expected} dataset")
    if manifest.key is not None and manifest.key.demo and not demo:
        raise UsageError(
            f"{folder} was built with the public demo key: its pseudonyms can be recomputed by anyone. Export it "
            "again with your own key, or rehearse the presence with --to-git DIR --allow-demo-key"
        )
    # Validated as what it was exported for; published into the organisation, whose pages link to it
    # there. In another organisation (a rehearsal), its own card still names the repository it was
    # exported for.
    plan = plan_publication(folder, spec, manifest, f"{org}/{name}", None, allow_demo_key=demo)
    step = Step("dataset", plan.repo_commit(), (folder / MANIFEST_NAME).read_bytes())
    return Published(replace(spec, repo_id=plan.repo_id), manifest), step


def plan_presence(
    audit: Path, evolution: Path, org: str, plugins: dict[str, DatasetPlugin], allow_demo_key: bool = False
) -> Presence:
    """Every step of publishing the presence, checked; UsageError or ProblemsFound if it must not go."""
    if "/" in org or not org:
        raise UsageError(f"--org {org!r} is not an organisation name such as tractatus-framework")
    published: dict[str, Published] = {}
    steps: list[Step] = []
    for folder, name in zip((audit, evolution), DATASETS, strict=True):
        published[name], step = _published(folder, name, org, plugins, allow_demo_key)
        steps.append(step)
    pins = {name: p.tag for name, p in published.items()}
    date = max(p.manifest.release_date for p in published.values())
    spaces: dict[str, SpaceFolder] = {name: read_space(space_folder(name)) for name in SPACE_PACKAGES}
    steps += [Step("Space", space.commit(f"{org}/{name}", pins, date)) for name, space in spaces.items()]

    audit_release = published["audit-decisions"].manifest
    links = Links(
        org,
        published,
        {name: space.card for name, space in spaces.items()},
        synthetic=audit_release.key is not None and audit_release.key.demo,
    )
    figures = audit_figures(audit), evolution_figures(evolution)
    versions = ", ".join(f"{name} {tag}" for name, tag in pins.items())
    pages: list[tuple[str, str, str, str, Callable[..., object]]] = [
        ("framework card", "model", FRAMEWORK_REPO, "Framework card", framework_card),
        ("organisation card", "space", ORG_SPACE, "Organisation card", organisation_card),
    ]
    for what, kind, name, title, render in pages:
        card = str(render(*figures, links)).encode("utf-8")
        commit = RepoCommit(
            f"{org}/{name}",
            kind,
            (("README.md", card),),
            f"{title} for {versions}",
            date,
            space_sdk="static" if kind == "space" else None,
        )
        steps.append(Step(what, commit))
    return Presence(org, tuple(steps))


def _check_tags(presence: Presence, target: Target) -> set[str]:
    """The datasets already published as this very release; UsageError if a tag names another."""
    kept = set()
    for step in presence.steps:
        commit = step.commit
        if commit.tag is None or commit.tag not in target.tags(commit.repo_id, commit.repo_type):
            continue
        if target.read(commit.repo_id, commit.repo_type, commit.tag, MANIFEST_NAME) != step.manifest:
            raise UsageError(
                f"{commit.repo_id} already has tag {commit.tag} holding another release: a published version "
                "never changes; export the new data as a new version. Nothing was published"
            )
        kept.add(commit.repo_id)
    return kept


def publish_steps(presence: Presence, target: Target) -> list[str]:
    """Run the steps in order; a line per step saying what was done."""
    kept = _check_tags(presence, target)
    lines: list[str] = []
    for number, step in enumerate(presence.steps, start=1):
        commit = step.commit
        tag = f" {commit.tag}" if commit.tag else ""
        if commit.repo_id in kept:
            lines.append(f"kept {step.what} {commit.repo_id}{tag}: that tag already holds this release")
            continue
        try:
            where = target.publish(commit)
        except Exception as error:  # any failure: say what is out there, and how to go on
            done = "; ".join(lines) if lines else "nothing"
            raise UsageError(
                f"step {number} of {len(presence.steps)}, {step.what} {commit.repo_id}, failed: "
                f"{error if isinstance(error, UsageError) else f'{type(error).__name__}: {error}'}. Before it: {done}. "
                "Nothing after it was sent; run the same command again to go on (published datasets are kept)"
            ) from error
        lines.append(f"published {step.what} {commit.repo_id}{tag}: {where}")
    return lines
