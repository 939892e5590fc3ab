"""The library is pure and light: a Space can ship it beside its app without the export's stack."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_library_pulls_in_no_arrow_datasets_or_gradio() -> None:
    code = (
        "import sys, tractatus_simulator, tractatus_simulator.inputs, tractatus_simulator.examples;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'datasets', 'pyarrow', 'pandas', 'gradio', 'pydantic', 'duckdb'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
