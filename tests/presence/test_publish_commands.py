"""`publish-presence` and `publish-space` as an operator meets them: dry runs that send nothing, targets
that cannot be written, demo keys, a run repeated or stopped half-way, invalid Space cards and pins."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.audit import shapes
from tests.helpers import export, file_digests, git, run
from tractatus_presence.presence import space_folder
from tractatus_presence.space import shared_files

ORG = "tractatus-framework"
SPACES = ["audit-log-viewer", "metrics-dashboard", "boundary-simulator"]
REPOS = [
    f"datasets/{ORG}/audit-decisions",
    f"datasets/{ORG}/evolution-log",
    *(f"spaces/{ORG}/{name}" for name in SPACES),
    f"models/{ORG}/tractatus",
    f"spaces/{ORG}/README",
]


def heads(root: Path) -> dict[str, str]:
    """Each git repository under `root` by its path, with its HEAD commit and tags."""
    return {
        str(p.parent.relative_to(root)): git(p.parent, "rev-parse", "HEAD")
        + " "
        + git(p.parent, "tag", "--list")
        for p in sorted(root.glob("*/*/*/.git"))
    }


def releases(root: Path, version: str = "1.0.0", **overrides: object) -> tuple[Path, Path]:
    """A small audit release exported with a real (test) key, and the Evolution Log linked to it."""
    audit, evolution = root / "audit-decisions", root / "evolution-log"
    export(shapes.write_source(root / "source"), audit, version=version, **overrides)
    built = run("export", "evolution", "--audit", audit, "--out", evolution, "--version", version)
    assert built.returncode == 0, built.stderr
    return audit, evolution


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return releases(tmp_path_factory.mktemp("small"))


def presence(
    audit: Path, evolution: Path, *extra: str | Path, **options: object
) -> subprocess.CompletedProcess[str]:
    return run("publish-presence", "--audit", audit, "--evolution", evolution, *extra, **options)


def test_a_dry_run_lists_every_repository_file_and_tag_and_sends_nothing(demo: Path, tmp_path: Path) -> None:
    target = tmp_path / "hub"
    target.mkdir()
    dry = presence(
        demo / "audit-decisions", demo / "evolution-log", "--to-git", target, "--allow-demo-key", "--dry-run"
    )
    assert dry.returncode == 0, dry.stderr
    assert list(target.iterdir()) == []
    lines = dry.stdout.splitlines()
    assert lines[0] == f"dry run: would publish, in this order, to git repositories under {target}:"
    steps = [line for line in lines if line[:1].isdigit()]
    assert steps == [
        f"1. dataset {ORG}/audit-decisions:",
        f"2. dataset {ORG}/evolution-log:",
        *(f"{n}. Space {ORG}/{name}:" for n, name in enumerate(SPACES, start=3)),
        f"6. framework card {ORG}/tractatus:",
        f"7. organisation card {ORG}/README:",
    ]
    uploads = [line.strip() for line in lines if line.strip().startswith("upload ")]
    assert len(uploads) == 7
    audit_files = sorted(file_digests(demo / "audit-decisions"))
    assert uploads[0].endswith(": " + ", ".join(audit_files))
    assert uploads[5].endswith(": README.md") and uploads[6].endswith(": README.md")
    assert lines.count("     tag that commit v1.0.0") == 2
    variables = [line.strip() for line in lines if "set Space variable" in line]
    assert variables == [
        f"set Space variable TRACTATUS_DATASET={ORG}/audit-decisions",
        "set Space variable TRACTATUS_REVISION=v1.0.0",
        f"set Space variable TRACTATUS_EVENTS_DATASET={ORG}/evolution-log",
        "set Space variable TRACTATUS_EVENTS_REVISION=v1.0.0",
    ] * 2 + [
        f"set Space variable TRACTATUS_DATASET={ORG}/audit-decisions",
        "set Space variable TRACTATUS_REVISION=v1.0.0",
    ]


def test_a_dry_run_for_the_hub_needs_no_connection(
    small: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens: any request would fail
    dry = presence(*small, "--org", "example-org", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[0] == "dry run: would publish, in this order, to the Hugging Face Hub:"
    assert "1. dataset example-org/audit-decisions:" in dry.stdout
    assert "7. organisation card example-org/README:" in dry.stdout
    assert f"{ORG}/" not in dry.stdout  # every repository, Space variable and commit names the other org


def test_a_missing_or_read_only_target_fails_with_one_line_and_exit_2(
    small: tuple[Path, Path], tmp_path: Path, unprivileged: Callable[[], None]
) -> None:
    missing = presence(*small, "--to-git", tmp_path / "nowhere")
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr == (
        f"error: --to-git {tmp_path / 'nowhere'} is not a folder: create it, or name the folder your self-hosted "
        "Hub serves\n"
    )
    assert not (tmp_path / "nowhere").exists()

    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    refused = presence(*small, "--to-git", locked, preexec_fn=unprivileged)
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == (
        f"error: cannot write into --to-git {locked}: Permission denied; choose a folder this user may write\n"
    )
    assert list(locked.iterdir()) == []


def test_the_demo_key_reaches_only_a_rehearsal(demo: Path, tmp_path: Path) -> None:
    target = tmp_path / "hub"
    target.mkdir()
    refused = presence(demo / "audit-decisions", demo / "evolution-log", "--to-git", target)
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"error: {demo / 'audit-decisions'} was built with the public demo key")
    assert refused.stderr.rstrip().endswith("or rehearse the presence with --to-git DIR --allow-demo-key")
    hub = presence(demo / "audit-decisions", demo / "evolution-log", "--allow-demo-key", "--dry-run")
    assert (hub.returncode, hub.stderr) == (
        2,
        "error: --allow-demo-key rehearses into git repositories only: add --to-git DIR\n",
    )
    assert list(target.iterdir()) == []


def test_swapped_releases_are_refused(small: tuple[Path, Path], tmp_path: Path) -> None:
    audit, evolution = small
    swapped = presence(evolution, audit, "--dry-run")
    assert swapped.returncode == 2
    assert "is a release of" in swapped.stderr and "not of the audit-decisions dataset" in swapped.stderr


def test_a_repeated_run_keeps_the_datasets_and_a_conflicting_tag_changes_nothing(
    small: tuple[Path, Path], tmp_path: Path
) -> None:
    target = tmp_path / "hub"
    target.mkdir()
    first = presence(*small, "--to-git", target)
    assert first.returncode == 0, first.stderr
    assert sorted(heads(target)) == sorted(REPOS)
    published = heads(target)

    again = presence(*small, "--to-git", target)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[1:3] == [
        f"  kept dataset {ORG}/audit-decisions v1.0.0: that tag already holds this release",
        f"  kept dataset {ORG}/evolution-log v1.0.0: that tag already holds this release",
    ]
    after = heads(target)
    assert {repo: after[repo] for repo in REPOS[:2]} == {repo: published[repo] for repo in REPOS[:2]}

    other = releases(tmp_path / "other", k_threshold=5)  # the same version number, other rows
    conflict = presence(*other, "--to-git", target)
    assert (conflict.returncode, conflict.stdout) == (2, "")
    assert conflict.stderr == (
        f"error: {ORG}/audit-decisions already has tag v1.0.0 holding another release: a published version never "
        "changes; export the new data as a new version. Nothing was published\n"
    )
    assert heads(target) == after


def test_a_failed_step_leaves_nothing_pointing_at_what_is_not_there(
    small: tuple[Path, Path], tmp_path: Path, unprivileged: Callable[[], None]
) -> None:
    target = tmp_path / "hub"
    (target / "spaces" / ORG).mkdir(parents=True)
    (target / "spaces" / ORG).chmod(0o555)  # the Spaces cannot be written
    failed = presence(*small, "--to-git", target, preexec_fn=unprivileged)
    assert failed.returncode == 2 and failed.stdout == ""
    assert failed.stderr.startswith(
        f"error: step 3 of 7, Space {ORG}/audit-log-viewer, failed: PermissionError: "
    )
    assert (
        f"Before it: published dataset {ORG}/audit-decisions v1.0.0: {target}/datasets/{ORG}/audit-decisions; "
        f"published dataset {ORG}/evolution-log v1.0.0: {target}/datasets/{ORG}/evolution-log. Nothing after it "
        "was sent; run the same command again to go on" in failed.stderr
    )
    assert sorted(heads(target)) == REPOS[:2]  # the datasets, tagged; no Space, model or organisation card
    assert not (target / "models").exists()

    (target / "spaces" / ORG).chmod(0o755)
    resumed = presence(*small, "--to-git", target)
    assert resumed.returncode == 0, resumed.stderr
    assert "  kept dataset" in resumed.stdout and sorted(heads(target)) == sorted(REPOS)


# publish-space


def space(tmp_path: Path, header: str) -> Path:
    folder = tmp_path / "space"
    folder.mkdir()
    (folder / "README.md").write_text(f"---\n{header}---\n\n# A Space\n")
    (folder / "app.py").write_text("print('hello')\n")
    return folder


GOOD = (
    "title: A Space\nemoji: 🔎\ncolorFrom: blue\ncolorTo: gray\nsdk: gradio\nsdk_version: 6.0.0\napp_file: app.py\n"
    f"datasets:\n  - {ORG}/audit-decisions\n"
)


def test_a_space_whose_card_is_not_valid_is_refused_with_file_line_and_field(tmp_path: Path) -> None:
    bad = GOOD.replace("colorFrom: blue", "colorFrom: teal").replace(
        "sdk_version: 6.0.0", "sdk_version: latest"
    )
    bad = bad.replace("app_file: app.py", "app_file: main.py") + "short_description: " + "x" * 61 + "\n"
    folder = space(tmp_path, bad)
    refused = run(
        "publish-space", folder, "--repo", f"{ORG}/a-space", "--pin", "audit-decisions=v1.0.0", "--dry-run"
    )
    assert (refused.returncode, refused.stdout) == (1, "")
    readme = folder / "README.md"
    located = sorted(line.strip().split(": ")[:2] for line in refused.stderr.splitlines()[1:])
    assert located == [
        [f"{readme}:11", "short_description"],
        [f"{readme}:4", "colorFrom"],
        [f"{readme}:7", "sdk_version"],
        [f"{readme}:8", "app_file"],
    ]
    (folder / "README.md").unlink()
    missing = run("publish-space", folder, "--repo", f"{ORG}/a-space", "--dry-run")
    assert (
        missing.returncode == 1
        and f"{readme}: missing: a Space is configured by its README's header" in missing.stderr
    )


def test_publish_space_pins_the_newest_tag_and_names_the_target_organisation(tmp_path: Path) -> None:
    target = tmp_path / "hub"
    dataset = target / "datasets" / "example-org" / "audit-decisions"
    dataset.mkdir(parents=True)
    git(dataset, "init", "--quiet")
    git(
        dataset,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t.invalid",
        "commit",
        "--quiet",
        "--allow-empty",
        "-m",
        "x",
    )
    folder = space(tmp_path, GOOD)

    untagged = run("publish-space", folder, "--repo", "example-org/a-space", "--to-git", target)
    assert (untagged.returncode, untagged.stderr) == (
        2,
        "error: example-org/audit-decisions has no vX.Y.Z tag to pin: publish the dataset first, or give --pin\n",
    )
    for tag in ("v1.2.0", "v1.10.0", "v1.9.3", "latest"):
        git(dataset, "tag", tag)
    published = run("publish-space", folder, "--repo", "example-org/a-space", "--to-git", target)
    assert published.returncode == 0, published.stderr
    repo = target / "spaces" / "example-org" / "a-space"
    assert published.stdout == f"published Space example-org/a-space: {repo}\n"
    assert json.loads((repo.parent / "a-space.variables.json").read_text()) == {
        "TRACTATUS_DATASET": "example-org/audit-decisions",
        "TRACTATUS_REVISION": "v1.10.0",
    }
    assert sorted(p.name for p in repo.iterdir()) == [".git", "README.md", "app.py"]
    assert "datasets:\n- example-org/audit-decisions\n---" in (repo / "README.md").read_text()
    assert git(repo, "log", "--format=%s") == "Deploy space showing audit-decisions v1.10.0"

    pinned = run(
        "publish-space",
        folder,
        "--repo",
        "example-org/a-space",
        "--to-git",
        target,
        "--pin",
        "audit-decisions=v1.2.0",
        "--dry-run",
    )
    assert pinned.returncode == 0, pinned.stderr
    assert "set Space variable TRACTATUS_REVISION=v1.2.0" in pinned.stdout
    assert json.loads((repo.parent / "a-space.variables.json").read_text())["TRACTATUS_REVISION"] == "v1.10.0"
    for pin, message in [
        ("audit-decisions=latest", "--pin 'audit-decisions=latest' is not DATASET=vX.Y.Z"),
        ("evolution-log=v1.0.0", f"--pin evolution-log: {folder} shows audit-decisions"),
    ]:
        wrong = run("publish-space", folder, "--repo", "example-org/a-space", "--pin", pin, "--dry-run")
        assert wrong.returncode == 2 and wrong.stderr.startswith(f"error: {message}"), wrong.stderr


def test_each_space_carries_the_shared_spaces_modules_it_imports_and_no_others() -> None:
    shipped = {
        name: [
            path
            for path, _ in shared_files([space_folder(name) / "app.py"])
            if path.startswith("tractatus_spaces/")
        ]
        for name in ("audit-log-viewer", "metrics-dashboard", "boundary-simulator")
    }
    common = ["__init__.py", "page.py", "release.py"]
    own = {
        "audit-log-viewer": ["decisions.py"],
        "metrics-dashboard": ["aggregates.py", "dashboard.py", "events.py", "history.py"],
        "boundary-simulator": ["aggregates.py", "decision_flow.py"],
    }
    assert shipped == {
        name: sorted(f"tractatus_spaces/{m}" for m in common + extra) for name, extra in own.items()
    }


def test_the_simulator_carries_only_the_shared_code_it_imports() -> None:
    folder = space_folder("boundary-simulator")
    shipped = [name for name, _ in shared_files([folder / "app.py"])]
    assert [name for name in shipped if name.startswith("tractatus_audit_corpus/")] == [
        "tractatus_audit_corpus/__init__.py",
        "tractatus_audit_corpus/mapping.py",
        "tractatus_audit_corpus/vocab.py",
    ]
    assert not any(name.startswith("tractatus_datasets/") for name in shipped)
    assert "tractatus_spaces/release.py" in shipped and "tractatus_simulator/__init__.py" in shipped
