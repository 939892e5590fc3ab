"""Regenerate (or, with --check, verify) the JSON Schemas in schemas/ from the row models.

python scripts/generate_schemas.py          # rewrite schemas/
python scripts/generate_schemas.py --check  # exit 1 when a checked-in schema drifted
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tractatus_datasets.plugins import load_plugins
from tractatus_datasets.schemas import check_schemas, write_schemas

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report drift instead of rewriting")
    args = parser.parse_args()
    problems = []
    for plugin in load_plugins().values():
        if args.check:
            problems += check_schemas(plugin.spec, SCHEMAS)
        else:
            for path in write_schemas(plugin.spec, SCHEMAS):
                print(f"wrote {path.relative_to(SCHEMAS.parent)}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
