"""Offline export of the Audit Decision Corpus; the same as `tractatus-datasets export audit ...`.

python scripts/export_audit.py --source dump.json --out releases/v1.0.0 --version 1.0.0 --key-file key.txt
"""

from __future__ import annotations

import sys

from tractatus_datasets.cli import main

if __name__ == "__main__":
    sys.exit(main(["export", "audit", *sys.argv[1:]]))
