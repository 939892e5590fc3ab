"""Shared fixtures. Everything runs offline: no Hub, no network, caches under pytest's tmp dirs."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import pytest

# Set before `datasets` / `huggingface_hub` are imported anywhere, so they read these at import.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="tractatus-tests-hf-")  # never the user's cache
os.environ.pop("TRACTATUS_PSEUDONYM_KEY", None)

from tractatus_datasets.keys import ExportKey

GOLDEN = Path(__file__).parent / "golden"


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


def make_key(label: str = "tests") -> ExportKey:
    """A key derived at run time; no key material is written in the test sources."""
    return ExportKey(hashlib.sha256(f"tractatus-datasets {label}".encode()).hexdigest().encode(), demo=False)


@pytest.fixture
def key() -> ExportKey:
    return make_key()


def check_golden(path: Path, actual: str, update: bool) -> None:
    """Compare with a golden file, or rewrite it under --update-golden (then review the diff)."""
    if update or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        if not update:
            pytest.fail(f"golden file {path} did not exist; written now, review it and re-run")
    assert actual == path.read_text(encoding="utf-8"), (
        f"{path} differs; if intended, re-run with --update-golden"
    )
