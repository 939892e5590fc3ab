"""Shared fixtures. Everything runs offline: no Hub, no network, caches under pytest's tmp dirs."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Set before `datasets` / `huggingface_hub` are imported anywhere, so they read these at import.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="tractatus-tests-hf-")  # never the user's cache
os.environ.pop("TRACTATUS_PSEUDONYM_KEY", None)

# Only now: these import `datasets`.
from tests.helpers import drop_root_powers, make_key, run, serve_mirrors
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
    mirrors = tmp_path / "mirrors"
    mirrors.mkdir()
    with serve_mirrors(mirrors, tmp_path) as endpoint:
        yield mirrors, endpoint


@pytest.fixture(scope="module")
def unprivileged() -> Callable[[], None]:
    """A `preexec_fn` under which root obeys file permissions (skips where that cannot be done)."""
    probe = subprocess.run([sys.executable, "-c", "pass"], preexec_fn=drop_root_powers, check=False)
    if probe.returncode != 0:  # pragma: no cover - a container that forbids it
        pytest.skip("cannot drop root's file-permission capabilities here")
    return drop_root_powers


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder `tractatus-datasets demo` writes: audit-decisions/, evolution-log/, sample/."""
    out = tmp_path_factory.mktemp("demo") / "build"
    result = run("demo", "--out", out)
    assert result.returncode == 0, result.stderr
    return out
