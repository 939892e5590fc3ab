"""Publish a validated release: to the Hugging Face Hub, or into a git repository laid out as the Hub's.

The one module that talks to the Hub. A release is published as one commit holding exactly the
release's files (those the leak gate scanned: nothing from a `.git` or `.cache` folder) and no file
of an earlier release that this one does not have, such as a shard of an old count, which the
card's `data_files` patterns would otherwise still match; it is tagged `vX.Y.Z`, the revision
papers pin. Refused: a release that does not validate (exit 1), a release built with the public
demo key, a tag other than the version's, and a tag that already exists (exit 2). `--dry-run`
prints the operations and sends nothing.

`--to-git DIR` writes the same commit and tag into `DIR/datasets/<org>/<name>`, the layout that
a self-hosted Hub mirror such as olah serves (`[basic] mirrors-path = [DIR]`), so the researcher's
`load_dataset(repo_id, revision="vX.Y.Z")` can be exercised without the internet.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

from tractatus_datasets.citation import revision_tag
from tractatus_datasets.errors import ProblemsFound, UsageError
from tractatus_datasets.gate import release_files
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

    def operations(self) -> list[str]:
        left_out = (
            [f"leave out {self.left_out} file(s) in .git or .cache folders: not part of a release"]
            if self.left_out
            else []
        )
        return [
            f"create dataset repository {self.repo_id} if it does not exist",
            f"refuse if tag {self.tag} exists",
            *left_out,
            f'upload {len(self.files)} files in one commit "{self.message}": ' + ", ".join(self.files),
            "  and delete in that commit every other file of the repository but .gitattributes",
            f"tag that commit {self.tag}",
        ]

    def commit(self, remote_files: list[str]) -> list[CommitOperationAdd | CommitOperationDelete]:
        """The one commit's operations, given the files the repository holds now."""
        kept = {*self.files, ".gitattributes"}
        deletions = [CommitOperationDelete(name) for name in sorted(remote_files) if name not in kept]
        additions = [CommitOperationAdd(name, self.root / name) for name in self.files]
        return [*deletions, *additions]


def plan_publication(
    root: Path, spec: DatasetSpec, manifest: Manifest, repo_id: str, tag: str | None
) -> PublishPlan:
    """Check everything that can be checked offline; UsageError or ProblemsFound if it must not go."""
    expected = revision_tag(manifest.version)
    if tag is not None and tag != expected:
        raise UsageError(
            f"--tag {tag} does not match the release's version {manifest.version}: use {expected}"
        )
    if manifest.key is not None and manifest.key.demo:
        raise UsageError(
            f"{root} was built with the public demo key: its pseudonyms can be recomputed by anyone. "
            "Export it again with your own key (--key-file or $TRACTATUS_PSEUDONYM_KEY)"
        )
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise UsageError(f"--repo {repo_id!r} is not ORG/NAME")
    problems = validate_release(root, spec)
    if problems:
        raise ProblemsFound(
            problems, f"{len(problems)} problem(s): {root} does not validate; nothing was published"
        )
    files = [path.relative_to(root).as_posix() for path in release_files(root)]
    everything = sum(1 for path in root.rglob("*") if path.is_file())
    return PublishPlan(root, repo_id, expected, manifest, files, everything - len(files))


def publish_to_hub(plan: PublishPlan, api: HfApi | None = None) -> str:
    """Create the repository if needed, commit the release in one commit and tag it; the commit's URL."""
    api = (
        api or HfApi()
    )  # the token comes from `hf auth login` or $HF_TOKEN, as everywhere in huggingface_hub
    api.create_repo(plan.repo_id, repo_type="dataset", exist_ok=True)
    tags = {ref.name for ref in api.list_repo_refs(plan.repo_id, repo_type="dataset").tags}
    if plan.tag in tags:
        raise UsageError(f"{plan.repo_id} already has tag {plan.tag}: a published version never changes")
    # The deletions are of the files at this commit: should the branch move meanwhile, the Hub
    # refuses the commit rather than leave another commit's files in the release.
    head = api.repo_info(plan.repo_id, repo_type="dataset").sha
    remote = api.list_repo_files(plan.repo_id, repo_type="dataset", revision=head)
    commit = api.create_commit(
        plan.repo_id,
        plan.commit(remote),
        commit_message=plan.message,
        repo_type="dataset",
        parent_commit=head,
    )
    api.create_tag(plan.repo_id, repo_type="dataset", tag=plan.tag, revision=commit.oid)
    return str(commit.commit_url)


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(  # noqa: S603 - git with fixed arguments
        ["git", *args],  # noqa: S607 - git from PATH, as any developer runs it
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if result.returncode != 0:
        raise UsageError(f"git {args[0]} failed in {repo}: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout.strip()


def publish_to_git(plan: PublishPlan, mirrors: Path) -> Path:
    """Commit the release into `mirrors/datasets/<org>/<name>` (created if missing) and tag it;
    the repository's path. The commit replaces the whole tree, as `publish_to_hub`'s does."""
    if shutil.which("git") is None:
        raise UsageError("--to-git needs the git command; install git")
    repo = mirrors / "datasets" / plan.repo_id
    if not (repo / ".git").is_dir():
        repo.mkdir(parents=True, exist_ok=True)
        _git(repo, "init", "--quiet", "--initial-branch=main")
    if _git(repo, "tag", "--list", plan.tag):
        raise UsageError(f"{repo} already has tag {plan.tag}: a published version never changes")
    for old in repo.iterdir():
        if old.name != ".git":
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    for name in plan.files:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(plan.root / name, repo / name)
    # A fixed author and the release date make the commit reproducible.
    when = f"{plan.manifest.release_date.isoformat()}T00:00:00+00:00"
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "tractatus-datasets",
        "GIT_AUTHOR_EMAIL": "releases@tractatus-datasets.invalid",
        "GIT_COMMITTER_NAME": "tractatus-datasets",
        "GIT_COMMITTER_EMAIL": "releases@tractatus-datasets.invalid",
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
    }
    _git(repo, "add", "--all", env=env)
    _git(repo, "commit", "--quiet", "--allow-empty", "-m", plan.message, env=env)
    _git(repo, "tag", plan.tag, env=env)
    return repo
