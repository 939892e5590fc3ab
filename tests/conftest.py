"""Shared fixtures. Everything runs offline: no Hub, no network, caches under pytest's tmp dirs."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Set before `datasets` / `huggingface_hub` are imported anywhere, so they read these at import.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="tractatus-tests-hf-")  # never the user's cache
os.environ.pop("TRACTATUS_PSEUDONYM_KEY", None)

# Only now: these import `datasets`.
from tests.helpers import free_port, make_key, wait_for_port
from tractatus_datasets.keys import ExportKey


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite golden files from the current output"
    )


@pytest.fixture(autouse=True)
def own_datasets_cache(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A fresh `datasets` cache per test. datasets 5.2 keys the cache of a local folder by its name and
    card metadata only, so two releases in folders of the same name could share cached rows."""
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path_factory.mktemp("datasets-cache"))


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def key() -> ExportKey:
    return make_key()


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A real olah server on 127.0.0.1 serving the git repositories under `mirrors/`, offline."""
    mirrors, port = tmp_path / "mirrors", free_port()
    mirrors.mkdir()
    config = tmp_path / "olah.toml"
    config.write_text(
        f'[basic]\nhost = "127.0.0.1"\nport = {port}\nmirrors-path = ["{mirrors}"]\n'
        f'repos-path = "{tmp_path / "olah-repos"}"\n\n[accessibility]\noffline = true\n'
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "olah.server", "-c", str(config)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, server, "olah", seconds=60)
        yield mirrors, f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)
