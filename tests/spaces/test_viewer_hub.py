"""`--dataset` and `--revision`: the viewer downloads a pinned revision from a real Hub-compatible
server (olah on 127.0.0.1, fed by `publish --to-git`) and answers from it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from tests.audit import shapes
from tests.helpers import export, run

REPO = "tractatus-framework/audit-decisions"
OPEN = """
import argparse, sys
from tractatus_spaces.decisions import Filters
from tractatus_spaces.release import ReleaseError
from tractatus_viewer.app import SOURCES, open_release
parser = argparse.ArgumentParser()
SOURCES.add_arguments(parser)
try:
    release = open_release(parser.parse_args(sys.argv[1:]))
except ReleaseError as error:
    sys.exit(f"error: {error}")
print(release.title, release.total, release.count(Filters(decision=("block",))))
"""


def test_a_pinned_revision_is_downloaded_and_queried(mirror: tuple[Path, str], tmp_path: Path) -> None:
    mirrors, endpoint = mirror
    source = shapes.write_source(tmp_path / "source")
    for version in ("1.0.0", "1.1.0"):
        export(source, tmp_path / version, version=version)
        published = run("publish", tmp_path / version, "--repo", REPO, "--to-git", mirrors)
        assert published.returncode == 0, published.stderr

    env = {k: v for k, v in os.environ.items() if not k.endswith("_OFFLINE")}
    env |= {
        "HF_ENDPOINT": endpoint,
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    }

    def view(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", OPEN, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    for revision in ("v1.0.0", "v1.1.0"):
        opened = view("--dataset", REPO, "--revision", revision)
        assert opened.returncode == 0, opened.stderr[-3000:]
        local = pq.read_table(tmp_path / revision[1:] / "data/full", columns=["decision"])
        blocked = local.filter(pc.equal(local["decision"], 3)).num_rows  # ClassLabel 3 is block
        assert opened.stdout == f"{REPO} {revision[1:]} 15 {blocked}\n"
        assert blocked > 0

    missing = view("--dataset", REPO, "--revision", "v9.9.9")
    assert missing.returncode == 1
    assert missing.stderr.startswith(f"error: cannot download {REPO} at v9.9.9 from the Hub: ")
