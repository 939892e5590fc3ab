"""`publish-space` and `publish-presence`: their arguments, and what they do once parsed."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from tractatus_datasets.errors import UsageError
from tractatus_datasets.hub import VERSION_TAG, GitTarget, HubTarget, Target, check_repo_id, newest_version
from tractatus_datasets.plugins import DatasetPlugin
from tractatus_presence.presence import plan_presence, publish_steps
from tractatus_presence.space import read_space

__all__ = ["add_commands", "download_command", "publish_presence_command", "publish_space_command"]


def _add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run", action="store_true", help="list every repository, file and tag; send nothing"
    )
    parser.add_argument(
        "--to-git",
        type=Path,
        metavar="DIR",
        help="instead of the Hub, commit into git repositories under DIR (an existing folder), in the layout a "
        "self-hosted Hub serves: DIR/datasets/ORG/NAME, DIR/spaces/ORG/NAME (variables beside, in NAME.variables.json), "
        "DIR/models/ORG/NAME",
    )


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    space = commands.add_parser(
        "publish-space",
        help="deploy a Space folder with the shared code it imports, pinned to published dataset tags",
    )
    space.add_argument("folder", type=Path, help="the Space's folder, e.g. spaces/boundary-simulator")
    space.add_argument("--repo", required=True, metavar="ORG/NAME", help="the Space repository on the Hub")
    space.add_argument(
        "--pin",
        action="append",
        default=[],
        metavar="DATASET=TAG",
        help="the revision of a dataset the Space shows, e.g. audit-decisions=v1.0.0 "
        "(default: the newest vX.Y.Z tag of ORG/DATASET where the Space is published)",
    )
    _add_target_arguments(space)

    presence = commands.add_parser(
        "publish-presence",
        help="validate both releases, then publish the datasets, the three Spaces, the framework and organisation cards",
    )
    presence.add_argument(
        "--audit", required=True, type=Path, metavar="RELEASE", help="the audit release folder"
    )
    presence.add_argument(
        "--evolution", required=True, type=Path, metavar="RELEASE", help="the Evolution Log release folder"
    )
    presence.add_argument(
        "--org", default="tractatus-framework", help="the organisation (default: tractatus-framework)"
    )
    presence.add_argument(
        "--allow-demo-key",
        action="store_true",
        help="with --to-git only: accept releases built with the public demo key, to rehearse the presence "
        "(the pages say the data is synthetic); the Hub never gets one",
    )
    _add_target_arguments(presence)

    download = commands.add_parser(
        "download",
        help="download a published release (default: the newest vX.Y.Z tag), e.g. to continue it with --previous",
    )
    download.add_argument("repo", metavar="ORG/NAME", help="the dataset repository")
    download.add_argument("--out", required=True, type=Path, help="folder to create (must not exist)")
    download.add_argument("--revision", metavar="TAG", help="a vX.Y.Z tag (default: the newest)")


def _target(args: argparse.Namespace) -> tuple[Target, str]:
    if args.to_git is not None:
        return GitTarget(args.to_git), f"git repositories under {args.to_git}"
    return HubTarget(), "the Hugging Face Hub"


def _newest_tag(target: Target, repo_id: str) -> str:
    tag = newest_version(target.tags(repo_id, "dataset"))
    if tag is None:
        raise UsageError(f"{repo_id} has no vX.Y.Z tag to pin: publish the dataset first, or give --pin")
    return tag


def publish_space_command(args: argparse.Namespace) -> str:
    space = read_space(args.folder)
    check_repo_id(args.repo)
    target, where = _target(args)
    pins = {}
    for pin in args.pin:
        name, _, tag = pin.partition("=")
        if not VERSION_TAG.match(tag):
            raise UsageError(f"--pin {pin!r} is not DATASET=vX.Y.Z, e.g. audit-decisions=v1.0.0")
        pins[name] = tag
    org = args.repo.split("/")[0]
    shown = [dataset.split("/")[1] for dataset in space.datasets]
    if unknown := sorted(set(pins) - set(shown)):
        raise UsageError(
            f"--pin {unknown[0]}: {args.folder} shows {', '.join(shown) or 'no dataset'} (its README's datasets)"
        )
    for dataset in space.datasets:
        name = dataset.split("/")[1]
        pins.setdefault(name, _newest_tag(target, f"{org}/{name}"))
    commit = space.commit(args.repo, pins, dt.date.today())
    if args.dry_run:
        return "\n".join(
            [
                f"dry run: would publish {args.folder} to {where}:",
                *(f"  {line}" for line in commit.describe()),
            ]
        )
    return f"published Space {args.repo}: {target.publish(commit)}"


def publish_presence_command(args: argparse.Namespace, plugins: dict[str, DatasetPlugin]) -> str:
    if args.allow_demo_key and args.to_git is None:
        raise UsageError("--allow-demo-key rehearses into git repositories only: add --to-git DIR")
    target, where = _target(args)  # a missing or read-only --to-git fails here, before any work
    presence = plan_presence(args.audit, args.evolution, args.org, plugins, args.allow_demo_key)
    if args.dry_run:
        return "\n".join([f"dry run: would publish, in this order, to {where}:", *presence.describe()])
    lines = publish_steps(presence, target)
    return "\n".join([f"published the {args.org} presence to {where}:", *(f"  {line}" for line in lines)])


def _next_minor(tag: str) -> str:
    major, minor, _ = (int(n) for n in VERSION_TAG.match(tag).groups())  # type: ignore[union-attr]
    return f"{major}.{minor + 1}.0"


def download_command(args: argparse.Namespace) -> str:
    """Download the release; print `key=value` lines (tag, version, next_version, folder), as GitHub
    Actions reads a step's outputs from `$GITHUB_OUTPUT`."""
    check_repo_id(args.repo, named="")
    if args.out.exists():
        raise UsageError(f"--out {args.out} already exists: give a new folder")
    if args.revision is not None and not VERSION_TAG.match(args.revision):
        raise UsageError(f"--revision {args.revision!r} is not a vX.Y.Z tag such as v1.0.0")
    target = HubTarget()
    tag = args.revision or newest_version(target.tags(args.repo, "dataset"))
    if tag is None:
        raise UsageError(
            f"{args.repo} has no vX.Y.Z tag: there is no release to continue; publish the first one by hand "
            "(see the README's quarterly section)"
        )
    target.download(args.repo, "dataset", tag, args.out)
    return "\n".join(
        [f"tag={tag}", f"version={tag[1:]}", f"next_version={_next_minor(tag)}", f"folder={args.out}"]
    )
