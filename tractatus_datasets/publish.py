"""Publish a validated release of a dataset: to the Hugging Face Hub, or into a git repository laid
out as the Hub's (`tractatus_datasets.hub` does the sending).

A release is published as one commit holding exactly the release's files (those the leak gate
scanned: nothing from a `.git` or `.cache` folder) and no file of an earlier release that this one
does not have, such as a shard of an old count, which the card's `data_files` patterns would
otherwise still match; it is tagged `vX.Y.Z`, the revision papers pin. Refused: a release that does
not validate (exit 1), a release built with the public demo key (unless a rehearsal into git
repositories allows it), a tag other than the version's, and a tag that already exists (exit 2).
`--dry-run` prints the operations and sends nothing.

`--to-git DIR` writes the same commit and tag into `DIR/datasets/<org>/<name>`, the layout that a
self-hosted Hub mirror such as olah serves, so the researcher's `load_dataset(repo_id,
revision="vX.Y.Z")` can be exercised without the internet.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tractatus_datasets.citation import revision_tag
from tractatus_datasets.errors import ProblemsFound, UsageError
from tractatus_datasets.gate import release_files
from tractatus_datasets.hub import GitTarget, HubTarget, RepoCommit, check_repo_id
from tractatus_datasets.manifest import Manifest
from tractatus_datasets.spec import DatasetSpec
from tractatus_datasets.validate import validate_release

__all__ = ["PublishPlan", "plan_publication", "publish_to_git", "publish_to_hub"]


@dataclass(frozen=True)
class PublishPlan:
    root: Path
    repo_id: str
    tag: str
    manifest: Manifest
    files: list[str]  # relative POSIX paths, sorted
    left_out: int = 0  # files in a `.git` or `.cache` folder

    @property
    def message(self) -> str:
        return f"Release {self.manifest.version} of {self.repo_id}"

    def repo_commit(self) -> RepoCommit:
        files = tuple((name, self.root / name) for name in self.files)
        return RepoCommit(self.repo_id, "dataset", files, self.message, self.manifest.release_date, self.tag)

    def operations(self) -> list[str]:
        left_out = (
            [f"leave out {self.left_out} file(s) in .git or .cache folders: not part of a release"]
            if self.left_out
            else []
        )
        steps = self.repo_commit().describe()
        return [*steps[:2], *left_out, *steps[2:]]


def plan_publication(
    root: Path,
    spec: DatasetSpec,
    manifest: Manifest,
    repo_id: str,
    tag: str | None,
    allow_demo_key: bool = False,
) -> PublishPlan:
    """Check everything that can be checked offline; UsageError or ProblemsFound if it must not go."""
    expected = revision_tag(manifest.version)
    if tag is not None and tag != expected:
        raise UsageError(
            f"--tag {tag} does not match the release's version {manifest.version}: use {expected}"
        )
    if manifest.key is not None and manifest.key.demo and not allow_demo_key:
        raise UsageError(
            f"{root} was built with the public demo key: its pseudonyms can be recomputed by anyone. "
            "Export it again with your own key (--key-file or $TRACTATUS_PSEUDONYM_KEY)"
        )
    check_repo_id(repo_id)
    problems = validate_release(root, spec)
    if problems:
        raise ProblemsFound(
            problems, f"{len(problems)} problem(s): {root} does not validate; nothing was published"
        )
    files = [path.relative_to(root).as_posix() for path in release_files(root)]
    everything = sum(1 for path in root.rglob("*") if path.is_file())
    return PublishPlan(root, repo_id, expected, manifest, files, everything - len(files))


def publish_to_hub(plan: PublishPlan, target: HubTarget | None = None) -> str:
    """Create the repository if needed, commit the release in one commit and tag it; the commit's URL."""
    return (target or HubTarget()).publish(plan.repo_commit())


def publish_to_git(plan: PublishPlan, mirrors: Path) -> Path:
    """Commit the release into `mirrors/datasets/<org>/<name>` (created if missing) and tag it;
    the repository's path. The commit replaces the whole tree, as `publish_to_hub`'s does."""
    return Path(GitTarget(mirrors).publish(plan.repo_commit()))
