"""Where a publication goes: the Hugging Face Hub, or git repositories laid out as a Hub serves them.

The one module that talks to the Hub. A `RepoCommit` is one publication of one repository: its whole
tree (any other file the repository holds is deleted in the same commit, `.gitattributes` apart, so
nothing of an earlier publication lingers), a message, a date, an optional tag and, for a Space, its
SDK and variables. `HubTarget` sends it with `huggingface_hub`; `GitTarget` commits it into
`DIR/<datasets|spaces|models>/<org>/<name>`, the layout a self-hosted Hub mirror such as olah serves
(`[basic] mirrors-path = [DIR]`). A git repository has no Space variables: they are written beside
it, as `<name>.variables.json`, for whatever runs the Space to read.

>>> commit = RepoCommit("org/app", "space", (("README.md", b"hi"),), "Deploy", dt.date(2025, 10, 25))
>>> [(type(op).__name__, op.path_in_repo) for op in commit.operations(["old.py", ".gitattributes"])]
[('CommitOperationDelete', 'old.py'), ('CommitOperationAdd', 'README.md')]
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from huggingface_hub import (
    CommitOperationAdd,
    CommitOperationDelete,
    HfApi,
    hf_hub_download,
    snapshot_download,
)
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from tractatus_datasets.errors import UsageError

__all__ = [
    "REPO_FOLDERS",
    "VERSION_TAG",
    "GitTarget",
    "HubTarget",
    "RepoCommit",
    "Target",
    "check_repo_id",
    "newest_version",
    "repo_url",
]

REPO_FOLDERS = {"dataset": "datasets", "space": "spaces", "model": "models"}
KEPT = ".gitattributes"  # the Hub's own LFS rules: never deleted by a publication
VERSION_TAG = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")  # a release's tag: v1.2.0


def newest_version(tags: Iterable[str]) -> str | None:
    """The newest vX.Y.Z tag, compared as numbers; None if there is none.

    >>> newest_version(["v1.2.0", "v1.10.0", "v1.9.3", "latest"])
    'v1.10.0'
    """
    versions = [
        (tuple(int(n) for n in match.groups()), tag) for tag in tags if (match := VERSION_TAG.match(tag))
    ]
    return max(versions)[1] if versions else None


def check_repo_id(repo_id: str, named: str = "--repo") -> None:
    """UsageError unless `repo_id` is ORG/NAME; `named` says where it was given (`--repo`, or nothing).

    >>> check_repo_id("tractatus-framework")
    Traceback (most recent call last):
    ...
    tractatus_datasets.errors.UsageError: --repo 'tractatus-framework' is not ORG/NAME
    """
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise UsageError(f"{named} {repo_id!r} is not ORG/NAME".lstrip())


def repo_url(repo_id: str, repo_type: str) -> str:
    """The repository's page on the Hub.

    >>> repo_url("tractatus-framework/tractatus", "model")
    'https://huggingface.co/tractatus-framework/tractatus'
    """
    prefix = "" if repo_type == "model" else f"{REPO_FOLDERS[repo_type]}/"
    return f"https://huggingface.co/{prefix}{repo_id}"


@dataclass(frozen=True)
class RepoCommit:
    repo_id: str
    repo_type: str  # dataset, space or model
    files: tuple[tuple[str, Path | bytes], ...]  # path in the repository → a file to copy, or content
    message: str
    date: dt.date  # the commit's date in a git repository, so that it is reproducible
    tag: str | None = None
    space_sdk: str | None = None
    variables: tuple[tuple[str, str], ...] = field(default=())

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.files]

    def operations(self, remote_files: Iterable[str]) -> list[CommitOperationAdd | CommitOperationDelete]:
        """The one commit's operations, given the files the repository holds now."""
        kept = {*self.names, KEPT}
        deletions = [CommitOperationDelete(name) for name in sorted(remote_files) if name not in kept]
        return [*deletions, *(CommitOperationAdd(name, content) for name, content in self.files)]

    def describe(self) -> list[str]:
        """What publishing it does, one line per step, as a dry run prints it."""
        sdk = f" ({self.space_sdk} SDK)" if self.space_sdk else ""
        lines = [f"create {self.repo_type} repository {self.repo_id}{sdk} if it does not exist"]
        if self.tag:
            lines.append(f"refuse if tag {self.tag} exists")
        lines.append(
            f'upload {len(self.files)} files in one commit "{self.message}": ' + ", ".join(self.names)
        )
        lines.append(f"  and delete in that commit every other file of the repository but {KEPT}")
        if self.tag:
            lines.append(f"tag that commit {self.tag}")
        lines += [f"set Space variable {key}={value}" for key, value in self.variables]
        return lines


class Target(Protocol):
    """Somewhere repositories are published."""

    def tags(self, repo_id: str, repo_type: str) -> set[str]: ...

    def read(self, repo_id: str, repo_type: str, revision: str, path: str) -> bytes | None: ...

    def publish(self, commit: RepoCommit) -> str: ...


@dataclass
class HubTarget:
    """The Hub (or $HF_ENDPOINT); the token comes from `hf auth login` or $HF_TOKEN."""

    api: HfApi = field(default_factory=HfApi)

    def tags(self, repo_id: str, repo_type: str) -> set[str]:
        try:
            return {ref.name for ref in self.api.list_repo_refs(repo_id, repo_type=repo_type).tags}
        except HfHubHTTPError as error:  # the Hub says RepositoryNotFound; a mirror, a plain 404
            if (
                isinstance(error, RepositoryNotFoundError)
                or getattr(error.response, "status_code", None) == 404
            ):
                return set()
            raise

    def read(self, repo_id: str, repo_type: str, revision: str, path: str) -> bytes | None:
        try:
            local = hf_hub_download(repo_id, path, repo_type=repo_type, revision=revision)
        except (EntryNotFoundError, RevisionNotFoundError, RepositoryNotFoundError):
            return None
        return Path(local).read_bytes()

    def publish(self, commit: RepoCommit) -> str:
        api, kind = self.api, commit.repo_type
        api.create_repo(commit.repo_id, repo_type=kind, exist_ok=True, space_sdk=commit.space_sdk)
        if commit.tag and commit.tag in self.tags(commit.repo_id, kind):
            raise UsageError(
                f"{commit.repo_id} already has tag {commit.tag}: a published version never changes"
            )
        # The deletions are of the files at this commit: should the branch move meanwhile, the Hub
        # refuses the commit rather than leave another commit's files in the tree.
        head = api.repo_info(commit.repo_id, repo_type=kind).sha
        remote = api.list_repo_files(commit.repo_id, repo_type=kind, revision=head)
        done = api.create_commit(
            commit.repo_id,
            commit.operations(remote),
            commit_message=commit.message,
            repo_type=kind,
            parent_commit=head,
        )
        if commit.tag:
            api.create_tag(commit.repo_id, repo_type=kind, tag=commit.tag, revision=done.oid)
        for key, value in commit.variables:
            api.add_space_variable(commit.repo_id, key, value)
        return str(done.commit_url)

    def download(self, repo_id: str, repo_type: str, revision: str, out: Path) -> Path:
        """The repository's files at `revision` in the new folder `out` (Hub metadata in `out/.cache`)."""
        snapshot_download(repo_id, repo_type=repo_type, revision=revision, local_dir=out)
        return out


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


@dataclass
class GitTarget:
    """Git repositories under `mirrors`, which must be a folder this user can write into."""

    mirrors: Path

    def __post_init__(self) -> None:
        if shutil.which("git") is None:
            raise UsageError("--to-git needs the git command; install git")
        if not self.mirrors.is_dir():
            raise UsageError(
                f"--to-git {self.mirrors} is not a folder: create it, or name the folder your self-hosted Hub serves"
            )
        try:
            with tempfile.TemporaryFile(dir=self.mirrors):
                pass
        except OSError as error:
            raise UsageError(
                f"cannot write into --to-git {self.mirrors}: {error.strerror}; choose a folder this user may write"
            ) from None

    def path(self, repo_id: str, repo_type: str) -> Path:
        return self.mirrors / REPO_FOLDERS[repo_type] / repo_id

    def tags(self, repo_id: str, repo_type: str) -> set[str]:
        repo = self.path(repo_id, repo_type)
        return set(_git(repo, "tag", "--list").split()) if (repo / ".git").is_dir() else set()

    def read(self, repo_id: str, repo_type: str, revision: str, path: str) -> bytes | None:
        repo = self.path(repo_id, repo_type)
        if not (repo / ".git").is_dir():
            return None
        shown = subprocess.run(  # noqa: S603 - git with fixed arguments
            ["git", "show", f"{revision}:{path}"],  # noqa: S607
            cwd=repo,
            capture_output=True,
            check=False,
        )
        return shown.stdout if shown.returncode == 0 else None

    def publish(self, commit: RepoCommit) -> str:
        repo = self.path(commit.repo_id, commit.repo_type)
        if not (repo / ".git").is_dir():
            repo.mkdir(parents=True, exist_ok=True)
            _git(repo, "init", "--quiet", "--initial-branch=main")
        if commit.tag and commit.tag in self.tags(commit.repo_id, commit.repo_type):
            raise UsageError(f"{repo} already has tag {commit.tag}: a published version never changes")
        for old in repo.iterdir():
            if old.name not in (".git", KEPT):
                shutil.rmtree(old) if old.is_dir() else old.unlink()
        for name, content in commit.files:
            target = repo / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                shutil.copy2(content, target)
        # A fixed author and the given date make the commit reproducible.
        when = f"{commit.date.isoformat()}T00:00:00+00:00"
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
        _git(repo, "commit", "--quiet", "--allow-empty", "-m", commit.message, env=env)
        if commit.tag:
            _git(repo, "tag", commit.tag, env=env)
        if commit.variables:
            variables = repo.with_name(f"{repo.name}.variables.json")
            variables.write_text(json.dumps(dict(commit.variables), indent=2, sort_keys=True) + "\n")
        return str(repo)
