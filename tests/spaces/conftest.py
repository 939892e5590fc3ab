"""One demo build (an audit release with the evolution log beside it) shared by the viewer's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder `tractatus-datasets demo` writes: audit-decisions/, evolution-log/, sample/."""
    out = tmp_path_factory.mktemp("viewer") / "build"
    result = run("demo", "--out", out)
    assert result.returncode == 0, result.stderr
    return out
